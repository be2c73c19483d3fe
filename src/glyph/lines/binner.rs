//! Lines as a partition glyph: consecutive points of the x/y columns joined into
//! polylines (one per series; NaN breaks them), cut into segments with Datashader's rules
//! ([`ThinSegments`] for width 0, an [`AaStyle`] for anti-aliased lines), each segment sent
//! to every band it may touch. O(N): a segment is stored once per band it crosses, and
//! drawn later only where it meets a tile. Reductions that read values store the segment
//! with the value of its start vertex ([`crate::glyph::Valued`]).

use crate::canvas::{Axis, FastDiv, Plan};
use crate::error::Result;
use crate::glyph::lines::vertices::VertexSource;
use crate::glyph::lines::{aa_rows_spanned, aa_segment, line_segment, rows_spanned, AaSegment, AaStyle};
use crate::glyph::lines::{LineSegment, RawSegment};
use crate::glyph::record::{Record, Shape};
use crate::glyph::GlyphInput;
use crate::partition::Binner;

/// How raw segments become stored segments, and which image rows each may touch.
pub trait Segments: Sync {
    /// The stored segment.
    type Segment: Shape;
    /// The segment of `raw` on the canvas of axes `x`, `y`, or None if it draws nothing.
    fn segment(&self, raw: &RawSegment, x: &Axis, y: &Axis) -> Option<Self::Segment>;
    /// Image rows `(first, last)`, inclusive, that `segment` may touch (None: none).
    fn rows(&self, segment: &Self::Segment) -> Option<(u32, u32)>;
}

/// Width-0 segments.
#[derive(Clone, Copy, Debug)]
pub struct ThinSegments;

impl Segments for ThinSegments {
    type Segment = LineSegment;
    fn segment(&self, raw: &RawSegment, x: &Axis, y: &Axis) -> Option<LineSegment> {
        line_segment(raw, x, y)
    }
    fn rows(&self, segment: &LineSegment) -> Option<(u32, u32)> {
        Some(rows_spanned(segment))
    }
}

/// Anti-aliased segments drawn with this style.
impl Segments for AaStyle {
    type Segment = AaSegment;
    fn segment(&self, raw: &RawSegment, x: &Axis, y: &Axis) -> Option<AaSegment> {
        aa_segment(raw, x, y)
    }
    fn rows(&self, segment: &AaSegment) -> Option<(u32, u32)> {
        aa_rows_spanned(segment, self)
    }
}

/// Bins the segments of the polylines through all points (one per series) into the bands
/// they may touch, as records `R` (bare segments, or segments with a value).
pub struct SegmentBinner<'a, S, R> {
    segments: S,
    source: VertexSource<'a>,
    record: std::marker::PhantomData<R>,
    x: Axis,
    y: Axis,
    bands: u32,
    band_div: FastDiv,
}

impl<'a, S: Segments, R: Record<Shape = S::Segment>> SegmentBinner<'a, S, R> {
    /// A binner for the lines through `input.points` (one per series) on the canvas of
    /// `plan`, whose records carry the value column's value at each segment's start vertex
    /// when `R` has a value.
    pub fn new(segments: S, input: &GlyphInput<'a>, plan: &Plan) -> Self {
        let value = if R::HAS_VALUE { input.value } else { None };
        SegmentBinner {
            segments,
            source: VertexSource::with_value(input.points, value),
            record: std::marker::PhantomData,
            x: input.x,
            y: input.y,
            bands: plan.bands,
            band_div: FastDiv::new(plan.band_height),
        }
    }
}

impl<S: Segments, R: Record<Shape = S::Segment>> Binner for SegmentBinner<'_, S, R> {
    type Record = R;

    fn items(&self) -> usize {
        self.source.items()
    }

    fn bands(&self) -> u32 {
        self.bands
    }

    fn preferred_chunk(&self) -> Option<usize> {
        self.source.preferred_chunk()
    }

    /// Emits the segments that END at vertices `start .. start + len` (the segment into
    /// vertex i belongs to i's chunk), so every segment is emitted exactly once, in the
    /// order of [`crate::glyph::lines::vertices`].
    fn bin<E: FnMut(u32, R)>(&self, start: usize, len: usize, mut emit: E) -> Result<()> {
        self.source.segments(start, len, |s| {
            let Some(segment) = self.segments.segment(&s.raw, &self.x, &self.y) else { return };
            let Some((first, last)) = self.segments.rows(&segment) else { return };
            let record = match R::HAS_VALUE {
                true => R::with_item(segment, s.value, self.source.item_of(s)),
                false => R::new(segment, s.value),
            };
            for band in self.band_div.quotient(first)..=self.band_div.quotient(last).min(self.bands - 1) {
                emit(band, record);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::Scale;
    use crate::data::{ColumnSpec, PointColumns};
    use crate::glyph::lines::{segments_of_polyline, Polyline};
    use crate::glyph::Valued;

    /// Vertices the vertex source reads per block.
    const READ_BLOCK: usize = 1 << 16;

    fn write(path: &std::path::Path, values: &[f64]) {
        crate::test_data::write_f64_npy(path, &[values.len()], false, values);
    }

    /// The input of a binner over `points` with their value column.
    fn input<'a>(points: &'a PointColumns<'a>, x: Axis, y: Axis) -> GlyphInput<'a> {
        GlyphInput { points, value: points.value_source(), x, y, overwrite: false }
    }

    #[test]
    fn thin_value_records_carry_their_start_vertex_value_across_read_blocks_and_chunks() {
        let n = 2 * READ_BLOCK + 50;
        let mut state = 11u64;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut xs: Vec<f64> = (0..n).map(|_| next() * 12.0 - 1.0).collect();
        let ys: Vec<f64> = (0..n).map(|_| next() * 12.0 - 1.0).collect();
        for i in [READ_BLOCK - 1, READ_BLOCK + 1, 2 * READ_BLOCK] {
            xs[i] = f64::NAN;
        }
        let vs: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        write(&path("x.npy"), &xs);
        write(&path("y.npy"), &ys);
        write(&path("v.npy"), &vs);
        let spec = |name: &str| ColumnSpec::parse(path(name).to_str().unwrap());
        let points = PointColumns::open_with_value(&spec("x.npy"), &spec("y.npy"), &spec("v.npy")).unwrap();
        let x = Axis::new(crate::error::Field::XRange, (0.0, 10.0), 40, Scale::Linear).unwrap();
        let y = Axis::new(crate::error::Field::YRange, (0.0, 10.0), 30, Scale::Linear).unwrap();
        let plan = Plan::new(40, 30, 8, 1 << 30, 1, 4).unwrap();
        let binner = SegmentBinner::<_, Valued<LineSegment>>::new(ThinSegments, &input(&points, x, y), &plan);
        let mut want = Vec::new();
        segments_of_polyline(&xs, &ys, &x, &y, false, |i, s| want.push((s, vs[i])));
        assert!(want.len() > n / 2);
        for chunk in [n, READ_BLOCK - 1, READ_BLOCK + 1, 50_000] {
            let mut got = Vec::new();
            for start in (0..n).step_by(chunk) {
                binner.bin(start, chunk.min(n - start), |_, r| got.push((r.shape(), r.value()))).unwrap();
            }
            assert!(got == want, "chunks of {chunk}");
        }
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
        let x = Axis::new(crate::error::Field::XRange, (0.0, 10.0), 40, Scale::Linear).unwrap();
        let y = Axis::new(crate::error::Field::YRange, (0.0, 10.0), 30, Scale::Linear).unwrap();
        let plan = Plan::new(40, 30, 8, 1 << 30, 1, 4).unwrap();
        let style = AaStyle { line_width: 2.0, overwrite: false, width: 40, height: 30 };
        let binner = SegmentBinner::<_, AaSegment>::new(style, &input(&points, x, y), &plan);
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
                binner
                    .bin(start, chunk.min(xs.len() - start), |band, s| {
                        assert_eq!(band, 0);
                        got.push(s);
                    })
                    .unwrap();
            }
            assert_eq!(got, want, "chunks of {chunk}");
        }
    }

    #[test]
    fn aa_value_records_carry_their_start_vertex_value_across_read_blocks_and_chunks() {
        let n = 2 * READ_BLOCK + 50;
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut xs: Vec<f64> = (0..n).map(|_| next() * 12.0 - 1.0).collect();
        let ys: Vec<f64> = (0..n).map(|_| next() * 12.0 - 1.0).collect();
        // Breaks right at and around the read-block boundaries.
        for i in [READ_BLOCK - 2, READ_BLOCK, 2 * READ_BLOCK - 1, 2 * READ_BLOCK + 1] {
            xs[i] = f64::NAN;
        }
        let vs: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        write(&path("x.npy"), &xs);
        write(&path("y.npy"), &ys);
        write(&path("v.npy"), &vs);
        let spec = |name: &str| ColumnSpec::parse(path(name).to_str().unwrap());
        let points = PointColumns::open_with_value(&spec("x.npy"), &spec("y.npy"), &spec("v.npy")).unwrap();
        let x = Axis::new(crate::error::Field::XRange, (0.0, 10.0), 40, Scale::Linear).unwrap();
        let y = Axis::new(crate::error::Field::YRange, (0.0, 10.0), 30, Scale::Linear).unwrap();
        let plan = Plan::new(40, 30, 8, 1 << 30, 1, 4).unwrap();
        let style = AaStyle { line_width: 1.5, overwrite: false, width: 40, height: 30 };
        let binner = SegmentBinner::<_, Valued<AaSegment>>::new(style, &input(&points, x, y), &plan);
        let mut want = Vec::new();
        let mut line = Polyline::new();
        let mut keep = |r: RawSegment| want.extend(aa_segment(&r, &x, &y).map(|s| (s, r.index as f64)));
        line.push(&xs, &ys, &mut keep);
        line.finish(&mut keep);
        assert!(want.len() > n / 2);
        for chunk in [n, READ_BLOCK - 1, READ_BLOCK + 1, 50_000] {
            let mut got = Vec::new();
            for start in (0..n).step_by(chunk) {
                binner.bin(start, chunk.min(n - start), |_, r| got.push((r.shape(), r.value()))).unwrap();
            }
            assert!(got == want, "chunks of {chunk}");
        }
    }
}
