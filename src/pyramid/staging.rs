//! What a pyramid directory may hold, so that `--pyramid DIR` replaces an earlier pyramid
//! whole and never a directory holding anything else. The pyramid is written under a
//! temporary directory and swapped in by [`crate::io::StagedDir`].

use std::borrow::Cow;
use std::path::Path;

use crate::error::{Field, Piece, Result};
use crate::io::{DirPolicy, StagedDir};

/// A pyramid directory: level directories, the metadata, the viewer (and gigaplot's
/// temporaries, which every staged directory may hold).
pub static PYRAMID_DIR: DirPolicy = DirPolicy {
    what: "a pyramid",
    field: Field::PyramidDir,
    owns: belongs_to_a_pyramid,
    advice: &[
        Piece::Text(Cow::Borrowed("give ")),
        Piece::Field(Field::PyramidDir),
        Piece::Text(Cow::Borrowed(" a new directory or an earlier pyramid's")),
    ],
};

/// Names a pyramid directory may hold: level directories, the metadata, the viewer and the
/// part markers of an unfinished sharded pyramid.
fn belongs_to_a_pyramid(name: &str) -> bool {
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()))
        || [
            "metadata.json",
            "index.html",
            "leaflet",
            crate::pyramid::completion::PARTS_DIR,
            crate::pyramid::dzi::DESCRIPTOR,
            crate::pyramid::dzi::TILES_DIR,
            crate::pyramid::dzi::ASSETS_DIR,
            crate::pyramid::metadata::TILEJSON,
        ]
        .contains(&name)
}

/// Fails unless `dir` is missing, or a directory (not a symbolic link) holding only what a
/// pyramid holds.
pub fn check_target(dir: &Path) -> Result<()> {
    crate::io::staged_dir::check_target(dir, &PYRAMID_DIR)
}

/// Starts writing a whole pyramid for `dir` under a temporary directory beside it.
pub fn begin(dir: &Path) -> Result<StagedDir> {
    StagedDir::begin(dir, &PYRAMID_DIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pyramids_and_empty_directories_are_replaced() {
        let parent = tempfile::tempdir().unwrap();
        let target = parent.path().join("docs");
        std::fs::create_dir(&target).unwrap();
        assert!(check_target(&target).is_ok());
        for name in ["0", "12", "metadata.json", "index.html", "leaflet", ".docs.gigaplot-7-x.tmp"] {
            std::fs::create_dir(target.join(name)).unwrap();
        }
        assert!(check_target(&target).is_ok());
        std::fs::write(target.join("thesis.tex"), "x").unwrap();
        let err = begin(&target).unwrap_err().to_string();
        assert!(err.contains("docs: holds thesis.tex, which is not part of a pyramid"), "{err}");
        assert!(err.ends_with("give pyramid.dir a new directory or an earlier pyramid's"), "{err}");
        std::fs::write(parent.path().join("file"), "x").unwrap();
        let err = check_target(&parent.path().join("file")).unwrap_err().to_string();
        assert!(err.contains("file: is a regular file, not a directory"), "{err}");
    }
}
