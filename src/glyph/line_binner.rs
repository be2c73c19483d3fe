//! Lines as a partition glyph: consecutive points of the x/y columns joined into a polyline
//! (NaN breaks it; one per series), cut into width-0 segments with Datashader's rules, each
//! segment sent to every band it crosses. O(N): a segment is stored once per band it
//! crosses, and drawn later only where it meets a tile. Value reductions store
//! [`LineValueSegment`](crate::glyph::line_records::LineValueSegment)s: the segment and the
//! value of its start vertex.

use crate::canvas::{Axis, FastDiv, Plan};
use crate::data::{Column, PointColumns};
use crate::glyph::line_records::LineRecord;
use crate::glyph::lines::{line_segment, rows_spanned, LineSegment};
use crate::glyph::series::VertexSource;
use crate::partition::Binner;

/// Bins the segments of the polylines through all points (one per series) into the bands
/// they cross, as records `R` (bare [`LineSegment`]s, or segments with a value).
pub struct LineBinner<'a, R = LineSegment> {
    source: VertexSource<'a>,
    record: std::marker::PhantomData<R>,
    x: Axis,
    y: Axis,
    bands: u32,
    band_div: FastDiv,
}

impl<'a> LineBinner<'a> {
    /// A binner for the lines through `points` (one per series) on the canvas of `plan`.
    pub fn new(points: &'a PointColumns, x: Axis, y: Axis, plan: &Plan) -> Self {
        LineBinner::with_value(points, None, x, y, plan)
    }
}

impl<'a, R: LineRecord> LineBinner<'a, R> {
    /// A binner whose records carry the `value` column's value at each segment's start
    /// vertex (when `R` has a value).
    pub fn with_value(
        points: &'a PointColumns,
        value: Option<&'a Column>,
        x: Axis,
        y: Axis,
        plan: &Plan,
    ) -> Self {
        let value = if R::HAS_VALUE { value } else { None };
        LineBinner {
            source: VertexSource::with_value(points, value),
            record: std::marker::PhantomData,
            x,
            y,
            bands: plan.bands,
            band_div: FastDiv::new(plan.band_height),
        }
    }
}

impl<R: LineRecord> Binner for LineBinner<'_, R> {
    type Record = R;

    fn items(&self) -> usize {
        self.source.items()
    }

    fn bands(&self) -> u32 {
        self.bands
    }

    /// Emits the segments that END at vertices `start .. start + len` (the segment into
    /// vertex i belongs to i's chunk), so every segment is emitted exactly once, in the
    /// order of [`crate::glyph::series`].
    fn bin<E: FnMut(u32, R)>(&self, start: usize, len: usize, mut emit: E) {
        self.source.segments(start, len, |s| {
            let Some(segment) = line_segment(&s.raw, &self.x, &self.y) else { return };
            let (first, last) = rows_spanned(&segment);
            let record = R::new(segment, s.value);
            for band in self.band_div.quotient(first)..=self.band_div.quotient(last).min(self.bands - 1) {
                emit(band, record);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::Scale;
    use crate::data::npy::encode_header;
    use crate::data::{ColumnSpec, DType};
    use crate::glyph::line_records::LineValueSegment;
    use crate::glyph::lines::segments_of_polyline;

    /// Vertices the vertex source reads per block.
    const READ_BLOCK: usize = 1 << 16;

    fn write(path: &std::path::Path, values: &[f64]) {
        let mut bytes = encode_header(DType::F64, &[values.len()]);
        bytes.extend_from_slice(bytemuck::cast_slice(values));
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn value_records_carry_their_start_vertex_value_across_read_blocks_and_chunks() {
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
        let x = Axis::new("x", (0.0, 10.0), 40, Scale::Linear).unwrap();
        let y = Axis::new("y", (0.0, 10.0), 30, Scale::Linear).unwrap();
        let plan = Plan::new(40, 30, 8, 1 << 30, 1, 4).unwrap();
        let binner = LineBinner::<LineValueSegment>::with_value(&points, points.value.as_ref(), x, y, &plan);
        let mut want = Vec::new();
        segments_of_polyline(&xs, &ys, &x, &y, false, |i, s| want.push((s, vs[i])));
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
