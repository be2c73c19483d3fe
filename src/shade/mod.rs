//! From aggregate values to colours, with statistics gathered over the whole canvas so that
//! every tile and band is shaded alike (no seams, a globally consistent eq-hist).
//!
//! The semantics follow Datashader's `tf.shade` exactly (see the module docs of
//! [`transfer`] and [`shader`]).

pub mod color;
pub mod colormap;
pub mod shader;
pub mod stats;
pub mod transfer;

pub use color::Color;
pub use colormap::Colormap;
pub use shader::CountShader;
pub use stats::CountHistogram;
pub use transfer::How;
