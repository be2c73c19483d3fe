//! Datashader's `by(column, reduction)` for any reduction: one render per category,
//! stacked into an (H, W, K) aggregate. A category's rows are selected without a copy by
//! [`OneCategory`], a column that reads NaN wherever the category column holds another
//! code, so each pass reduces exactly the rows Datashader's `by` gives that category, in
//! input order. Points mask x (a NaN point is dropped); lines keep their geometry and mask
//! the value instead (a segment counts for its start vertex's category, and every
//! reduction skips NaN values, as Datashader's do), so `count(column)` of a line is the
//! `sum` of a column of ones.
//!
//! One pass per category, not one pass in all: the engine's records carry one value (the
//! category of `count_cat`, or the value of the other reductions), and carrying both
//! would widen every record of every reduction. `by(c, count())` is `count_cat` (one pass).

use gigaplot::Progress;
use gigaplot::Reduction;
use gigaplot::Result;
use gigaplot::{render, Glyph, PointColumns, RenderOptions, RenderReport};
use gigaplot::{DType, Source};
use pyo3::prelude::*;
use std::str::FromStr;

use crate::columns::Slice;
use crate::errors::bad;
use crate::render::{bytes_to_python, canvas_options, in_memory, Aggregated, Columns};
use crate::run::interruptible;

/// A column (x of points, the value of lines; None: ones) where the row's category is
/// `code` (and, for `count(column)`, its value is not NaN), NaN elsewhere.
#[derive(Debug)]
struct OneCategory<'a> {
    x: Option<Box<dyn Source + 'a>>,
    category: Box<dyn Source + 'a>,
    code: f64,
    /// With `count(column)`: rows whose value is NaN read NaN too.
    value: Option<Box<dyn Source + 'a>>,
}

impl Source for OneCategory<'_> {
    fn label(&self) -> String {
        self.x.as_ref().map_or_else(|| self.category.label(), |x| x.label())
    }
    fn len(&self) -> usize {
        self.category.len()
    }
    fn dtype(&self) -> DType {
        // NaN marks the other categories' rows: an integer column is read as float64
        match &self.x {
            Some(x) if x.dtype().is_float() => x.dtype(),
            _ => DType::F64,
        }
    }
    fn read_f64(&self, start: usize, out: &mut [f64]) -> Result<()> {
        match &self.x {
            Some(x) => x.read_f64(start, out)?,
            None => out.fill(1.0),
        }
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
        if let Some(x) = &self.x {
            x.release(start, len);
        }
        self.category.release(start, len);
        if let Some(value) = &self.value {
            value.release(start, len);
        }
    }
    fn check_unchanged(&self) -> Result<()> {
        if let Some(x) = &self.x {
            x.check_unchanged()?;
        }
        self.category.check_unchanged()
    }
    fn chunk_len(&self) -> Option<usize> {
        self.x.as_ref().map_or_else(|| self.category.chunk_len(), |x| x.chunk_len())
    }
}

/// `by(category, reduction)` over points or lines (`glyph`, `line_width`): the (H, W, K)
/// aggregate of `reduction` of the value column (None for `count()` and `any()`) per
/// category code 0..K, bottom row first, as [`crate::render::aggregate`] returns it. `names`
/// are x, y, value and category. The ranges must be given: every pass must bin alike, and
/// the data's extent is that of all the points, which no single pass sees.
#[pyfunction]
#[pyo3(signature = (x, y, value, category, names, width, height, x_range, y_range, reduction, categories, memory=None, scales=None, progress=None, glyph="points", line_width=0.0))]
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
    glyph: &str,
    line_width: f64,
) -> PyResult<Aggregated<'py>> {
    let reduction = Reduction::from_str(reduction).map_err(|e| bad("agg", e))?;
    if reduction == Reduction::CountCat {
        return Err(bad("agg", "by(column, count_cat(...)) nests categories; give by(column, count())"));
    }
    if reduction.needs_value() && value.is_none() {
        return Err(bad("agg", format!("{reduction} needs a value column")));
    }
    let lines = Glyph::from_str(glyph).map_err(|e| bad("glyph", e))? == Glyph::Lines;
    if lines && line_width != 0.0 {
        return Err(bad(
            "line_width",
            "by(column, reduction) of anti-aliased lines is not supported; give line_width=0 (or count_cat)",
        ));
    }
    if lines && reduction == Reduction::Any {
        return Err(bad("agg", "by(column, any()) of lines: give count_cat(column) and compare with 0"));
    }
    let columns = Columns::extract(x, y, value)?;
    let held_category = crate::columns::Held::extract("category", category)?;
    let (xs, ys, vs) = columns.slices();
    let cs = held_category.slice();
    // lines count a category's segments as the sum of ones where its value is not NaN
    let counts_lines = lines && reduction == Reduction::Count;
    let options = RenderOptions {
        reduction: if counts_lines { Reduction::Sum } else { reduction },
        glyph: if lines { Glyph::Lines } else { Glyph::Points },
        ..canvas_options((width, height), (Some(x_range), Some(y_range)), memory, scales.as_ref())?
    };
    let (bytes, shape, dtype, report) = interruptible(py, progress, |progress: &dyn Progress| {
        let mut layers = Vec::with_capacity(categories);
        let mut last: Option<RenderReport> = None;
        for code in 0..categories {
            let category = column(&cs, &names[3])?;
            let points = if lines {
                // the geometry whole, the value masked: NaN outside the category
                let one = OneCategory {
                    x: match (&vs, counts_lines) {
                        (Some(v), false) => Some(column(v, &names[2])?),
                        _ => None,
                    },
                    category,
                    code: code as f64,
                    value: match (&vs, counts_lines) {
                        (Some(v), true) => Some(column(v, &names[2])?),
                        _ => None,
                    },
                };
                PointColumns::from_sources(column(&xs, &names[0])?, column(&ys, &names[1])?)?
                    .with_value(Box::new(one))?
            } else {
                let one = OneCategory {
                    x: Some(column(&xs, &names[0])?),
                    category,
                    code: code as f64,
                    value: match (&vs, reduction.needs_value()) {
                        (Some(v), false) => Some(column(v, &names[2])?),
                        _ => None,
                    },
                };
                let points = PointColumns::from_sources(Box::new(one), column(&ys, &names[1])?)?;
                match (&vs, reduction.needs_value()) {
                    (Some(v), true) => points.with_value(column(v, &names[2])?)?,
                    _ => points,
                }
            };
            let (array, report) = in_memory(|sinks| render(&points, &options, sinks, progress))?;
            layers.push(array);
            last = Some(report);
        }
        let report = last.ok_or_else(|| gigaplot::Error::usage("categories", "must be at least 1"))?;
        let dtype = layers[0].dtype();
        if layers.iter().any(|l| l.dtype() != dtype) {
            return Err(gigaplot::Error::usage("by", "the categories' aggregates differ in dtype"));
        }
        let mut planes: Vec<Vec<u8>> = layers.into_iter().map(|l| l.into_bytes()).collect();
        let dtype = match counts_lines {
            true => {
                for plane in &mut planes {
                    *plane = sums_to_counts(plane);
                }
                DType::U32
            }
            false => dtype,
        };
        let (h, w) = (height as usize, width as usize);
        let size = dtype.size();
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

/// The column `slice` holds, named `name`.
fn column<'a>(slice: &Slice<'a>, name: &str) -> Result<Box<dyn Source + 'a>> {
    slice.clone().column(name)
}

/// Float64 sums of ones (NaN where empty) as uint32 counts (0 where empty): exact, the
/// sums being whole numbers far below 2^53.
fn sums_to_counts(plane: &[u8]) -> Vec<u8> {
    plane
        .chunks_exact(8)
        .flat_map(|cell| {
            let sum = f64::from_ne_bytes(cell.try_into().unwrap_or([0; 8]));
            let count = if sum.is_nan() { 0 } else { sum as u32 };
            count.to_ne_bytes()
        })
        .collect()
}
