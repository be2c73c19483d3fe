//! Anti-aliased lines (`line_width > 0`) as a partition glyph: consecutive points of the
//! x/y columns joined into a polyline (NaN breaks it), cut into [`AaSegment`]s with
//! Datashader's flags, each segment sent to every band its scan may touch. O(N): a segment
//! is stored once per band it reaches, and drawn later only where it meets a tile.

use crate::canvas::{Axis, FastDiv, Plan};
use crate::data::PointColumns;
use crate::glyph::lines::{aa_rows_spanned, aa_segment, AaSegment, AaStyle, RawSegment};
use crate::glyph::series::VertexSource;
use crate::partition::Binner;

/// Bins the anti-aliased segments of the polylines through all points (one per series)
/// into the bands they may touch.
pub struct AaLineBinner<'a> {
    source: VertexSource<'a>,
    x: Axis,
    y: Axis,
    style: AaStyle,
    bands: u32,
    band_div: FastDiv,
}

impl<'a> AaLineBinner<'a> {
    /// A binner for the lines through `points` (one per series) drawn with `style` on the
    /// canvas of `plan`.
    pub fn new(points: &'a PointColumns, x: Axis, y: Axis, style: AaStyle, plan: &Plan) -> Self {
        let source = VertexSource::new(points);
        AaLineBinner { source, x, y, style, bands: plan.bands, band_div: FastDiv::new(plan.band_height) }
    }

    /// Emits `raw` (if it draws anything) to every band it may touch.
    fn route<E: FnMut(u32, AaSegment)>(&self, raw: &RawSegment, emit: &mut E) {
        let Some(segment) = aa_segment(raw, &self.x, &self.y) else { return };
        let Some((first, last)) = aa_rows_spanned(&segment, &self.style) else { return };
        for band in self.band_div.quotient(first)..=self.band_div.quotient(last).min(self.bands - 1) {
            emit(band, segment);
        }
    }
}

impl Binner for AaLineBinner<'_> {
    type Record = AaSegment;

    fn items(&self) -> usize {
        self.source.items()
    }

    fn bands(&self) -> u32 {
        self.bands
    }

    /// Emits the segments that END at vertices `start .. start + len` (the segment into
    /// vertex i belongs to i's chunk), so every segment is emitted exactly once, in the
    /// order of [`crate::glyph::series`]. The vertex source reads two vertices before each
    /// segment's end (its start and previous vertex) and one after (whether it ends a run).
    fn bin<E: FnMut(u32, AaSegment)>(&self, start: usize, len: usize, mut emit: E) {
        self.source.segments(start, len, |s| self.route(&s.raw, &mut emit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::Scale;
    use crate::data::npy::encode_header;
    use crate::data::{ColumnSpec, DType};
    use crate::glyph::lines::Polyline;

    fn write(path: &std::path::Path, values: &[f64]) {
        let mut bytes = encode_header(DType::F64, &[values.len()]);
        bytes.extend_from_slice(bytemuck::cast_slice(values));
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn any_chunking_emits_the_segments_of_the_whole_walk_once_in_order() {
        let xs = [0.5, 3.0, f64::NAN, 2.0, 8.0, 9.5, 1.0, f64::NAN, f64::NAN, 4.0, 6.0, 2.0, 7.0];
        let ys = [1.0, 9.0, 0.0, 2.0, 2.5, 7.0, -3.0, 1.0, 1.0, 4.0, 6.0, 8.0, 1.0];
        let dir = tempfile::tempdir().unwrap();
        let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
        write(&xp, &xs);
        write(&yp, &ys);
        let points = PointColumns::open(
            &ColumnSpec::parse(xp.to_str().unwrap()),
            &ColumnSpec::parse(yp.to_str().unwrap()),
        )
        .unwrap();
        let x = Axis::new("x", (0.0, 10.0), 40, Scale::Linear).unwrap();
        let y = Axis::new("y", (0.0, 10.0), 30, Scale::Linear).unwrap();
        let plan = Plan::new(40, 30, 8, 1 << 30, 1, 4).unwrap();
        let style = AaStyle { line_width: 2.0, overwrite: false, width: 40, height: 30 };
        let binner = AaLineBinner::new(&points, x, y, style, &plan);
        let mut want = Vec::new();
        let mut line = Polyline::new();
        line.push(&xs, &ys, |r| want.extend(aa_segment(&r, &x, &y)));
        line.finish(|r| want.extend(aa_segment(&r, &x, &y)));
        // Breaks, a run end and a clipped segment: every flag combination occurs.
        assert_eq!(want.len(), 7);
        assert!(want.iter().any(|s| s.segment_start() && !s.segment_end()));
        assert!(want.iter().any(|s| s.segment_end() && !s.segment_start()));
        assert!(want.iter().any(|s| !s.segment_start() && !s.segment_end()));
        for chunk in [1, 2, 3, 5, xs.len()] {
            let mut got = Vec::new();
            for start in (0..xs.len()).step_by(chunk) {
                binner.bin(start, chunk.min(xs.len() - start), |band, s| {
                    assert_eq!(band, 0);
                    got.push(s);
                });
            }
            assert_eq!(got, want, "chunks of {chunk}");
        }
    }
}
