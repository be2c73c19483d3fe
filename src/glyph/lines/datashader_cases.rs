//! Datashader's own line aggregates (`tests/data/datashader/line_aggregates.json`, written by
//! `tools/gen_line_reference.py`) as test cases for the line glyph.

use std::sync::LazyLock;

use serde::Deserialize;

/// One reference drawing.
#[derive(Deserialize)]
pub(crate) struct Case {
    pub name: String,
    pub x_range: (f64, f64),
    /// The x axis is logarithmic (Datashader's `x_axis_type='log'`).
    pub x_log: bool,
    pub y_range: (f64, f64),
    pub width: u32,
    pub height: u32,
    /// One polyline per series; series never join.
    pub series: Vec<Series>,
    /// Datashader's `line_width` (0 = Bresenham, > 0 = anti-aliased).
    pub line_width: f64,
    /// `count`, `sum` of the value 1 + 0.25 * vertex index, or `count_max`
    /// (`count(self_intersect=False)`).
    pub reduction: String,
    /// Datashader's aggregate is float32 (values are the f32 written in shortest form).
    pub float32: bool,
    /// Datashader's non-empty pixels as (image-order index, value); every other pixel is 0
    /// (width 0, u32 counts) or NaN (float aggregates).
    #[serde(deserialize_with = "crate::test_data::indexed_floats")]
    pub expected: Vec<(u32, f64)>,
}

/// The vertices of one polyline (NaN breaks it).
#[derive(Deserialize)]
pub(crate) struct Series {
    #[serde(deserialize_with = "crate::test_data::floats")]
    pub xs: Vec<f64>,
    #[serde(deserialize_with = "crate::test_data::floats")]
    pub ys: Vec<f64>,
}

/// The whole file.
#[derive(Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

static REFERENCE: LazyLock<Reference> =
    LazyLock::new(|| crate::test_data::load("datashader/line_aggregates.json"));

/// Every reference drawing, in the file's order.
pub(crate) fn cases() -> &'static [Case] {
    &REFERENCE.cases
}
