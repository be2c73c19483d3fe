//! Temporary files and directories that are safe in a directory others share (`/tmp`, a
//! scratch directory on a cluster file system, an output directory other users can write):
//!
//! - created exclusively (`O_CREAT | O_EXCL`, which never follows a symbolic link and never
//!   truncates anything) at a name nobody can predict: `PREFIX` + `PID-` + random letters +
//!   `SUFFIX`, chosen by the `tempfile` crate, which retries on a name already taken;
//! - locked with `flock(2)` for their whole life (the kernel drops the lock however the
//!   process ends; on NFS, Linux turns it into a lock the server arbitrates between hosts);
//! - registered with [`crate::io::cleanup`], so a second Ctrl-C or a `SIGBUS` removes them too.
//!
//! After a `kill -9`, [`sweep`] removes what a dead run left: only entries it can lock
//! without waiting, so a live file of another host (whose pid means nothing here) is never
//! touched. A creator locks its new file and then checks that the name still leads to it,
//! retrying under another name if a sweep removed it in between.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::FlockOperation;
use tempfile::{Builder, NamedTempFile, TempDir};

use crate::io::cleanup::{process_alive, register_temporary, register_temporary_tree, Registration};

/// Marker in the names of gigaplot's temporary outputs (`.NAME.gigaplot-PID-RANDOM.tmp`),
/// so a later run can recognise (and clean up) the leftovers of a killed one.
pub const TEMP_MARKER: &str = ".gigaplot-";

/// Random letters in a temporary name (62^10 choices).
const RANDOM_LEN: usize = 10;

/// The open file of a [`TempFile`], with what keeps it registered.
#[derive(Debug)]
struct Held {
    /// Holds the lock (closing it releases the lock).
    file: File,
    /// Dropped after the file is closed (and, unless persisted, removed).
    _registration: Registration,
}

/// A locked, registered temporary file, removed on drop unless [`TempFile::persist`]ed.
#[derive(Debug)]
pub struct TempFile(NamedTempFile<Held>);

impl TempFile {
    /// Creates `PREFIX PID-RANDOM SUFFIX` in `dir` with permissions `mode` (before umask).
    pub fn create(dir: &Path, prefix: &str, suffix: &str, mode: u32) -> io::Result<TempFile> {
        let prefix = format!("{prefix}{}-", std::process::id());
        let named =
            Builder::new().prefix(&prefix).suffix(suffix).rand_bytes(RANDOM_LEN).make_in(dir, |path| {
                let registration = register_temporary(path);
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .mode(mode)
                    .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                    .open(path)?;
                lock_new(&file, path)?;
                Ok(Held { file, _registration: registration })
            })?;
        Ok(TempFile(named))
    }

    /// The open file.
    pub fn file(&self) -> &File {
        &self.0.as_file().file
    }

    /// The open file, for writing.
    pub fn file_mut(&mut self) -> &mut File {
        &mut self.0.as_file_mut().file
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Renames the file to `to` (replacing what is there). On failure the temporary file
    /// is removed.
    pub fn persist(self, to: &Path) -> io::Result<()> {
        self.0.persist(to).map(drop).map_err(|e| e.error)
    }
}

/// A locked, registered temporary directory, removed with its contents on drop.
#[derive(Debug)]
pub struct TempTree {
    /// Declared first: removed before the lock is released and the registration dropped.
    dir: TempDir,
    _lock: File,
    _registration: Registration,
}

impl TempTree {
    /// Creates the directory `PREFIX PID-RANDOM SUFFIX` in `parent` (permissions 0777 minus
    /// the umask, like `mkdir`).
    pub fn create(parent: &Path, prefix: &str, suffix: &str) -> io::Result<TempTree> {
        let prefix = format!("{prefix}{}-", std::process::id());
        for _ in 0..16 {
            let dir =
                Builder::new().prefix(&prefix).suffix(suffix).rand_bytes(RANDOM_LEN).tempdir_in(parent)?;
            let registration = register_temporary_tree(dir.path());
            let lock = open_nofollow(dir.path(), libc::O_DIRECTORY)?;
            match lock_new(&lock, dir.path()) {
                Ok(()) => return Ok(TempTree { dir, _lock: lock, _registration: registration }),
                // A sweep took it: it is removing it (forget it, do not remove it twice).
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => drop(dir.keep()),
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary directory name"))
    }

    /// Where the directory is.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Stops removing the directory on drop (it was renamed into place).
    pub fn keep(self) {
        let TempTree { dir, .. } = self;
        let _ = dir.keep();
    }
}

/// Opens `path` read-only without following a symbolic link, with extra `flags`, never
/// blocking on a FIFO.
fn open_nofollow(path: &Path, flags: i32) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC | flags)
        .open(path)
}

/// Locks the just-created `file` and checks that `path` still names it. Fails with
/// `AlreadyExists` (so the caller tries another name) when a sweep got there first. A file
/// system without locks is accepted unlocked.
fn lock_new(file: &File, path: &Path) -> io::Result<()> {
    let lost = || io::Error::new(io::ErrorKind::AlreadyExists, "taken by a sweep");
    match rustix::fs::flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(rustix::io::Errno::WOULDBLOCK) => return Err(lost()),
        Err(_) => return Ok(()), // no lock support here
    }
    let ours = file.metadata()?;
    match std::fs::symlink_metadata(path) {
        Ok(now) if (now.dev(), now.ino()) == (ours.dev(), ours.ino()) => Ok(()),
        _ => Err(lost()),
    }
}

/// Removes the entries of `dir` named `PREFIX PID SUFFIX` or `PREFIX PID-ANYTHING SUFFIX`
/// (regular files and directories, never followed) that a dead run left: the pid is not a
/// live local process and nobody holds the entry's lock. Entries it cannot lock (a live run
/// on another host, or a file system without locks) stay.
pub fn sweep(dir: &Path, prefix: &str, suffix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|rest| rest.strip_suffix(suffix))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<i32>().ok());
        if pid.is_some_and(|pid| !process_alive(pid)) {
            remove_if_unlocked(&entry.path());
        }
    }
}

/// Removes the file or directory at `path` if it can be locked at once (holding the lock
/// while removing it). Returns true if it was removed.
pub fn remove_if_unlocked(path: &Path) -> bool {
    // Only regular files and directories are opened (opening a device can do things).
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() || meta.is_dir() => {}
        _ => return false,
    }
    let Ok(file) = open_nofollow(path, 0) else { return false };
    let Ok(meta) = file.metadata() else { return false };
    if !(meta.is_file() || meta.is_dir()) {
        return false;
    }
    if rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
        return false;
    }
    // The name must still lead to what was locked.
    match std::fs::symlink_metadata(path) {
        Ok(now) if (now.dev(), now.ino()) == (meta.dev(), meta.ino()) => {}
        _ => return false,
    }
    let removed = if meta.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
    removed.is_ok()
}

/// The directory `path` is in (`.` for a bare name), where its temporaries go.
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn temporary_files_are_unpredictable_locked_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let a = TempFile::create(dir.path(), ".x.gigaplot-", ".tmp", 0o600).unwrap();
        let b = TempFile::create(dir.path(), ".x.gigaplot-", ".tmp", 0o600).unwrap();
        assert_ne!(a.path(), b.path());
        let name = a.path().file_name().unwrap().to_str().unwrap().to_string();
        let prefix = format!(".x.gigaplot-{}-", std::process::id());
        assert!(name.starts_with(&prefix) && name.ends_with(".tmp"), "{name}");
        assert_eq!(name.len(), prefix.len() + RANDOM_LEN + 4);
        // Locked: another open file description cannot take the lock.
        assert!(!remove_if_unlocked(a.path()));
        drop((a, b));
        assert_eq!(names(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn persist_renames_and_a_failed_persist_removes() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = TempFile::create(dir.path(), ".o.gigaplot-", ".tmp", 0o644).unwrap();
        std::io::Write::write_all(t.file_mut(), b"abc").unwrap();
        t.persist(&dir.path().join("o")).unwrap();
        assert_eq!(names(dir.path()), ["o"]);
        let t = TempFile::create(dir.path(), ".o.gigaplot-", ".tmp", 0o644).unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("d/x"), b"x").unwrap();
        assert!(t.persist(&dir.path().join("d")).is_err());
        assert_eq!(names(dir.path()), ["d", "o"]);
    }

    #[test]
    fn sweep_removes_only_unlocked_leftovers_of_dead_processes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // 4194305 is above Linux's largest pid_max: never a live process.
        let dead = ".o.gigaplot-4194305-abc.tmp";
        let legacy = ".o.gigaplot-4194305.tmp";
        let locked = ".o.gigaplot-4194305-held.tmp";
        let alive = format!(".o.gigaplot-{}-x.tmp", std::process::id());
        let other = ".p.gigaplot-4194305-abc.tmp";
        for name in [dead, legacy, locked, &alive, other] {
            std::fs::write(d.join(name), b"x").unwrap();
        }
        std::fs::create_dir(d.join(".o.gigaplot-4194305-dir.tmp")).unwrap();
        std::fs::write(d.join(".o.gigaplot-4194305-dir.tmp/inner"), b"x").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", d.join(".o.gigaplot-4194305-link.tmp")).unwrap();
        let held = File::open(d.join(locked)).unwrap();
        rustix::fs::flock(&held, FlockOperation::LockExclusive).unwrap();
        sweep(d, ".o.gigaplot-", ".tmp");
        let mut expected =
            vec![".o.gigaplot-4194305-link.tmp".to_string(), locked.into(), alive, other.into()];
        expected.sort();
        assert_eq!(names(d), expected);
        drop(held);
        sweep(d, ".o.gigaplot-", ".tmp");
        assert!(!d.join(locked).exists());
    }

    #[test]
    fn temporary_trees_are_removed_whole() {
        let parent = tempfile::tempdir().unwrap();
        let tree = TempTree::create(parent.path(), ".pyr.gigaplot-", ".tmp").unwrap();
        std::fs::create_dir_all(tree.path().join("0/0")).unwrap();
        std::fs::write(tree.path().join("0/0/0.png"), b"x").unwrap();
        assert!(!remove_if_unlocked(tree.path()));
        drop(tree);
        assert_eq!(names(parent.path()), Vec::<String>::new());
    }
}
