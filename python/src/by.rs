//! Datashader's `by(column, reduction)` for any reduction: one render per category over
//! the points of that category, stacked into an (H, W, K) aggregate. A category's points
//! are selected without a copy by [`OneCategory`], an x column that reads NaN (a dropped
//! point) wherever the category column holds another code, so each pass reduces exactly
//! the rows Datashader's `by` gives that category, in input order.

use gigaplot::Progress;
use gigaplot::Reduction;
use gigaplot::Result;
use gigaplot::{render, RenderOptions, RenderReport};
use gigaplot::{DType, Source};
use pyo3::prelude::*;
use std::str::FromStr;

use crate::errors::bad;
use crate::render::{bytes_to_python, canvas_options, in_memory, Aggregated, Columns};
use crate::run::interruptible;

/// The x column of the points whose category is `code` (and, for `count(column)`, whose
/// value is not NaN): x itself there, NaN elsewhere, so the render drops the other points.
#[derive(Debug)]
struct OneCategory<'a> {
    x: Box<dyn Source + 'a>,
    category: Box<dyn Source + 'a>,
    code: f64,
    /// With `count(column)`: points whose value is NaN are dropped too.
    value: Option<Box<dyn Source + 'a>>,
}

impl Source for OneCategory<'_> {
    fn label(&self) -> String {
        self.x.label()
    }
    fn len(&self) -> usize {
        self.x.len()
    }
    fn dtype(&self) -> DType {
        // NaN marks the other categories' points: an integer x is read as float64
        if self.x.dtype().is_float() {
            self.x.dtype()
        } else {
            DType::F64
        }
    }
    fn read_f64(&self, start: usize, out: &mut [f64]) -> Result<()> {
        self.x.read_f64(start, out)?;
        let mut other = vec![0.0; out.len()];
        self.category.read_f64(start, &mut other)?;
        for (x, &c) in out.iter_mut().zip(&other) {
            if c != self.code {
                *x = f64::NAN;
            }
        }
        if let Some(value) = &self.value {
            value.read_f64(start, &mut other)?;
            for (x, v) in out.iter_mut().zip(&other) {
                if v.is_nan() {
                    *x = f64::NAN;
                }
            }
        }
        Ok(())
    }
    fn release(&self, start: usize, len: usize) {
        self.x.release(start, len);
        self.category.release(start, len);
        if let Some(value) = &self.value {
            value.release(start, len);
        }
    }
    fn check_unchanged(&self) -> Result<()> {
        self.x.check_unchanged()?;
        self.category.check_unchanged()
    }
    fn chunk_len(&self) -> Option<usize> {
        self.x.chunk_len()
    }
}

/// `by(category, reduction)` over points: the (H, W, K) aggregate of `reduction` of the
/// value column (None for `count()` and `any()`) per category code 0..K, bottom row first,
/// as [`crate::render::aggregate`] returns it. `names` are x, y, value and category. The
/// ranges must be given: every pass must bin alike, and the data's extent is that of all
/// the points, which no single pass sees.
#[pyfunction]
#[pyo3(signature = (x, y, value, category, names, width, height, x_range, y_range, reduction, categories, memory=None, scales=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn aggregate_by<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    value: Option<&Bound<'py, PyAny>>,
    category: &Bound<'py, PyAny>,
    names: [String; 4],
    width: u32,
    height: u32,
    x_range: (f64, f64),
    y_range: (f64, f64),
    reduction: &str,
    categories: usize,
    memory: Option<u64>,
    scales: Option<(String, String)>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Aggregated<'py>> {
    let reduction = Reduction::from_str(reduction).map_err(|e| bad("agg", e))?;
    if reduction == Reduction::CountCat {
        return Err(bad("agg", "by(column, count_cat(...)) nests categories; give by(column, count())"));
    }
    if reduction.needs_value() && value.is_none() {
        return Err(bad("agg", format!("{reduction} needs a value column")));
    }
    let columns = Columns::extract(x, y, value)?;
    let held_category = crate::columns::Held::extract("category", category)?;
    let (xs, ys, vs) = columns.slices();
    let cs = held_category.slice();
    let options = RenderOptions {
        reduction,
        ..canvas_options((width, height), (Some(x_range), Some(y_range)), memory, scales.as_ref())?
    };
    let (bytes, shape, dtype, report) = interruptible(py, progress, |progress: &dyn Progress| {
        let mut layers = Vec::with_capacity(categories);
        let mut last: Option<RenderReport> = None;
        for code in 0..categories {
            let one = OneCategory {
                x: xs.clone().column(&names[0])?,
                category: cs.clone().column(&names[3])?,
                code: code as f64,
                value: match (&vs, reduction.needs_value()) {
                    (Some(v), false) => Some(v.clone().column(&names[2])?),
                    _ => None,
                },
            };
            let mut points =
                gigaplot::PointColumns::from_sources(Box::new(one), ys.clone().column(&names[1])?)?;
            if let (Some(v), true) = (&vs, reduction.needs_value()) {
                points = points.with_value(v.clone().column(&names[2])?)?;
            }
            let (array, report) = in_memory(|sinks| render(&points, &options, sinks, progress))?;
            layers.push(array);
            last = Some(report);
        }
        let report = last.ok_or_else(|| gigaplot::Error::usage("categories", "must be at least 1"))?;
        let dtype = layers[0].dtype();
        if layers.iter().any(|l| l.dtype() != dtype) {
            return Err(gigaplot::Error::usage("by", "the categories' aggregates differ in dtype"));
        }
        let (h, w) = (height as usize, width as usize);
        let size = dtype.size();
        let planes: Vec<Vec<u8>> = layers.into_iter().map(|l| l.into_bytes()).collect();
        let mut bytes = vec![0u8; h * w * categories * size];
        for (k, plane) in planes.iter().enumerate() {
            for (pixel, cell) in plane.chunks_exact(size).enumerate() {
                let at = (pixel * categories + k) * size;
                bytes[at..at + size].copy_from_slice(cell);
            }
        }
        Ok((bytes, vec![h, w, categories], dtype.descr().to_string(), report))
    })?;
    Ok(bytes_to_python(py, bytes, shape, dtype, &report))
}
