//! Output directories that appear complete or not at all: a directory output (a tile
//! pyramid) is written under a temporary directory beside its target `DIR`
//! (`.NAME.gigaplot-PID-RANDOM.tmp`, see [`crate::io::temporary`]) and moved into place only
//! when everything in it is written.
//!
//! **The swap.** When `DIR` does not exist, one `rename(2)`. When it does (an earlier
//! output), `renameat2(RENAME_EXCHANGE)` swaps the two names in one step, so `DIR` always
//! holds a whole output, the old one until the swap and the new one after; the old one, now
//! under the temporary name, is then removed. A file system without `RENAME_EXCHANGE`
//! (it answers `EINVAL`) gets two renames instead: the old `DIR` to a temporary name, the new
//! one to `DIR`, with a moment in between where `DIR` is missing.
//!
//! **Until the swap**, an interruption, a full disk or an error leaves `DIR` as it was and
//! removes the temporary directory (its destructor; on an emergency exit,
//! [`crate::io::cleanup`]'s registered tree; after `kill -9`, the next output into `DIR`
//! removes it, being unlocked).
//!
//! **What may be replaced.** An existing `DIR` is swapped out only when it is a directory
//! (not a symbolic link) holding nothing but what such an output holds (its [`DirPolicy`])
//! and gigaplot's temporaries. A directory with anything else in it is refused before the
//! render starts: a directory output never deletes files it did not write.

use std::path::{Path, PathBuf};

use rustix::fs::{renameat_with, RenameFlags, CWD};

use crate::error::{Error, Field, Piece, Problem, Result};
use crate::io::file_kind::describe;
use crate::io::temporary::{parent_dir, sweep, TempTree, TEMP_MARKER};

/// What kind of directory output a [`StagedDir`] writes: which entries of an existing
/// target belong to it (so the target may be replaced), and how refusals are worded.
#[derive(Debug)]
pub struct DirPolicy {
    /// The output in messages, with its article: "a pyramid".
    pub what: &'static str,
    /// The option naming the target, for a target without a directory name.
    pub field: Field,
    /// True for the names of entries such an output writes; any other entry (gigaplot's
    /// temporaries aside) makes an existing target refused.
    pub owns: fn(&str) -> bool,
    /// What to do instead, ending a refusal: "give `pyramid.dir` a new directory or ...".
    pub advice: &'static [Piece],
}

/// A directory output being written under a temporary directory, installed at its target
/// by [`StagedDir::install`] and removed if dropped before.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    /// `.NAME.gigaplot-`: the temporary names beside the target start so.
    prefix: String,
    tree: TempTree,
    policy: &'static DirPolicy,
}

impl StagedDir {
    /// Checks that `target` may be replaced under `policy`, removes temporaries of dead runs
    /// beside it and creates the temporary directory.
    pub fn begin(target: &Path, policy: &'static DirPolicy) -> Result<StagedDir> {
        check_target(target, policy)?;
        let name = target.file_name().ok_or_else(|| {
            Error::bad_parameter(policy.field, format!("{} is not a directory name", target.display()))
        })?;
        let parent = parent_dir(target);
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let prefix = format!(".{}{TEMP_MARKER}", name.to_string_lossy());
        sweep(&parent, &prefix, ".tmp");
        let tree = TempTree::create(&parent, &prefix, ".tmp").map_err(|e| Error::io(target, e))?;
        Ok(StagedDir { target: target.to_path_buf(), prefix, tree, policy })
    }

    /// Where the output is being written.
    pub fn dir(&self) -> &Path {
        self.tree.path()
    }

    /// `error` with a path inside the temporary directory renamed to the same path inside
    /// the target, so messages name the output the user asked for.
    pub fn rename_in_error(&self, error: Error) -> Error {
        match error {
            Error::Io { path, source } => match path.strip_prefix(self.tree.path()) {
                Ok(rel) => Error::io(self.target.join(rel), source),
                Err(_) => Error::Io { path, source },
            },
            other => other,
        }
    }

    /// Moves the complete output to the target, replacing (then removing) the output that
    /// was there.
    pub fn install(self) -> Result<()> {
        let StagedDir { target, prefix, tree, policy } = self;
        check_target(&target, policy)?;
        let staged = tree.path().to_path_buf();
        let failed = |e: std::io::Error| Error::io(&target, e);
        if std::fs::symlink_metadata(&target).is_err() {
            std::fs::rename(&staged, &target).map_err(failed)?;
            tree.keep();
            return Ok(());
        }
        match renameat_with(CWD, &staged, CWD, &target, RenameFlags::EXCHANGE) {
            // The old output is now at the temporary name: dropping the tree removes it.
            Ok(()) => drop(tree),
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::OPNOTSUPP) => {
                let parent = parent_dir(&target);
                let aside = TempTree::create(&parent, &prefix, ".tmp").map_err(failed)?;
                // Over the empty `aside` directory, then the new one in: both plain renames.
                std::fs::rename(&target, aside.path()).map_err(failed)?;
                if let Err(e) = std::fs::rename(&staged, &target) {
                    // Put the old one back rather than leave nothing.
                    let _ = std::fs::rename(aside.path(), &target);
                    return Err(failed(e));
                }
                tree.keep();
                drop(aside);
            }
            Err(e) => return Err(failed(e.into())),
        }
        Ok(())
    }
}

/// Writes `bytes` to the new file `path` inside a [`StagedDir`]'s directory (a tile of a
/// pyramid), creating the file's own directory if it is missing but never its ancestors, so a
/// writer still running after an emergency exit removed the tree fails instead of re-creating
/// it. No temporary name, rename or lock per file: the staged directory is what appears
/// complete or not at all ([`StagedDir::install`]), so a file cut short is never seen, and a
/// pyramid's thousands of tiles cost one `open`, `write` and `close` each. Created
/// exclusively (`O_EXCL`, which never follows a symbolic link).
pub fn write_staged_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let open = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path)
    };
    let file = match open() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = parent_dir(path);
            match std::fs::create_dir(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(Error::io(&dir, e)),
                _ => open(),
            }
        }
        opened => opened,
    };
    file.and_then(|mut file| file.write_all(bytes)).map_err(|e| Error::io(path, e))
}

/// Fails unless `target` is missing, or a directory (not a symbolic link) holding only what
/// an output of `policy` holds and gigaplot's temporaries.
pub fn check_target(target: &Path, policy: &DirPolicy) -> Result<()> {
    let meta = match std::fs::symlink_metadata(target) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(target, e)),
    };
    if !meta.is_dir() {
        let kind = describe(meta.file_type()).unwrap_or("a regular file");
        return Err(Error::bad_output(
            target,
            Problem::from(format!("is {kind}, not a directory; ")).then(policy.advice),
        ));
    }
    let entries = std::fs::read_dir(target).map_err(|e| Error::io(target, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(target, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let temporary = name.starts_with('.') && name.contains(TEMP_MARKER);
        if !(temporary || (policy.owns)(&name)) {
            let what = policy.what;
            return Err(Error::bad_output(
                target,
                Problem::from(format!(
                    "holds {name}, which is not part of {what}; {what} replaces its directory whole, so "
                ))
                .then(policy.advice),
            ));
        }
    }
    Ok(())
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

    /// A directory output holding numbered directories and `metadata.json`.
    static TEST: DirPolicy = DirPolicy {
        what: "a test output",
        field: Field::PyramidDir,
        owns: |name| name == "metadata.json" || name.bytes().all(|b| b.is_ascii_digit()),
        advice: &[Piece::Text(std::borrow::Cow::Borrowed("choose another target"))],
    };

    fn stage(target: &Path, marker: &str) -> StagedDir {
        let staged = StagedDir::begin(target, &TEST).unwrap();
        std::fs::create_dir_all(staged.dir().join("0/0")).unwrap();
        std::fs::write(staged.dir().join("0/0/0.png"), marker).unwrap();
        std::fs::write(staged.dir().join("metadata.json"), marker).unwrap();
        staged
    }

    #[test]
    fn an_output_is_installed_whole_and_replaces_the_old_one() {
        let parent = tempfile::tempdir().unwrap();
        let target = parent.path().join("pyr");
        let first = stage(&target, "one");
        assert!(!target.exists(), "nothing at the target before install");
        first.install().unwrap();
        assert_eq!(std::fs::read_to_string(target.join("0/0/0.png")).unwrap(), "one");
        std::fs::create_dir_all(target.join("5/1")).unwrap();
        std::fs::write(target.join("5/1/1.png"), "old").unwrap();
        let second = stage(&target, "two");
        assert_eq!(std::fs::read_to_string(target.join("0/0/0.png")).unwrap(), "one");
        second.install().unwrap();
        assert_eq!(names(&target), ["0", "metadata.json"]);
        assert_eq!(std::fs::read_to_string(target.join("0/0/0.png")).unwrap(), "two");
        assert_eq!(names(parent.path()), ["pyr"]);
    }

    #[test]
    fn a_dropped_stage_leaves_the_old_output_and_nothing_else() {
        let parent = tempfile::tempdir().unwrap();
        let target = parent.path().join("pyr");
        stage(&target, "one").install().unwrap();
        drop(stage(&target, "two"));
        assert_eq!(names(parent.path()), ["pyr"]);
        assert_eq!(std::fs::read_to_string(target.join("0/0/0.png")).unwrap(), "one");
    }

    #[test]
    fn only_earlier_outputs_and_empty_directories_are_replaced() {
        let parent = tempfile::tempdir().unwrap();
        let target = parent.path().join("docs");
        std::fs::create_dir(&target).unwrap();
        assert!(check_target(&target, &TEST).is_ok());
        std::fs::write(target.join(".x.gigaplot-1-abc.tmp"), "x").unwrap();
        std::fs::write(target.join("metadata.json"), "x").unwrap();
        assert!(check_target(&target, &TEST).is_ok());
        std::fs::write(target.join("thesis.tex"), "x").unwrap();
        let err = StagedDir::begin(&target, &TEST).unwrap_err().to_string();
        let expected = format!(
            "{}: holds thesis.tex, which is not part of a test output; a test output replaces its \
             directory whole, so choose another target",
            target.display()
        );
        assert_eq!(err, expected);
        std::fs::write(parent.path().join("file"), "x").unwrap();
        let err = check_target(&parent.path().join("file"), &TEST).unwrap_err().to_string();
        assert!(err.ends_with("file: is a regular file, not a directory; choose another target"), "{err}");
        std::os::unix::fs::symlink(&target, parent.path().join("link")).unwrap();
        let err = check_target(&parent.path().join("link"), &TEST).unwrap_err().to_string();
        assert!(err.contains("link: is a symbolic link, not a directory"), "{err}");
        let unnamed = parent.path().join("missing/..");
        let err = StagedDir::begin(&unnamed, &TEST).unwrap_err().to_string();
        assert_eq!(err, format!("pyramid.dir: {} is not a directory name", unnamed.display()));
        assert_eq!(names(parent.path()), ["docs", "file", "link"]);
    }

    #[test]
    fn staged_files_create_only_their_own_directory_and_never_replace() {
        let parent = tempfile::tempdir().unwrap();
        let staged = StagedDir::begin(&parent.path().join("pyr"), &TEST).unwrap();
        write_staged_file(&staged.dir().join("3/1.png"), b"tile").unwrap();
        write_staged_file(&staged.dir().join("3/2.png"), b"next").unwrap();
        assert_eq!(names(&staged.dir().join("3")), ["1.png", "2.png"]);
        assert_eq!(std::fs::read(staged.dir().join("3/1.png")).unwrap(), b"tile");
        // An existing file (or a planted symbolic link) is neither replaced nor followed.
        let err = write_staged_file(&staged.dir().join("3/1.png"), b"x").unwrap_err().to_string();
        assert!(err.ends_with("3/1.png: File exists (os error 17)"), "{err}");
        std::os::unix::fs::symlink(parent.path().join("victim"), staged.dir().join("3/4.png")).unwrap();
        assert!(write_staged_file(&staged.dir().join("3/4.png"), b"x").is_err());
        assert!(!parent.path().join("victim").exists());
        // Ancestors are not re-created: a removed tree stays removed.
        let gone = parent.path().join("gone");
        let err = write_staged_file(&gone.join("5/3.png"), b"x").unwrap_err().to_string();
        assert!(err.contains("gone/5"), "{err}");
        assert!(!gone.exists());
    }

    #[test]
    fn errors_name_the_target_not_the_temporary_directory() {
        let parent = tempfile::tempdir().unwrap();
        let target = parent.path().join("pyr");
        let staged = StagedDir::begin(&target, &TEST).unwrap();
        let inner = staged.dir().join("3/1/2.png");
        let err = staged.rename_in_error(Error::io(inner, std::io::Error::other("full")));
        assert_eq!(err.to_string(), format!("{}: full", target.join("3/1/2.png").display()));
    }
}
