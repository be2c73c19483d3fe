//! A typed, memory-mapped, zero-copy column: one 1-D array, or one column of a 2-D
//! C-order array, read chunk by chunk as f64.
//!
//! Peak RSS counts mapped file pages, so callers walk a column in bounded chunks and call
//! [`Column::release`] on what they have read.

use std::path::{Path, PathBuf};

use crate::data::npy::DType;
use crate::error::Result;

/// Which column of which file: `FILE.npy` (a 1-D array) or `FILE.npy:K` (column K of a 2-D
/// array).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The `.npy` file.
    pub path: PathBuf,
    /// The column of a 2-D array, if selected with `:K`.
    pub column: Option<usize>,
}

impl ColumnSpec {
    /// Parses `FILE.npy` or `FILE.npy:K`; a trailing `:K` is only taken when K is all digits.
    pub fn parse(text: &str) -> ColumnSpec {
        let _ = text;
        todo!()
    }
}

/// min, max and NaN count of a column, as `gigaplot info` shows them.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSummary {
    /// Number of values.
    pub len: usize,
    /// Element type.
    pub dtype: DType,
    /// Smallest finite value, or None if there is none.
    pub min: Option<f64>,
    /// Largest finite value, or None if there is none.
    pub max: Option<f64>,
    /// Number of NaN values.
    pub nan_count: u64,
    /// Number of +-infinite values.
    pub inf_count: u64,
}

/// A memory-mapped column, checked against its file when opened.
#[derive(Debug)]
pub struct Column {
    _private: (),
}

impl Column {
    /// Opens, maps and validates a column. Errors name the file (and `:K`).
    pub fn open(spec: &ColumnSpec) -> Result<Column> {
        let _ = spec;
        todo!()
    }

    /// Number of values in the column.
    pub fn len(&self) -> usize {
        todo!()
    }

    /// True when the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        todo!()
    }

    /// The file.
    pub fn path(&self) -> &Path {
        todo!()
    }

    /// `FILE.npy` or `FILE.npy:K`, for messages.
    pub fn label(&self) -> String {
        todo!()
    }

    /// Converts values `start .. start + out.len()` to f64 into `out`.
    ///
    /// Panics if the range is outside the column (a programming error, never user input).
    pub fn read_f64(&self, start: usize, out: &mut [f64]) {
        let _ = (start, out);
        todo!()
    }

    /// Tells the OS that the pages holding values `start .. start + len` are no longer needed,
    /// so they stop counting towards this process's RSS. Only whole pages are released.
    pub fn release(&self, start: usize, len: usize) {
        let _ = (start, len);
        todo!()
    }

    /// Fails with [`crate::Error::InputChanged`] if the file's size or modification time
    /// differs from when it was opened.
    pub fn check_unchanged(&self) -> Result<()> {
        todo!()
    }

    /// min, max, NaN and infinity counts in one parallel pass over bounded chunks.
    pub fn summary(&self) -> ColumnSummary {
        todo!()
    }
}
