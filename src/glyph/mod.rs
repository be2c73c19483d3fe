//! Glyphs: how input items become records on the GLOBAL pixel grid, bucketed by band, and
//! how a band's records become fragments in its tiles.
//!
//! A [`Glyph`] is what differs between points, width-0 lines and anti-aliased lines:
//! - its record shape ([`record`]): a packed pixel, a segment; with the item's value when
//!   the reduction reads one ([`record::Valued`]);
//! - how items become records: its [`crate::partition::Binner`], run by the partition
//!   pass over the input in chunks;
//! - how a band's records reach the tiles they touch ([`route`]: a counting sort for
//!   points, column spans for segments) and are drawn there as fragments `(pixel in tile,
//!   value, aa, prev)` that the reduction folds (points and width-0 lines: `aa = 1, prev
//!   = 0`; anti-aliased lines: Datashader's coverage and join correction, or full caps for
//!   reductions that are not additive).
//!
//! Every glyph computes pixel coordinates from the whole canvas's axes in f64, never from
//! a tile's, so a glyph's pixels do not depend on which tile or band draws them. Rasters
//! ([`raster`]) are not drawn from records: a band resamples the raster rows it covers.
//!
//! Adding a glyph: its module here implementing [`Glyph`], and one line per reduction it
//! supports in `render/table.rs`.

pub mod lines;
pub mod pixel_index;
pub mod points;
pub mod raster;
pub mod record;
pub mod route;

use std::path::Path;

pub use lines::{AaLines, Lines};
pub use points::{CellIndex, PointBinner, Points};
pub use record::{Record, RecordOf, Shape, Valued};

use crate::canvas::{Axis, Plan, TileLayout};
use crate::data::{PointColumns, Source};
use crate::error::Result;
use crate::partition::Partition;
use crate::progress::Progress;
use crate::reduce::Fragment;

/// What a glyph reads to make its records.
#[derive(Clone, Copy)]
pub struct GlyphInput<'a> {
    /// x and y (and how they hold several series).
    pub points: &'a PointColumns<'a>,
    /// The value column records carry, when the reduction reads one.
    pub value: Option<&'a dyn Source>,
    /// The x axis of the canvas.
    pub x: Axis,
    /// The y axis of the canvas.
    pub y: Axis,
    /// The reduction's `overwrite` (anti-aliased lines: full caps, no join correction).
    pub overwrite: bool,
}

/// One band to draw: where its records are and how the canvas is cut.
#[derive(Clone, Copy)]
pub struct BandDraw<'a> {
    /// The canvas plan.
    pub plan: &'a Plan,
    /// The partitioned records.
    pub partition: &'a Partition,
    /// The band.
    pub band: u32,
    /// The band's tiles.
    pub layout: &'a TileLayout,
    /// The reduction's `overwrite`.
    pub overwrite: bool,
}

/// A glyph: items to records, records to fragments. See the module doc.
pub trait Glyph: Sync {
    /// The geometry of one record.
    type Shape: Shape;

    /// Partitions the input's items into records `R` (the shape, and the value when `R`
    /// carries one) bucketed by band, in a scratch file in `scratch_dir`.
    fn partition<R: Record<Shape = Self::Shape>>(
        &self,
        input: &GlyphInput<'_>,
        plan: &Plan,
        scratch_dir: &Path,
        progress: &dyn Progress,
    ) -> Result<Partition>;

    /// The binner of a glyph whose items each fall in at most one pixel, for direct
    /// aggregation of a canvas that is one band (no partition, no scratch file): its
    /// records are packed pixels `row << column_bits | column` with the item's value (NaN
    /// when `input.value` is None). None (the default): the glyph always partitions.
    fn direct<'a>(&self, _input: &GlyphInput<'a>, _plan: &Plan) -> Option<PointBinner<'a, Valued<u32>>> {
        None
    }

    /// Draws the records of `band` into `tiles` (one slice per tile of `band.layout`):
    /// `fold(tile, pixel within the tile, fragment)` for every pixel drawn, tiles in
    /// parallel, records in input order within a tile, a record's pixels in drawing
    /// order.
    fn draw<R, T, F>(&self, band: &BandDraw<'_>, tiles: &mut [&mut [T]], fold: F) -> Result<()>
    where
        R: Record<Shape = Self::Shape>,
        T: Send,
        F: Fn(&mut [T], usize, Fragment) + Sync;

    /// For glyphs whose every record draws one whole pixel (points), when the records of
    /// `band` fit one window of `max_records`: routes them and calls `each(tile, records)`
    /// once for every tile (no records for a tile that has none), tiles in parallel,
    /// records in input order, each drawing what [`Glyph::pixel_of`] says. A caller can
    /// then clear and fold a tile at once, or fold it on its own and read back the pixels
    /// its records reached. None (the default; nothing read) otherwise.
    fn each_whole_tile<R, F>(&self, _band: &BandDraw<'_>, _max_records: u64, _each: F) -> Option<Result<()>>
    where
        R: Record<Shape = Self::Shape>,
        F: Fn(usize, &[R]) + Sync,
    {
        None
    }

    /// The pixel within its tile and the fragment of a record [`Glyph::each_whole_tile`]
    /// hands out (None for glyphs whose records draw several pixels).
    fn pixel_of<R: Record<Shape = Self::Shape>>(_record: &R) -> Option<(usize, Fragment)> {
        None
    }
}
