//! Reductions: how the records of a band accumulate into per-pixel aggregate values.
//!
//! A band's aggregate is stored tile by tile (each tile's rows contiguous), so tiles are
//! accumulated in parallel with no shared state; records reach each tile in input order,
//! so the result is the same for any tile size and thread count.

pub mod count;
pub mod tiles;

pub use count::CountBand;
pub use tiles::TileLayout;
