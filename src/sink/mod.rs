//! Where finished rows go: push-style sinks in the spirit of ripgrep's `Sink`.
//!
//! The renderer produces the canvas band by band, top to bottom, and hands each band to
//! every sink of the render. A sink asks the band for what it needs (shaded pixels for the
//! PNG, raw aggregate values for `--agg-out`) row by row, so no sink ever holds more than a
//! band.
//!
//! The encoders write to any `Write`: a file ([`PngSink::new`], [`AggregateSink::new`])
//! stays under a temporary name until [`Sink::finish`] renames it, with the render's other
//! outputs ([`crate::io::atomic`]); a `Vec<u8>`, a socket or stdout
//! ([`PngSink::to_writer`], [`AggregateSink::to_writer`]) gets the same bytes and comes back
//! through a [`Finished`]. Two sinks keep the canvas in memory instead, for callers who want
//! pixels or values rather than files: [`RgbaSink`] (an [`RgbaImage`]) and
//! [`AggregateArraySink`] (an [`AggregateArray`]), refused beyond a size limit.
//!
//! A new sink is one file here implementing [`Sink`]; it knows nothing of glyphs or
//! reductions, only of [`Band`]s of finished rows.
//!
//! ```
//! use gigaplot::{
//!     generate, render, AggregateArraySink, ColumnSpec, Compression, GenerateOptions, NoProgress, PngSink,
//!     PointColumns, RenderOptions, RgbaSink, Sink,
//! };
//!
//! # fn main() -> gigaplot::Result<()> {
//! let dir = std::env::temp_dir().join(format!("gigaplot-doc-sinks-{}", std::process::id()));
//! let files = generate(&GenerateOptions { points: 10_000, seed: 7, out_dir: dir.clone() }, &NoProgress)?;
//! let spec = |p: &std::path::Path| ColumnSpec::parse(p.to_str().unwrap());
//! let points = PointColumns::open(&spec(&files.x), &spec(&files.y))?;
//! let options = RenderOptions { width: 64, height: 48, ..RenderOptions::default() };
//! let (png, png_bytes) = PngSink::to_writer(Vec::new(), Compression::Fast);
//! let (rgba, image) = RgbaSink::new();
//! let (agg, aggregate) = AggregateArraySink::new();
//! let sinks: Vec<Box<dyn Sink>> = vec![Box::new(png), Box::new(rgba), Box::new(agg)];
//! let report = render(&points, &options, sinks, &NoProgress)?;
//! assert!(png_bytes.take().unwrap().starts_with(b"\x89PNG"));
//! assert_eq!(image.take().unwrap().shape(), [48, 64, 4]);
//! let counts: Vec<u32> = aggregate.take().unwrap().values()?;
//! assert_eq!(counts.iter().map(|&c| u64::from(c)).sum::<u64>(), report.plotted);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

pub mod aggregate_array;
pub mod attached;
pub mod deflate;
pub(crate) mod destination;
pub mod memory;
pub mod npy;
pub mod png;
pub mod png_image;
pub mod rgba;
pub mod spread;

pub use aggregate_array::{AggregateArray, AggregateArraySink};
pub use attached::AttachedFile;
pub use memory::{Finished, IN_MEMORY_LIMIT};
pub use npy::AggregateSink;
pub use png::{Compression, PngSink, PngWriter};
pub use rgba::{RgbaImage, RgbaSink};
pub use spread::SpreadSink;

use std::sync::Arc;

use crate::canvas::Scale;
use crate::data::DType;
use crate::error::Result;
use crate::shade::{Color, CountHistogram};
/// Sinks read shaded rows in a [`PixelFormat`] and colour scales for colorbars; both are
/// the shader's (re-exported here for sink authors).
pub use crate::shade::{ColorScale, Palette, PixelFormat};

/// The shape of the canvas, told to each sink before the first band.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CanvasInfo {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// True when every shaded pixel is opaque (an opaque background), so RGB suffices.
    pub opaque: bool,
    /// Element type of the raw aggregate (what [`Band::aggregate_row`] writes).
    pub aggregate_dtype: DType,
    /// Values per pixel of the raw aggregate: 1, or the number of categories.
    pub aggregate_channels: u32,
    /// The data ranges (x, y) and scales the canvas shows, for axes.
    pub axes: CanvasAxes,
}

/// The data coordinates of a canvas: `((x_lo, x_hi), x_scale)` and the same for y.
pub type CanvasAxes = (((f64, f64), Scale), ((f64, f64), Scale));

/// One band of finished canvas rows, `y0 .. y0 + height` in image order (row 0 = top).
///
/// Rows may be requested in any order and from several threads at once.
pub trait Band: Sync {
    /// First row of the band in the canvas, counted from the top.
    fn y0(&self) -> u32;
    /// Number of rows.
    fn height(&self) -> u32;
    /// Writes the shaded pixels of band row `row` (0-based within the band) into `out`:
    /// `4 * width` bytes of straight RGBA, or `3 * width` bytes of RGB when
    /// `format` is [`PixelFormat::Rgb`] (only asked for when the canvas is opaque).
    fn shade_row(&self, row: u32, format: PixelFormat, out: &mut [u8]);
    /// Writes the raw aggregate values of band row `row`, little-endian, in the canvas's
    /// aggregate dtype: `width * channels * dtype.size()` bytes.
    fn aggregate_row(&self, row: u32, out: &mut [u8]);
    /// How values map to colours, for a colorbar (None when the reduction has none).
    fn color_scale(&self) -> Option<ColorScale> {
        None
    }
    /// The spread in pixels chosen for the whole canvas by `--dynspread` (the same for every
    /// band; None without it), for [`SpreadSink::dynamic`].
    fn spread_px(&self) -> Option<usize> {
        None
    }
    /// Every colour [`Band::shade_row`] writes in RGBA, when they are at most 256 (the same
    /// for every band; None when the shader cannot bound them): a PNG sink then writes
    /// indexed colour.
    fn palette(&self) -> Option<Arc<Palette>> {
        None
    }
    /// Writes the [`Band::palette`] index of every pixel of band row `row` into `out`
    /// (`width` bytes, one per pixel, unpacked), the same pixels as [`Band::shade_row`]; false
    /// when the band cannot (the default): the sink then shades RGBA and looks colours up.
    fn index_row(&self, _row: u32, _out: &mut [u8]) -> bool {
        false
    }
    /// The exact histogram of the non-zero counts of the whole canvas (every band's, not
    /// this band's alone), when the band's pixels are counts shaded from it: a pyramid's
    /// metadata records each level's count range from it without reading the pixels again.
    /// None (the default) otherwise.
    fn count_histogram(&self) -> Option<&CountHistogram> {
        None
    }
}

/// A consumer of finished bands: a PNG file, an aggregate `.npy`, a tile pyramid...
pub trait Sink: Send {
    /// Called once before the first band.
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()>;
    /// Called for every band, top to bottom, each exactly once.
    fn band(&mut self, band: &dyn Band) -> Result<()>;
    /// Called after the last band: completes the output and moves it into place. A sink
    /// dropped without `finish` (an error or an interrupt) leaves no file behind.
    fn finish(self: Box<Self>) -> Result<()>;
    /// Whether this sink reads a band that has a palette through its shaded pixels alone
    /// ([`Band::palette`], [`Band::index_row`], [`Band::shade_row`], [`Band::color_scale`],
    /// besides its rows), never its aggregates ([`Band::aggregate_row`]) or statistics: the
    /// render may then shade such bands straight to indices, tile by tile, without
    /// holding their cells. False (the default) unless the sink says so.
    fn reads_shaded_only(&self) -> bool {
        false
    }
    /// The colour this sink composites the shaded pixels over itself, when the render
    /// shades over a transparent background for it (a [`SpreadSink`] spreads first): what
    /// the render's check for invisible data compares with. None: the render's background.
    fn backdrop(&self) -> Option<Color> {
        None
    }
}
