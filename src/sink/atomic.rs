//! Output files that appear only complete: written under a temporary name in the same
//! directory, renamed over the final path on commit, removed if dropped uncommitted.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Marker in the names of gigaplot's temporary output files, so a later run can recognise
/// (and clean up) the leftovers of a killed one.
pub const TEMP_MARKER: &str = ".gigaplot-";

/// A file being written under a temporary name next to its final path.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    temp_path: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Creates `.NAME.gigaplot-PID.tmp` next to `path`. Fails (naming `path`) if the
    /// directory is missing or read-only, or if `path` is a directory.
    pub fn create(path: &Path) -> Result<AtomicFile> {
        if path.is_dir() {
            return Err(Error::bad_parameter(
                path.display().to_string(),
                "is a directory; give a file name for the output",
            ));
        }
        let name = path.file_name().ok_or_else(|| {
            Error::bad_parameter(path.display().to_string(), "is not a file name")
        })?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("the directory {} does not exist", dir.display()),
                ),
            ));
        }
        let temp_name =
            format!(".{}{}{}.tmp", name.to_string_lossy(), TEMP_MARKER, std::process::id());
        let temp_path = dir.join(temp_name);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp_path)
            .map_err(|e| Error::io(path, e))?;
        Ok(AtomicFile { path: path.to_path_buf(), temp_path, file: Some(file) })
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("AtomicFile used after commit")
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary path being written.
    pub fn temp_path(&self) -> &Path {
        &self.temp_path
    }

    /// Flushes, syncs and renames the temporary file onto the final path.
    pub fn commit(mut self) -> Result<PathBuf> {
        let mut file = self.file.take().expect("AtomicFile committed twice");
        file.flush().map_err(|e| Error::io(&self.path, e))?;
        file.sync_all().map_err(|e| Error::io(&self.path, e))?;
        drop(file);
        std::fs::rename(&self.temp_path, &self.path).map_err(|e| Error::io(&self.path, e))?;
        Ok(self.path.clone())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temp_path);
        }
    }
}
