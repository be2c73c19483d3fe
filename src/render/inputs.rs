//! What a render needs to know about its inputs before it can plan: the data ranges not
//! given (Datashader's automatic ranges) and, for `count-cat`, the number of categories
//! (which sets the bytes per pixel of the plan, so it cannot wait for the partition).
//! Both come from ONE parallel summary pass that reads every column needing a summary side
//! by side; a source whose format stores exact statistics is not read at all.

use crate::canvas::auto_range;
use crate::data::{summarize, ColumnSummary, PointColumns, Source};
use crate::error::{Error, Field, Result};
use crate::progress::{check_cancelled, Progress};
use crate::reduce::Reduction;
use crate::render::{RenderOptions, MAX_CATEGORIES};

/// The ranges of a render and its number of categories.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Inputs {
    /// The x range used.
    pub x_range: (f64, f64),
    /// The y range used.
    pub y_range: (f64, f64),
    /// Categories of `count-cat` (the category column's maximum + 1); 0 otherwise.
    pub categories: usize,
}

/// The ranges and categories of rendering `points` with `options`.
pub(crate) fn resolve(
    points: &PointColumns<'_>,
    options: &RenderOptions,
    progress: &dyn Progress,
) -> Result<Inputs> {
    let categories = match options.reduction {
        Reduction::CountCat => points.value_source(),
        _ => None,
    };
    // A column of strings is read as its category codes: a category, never a number.
    let numbers =
        [Some(&*points.x), Some(&*points.y), points.value_source().filter(|_| categories.is_none())];
    if let Some(text) = numbers.into_iter().flatten().find(|c| c.category_labels().is_some()) {
        return Err(Error::bad_input(
            text.label(),
            "is a column of strings, not numbers; strings are categories (count-cat's or by()'s category column)",
        ));
    }
    if let Some(column) = categories {
        if column.dtype().is_float() {
            return Err(Error::bad_input(
                column.label(),
                format!("is {}; count-cat needs an integer or bool category column", column.dtype().name()),
            ));
        }
    }
    let wanted: Vec<(&dyn Source, Role)> = [
        options.x_range.is_none().then_some((&*points.x, Role::Range(Field::XRange))),
        options.y_range.is_none().then_some((&*points.y, Role::Range(Field::YRange))),
        categories.map(|c| (c, Role::Categories)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut inputs = Inputs {
        x_range: options.x_range.unwrap_or_default(),
        y_range: options.y_range.unwrap_or_default(),
        categories: 0,
    };
    if wanted.is_empty() {
        return Ok(inputs);
    }
    let len = wanted.iter().map(|(s, _)| s.len()).max().unwrap_or(0) as u64;
    progress.stage("range", len);
    let sources: Vec<&dyn Source> = wanted.iter().map(|&(s, _)| s).collect();
    let summaries = summarize(&sources)?;
    progress.advance(len);
    check_cancelled(progress)?;
    // Categories are reported first, then x, then y, as their checks always were.
    if let Some(i) = wanted.iter().position(|(_, r)| *r == Role::Categories) {
        inputs.categories = category_count(wanted[i].0, &summaries[i])?;
    }
    for ((source, role), summary) in wanted.iter().zip(&summaries) {
        if let Role::Range(field) = *role {
            let range = range_of(*source, summary, field)?;
            match field {
                Field::XRange => inputs.x_range = range,
                _ => inputs.y_range = range,
            }
        }
    }
    Ok(inputs)
}

/// What a column is summarized for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// The automatic range of an axis (the field that gives it explicitly).
    Range(Field),
    /// count-cat's number of categories.
    Categories,
}

/// Datashader's automatic range of a column, or why there is none.
fn range_of(column: &dyn Source, summary: &ColumnSummary, field: Field) -> Result<(f64, f64)> {
    if summary.len == 0 {
        return Ok(auto_range(None, None)); // Datashader's -1..1 of an empty frame
    }
    if summary.nan_count == summary.len as u64 {
        return Err(Error::bad_input(column.label(), "every value is NaN; there is nothing to plot"));
    }
    if summary.inf_count > 0 {
        return Err(Error::bad_input(
            column.label(),
            problem![
                format!(
                    "holds {} infinite values, so no range can be computed from the data; give ",
                    summary.inf_count
                ),
                field
            ],
        ));
    }
    Ok(auto_range(summary.min, summary.max))
}

/// The number of categories of a count-cat column: its maximum + 1, after checking that
/// it holds non-negative integers below [`MAX_CATEGORIES`].
fn category_count(column: &dyn Source, summary: &ColumnSummary) -> Result<usize> {
    match (summary.min, summary.max) {
        (Some(min), Some(max)) if min >= 0.0 && max < MAX_CATEGORIES as f64 => Ok(max as usize + 1),
        (Some(min), Some(max)) => Err(Error::bad_input(
            column.label(),
            format!("holds categories {min} to {max}; count-cat takes 0 to {}", MAX_CATEGORIES - 1),
        )),
        // An empty canvas has one category (a caller that knows more pads the channels).
        _ if summary.len == 0 => Ok(1),
        _ => Err(Error::bad_input(column.label(), "has no categories")),
    }
}
