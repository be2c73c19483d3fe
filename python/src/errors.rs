//! The library's errors as Python exceptions: `OSError` for files and the disk,
//! `ValueError` for bad arguments and bad input, `KeyboardInterrupt` for an interrupted
//! render; the message is the library's, on one line.

use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyValueError};
use pyo3::PyErr;

/// The Python exception of a library error.
pub fn to_py(error: gigaplot::Error) -> PyErr {
    let message = one_line(&error.to_string());
    match error {
        gigaplot::Error::Io { .. }
        | gigaplot::Error::DiskSpace { .. }
        | gigaplot::Error::InputChanged { .. } => PyOSError::new_err(message),
        gigaplot::Error::Interrupted => PyKeyboardInterrupt::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

/// A `ValueError` for keyword `name`: "name: problem", as the library words its errors.
pub fn bad(name: &str, problem: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(one_line(&format!("{name}: {problem}")))
}

/// `message` with its lines joined by spaces.
fn one_line(message: &str) -> String {
    message.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}
