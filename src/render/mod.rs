//! The orchestrator: plan, partition, gather global statistics, then shade and emit band
//! after band into the sinks.
//!
//! Passes over the data:
//! 1. ranges (only when not given): one parallel min/max pass per column;
//! 2. partition: one pass over the columns (bin and write), see [`crate::partition`];
//! 3. statistics: every band is aggregated to build the exact global statistics (once for
//!    counts and categories; twice for float eq-hist, whose histogram bins need the global
//!    min and max first); with `--dynspread` the first of them also streams every row's
//!    mask of non-empty pixels into a [`DensityStream`], which decides the spread of the
//!    whole canvas (see [`crate::shade::density`]);
//! 4. emit: every band is aggregated again, shaded with the global statistics and handed to
//!    the sinks, the next band aggregating while the previous one is encoded.
//!
//! Passes 3 and 4 read the partitioned records, not the input; when the whole canvas is a
//! single band, it is aggregated once for all passes. What differs between reductions (and
//! glyphs) is a [`Kind`] (`kinds.rs`); rasters skip the partition (`raster.rs`).

mod kinds;
mod line_kinds;
pub mod raster;

use std::path::PathBuf;

use crate::canvas::{auto_range, Axis, Plan, Scale};
use crate::data::{Column, DType, PointColumns};
use crate::error::{Error, Result};
use crate::partition::Partition;
use crate::progress::{check_cancelled, Progress};
use crate::reduce::value::{First, Last, Max, Mean, Min, Std, Sum, Var};
use crate::reduce::{Accumulator, Reduction};
use crate::shade::{Color, Colormap, DensityStream, Dynspread, How};
use crate::sink::{Band, CanvasInfo, PixelFormat, Sink};

pub use kinds::{AaLines, Categories, CountGlyph, Counts, Kind, LineGlyph, PointGlyph, ValueGlyph, Values};
pub use line_kinds::{AaCategories, AaValues};
pub use raster::{render_raster, RasterInput};

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
    /// Worker threads; None uses every core. Does not change the output.
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
    /// every band ([`Band::spread_px`]; a [`crate::sink::SpreadSink::dynamic`] spreads by it).
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
}

/// Renders `points` with `options.reduction` into every sink.
pub fn render(
    points: &PointColumns,
    options: &RenderOptions,
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    options.dynspread.as_ref().map_or(Ok(()), Dynspread::check)?;
    let pool = thread_pool(options)?;
    pool.install(|| render_in_pool(points, options, sinks, progress))
}

/// Most worker threads a render starts: far beyond any machine's cores, and low enough that
/// the per-thread memory of the plan stays meaningful.
pub const MAX_THREADS: usize = 1024;

/// Checks a thread count: 1 to [`MAX_THREADS`] (None: one per core).
pub fn check_threads(threads: Option<usize>) -> Result<()> {
    match threads {
        Some(0) => Err(Error::bad_parameter("--threads", "at least one thread is needed")),
        Some(n) if n > MAX_THREADS => Err(Error::bad_parameter(
            "--threads",
            format!("{n} threads is more than the {MAX_THREADS} a render can use"),
        )),
        _ => Ok(()),
    }
}

/// The worker pool of a render: `options.threads` threads, or one per core.
fn thread_pool(options: &RenderOptions) -> Result<rayon::ThreadPool> {
    check_threads(options.threads)?;
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = options.threads {
        builder = builder.num_threads(threads);
    }
    builder.build().map_err(|e| Error::bad_parameter("--threads", format!("cannot start threads: {e}")))
}

fn render_in_pool(
    points: &PointColumns,
    options: &RenderOptions,
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    let value = match (options.reduction.needs_value(), points.value.as_ref()) {
        (true, Some(value)) => Some(value),
        (true, None) => {
            return Err(Error::bad_parameter(
                "--value",
                format!("the {} reduction needs a value column (--value FILE.npy)", options.reduction),
            ))
        }
        (false, _) => None,
    };
    let width = options.width;
    let float_dtype = |keep_f32: bool| match value.map(Column::dtype) {
        Some(DType::F32) if keep_f32 => DType::F32,
        _ => DType::F64,
    };
    check_line_width(options)?;
    check_series(points, options)?;
    if options.glyph == Glyph::Lines {
        return line_kinds::render_lines(points, value, options, sinks, progress);
    }
    match options.reduction {
        Reduction::Count => run(Counts::<PointGlyph>::new(false), points, None, options, sinks, progress),
        Reduction::Any => run(Counts::<PointGlyph>::new(true), points, None, options, sinks, progress),
        Reduction::Sum => {
            run_values::<Sum>(width, float_dtype(false), points, value, options, sinks, progress)
        }
        Reduction::Mean => {
            run_values::<Mean>(width, float_dtype(false), points, value, options, sinks, progress)
        }
        Reduction::Var => {
            run_values::<Var>(width, float_dtype(false), points, value, options, sinks, progress)
        }
        Reduction::Std => {
            run_values::<Std>(width, float_dtype(false), points, value, options, sinks, progress)
        }
        Reduction::Min => {
            run_values::<Min>(width, float_dtype(true), points, value, options, sinks, progress)
        }
        Reduction::Max => {
            run_values::<Max>(width, float_dtype(true), points, value, options, sinks, progress)
        }
        Reduction::First => {
            run_values::<First>(width, float_dtype(true), points, value, options, sinks, progress)
        }
        Reduction::Last => {
            run_values::<Last>(width, float_dtype(true), points, value, options, sinks, progress)
        }
        Reduction::CountCat => {
            let column = value.expect("checked above");
            let categories = category_count(column, progress)?;
            run(Categories::<PointGlyph>::new(categories), points, value, options, sinks, progress)
        }
    }
}

/// A line width is a finite number >= 0, and above 0 only for lines.
fn check_line_width(options: &RenderOptions) -> Result<()> {
    let w = options.line_width;
    if !w.is_finite() || w < 0.0 {
        return Err(Error::bad_parameter("--line-width", format!("must be a finite number >= 0, not {w}")));
    }
    if w > 0.0 && options.glyph != Glyph::Lines {
        return Err(Error::bad_parameter("--line-width", "applies to --glyph lines only"));
    }
    Ok(())
}

/// Several series (2-D arrays, `--series`) are drawn as lines only.
fn check_series(points: &PointColumns, options: &RenderOptions) -> Result<()> {
    let Some(layout) = points.series else { return Ok(()) };
    if options.glyph != Glyph::Lines {
        return Err(Error::bad_input(
            points.y.label(),
            format!(
                "holds {} series of {} values; several series are drawn with --glyph lines (points need \
                 1-D columns, or FILE.npy:K)",
                layout.count, layout.rows
            ),
        ));
    }
    Ok(())
}

fn run_values<A: Accumulator>(
    width: u32,
    dtype: DType,
    points: &PointColumns,
    value: Option<&Column>,
    options: &RenderOptions,
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    run(Values::<A>::new(width, dtype), points, value, options, sinks, progress)
}

/// The whole render of one reduction family `K`.
fn run<K: Kind>(
    kind: K,
    points: &PointColumns,
    value: Option<&Column>,
    options: &RenderOptions,
    mut sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    let bytes_per_pixel = (kind.dtype().size() as u32 * kind.channels()).max(4);
    let plan = Plan::new(
        options.width,
        options.height,
        options.tile,
        options.memory_budget,
        rayon::current_num_threads(),
        kind.accumulator_bytes().max(bytes_per_pixel),
    )?;
    if points.is_empty() {
        return Err(Error::bad_input(points.x.label(), "has no points; there is nothing to plot"));
    }
    let x_range = resolve_range(&points.x, options.x_range, "--x-range", progress)?;
    let y_range = resolve_range(&points.y, options.y_range, "--y-range", progress)?;
    let x = Axis::new("--x-range", x_range, plan.width, options.x_scale)?;
    let y = Axis::new("--y-range", y_range, plan.height, options.y_scale)?;
    let canvas = CanvasInfo {
        width: plan.width,
        height: plan.height,
        opaque: options.background.is_opaque(),
        aggregate_dtype: kind.dtype(),
        aggregate_channels: kind.channels(),
        axes: ((x_range, options.x_scale), (y_range, options.y_scale)),
    };
    // Outputs are opened before the partition, so a bad output path fails early.
    for sink in &mut sinks {
        sink.begin(&canvas)?;
    }

    let scratch_dir = options.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
    let partition = K::partition(
        kinds::Input { points, value, x, y, line_width: options.line_width },
        &plan,
        &scratch_dir,
        progress,
    )?;
    points.check_unchanged()?;

    let dynspread_px =
        finish_render(kind, &plan, &partition, options, sinks, progress, || points.check_unchanged())?;
    let plotted = partition.total();
    Ok(RenderReport { points: points.len() as u64, plotted, x_range, y_range, plan, dynspread_px })
}

/// Passes 3 and 4 and the commit of the outputs, shared by every render: statistics (and
/// the dynspread decision), shading and emission, then `unchanged` (the inputs must not have
/// changed meanwhile), then every output replaces its old file at once. Returns the spread
/// `options.dynspread` chose.
fn finish_render<K: Kind>(
    kind: K,
    plan: &Plan,
    partition: &Partition,
    options: &RenderOptions,
    mut sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
    unchanged: impl Fn() -> Result<()>,
) -> Result<Option<usize>> {
    let mut density =
        options.dynspread.map(|d| DensityStream::new(plan.width as usize, plan.height as usize, d.max_px));
    let (stats, kept) = gather_statistics(&kind, plan, partition, options.how, density.as_mut(), progress)?;
    let spread_px = match (density, options.dynspread) {
        (Some(density), Some(d)) => {
            let stats =
                density.finish().ok_or_else(|| Error::bad_parameter("--dynspread", "rows missing"))?;
            Some(stats.dynspread_px(d.threshold))
        }
        _ => None,
    };
    let shader = K::shader(&stats, options);
    emit(kind, plan, partition, (&shader, spread_px), kept, &mut sinks, progress)?;
    // Outputs replace the old files only once every sink has finished (issue 7).
    let commits = crate::io::CommitGroup::begin();
    for sink in sinks {
        sink.finish()?;
    }
    // An input modified during the render makes the output suspect: check again, as late
    // as possible.
    unchanged()?;
    commits.commit()?;
    Ok(spread_px)
}

/// The number of categories of a count-cat column: its maximum + 1, after checking that
/// it holds non-negative integers below [`MAX_CATEGORIES`].
fn category_count(column: &Column, progress: &dyn Progress) -> Result<usize> {
    if column.dtype().is_float() {
        return Err(Error::bad_input(
            column.label(),
            format!("is {}; count-cat needs an integer or bool category column", column.dtype().name()),
        ));
    }
    progress.stage("categories", column.len() as u64);
    let summary = column.summary();
    progress.advance(column.len() as u64);
    match (summary.min, summary.max) {
        (Some(min), Some(max)) if min >= 0.0 && max < MAX_CATEGORIES as f64 => Ok(max as usize + 1),
        (Some(min), Some(max)) => Err(Error::bad_input(
            column.label(),
            format!("holds categories {min} to {max}; count-cat takes 0 to {}", MAX_CATEGORIES - 1),
        )),
        _ => Err(Error::bad_input(column.label(), "has no categories")),
    }
}

/// The range to use for one axis: the given one, or Datashader's automatic one.
fn resolve_range(
    column: &Column,
    given: Option<(f64, f64)>,
    flag: &str,
    progress: &dyn Progress,
) -> Result<(f64, f64)> {
    if let Some(range) = given {
        return Ok(range);
    }
    progress.stage("range", column.len() as u64);
    let summary = column.summary();
    progress.advance(column.len() as u64);
    check_cancelled(progress)?;
    if summary.nan_count == summary.len as u64 {
        return Err(Error::bad_input(column.label(), "every value is NaN; there is nothing to plot"));
    }
    if summary.inf_count > 0 {
        return Err(Error::bad_input(
            column.label(),
            format!(
                "holds {} infinite values, so no range can be computed from the data; give {flag}",
                summary.inf_count
            ),
        ));
    }
    Ok(auto_range(summary.min, summary.max))
}

/// Pass 3: aggregates every band and gathers the global statistics, in as many passes
/// as the shading needs, and in the first the lit mask into `density` (for dynspread:
/// every kind's shading makes exactly its non-empty pixels non-transparent). A
/// single-band canvas is aggregated once and kept for pass 4.
fn gather_statistics<K: Kind>(
    kind: &K,
    plan: &Plan,
    partition: &Partition,
    how: How,
    mut density: Option<&mut DensityStream>,
    progress: &dyn Progress,
) -> Result<(K::Stats, Option<K>)> {
    let mut stats = kind.new_stats();
    let mut band = kind.fresh();
    let single = plan.bands == 1;
    if single {
        band.aggregate(plan, partition, 0)?;
    }
    for pass in 0..K::passes(how) {
        progress.stage("statistics", u64::from(plan.height));
        for b in 0..plan.bands {
            check_cancelled(progress)?;
            if !single {
                band.aggregate(plan, partition, b)?;
            }
            band.gather(plan.width as usize, pass, &mut stats);
            if let (0, Some(density)) = (pass, density.as_deref_mut()) {
                density.push_rows(band.rows() as usize, |row, out| band.lit_row(row as u32, out));
            }
            progress.advance(u64::from(band.rows()));
        }
        K::end_pass(&mut stats, pass, how);
    }
    Ok((stats, single.then_some(band)))
}

/// Pass 4: aggregates, shades and emits every band, top to bottom; band k + 1 aggregates
/// while band k is encoded.
fn emit<K: Kind>(
    kind: K,
    plan: &Plan,
    partition: &Partition,
    (shader, spread_px): (&K::Shader, Option<usize>),
    kept: Option<K>,
    sinks: &mut [Box<dyn Sink>],
    progress: &dyn Progress,
) -> Result<()> {
    progress.stage("render", u64::from(plan.height));
    let mut current = match kept {
        Some(band) => band,
        None => {
            let mut band = kind.fresh();
            band.aggregate(plan, partition, 0)?;
            band
        }
    };
    let mut next = kind;
    for band in 0..plan.bands {
        check_cancelled(progress)?;
        let view = ShadedBand { y0: plan.band_rows(band).start, band: &current, shader, spread_px };
        let (emitted, aggregated) = rayon::join(
            || sinks.iter_mut().try_for_each(|sink| sink.band(&view)),
            || match band + 1 < plan.bands {
                true => next.aggregate(plan, partition, band + 1),
                false => Ok(()),
            },
        );
        emitted?;
        aggregated?;
        progress.advance(u64::from(current.rows()));
        std::mem::swap(&mut current, &mut next);
    }
    Ok(())
}

/// A band's aggregate together with the shader, as the sinks see it.
struct ShadedBand<'a, K: Kind> {
    y0: u32,
    band: &'a K,
    shader: &'a K::Shader,
    spread_px: Option<usize>,
}

impl<K: Kind> Band for ShadedBand<'_, K> {
    fn y0(&self) -> u32 {
        self.y0
    }

    fn height(&self) -> u32 {
        self.band.rows()
    }

    fn shade_row(&self, row: u32, format: PixelFormat, out: &mut [u8]) {
        self.band.shade_row(self.shader, row, format, out);
    }

    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        self.band.aggregate_row(row, out);
    }

    fn color_scale(&self) -> Option<crate::sink::ColorScale> {
        K::color_scale(self.shader)
    }

    fn spread_px(&self) -> Option<usize> {
        self.spread_px
    }
}
