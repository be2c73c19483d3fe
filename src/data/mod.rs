//! Where points come from: `.npy` files memory-mapped and read zero-copy, and the
//! deterministic synthetic dataset.
//!
//! Nothing in this module knows about pixels: it hands out numbers, chunk by chunk.

pub mod column;
pub mod generate;
pub mod grid;
pub mod npy;

pub use column::{Column, ColumnSpec, ColumnSummary};
pub use npy::DType;

use crate::error::{Error, Result};

/// The x and y columns of a point set, checked to have the same length.
#[derive(Debug)]
pub struct PointColumns {
    /// Horizontal coordinates.
    pub x: Column,
    /// Vertical coordinates.
    pub y: Column,
    /// The value column reductions such as sum or count-cat read (`--value`), if any.
    pub value: Option<Column>,
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
        Ok(PointColumns { x, y, value: None })
    }

    /// Opens x, y and a value column, checking that all three have the same length.
    pub fn open_with_value(x: &ColumnSpec, y: &ColumnSpec, value: &ColumnSpec) -> Result<Self> {
        let mut points = PointColumns::open(x, y)?;
        let value = Column::open(value)?;
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
        points.value = Some(value);
        Ok(points)
    }

    /// Number of points (rows), including any that will be dropped as NaN or out of range.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True when there are no points at all.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Fails if either file changed size or modification time since it was opened.
    pub fn check_unchanged(&self) -> Result<()> {
        self.x.check_unchanged()?;
        self.y.check_unchanged()?;
        self.value.as_ref().map_or(Ok(()), Column::check_unchanged)
    }
}
