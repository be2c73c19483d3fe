//! Anti-aliased lines (`line_width > 0`) as a partition glyph: consecutive points of the
//! x/y columns joined into a polyline (NaN breaks it; one per series), cut into
//! [`AaSegment`]s with Datashader's flags, each segment sent to every band its scan may
//! touch. O(N): a segment is stored once per band it reaches, and drawn later only where it
//! meets a tile. Value reductions store
//! [`AaValueSegment`](crate::glyph::line_records::AaValueSegment)s: the segment and the value
//! of its start vertex.

use crate::canvas::{Axis, FastDiv, Plan};
use crate::data::{Column, PointColumns};
use crate::glyph::line_records::AaRecord;
use crate::glyph::lines::{aa_rows_spanned, aa_segment, AaSegment, AaStyle, RawSegment};
use crate::glyph::series::VertexSource;
use crate::partition::Binner;

/// Bins the anti-aliased segments of the polylines through all points (one per series)
/// into the bands they may touch, as records `R` (bare [`AaSegment`]s, or segments with a
/// value).
pub struct AaLineBinner<'a, R = AaSegment> {
    source: VertexSource<'a>,
    record: std::marker::PhantomData<R>,
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
        AaLineBinner::with_value(points, None, x, y, style, plan)
    }
}

impl<'a, R: AaRecord> AaLineBinner<'a, R> {
    /// A binner whose records carry the `value` column's value at each segment's start
    /// vertex (when `R` has a value).
    pub fn with_value(
        points: &'a PointColumns,
        value: Option<&'a Column>,
        x: Axis,
        y: Axis,
        style: AaStyle,
        plan: &Plan,
    ) -> Self {
        let value = if R::HAS_VALUE { value } else { None };
        AaLineBinner {
            source: VertexSource::with_value(points, value),
            record: std::marker::PhantomData,
            x,
            y,
            style,
            bands: plan.bands,
            band_div: FastDiv::new(plan.band_height),
        }
    }

    /// Emits `raw` (if it draws anything) with `value` to every band it may touch.
    fn route<E: FnMut(u32, R)>(&self, raw: &RawSegment, value: f64, emit: &mut E) {
        let Some(segment) = aa_segment(raw, &self.x, &self.y) else { return };
        let Some((first, last)) = aa_rows_spanned(&segment, &self.style) else { return };
        let record = R::new(segment, value);
        for band in self.band_div.quotient(first)..=self.band_div.quotient(last).min(self.bands - 1) {
            emit(band, record);
        }
    }
}

impl<R: AaRecord> Binner for AaLineBinner<'_, R> {
    type Record = R;

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
    fn bin<E: FnMut(u32, R)>(&self, start: usize, len: usize, mut emit: E) {
        self.source.segments(start, len, |s| self.route(&s.raw, s.value, &mut emit));
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

    /// Vertices the vertex source reads per block.
    const READ_BLOCK: usize = 1 << 16;

    #[test]
    fn value_records_carry_their_start_vertex_value_across_read_blocks_and_chunks() {
        use crate::glyph::line_records::{AaRecord, AaValueSegment};
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
        let x = Axis::new("x", (0.0, 10.0), 40, Scale::Linear).unwrap();
        let y = Axis::new("y", (0.0, 10.0), 30, Scale::Linear).unwrap();
        let plan = Plan::new(40, 30, 8, 1 << 30, 1, 4).unwrap();
        let style = AaStyle { line_width: 1.5, overwrite: false, width: 40, height: 30 };
        let binner =
            AaLineBinner::<AaValueSegment>::with_value(&points, points.value.as_ref(), x, y, style, &plan);
        let mut want = Vec::new();
        let mut line = Polyline::new();
        let mut keep = |r: RawSegment| want.extend(aa_segment(&r, &x, &y).map(|s| (s, r.index as f64)));
        line.push(&xs, &ys, &mut keep);
        line.finish(&mut keep);
        assert!(want.len() > n / 2);
        for chunk in [n, READ_BLOCK - 1, READ_BLOCK + 1, 50_000] {
            let mut got = Vec::new();
            for start in (0..n).step_by(chunk) {
                binner.bin(start, chunk.min(n - start), |_, r| got.push((r.segment(), r.value())));
            }
            assert!(got == want, "chunks of {chunk}");
        }
    }
}
