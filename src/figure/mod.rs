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
//! ```
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
mod colorbar;
mod display;
mod layout;
mod legend;
pub mod sink;
pub mod text;
pub mod ticks;

#[cfg(test)]
mod tests;

use crate::canvas::Scale;
use crate::error::{Error, Result};
use crate::shade::Color;

pub use display::{BandDecorations, DisplayList, Shape};
pub use layout::{default_font_size, Style};
pub use sink::FigureSink;

/// One axis of the data area: its data range (left to right, bottom to top) and scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisSpec {
    /// Data values at the two edges of the data area.
    pub range: (f64, f64),
    /// Linear or log10 (the range must then be positive).
    pub scale: Scale,
}

impl AxisSpec {
    /// A linear axis over `lo..hi`.
    pub fn linear(lo: f64, hi: f64) -> AxisSpec {
        AxisSpec { range: (lo, hi), scale: Scale::Linear }
    }

    /// A log10 axis over `lo..hi` (both positive).
    pub fn log(lo: f64, hi: f64) -> AxisSpec {
        AxisSpec { range: (lo, hi), scale: Scale::Log }
    }
}

impl Default for AxisSpec {
    fn default() -> AxisSpec {
        AxisSpec::linear(0.0, 1.0)
    }
}

/// Maps a data value to its place along the colour bar: 0 at the bottom, 1 at the top, None
/// when the value is not shown (out of range). Non-linear under eq-hist or log shading.
pub type ColorbarPosition = Box<dyn Fn(f64) -> Option<f64> + Send + Sync>;

/// A colour bar at the right of the data area.
pub struct ColorbarSpec {
    /// Colours from the lowest value (bottom) to the highest (top), e.g. 256 samples.
    pub colors: Vec<Color>,
    /// Data values at the bottom and top of the bar.
    pub value_range: (f64, f64),
    /// Where a data value lands along the bar (0..=1), so ticks sit where values are shown.
    pub position: ColorbarPosition,
    /// Text beside the bar, e.g. "count".
    pub label: Option<String>,
}

impl ColorbarSpec {
    /// A colour bar whose values map linearly onto the bar.
    pub fn linear(colors: Vec<Color>, value_range: (f64, f64), label: Option<String>) -> ColorbarSpec {
        let (lo, hi) = value_range;
        let position: ColorbarPosition = Box::new(move |v: f64| {
            let t = (v - lo) / (hi - lo);
            (t.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&t)).then_some(t.clamp(0.0, 1.0))
        });
        ColorbarSpec { colors, value_range, position, label }
    }
}

impl std::fmt::Debug for ColorbarSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColorbarSpec")
            .field("colors", &self.colors.len())
            .field("value_range", &self.value_range)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// Everything drawn around the data area.
#[derive(Debug)]
pub struct FigureSpec {
    /// Title centred above the data area.
    pub title: Option<String>,
    /// Label below the x axis.
    pub xlabel: Option<String>,
    /// Label left of the y axis, reading bottom to top.
    pub ylabel: Option<String>,
    /// Tick label size in pixels per em; None scales it with the figure
    /// ([`default_font_size`]). Other sizes and line widths follow it.
    pub font_size: Option<f32>,
    /// Grid lines across the data area at the major ticks.
    pub grid: bool,
    /// Minor ticks between the major ones.
    pub minor_ticks: bool,
    /// The horizontal axis.
    pub x: AxisSpec,
    /// The vertical axis.
    pub y: AxisSpec,
    /// A colour bar at the right, if any.
    pub colorbar: Option<ColorbarSpec>,
    /// Legend entries (name, colour) at the right, for categorical plots.
    pub legend: Option<Vec<(String, Color)>>,
    /// Figure background outside the data area.
    pub background: Color,
    /// Text and line colour.
    pub foreground: Color,
}

impl Default for FigureSpec {
    fn default() -> FigureSpec {
        FigureSpec {
            title: None,
            xlabel: None,
            ylabel: None,
            font_size: None,
            grid: false,
            minor_ticks: true,
            x: AxisSpec::default(),
            y: AxisSpec::default(),
            colorbar: None,
            legend: None,
            background: Color::rgb(255, 255, 255),
            foreground: Color::rgb(0, 0, 0),
        }
    }
}

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
        validate(&spec, data_width, data_height)?;
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

/// Checks the data size and axis ranges before any layout.
fn validate(spec: &FigureSpec, width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::bad_parameter("--width/--height", "the data area must be at least 1 x 1 pixels"));
    }
    for (name, axis) in [("--x-range", &spec.x), ("--y-range", &spec.y)] {
        let (lo, hi) = axis.range;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::bad_parameter(
                name,
                format!("the axis range {lo}..{hi} must be finite and increasing"),
            ));
        }
        if axis.scale == Scale::Log && lo <= 0.0 {
            return Err(Error::bad_parameter(
                name,
                format!("a log axis needs a positive range, not {lo}..{hi}"),
            ));
        }
    }
    if let Some(size) = spec.font_size {
        if !(size.is_finite() && size > 0.0 && size <= 2_000.0) {
            return Err(Error::bad_parameter(
                "--font-size",
                format!("{size} is not a size in 0..2000 pixels"),
            ));
        }
    }
    if let Some(cb) = &spec.colorbar {
        let (lo, hi) = cb.value_range;
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
            return Err(Error::bad_parameter(
                "colorbar",
                format!("value range {lo}..{hi} must be finite and increasing"),
            ));
        }
    }
    Ok(())
}
