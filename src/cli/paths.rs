//! Output paths checked against the inputs before anything is written.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::failure::{Failure, Result};

/// True when both paths name the same existing file, however they are spelled (a `./`
/// prefix, a symbolic link, a hard link): same device and inode.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Refuses an output (given by `flag`) that is one of the `inputs`: writing it would
/// destroy the data it is made from.
pub fn check_not_an_input<'a>(
    flag: &'static str,
    output: &Path,
    inputs: impl IntoIterator<Item = &'a Path>,
) -> Result<()> {
    for input in inputs {
        if same_file(output, input) {
            return Err(Failure::flag(
                flag,
                format!("{} is also an input file; choose another output path", output.display()),
            ));
        }
    }
    Ok(())
}

/// The directory of the scratch file: `--scratch-dir`, or the system temporary directory.
/// Fails naming `--scratch-dir` when it is not a directory.
pub fn scratch_dir(flag: Option<&Path>) -> Result<PathBuf> {
    let dir = flag.map_or_else(std::env::temp_dir, Path::to_path_buf);
    if !dir.is_dir() {
        return Err(Failure::flag("--scratch-dir", format!("{} is not a directory", dir.display())));
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_file_under_other_names_is_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.json");
        std::fs::write(&a, b"{}").unwrap();
        let linked = dir.path().join("b.json");
        std::fs::hard_link(&a, &linked).unwrap();
        let symlink = dir.path().join("c.json");
        std::os::unix::fs::symlink(&a, &symlink).unwrap();
        let dotted = dir.path().join(".").join("a.json");
        for other in [&linked, &symlink, &dotted] {
            assert!(same_file(&a, other), "{}", other.display());
        }
        let other = dir.path().join("d.json");
        std::fs::write(&other, b"{}").unwrap();
        assert!(!same_file(&a, &other));
        assert!(!same_file(&a, &dir.path().join("missing.json")));
        let message = check_not_an_input("-o", &dotted, [a.as_path()]).unwrap_err().line();
        assert!(
            message.starts_with("-o: ")
                && message.ends_with("is also an input file; choose another output path")
        );
    }
}
