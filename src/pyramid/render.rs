//! A whole pyramid (or one shard of it) from point columns in one call: the option checks,
//! the statistics pass when no statistics are given, then the render into the tiles.
//!
//! A pyramid needs the global statistics of every zoom level before any tile is shaded.
//! Without [`PyramidOptions::stats`], [`render_pyramid`] renders the data twice: once into
//! a [`StatsSink`] (the statistics go to a private temporary directory under the scratch
//! directory), once into the [`PyramidWriter`] and the caller's other sinks.

use std::path::Path;

use crate::data::projection::WORLD;
use crate::data::PointColumns;
use crate::error::{Error, Field, Result};
use crate::progress::Progress;
use crate::pyramid::{
    generic, staging, viewer, PyramidOptions, PyramidPlan, PyramidSink, PyramidStats, PyramidSummary,
    PyramidWriter, ShardSpec, StatsBuilder, StatsKey, StatsSink, ViewerAssets,
};
use crate::render::{render, RenderOptions, RenderReport, Warning};
use crate::shade::visibility;
use crate::sink::memory::Finished;
use crate::sink::Sink;

/// Name prefix of the temporary directory holding the statistics computed by
/// [`render_pyramid`].
const STATS_DIR_PREFIX: &str = "gigaplot-stats-";

/// What [`render_pyramid`] did: the render's report (ranges, points, plan, warnings) and
/// the pyramid writer's (tiles written and skipped, whether the metadata was written).
#[derive(Clone, Debug)]
pub struct PyramidReport {
    /// The report of the render that wrote the tiles (and the other sinks).
    pub render: RenderReport,
    /// The tiles written and skipped.
    pub pyramid: PyramidSummary,
}

impl PyramidOptions {
    /// Fails unless a pyramid can be rendered with `options`: explicit ranges (every level
    /// and shard must share them), a [`PyramidOptions::tile`] that can work, and for
    /// pyramids built in one render (`generic::needs_levels`) one process. Returns the
    /// ranges.
    pub fn check_render(&self, options: &RenderOptions) -> Result<((f64, f64), (f64, f64))> {
        let explicit = || problem!["a pyramid needs explicit ", Field::XRange, " and ", Field::YRange];
        let ranges = match (options.x_range, options.y_range) {
            (Some(x), Some(y)) => (x, y),
            (None, _) => return Err(Error::bad_parameter(Field::XRange, explicit())),
            (_, None) => return Err(Error::bad_parameter(Field::YRange, explicit())),
        };
        if self.projection == crate::data::projection::Projection::WebMercator {
            self.check_web_mercator(options, ranges)?;
        }
        match generic::needs_levels(options, self) {
            true => generic::check(options, self)?,
            false => PyramidPlan::new(options.width, options.height, self.tile)?,
        };
        Ok(ranges)
    }

    /// True when the shards of this pyramid shade with a statistics file
    /// ([`PyramidOptions::stats`], from `gigaplot stats`): plain XYZ counts of points, built
    /// by the two-render count path. The shards of every other pyramid compute the
    /// statistics themselves.
    pub fn shards_take_stats(&self, options: &RenderOptions) -> bool {
        generic::plain_counts(options, self)
    }

    /// Fails unless web-mercator tiles can be cut from the canvas: the XYZ layout, the
    /// [`WORLD`] ranges on both (projected) axes and a square canvas of `tile * 2^Z` pixels.
    fn check_web_mercator(&self, options: &RenderOptions, ranges: ((f64, f64), (f64, f64))) -> Result<()> {
        if self.format != crate::pyramid::PyramidFormat::Xyz {
            return Err(Error::bad_parameter(
                Field::PyramidDir,
                "web-mercator tiles are XYZ tiles, not a DZI",
            ));
        }
        if ranges != (WORLD, WORLD) {
            return Err(Error::bad_parameter(
                Field::XRange,
                "web-mercator tiles cover the world: x -180,180 and the projected y -180,180",
            ));
        }
        let side = u64::from(options.width);
        if options.width != options.height
            || side % u64::from(self.tile) != 0
            || !(side / u64::from(self.tile)).is_power_of_two()
        {
            return Err(Error::bad_parameter(
                Field::Width,
                format!("web-mercator tiles need a square canvas of {} x 2^Z pixels", self.tile),
            ));
        }
        Ok(())
    }

    /// The key statistics for this pyramid of a render with `options` and `ranges` must have.
    pub(crate) fn stats_key(
        &self,
        options: &RenderOptions,
        (x_range, y_range): ((f64, f64), (f64, f64)),
    ) -> StatsKey {
        StatsKey {
            width: options.width,
            height: options.height,
            tile: self.tile,
            x_range,
            y_range,
            x_scale: options.x_scale,
            y_scale: options.y_scale,
            inputs: self.inputs.clone(),
            projection: self.projection,
        }
    }
}

/// Fails unless local viewer assets ([`ViewerAssets::Local`]) hold the viewer's library
/// (Leaflet for XYZ, OpenSeadragon for DZI): checked before any pass, not when the viewer
/// is written after the tiles.
pub(crate) fn check_viewer_assets(pyramid: &PyramidOptions) -> Result<()> {
    if let ViewerAssets::Local(assets) = &pyramid.viewer {
        match pyramid.format {
            crate::pyramid::PyramidFormat::Xyz => viewer::find_leaflet_dist(assets)?,
            crate::pyramid::PyramidFormat::Dzi => crate::pyramid::dzi::find_osd_build(assets)?,
        };
    }
    Ok(())
}

/// Renders a pyramid of `points` into [`PyramidOptions::dir`] (or one shard of it), shaded
/// as `pyramid` says, over the canvas, ranges and scales of `options` (whose own shading
/// the extra `sinks` get: a PNG, an aggregate, written by the same pass as the tiles).
///
/// Checks the options first ([`PyramidOptions::check_render`], then that a whole pyramid's
/// directory may be replaced and that local viewer assets hold Leaflet); then reads the
/// statistics file [`PyramidOptions::stats`] (which must match the canvas, ranges, scales,
/// tile and [`PyramidOptions::inputs`]) or computes the statistics with a first render.
/// Errors name the fields at fault ([`Field::PyramidDir`], [`Field::XRange`], ...).
pub fn render_pyramid(
    points: &PointColumns<'_>,
    options: &RenderOptions,
    pyramid: &PyramidOptions,
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<PyramidReport> {
    let ranges = pyramid.check_render(options)?;
    check_viewer_assets(pyramid)?;
    if generic::needs_levels(options, pyramid) {
        let (render, pyramid) = generic::render_levels(points, options, pyramid, sinks, progress)?;
        return Ok(PyramidReport { render, pyramid });
    }
    let key = pyramid.stats_key(options, ranges);
    if pyramid.shard.count == 1 {
        // Before the statistics pass: a directory that may not be replaced fails at once.
        staging::check_target(&pyramid.dir)?;
    }
    let stats = match &pyramid.stats {
        Some(path) => {
            let stats = PyramidStats::read(path)?;
            stats.check_for(&key, path)?;
            stats
        }
        None => {
            // In a directory of our own at an unpredictable name (removed when dropped), so
            // nothing planted in a shared scratch directory is followed or read back.
            let scratch = options.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
            crate::io::temporary::sweep(&scratch, STATS_DIR_PREFIX, ".tmp");
            let temp = crate::io::temporary::TempTree::create(&scratch, STATS_DIR_PREFIX, ".tmp")
                .map_err(|e| Error::io(&scratch, e))?;
            compute_stats(points, key, ShardSpec::WHOLE, options, &temp.path().join("stats.json"), progress)?
        }
    };
    let axes = ((ranges.0, options.x_scale), (ranges.1, options.y_scale));
    let writer = PyramidWriter::new(&stats, axes, pyramid.clone())?;
    let summary = Finished::new();
    let mut all: Vec<Box<dyn Sink>> = sinks;
    all.push(Box::new(PyramidSink::reporting(writer, summary.clone())));
    let mut report = render(points, options, all, progress)?;
    let pyramid_summary = summary
        .take()
        .ok_or_else(|| Error::usage("render_pyramid", "the render did not finish the pyramid"))?;
    // The tiles have their own shading: judged on the finest level, the sparsest.
    if let (Some(finest), Some(shader)) = (
        stats.levels.last(),
        stats.shaders(pyramid.how, &pyramid.cmap, pyramid.background, pyramid.span_from_level)?.pop(),
    ) {
        let invisible = visibility::invisible_counts(finest, &shader, &pyramid.cmap, pyramid.background);
        if let Some(warning) = invisible.map(Warning::Invisible).filter(|w| !report.warnings.contains(w)) {
            report.warnings.push(warning);
        }
    }
    Ok(PyramidReport { render: report, pyramid: pyramid_summary })
}

/// Computes (part of) the statistics of a pyramid with one render of `points` into a
/// [`StatsSink`] writing `out` (`gigaplot stats`), and reads them back.
pub fn compute_stats(
    points: &PointColumns<'_>,
    key: StatsKey,
    shard: ShardSpec,
    options: &RenderOptions,
    out: &Path,
    progress: &dyn Progress,
) -> Result<PyramidStats> {
    let plan = PyramidPlan::new(key.width, key.height, key.tile)?;
    let builder = StatsBuilder::new(key, shard)?;
    let sink: Box<dyn Sink> = Box::new(StatsSink::new(builder, plan, out));
    render(points, options, vec![sink], progress)?;
    PyramidStats::read(out)
}
