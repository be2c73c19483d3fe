//! `gigaplot render` and `gigaplot generate`.

use std::path::Path;
use std::time::{Duration, Instant};

use super::failure::{Failure, Result};
use gigaplot::{
    check_render_disk_space, generate as generate_points, render, render_pyramid, render_raster,
    AggregateSink, AttachedFile, Color, ColumnSpec, Dynspread, Format, GenerateOptions, Glyph, Grid,
    ImageOutput, ImageSpread, PointColumns, RasterInput, RasterPlacement, Reduction, RenderOptions,
    RenderReport, Sink, TileSpread, Warning, FAINT_LEVELS,
};

use super::args::{GenerateArgs, RenderArgs};
use super::combos::{self, Given};
use super::progress::Bar;
use super::pyramid;
use super::{paths, preflight};
use gigaplot::projection::{self, Projection};

/// Runs `render`.
pub fn run(args: &RenderArgs, given: &Given, quiet: bool) -> Result<()> {
    let started = Instant::now();
    combos::check_render(args, given)?;
    let mut outputs = Vec::new();
    if let Some(output) = &args.output {
        outputs.push(("--output", output.as_path()));
    }
    if let Some(agg) = &args.agg_out {
        outputs.push(("--agg-out", agg.as_path()));
    }
    let inputs: Vec<&Path> = [
        args.x.as_ref().map(|c| c.path.as_path()),
        args.y.as_ref().map(|c| c.path.as_path()),
        args.raster.raster.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let thumbnail_out = args
        .output
        .as_deref()
        .filter(|_| args.thumbnail.is_some())
        .map(|o| image_output(args, o).thumbnail_path());
    if let Some(thumbnail) = &thumbnail_out {
        outputs.push(("--thumbnail", thumbnail.as_path()));
    }
    for (flag, output) in &outputs {
        paths::check_not_an_input(flag, output, inputs.iter().copied())?;
    }
    // --output ends in .png and --agg-out in .npy (their parsers), so they never coincide.
    if let Some(grid) = &args.raster.raster {
        return raster(args, grid, thumbnail_out.as_deref(), quiet, started);
    }
    let (Some(x), Some(y)) = (&args.x, &args.y) else {
        return Err(Failure::flag("--x", "give --x and --y, or --raster"));
    };
    let points = open_points(args, x, y)?;
    let points = match args.projection {
        Projection::WebMercator => projection::web_mercator(points),
        Projection::None => points,
    };
    // The options (scratch directory, thread count, canvas and memory plan...) are checked
    // before the disk, so their errors come first.
    let pyramid_tile = args.pyramid.pyramid.as_ref().map(|_| args.pyramid.pyramid_tile);
    let options = args.projection.canvas(options(args), pyramid_tile, args.pyramid.max_zoom)?;
    options.validate()?;
    check_render_disk_space(&options, points.len() as u64, args.agg_out.as_deref())?;
    if let Some(warning) = preflight::wide_canvas_warning(args.width) {
        note!("{warning}");
    }
    check_spreading(args)?;
    let bar = Bar::new(!quiet);
    if let (Some(dir), Some(out)) = (&args.pyramid.pyramid, &args.pyramid.stats_out) {
        // --stats-out: the pyramid's statistics (of its shard), no tile.
        let result = point_pyramid_options(args, dir, (x, y), &options).and_then(|p| {
            Ok(gigaplot::compute_level_stats(&points, &options, &p, out, &bar).map(|_| p.shard)?)
        });
        bar.finish();
        let shard = result?;
        if !quiet {
            note!("gigaplot: statistics of shard {shard} -> {}", out.display());
        }
        return Ok(());
    }
    let mut options = options;
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    // The thumbnail first, into a temporary file the main render commits with its outputs.
    let thumbnail = render_thumbnail(args, &options, |small, sinks| render(&points, small, sinks, &bar));
    let thumbnail_timings = bar.take_timings();
    match thumbnail {
        Ok(Some((file, report))) => {
            // the ranges it computed are the main render's: no second pass to find them
            options.x_range = Some(report.x_range);
            options.y_range = Some(report.y_range);
            sinks.push(Box::new(file));
        }
        Ok(None) => {}
        Err(e) => {
            bar.finish();
            return Err(e);
        }
    }
    if let Some(output) = &args.output {
        sinks.push(image_output(args, output).sink(&options, points.value_source())?);
    }
    if let Some(agg) = &args.agg_out {
        sinks.push(Box::new(AggregateSink::new(agg)));
    }
    let report = match &args.pyramid.pyramid {
        Some(dir) => point_pyramid_options(args, dir, (x, y), &options)
            .and_then(|p| Ok(render_pyramid(&points, &options, &p, sinks, &bar)?.render)),
        None => render(&points, &options, sinks, &bar).map_err(Failure::from),
    };
    bar.finish();
    let report = report?;
    print_timings(args, &bar, &thumbnail_timings);
    if !quiet {
        print_warnings(&report);
        let (x0, x1) = report.x_range;
        let (y0, y1) = report.y_range;
        let drawn = match args.glyph {
            Glyph::Lines => format!("{} vertices, {} segment records", report.points, report.plotted),
            Glyph::Points => format!("{} of {} points plotted", report.plotted, report.points),
        };
        note!(
            "gigaplot: {} x {} px, {drawn}, x {x0}..{x1}, y {y0}..{y1}, \
             {} bands of {} rows{}, {:.2} s{}",
            report.plan.width,
            report.plan.height,
            report.plan.bands,
            report.plan.band_height,
            dynspread_note(report.dynspread_px),
            started.elapsed().as_secs_f64(),
            written(args, thumbnail_out.as_deref())
        );
    }
    Ok(())
}

/// The library's options of a pyramid of points (`--pyramid DIR`), spread as the image.
fn point_pyramid_options(
    args: &RenderArgs,
    dir: &Path,
    (x, y): (&ColumnSpec, &ColumnSpec),
    options: &RenderOptions,
) -> Result<gigaplot::PyramidOptions> {
    let p = pyramid::pyramid_options(&args.pyramid, dir, (x, y), options, args.background)?;
    let mut p = gigaplot::PyramidOptions {
        spread: tile_spread(args),
        projection: args.projection,
        basemap: args.pyramid.basemap.clone(),
        labels: args.figure.labels.clone(),
        ..p
    };
    // The statistics files of pyramids built in one render record the value column too.
    let stats = args.pyramid.stats.is_some() || args.pyramid.stats_out.is_some();
    if stats && !p.shards_take_stats(options) {
        let value = args.value.as_ref().filter(|_| options.reduction.needs_value());
        p.record_inputs(x, y, value)?;
    }
    Ok(p)
}

/// Resolves the table form: with `render TABLE`, --x, --y, --value and --category name
/// columns of TABLE; --category becomes count-cat's --value; --delimiter reaches every
/// column.
pub fn resolve_table(args: &mut RenderArgs, given: &Given) -> Result<()> {
    if let Some(category) = args.category.take() {
        if given.has("reduction") && args.reduction != Reduction::CountCat {
            return Err(Failure::flag(
                "--category",
                format!(
                    "is the column of --agg count-cat, not of --agg {}; drop one of them",
                    args.reduction
                ),
            ));
        }
        args.reduction = Reduction::CountCat;
        args.value = Some(category);
    }
    let table = args.table.clone();
    for spec in [&mut args.x, &mut args.y, &mut args.value].into_iter().flatten() {
        // A bare name is a column of TABLE; FILE:COLUMN and FILE.npy keep naming a file.
        let names_a_file = spec.name.is_some() || Format::of_extension(&spec.path).is_some();
        if let (Some(table), false) = (&table, names_a_file) {
            *spec = ColumnSpec::in_table(table, &spec.label());
        }
        spec.delimiter = args.delimiter;
    }
    Ok(())
}

/// The x, y (and value) columns: for lines, possibly several series (2-D arrays, --series);
/// none is an error (the library renders an empty canvas, as Datashader does for an empty
/// frame, but an empty input file is a mistake on the command line).
fn open_points(args: &RenderArgs, x: &ColumnSpec, y: &ColumnSpec) -> Result<PointColumns<'static>> {
    some_points(open_points_of(args, x, y)?)
}

/// `points`, or the command line's refusal of an empty input (render and stats).
pub(super) fn some_points(points: PointColumns<'static>) -> Result<PointColumns<'static>> {
    if points.is_empty() {
        return Err(
            gigaplot::Error::bad_input(points.x.label(), "has no points; there is nothing to plot").into()
        );
    }
    Ok(points)
}

/// [`open_points`], empty or not.
fn open_points_of(args: &RenderArgs, x: &ColumnSpec, y: &ColumnSpec) -> Result<PointColumns<'static>> {
    if args.glyph != Glyph::Lines {
        if args.series.is_some() {
            return Err(Failure::flag("--series", "applies to --glyph lines only"));
        }
    } else {
        return Ok(match &args.value {
            Some(value) => PointColumns::open_series_with_value(x, y, args.series, value)?,
            None => PointColumns::open_series(x, y, args.series)?,
        });
    }
    Ok(match &args.value {
        Some(value) => PointColumns::open_with_value(x, y, value)?,
        None => PointColumns::open(x, y)?,
    })
}

/// The library options the flags describe.
fn options(args: &RenderArgs) -> RenderOptions {
    RenderOptions {
        width: args.width,
        height: args.height,
        x_range: args.x_range,
        y_range: args.y_range,
        x_scale: args.x_scale,
        y_scale: args.y_scale,
        how: args.how,
        cmap: args.cmap.clone(),
        // with --spread the SpreadSink composites over the background after spreading
        background: if spreads(args) { Color::TRANSPARENT } else { args.background },
        tile: args.tile,
        threads: args.threads,
        memory_budget: args.memory,
        scratch_dir: args.scratch_dir.clone(),
        reduction: args.reduction,
        color_key: args.color_key.clone(),
        glyph: args.glyph,
        line_width: args.line_width,
        dynspread: args.dynspread.then_some(Dynspread {
            max_px: args.dynspread_max as usize,
            threshold: args.dynspread_threshold,
        }),
    }
}

/// True when the image is spread (--spread or --dynspread).
fn spreads(args: &RenderArgs) -> bool {
    args.spread.is_some() || args.dynspread
}

/// --spread and --dynspread exclude each other.
fn check_spreading(args: &RenderArgs) -> Result<()> {
    if args.dynspread && args.spread.is_some() {
        return Err(Failure::flag("--dynspread", "cannot be combined with --spread; give one of them"));
    }
    Ok(())
}

/// " -> A, B and C" for the summary line: every file or directory the render wrote
/// (`-o`, `--agg-out`, `--pyramid`, the thumbnail), in that order; empty when none.
fn written(args: &RenderArgs, thumbnail: Option<&Path>) -> String {
    let paths: Vec<String> =
        [args.output.as_deref(), args.agg_out.as_deref(), args.pyramid.pyramid.as_deref(), thumbnail]
            .into_iter()
            .flatten()
            .map(|p| p.display().to_string())
            .collect();
    match paths.split_last() {
        None => String::new(),
        Some((last, [])) => format!(" -> {last}"),
        Some((last, rest)) => format!(" -> {} and {last}", rest.join(", ")),
    }
}

/// ", dynspread N px" for the summary line when --dynspread chose N.
fn dynspread_note(px: Option<usize>) -> String {
    px.map_or(String::new(), |px| format!(", dynspread {px} px"))
}

/// How a pyramid's levels are spread: as the image (--spread or --dynspread), by the same
/// pixel radius at every level.
fn tile_spread(args: &RenderArgs) -> Option<TileSpread> {
    match args.spread {
        Some(px) => Some(TileSpread::Fixed(px as usize, args.spread_shape)),
        None => args.dynspread.then_some(TileSpread::Dynamic(args.spread_shape)),
    }
}

/// The PNG output the flags describe: the figure (or the bare image), spread with --spread
/// or --dynspread (Datashader's shade, spread or dynspread, then set_background).
fn image_output(args: &RenderArgs, output: &Path) -> ImageOutput {
    let f = &args.figure;
    ImageOutput {
        path: output.to_path_buf(),
        compression: args.compression,
        bare: f.bare,
        title: f.title.clone(),
        xlabel: f.xlabel.clone(),
        ylabel: f.ylabel.clone(),
        font_size: f.font_size,
        grid: f.grid,
        colorbar: f.colorbar,
        colorbar_label: args.raster.raster.is_some().then(|| "value".to_string()),
        labels: f.labels.clone(),
        spread: spreads(args).then_some(ImageSpread {
            px: args.spread,
            shape: args.spread_shape,
            background: args.background,
        }),
    }
}

/// Runs `render --raster`: a 2-D array resampled onto the canvas.
fn raster(
    args: &RenderArgs,
    path: &Path,
    thumbnail_out: Option<&Path>,
    quiet: bool,
    started: Instant,
) -> Result<()> {
    let grid = Grid::open(path)?;
    let (rows, cols) = grid.shape();
    let r = &args.raster;
    let placement = RasterPlacement {
        extent: r.extent.unwrap_or((0.0, cols as f64, 0.0, rows as f64)),
        origin: r.origin,
    };
    check_spreading(args)?;
    let options = options(args);
    let bar = Bar::new(!quiet);
    let input = RasterInput { grid: &grid, placement, how: (r.downsample, r.upsample) };
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    let thumbnail =
        render_thumbnail(args, &options, |small, sinks| render_raster(&input, small, sinks, &bar));
    let thumbnail_timings = bar.take_timings();
    match thumbnail {
        Ok(Some((file, _))) => sinks.push(Box::new(file)),
        Ok(None) => {}
        Err(e) => {
            bar.finish();
            return Err(e);
        }
    }
    if let Some(output) = &args.output {
        sinks.push(image_output(args, output).sink(&options, None)?);
    }
    if let Some(agg) = &args.agg_out {
        sinks.push(Box::new(AggregateSink::new(agg)));
    }
    let report = match &args.pyramid.pyramid {
        Some(dir) => raster_pyramid_options(args, dir, &options).and_then(|pyramid| {
            Ok(gigaplot::render_raster_pyramid(&input, &options, &pyramid, sinks, &bar)?.render)
        }),
        None => render_raster(&input, &options, sinks, &bar).map_err(Failure::from),
    };
    bar.finish();
    let report = report?;
    print_timings(args, &bar, &thumbnail_timings);
    if !quiet {
        print_warnings(&report);
        note!(
            "gigaplot: {} x {} raster -> {} x {} px in {} bands{}, {:.2} s{}",
            rows,
            cols,
            report.plan.width,
            report.plan.height,
            report.plan.bands,
            dynspread_note(report.dynspread_px),
            started.elapsed().as_secs_f64(),
            written(args, thumbnail_out)
        );
    }
    Ok(())
}

/// The library's options of `render --raster ... --pyramid DIR`: shaded as the render, over
/// the unspread background, spread as the image. The library refuses what raster
/// pyramids cannot do (shards, a statistics file, --span-from-level).
fn raster_pyramid_options(
    args: &RenderArgs,
    dir: &Path,
    options: &RenderOptions,
) -> Result<gigaplot::PyramidOptions> {
    let p = &args.pyramid;
    let mut pyramid = gigaplot::PyramidOptions::for_render(dir, options);
    pyramid.background = args.background;
    pyramid.tile = p.pyramid_tile;
    pyramid.span_from_level = p.span_from_level;
    pyramid.format = p.pyramid_format;
    pyramid.spread = tile_spread(args);
    pyramid.stats = p.stats.clone();
    pyramid.projection = args.projection;
    if let Some(text) = &p.shard {
        pyramid.shard = gigaplot::ShardSpec::parse(text)?;
    }
    if let Some(assets) = &p.viewer_assets {
        pyramid.viewer = gigaplot::ViewerAssets::Local(assets.clone());
    }
    Ok(pyramid)
}

/// With `--thumbnail PX`: the library's thumbnail render of the image output (see
/// [`ImageOutput::render_thumbnail`]).
fn render_thumbnail(
    args: &RenderArgs,
    options: &RenderOptions,
    run: impl FnOnce(&RenderOptions, Vec<Box<dyn Sink>>) -> gigaplot::Result<RenderReport>,
) -> Result<Option<(AttachedFile, RenderReport)>> {
    let (Some(px), Some(output)) = (args.thumbnail, &args.output) else {
        return Ok(None);
    };
    Ok(Some(image_output(args, output).render_thumbnail(px, options, run)?))
}

/// Each warning of a render on one line of stderr, naming the flags that fix it.
fn print_warnings(report: &RenderReport) {
    for warning in &report.warnings {
        match warning {
            Warning::Invisible(invisible) => {
                let fix = match (&invisible.suggestion, invisible.categories) {
                    (_, true) => "choose other --color-key colours or another --background".to_string(),
                    (Some(range), false) => format!("add --cmap {range} or choose another --background"),
                    (None, false) => "choose another --cmap or --background".to_string(),
                };
                note!(
                    "gigaplot: warning: {:.1}% of the non-empty pixels ({} of {}) are shaded within {} \
                     levels of the background {}, so they cannot be seen; {fix}",
                    100.0 * invisible.share(),
                    invisible.pixels,
                    invisible.non_empty,
                    FAINT_LEVELS,
                    hex(invisible.background),
                );
            }
            Warning::Empty if report.plotted > 0 => note!(
                "gigaplot: warning: every pixel is empty: the {} points on the canvas have no value \
                 (every --value is NaN), so the picture shows only the background",
                report.plotted
            ),
            Warning::Empty => note!(
                "gigaplot: warning: every pixel is empty: no point landed on the canvas (see --x-range and \
                 --y-range), so the picture shows only the background"
            ),
            other => note!("gigaplot: warning: {other}"),
        }
    }
}

/// `#rrggbb`.
fn hex(color: Color) -> String {
    format!("#{:02x}{:02x}{:02x}", color.r, color.g, color.b)
}

/// With `--timings`, how long each stage took, one line each: the main render's stages,
/// then (with `--thumbnail`) the thumbnail's, named `thumbnail STAGE`.
fn print_timings(args: &RenderArgs, bar: &Bar, thumbnail: &[(String, Duration)]) {
    if args.timings {
        let main = bar.timings();
        let thumbnail = thumbnail.iter().map(|(stage, took)| (format!("thumbnail {stage}"), *took));
        for (stage, took) in main.into_iter().chain(thumbnail) {
            note!("gigaplot: {stage:>20}: {:8.3} s", took.as_secs_f64());
        }
    }
}

/// Runs `generate`.
pub fn generate(args: &GenerateArgs, quiet: bool) -> Result<()> {
    let started = Instant::now();
    let bar = Bar::new(!quiet);
    let files = generate_points(
        &GenerateOptions { points: args.points, seed: args.seed, out_dir: args.output.clone() },
        &bar,
    );
    bar.finish();
    let files = files?;
    if !quiet {
        note!(
            "gigaplot: {} points -> {} {} in {:.2} s",
            args.points,
            files.x.display(),
            files.y.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
