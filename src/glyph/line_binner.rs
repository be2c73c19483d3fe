//! Lines as a partition glyph: consecutive points of the x/y columns joined into a polyline
//! (NaN breaks it), cut into width-0 segments with Datashader's rules, each segment sent to
//! every band it crosses. O(N): a segment is stored once per band it crosses, and drawn
//! later only where it meets a tile.

use crate::canvas::{Axis, FastDiv, Plan};
use crate::data::PointColumns;
use crate::glyph::lines::{rows_spanned, segments_of_polyline, LineSegment};
use crate::partition::Binner;

/// Vertices are read in blocks of this many.
const READ_BLOCK: usize = 1 << 16;

/// Bins the segments of the polyline through all points into the bands they cross.
pub struct LineBinner<'a> {
    points: &'a PointColumns,
    x: Axis,
    y: Axis,
    bands: u32,
    band_div: FastDiv,
}

impl<'a> LineBinner<'a> {
    /// A binner for the line through `points` on the canvas of `plan`.
    pub fn new(points: &'a PointColumns, x: Axis, y: Axis, plan: &Plan) -> Self {
        LineBinner { points, x, y, bands: plan.bands, band_div: FastDiv::new(plan.band_height) }
    }

    fn vertex_is_nan(&self, i: usize) -> bool {
        let mut v = [0f64; 1];
        self.points.x.read_f64(i, &mut v);
        let mut w = [0f64; 1];
        self.points.y.read_f64(i, &mut w);
        v[0].is_nan() || w[0].is_nan()
    }
}

impl Binner for LineBinner<'_> {
    type Record = LineSegment;

    fn items(&self) -> usize {
        self.points.len()
    }

    fn bands(&self) -> u32 {
        self.bands
    }

    /// Emits the segments that END at vertices `start .. start + len` (the segment into
    /// vertex i belongs to i's chunk), so every segment is emitted exactly once.
    fn bin<E: FnMut(u32, LineSegment)>(&self, start: usize, len: usize, mut emit: E) {
        let end = start + len;
        let mut at = start.saturating_sub(1);
        let mut xs = Vec::with_capacity(READ_BLOCK + 1);
        let mut ys = Vec::with_capacity(READ_BLOCK + 1);
        while at + 1 < end {
            // Vertices at .. block_end, overlapping the previous block by one vertex.
            let block_end = (at + READ_BLOCK).min(end);
            let n = block_end - at;
            xs.resize(n, 0.0);
            ys.resize(n, 0.0);
            self.points.x.read_f64(at, &mut xs);
            self.points.y.read_f64(at, &mut ys);
            let continues = at > 0 && !self.vertex_is_nan(at - 1);
            segments_of_polyline(&xs, &ys, &self.x, &self.y, continues, |segment| {
                let (first, last) = rows_spanned(&segment);
                for band in self.band_div.quotient(first)..=self.band_div.quotient(last).min(self.bands - 1) {
                    emit(band, segment);
                }
            });
            self.points.x.release(at, n);
            self.points.y.release(at, n);
            at = block_end - 1;
        }
    }
}
