//! Output files that appear only complete: written under a temporary name in the same
//! directory, renamed over the final path on commit, removed if dropped uncommitted.
//!
//! The temporary name carries the process id (`.NAME.gigaplot-PID.tmp`), so the leftover of
//! a killed run is recognised and removed by the next run writing the same output, and the
//! path is registered with [`crate::cleanup`] so an emergency exit removes it too.
//!
//! A render with several outputs (PNG and aggregate) must not replace one and then fail on
//! the other: inside a [`CommitGroup`], [`AtomicFile::commit`] writes and syncs but defers
//! the rename until the group commits, and a group dropped uncommitted removes them all.

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cleanup::{process_alive, register_temporary, Registration};
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
    /// Dropped after the file is removed or renamed (fields drop after `Drop::drop`).
    _registration: Registration,
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
        let name = path
            .file_name()
            .ok_or_else(|| Error::bad_parameter(path.display().to_string(), "is not a file name"))?;
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
        remove_stale_temporaries(&dir, &name.to_string_lossy());
        let temp_name = format!(".{}{}{}.tmp", name.to_string_lossy(), TEMP_MARKER, std::process::id());
        let temp_path = dir.join(temp_name);
        let registration = register_temporary(&temp_path);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp_path)
            .map_err(|e| Error::io(path, e))?;
        Ok(AtomicFile { path: path.to_path_buf(), temp_path, file: Some(file), _registration: registration })
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

    /// Flushes, syncs and renames the temporary file onto the final path (inside a
    /// [`CommitGroup`] on this thread, the rename waits for the group's commit).
    /// On failure the temporary file is removed, like an uncommitted drop.
    pub fn commit(mut self) -> Result<PathBuf> {
        let mut file = self.file.take().expect("AtomicFile committed twice");
        let synced = file.flush().and_then(|()| file.sync_all());
        drop(file);
        if let Err(e) = synced {
            let _ = std::fs::remove_file(&self.temp_path);
            return Err(Error::io(&self.path, e));
        }
        let path = self.path.clone();
        match defer(self) {
            Ok(()) => Ok(path),
            Err(this) => this.rename(),
        }
    }

    /// Renames the (closed, synced) temporary file onto the final path.
    fn rename(self) -> Result<PathBuf> {
        match std::fs::rename(&self.temp_path, &self.path) {
            Ok(()) => Ok(self.path.clone()),
            Err(e) => {
                let _ = std::fs::remove_file(&self.temp_path);
                Err(Error::io(&self.path, e))
            }
        }
    }
}

thread_local! {
    /// Files committed inside this thread's open [`CommitGroup`], waiting to be renamed.
    static DEFERRED: RefCell<Option<Vec<AtomicFile>>> = const { RefCell::new(None) };
}

/// Queues `file` in this thread's group; gives it back when no group is open.
fn defer(file: AtomicFile) -> std::result::Result<(), AtomicFile> {
    DEFERRED.with(|deferred| match deferred.borrow_mut().as_mut() {
        Some(queue) => {
            queue.push(file);
            Ok(())
        }
        None => Err(file),
    })
}

/// Defers the renames of every [`AtomicFile`] committed on this thread until
/// [`CommitGroup::commit`], so a render's outputs replace the old ones only if all of them
/// were written; dropped uncommitted, it removes their temporary files.
#[derive(Debug)]
pub struct CommitGroup {
    /// Not Send: the group belongs to the thread that opened it.
    _thread: std::marker::PhantomData<*const ()>,
}

impl CommitGroup {
    /// Opens a group on this thread (groups do not nest: an inner one joins the outer).
    pub fn begin() -> CommitGroup {
        DEFERRED.with(|d| d.borrow_mut().get_or_insert_with(Vec::new).len());
        CommitGroup { _thread: std::marker::PhantomData }
    }

    /// Renames every deferred file onto its final path, in commit order.
    pub fn commit(self) -> Result<()> {
        let files = DEFERRED.with(|d| d.borrow_mut().take()).unwrap_or_default();
        let mut result = Ok(());
        for file in files {
            match result {
                Ok(()) => result = file.rename().map(|_| ()),
                // After a failure the remaining temporaries go, like an uncommitted group.
                Err(_) => {
                    let _ = std::fs::remove_file(&file.temp_path);
                }
            }
        }
        result
    }
}

impl Drop for CommitGroup {
    fn drop(&mut self) {
        let files = DEFERRED.with(|d| d.borrow_mut().take()).unwrap_or_default();
        for file in files {
            let _ = std::fs::remove_file(&file.temp_path);
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temp_path);
        }
    }
}

/// Removes `.NAME.gigaplot-PID.tmp` files in `dir` left by processes that no longer run
/// (a `kill -9` during an earlier render of the same output).
pub fn remove_stale_temporaries(dir: &Path, name: &str) {
    let prefix = format!(".{name}{TEMP_MARKER}");
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let pid = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<i32>().ok());
        if pid.is_some_and(|pid| !process_alive(pid)) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn commit_renames_and_drop_removes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.bin");
        let mut file = AtomicFile::create(&path).expect("create");
        file.file().write_all(b"abc").expect("write");
        assert_eq!(names(dir.path()), [format!(".out.bin{TEMP_MARKER}{}.tmp", std::process::id())]);
        file.commit().expect("commit");
        assert_eq!(std::fs::read(&path).expect("read"), b"abc");
        drop(AtomicFile::create(&dir.path().join("other.bin")).expect("create"));
        assert_eq!(names(dir.path()), ["out.bin"]);
    }

    #[test]
    fn failed_rename_removes_the_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.bin");
        let file = AtomicFile::create(&path).expect("create");
        // The final path becomes a non-empty directory: the rename must fail.
        std::fs::create_dir(&path).expect("mkdir");
        std::fs::write(path.join("x"), b"x").expect("write");
        assert!(matches!(file.commit(), Err(Error::Io { .. })));
        assert_eq!(names(dir.path()), ["out.bin"]);
    }

    #[test]
    fn a_commit_group_renames_all_or_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a.bin"), dir.path().join("b.bin"));
        std::fs::write(&a, b"old").expect("write");
        let group = CommitGroup::begin();
        let mut file = AtomicFile::create(&a).expect("create");
        file.file().write_all(b"new").expect("write");
        file.commit().expect("commit");
        assert_eq!(std::fs::read(&a).expect("read"), b"old", "the rename waits for the group");
        drop(AtomicFile::create(&b).expect("create")); // b fails: never committed
        drop(group);
        assert_eq!(names(dir.path()), ["a.bin"]);
        assert_eq!(std::fs::read(&a).expect("read"), b"old");

        let group = CommitGroup::begin();
        for path in [&a, &b] {
            let mut file = AtomicFile::create(path).expect("create");
            file.file().write_all(b"new").expect("write");
            file.commit().expect("commit");
        }
        group.commit().expect("group commit");
        assert_eq!(names(dir.path()), ["a.bin", "b.bin"]);
        assert_eq!(std::fs::read(&b).expect("read"), b"new");
        // Without a group, commits rename at once again.
        let file = AtomicFile::create(&dir.path().join("c.bin")).expect("create");
        file.commit().expect("commit");
        assert!(dir.path().join("c.bin").exists());
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dead = format!(".out.png{TEMP_MARKER}4194305.tmp");
        let alive = format!(".out.png{TEMP_MARKER}{}.tmp", std::process::id());
        let other_output = format!(".other.png{TEMP_MARKER}4194305.tmp");
        for name in [&dead, &alive, &other_output] {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        let file = AtomicFile::create(&dir.path().join("out.png")).expect("create");
        // Our own temporary (same name as `alive`) is reused; the dead one is gone.
        let mut expected = vec![alive.clone(), other_output.clone()];
        expected.sort();
        assert_eq!(names(dir.path()), expected);
        drop(file);
        assert_eq!(names(dir.path()), [other_output]);
    }
}
