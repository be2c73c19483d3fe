//! Datashader's `by(column, reduction)` for any reduction: the library's
//! [`gigaplot::aggregate_by`], one pass over the data folding each point (or each pixel of a
//! width-0 segment) into the cell of its category, handed to NumPy as an (H, W, K) array.

use gigaplot::{aggregate_by as by_category, Glyph, PointColumns, Progress, Reduction, RenderOptions};
use pyo3::prelude::*;
use std::str::FromStr;

use crate::errors::bad;
use crate::render::{bytes_to_python, canvas_options, Aggregated, Columns};
use crate::run::interruptible;

/// `by(category, reduction)` over points or lines (`glyph`, `line_width`): the (H, W, K)
/// aggregate of `reduction` of the value column (None for `count()` and `any()`) per
/// category code 0..K, bottom row first, as [`crate::render::aggregate`] returns it. `names`
/// are x, y, value and category. The ranges are given: the Python layer has them from the
/// count-cat pass that finds K when it does not know it. `memory` budgets the cells of all
/// categories (more passes, one per group of categories, when they do not fit).
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
    let options = RenderOptions {
        reduction,
        glyph: if lines { Glyph::Lines } else { Glyph::Points },
        ..canvas_options((width, height), (Some(x_range), Some(y_range)), memory, scales.as_ref())?
    };
    let (array, report) = interruptible(py, progress, |progress: &dyn Progress| {
        let points = PointColumns::from_sources(xs.column(&names[0])?, ys.column(&names[1])?)?;
        // count(column) counts the rows whose value is not NaN
        let points = match vs {
            Some(v) => points.with_value(v.column(&names[2])?)?,
            None => points,
        };
        let category = cs.column(&names[3])?;
        by_category(&points, &*category, categories, &options, progress)
    })?;
    let (shape, dtype) = (array.shape().to_vec(), array.dtype().descr().to_string());
    Ok(bytes_to_python(py, array.into_bytes(), shape, dtype, &report))
}
