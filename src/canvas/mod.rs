//! Where pixels are: the mapping from data ranges to pixel columns and rows, and the plan
//! that cuts the canvas into tiles and bands sized by the memory budget.

pub mod axis;
pub mod fastdiv;
pub mod plan;

pub use axis::{auto_range, parse_range, Axis, Scale, DROPPED};
pub use fastdiv::FastDiv;
pub use plan::{parse_size, Plan};
