//! Scratch space: the file that holds partitioned records, created in a temporary directory,
//! written and read with positioned I/O (page cache, not mapped, so it never counts towards
//! RSS), removed when dropped.
//!
//! The file is `gigaplot-scratch-PID-RANDOM.bin`, created exclusively and held under an
//! advisory lock for its whole life ([`crate::io::temporary`]). Leftovers of killed runs are
//! removed by the next run using the directory, but only those it can lock: on a scratch
//! directory shared between hosts, another host's live file is locked by its owner and
//! stays, whatever its pid means here.

use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::io::free_space::free_space;
use crate::io::temporary::{sweep, TempFile};

/// Name prefix of scratch files; the pid of the owning process follows it.
pub const SCRATCH_PREFIX: &str = "gigaplot-scratch-";

/// Name suffix of scratch files.
const SCRATCH_SUFFIX: &str = ".bin";

/// A temporary file that grows as blocks are appended, removed on drop.
#[derive(Debug)]
pub struct ScratchFile {
    /// Locked, registered for an emergency exit (second Ctrl-C, SIGBUS), removed on drop.
    temp: TempFile,
    /// Where the next [`ScratchFile::append`] writes.
    end: AtomicU64,
}

impl ScratchFile {
    /// Creates an empty scratch file in `dir`, after checking that the `bytes` it is
    /// expected to grow to fit in the free space there, and removing stale scratch files of
    /// processes that no longer run.
    pub fn create(dir: &Path, bytes: u64) -> Result<ScratchFile> {
        remove_stale(dir);
        let available = free_space(dir).map_err(|e| Error::io(dir, e))?;
        // Leave a little room so the output file still fits afterwards.
        let needed = bytes + (64 << 20);
        if bytes > 0 && needed > available {
            return Err(Error::DiskSpace { path: dir.to_path_buf(), needed, available });
        }
        let temp =
            TempFile::create(dir, SCRATCH_PREFIX, SCRATCH_SUFFIX, 0o600).map_err(|e| Error::io(dir, e))?;
        let scratch = ScratchFile { temp, end: AtomicU64::new(0) };
        scratch.reserve(bytes);
        Ok(scratch)
    }

    /// Asks the file system to allocate `bytes` up front (keeping the file's size), which
    /// makes appending cheaper; only a hint, so failures are ignored.
    fn reserve(&self, bytes: u64) {
        use std::os::fd::AsRawFd;
        let Ok(len) = libc::off_t::try_from(bytes) else { return };
        if len > 0 {
            // SAFETY: fallocate only reads its integer arguments; the descriptor is open.
            let _ =
                unsafe { libc::fallocate(self.temp.file().as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, 0, len) };
        }
    }

    /// Writes `bytes` after everything appended so far (also from other threads, which
    /// never wait for one another) and returns the byte offset they were written at.
    pub fn append(&self, bytes: &[u8]) -> Result<u64> {
        let offset = self.end.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.write_at(offset, bytes)?;
        Ok(offset)
    }

    /// Writes `bytes` at byte `offset`.
    pub fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        self.temp.file().write_all_at(bytes, offset).map_err(|e| Error::io(self.path(), e))
    }

    /// Reads exactly `out.len()` bytes at byte `offset`.
    pub fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<()> {
        self.temp.file().read_exact_at(out, offset).map_err(|e| Error::io(self.path(), e))
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }
}

/// A scratch file in `dir` without a name (`O_TMPFILE`, or created exclusively at a random
/// name and unlinked at once, by the `tempfile` crate), so nothing is left behind however
/// the process ends.
pub fn unnamed_file(dir: &Path) -> Result<std::fs::File> {
    tempfile::tempfile_in(dir).map_err(|e| Error::io(dir, e))
}

/// Removes `gigaplot-scratch-PID-*.bin` files in `dir` left by runs that died (after a
/// `kill -9`): those whose pid is no live local process and that nobody holds locked.
pub fn remove_stale(dir: &Path) {
    sweep(dir, SCRATCH_PREFIX, SCRATCH_SUFFIX);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_read_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let path;
        {
            let s = ScratchFile::create(dir.path(), 16).unwrap();
            s.write_at(4, &[1, 2, 3, 4]).unwrap();
            let mut out = [0u8; 8];
            s.read_at(0, &mut out).unwrap();
            assert_eq!(out, [0, 0, 0, 0, 1, 2, 3, 4]);
            path = s.path().to_path_buf();
            assert!(path.exists());
        }
        assert!(!path.exists());
    }

    #[test]
    fn appends_go_one_after_another() {
        let dir = tempfile::tempdir().unwrap();
        let s = ScratchFile::create(dir.path(), 16).unwrap();
        assert_eq!(s.append(&[1, 2, 3]).unwrap(), 0);
        assert_eq!(s.append(&[]).unwrap(), 3);
        assert_eq!(s.append(&[4, 5]).unwrap(), 3);
        let mut out = [0u8; 5];
        s.read_at(0, &mut out).unwrap();
        assert_eq!(out, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn stale_files_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // pid 2^22+1 is above Linux's default pid_max range used here; treat as dead.
        let dead = dir.path().join(format!("{SCRATCH_PREFIX}4194305-0.bin"));
        let alive = dir.path().join(format!("{SCRATCH_PREFIX}{}-99.bin", std::process::id()));
        let other = dir.path().join("unrelated.bin");
        // A live file of another host: its pid is unused here, but its owner holds the lock.
        let remote = dir.path().join(format!("{SCRATCH_PREFIX}4194305-remote.bin"));
        for p in [&dead, &alive, &other, &remote] {
            std::fs::write(p, b"x").unwrap();
        }
        let held = std::fs::File::open(&remote).unwrap();
        rustix::fs::flock(&held, rustix::fs::FlockOperation::LockExclusive).unwrap();
        remove_stale(dir.path());
        assert!(!dead.exists());
        assert!(alive.exists());
        assert!(other.exists());
        assert!(remote.exists());
        // A live scratch file of this process is locked too.
        let live = ScratchFile::create(dir.path(), 16).unwrap();
        remove_stale(dir.path());
        assert!(live.path().exists());
    }

    #[test]
    fn impossible_sizes_fail_with_disk_space() {
        let dir = tempfile::tempdir().unwrap();
        let err = ScratchFile::create(dir.path(), u64::MAX / 2).unwrap_err();
        assert!(matches!(err, Error::DiskSpace { .. }), "{err}");
    }
}
