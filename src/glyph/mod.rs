//! Glyphs: how input items become records on the GLOBAL pixel grid, bucketed by band.
//!
//! Every glyph computes pixel coordinates from the whole canvas's axes in f64, never from
//! a tile's, so a glyph's pixels do not depend on which tile or band draws them.

pub mod aa_binner;
pub mod line_binner;
pub mod line_records;
pub mod lines;
pub mod points;
pub mod raster;
pub mod series;

pub use aa_binner::AaLineBinner;
pub use line_binner::LineBinner;
pub use line_records::{AaRecord, AaValueSegment, LineRecord, LineValueSegment};
pub use points::PointBinner;
