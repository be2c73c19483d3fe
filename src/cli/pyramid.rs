//! `render --pyramid`, `gigaplot stats` and `gigaplot serve`: deep-zoom pyramids over the
//! library's `pyramid` module.
//!
//! A pyramid needs the global statistics of every zoom level before any tile is shaded.
//! Without `--stats`, the render runs twice over the same data: once into a statistics
//! sink, once into the tile writer (and the PNG or aggregate, if asked for).

use std::path::{Path, PathBuf};

use gigaplot::canvas::Scale;
use gigaplot::data::{ColumnSpec, PointColumns};
use gigaplot::pyramid::serve::{RequestLog, StaticServer};
use gigaplot::pyramid::{
    InputKey, PyramidOptions, PyramidPlan, PyramidSink, PyramidStats, PyramidWriter, ShardSpec, StatsBuilder,
    StatsKey, StatsSink, ViewerAssets,
};
use gigaplot::reduce::Reduction;
use gigaplot::render::{render, RenderOptions};
use gigaplot::sink::Sink;
use gigaplot::Error;

use super::failure::{Failure, Result};

use super::args::{PyramidArgs, ServeArgs, StatsArgs};
use super::combos::{self, Given};
use super::paths;
use super::progress::Bar;

/// Name prefix of the temporary directory holding the statistics of `render --pyramid`
/// without `--stats`.
const STATS_DIR_PREFIX: &str = "gigaplot-stats-";

/// What a set of statistics is valid for: canvas, ranges, scales and the input columns,
/// fingerprinted (size and sampled hash), so statistics of other data are refused.
fn stats_key(
    x: &ColumnSpec,
    y: &ColumnSpec,
    (width, height, tile): (u32, u32, u32),
    ranges: ((f64, f64), (f64, f64)),
    scales: (Scale, Scale),
) -> Result<StatsKey> {
    Ok(StatsKey {
        width,
        height,
        tile,
        x_range: ranges.0,
        y_range: ranges.1,
        x_scale: scales.0,
        y_scale: scales.1,
        inputs: vec![InputKey::of(x)?, InputKey::of(y)?],
    })
}

/// Computes (part of) the statistics of a pyramid with one render into a [`StatsSink`].
fn compute_stats(
    points: &PointColumns,
    key: StatsKey,
    shard: ShardSpec,
    options: &RenderOptions,
    out: &Path,
    bar: &Bar,
) -> Result<PyramidStats> {
    let plan = PyramidPlan::new(key.width, key.height, key.tile)?;
    let builder = StatsBuilder::new(key, shard)?;
    let sink: Box<dyn Sink> = Box::new(StatsSink::new(builder, plan, out));
    render(points, options, vec![sink], bar)?;
    Ok(PyramidStats::read(out)?)
}

/// The ranges a pyramid needs: explicit, since every level and shard must share them.
fn ranges(x: Option<(f64, f64)>, y: Option<(f64, f64)>) -> Result<((f64, f64), (f64, f64))> {
    match (x, y) {
        (Some(x), Some(y)) => Ok((x, y)),
        (None, _) => Err(Failure::flag("--x-range", "a pyramid needs explicit --x-range and --y-range")),
        (_, None) => Err(Failure::flag("--y-range", "a pyramid needs explicit --x-range and --y-range")),
    }
}

/// The pyramid sink of `render --pyramid DIR`, computing the statistics first when
/// `--stats` is not given.
pub fn pyramid_sink(
    args: &PyramidArgs,
    dir: &Path,
    (x, y): (&ColumnSpec, &ColumnSpec),
    points: &PointColumns,
    options: &RenderOptions,
    bar: &Bar,
) -> Result<Box<dyn Sink>> {
    if options.reduction != Reduction::Count {
        return Err(Failure::flag("--pyramid", "pyramids are built from the count reduction"));
    }
    let (x_range, y_range) = ranges(options.x_range, options.y_range)?;
    let key = stats_key(
        x,
        y,
        (options.width, options.height, args.pyramid_tile),
        (x_range, y_range),
        (options.x_scale, options.y_scale),
    )?;
    let shard = match &args.shard {
        Some(text) => ShardSpec::parse(text)?,
        None => ShardSpec::WHOLE,
    };
    if shard.count == 1 {
        // Before the statistics pass: a directory that may not be replaced fails at once.
        gigaplot::pyramid::staging::check_target(dir)?;
    }
    let stats = match &args.stats {
        Some(path) => {
            let stats = PyramidStats::read(path)?;
            stats.check_for(&key, path)?;
            stats
        }
        None => {
            // In a directory of our own at an unpredictable name (removed when dropped), so
            // nothing planted in a shared scratch directory is followed or read back.
            let scratch = options.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
            gigaplot::io::temporary::sweep(&scratch, STATS_DIR_PREFIX, ".tmp");
            let temp = gigaplot::io::temporary::TempTree::create(&scratch, STATS_DIR_PREFIX, ".tmp")
                .map_err(|e| Error::io(&scratch, e))?;
            compute_stats(points, key, ShardSpec::WHOLE, options, &temp.path().join("stats.json"), bar)?
        }
    };
    let mut pyramid = PyramidOptions::new(dir);
    pyramid.how = options.how;
    pyramid.cmap = options.cmap.clone();
    pyramid.background = options.background;
    pyramid.span_from_level = args.span_from_level;
    pyramid.shard = shard;
    pyramid.stats_file = args.stats.clone();
    pyramid.tiles.memory_cap = options.memory_budget / 8;
    pyramid.tiles.scratch_dir = options.scratch_dir.clone();
    if let Some(assets) = &args.viewer_assets {
        // Checked now, not when the viewer is written after the tiles.
        gigaplot::pyramid::viewer::find_leaflet_dist(assets)?;
        pyramid.viewer = ViewerAssets::Local(assets.clone());
    }
    let axes = ((x_range, options.x_scale), (y_range, options.y_scale));
    Ok(Box::new(PyramidSink::new(PyramidWriter::new(&stats, axes, pyramid)?)))
}

/// Runs `stats`: computes a shard's (or the whole) statistics, or merges parts.
pub fn stats(args: &StatsArgs, given: &Given, quiet: bool) -> Result<()> {
    combos::check_stats(args, given)?;
    if !args.merge.is_empty() {
        paths::check_not_an_input("--output", &args.output, args.merge.iter().map(PathBuf::as_path))?;
        let parts = args.merge.iter().map(|p| PyramidStats::read(p)).collect::<gigaplot::Result<Vec<_>>>()?;
        let merged = PyramidStats::merge_all(&parts)?;
        merged.write(&args.output)?;
        if !quiet {
            let state = if merged.is_complete() { "complete" } else { "incomplete" };
            note!("gigaplot: merged {} parts ({state}) -> {}", parts.len(), args.output.display());
        }
        return Ok(());
    }
    let (x, y) = match (&args.x, &args.y) {
        (Some(x), Some(y)) => (x, y),
        _ => return Err(Failure::flag("--x", "give --x and --y, or --merge")),
    };
    let (x_range, y_range) = ranges(args.x_range, args.y_range)?;
    let shard = match &args.shard {
        Some(text) => ShardSpec::parse(text)?,
        None => ShardSpec::WHOLE,
    };
    paths::check_not_an_input("--output", &args.output, [x.path.as_path(), y.path.as_path()])?;
    paths::scratch_dir(args.scratch_dir.as_deref())?;
    let points = PointColumns::open(x, y)?;
    let options = RenderOptions {
        width: args.width,
        height: args.height,
        x_range: Some(x_range),
        y_range: Some(y_range),
        threads: args.threads,
        memory_budget: args.memory,
        scratch_dir: args.scratch_dir.clone(),
        ..RenderOptions::default()
    };
    let key = stats_key(
        x,
        y,
        (args.width, args.height, args.pyramid_tile),
        (x_range, y_range),
        (Scale::Linear, Scale::Linear),
    )?;
    let bar = Bar::new(!quiet);
    let result = compute_stats(&points, key, shard, &options, &args.output, &bar);
    bar.finish();
    result?;
    if !quiet {
        note!("gigaplot: statistics of shard {shard} -> {}", args.output.display());
    }
    Ok(())
}

/// Runs `serve`: the pyramid directory over HTTP on a local address until interrupted.
pub fn serve(args: &ServeArgs) -> Result<()> {
    let dir: PathBuf = args.dir.clone();
    if !dir.join("index.html").is_file() {
        return Err(Error::bad_input(
            dir,
            "has no index.html; render a pyramid into it with render --pyramid",
        )
        .into());
    }
    // Says where it serves once the address is bound, not before, and warns when that
    // address is not loopback.
    let server = StaticServer::bind(&dir, args.addr)?;
    let local = server.local_addr()?;
    if !local.ip().is_loopback() {
        note!(
            "gigaplot: warning: {local} is not a loopback address: every host that reaches this machine can \
             read {}",
            dir.display()
        );
    }
    note!("gigaplot: serving {} at http://{local}/ (Ctrl-C to stop)", dir.display());
    let log = |r: &RequestLog| note!("{} {} {}", r.method, r.path, r.status);
    Ok(server.with_logger(std::sync::Arc::new(log)).run()?)
}
