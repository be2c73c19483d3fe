//! Lines as a partition glyph: consecutive points of the x/y columns joined into a polyline
//! (NaN breaks it), cut into width-0 segments with Datashader's rules, each segment sent to
//! every band it crosses. O(N): a segment is stored once per band it crosses, and drawn
//! later only where it meets a tile.

use crate::canvas::{Axis, FastDiv, Plan};
use crate::data::PointColumns;
use crate::glyph::lines::{line_segment, rows_spanned, LineSegment};
use crate::glyph::series::VertexSource;
use crate::partition::Binner;

/// Bins the segments of the polylines through all points (one per series) into the bands
/// they cross.
pub struct LineBinner<'a> {
    source: VertexSource<'a>,
    x: Axis,
    y: Axis,
    bands: u32,
    band_div: FastDiv,
}

impl<'a> LineBinner<'a> {
    /// A binner for the lines through `points` (one per series) on the canvas of `plan`.
    pub fn new(points: &'a PointColumns, x: Axis, y: Axis, plan: &Plan) -> Self {
        let source = VertexSource::new(points);
        LineBinner { source, x, y, bands: plan.bands, band_div: FastDiv::new(plan.band_height) }
    }
}

impl Binner for LineBinner<'_> {
    type Record = LineSegment;

    fn items(&self) -> usize {
        self.source.items()
    }

    fn bands(&self) -> u32 {
        self.bands
    }

    /// Emits the segments that END at vertices `start .. start + len` (the segment into
    /// vertex i belongs to i's chunk), so every segment is emitted exactly once, in the
    /// order of [`crate::glyph::series`].
    fn bin<E: FnMut(u32, LineSegment)>(&self, start: usize, len: usize, mut emit: E) {
        self.source.segments(start, len, |s| {
            let Some(segment) = line_segment(&s.raw, &self.x, &self.y) else { return };
            let (first, last) = rows_spanned(&segment);
            for band in self.band_div.quotient(first)..=self.band_div.quotient(last).min(self.bands - 1) {
                emit(band, segment);
            }
        });
    }
}
