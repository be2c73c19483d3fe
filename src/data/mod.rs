//! Where values come from. Everything a render reads goes through one abstraction, a
//! [`Source`] ([`source`]): memory-mapped `.npy` columns ([`npy`]) and columns already in
//! memory ([`memory`]), and the columns of table files: Parquet ([`parquet`]), Arrow IPC
//! and Feather ([`arrow`]) and CSV ([`csv`]), each one file here over the block reader of
//! [`blocks`]. A file's format is recognised by its extension and its first bytes
//! ([`format`]); [`table`] picks a table's column by name and opens any file's column
//! (one line per format).
//!
//! [`PointColumns`] gathers the x, y (and value) sources of a render and, for lines, how
//! they hold several series ([`series_layout`]); [`generate`] writes the deterministic
//! synthetic dataset. Nothing in this module knows about pixels: it hands out numbers,
//! chunk by chunk.

#[cfg(feature = "arrow")]
pub mod arrow;
#[cfg(any(feature = "parquet", feature = "arrow", feature = "csv"))]
pub mod blocks;
#[cfg(feature = "csv")]
pub mod csv;
pub mod fingerprint;
pub mod format;
pub mod generate;
pub mod memory;
pub mod npy;
#[cfg(feature = "parquet")]
pub mod parquet;
mod points;
pub mod projection;
pub mod series_layout;
pub mod source;
pub mod table;

pub use fingerprint::Fingerprint;
pub use format::Format;
pub use memory::MemoryColumn;
pub use npy::grid;
pub use npy::{ColumnSpec, DType, NpyColumn};
pub use points::PointColumns;
pub use source::{summarize, ColumnSummary, Floats, Source};
