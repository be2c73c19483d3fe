//! Deep-zoom tile pyramids: `DIR/{z}/{x}/{y}.png` slippy-map tiles of a plot at every zoom,
//! a browser viewer, and sharding over a cluster.
//!
//! The story of a pyramid:
//!
//! 1. [`PyramidPlan`]: zoom `max_zoom = ceil(log2(max(width, height) / tile))` is the
//!    canvas itself, each coarser zoom halves it (rounding up), zoom 0 fits one tile.
//! 2. [`LevelStack`]: the finest level's count rows, fed top to bottom, are summed 2 x 2
//!    into every coarser level in the same pass, in O(width) memory: counts stay counts.
//! 3. [`PyramidStats`] / [`StatsBuilder`]: one exact histogram per level (global per
//!    level, eq-hist included), mergeable across shards, saved as a small JSON.
//! 4. [`TileWriter`]: each level's rows are shaded with that level's statistics and cut
//!    into tiles; empty tiles are skipped and each tile appears atomically.
//! 5. [`PyramidWriter`] ties 2 and 4 together for a whole pyramid or one shard
//!    ([`ShardPlan`]), then writes [`PyramidMetadata`] and the [`viewer`] page, which
//!    `StaticServer` (feature `serve`, or any static server) serves. A whole pyramid is written under a
//!    temporary directory and swapped into place complete ([`staging`]); the metadata of a
//!    sharded one appears when the last shard's part is written ([`completion`]).
//!
//! Passes over the partitioned data: one to gather the statistics (feed a
//! [`StatsBuilder`]), one to write the tiles (feed a [`PyramidWriter`]), whatever the
//! number of levels. [`render_pyramid`] runs both for a whole pyramid or a shard in one
//! call (checking the options first); [`StatsSink`] and [`PyramidSink`] wire them into
//! ordinary renders by hand.

pub mod any_stats;
pub mod completion;
pub mod dzi;
pub mod generic;
mod levels;
pub mod metadata;
pub mod plan;
mod raster;
mod render;
#[cfg(feature = "serve")]
pub mod serve;
pub mod shard;
pub mod staging;
pub mod stats;
pub mod tiles;
pub mod viewer;
mod writer;

pub use any_stats::{compute_level_stats, LevelStatsFile};
pub use dzi::PyramidFormat;
pub use generic::TileSpread;
pub use levels::LevelStack;
pub use metadata::PyramidMetadata;
pub use plan::{PyramidPlan, DEFAULT_PYRAMID_TILE};
pub use raster::render_raster_pyramid;
pub use render::{compute_stats, render_pyramid, PyramidReport};
pub use shard::{ShardPlan, ShardSpec};
pub use stats::{InputKey, PyramidStats, StatsBuilder, StatsKey};
pub use tiles::{TileCounts, TileSelection, TileWriter, TileWriterOptions};
pub use viewer::{write_viewer, ViewerAssets};
pub use writer::{PyramidOptions, PyramidSink, PyramidSummary, PyramidWriter, StatsSink};
