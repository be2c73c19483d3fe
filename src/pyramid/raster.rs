//! Pyramids of a raster (`render --raster grid.npy --pyramid DIR`): every level is the
//! raster resampled onto that level's canvas, as a flat render of the raster at that size
//! would resample it, then shaded with the level's own statistics and cut into tiles.
//!
//! The finest level is the canvas itself: its tiles are the `--bare` render of the raster
//! cut into tiles, byte for byte. Level `k` steps coarser is `ceil(W / 2^k) x ceil(H / 2^k)`
//! pixels, each covering the `2^k x 2^k` finest pixels below it: its canvas has the ranges
//! of those whole blocks (the canvas's own ranges when the sides are multiples of `2^k`,
//! else reaching past the right and bottom edges by the padding pixels, which show the
//! raster where it extends there and are empty elsewhere).
//!
//! Why resample each level rather than merge the finest level 2 x 2 as point pyramids do
//! ([`crate::pyramid::generic`]): a raster pixel holds the resampled value alone, not a
//! mergeable reduction state. A coarse pixel's `mean` weighs every raster cell by its
//! overlap with the pixel, which the means of four finer pixels (each over a different
//! share of cells) do not give back; `mode`, `std` and `var` have no 2 x 2 merge, and an
//! upsampled (nearest, linear) raster is sampled at the coarse pixel's centre, not at the
//! four finer centres. Resampling each level gives what Datashader's `Canvas.raster`
//! gives on that level's canvas, exactly.
//!
//! Passes: the coarsest levels, as many as a quarter of the memory budget holds whole (8
//! bytes a pixel, at least two of them), are resampled together in ONE read of the raster
//! ([`crate::glyph::raster::resample_in_one_read`]: each raster row decoded once and fed to
//! every level's open canvas rows, each pixel's cells in its own render's order, so the
//! values are the same bits), then rendered one by one from memory. The finer levels (and
//! every level of a `mode` pyramid, whose open rows would keep every value they cover) are
//! each a raster render reading the rows its canvas covers (memory-mapped, read in place,
//! no partition): there are few of them, each parallel over its many rows, whereas a
//! coarse level read alone is a few rows and so a few threads over the whole raster. A tile
//! whose every pixel is the background is not written.

use crate::error::{Error, Field, Result};
use crate::glyph::raster::Downsample;
use crate::progress::Progress;
use crate::pyramid::generic::{describe, finest_level, level_sink};
use crate::pyramid::{staging, PyramidOptions, PyramidPlan, PyramidReport, PyramidSummary};
use crate::render::raster::{render_resampled, resample_raster_canvases};
use crate::render::{render_raster, RasterInput, RenderOptions};
use crate::sink::Sink;

/// Renders the pyramid of a raster into [`PyramidOptions::dir`], replacing it complete
/// (written under a temporary directory and swapped in), each level resampled from the
/// raster onto its own canvas. The canvas is that of `options`, whose ranges default to
/// the raster's extent; `sinks` get that canvas (a PNG, an aggregate) in the same render as
/// the finest level. Returns the report of the finest level's render.
///
/// Refuses what belongs to count pyramids of points: shards, a statistics file, one
/// level's statistics for every level, a projection.
pub fn render_raster_pyramid(
    raster: &RasterInput<'_>,
    options: &RenderOptions,
    pyramid: &PyramidOptions,
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<PyramidReport> {
    let (x0, x1, y0, y1) = raster.placement.extent;
    let options = RenderOptions {
        x_range: Some(options.x_range.unwrap_or((x0, x1))),
        y_range: Some(options.y_range.unwrap_or((y0, y1))),
        ..options.clone()
    };
    let plan = check(&options, pyramid)?;
    options.validate()?;
    raster.placement.check()?;
    crate::pyramid::render::check_viewer_assets(pyramid)?;
    let staged = staging::begin(&pyramid.dir)?;
    let dir = staged.dir().to_path_buf();
    let mut summary = PyramidSummary::default();
    let result = (|| {
        let finest = finest_level(&dir, &plan, pyramid.format)?;
        let streamed = streamed_levels(&options, finest, raster.how.0);
        let mut sinks = Some(sinks);
        let mut report = None;
        let mut render_level = |zoom: u32, values: Option<Vec<f64>>| -> Result<()> {
            let level = level_options(&options, finest - zoom);
            let (tiles, written) = level_sink(&dir, zoom, plan.tile, pyramid);
            let mut level_sinks = vec![tiles];
            if zoom == finest {
                level_sinks.extend(sinks.take().unwrap_or_default());
            }
            let rendered = match values {
                Some(values) => render_resampled(raster, values, &level, level_sinks, progress)?,
                None => render_raster(raster, &level, level_sinks, progress)?,
            };
            if zoom == finest {
                report = Some(rendered);
            }
            let (written, empty, _) = written.take().unwrap_or_default();
            summary.tiles.written += written;
            summary.tiles.empty += empty;
            Ok(())
        };
        // The finer levels first, the finest first (its render's memory is the peak), then
        // the coarsest from one read of the raster, each dropped once rendered.
        for zoom in (streamed.end..=finest).rev() {
            render_level(zoom, None)?;
        }
        let canvases: Vec<RenderOptions> =
            streamed.clone().map(|zoom| level_options(&options, finest - zoom)).collect();
        let values = resample_raster_canvases(raster, &canvases, progress)?;
        for (zoom, values) in streamed.clone().zip(values) {
            render_level(zoom, Some(values))?;
        }
        describe(&dir, &plan, &options, pyramid, &[], None)?;
        report.ok_or_else(|| Error::usage("render_raster_pyramid", "a pyramid has at least one level"))
    })();
    let report = result.map_err(|e| staged.rename_in_error(e))?;
    staged.install()?;
    summary.wrote_metadata = true;
    Ok(PyramidReport { render: report, pyramid: summary })
}

/// The share of the memory budget the levels resampled in one read may hold.
const STREAMED_SHARE: u64 = 4;

/// The levels (zooms `0..end`, the coarsest) resampled together in one read of the raster
/// and held whole until rendered: as many as fit in a quarter of the budget (8 bytes a
/// pixel), never the finest, and at least two (one level reads the raster as fast alone,
/// on every thread); none for `mode`, whose rows would keep every value they cover.
fn streamed_levels(options: &RenderOptions, finest: u32, how: Downsample) -> std::ops::Range<u32> {
    let allowance = options.memory_budget / STREAMED_SHARE;
    let mut bytes = 0u64;
    let mut end = 0;
    while end < finest && how != Downsample::Mode {
        let level = level_options(options, finest - end);
        bytes += u64::from(level.width) * u64::from(level.height) * 8;
        if bytes > allowance {
            break;
        }
        end += 1;
    }
    if end < 2 {
        end = 0;
    }
    0..end
}

/// Fails unless a raster pyramid can be built with `options` (ranges resolved): one process,
/// each level's own statistics, no projection, a tile that works. Returns the plan.
fn check(options: &RenderOptions, pyramid: &PyramidOptions) -> Result<PyramidPlan> {
    let plan = PyramidPlan::new(options.width, options.height, pyramid.tile)?;
    if pyramid.shard.count > 1 {
        return Err(Error::bad_parameter(
            Field::Shard,
            "pyramids of a raster are rendered in one process; shards are for count pyramids of points",
        ));
    }
    if pyramid.stats.is_some() {
        return Err(Error::bad_parameter(
            Field::Stats,
            "pyramids of a raster compute each level's statistics as they render; give no statistics file",
        ));
    }
    if pyramid.span_from_level.is_some() {
        return Err(Error::bad_parameter(
            Field::SpanFromLevel,
            "pyramids of a raster shade every level with its own statistics; give no level",
        ));
    }
    if pyramid.projection != crate::data::projection::Projection::None {
        return Err(Error::bad_parameter(
            Field::PyramidDir,
            "web-mercator tiles are rendered from points (longitude, latitude); a raster has no projection",
        ));
    }
    Ok(plan)
}

/// The canvas of the level `steps` zooms coarser than `options`' (ranges resolved): sides
/// `ceil(side / 2^steps)`, each pixel over `2^steps x 2^steps` finest pixels, the padding
/// past the right and bottom edges widening the x range upward and the y range downward
/// (row 0 is the top, at the end of the y range), in the axes' scales.
pub(crate) fn level_options(options: &RenderOptions, steps: u32) -> RenderOptions {
    let factor = 1u64 << steps;
    let (w, h) = (u64::from(options.width), u64::from(options.height));
    let (lw, lh) = (w.div_ceil(factor), h.div_ceil(factor));
    let widen = |range: (f64, f64), scale: crate::canvas::Scale, pixels: u64, covered: u64, up: bool| {
        if covered == pixels {
            return range;
        }
        let (a, b) = (scale.forward(range.0), scale.forward(range.1));
        let span = (b - a) * covered as f64 / pixels as f64;
        match up {
            true => (range.0, scale.inverse(a + span)),
            false => (scale.inverse(b - span), range.1),
        }
    };
    RenderOptions {
        width: lw as u32,
        height: lh as u32,
        x_range: options.x_range.map(|r| widen(r, options.x_scale, w, lw * factor, true)),
        y_range: options.y_range.map(|r| widen(r, options.y_scale, h, lh * factor, false)),
        ..options.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::Scale;

    #[test]
    fn the_coarsest_levels_that_fit_a_quarter_of_the_budget_are_read_together() {
        // 4096 x 3000 in 7 levels (zoom 6 the finest, 64 x 47 the coarsest).
        let options = RenderOptions {
            width: 4096,
            height: 3000,
            x_range: Some((0.0, 1.0)),
            y_range: Some((0.0, 1.0)),
            memory_budget: 256 << 20,
            ..RenderOptions::default()
        };
        // A quarter of 256 MiB holds every coarse level (up to 2048 x 1500: 31 MiB in all),
        // never the finest; of 100 MiB, the levels up to 1024 x 750 (7.8 MiB), not 2048 x 1500.
        assert_eq!(streamed_levels(&options, 6, Downsample::Mean), 0..6);
        let small = RenderOptions { memory_budget: 100 << 20, ..options.clone() };
        assert_eq!(streamed_levels(&small, 6, Downsample::Max), 0..5);
        // Mode is never streamed; nor one level alone (here only the 64 x 47 one fits).
        assert_eq!(streamed_levels(&options, 6, Downsample::Mode), 0..0);
        assert_eq!(streamed_levels(&options, 1, Downsample::Mean), 0..0);
        let tiny = RenderOptions { memory_budget: 200_000, ..options };
        assert_eq!(streamed_levels(&tiny, 6, Downsample::Mean), 0..0);
    }

    #[test]
    fn coarse_canvases_cover_whole_blocks_of_finest_pixels() {
        let options = RenderOptions {
            width: 10,
            height: 8,
            x_range: Some((0.0, 10.0)),
            y_range: Some((-4.0, 4.0)),
            ..RenderOptions::default()
        };
        let one = level_options(&options, 1);
        assert_eq!(
            (one.width, one.height, one.x_range, one.y_range),
            (5, 4, options.x_range, options.y_range)
        );
        let two = level_options(&options, 2);
        // 3 x 2 pixels of 4 x 4 finest ones: x to 12, y (top at 4) unchanged.
        assert_eq!(
            (two.width, two.height, two.x_range, two.y_range),
            (3, 2, Some((0.0, 12.0)), options.y_range)
        );
        let three = level_options(&options, 3);
        assert_eq!((three.width, three.height), (2, 1));
        assert_eq!((three.x_range, three.y_range), (Some((0.0, 16.0)), options.y_range));
        let tall = RenderOptions { height: 6, ..options.clone() };
        // 6 rows -> 2 rows of 4: the bottom grows by 2 finest rows of 8/6 each.
        let (lo, hi) = level_options(&tall, 2).y_range.unwrap();
        assert!((lo - (4.0 - 8.0 * 8.0 / 6.0)).abs() < 1e-12 && hi == 4.0, "{lo} {hi}");
        let log = RenderOptions { x_range: Some((1.0, 1e10)), x_scale: Scale::Log, ..options };
        let (lo, hi) = level_options(&log, 2).x_range.unwrap();
        assert!(lo == 1.0 && (hi.log10() - 12.0).abs() < 1e-9, "{hi}");
    }
}
