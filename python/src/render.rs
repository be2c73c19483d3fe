//! Renders from Python: `aggregate` keeps the raw aggregate in memory (`Canvas.points`,
//! `Canvas.line`), `render_file` writes the PNG (and `.npy`) the CLI writes for the same
//! options (`gp.render`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;

use gigaplot::npy::ArrayShape;
use gigaplot::projection::{web_mercator, Projection};
use gigaplot::{
    parse_color_key, parse_extent, parse_range, parse_size, render, render_pyramid, render_raster,
    render_raster_pyramid, AggregateArray, AggregateArraySink, AggregateSink, Color, Colormap, ColumnSpec,
    Compression, Downsample, Dynspread, Glyph, Grid, How, ImageOutput, ImageSpread, Origin, PointColumns,
    Progress, PyramidFormat, PyramidOptions, RasterInput, RasterPlacement, Reduction, RenderOptions,
    RenderReport, Scale, SeriesLayout, ShardSpec, Sink, SpreadShape as Shape, TileSpread, Upsample,
    ViewerAssets,
};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::columns::{Held, Slice};
use crate::errors::bad;
use crate::run::interruptible;

/// The x, y and value columns borrowed from NumPy arrays.
pub struct Columns<'py> {
    x: Held<'py>,
    y: Held<'py>,
    value: Option<Held<'py>>,
}

impl<'py> Columns<'py> {
    pub fn extract(
        x: &Bound<'py, PyAny>,
        y: &Bound<'py, PyAny>,
        value: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        Ok(Columns {
            x: Held::extract("x", x)?,
            y: Held::extract("y", y)?,
            value: value.map(|v| Held::extract("value", v)).transpose()?,
        })
    }

    pub fn slices(&self) -> (Slice<'_>, Slice<'_>, Option<Slice<'_>>) {
        (self.x.slice(), self.y.slice(), self.value.as_ref().map(Held::slice))
    }
}

/// The library's points over borrowed slices; table files' CSV columns split at
/// `delimiter` (None: comma, or tab for `.tsv`).
pub fn points<'a>(
    (x, y, value): (Slice<'a>, Slice<'a>, Option<Slice<'a>>),
    names: &[String; 3],
    delimiter: Option<u8>,
) -> gigaplot::Result<PointColumns<'a>> {
    let open = |slice: Slice<'a>, name: &str| match (slice, delimiter) {
        (Slice::Npy(path), Some(delimiter)) => {
            gigaplot::open_column(&ColumnSpec { delimiter: Some(delimiter), ..ColumnSpec::parse(path) })
        }
        (slice, _) => slice.column(name),
    };
    let points = PointColumns::from_sources(open(x, &names[0])?, open(y, &names[1])?)?;
    match value {
        Some(v) => points.with_value(open(v, &names[2])?),
        None => Ok(points),
    }
}

/// What [`aggregate`] returns: bytes, shape, dtype, x range, y range.
pub type Aggregated<'py> = (Bound<'py, PyArray1<u8>>, Vec<usize>, String, (f64, f64), (f64, f64));

/// Aggregates points into memory, within `memory` bytes besides the result (None: the
/// library's default budget). Returns `(bytes, shape, dtype, x_range, y_range)`: the
/// aggregate's bytes as a uint8 array (handed over without a copy), its shape and NumPy
/// dtype string, and the ranges used. Rows come bottom first (row 0 = `y_range[0]`), as
/// in Datashader.
#[pyfunction]
#[pyo3(signature = (x, y, value, names, width, height, x_range, y_range, reduction, glyph="points", line_width=0.0, memory=None, scales=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn aggregate<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    value: Option<&Bound<'py, PyAny>>,
    names: [String; 3],
    width: u32,
    height: u32,
    x_range: Option<(f64, f64)>,
    y_range: Option<(f64, f64)>,
    reduction: &str,
    glyph: &str,
    line_width: f64,
    memory: Option<u64>,
    scales: Option<(String, String)>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Aggregated<'py>> {
    let columns = Columns::extract(x, y, value)?;
    let slices = columns.slices();
    let options = RenderOptions {
        reduction: Reduction::from_str(reduction).map_err(|e| bad("agg", e))?,
        glyph: Glyph::from_str(glyph).map_err(|e| bad("glyph", e))?,
        line_width,
        ..canvas_options((width, height), (x_range, y_range), memory, scales.as_ref())?
    };
    let (array, report) = interruptible(py, progress, |progress: &dyn Progress| {
        let points = points(slices, &names, None)?;
        in_memory(|sinks| render(&points, &options, sinks, progress))
    })?;
    Ok(to_python(py, array, &report))
}

/// An axis range, None for the data's extent.
type Range = Option<(f64, f64)>;

/// The options of an in-memory aggregate: canvas size, ranges (None: the data's), working
/// memory (None: the library's default budget) and axis scales (None: linear).
pub fn canvas_options(
    (width, height): (u32, u32),
    (x_range, y_range): (Range, Range),
    memory: Option<u64>,
    scales: Option<&(String, String)>,
) -> PyResult<RenderOptions> {
    Ok(RenderOptions {
        width,
        height,
        x_range,
        y_range,
        memory_budget: memory.unwrap_or(gigaplot::DEFAULT_MEMORY_BUDGET),
        x_scale: scale(scales.map(|s| s.0.as_str()), "x_axis_type")?,
        y_scale: scale(scales.map(|s| s.1.as_str()), "y_axis_type")?,
        ..RenderOptions::default()
    })
}

/// Runs `run` with one sink keeping the aggregate in memory; returns it and the report.
pub fn in_memory(
    run: impl FnOnce(Vec<Box<dyn Sink>>) -> gigaplot::Result<RenderReport>,
) -> gigaplot::Result<(AggregateArray, RenderReport)> {
    let (sink, finished) = AggregateArraySink::new();
    let report = run(vec![Box::new(sink)])?;
    let array = finished
        .take()
        .ok_or_else(|| gigaplot::Error::usage("AggregateArraySink", "the render kept no aggregate"))?;
    Ok((array, report))
}

/// An aggregate as [`aggregate`] returns it: its bytes bottom row first, handed to NumPy
/// without a copy.
pub fn to_python<'py>(py: Python<'py>, array: AggregateArray, report: &RenderReport) -> Aggregated<'py> {
    let shape = array.shape().to_vec();
    let dtype = array.dtype().descr().to_string();
    bytes_to_python(py, array.into_bytes(), shape, dtype, report)
}

/// [`to_python`] of an aggregate's bytes (top row first), its shape and NumPy dtype.
pub fn bytes_to_python<'py>(
    py: Python<'py>,
    mut bytes: Vec<u8>,
    shape: Vec<usize>,
    dtype: String,
    report: &RenderReport,
) -> Aggregated<'py> {
    flip_rows(&mut bytes, shape[0]);
    (PyArray1::from_vec(py, bytes), shape, dtype, report.x_range, report.y_range)
}

/// The axis scale `name` (`linear` or `log`; None: linear); errors name `keyword`.
fn scale(name: Option<&str>, keyword: &str) -> PyResult<Scale> {
    name.map_or(Ok(Scale::Linear), |n| Scale::from_str(n).map_err(|e| bad(keyword, e)))
}

/// Reverses the order of the `rows` equal rows of `bytes` in place (top first to bottom
/// first).
fn flip_rows(bytes: &mut [u8], rows: usize) {
    if rows < 2 {
        return;
    }
    let stride = bytes.len() / rows;
    for r in 0..rows / 2 {
        let (top, bottom) = bytes.split_at_mut((rows - 1 - r) * stride);
        top[r * stride..(r + 1) * stride].swap_with_slice(&mut bottom[..stride]);
    }
}

/// Parses `options[key]` with `parse`, or None when absent; errors name the keyword.
fn opt<T, E: std::fmt::Display>(
    options: &HashMap<String, String>,
    key: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> PyResult<Option<T>> {
    options.get(key).map(|v| parse(v).map_err(|e| bad(key, e))).transpose()
}

/// A number keyword.
fn number<T: FromStr>(options: &HashMap<String, String>, key: &str) -> PyResult<Option<T>> {
    opt(options, key, |v| v.trim().parse::<T>().map_err(|_| format!("'{v}' is not a valid number")))
}

/// A flag keyword (present = true).
fn flag(options: &HashMap<String, String>, key: &str) -> bool {
    options.get(key).is_some_and(|v| v == "true")
}

/// The keywords `render_file` knows (the `gigaplot render` flags it supports, dashes as
/// underscores).
const KNOWN: &[&str] = &[
    "width",
    "height",
    "x_range",
    "y_range",
    "x_scale",
    "y_scale",
    "how",
    "cmap",
    "background",
    "tile",
    "threads",
    "memory",
    "agg",
    "value",
    "color_key",
    "glyph",
    "line_width",
    "series",
    "output",
    "agg_out",
    "compression",
    "scratch_dir",
    "spread",
    "spread_shape",
    "dynspread",
    "dynspread_max",
    "dynspread_threshold",
    "bare",
    "title",
    "xlabel",
    "ylabel",
    "font_size",
    "grid",
    "colorbar",
    "labels",
    "timings",
    "quiet",
    "raster",
    "extent",
    "origin",
    "downsample",
    "upsample",
    "pyramid",
    "pyramid_tile",
    "span_from_level",
    "viewer_assets",
    "pyramid_format",
    "basemap",
    "thumbnail",
    "stats",
    "shard",
    "projection",
    "max_zoom",
    "delimiter",
];

/// Keywords that only apply with another one: (keyword, the one it needs, what to say).
const NEEDS: &[(&str, &str, &str)] = &[
    ("extent", "raster", "applies to raster= only"),
    ("origin", "raster", "applies to raster= only"),
    ("downsample", "raster", "applies to raster= only"),
    ("upsample", "raster", "applies to raster= only"),
    ("pyramid_tile", "pyramid", "applies to pyramid= only"),
    ("span_from_level", "pyramid", "applies to pyramid= only"),
    ("viewer_assets", "pyramid", "applies to pyramid= only"),
    ("pyramid_format", "pyramid", "applies to pyramid= only"),
    ("basemap", "pyramid", "applies to pyramid= only"),
    ("stats", "pyramid", "applies to pyramid= only"),
    ("shard", "pyramid", "applies to pyramid= only"),
    ("max_zoom", "pyramid", "applies to pyramid= only"),
    ("thumbnail", "output", "applies to output= only"),
];

/// Renders to files as `gigaplot render` does with the same flags: `options` maps each
/// keyword (a flag's name with underscores) to its command-line text. Points come from the
/// x, y (and value) arrays; with `raster` (the path of a 2-D `.npy` file) there are none.
/// Returns the summary.
#[pyfunction]
#[pyo3(signature = (x, y, value, names, options, progress=None))]
pub fn render_file<'py>(
    py: Python<'py>,
    x: Option<&Bound<'py, PyAny>>,
    y: Option<&Bound<'py, PyAny>>,
    value: Option<&Bound<'py, PyAny>>,
    names: [String; 3],
    options: HashMap<String, String>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    if let Some(key) = options.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(bad(key, "unknown option"));
    }
    if let Some((key, _, problem)) =
        NEEDS.iter().find(|(k, n, _)| options.contains_key(*k) && !options.contains_key(*n))
    {
        return Err(bad(key, problem));
    }
    let projection = opt(&options, "projection", Projection::from_str)?.unwrap_or_default();
    let mercator = projection == Projection::WebMercator;
    if options.contains_key("basemap") && !mercator {
        return Err(bad("basemap", "applies to projection='web-mercator' only"));
    }
    if mercator && options.contains_key("pyramid") {
        if let Some(key) = ["width", "height"].into_iter().find(|k| options.contains_key(*k)) {
            return Err(bad(
                key,
                "web-mercator tiles are pyramid_tile x 2^Z pixels square; give max_zoom=Z instead",
            ));
        }
    }
    let delimiter = opt(&options, "delimiter", gigaplot::parse_delimiter)?;
    let raster = options.get("raster").map(PathBuf::from);
    if delimiter.is_some() && raster.is_some() {
        return Err(bad("delimiter", "applies to the columns of a CSV file, not to raster="));
    }
    if mercator && raster.is_some() {
        return Err(bad("projection", "applies to points, not to raster="));
    }
    let pyramid_dir = options.get("pyramid").map(PathBuf::from);
    let spreading = options.contains_key("spread") || flag(&options, "dynspread");
    let background = opt(&options, "background", Color::parse)?.unwrap_or(Color::TRANSPARENT);
    let unprojected = RenderOptions {
        width: number(&options, "width")?.unwrap_or(2000),
        height: number(&options, "height")?.unwrap_or(2000),
        x_range: opt(&options, "x_range", parse_range)?,
        y_range: opt(&options, "y_range", parse_range)?,
        x_scale: opt(&options, "x_scale", Scale::from_str)?.unwrap_or_default(),
        y_scale: opt(&options, "y_scale", Scale::from_str)?.unwrap_or_default(),
        how: opt(&options, "how", How::from_str)?.unwrap_or(How::EqHist),
        cmap: opt(&options, "cmap", Colormap::parse)?.unwrap_or_default(),
        background: if spreading { Color::TRANSPARENT } else { background },
        tile: number(&options, "tile")?.unwrap_or(gigaplot::DEFAULT_TILE),
        threads: number(&options, "threads")?,
        memory_budget: opt(&options, "memory", parse_size)?.unwrap_or(gigaplot::DEFAULT_MEMORY_BUDGET),
        scratch_dir: options.get("scratch_dir").map(PathBuf::from),
        reduction: opt(&options, "agg", Reduction::from_str)?.unwrap_or_default(),
        color_key: opt(&options, "color_key", parse_color_key)?,
        glyph: opt(&options, "glyph", Glyph::from_str)?.unwrap_or_default(),
        line_width: number(&options, "line_width")?.unwrap_or(0.0),
        dynspread: flag(&options, "dynspread").then_some(Dynspread {
            max_px: number(&options, "dynspread_max")?.unwrap_or(3),
            threshold: number(&options, "dynspread_threshold")?.unwrap_or(0.5),
        }),
    };
    let pyramid_tile = match &pyramid_dir {
        Some(_) => Some(number(&options, "pyramid_tile")?.unwrap_or(gigaplot::DEFAULT_PYRAMID_TILE)),
        None => None,
    };
    let render_options = projection
        .canvas(unprojected, pyramid_tile, number(&options, "max_zoom")?)
        .map_err(crate::errors::to_py)?;
    let series: Option<usize> = number(&options, "series")?;
    if series.is_some() && render_options.glyph != Glyph::Lines {
        return Err(bad("series", "applies to glyph='lines' only"));
    }
    let spread_px: Option<u32> = number(&options, "spread")?;
    if spread_px.is_some_and(|px| px > 255) {
        return Err(bad("spread", "must be 0 to 255 pixels"));
    }
    if spread_px.is_some() && flag(&options, "dynspread") {
        return Err(bad("dynspread", "cannot be combined with spread; give one of them"));
    }
    let compression = opt(&options, "compression", Compression::from_str)?.unwrap_or(Compression::Fast);
    let output = options.get("output").map(PathBuf::from);
    let agg_out = options.get("agg_out").map(PathBuf::from);
    if output.is_none() && agg_out.is_none() && pyramid_dir.is_none() {
        return Err(bad(
            "output",
            "give output= (a .png file), agg_out= (a .npy file) or pyramid= (a directory)",
        ));
    }
    if output.as_ref().is_some_and(|o| !has_extension(o, "png")) {
        return Err(bad("output", "gigaplot writes PNG images; give a file name ending in .png"));
    }
    if agg_out.as_ref().is_some_and(|o| !has_extension(o, "npy")) {
        return Err(bad(
            "agg_out",
            "the aggregate is written as a NumPy array; give a file name ending in .npy",
        ));
    }
    let image = output.as_ref().map(|path| ImageOutput {
        path: path.clone(),
        compression,
        bare: flag(&options, "bare"),
        title: options.get("title").cloned(),
        xlabel: options.get("xlabel").cloned(),
        ylabel: options.get("ylabel").cloned(),
        font_size: None,
        grid: flag(&options, "grid"),
        colorbar: flag(&options, "colorbar"),
        colorbar_label: raster.is_some().then(|| "value".to_string()),
        labels: options.get("labels").map(|l| l.split(',').map(str::to_string).collect()),
        spread: spreading.then_some(ImageSpread { px: spread_px, shape: Default::default(), background }),
    });
    let image = match image {
        Some(mut image) => {
            image.font_size = number(&options, "font_size")?;
            if let Some(spread) = &mut image.spread {
                spread.shape = opt(&options, "spread_shape", Shape::from_str)?.unwrap_or_default();
            }
            Some(image)
        }
        None => None,
    };
    let thumbnail: Option<u32> = number(&options, "thumbnail")?;
    let mut pyramid = match &pyramid_dir {
        Some(dir) => {
            let mut pyramid = PyramidOptions::for_render(dir, &render_options);
            // the pyramid is not spread: it shades over the background itself
            pyramid.background = background;
            pyramid.tile = pyramid_tile.unwrap_or(gigaplot::DEFAULT_PYRAMID_TILE);
            pyramid.projection = projection;
            if let Some(shard) = options.get("shard") {
                pyramid.shard = ShardSpec::parse(shard).map_err(crate::errors::to_py)?;
            }
            pyramid.span_from_level = number(&options, "span_from_level")?;
            if let Some(assets) = options.get("viewer_assets") {
                pyramid.viewer = ViewerAssets::Local(PathBuf::from(assets));
            }
            pyramid.format = opt(&options, "pyramid_format", PyramidFormat::from_str)?.unwrap_or_default();
            pyramid.basemap = options.get("basemap").cloned();
            pyramid.labels = options.get("labels").map(|l| l.split(',').map(str::to_string).collect());
            // spread as the image: by the same pixel radius at every level
            let shape = opt(&options, "spread_shape", Shape::from_str)?.unwrap_or_default();
            pyramid.spread = match spread_px {
                Some(px) => Some(TileSpread::Fixed(px as usize, shape)),
                None => flag(&options, "dynspread").then_some(TileSpread::Dynamic(shape)),
            };
            if raster.is_none() {
                // (a raster's ranges default to its extent: render_raster_pyramid checks)
                pyramid.check_render(&render_options).map_err(crate::errors::to_py)?;
            }
            Some(pyramid)
        }
        None => None,
    };
    // Shards of plain XYZ count pyramids of points shade with a statistics file (as the CLI
    // asks); every other pyramid's shards compute the statistics themselves.
    if let Some(p) = &pyramid {
        if options.contains_key("shard")
            && !options.contains_key("stats")
            && p.shards_take_stats(&render_options)
        {
            return Err(bad("shard", "needs stats=FILE, the statistics of every shard from gigaplot stats"));
        }
    }
    // the thread count, canvas and memory plan (and the other options) before any work
    render_options.validate().map_err(crate::errors::to_py)?;

    let report: RenderReport = match raster {
        Some(path) => {
            if x.is_some() || y.is_some() {
                return Err(bad("raster", "give the raster or x and y, not both"));
            }
            let grid = Grid::open(&path).map_err(crate::errors::to_py)?;
            let placement = RasterPlacement {
                extent: match opt(&options, "extent", parse_extent)? {
                    Some(extent) => extent,
                    None => RasterPlacement::unit_cells(&grid).extent,
                },
                origin: opt(&options, "origin", Origin::from_str)?.unwrap_or_default(),
            };
            let how = (
                opt(&options, "downsample", Downsample::from_str)?.unwrap_or_default(),
                opt(&options, "upsample", Upsample::from_str)?.unwrap_or_default(),
            );
            interruptible(py, progress, |progress: &dyn Progress| {
                let input = RasterInput { grid: &grid, placement, how };
                // a raster's ranges are its extent's: the thumbnail's are not carried over (as the CLI)
                let (mut sinks, _) = with_thumbnail(&image, thumbnail, &render_options, |o, s| {
                    render_raster(&input, o, s, progress)
                })?;
                if let Some(image) = &image {
                    sinks.push(image.sink(&render_options, None)?);
                }
                if let Some(agg) = &agg_out {
                    sinks.push(Box::new(AggregateSink::new(agg)));
                }
                match &pyramid {
                    Some(pyramid) => {
                        Ok(render_raster_pyramid(&input, &render_options, pyramid, sinks, progress)?.render)
                    }
                    None => render_raster(&input, &render_options, sinks, progress),
                }
            })?
        }
        None => {
            let (Some(x), Some(y)) = (x, y) else {
                return Err(bad("x", "give x and y (or raster=)"));
            };
            let columns = Columns::extract(x, y, value)?;
            let slices = columns.slices();
            if let (Some(pyramid), Some(stats)) = (&mut pyramid, options.get("stats")) {
                // the statistics name the files they were computed for
                let (Slice::Npy(x), Slice::Npy(y)) = (&slices.0, &slices.1) else {
                    return Err(bad(
                        "stats",
                        "the statistics name the files they were computed for: give x and y as .npy \
                         files (paths, a directory of them or np.memmap of whole files) or a table file",
                    ));
                };
                let specs = (ColumnSpec::parse(x), ColumnSpec::parse(y));
                pyramid
                    .use_stats(&PathBuf::from(stats), (&specs.0, &specs.1))
                    .map_err(crate::errors::to_py)?;
            }
            interruptible(py, progress, |progress: &dyn Progress| {
                let mut points = points(slices, &names, delimiter)?;
                if mercator {
                    points = web_mercator(points);
                }
                if let Some(k) = series {
                    let layout = SeriesLayout::of(
                        (&*points.x, ArrayShape::Column),
                        (&*points.y, ArrayShape::Column),
                        Some(k),
                    )?;
                    points.series = layout.is_multi().then_some(layout);
                }
                let (mut sinks, render_options) =
                    with_thumbnail(&image, thumbnail, &render_options, |o, s| {
                        render(&points, o, s, progress)
                    })?;
                if let Some(image) = &image {
                    sinks.push(image.sink(&render_options, points.value_source())?);
                }
                if let Some(agg) = &agg_out {
                    sinks.push(Box::new(AggregateSink::new(agg)));
                }
                match &pyramid {
                    Some(pyramid) => {
                        Ok(render_pyramid(&points, &render_options, pyramid, sinks, progress)?.render)
                    }
                    None => render(&points, &render_options, sinks, progress),
                }
            })?
        }
    };
    let summary = PyDict::new(py);
    summary.set_item("points", report.points)?;
    summary.set_item("plotted", report.plotted)?;
    summary.set_item("x_range", report.x_range)?;
    summary.set_item("y_range", report.y_range)?;
    summary.set_item("width", report.plan.width)?;
    summary.set_item("height", report.plan.height)?;
    summary.set_item("bands", report.plan.bands)?;
    summary.set_item("dynspread_px", report.dynspread_px)?;
    summary.set_item("output", output.map(|o| o.display().to_string()))?;
    summary.set_item("agg_out", agg_out.map(|o| o.display().to_string()))?;
    summary.set_item("pyramid", pyramid_dir.map(|o| o.display().to_string()))?;
    Ok(summary)
}

/// With `thumbnail=PX`: the thumbnail rendered first (the library's
/// `ImageOutput::render_thumbnail`, as the CLI's `--thumbnail`) into a file the main render
/// commits with its outputs, and the options with the ranges it found, so the main render
/// needs no second pass to find them. Without: no sink and the options as they are.
fn with_thumbnail(
    image: &Option<ImageOutput>,
    px: Option<u32>,
    options: &RenderOptions,
    run: impl FnOnce(&RenderOptions, Vec<Box<dyn Sink>>) -> gigaplot::Result<RenderReport>,
) -> gigaplot::Result<(Vec<Box<dyn Sink>>, RenderOptions)> {
    let mut options = options.clone();
    let (Some(image), Some(px)) = (image, px) else {
        return Ok((Vec::new(), options));
    };
    let (file, report) = image.render_thumbnail(px, &options, run)?;
    options.x_range = Some(report.x_range);
    options.y_range = Some(report.y_range);
    Ok((vec![Box::new(file)], options))
}

/// True when `path` ends in `.EXT` (any case).
fn has_extension(path: &std::path::Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
}
