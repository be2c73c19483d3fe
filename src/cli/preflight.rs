//! Checks before a render starts: requests that cannot fit on the disk fail at once with the
//! numbers, and canvases most viewers cannot open get a warning.

use std::path::{Path, PathBuf};

use gigaplot::partition::scratch::free_space;
use gigaplot::{Error, Result};

/// Canvases wider than this render (PNG allows 2^31 - 1) but get a warning.
pub const WIDE_CANVAS: u32 = 1_000_000;

/// Bytes of a partition record: the scratch file holds at most one per point.
const RECORD_BYTES: u64 = 4;

/// Bytes the `.npy` header of the aggregate takes, at most.
const NPY_HEADER_BYTES: u64 = 128;

/// The warning for a canvas wider than [`WIDE_CANVAS`], if it is.
pub fn wide_canvas_warning(width: u32) -> Option<String> {
    (width > WIDE_CANVAS).then(|| {
        format!(
            "gigaplot: warning: --width {width}: the PNG is valid, but most image viewers cannot \
             open images wider than 65535 pixels; consider --pyramid for a tiled image"
        )
    })
}

/// One file the render will write, and how many bytes it will take at most.
#[derive(Debug)]
pub struct Need {
    /// Where the file goes (a directory).
    pub dir: PathBuf,
    /// Estimated bytes.
    pub bytes: u64,
}

/// The scratch file's upper bound (every point on the canvas) in `scratch_dir` and the
/// aggregate `.npy` (exact) in the directory of `agg_out`.
pub fn needs(points: u64, scratch_dir: &Path, agg_out: Option<(&Path, u32, u32)>) -> Vec<Need> {
    let mut needs = vec![Need { dir: scratch_dir.to_path_buf(), bytes: points.saturating_mul(RECORD_BYTES) }];
    if let Some((path, width, height)) = agg_out {
        let pixels = u64::from(width) * u64::from(height);
        needs.push(Need {
            dir: parent_dir(path),
            bytes: pixels.saturating_mul(4).saturating_add(NPY_HEADER_BYTES),
        });
    }
    needs
}

/// Fails with [`Error::DiskSpace`] when the needs on one file system exceed its free space.
pub fn check_disk_space(needs: &[Need]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    // Needs on the same device add up.
    let mut by_device: Vec<(u64, &Path, u64)> = Vec::new();
    for need in needs {
        let Ok(meta) = std::fs::metadata(&need.dir) else {
            continue; // a missing directory is reported when the file is created
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

/// The directory a file path lands in (`.` for a bare name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_canvases_warn() {
        assert_eq!(wide_canvas_warning(WIDE_CANVAS), None);
        let warning = wide_canvas_warning(WIDE_CANVAS + 1).unwrap();
        assert!(warning.contains("--width 1000001") && warning.contains("--pyramid"), "{warning}");
    }

    #[test]
    fn needs_are_counted_per_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let agg = dir.path().join("agg.npy");
        let needs = needs(10, dir.path(), Some((&agg, 3, 2)));
        assert_eq!(needs[0].bytes, 40);
        assert_eq!(needs[1].bytes, 24 + 128);
        assert!(check_disk_space(&needs).is_ok());
        let huge = super::needs(u64::MAX / 8, dir.path(), Some((&agg, u32::MAX, u32::MAX)));
        match check_disk_space(&huge) {
            Err(Error::DiskSpace { path, needed, .. }) => {
                assert_eq!(path, dir.path());
                assert_eq!(needed, u64::MAX);
            }
            other => panic!("expected DiskSpace, got {other:?}"),
        }
    }

    #[test]
    fn bare_names_land_in_the_current_directory() {
        assert_eq!(parent_dir(Path::new("out.npy")), PathBuf::from("."));
        assert_eq!(parent_dir(Path::new("a/out.npy")), PathBuf::from("a"));
    }
}
