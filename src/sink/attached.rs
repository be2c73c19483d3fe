//! A file written before the render and committed with its outputs: all of them appear, or
//! none (a `--thumbnail`, rendered first into a temporary file, must not appear beside a
//! main picture that failed, nor be missing beside one that succeeded).

use crate::error::Result;
use crate::io::AtomicFile;
use crate::sink::{Band, CanvasInfo, Sink};

/// A finished but uncommitted [`AtomicFile`] that reads no band: its [`Sink::finish`]
/// commits it inside the render's commit group, so it replaces its old file only together
/// with the render's other outputs. Dropped unfinished (an error, an interrupt), it removes
/// its temporary file.
#[derive(Debug)]
pub struct AttachedFile {
    file: AtomicFile,
}

impl AttachedFile {
    /// Attaches `file` (completely written) to a render.
    pub fn new(file: AtomicFile) -> AttachedFile {
        AttachedFile { file }
    }
}

impl Sink for AttachedFile {
    fn begin(&mut self, _canvas: &CanvasInfo) -> Result<()> {
        Ok(())
    }

    fn band(&mut self, _band: &dyn Band) -> Result<()> {
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.file.commit().map(drop)
    }
}
