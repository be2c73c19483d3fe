//! Figure decorations: axes, ticks, labels, title, colour bar and legend around the data area,
//! drawn band by band so that a figure a million pixels wide never needs a full-size buffer.
//!
//! A [`Figure`] is laid out once from a [`FigureSpec`] and the data area's size: margins are
//! measured from the text they hold, Matplotlib-style (tick steps 1-2-2.5-5-10, DejaVu Sans,
//! ticks pointing out, colour bar on the right). The decorations become a display list in
//! figure pixel coordinates; [`Figure::draw_band`] picks the shapes crossing a band of rows
//! and [`BandDecorations::composite_row`] paints them over each finished row. Every pixel's
//! value depends only on its own coordinates, so the bytes are the same for any band split,
//! tile size or thread count.
//!
//! (`Figure` is internal: `figure::tests::the_module_example_runs` runs this.)
//!
//! ```ignore
//! use gigaplot::figure::{AxisSpec, Figure, FigureSpec};
//! # fn main() -> gigaplot::Result<()> {
//! let spec = FigureSpec {
//!     title: Some("Gaussian mixture".into()),
//!     x: AxisSpec::linear(-10.0, 10.0),
//!     y: AxisSpec::linear(0.0, 1.0),
//!     ..FigureSpec::default()
//! };
//! let figure = Figure::new(spec, 400, 300)?;
//! let (width, height) = figure.size();
//! let (ox, oy) = figure.data_origin();
//! assert!(width > 400 + ox && height > 300 + oy);
//! let band = figure.draw_band(0, 16);
//! let mut row = vec![0u8; width as usize * 4];
//! figure.compose_row(&band, 10, None, &mut row);
//! # Ok(())
//! # }
//! ```

mod axes;
pub(crate) mod categories;
mod colorbar;
mod display;
mod layout;
mod legend;
mod output;
pub mod palette;
pub mod sink;
mod spec;
mod style;
pub mod text;
pub mod ticks;

#[cfg(test)]
mod tests;

use crate::error::Result;
use crate::shade::Color;

pub use categories::category_legend;
pub use display::{BandDecorations, DisplayList};
pub use output::{ImageOutput, ImageSpread};
pub use sink::FigureSink;
pub use spec::{AxisSpec, ColorbarPosition, ColorbarSpec, FigureSpec};

/// A laid-out figure: its size, where the data area sits, and its decorations.
#[derive(Debug)]
pub struct Figure {
    size: (u32, u32),
    origin: (u32, u32),
    data: (u32, u32),
    background: Color,
    list: DisplayList,
}

impl Figure {
    /// Lays out the decorations around a `data_width` x `data_height` data area. Errors name
    /// the field at fault (empty or reversed range, non-positive log range, a figure larger
    /// than 2^32 - 1 pixels a side).
    pub fn new(spec: FigureSpec, data_width: u32, data_height: u32) -> Result<Figure> {
        spec::validate(&spec, data_width, data_height)?;
        let built = layout::build(&spec, data_width, data_height)?;
        Ok(Figure {
            size: built.size,
            origin: built.origin,
            data: (data_width, data_height),
            background: spec.background,
            list: built.list,
        })
    }

    /// Width and height of the whole figure in pixels.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// Top-left pixel of the data area in the figure.
    pub fn data_origin(&self) -> (u32, u32) {
        self.origin
    }

    /// Width and height of the data area (as given to [`Figure::new`]).
    #[cfg(test)]
    pub fn data_size(&self) -> (u32, u32) {
        self.data
    }

    /// The figure background outside the data area.
    pub fn background(&self) -> Color {
        self.background
    }

    /// The decorations crossing figure rows `[y0, y0 + rows)`. Cheap: glyphs crossing the band
    /// are rasterised (or taken from a small cache), nothing else is allocated per pixel.
    pub fn draw_band(&self, y0: u32, rows: u32) -> BandDecorations {
        self.list.band(y0, rows)
    }

    /// Fills `out` (one RGBA row of the figure width) for figure row `y`: background, then
    /// `data_row` (RGBA, data width, straight alpha, copied as is) in the data area when `y`
    /// is a data row, then the decorations of `band`.
    pub fn compose_row(&self, band: &BandDecorations, y: u32, data_row: Option<&[u8]>, out: &mut [u8]) {
        let bg = self.background.to_array();
        for px in out.chunks_exact_mut(4) {
            px.copy_from_slice(&bg);
        }
        let (ox, oy) = self.origin;
        let (w, h) = self.data;
        if let Some(data) = data_row {
            if y >= oy && y - oy < h && ox as usize * 4 <= out.len() {
                let start = ox as usize * 4;
                let len = (w as usize * 4).min(data.len()).min(out.len().saturating_sub(start));
                out[start..start + len].copy_from_slice(&data[..len]);
            }
        }
        band.composite_row(y, out);
    }
}
