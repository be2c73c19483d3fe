//! Paths that are not regular files, refused before anything opens them.
//!
//! An input that is a named pipe blocks `open(2)` until some writer appears (and a device such
//! as `/dev/zero` never ends), so inputs are checked with `stat` first and opened with
//! `O_NONBLOCK`, then checked again on the open file. Symbolic links to regular files are
//! fine as inputs. An output path that holds a FIFO, device, directory or symbolic link is
//! refused: gigaplot's final rename would replace it, and gigaplot replaces only regular files.

use std::fs::{File, FileType, Metadata, OpenOptions};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use crate::error::{Error, Result};

/// What a file that is not a regular file is, in words for a message ("a named pipe
/// (FIFO)"); `None` for a regular file.
pub fn describe(file_type: FileType) -> Option<&'static str> {
    let kind = if file_type.is_file() {
        return None;
    } else if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_fifo() {
        "a named pipe (FIFO)"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "a special file"
    };
    Some(kind)
}

/// Fails with [`Error::BadInput`] naming `label` unless `file_type` is a regular file.
fn require_regular(label: &str, file_type: FileType) -> Result<()> {
    match describe(file_type) {
        None => Ok(()),
        Some(kind) => Err(Error::bad_input(label, format!("is {kind}, not a regular file"))),
    }
}

/// Opens an input file for reading: anything but a regular file (reached directly or through
/// symbolic links) is refused with "`label`: is a named pipe (FIFO), not a regular file"
/// (or a directory, a character device...) without being opened. Returns the open file and
/// its metadata, read from the open file.
pub fn open_input(path: &Path, label: &str) -> Result<(File, Metadata)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    require_regular(label, meta.file_type())?;
    // O_NONBLOCK: a FIFO put in the file's place after the check must not block the open
    // (it changes nothing for a regular file).
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    require_regular(label, meta.file_type())?;
    Ok((file, meta))
}

/// Reads a whole (small) input file as text, refusing non-regular files like
/// [`open_input`].
pub fn read_input_to_string(path: &Path) -> Result<String> {
    let (mut file, _) = open_input(path, &path.display().to_string())?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text).map_err(|e| Error::io(path, e))?;
    Ok(text)
}

/// Fails unless `path` is missing or a regular file (not followed: a symbolic link is
/// refused too), so an output never replaces or writes through anything else.
pub fn check_output(path: &Path) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(()); // missing (or unreadable: creating the output will say why)
    };
    let problem = match describe(meta.file_type()) {
        None => return Ok(()),
        Some("a directory") => "is a directory, not a regular file; give a file name for the output".to_string(),
        Some(kind) => format!(
            "is {kind}, not a regular file; gigaplot replaces only regular files: remove it or choose another output path"
        ),
    };
    Err(Error::bad_output(path, problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a NUL-terminated path we own.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn inputs_must_be_regular_files() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.npy");
        mkfifo(&fifo);
        let err = open_input(&fifo, "fifo.npy").unwrap_err().to_string();
        assert_eq!(err, "fifo.npy: is a named pipe (FIFO), not a regular file");
        let err = open_input(Path::new("/dev/zero"), "/dev/zero").unwrap_err().to_string();
        assert_eq!(err, "/dev/zero: is a character device, not a regular file");
        let err = open_input(dir.path(), "d").unwrap_err().to_string();
        assert_eq!(err, "d: is a directory, not a regular file");
        // A symbolic link to a regular file is fine.
        std::fs::write(dir.path().join("real"), b"abc").unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link")).unwrap();
        assert_eq!(read_input_to_string(&dir.path().join("link")).unwrap(), "abc");
    }

    #[test]
    fn outputs_must_be_missing_or_regular_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert!(check_output(&d.join("missing.png")).is_ok());
        std::fs::write(d.join("old.png"), b"x").unwrap();
        assert!(check_output(&d.join("old.png")).is_ok());
        std::os::unix::fs::symlink(d.join("old.png"), d.join("link.png")).unwrap();
        mkfifo(&d.join("fifo.png"));
        for (name, kind) in [("link.png", "a symbolic link"), ("fifo.png", "a named pipe (FIFO)")] {
            let err = check_output(&d.join(name)).unwrap_err().to_string();
            assert!(err.contains(&format!("{name}: is {kind}, not a regular file")), "{err}");
        }
        let err = check_output(Path::new("/dev/null")).unwrap_err().to_string();
        assert!(err.starts_with("/dev/null: is a character device, not a regular file"), "{err}");
    }
}
