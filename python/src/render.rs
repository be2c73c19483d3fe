//! Renders from Python: `aggregate` keeps the raw aggregate in memory (`Canvas.points`,
//! `Canvas.line`), `render_file` writes the PNG (and `.npy`) the CLI writes for the same
//! options (`gp.render`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;

use gigaplot::{
    category_legend, parse_color_key, parse_range, parse_size, render, AggregateArraySink, AggregateSink,
    Color, Colormap, Compression, Dynspread, FigureSink, FigureSpec, Glyph, How, PngSink, PointColumns,
    Progress, Reduction, RenderOptions, RenderReport, Scale, Sink, Source, SpreadShape as Shape, SpreadSink,
    Spreader,
};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::columns::{Held, Slice};
use crate::errors::bad;
use crate::run::interruptible;

/// The x, y and value columns borrowed from NumPy arrays.
struct Columns<'py> {
    x: Held<'py>,
    y: Held<'py>,
    value: Option<Held<'py>>,
}

impl<'py> Columns<'py> {
    fn extract(
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

    fn slices(&self) -> (Slice<'_>, Slice<'_>, Option<Slice<'_>>) {
        (self.x.slice(), self.y.slice(), self.value.as_ref().map(Held::slice))
    }
}

/// The library's points over borrowed slices.
fn points<'a>(
    (x, y, value): (Slice<'a>, Slice<'a>, Option<Slice<'a>>),
    names: &[String; 3],
) -> gigaplot::Result<PointColumns<'a>> {
    let points = PointColumns::from_sources(x.column(&names[0])?, y.column(&names[1])?)?;
    match value {
        Some(v) => points.with_value(v.column(&names[2])?),
        None => Ok(points),
    }
}

/// What [`aggregate`] returns: bytes, shape, dtype, x range, y range.
type Aggregated<'py> = (Bound<'py, PyArray1<u8>>, Vec<usize>, String, (f64, f64), (f64, f64));

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
        width,
        height,
        x_range,
        y_range,
        reduction: Reduction::from_str(reduction).map_err(|e| bad("agg", e))?,
        glyph: Glyph::from_str(glyph).map_err(|e| bad("glyph", e))?,
        line_width,
        memory_budget: memory.unwrap_or(gigaplot::DEFAULT_MEMORY_BUDGET),
        x_scale: scale(scales.as_ref().map(|s| s.0.as_str()), "x_axis_type")?,
        y_scale: scale(scales.as_ref().map(|s| s.1.as_str()), "y_axis_type")?,
        ..RenderOptions::default()
    };
    let (array, report) = interruptible(py, progress, |progress: &dyn Progress| {
        let points = points(slices, &names)?;
        let (sink, finished) = AggregateArraySink::new();
        let report = render(&points, &options, vec![Box::new(sink)], progress)?;
        let array = finished
            .take()
            .ok_or_else(|| gigaplot::Error::usage("AggregateArraySink", "the render kept no aggregate"))?;
        Ok((array, report))
    })?;
    let shape = array.shape().to_vec();
    let dtype = array.dtype().descr().to_string();
    let mut bytes = array.into_bytes();
    flip_rows(&mut bytes, shape[0]);
    Ok((PyArray1::from_vec(py, bytes), shape, dtype, report.x_range, report.y_range))
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
];

/// Renders to files as `gigaplot render` does with the same flags: `options` maps each
/// keyword (a flag's name with underscores) to its command-line text. Returns the summary.
#[pyfunction]
#[pyo3(signature = (x, y, value, names, options, progress=None))]
pub fn render_file<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    value: Option<&Bound<'py, PyAny>>,
    names: [String; 3],
    options: HashMap<String, String>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    if let Some(key) = options.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        let hint = if ["pyramid", "raster", "series", "stats", "shard"].iter().any(|p| key.starts_with(p)) {
            "is not supported by gp.render yet; use the gigaplot command"
        } else {
            "unknown option"
        };
        return Err(bad(key, hint));
    }
    let spreading = options.contains_key("spread") || flag(&options, "dynspread");
    let background = opt(&options, "background", Color::parse)?.unwrap_or(Color::TRANSPARENT);
    let render_options = RenderOptions {
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
    let spread_px: Option<u32> = number(&options, "spread")?;
    if spread_px.is_some_and(|px| px > 255) {
        return Err(bad("spread", "must be 0 to 255 pixels"));
    }
    if spread_px.is_some() && flag(&options, "dynspread") {
        return Err(bad("dynspread", "cannot be combined with spread; give one of them"));
    }
    let shape = opt(&options, "spread_shape", Shape::from_str)?.unwrap_or_default();
    let compression = opt(&options, "compression", Compression::from_str)?.unwrap_or(Compression::Fast);
    let output = options.get("output").map(PathBuf::from);
    let agg_out = options.get("agg_out").map(PathBuf::from);
    if output.is_none() && agg_out.is_none() {
        return Err(bad("output", "give output= (a .png file) or agg_out= (a .npy file)"));
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
    let figure = Figure {
        bare: flag(&options, "bare"),
        title: options.get("title").cloned(),
        xlabel: options.get("xlabel").cloned(),
        ylabel: options.get("ylabel").cloned(),
        font_size: number(&options, "font_size")?,
        grid: flag(&options, "grid"),
        colorbar: flag(&options, "colorbar"),
        labels: options.get("labels").map(|l| l.split(',').map(str::to_string).collect()),
    };
    // the thread count, canvas and memory plan (and the other options) before any work
    render_options.validate().map_err(crate::errors::to_py)?;

    let columns = Columns::extract(x, y, value)?;
    let slices = columns.slices();
    let report: RenderReport = interruptible(py, progress, |progress: &dyn Progress| {
        let points = points(slices, &names)?;
        let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
        if let Some(output) = &output {
            let image = figure.sink(output, compression, &render_options, points.value_source())?;
            let image: Box<dyn Sink> = match spread_px {
                Some(px) => Box::new(SpreadSink::new(image, Spreader::new(px as usize, shape), background)),
                None if render_options.dynspread.is_some() => {
                    Box::new(SpreadSink::dynamic(image, shape, background))
                }
                None => image,
            };
            sinks.push(image);
        }
        if let Some(agg) = &agg_out {
            sinks.push(Box::new(AggregateSink::new(agg)));
        }
        render(&points, &render_options, sinks, progress)
    })?;
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
    Ok(summary)
}

/// True when `path` ends in `.EXT` (any case).
fn has_extension(path: &std::path::Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// The figure keywords: a bare image, or axes, labels, colorbar and legend around it.
struct Figure {
    bare: bool,
    title: Option<String>,
    xlabel: Option<String>,
    ylabel: Option<String>,
    font_size: Option<f32>,
    grid: bool,
    colorbar: bool,
    labels: Option<Vec<String>>,
}

impl Figure {
    /// The PNG sink, drawn as `gigaplot render` draws it with the same flags.
    fn sink(
        &self,
        output: &std::path::Path,
        compression: Compression,
        options: &RenderOptions,
        value: Option<&dyn Source>,
    ) -> gigaplot::Result<Box<dyn Sink>> {
        if self.bare {
            return Ok(Box::new(PngSink::new(output, compression)));
        }
        let legend = match (options.reduction, value) {
            (Reduction::CountCat, Some(value)) => {
                Some(category_legend(self.labels.as_deref(), options.color_key.as_deref(), value)?)
            }
            _ => None,
        };
        let spec = FigureSpec {
            title: self.title.clone(),
            xlabel: self.xlabel.clone(),
            ylabel: self.ylabel.clone(),
            font_size: self.font_size,
            grid: self.grid,
            legend,
            ..FigureSpec::default()
        };
        let colorbar = self.colorbar.then_some(Some(options.reduction.to_string()));
        Ok(Box::new(FigureSink::new(output, compression, spec, colorbar)))
    }
}
