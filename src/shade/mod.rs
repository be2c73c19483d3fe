//! From aggregate values to colours, with statistics gathered over the whole canvas so that
//! every tile and band is shaded alike (no seams, a globally consistent eq-hist).
//!
//! The semantics follow Datashader's `tf.shade` exactly (see the module docs of
//! [`transfer`] and [`shader`]).

pub mod category;
pub mod color;
pub mod colormap;
mod eqhist;
pub mod float;
mod numpy;
pub mod shader;
pub mod spread;
pub mod stats;
mod tables;
pub mod transfer;

#[cfg(test)]
#[allow(clippy::all)]
mod reference;
#[cfg(test)]
#[allow(clippy::all)]
mod reference2;

pub use category::{CategoryShader, CategoryStats};
pub use color::Color;
pub use colormap::Colormap;
pub use float::{FloatHistogram, FloatShader, FloatStats};
pub use shader::CountShader;
pub use spread::{DensityStats, Shape, Spreader};
pub use stats::CountHistogram;
pub use transfer::How;
