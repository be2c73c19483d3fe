//! A sharded pyramid appears complete or not at all: each shard, once its tiles are
//! written, leaves a part marker `DIR/shards/I-of-N.json` (holding the pyramid's metadata),
//! and the shard that finds every part present with the same metadata writes
//! `metadata.json` and `index.html` and removes the markers. Until then the directory has
//! no `metadata.json`: a viewer or a script checking for it never sees half a pyramid.
//!
//! A shard starting removes its own marker and any earlier `metadata.json`, since it is
//! about to rewrite part of the tiles. Shards finishing at once may both find every part:
//! both then write the same bytes atomically, so the result is the same.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::{remove_if_present, write_atomically};
use crate::pyramid::{write_viewer, PyramidMetadata, ShardSpec, ViewerAssets};

/// The directory of part markers inside a sharded pyramid's directory.
pub const PARTS_DIR: &str = "shards";

/// The marker of `shard`'s part under `dir`.
pub fn marker_path(dir: &Path, shard: ShardSpec) -> PathBuf {
    dir.join(PARTS_DIR).join(format!("{}-of-{}.json", shard.index, shard.count))
}

/// Before `shard` writes tiles into `dir`: its earlier marker and the pyramid's
/// `metadata.json` (and a DZI's `pyramid.dzi`) go, since the directory is about to change.
pub fn begin_shard(dir: &Path, shard: ShardSpec) -> Result<()> {
    for path in
        [marker_path(dir, shard), dir.join("metadata.json"), dir.join(crate::pyramid::dzi::DESCRIPTOR)]
    {
        remove_if_present(&path)?;
    }
    Ok(())
}

/// After `shard` wrote its tiles into `dir`: records the part (with the text of
/// `metadata.json` the shard would write, `meta`) and, when every part of the pyramid is present
/// with the same text, writes `metadata.json` and the viewer and removes the markers.
/// Returns true when this shard completed the pyramid.
pub fn finish_shard(
    dir: &Path,
    shard: ShardSpec,
    meta: &PyramidMetadata,
    viewer: &ViewerAssets,
) -> Result<bool> {
    let metadata = &meta.to_json(&dir.join("metadata.json"))?;
    finish_shard_with(dir, shard, metadata, || {
        write_viewer(dir, viewer)?;
        meta.write(dir)
    })
}

/// [`finish_shard`] for any pyramid: records the part with the text `marker` (what the
/// pyramid's description would say, the same in every shard of one render) and, when every
/// part is present with the same text, calls `describe` (which writes the metadata, last)
/// and removes the markers. Returns true when this shard completed the pyramid.
pub fn finish_shard_with(
    dir: &Path,
    shard: ShardSpec,
    marker: &str,
    describe: impl FnOnce() -> Result<()>,
) -> Result<bool> {
    write_atomically(&marker_path(dir, shard), marker.as_bytes())?;
    for index in 0..shard.count {
        let path = marker_path(dir, ShardSpec { index, count: shard.count });
        match std::fs::read(&path) {
            Ok(bytes) if bytes == marker.as_bytes() => {}
            // Missing (not finished yet) or of another render (not rendered again yet).
            Ok(_) => return Ok(false),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    describe()?;
    remove_markers(&dir.join(PARTS_DIR))?;
    Ok(true)
}

/// Removes every marker (of any shard count) and the markers' directory; another shard
/// completing at the same moment may have removed them first.
fn remove_markers(parts: &Path) -> Result<()> {
    let entries = match std::fs::read_dir(parts) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(parts, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(parts, e))?;
        if entry.file_name().to_string_lossy().ends_with(".json") {
            remove_if_present(&entry.path())?;
        }
    }
    match std::fs::remove_dir(parts) {
        // Not empty: another shard's temporary marker, or files that are not ours.
        Err(e) if e.kind() != ErrorKind::NotFound && e.kind() != ErrorKind::DirectoryNotEmpty => {
            Err(Error::io(parts, e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyramid::PyramidPlan;
    use crate::shade::{Color, Colormap, How};

    /// Metadata of a small pyramid, told apart by its tile size.
    fn meta(tile: u32) -> PyramidMetadata {
        let plan = PyramidPlan::new(600, 400, tile).unwrap();
        let axes = (((0.0, 1.0), Default::default()), ((0.0, 1.0), Default::default()));
        PyramidMetadata::new(&plan, axes, &[], (How::Linear, &Colormap::default(), Color::TRANSPARENT), None)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = walk(dir, dir);
        names.sort();
        names
    }

    fn walk(root: &Path, dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(walk(root, &path));
            } else {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
        out
    }

    #[test]
    fn the_metadata_appears_with_the_last_part_in_any_order() {
        for order in [[0u32, 1, 2], [2, 0, 1]] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            let mut completed = Vec::new();
            for &index in &order {
                let shard = ShardSpec { index, count: 3 };
                begin_shard(dir, shard).unwrap();
                completed.push(finish_shard(dir, shard, &meta(128), &ViewerAssets::Cdn).unwrap());
                if completed.len() < 3 {
                    assert!(!dir.join("metadata.json").exists(), "{order:?}");
                }
            }
            assert_eq!(completed, [false, false, true]);
            assert_eq!(names(dir), ["index.html", "metadata.json"]);
            assert_eq!(PyramidMetadata::read(dir).unwrap(), meta(128));
        }
    }

    #[test]
    fn parts_of_another_render_do_not_count_and_a_new_shard_removes_the_metadata() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (s0, s1) = (ShardSpec { index: 0, count: 2 }, ShardSpec { index: 1, count: 2 });
        assert!(!finish_shard(dir, s0, &meta(64), &ViewerAssets::Cdn).unwrap());
        assert!(!finish_shard(dir, s1, &meta(128), &ViewerAssets::Cdn).unwrap());
        assert!(!dir.join("metadata.json").exists());
        assert!(finish_shard(dir, s0, &meta(128), &ViewerAssets::Cdn).unwrap());
        assert_eq!(PyramidMetadata::read(dir).unwrap(), meta(128));
        begin_shard(dir, s1).unwrap();
        assert_eq!(names(dir), ["index.html"]);
    }
}
