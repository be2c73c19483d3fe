//! Where pixels are: the mapping from data ranges to pixel columns and rows, the plan
//! that cuts the canvas into tiles and bands sized by the memory budget, and the tile
//! layout of a band's buffer.

pub mod axis;
pub mod fastdiv;
pub mod plan;
pub mod tiles;

pub use axis::{auto_range, parse_range, Axis, Scale};
pub use fastdiv::FastDiv;
pub use plan::{parse_size, Plan};
pub use tiles::{PixelWindow, TileLayout};
