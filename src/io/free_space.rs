//! Free-space checks: what a render will write, directory by directory, against what the
//! file systems holding those directories have free, so a render that cannot fit fails at
//! once with the numbers instead of after an hour with a full disk.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Bytes one output or scratch file will take at most, and the directory it goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskNeed {
    /// Where the file goes (a directory).
    pub dir: PathBuf,
    /// Estimated bytes.
    pub bytes: u64,
}

/// Free bytes for unprivileged users on the file system holding `dir`.
pub fn free_space(dir: &Path) -> std::io::Result<u64> {
    let stat = rustix::fs::statvfs(dir)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Bytes of writes the kernel holds in memory before it starts writing them back to disk
/// (Linux: `vm.dirty_background_bytes`, else `vm.dirty_background_ratio` percent of the
/// available memory); 0 when unknown. Scratch writes under it cost a memory copy; past
/// it, they soon go at the disk's speed.
pub fn write_back_threshold() -> u64 {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let number = |path: &str| read(path).and_then(|s| s.trim().parse::<u64>().ok());
    if let Some(bytes) = number("/proc/sys/vm/dirty_background_bytes").filter(|&b| b > 0) {
        return bytes;
    }
    let available = read("/proc/meminfo").and_then(|info| {
        let line = info.lines().find(|line| line.starts_with("MemAvailable:"))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok()
    });
    match (number("/proc/sys/vm/dirty_background_ratio"), available) {
        (Some(percent), Some(kib)) => kib.saturating_mul(1024) / 100 * percent.min(100),
        _ => 0,
    }
}

/// Fails with [`Error::DiskSpace`] (naming the first directory of the file system) when the
/// needs on one file system add up to more than its free space. Directories that do not
/// exist are skipped: creating the file there reports them.
pub fn check_disk_space(needs: &[DiskNeed]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    // Needs on the same device add up.
    let mut by_device: Vec<(u64, &Path, u64)> = Vec::new();
    for need in needs {
        let Ok(meta) = std::fs::metadata(&need.dir) else {
            continue;
        };
        match by_device.iter_mut().find(|(dev, _, _)| *dev == meta.dev()) {
            Some(entry) => entry.2 = entry.2.saturating_add(need.bytes),
            None => by_device.push((meta.dev(), &need.dir, need.bytes)),
        }
    }
    for (_, dir, needed) in by_device {
        let available = free_space(dir).map_err(|e| Error::io(dir, e))?;
        if needed > available {
            return Err(Error::DiskSpace { path: dir.to_path_buf(), needed, available });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_write_back_threshold_is_the_kernels_when_it_says() {
        let threshold = write_back_threshold();
        let ratio = std::fs::read_to_string("/proc/sys/vm/dirty_background_ratio");
        let bytes = std::fs::read_to_string("/proc/sys/vm/dirty_background_bytes");
        match (ratio, bytes) {
            (_, Ok(b)) if b.trim() != "0" => assert_eq!(threshold, b.trim().parse::<u64>().unwrap()),
            (Ok(r), _) if r.trim() != "0" => assert!(threshold > 1 << 20, "{threshold}"),
            _ => assert_eq!(threshold, 0),
        }
    }

    #[test]
    fn free_space_is_what_statvfs_says() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_space(dir.path()).unwrap() > 0);
        let err = free_space(&dir.path().join("missing")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn needs_on_one_file_system_add_up() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_space(dir.path()).unwrap();
        let half = DiskNeed { dir: dir.path().to_path_buf(), bytes: free / 2 };
        assert!(check_disk_space(std::slice::from_ref(&half)).is_ok());
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let more = DiskNeed { dir: sub, bytes: free / 2 + (1 << 30) };
        match check_disk_space(&[half, more]) {
            Err(Error::DiskSpace { path, needed, .. }) => {
                assert_eq!(path, dir.path());
                assert_eq!(needed, free / 2 + free / 2 + (1 << 30));
            }
            other => panic!("expected DiskSpace, got {other:?}"),
        }
        let missing = DiskNeed { dir: dir.path().join("missing"), bytes: u64::MAX };
        assert!(check_disk_space(&[missing]).is_ok());
    }
}
