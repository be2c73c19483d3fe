//! Output files that appear only complete: written under a temporary name in the same
//! directory, renamed over the final path on commit, removed if dropped uncommitted.
//!
//! The temporary is `.NAME.gigaplot-PID-RANDOM.tmp`, created exclusively at that
//! unpredictable name, so nothing planted beside the output (a symbolic link to another
//! file) is ever followed or truncated, and locked for its life ([`crate::io::temporary`]). The
//! leftover of a killed run is removed by the next run writing the same output, and the
//! path is registered with [`crate::io::cleanup`] so an emergency exit removes it too. An
//! existing output that is not a regular file (a FIFO, a device, a directory, a symbolic
//! link) is refused, never replaced ([`crate::io::file_kind::check_output`]).
//!
//! A render with several outputs (PNG and aggregate) must not replace one and then fail on
//! the other: inside a [`CommitGroup`], [`AtomicFile::commit`] writes and syncs but defers
//! the rename until the group commits, and a group dropped uncommitted removes them all.

use std::cell::RefCell;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::file_kind::check_output;
use crate::io::temporary::{parent_dir, sweep, TempFile, TEMP_MARKER};

/// A file being written under a temporary name next to its final path.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    /// Removed when dropped, unless renamed onto `path`.
    temp: TempFile,
}

impl AtomicFile {
    /// Creates `.NAME.gigaplot-PID-RANDOM.tmp` next to `path`. Fails (naming `path`) if the
    /// directory is missing or read-only, or if `path` exists and is not a regular file.
    pub fn create(path: &Path) -> Result<AtomicFile> {
        check_output(path)?;
        let name = path.file_name().ok_or_else(|| Error::bad_output(path, "is not a file name"))?;
        let dir = parent_dir(path);
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
        let prefix = format!(".{}{TEMP_MARKER}", name.to_string_lossy());
        // 0666 minus the umask, as for any file a program creates.
        let temp = TempFile::create(&dir, &prefix, ".tmp", 0o666).map_err(|e| Error::io(path, e))?;
        Ok(AtomicFile { path: path.to_path_buf(), temp })
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        self.temp.file_mut()
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary path being written.
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// Flushes, syncs and renames the temporary file onto the final path (inside a
    /// `CommitGroup` on this thread, the rename waits for the group's commit; the file
    /// stays open and locked until then). On failure the temporary file is removed, like an
    /// uncommitted drop.
    pub fn commit(mut self) -> Result<PathBuf> {
        let file = self.temp.file_mut();
        file.flush().and_then(|()| file.sync_all()).map_err(|e| Error::io(&self.path, e))?;
        let path = self.path.clone();
        match defer(self) {
            Ok(()) => Ok(path),
            Err(this) => this.rename(),
        }
    }

    /// Renames the (synced) temporary file onto the final path, unless something other
    /// than a regular file took that path meanwhile.
    fn rename(self) -> Result<PathBuf> {
        check_output(&self.path)?;
        let AtomicFile { path, temp } = self;
        temp.persist(&path).map_err(|e| Error::io(&path, e))?;
        Ok(path)
    }
}

/// Bytes written go to the temporary file; [`Write::flush`] also asks the kernel to start
/// writing the file's dirty pages to the disk without waiting (Linux), so the sync at
/// [`AtomicFile::commit`] finds little left to do and the disk works while encoders
/// compress the next rows.
impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.temp.file_mut().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.temp.file_mut().write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.temp.file_mut().flush()?;
        start_writeback(self.temp.file());
        Ok(())
    }
}

/// Starts the disk write of `file`'s dirty pages without waiting for it; only a hint.
fn start_writeback(file: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: sync_file_range only reads its integer arguments and the descriptor is
        // open while `file` is borrowed; a failure only leaves the work to the sync at commit.
        unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// Writes `bytes` to `path` through a temporary file in the same directory (created
/// exclusively at an unpredictable name, see [`crate::io::temporary`]), creating the
/// directory. Not synced, for the many small files of a tile pyramid: a crash may lose
/// files but never leaves a partial one in place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    write_new_file(path, bytes)
}

/// Removes the file `path` if it exists (a tile an earlier run wrote that is blank now, a
/// shard's marker): a missing file is not an error.
pub fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

/// [`write_atomically`] for files deep in a directory that a signal handler may remove at
/// any moment (a pyramid's temporary directory, see [`crate::io::StagedDir`]): only the
/// file's own directory is created if missing, never its ancestors, so a writer still
/// running after the handler removed the tree fails instead of re-creating it.
pub fn write_atomically_below(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(Error::io(dir, e)),
        _ => {}
    }
    write_new_file(path, bytes)
}

/// Writes `bytes` to `path` through a temporary file in its (existing) directory.
fn write_new_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let prefix = format!(".{name}{TEMP_MARKER}");
    let written = TempFile::create(dir, &prefix, ".tmp", 0o666).and_then(|mut temp| {
        temp.file_mut().write_all(bytes)?;
        temp.persist(path)
    });
    written.map_err(|e| Error::io(path, e))
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
                Err(_) => drop(file),
            }
        }
        result
    }
}

impl Drop for CommitGroup {
    fn drop(&mut self) {
        // Dropping the files removes their temporaries.
        drop(DEFERRED.with(|d| d.borrow_mut().take()));
    }
}

/// Removes `.NAME.gigaplot-PID[-RANDOM].tmp` files in `dir` left by runs that died (a
/// `kill -9` during an earlier render of the same output): those of no live local process
/// that nobody holds locked.
pub fn remove_stale_temporaries(dir: &Path, name: &str) {
    sweep(dir, &format!(".{name}{TEMP_MARKER}"), ".tmp");
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
        let temp = names(dir.path());
        let prefix = format!(".out.bin{TEMP_MARKER}{}-", std::process::id());
        assert!(temp.len() == 1 && temp[0].starts_with(&prefix) && temp[0].ends_with(".tmp"), "{temp:?}");
        file.commit().expect("commit");
        assert_eq!(std::fs::read(&path).expect("read"), b"abc");
        drop(AtomicFile::create(&dir.path().join("other.bin")).expect("create"));
        assert_eq!(names(dir.path()), ["out.bin"]);
    }

    #[test]
    fn atomic_writes_create_the_directory_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("1/2/3.png");
        write_atomically(&path, b"x").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"x");
        assert_eq!(names(&dir.path().join("1/2")), ["3.png"]);
    }

    #[test]
    fn writes_below_create_only_the_files_own_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_atomically_below(&dir.path().join("1/2.png"), b"x").expect("write");
        assert_eq!(std::fs::read(dir.path().join("1/2.png")).expect("read"), b"x");
        let removed = dir.path().join("gone");
        let error = write_atomically_below(&removed.join("5/3.png"), b"x").expect_err("no ancestors");
        assert!(error.to_string().contains("gone/5"), "{error}");
        assert!(!removed.exists(), "an ancestor was re-created");
    }

    #[test]
    fn flush_leaves_the_bytes_in_the_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.bin");
        let mut file = AtomicFile::create(&path).expect("create");
        file.write_all(b"abc").expect("write");
        file.flush().expect("flush");
        assert_eq!(std::fs::read(file.temp_path()).expect("read"), b"abc");
        assert!(!path.exists(), "nothing at the final path before commit");
        file.commit().expect("commit");
        assert_eq!(std::fs::read(&path).expect("read"), b"abc");
    }

    #[test]
    fn failed_rename_removes_the_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.bin");
        let file = AtomicFile::create(&path).expect("create");
        // The final path becomes a directory: it is not replaced.
        std::fs::create_dir(&path).expect("mkdir");
        let err = file.commit().expect_err("commit over a directory");
        assert!(err.to_string().contains("is a directory"), "{err}");
        assert_eq!(names(dir.path()), ["out.bin"]);
        assert!(path.is_dir());
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
    fn symlinks_and_special_files_at_the_output_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("target");
        std::fs::write(&target, b"keep").expect("write");
        let link = dir.path().join("out.png");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let err = AtomicFile::create(&link).expect_err("a symlink output");
        assert!(err.to_string().contains("out.png: is a symbolic link, not a regular file"), "{err}");
        // A symlink planted after the start is not replaced by the rename either.
        std::fs::remove_file(&link).expect("rm");
        let mut file = AtomicFile::create(&link).expect("create");
        file.file().write_all(b"new").expect("write");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert!(file.commit().is_err());
        assert_eq!(std::fs::read(&target).expect("read"), b"keep");
        assert!(std::fs::symlink_metadata(&link).expect("lstat").is_symlink());
        assert_eq!(names(dir.path()), ["out.png", "target"]);
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
        // The dead one is gone; a live process's and another output's stay.
        let ours = file.temp_path().file_name().unwrap().to_string_lossy().into_owned();
        let mut expected = vec![alive.clone(), other_output.clone(), ours];
        expected.sort();
        assert_eq!(names(dir.path()), expected);
        drop(file);
        let mut expected = vec![alive, other_output];
        expected.sort();
        assert_eq!(names(dir.path()), expected);
    }
}
