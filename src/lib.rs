//! gigaplot: out-of-core rendering of gigapixel plots.
#![warn(missing_docs)]

pub mod canvas;
pub mod data;
pub mod error;
pub mod glyph;
pub mod partition;
pub mod progress;
pub mod reduce;
pub mod render;
pub mod shade;
pub mod sink;

pub use error::{Error, Result};
