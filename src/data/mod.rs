//! Where values come from. Everything a render reads goes through one abstraction, a
//! [`Source`] ([`source`]): memory-mapped `.npy` columns ([`npy`]) and columns already in
//! memory ([`memory`]) today; Arrow, Parquet and CSV would each be one more file here
//! implementing it, plus one line where paths are opened ([`PointColumns::open`]).
//!
//! [`PointColumns`] gathers the x, y (and value) sources of a render and, for lines, how
//! they hold several series ([`series_layout`]); [`generate`] writes the deterministic
//! synthetic dataset. Nothing in this module knows about pixels: it hands out numbers,
//! chunk by chunk.

pub mod fingerprint;
pub mod generate;
pub mod memory;
pub mod npy;
mod points;
pub mod series_layout;
pub mod source;

pub use fingerprint::Fingerprint;
pub use memory::{MemoryColumn, MemoryValues};
pub use npy::grid;
pub use npy::{ArrayShape, ColumnSpec, DType, NpyColumn};
pub use points::PointColumns;
pub use series_layout::SeriesLayout;
pub use source::{summarize, ColumnReader, ColumnSummary, Source};
