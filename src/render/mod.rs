//! The one generic driver: plan, partition, gather global statistics, then shade and emit
//! band after band into the sinks, for any (glyph, reduction) pair of the table.
//!
//! Passes over the data:
//! 1. summary (only for ranges not given, and count-cat's number of categories): one
//!    parallel pass reading those columns side by side (`inputs.rs`);
//! 2. partition: one pass over the columns (bin and write), see [`crate::partition`]; or,
//!    for points on a canvas that is one band, direct aggregation (`direct.rs`): one pass
//!    binning the columns straight into the band's cells, which passes 3 and 4 then share;
//!    or, for count and any on a canvas too large for the budget whose points outnumber its
//!    pixels a quarter to one, compact counts (`compact.rs`): one pass into a byte per
//!    pixel and an exact side table, which bands are decoded from;
//! 3. statistics: every band is aggregated to build the exact global statistics (once for
//!    counts and categories; twice for float eq-hist, whose histogram bins need the global
//!    min and max first); with `--dynspread` the first of them also streams every row's
//!    mask of non-empty pixels into a [`crate::shade::DensityStream`], which decides the spread of the
//!    whole canvas (see [`crate::shade::density`]);
//! 4. emit: every band is shaded with the global statistics and handed to the sinks, the
//!    next band read or aggregated while the previous one is encoded.
//!
//! Passes 3 and 4 read the partitioned records, not the input, and fold each band's
//! records once: the cells are kept between the passes (`kept.rs`: in memory for one or
//! two bands, else in a scratch file when smaller than the records), unless folding
//! again reads fewer bytes. What differs between glyphs is a
//! [`crate::glyph::Glyph`], between reductions a [`crate::reduce::Reducer`] and its
//! shading [`crate::shade::Family`]; `table.rs` declares which pairs exist, `driver.rs` runs
//! any of them, [`band`] holds a band's cells. Rasters skip the partition ([`raster`]):
//! their bands come from resampling, then share passes 3 and 4.

pub mod band;
mod by_category;
mod compact;
mod direct;
mod driver;
mod indexed;
mod inputs;
pub(crate) mod levels;

mod kept;
mod lit_cells;
pub mod raster;
mod table;
mod tally;

use std::path::PathBuf;

use crate::canvas::{Plan, Scale};
use crate::data::PointColumns;
use crate::error::{Error, Field, Result};
use crate::progress::Progress;
use crate::reduce::Reduction;
use crate::shade::{Color, Colormap, Dynspread, How, Invisible};
use crate::sink::Sink;

pub use band::BandCells;
pub use by_category::aggregate_by;
pub use raster::{render_raster, RasterInput};
#[doc(hidden)]
pub use tally::Tally;

/// Categories a `count-cat` render accepts (values 0 to 255 of the category column).
pub const MAX_CATEGORIES: usize = 256;

/// Everything that describes a render except the data and the outputs.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// Canvas width in pixels.
    pub width: u32,
    /// Canvas height in pixels.
    pub height: u32,
    /// Data range of x; None computes it from the data (Datashader's rule).
    pub x_range: Option<(f64, f64)>,
    /// Data range of y; None computes it from the data.
    pub y_range: Option<(f64, f64)>,
    /// Linear or log x axis.
    pub x_scale: Scale,
    /// Linear or log y axis.
    pub y_scale: Scale,
    /// Transfer function.
    pub how: How,
    /// Colormap.
    pub cmap: Colormap,
    /// Colour of empty pixels (transparent by default, as in Datashader).
    pub background: Color,
    /// Tile side in pixels: the unit of parallel work. Does not change the output.
    pub tile: u32,
    /// Worker threads; None uses every core, as many as the memory budget holds (see
    /// [`RenderOptions::worker_threads`]). Does not change the output.
    pub threads: Option<usize>,
    /// Peak memory budget in bytes.
    pub memory_budget: u64,
    /// Directory for the scratch file; None uses the system temporary directory.
    pub scratch_dir: Option<PathBuf>,
    /// What each pixel aggregates; all but count and any read the points' value column.
    pub reduction: Reduction,
    /// Colours of the categories of `count-cat` (None: Datashader's Sets1to3 palette).
    pub color_key: Option<Vec<Color>>,
    /// Points, or the line through consecutive points (one line per series when the
    /// points hold several: [`PointColumns::open_series`]).
    pub glyph: Glyph,
    /// Line width in pixels of `Glyph::Lines`: 0 draws width-0 lines (Bresenham), more
    /// draws Datashader's anti-aliased lines (values weighed by coverage).
    pub line_width: f64,
    /// Datashader's `tf.dynspread`: choose one spread for the whole canvas from the density
    /// of its non-empty pixels (gathered in the statistics pass), handed to the sinks with
    /// every band ([`crate::sink::Band::spread_px`]; a [`crate::sink::SpreadSink::dynamic`] spreads by it).
    pub dynspread: Option<Dynspread>,
}

/// What is drawn for the x/y columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Glyph {
    /// One point per row (Datashader's `Canvas.points`).
    #[default]
    Points,
    /// A polyline through consecutive rows, broken at NaN, width 0 (`Canvas.line`).
    Lines,
}

impl std::str::FromStr for Glyph {
    type Err = String;
    fn from_str(text: &str) -> std::result::Result<Glyph, String> {
        match text {
            "points" => Ok(Glyph::Points),
            "lines" | "line" => Ok(Glyph::Lines),
            _ => Err(format!("unknown glyph '{text}'; use points or lines")),
        }
    }
}

impl RenderOptions {
    /// Checks the options on their own, before any data is read: the scratch directory is
    /// a directory, the dynspread parameters, thread count and line width are in range, the
    /// (glyph, reduction) pair is supported, and the canvas and memory budget make a plan
    /// (sides a PNG can hold, a budget that holds one band). [`render`] calls it; a caller
    /// may call it first to refuse bad options before opening anything.
    pub fn validate(&self) -> Result<()> {
        if let Some(dir) = &self.scratch_dir {
            if !dir.is_dir() {
                return Err(Error::bad_parameter(
                    Field::ScratchDir,
                    format!("{} is not a directory", dir.display()),
                ));
            }
        }
        self.dynspread.as_ref().map_or(Ok(()), Dynspread::check)?;
        check_threads(self.threads)?;
        check_line_width(self)?;
        table::check_supported(self)?;
        Plan::new(self.width, self.height, self.tile, self.memory_budget, self.worker_threads(), 4)?;
        Ok(())
    }

    /// The worker threads of a render: [`RenderOptions::threads`], or one per core (rayon's
    /// count, which `RAYON_NUM_THREADS` sets) as far as the memory budget holds their
    /// buffers ([`Plan::threads_within`]).
    pub fn worker_threads(&self) -> usize {
        self.threads.unwrap_or_else(|| {
            rayon::current_num_threads().min(Plan::threads_within(self.width, self.memory_budget))
        })
    }
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            width: 2000,
            height: 2000,
            x_range: None,
            y_range: None,
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            how: How::EqHist,
            cmap: Colormap::default(),
            background: Color::TRANSPARENT,
            tile: DEFAULT_TILE,
            threads: None,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            scratch_dir: None,
            reduction: Reduction::Count,
            color_key: None,
            glyph: Glyph::Points,
            line_width: 0.0,
            dynspread: None,
        }
    }
}

/// The size of a thumbnail of a `width` x `height` canvas whose longest side is `longest`
/// pixels: the other side in proportion, rounded, at least 1 (`--thumbnail`: 4000 x 3000
/// with 400 gives 400 x 300).
pub fn thumbnail_size(width: u32, height: u32, longest: u32) -> (u32, u32) {
    let scaled = |side: u32, long: u32| {
        ((f64::from(side) * f64::from(longest) / f64::from(long.max(1))).round() as u32).max(1)
    };
    if width >= height {
        (longest, scaled(height, width))
    } else {
        (scaled(width, height), longest)
    }
}

/// Default tile side.
pub const DEFAULT_TILE: u32 = 256;

/// Default memory budget: 256 MiB.
pub const DEFAULT_MEMORY_BUDGET: u64 = 256 << 20;

/// What a finished render found.
#[derive(Clone, Debug)]
pub struct RenderReport {
    /// Points in the input.
    pub points: u64,
    /// Points that landed on the canvas (not NaN, not out of range). For lines: the segment
    /// records stored, a segment once per band it crosses (so it can exceed `points`).
    pub plotted: u64,
    /// The x range used.
    pub x_range: (f64, f64),
    /// The y range used.
    pub y_range: (f64, f64),
    /// The plan: tile, band height, number of bands.
    pub plan: Plan,
    /// The spread `--dynspread` chose for the whole canvas (None without it).
    pub dynspread_px: Option<usize>,
    /// What the caller should tell the user about the picture (the command line prints each
    /// on a line of stderr; a Python caller would `warnings.warn` them). Empty when all is well.
    pub warnings: Vec<Warning>,
}

/// Something a finished render noticed about its picture: the outputs are written, but a
/// person looking at them may be misled.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Warning {
    /// The lowest values are shaded in (nearly) the background's colour, so those pixels
    /// cannot be seen (`fire` on black); a colormap range fixes it.
    Invisible(Invisible),
    /// No pixel has a value: no point landed on the canvas, or every value aggregated was
    /// NaN. The picture is the background alone.
    Empty,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::Invisible(invisible) => invisible.fmt(f),
            Warning::Empty => f.write_str(
                "every pixel is empty (no point landed on the canvas, or every value was NaN), \
                 so the picture shows only the background",
            ),
        }
    }
}

/// Renders `points` with `options.reduction` into every sink. Refuses bad options
/// ([`RenderOptions::validate`]) and a render the disk cannot hold
/// ([`crate::io::preflight::check_render_disk_space`]) before any pass over the data.
pub fn render(
    points: &PointColumns<'_>,
    options: &RenderOptions,
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    options.validate()?;
    let pool = thread_pool(options)?;
    pool.install(|| render_in_pool(points, options, sinks, None, progress))
}

/// Renders like [`render`] and, in the same passes, every coarser level of a pyramid: level
/// k (`levels[k - 1]`, half the size of level k - 1) merged 2 x 2 from the canvas's own
/// reduction state, shaded with its own statistics into its sinks (see [`levels`]); every
/// level's statistics gathered over every row (`io` default), over a shard's rows, handed
/// out instead of emitting, or taken from a file, and only the rows `io` keeps partitioned.
pub(crate) fn render_with_levels(
    points: &PointColumns<'_>,
    options: &RenderOptions,
    sinks: Vec<Box<dyn Sink>>,
    levels: levels::LevelSinks,
    io: levels::LevelStatsIo,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    options.validate()?;
    let pool = thread_pool(options)?;
    pool.install(|| render_in_pool(points, options, sinks, Some((levels, io)), progress))
}

/// Most worker threads a render starts: far beyond any machine's cores, and low enough that
/// the per-thread memory of the plan stays meaningful.
pub const MAX_THREADS: usize = 1024;

/// Checks a thread count: 1 to [`MAX_THREADS`] (None: one per core).
pub fn check_threads(threads: Option<usize>) -> Result<()> {
    match threads {
        Some(0) => Err(Error::bad_parameter(Field::Threads, "at least one thread is needed")),
        Some(n) if n > MAX_THREADS => Err(Error::bad_parameter(
            Field::Threads,
            format!("{n} threads is more than the {MAX_THREADS} a render can use"),
        )),
        _ => Ok(()),
    }
}

/// The worker pool of a render: [`RenderOptions::worker_threads`] threads.
pub(crate) fn thread_pool(options: &RenderOptions) -> Result<rayon::ThreadPool> {
    check_threads(options.threads)?;
    rayon::ThreadPoolBuilder::new()
        .num_threads(options.worker_threads())
        .build()
        .map_err(|e| Error::bad_parameter(Field::Threads, format!("cannot start threads: {e}")))
}

fn render_in_pool(
    points: &PointColumns<'_>,
    options: &RenderOptions,
    sinks: Vec<Box<dyn Sink>>,
    levels: Option<(levels::LevelSinks, levels::LevelStatsIo)>,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    if options.reduction.needs_value() && points.value.is_none() {
        return Err(Error::bad_parameter(
            Field::Value,
            problem![
                format!("the {} reduction needs a value column (", options.reduction),
                Field::Value.usage(),
                ")"
            ],
        ));
    }
    check_line_width(options)?;
    check_series(points, options)?;
    match levels {
        // A pyramid's first and last records are larger (`reduce/ordered.rs`).
        Some(_) => crate::io::preflight::check_pyramid_disk_space(options, points.len() as u64)?,
        None => crate::io::preflight::check_render_disk_space(options, points.len() as u64, None)?,
    }
    let inputs = inputs::resolve(points, options, progress)?;
    table::run(driver::PointRender { points, inputs, options, sinks, levels, progress })
}

/// A line width is a finite number >= 0, and above 0 only for lines.
fn check_line_width(options: &RenderOptions) -> Result<()> {
    let w = options.line_width;
    if !w.is_finite() || w < 0.0 {
        return Err(Error::bad_parameter(Field::LineWidth, format!("must be a finite number >= 0, not {w}")));
    }
    if w > 0.0 && options.glyph != Glyph::Lines {
        return Err(Error::bad_parameter(
            Field::LineWidth,
            problem!["applies to ", Field::Glyph.set("lines"), " only"],
        ));
    }
    Ok(())
}

/// Several series (2-D arrays, `--series`) are drawn as lines only.
fn check_series(points: &PointColumns<'_>, options: &RenderOptions) -> Result<()> {
    let Some(layout) = points.series else { return Ok(()) };
    if options.glyph != Glyph::Lines {
        return Err(Error::bad_input(
            points.y.label(),
            problem![
                format!(
                    "holds {} series of {} values; several series are drawn with ",
                    layout.count, layout.rows
                ),
                Field::Glyph.set("lines"),
                " (points need 1-D columns, or FILE.npy:K)"
            ],
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "line_values_tests.rs"]
mod tests;

#[cfg(test)]
mod whole_canvas_tests;

#[cfg(test)]
mod thumbnail_tests {
    #[test]
    fn thumbnails_keep_the_aspect_ratio() {
        use super::thumbnail_size;
        assert_eq!(thumbnail_size(4000, 3000, 400), (400, 300));
        assert_eq!(thumbnail_size(3000, 4000, 400), (300, 400));
        assert_eq!(thumbnail_size(65536, 65536, 1000), (1000, 1000));
        assert_eq!(thumbnail_size(40000, 20000, 999), (999, 500)); // 499.5 rounds up
        assert_eq!(thumbnail_size(100_000, 3, 500), (500, 1)); // never 0
        assert_eq!(thumbnail_size(10, 5, 40), (40, 20)); // larger than the canvas
    }
}
