//! The orchestrator: plan, partition, gather global statistics, then shade and emit band
//! after band into the sinks.
//!
//! Passes over the data:
//! 1. ranges (only when not given): one parallel min/max pass per column;
//! 2. partition: two passes over the columns (count, scatter), see [`crate::partition`];
//! 3. statistics: every band is aggregated once to build the exact global histogram;
//! 4. emit: every band is aggregated again, shaded with the global statistics and handed to
//!    the sinks, the next band aggregating while the previous one is encoded.
//!
//! Passes 3 and 4 read the partitioned records, not the input; when the whole canvas is a
//! single band, pass 4 reuses the aggregate of pass 3.

use std::path::PathBuf;

use crate::canvas::{auto_range, Axis, Plan, Scale};
use crate::data::{Column, PointColumns};
use crate::error::{Error, Result};
use crate::glyph::PointBinner;
use crate::partition::{partition, Partition};
use crate::progress::{check_cancelled, Progress};
use crate::reduce::CountBand;
use crate::shade::{Color, Colormap, CountHistogram, CountShader, How};
use crate::sink::{Band, CanvasInfo, PixelFormat, Sink};

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
    /// Points that landed on the canvas (not NaN, not out of range).
    pub plotted: u64,
    /// The x range used.
    pub x_range: (f64, f64),
    /// The y range used.
    pub y_range: (f64, f64),
    /// The plan: tile, band height, number of bands.
    pub plan: Plan,
    /// Smallest and largest non-zero pixel count, if any pixel is non-empty.
    pub count_range: Option<(u32, u32)>,
    /// Number of non-empty pixels.
    pub nonzero_pixels: u64,
}

/// Renders the count of `points` into every sink.
pub fn render(
    points: &PointColumns,
    options: &RenderOptions,
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = options.threads {
        if threads == 0 {
            return Err(Error::bad_parameter("--threads", "at least one thread is needed"));
        }
        builder = builder.num_threads(threads);
    }
    let pool = builder
        .build()
        .map_err(|e| Error::bad_parameter("--threads", format!("cannot start threads: {e}")))?;
    pool.install(|| render_in_pool(points, options, sinks, progress))
}

fn render_in_pool(
    points: &PointColumns,
    options: &RenderOptions,
    mut sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    let plan = Plan::new(
        options.width,
        options.height,
        options.tile,
        options.memory_budget,
        rayon::current_num_threads(),
        4,
    )?;
    let canvas = CanvasInfo {
        width: plan.width,
        height: plan.height,
        opaque: options.background.is_opaque(),
        aggregate_dtype: crate::data::DType::U32,
    };
    // Outputs are opened first, so a bad output path fails before any work.
    for sink in &mut sinks {
        sink.begin(&canvas)?;
    }
    if points.is_empty() {
        return Err(Error::bad_input(points.x.label(), "has no points; there is nothing to plot"));
    }
    let x_range = resolve_range(&points.x, options.x_range, "--x-range", progress)?;
    let y_range = resolve_range(&points.y, options.y_range, "--y-range", progress)?;
    let x = Axis::new("--x-range", x_range, plan.width, options.x_scale)?;
    let y = Axis::new("--y-range", y_range, plan.height, options.y_scale)?;

    let scratch_dir = options.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
    let binner = PointBinner::new(points, x, y, &plan);
    let partition = partition(&binner, &scratch_dir, progress)?;
    points.check_unchanged()?;

    let (histogram, kept) = gather_statistics(&plan, &partition, progress)?;
    let shader = CountShader::new(&histogram, options.how, &options.cmap, options.background);
    emit(&plan, &partition, &shader, kept, &mut sinks, progress)?;
    // Outputs replace the old files only once every sink has finished (issue 7).
    let commits = crate::sink::atomic::CommitGroup::begin();
    for sink in sinks {
        sink.finish()?;
    }
    commits.commit()?;
    Ok(RenderReport {
        points: points.len() as u64,
        plotted: partition.total(),
        x_range,
        y_range,
        plan,
        count_range: histogram.min_max(),
        nonzero_pixels: histogram.pixels(),
    })
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

/// Pass 3: aggregates every band and merges the exact histogram of its counts. Keeps the
/// aggregate when there is a single band, so pass 4 need not redo it.
fn gather_statistics(
    plan: &Plan,
    partition: &Partition,
    progress: &dyn Progress,
) -> Result<(CountHistogram, Option<CountBand>)> {
    progress.stage("statistics", u64::from(plan.height));
    let mut histogram = CountHistogram::new();
    let mut band_counts = CountBand::new();
    for band in 0..plan.bands {
        check_cancelled(progress)?;
        band_counts.aggregate(plan, partition, band)?;
        histogram.merge(&band_counts.histogram());
        progress.advance(u64::from(band_counts.rows()));
    }
    let kept = (plan.bands == 1).then_some(band_counts);
    Ok((histogram, kept))
}

/// Pass 4: aggregates, shades and emits every band, top to bottom; band k + 1 aggregates
/// while band k is encoded.
fn emit(
    plan: &Plan,
    partition: &Partition,
    shader: &CountShader,
    kept: Option<CountBand>,
    sinks: &mut [Box<dyn Sink>],
    progress: &dyn Progress,
) -> Result<()> {
    progress.stage("render", u64::from(plan.height));
    let mut current = match kept {
        Some(band) => band,
        None => {
            let mut band = CountBand::new();
            band.aggregate(plan, partition, 0)?;
            band
        }
    };
    let mut next = CountBand::new();
    for band in 0..plan.bands {
        check_cancelled(progress)?;
        let view = ShadedBand { y0: plan.band_rows(band).start, counts: &current, shader };
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

/// A band's counts together with the shader, as the sinks see it.
struct ShadedBand<'a> {
    y0: u32,
    counts: &'a CountBand,
    shader: &'a CountShader,
}

impl Band for ShadedBand<'_> {
    fn y0(&self) -> u32 {
        self.y0
    }

    fn height(&self) -> u32 {
        self.counts.rows()
    }

    fn shade_row(&self, row: u32, format: PixelFormat, out: &mut [u8]) {
        let bpp = format.bytes_per_pixel();
        for (x0, counts) in self.counts.row_pieces(row) {
            let start = x0 as usize * bpp;
            let piece = &mut out[start..start + counts.len() * bpp];
            match format {
                PixelFormat::Rgba => self.shader.shade_rgba(counts, piece),
                PixelFormat::Rgb => self.shader.shade_rgb(counts, piece),
            }
        }
    }

    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        for (x0, counts) in self.counts.row_pieces(row) {
            let start = x0 as usize * 4;
            out[start..start + counts.len() * 4].copy_from_slice(bytemuck::cast_slice(counts));
        }
    }
}
