//! The library's errors as Python exceptions: `OSError` for files and the disk,
//! `ValueError` for bad arguments and bad input, `KeyboardInterrupt` for an interrupted
//! render; the message is the library's, on one line.

use gigaplot::{Field, Spelling};
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyValueError};
use pyo3::PyErr;

/// The Python package's spelling of the library's option fields: its keywords
/// (`gp.render(memory=..., agg=..., dynspread_max=...)`), `keyword=value` for settings.
struct Keywords;

impl Keywords {
    fn keyword(field: Field) -> &'static str {
        match field {
            Field::MemoryBudget => "memory",
            Field::Reduction => "agg",
            Field::DynspreadMax => "dynspread_max",
            Field::DynspreadThreshold => "dynspread_threshold",
            Field::FontSize => "font_size",
            Field::PyramidDir => "pyramid",
            Field::PyramidTile => "pyramid_tile",
            Field::SpanFromLevel => "span_from_level",
            Field::ViewerAssets => "viewer_assets",
            Field::Shard => "shard",
            Field::Stats => "stats",
            other => other.name(),
        }
    }
}

impl Spelling for Keywords {
    fn field(&self, field: Field) -> String {
        Keywords::keyword(field).to_string()
    }

    fn setting(&self, field: Field, value: &str) -> String {
        format!("{}={value:?}", Keywords::keyword(field))
    }

    fn usage(&self, field: Field) -> String {
        Keywords::keyword(field).to_string()
    }
}

/// The Python exception of a library error, its option fields spelled as keywords.
pub fn to_py(error: gigaplot::Error) -> PyErr {
    let message = one_line(&error.spelled(&Keywords));
    match error {
        gigaplot::Error::Io { .. }
        | gigaplot::Error::BadOutput { .. }
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
