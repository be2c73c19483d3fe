//! The columns of a render: x and y, the value column reductions such as sum read, and,
//! for lines, how x and y hold several series.

use crate::data::npy::{ArrayShape, ColumnSpec, NpyColumn};
use crate::data::series_layout::{Placement, SeriesLayout};
use crate::data::source::Source;
use crate::error::{Error, Field, Result};

/// The x and y columns of a point set, checked to have the same length; or, for lines,
/// the x and y of several series (see [`SeriesLayout`](crate::SeriesLayout)). Built from `.npy` files
/// ([`PointColumns::open`] and friends) or from any [`Source`]s, such as in-memory
/// [`crate::data::MemoryColumn`]s ([`PointColumns::from_sources`]).
#[derive(Debug)]
pub struct PointColumns<'a> {
    /// Horizontal coordinates (for several series: all their values, see `series`).
    pub x: Box<dyn Source + 'a>,
    /// Vertical coordinates.
    pub y: Box<dyn Source + 'a>,
    /// The value column reductions such as sum or count-cat read (`--value`), if any.
    pub value: Option<Box<dyn Source + 'a>>,
    /// How x and y hold several series (2-D arrays, `--series K`): None for one series of
    /// equal-length 1-D columns, the only input points accept.
    pub series: Option<SeriesLayout>,
    /// Where the value of vertex (series k, row r) lies in `value` (like x and y, see
    /// [`Placement`]); `Consecutive` for one series.
    pub value_placement: Placement,
}

impl<'a> PointColumns<'a> {
    /// x and y from any sources, checked to hold the same number of values: one series
    /// of points (or of line vertices).
    pub fn from_sources(x: Box<dyn Source + 'a>, y: Box<dyn Source + 'a>) -> Result<Self> {
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
        Ok(PointColumns { x, y, value: None, series: None, value_placement: Placement::Consecutive })
    }

    /// These points with a value column (one value per point) for the reductions that
    /// read one.
    pub fn with_value(mut self, value: Box<dyn Source + 'a>) -> Result<Self> {
        self.attach_value(value)?;
        Ok(self)
    }

    /// The value column, if any, as a source.
    pub fn value_source(&self) -> Option<&(dyn Source + 'a)> {
        self.value.as_deref()
    }

    /// The series layout: [`PointColumns::series`], or one series of all the points.
    pub fn layout(&self) -> SeriesLayout {
        self.series.unwrap_or_else(|| SeriesLayout::single(self.x.len()))
    }

    /// Sets the value column of one series, checking it has one value per point.
    fn attach_value(&mut self, value: Box<dyn Source + 'a>) -> Result<()> {
        if value.len() != self.len() {
            return Err(Error::bad_input(
                value.label(),
                problem![
                    format!(
                        "has {} values but the x column {} has {}; ",
                        value.len(),
                        self.x.label(),
                        self.len()
                    ),
                    Field::Value,
                    " must have one value per point"
                ],
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

    /// Fails if any input changed since it was opened (for files: size or modification
    /// time).
    pub fn check_unchanged(&self) -> Result<()> {
        self.x.check_unchanged()?;
        self.y.check_unchanged()?;
        self.value.as_ref().map_or(Ok(()), |v| v.check_unchanged())
    }
}

use crate::data::table::open_column;

/// A column or, for a `.npy` named without `:K`, a whole 2-D array of series, with its
/// shape (a table's column is always one column).
fn open_array(spec: &ColumnSpec) -> Result<(Box<dyn Source>, ArrayShape)> {
    if crate::data::format::detect(&spec.path, &spec.label())? == crate::data::Format::Npy {
        let (column, shape) = NpyColumn::open_array(spec)?;
        return Ok((Box::new(column), shape));
    }
    Ok((open_column(spec)?, ArrayShape::Column))
}

impl PointColumns<'static> {
    /// Opens both columns and checks that they hold the same number of values.
    pub fn open(x: &ColumnSpec, y: &ColumnSpec) -> Result<Self> {
        PointColumns::from_sources(open_column(x)?, open_column(y)?)
    }

    /// Opens x and y for lines: 1-D columns, 2-D `(N, K)` arrays named without `:K` (one
    /// series per column, a 1-D column of N values shared by all), or, with `series` = K,
    /// 1-D columns holding K series back to back. Errors name the file and both shapes.
    pub fn open_series(x: &ColumnSpec, y: &ColumnSpec, series: Option<usize>) -> Result<Self> {
        let (x, x_shape) = open_array(x)?;
        let (y, y_shape) = open_array(y)?;
        let layout = SeriesLayout::of((&*x, x_shape), (&*y, y_shape), series)?;
        let series = layout.is_multi().then_some(layout);
        Ok(PointColumns { x, y, value: None, series, value_placement: Placement::Consecutive })
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
                let (column, shape) = open_array(value)?;
                points.value_placement = layout.value_placement(&*column, shape)?;
                points.value = Some(column);
            }
            None => points.attach_value(open_column(value)?)?,
        }
        Ok(points)
    }

    /// Opens x, y and a value column, checking that all three have the same length.
    pub fn open_with_value(x: &ColumnSpec, y: &ColumnSpec, value: &ColumnSpec) -> Result<Self> {
        PointColumns::open(x, y)?.with_value(open_column(value)?)
    }
}
