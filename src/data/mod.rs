//! Where points come from: `.npy` files memory-mapped and read zero-copy, and the
//! deterministic synthetic dataset.
//!
//! Nothing in this module knows about pixels: it hands out numbers, chunk by chunk.

pub mod column;
pub mod fingerprint;
pub mod generate;
pub mod grid;
pub mod npy;
pub mod series;

pub use column::{ArrayShape, Column, ColumnSpec, ColumnSummary};
pub use fingerprint::Fingerprint;
pub use npy::DType;
pub use series::SeriesLayout;

use crate::error::{Error, Result};

/// The x and y columns of a point set, checked to have the same length; or, for lines,
/// the x and y of several series (see [`series`]).
#[derive(Debug)]
pub struct PointColumns {
    /// Horizontal coordinates (for several series: all their values, see `series`).
    pub x: Column,
    /// Vertical coordinates.
    pub y: Column,
    /// The value column reductions such as sum or count-cat read (`--value`), if any.
    pub value: Option<Column>,
    /// How x and y hold several series (2-D arrays, `--series K`): None for one series of
    /// equal-length 1-D columns, the only input points accept.
    pub series: Option<SeriesLayout>,
    /// Where the value of vertex (series k, row r) lies in `value` (like x and y, see
    /// [`series::Placement`]); `Consecutive` for one series.
    pub value_placement: series::Placement,
}

impl PointColumns {
    /// Opens both columns and checks that they hold the same number of values.
    pub fn open(x: &ColumnSpec, y: &ColumnSpec) -> Result<Self> {
        let x = Column::open(x)?;
        let y = Column::open(y)?;
        if x.len() != y.len() {
            return Err(Error::bad_input(
                y.label(),
                format!(
                    "has {} values but the x column {} has {}; x and y must have the same length",
                    y.len(),
                    x.label(),
                    x.len()
                ),
            ));
        }
        Ok(PointColumns { x, y, value: None, series: None, value_placement: series::Placement::Consecutive })
    }

    /// Opens x and y for lines: 1-D columns, 2-D `(N, K)` arrays named without `:K` (one
    /// series per column, a 1-D column of N values shared by all), or, with `series` = K,
    /// 1-D columns holding K series back to back. Errors name the file and both shapes.
    pub fn open_series(x: &ColumnSpec, y: &ColumnSpec, series: Option<usize>) -> Result<Self> {
        let (x, x_shape) = Column::open_array(x)?;
        let (y, y_shape) = Column::open_array(y)?;
        let layout = SeriesLayout::of((&x, x_shape), (&y, y_shape), series)?;
        let series = layout.is_multi().then_some(layout);
        Ok(PointColumns { x, y, value: None, series, value_placement: series::Placement::Consecutive })
    }

    /// [`PointColumns::open_series`] with a value column for value reductions along lines:
    /// one value per vertex, laid out like a coordinate of the series (a 2-D `(N, K)` array,
    /// N * K values back to back, or N values shared by every series).
    pub fn open_series_with_value(
        x: &ColumnSpec,
        y: &ColumnSpec,
        series: Option<usize>,
        value: &ColumnSpec,
    ) -> Result<Self> {
        let mut points = PointColumns::open_series(x, y, series)?;
        match points.series {
            Some(layout) => {
                let (column, shape) = Column::open_array(value)?;
                points.value_placement = layout.value_placement(&column, shape)?;
                points.value = Some(column);
            }
            None => points.attach_value(Column::open(value)?)?,
        }
        Ok(points)
    }

    /// The series layout: [`PointColumns::series`], or one series of all the points.
    pub fn layout(&self) -> SeriesLayout {
        self.series.unwrap_or_else(|| SeriesLayout::single(self.x.len()))
    }

    /// Opens x, y and a value column, checking that all three have the same length.
    pub fn open_with_value(x: &ColumnSpec, y: &ColumnSpec, value: &ColumnSpec) -> Result<Self> {
        let mut points = PointColumns::open(x, y)?;
        points.attach_value(Column::open(value)?)?;
        Ok(points)
    }

    /// Sets the value column of one series, checking it has one value per point.
    fn attach_value(&mut self, value: Column) -> Result<()> {
        let points = &*self;
        if value.len() != points.len() {
            return Err(Error::bad_input(
                value.label(),
                format!(
                    "has {} values but the x column {} has {}; --value must have one value per point",
                    value.len(),
                    points.x.label(),
                    points.len()
                ),
            ));
        }
        self.value = Some(value);
        Ok(())
    }

    /// Number of points (rows; vertices of all series), including any that will be dropped
    /// as NaN or out of range.
    pub fn len(&self) -> usize {
        self.series.map_or(self.x.len(), |s| s.vertices())
    }

    /// True when there are no points at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fails if either file changed size or modification time since it was opened.
    pub fn check_unchanged(&self) -> Result<()> {
        self.x.check_unchanged()?;
        self.y.check_unchanged()?;
        self.value.as_ref().map_or(Ok(()), Column::check_unchanged)
    }
}
