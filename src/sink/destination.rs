//! Where an encoder sink's bytes go: a file that appears only complete (an [`AtomicFile`],
//! created when the render begins and committed with the render's other outputs when it
//! finishes), or any `Write` given by the caller (a `Vec<u8>`, a socket, stdout), handed
//! back through a [`Finished`] after the last byte.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::AtomicFile;
use crate::sink::Finished;

/// Opens the output when the render begins.
type Open<W> = Box<dyn FnOnce() -> Result<W> + Send>;
/// Completes the output after its last byte.
type Close<W> = Box<dyn FnOnce(W) -> Result<()> + Send>;

/// An encoder's output, opened by [`Destination::open`] at `begin` and completed by
/// [`Destination::close`] at `finish`.
pub(crate) struct Destination<W> {
    /// What errors name: the file's final path, or what the writer is ("PNG stream").
    name: PathBuf,
    open: Option<Open<W>>,
    close: Option<Close<W>>,
}

impl<W> std::fmt::Debug for Destination<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination").field("name", &self.name).finish_non_exhaustive()
    }
}

impl Destination<AtomicFile> {
    /// The file `path`, written under a temporary name and renamed into place at the end
    /// (inside the render's commit group: with its other outputs, or not at all).
    pub(crate) fn file(path: &Path) -> Destination<AtomicFile> {
        let target = path.to_path_buf();
        Destination {
            name: path.to_path_buf(),
            open: Some(Box::new(move || AtomicFile::create(&target))),
            close: Some(Box::new(|file: AtomicFile| file.commit().map(drop))),
        }
    }
}

impl<W: Write + Send + 'static> Destination<W> {
    /// `writer`, named `name` in errors, flushed and handed back through the returned
    /// [`Finished`] at the end.
    pub(crate) fn writer(writer: W, name: &str) -> (Destination<W>, Finished<W>) {
        let finished = Finished::new();
        let handed = finished.clone();
        let name = PathBuf::from(name);
        let flush_name = name.clone();
        let destination = Destination {
            name,
            open: Some(Box::new(move || Ok(writer))),
            close: Some(Box::new(move |mut writer: W| {
                writer.flush().map_err(|e| Error::io(flush_name, e))?;
                handed.put(writer);
                Ok(())
            })),
        };
        (destination, finished)
    }
}

impl<W> Destination<W> {
    /// What errors name.
    pub(crate) fn name(&self) -> &Path {
        &self.name
    }

    /// Opens the output (once: a second call is an error naming the output).
    pub(crate) fn open(&mut self) -> Result<W> {
        match self.open.take() {
            Some(open) => open(),
            None => Err(Error::usage(self.name.display().to_string(), "the output was opened twice")),
        }
    }

    /// Completes the output: commits the file, or hands the writer back.
    pub(crate) fn close(&mut self, out: W) -> Result<()> {
        match self.close.take() {
            Some(close) => close(out),
            None => Err(Error::usage(self.name.display().to_string(), "the output was closed twice")),
        }
    }
}
