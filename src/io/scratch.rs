//! Scratch space: the files that hold partitioned records, created in a temporary
//! directory, written and read with positioned I/O (page cache, not mapped, so they never
//! count towards RSS), removed when dropped.
//!
//! There is one file per *lane*, and each of the partition's workers appends to its own
//! lane: Linux's ext4 holds a file's inode lock through every buffered write, so two
//! workers appending to one file took turns, one spinning on the lock while the other
//! copied its block into the page cache (5 % of a 10^9-point figure's CPU samples, in
//! `rwsem_spin_on_owner`). With a file each, 10^9 points at 65536^2 partitioned in 4.9-5.4 s
//! instead of 6.1-7.5 s.
//!
//! Each file is `gigaplot-scratch-PID-RANDOM.bin`, created exclusively and held under an
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

/// A position in the scratch space keeps its lane in its top bits and the byte offset in
/// that lane's file below them.
const LANE_SHIFT: u32 = 56;

/// At most this many lanes (so a lane fits above [`LANE_SHIFT`]); writers beyond it share.
pub const MAX_LANES: usize = 1 << (64 - LANE_SHIFT);

/// One lane's file and where its next append goes.
#[derive(Debug)]
struct Lane {
    /// Locked, registered for an emergency exit (second Ctrl-C, SIGBUS), removed on drop.
    temp: TempFile,
    /// Where the next [`ScratchFile::append`] to this lane writes.
    end: AtomicU64,
}

/// Temporary files, one per lane, that grow as blocks are appended, removed on drop.
/// Appends return positions (lane and offset in one u64) that [`ScratchFile::read_at`]
/// takes back.
#[derive(Debug)]
pub struct ScratchFile {
    lanes: Vec<Lane>,
}

impl ScratchFile {
    /// Creates `lanes` empty scratch files in `dir` (at least one, at most [`MAX_LANES`]),
    /// after checking that the `bytes` they are expected to grow to in all fit in the free
    /// space there, and removing stale scratch files of processes that no longer run.
    pub fn create(dir: &Path, bytes: u64, lanes: usize) -> Result<ScratchFile> {
        remove_stale(dir);
        let available = free_space(dir).map_err(|e| Error::io(dir, e))?;
        // Leave a little room so the output file still fits afterwards.
        let needed = bytes + (64 << 20);
        if bytes > 0 && needed > available {
            return Err(Error::DiskSpace { path: dir.to_path_buf(), needed, available });
        }
        let count = lanes.clamp(1, MAX_LANES);
        let lanes = (0..count)
            .map(|_| {
                let temp = TempFile::create(dir, SCRATCH_PREFIX, SCRATCH_SUFFIX, 0o600)
                    .map_err(|e| Error::io(dir, e))?;
                // The workers' shares are about even.
                reserve(&temp, bytes.div_ceil(count as u64));
                Ok(Lane { temp, end: AtomicU64::new(0) })
            })
            .collect::<Result<_>>()?;
        Ok(ScratchFile { lanes })
    }

    /// Empties every lane (the records are no longer needed): the page cache they hold is
    /// freed now, a thread per lane, instead of when the files are removed. Reads after
    /// this fail; failures to truncate are ignored (removal frees the space anyway).
    pub fn release(&self) {
        std::thread::scope(|scope| {
            for lane in &self.lanes {
                crate::parallel::spawn_or_run(scope, || {
                    let _ = lane.temp.file().set_len(0);
                });
            }
        });
    }

    /// How many lanes there are.
    #[cfg(test)]
    fn lanes(&self) -> usize {
        self.lanes.len()
    }

    /// Writes `bytes` after everything appended to lane `lane` so far (modulo the number of
    /// lanes; also from other threads, which never wait for one another) and returns the
    /// position they were written at.
    pub fn append(&self, lane: usize, bytes: &[u8]) -> Result<u64> {
        let lane = lane % self.lanes.len();
        let file = &self.lanes[lane];
        let offset = file.end.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        file.temp.file().write_all_at(bytes, offset).map_err(|e| Error::io(file.temp.path(), e))?;
        Ok((lane as u64) << LANE_SHIFT | offset)
    }

    /// Reads exactly `out.len()` bytes at `position` (one that an append returned, plus an
    /// offset within what that append wrote).
    pub fn read_at(&self, position: u64, out: &mut [u8]) -> Result<()> {
        let (lane, offset) = ((position >> LANE_SHIFT) as usize, position & ((1 << LANE_SHIFT) - 1));
        let file = self.lanes.get(lane).ok_or_else(|| {
            Error::io(self.lanes[0].temp.path(), std::io::Error::other(format!("no scratch lane {lane}")))
        })?;
        file.temp.file().read_exact_at(out, offset).map_err(|e| Error::io(file.temp.path(), e))
    }

    /// Where the files are.
    #[cfg(test)]
    fn paths(&self) -> impl Iterator<Item = &Path> {
        self.lanes.iter().map(|lane| lane.temp.path())
    }
}

/// Asks the file system to allocate `bytes` for `temp` up front (keeping the file's size),
/// which makes appending cheaper; only a hint, so failures are ignored.
fn reserve(temp: &TempFile, bytes: u64) {
    use std::os::fd::AsRawFd;
    let Ok(len) = libc::off_t::try_from(bytes) else { return };
    if len > 0 {
        // SAFETY: fallocate only reads its integer arguments; the descriptor is open.
        let _ = unsafe { libc::fallocate(temp.file().as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, 0, len) };
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
    fn each_lane_is_a_file_of_its_own_and_all_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<std::path::PathBuf>;
        {
            let s = ScratchFile::create(dir.path(), 16, 3).unwrap();
            assert_eq!(s.lanes(), 3);
            let (a, b, c) =
                (s.append(0, &[1, 2, 3]).unwrap(), s.append(1, &[7, 8]).unwrap(), s.append(0, &[4]).unwrap());
            // Lane 4 is lane 1 (modulo the lanes).
            let d = s.append(4, &[9]).unwrap();
            assert_eq!([a, c], [0, 3], "lane 0 appends one after another");
            assert_eq!([b, d], [1 << LANE_SHIFT, (1 << LANE_SHIFT) + 2]);
            let mut out = [0u8; 4];
            s.read_at(a, &mut out).unwrap();
            assert_eq!(out, [1, 2, 3, 4]);
            let mut out = [0u8; 3];
            s.read_at(b, &mut out).unwrap();
            assert_eq!(out, [7, 8, 9]);
            let mut one = [0u8; 1];
            s.read_at(b + 1, &mut one).unwrap();
            assert_eq!(one, [8], "a position plus an offset within its append");
            assert!(s.read_at(7 << LANE_SHIFT, &mut one).is_err(), "no lane 7");
            paths = s.paths().map(Path::to_path_buf).collect();
            assert_eq!(paths.len(), 3);
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
            assert_eq!(std::fs::read(&paths[1]).unwrap(), [7, 8, 9]);
        }
        assert!(paths.iter().all(|p| !p.exists()));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn release_empties_every_lane_and_later_reads_fail() {
        let dir = tempfile::tempdir().unwrap();
        let s = ScratchFile::create(dir.path(), 1 << 20, 2).unwrap();
        let block = vec![7u8; 64 << 10];
        let (a, b) = (s.append(0, &block).unwrap(), s.append(1, &block).unwrap());
        let sizes = || s.paths().map(|p| std::fs::metadata(p).unwrap().len()).collect::<Vec<_>>();
        assert_eq!(sizes(), [64 << 10, 64 << 10]);
        s.release();
        assert_eq!(sizes(), [0, 0], "every lane is emptied");
        let mut out = [0u8; 16];
        assert!(s.read_at(a, &mut out).is_err() && s.read_at(b, &mut out).is_err());
        // The files themselves are still there (removed on drop).
        assert_eq!(s.paths().filter(|p| p.exists()).count(), 2);
        let paths: Vec<_> = s.paths().map(Path::to_path_buf).collect();
        drop(s);
        assert!(paths.iter().all(|p| !p.exists()));
    }

    #[test]
    fn lanes_are_at_least_one_and_at_most_the_maximum() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(ScratchFile::create(dir.path(), 0, 0).unwrap().lanes(), 1);
        let many = ScratchFile::create(dir.path(), 0, MAX_LANES + 5).unwrap();
        assert_eq!(many.lanes(), MAX_LANES);
        assert_eq!(many.append(MAX_LANES + 1, &[5]).unwrap(), 1 << LANE_SHIFT);
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
        let live = ScratchFile::create(dir.path(), 16, 2).unwrap();
        remove_stale(dir.path());
        assert!(live.paths().all(Path::exists));
    }

    #[test]
    fn impossible_sizes_fail_with_disk_space() {
        let dir = tempfile::tempdir().unwrap();
        let err = ScratchFile::create(dir.path(), u64::MAX / 2, 1).unwrap_err();
        assert!(matches!(err, Error::DiskSpace { .. }), "{err}");
    }
}
