//! `render --pyramid`, `gigaplot stats` and `gigaplot serve`: their flags turned into the
//! options of the library's `pyramid` module (`render_pyramid`, `compute_stats`).

use std::path::{Path, PathBuf};

use gigaplot::projection::Projection;
use gigaplot::serve::{RequestLog, StaticServer};
use gigaplot::{
    compute_stats, Color, ColumnSpec, Error, LevelStatsFile, PointColumns, PyramidOptions, PyramidStats,
    RenderOptions, ShardSpec, StatsKey, ViewerAssets,
};

use super::failure::{Failure, Result};

use super::args::{PyramidArgs, ServeArgs, StatsArgs};
use super::combos::{self, Given};
use super::paths;
use super::progress::Bar;

/// The ranges `stats` needs: explicit, since every level and shard must share them.
fn ranges(x: Option<(f64, f64)>, y: Option<(f64, f64)>) -> Result<((f64, f64), (f64, f64))> {
    match (x, y) {
        (Some(x), Some(y)) => Ok((x, y)),
        (None, _) => Err(Failure::flag("--x-range", "a pyramid needs explicit --x-range and --y-range")),
        (_, None) => Err(Failure::flag("--y-range", "a pyramid needs explicit --x-range and --y-range")),
    }
}

/// The library's options of `render --pyramid DIR`: shaded as the render but over the
/// unspread `background`, and the statistics file with the inputs it must match.
pub fn pyramid_options(
    args: &PyramidArgs,
    dir: &Path,
    (x, y): (&ColumnSpec, &ColumnSpec),
    options: &RenderOptions,
    background: Color,
) -> Result<PyramidOptions> {
    let mut pyramid = PyramidOptions::for_render(dir, options);
    // Ranges and tile first; `render_pyramid` checks the rest before any pass.
    PyramidOptions { spread: None, ..pyramid.clone() }.check_render(&RenderOptions {
        reduction: gigaplot::Reduction::Count,
        glyph: gigaplot::Glyph::Points,
        line_width: 0.0,
        dynspread: None,
        ..options.clone()
    })?;
    // the pyramid is not spread: it shades over the background itself
    pyramid.background = background;
    pyramid.tile = args.pyramid_tile;
    pyramid.span_from_level = args.span_from_level;
    pyramid.format = args.pyramid_format;
    if let Some(text) = &args.shard {
        pyramid.shard = ShardSpec::parse(text)?;
    }
    if let Some(stats) = &args.stats {
        pyramid.use_stats(stats, (x, y))?;
    }
    if let Some(assets) = &args.viewer_assets {
        pyramid.viewer = ViewerAssets::Local(assets.clone());
    }
    Ok(pyramid)
}

/// Runs `stats`: computes a shard's (or the whole) statistics, or merges parts.
pub fn stats(args: &StatsArgs, given: &Given, quiet: bool) -> Result<()> {
    combos::check_stats(args, given)?;
    if !args.merge.is_empty() {
        paths::check_not_an_input("--output", &args.output, args.merge.iter().map(PathBuf::as_path))?;
        // Files of pyramids of any reduction (version 3) merge level by level.
        let (parts, complete) = match LevelStatsFile::is_level_stats(&args.merge[0])? {
            true => {
                let parts = args
                    .merge
                    .iter()
                    .map(|p| LevelStatsFile::read(p))
                    .collect::<gigaplot::Result<Vec<_>>>()?;
                let merged = LevelStatsFile::merge_all(&parts)?;
                merged.write(&args.output)?;
                (parts.len(), merged.is_complete())
            }
            false => {
                let parts =
                    args.merge.iter().map(|p| PyramidStats::read(p)).collect::<gigaplot::Result<Vec<_>>>()?;
                let merged = PyramidStats::merge_all(&parts)?;
                merged.write(&args.output)?;
                (parts.len(), merged.is_complete())
            }
        };
        if !quiet {
            let state = if complete { "complete" } else { "incomplete" };
            note!("gigaplot: merged {parts} parts ({state}) -> {}", args.output.display());
        }
        return Ok(());
    }
    let (x, y) = match (&args.x, &args.y) {
        (Some(x), Some(y)) => (x, y),
        _ => return Err(Failure::flag("--x", "give --x and --y, or --merge")),
    };
    let shard = match &args.shard {
        Some(text) => ShardSpec::parse(text)?,
        None => ShardSpec::WHOLE,
    };
    paths::check_not_an_input("--output", &args.output, [x.path.as_path(), y.path.as_path()])?;
    paths::scratch_dir(args.scratch_dir.as_deref())?;
    let mut options = RenderOptions {
        width: args.width,
        height: args.height,
        x_range: args.x_range,
        y_range: args.y_range,
        threads: args.threads,
        memory_budget: args.memory,
        scratch_dir: args.scratch_dir.clone(),
        ..RenderOptions::default()
    };
    // The render's canvas: web-mercator's is the world at tile x 2^Z pixels.
    if args.projection == Projection::WebMercator {
        options = args.projection.canvas(options, Some(args.pyramid_tile), args.max_zoom)?;
    }
    let (x_range, y_range) = ranges(options.x_range, options.y_range)?;
    let points = match args.projection {
        Projection::WebMercator => gigaplot::projection::web_mercator(PointColumns::open(x, y)?),
        Projection::None => PointColumns::open(x, y)?,
    };
    let points = super::render::some_points(points)?;
    let mut key =
        StatsKey::of_inputs((x, y), (options.width, options.height, args.pyramid_tile), (x_range, y_range))?;
    key.projection = args.projection;
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
