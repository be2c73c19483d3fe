//! Files: how gigaplot reads, writes and cleans up after itself, for every stage that
//! touches the disk (data, partition, sinks, figure, pyramid).
//!
//! Nothing gigaplot writes appears half-written, follows a planted symbolic link, or
//! outlives the process that made it:
//!
//! - [`file_kind`]: inputs and outputs that are not regular files (a FIFO, a device, a
//!   directory, a symbolic link at an output) are refused before anything opens them.
//! - [`temporary`]: temporary files and directories safe in shared directories, created
//!   exclusively at unpredictable names and locked for their life; what a dead run left is
//!   swept by the next one.
//! - [`atomic`]: output files written under a temporary name and renamed into place when
//!   complete ([`AtomicFile`]); a [`CommitGroup`] renames a render's outputs all or none.
//! - [`staged_dir`]: output directories written whole (a tile pyramid) under a temporary
//!   directory and swapped in with one `renameat2(RENAME_EXCHANGE)` ([`StagedDir`]).
//! - [`scratch`]: the partition's scratch file, locked while alive ([`ScratchFile`]).
//! - [`cleanup`]: a registry that signal handlers and fault handlers read to remove every
//!   temporary when the process dies without running destructors.
//! - [`free_space`](mod@free_space) and [`preflight`]: a render that cannot fit on the disk fails before it
//!   starts, with the numbers; the estimate uses the real size of the records the render
//!   writes.
//!
//! The arrows point down this list: [`preflight`] sizes a render (it knows the record
//! types), everything above it knows only files.

pub mod atomic;
pub mod cleanup;
pub mod file_kind;
pub mod free_space;
pub mod preflight;
pub mod scratch;
pub mod staged_dir;
pub mod temporary;

pub use atomic::{remove_if_present, write_atomically, write_atomically_below, AtomicFile, CommitGroup};
pub use scratch::ScratchFile;
pub use staged_dir::{write_staged_file, DirPolicy, StagedDir};
