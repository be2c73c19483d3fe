//! Output files that appear only complete: written under a temporary name in the same
//! directory, renamed over the final path on commit, removed if dropped uncommitted.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::Result;

/// A file being written under a temporary name next to its final path.
#[derive(Debug)]
pub struct AtomicFile {
    _private: (),
}

impl AtomicFile {
    /// Creates `.NAME.gigaplot-PID.tmp` next to `path`. Fails (naming `path`) if the
    /// directory is missing or read-only, or if `path` is a directory.
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let _ = path;
        todo!()
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        todo!()
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        todo!()
    }

    /// The temporary path being written.
    pub fn temp_path(&self) -> &Path {
        todo!()
    }

    /// Flushes, syncs and renames the temporary file onto the final path.
    pub fn commit(self) -> Result<PathBuf> {
        todo!()
    }
}
