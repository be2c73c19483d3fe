//! The one error type of the library.
//!
//! Every variant names the file or the parameter at fault and says what was wrong, so the CLI
//! can print it as a single line. Nothing a user controls makes the library panic.

use std::io;
use std::path::PathBuf;

/// Result alias used throughout gigaplot.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a render, each naming its cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system error on a named file (open, map, read, write, rename).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file the operation was on.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// An input file exists but is not something gigaplot can read (bad .npy header, wrong
    /// dtype, truncated data, mismatched lengths...).
    #[error("{}: {problem}", path.display())]
    BadInput {
        /// The offending file (with `:K` when a column of a 2-D array was selected).
        path: PathBuf,
        /// One sentence saying what is wrong with it.
        problem: String,
    },
    /// A parameter (command-line flag or library field) has a value that cannot work.
    #[error("{name}: {problem}")]
    BadParameter {
        /// The flag or field, e.g. `--x-range`.
        name: String,
        /// One sentence saying what is wrong and what would be accepted.
        problem: String,
    },
    /// The memory budget cannot hold even one band of the canvas.
    #[error(
        "--memory: a budget of {budget} bytes cannot hold one band of a {width}-pixel-wide canvas; \
         at least {minimum} bytes ({minimum_mib} MiB) are needed"
    )]
    BudgetTooSmall {
        /// The budget given, in bytes.
        budget: u64,
        /// The canvas width in pixels.
        width: u64,
        /// The smallest budget that would work, in bytes.
        minimum: u64,
        /// The same in MiB, rounded up.
        minimum_mib: u64,
    },
    /// Not enough free disk space for the scratch files or the output.
    #[error(
        "{}: not enough free disk space: about {needed} bytes needed, {available} available",
        path.display()
    )]
    DiskSpace {
        /// The directory that lacks space.
        path: PathBuf,
        /// Estimated bytes needed.
        needed: u64,
        /// Bytes available there.
        available: u64,
    },
    /// An input file changed size or contents while it was being read.
    #[error("{}: the file changed while it was being read; render again", path.display())]
    InputChanged {
        /// The file that changed.
        path: PathBuf,
    },
    /// The render was stopped by a signal (Ctrl-C, SIGTERM) or a cancel request.
    #[error("interrupted; no output was written")]
    Interrupted,
}

impl Error {
    /// An [`Error::Io`] on `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// An [`Error::BadInput`] on `path`.
    pub fn bad_input(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        Error::BadInput { path: path.into(), problem: problem.into() }
    }

    /// An [`Error::BadParameter`] for the flag or field `name`.
    pub fn bad_parameter(name: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::BadParameter { name: name.into(), problem: problem.into() }
    }
}
