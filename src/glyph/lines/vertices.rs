//! The vertex walker of the line glyphs: the segments of K series (one polyline each,
//! never joined to another; NaN breaks a series) for any range of vertices, read in
//! bounded blocks, in the reading order of [`SeriesLayout`].
//!
//! Segment order. A segment belongs to the vertex it ENDS at (the segment into vertex r of
//! series k belongs to item `layout.item(k, r)`), and segments are emitted in item order.
//! So every segment is emitted exactly once over any split of the items into chunks, in
//! the same order whatever the split:
//!
//! - series-major inputs (one series, Fortran-order arrays, `--series K`, shared x with a
//!   Fortran y): series 0's segments in row order, then series 1's, ... This is Datashader's
//!   order for several columns (`LineAxis0Multi`: `for j in range(ncols): for i in
//!   range(nrows - 1)`), so first/last of a value reduction would agree with it;
//! - row-major inputs (any C-order `(N, K)` array): the segments ending at row 1 of series
//!   0, 1, ..., K - 1, then those ending at row 2, ... It differs from Datashader's order
//!   (which would read a C-order file K times), so reductions that depend on order (first,
//!   last) pick per pixel the earliest/latest segment in THIS order. Width-0 counts do not
//!   depend on order; anti-aliased coverage is a float32 sum, so where several series cover
//!   one pixel its last bits may differ from Datashader's (tested to 1e-6 relative).
//!
//! Each segment is built statelessly from a window of four vertices of its series, rows
//! r - 2 ..= r + 1, exactly as [`crate::glyph::lines::Polyline`] builds it walking the
//! series from its start: `prev` (row r - 2, if present and not a break), `start` (r - 1),
//! `end` (r), `segment_end` (row r + 1 missing or a break).

use crate::data::series_layout::{read_block, Order, Placement, SeriesLayout};
use crate::data::source::Cursor;
use crate::data::{PointColumns, Source};
use crate::error::Result;
use crate::glyph::lines::RawSegment;

/// Values per coordinate read in one block.
const READ_BLOCK: usize = 1 << 16;

/// Rows read before a block's first row (a segment's start and previous vertex) and after
/// its last (whether the segment ends a run).
const BEFORE: usize = 2;
const AFTER: usize = 1;

/// A segment of one series. `raw.index` is the row (within its series) of the start
/// vertex: the value of (series, raw.index) is the one a value reduction reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeriesSegment {
    /// The series (column of a 2-D array) the segment belongs to.
    pub series: usize,
    /// The segment with Datashader's flags, in data units.
    pub raw: RawSegment,
    /// The value of its start vertex (series, raw.index) in the value column, or NaN when
    /// the source reads no values.
    pub value: f64,
}

/// The x and y of K series, walked into segments.
pub struct VertexSource<'a> {
    x: &'a dyn Source,
    y: &'a dyn Source,
    /// The value column read along (value reductions) and where it holds each vertex's value.
    value: Option<(&'a dyn Source, Placement)>,
    layout: SeriesLayout,
}

/// The readers of one call of [`VertexSource::segments`].
struct Readers<'s> {
    x: Cursor<'s>,
    y: Cursor<'s>,
    value: Option<Cursor<'s>>,
}

/// Vertices `rows` (with context) of the series `series`, as read by [`read_block`].
struct Block {
    /// First row held (the block's first row minus the context).
    row0: usize,
    /// Rows held per series.
    n: usize,
    /// First series held.
    k0: usize,
    xs: Vec<f64>,
    ys: Vec<f64>,
    /// Values of the vertices (empty when the source reads no values).
    vs: Vec<f64>,
    scratch: Vec<f64>,
}

impl Block {
    /// Vertex (series k, row r), which the block must hold.
    fn vertex(&self, k: usize, r: usize) -> (f64, f64) {
        let i = (k - self.k0) * self.n + (r - self.row0);
        (self.xs[i], self.ys[i])
    }

    /// Value of vertex (series k, row r), NaN when no values were read.
    fn value(&self, k: usize, r: usize) -> f64 {
        let i = (k - self.k0) * self.n + (r - self.row0);
        self.vs.get(i).copied().unwrap_or(f64::NAN)
    }
}

/// A vertex is a break when x or y is NaN (Datashader's `isnull`).
fn is_break(v: (f64, f64)) -> bool {
    v.0.is_nan() || v.1.is_nan()
}

impl<'a> VertexSource<'a> {
    /// The series of `points` (one series when it has no layout).
    pub fn new(points: &'a PointColumns<'a>) -> Self {
        VertexSource { x: &*points.x, y: &*points.y, value: None, layout: points.layout() }
    }

    /// The series of `points`, each segment carrying its start vertex's value from `value`
    /// (the points' value column, laid out as `points.value_placement` says).
    pub fn with_value(points: &'a PointColumns<'a>, value: Option<&'a dyn Source>) -> Self {
        let value = value.map(|column| (column, points.value_placement));
        VertexSource { value, ..VertexSource::new(points) }
    }

    /// The largest chunk length the columns prefer (see [`Source::chunk_len`]), for one
    /// series (with several, items and column rows differ, and any chunking is as good).
    pub fn preferred_chunk(&self) -> Option<usize> {
        if self.layout.count > 1 {
            return None;
        }
        let value = self.value.and_then(|(v, _)| v.chunk_len());
        [self.x.chunk_len(), self.y.chunk_len(), value].into_iter().flatten().max()
    }

    /// Number of vertices (items): N * K.
    pub fn items(&self) -> usize {
        self.layout.vertices()
    }

    /// The item a segment belongs to (its end vertex's): segments are emitted in this order.
    pub fn item_of(&self, segment: &SeriesSegment) -> u64 {
        self.layout.item(segment.series, segment.raw.index as usize + 1) as u64
    }

    /// Calls `emit` for every segment ending at items `start .. start + len`, in item order
    /// (see the module doc). Reads blocks of at most about 65,536 vertices.
    pub fn segments(&self, start: usize, len: usize, mut emit: impl FnMut(&SeriesSegment)) -> Result<()> {
        let end = (start + len).min(self.items());
        if start >= end {
            return Ok(());
        }
        let mut readers = Readers {
            x: Cursor::new(self.x),
            y: Cursor::new(self.y),
            value: self.value.map(|(column, _)| Cursor::new(column)),
        };
        let mut block = Block {
            row0: 0,
            n: 0,
            k0: 0,
            xs: Vec::new(),
            ys: Vec::new(),
            vs: Vec::new(),
            scratch: Vec::new(),
        };
        let (rows, count) = (self.layout.rows, self.layout.count);
        match self.layout.order() {
            Order::SeriesMajor => {
                for k in start / rows..=(end - 1) / rows {
                    let first = start.saturating_sub(k * rows);
                    let last = (end - k * rows).min(rows);
                    for r0 in (first..last).step_by(READ_BLOCK) {
                        let r1 = (r0 + READ_BLOCK).min(last);
                        self.walk(&mut readers, &mut block, r0..r1, k..k + 1, start..end, &mut emit)?;
                    }
                }
            }
            Order::RowMajor => {
                let per_block = (READ_BLOCK / count).max(1);
                let (first_row, last_row) = (start / count, (end - 1) / count);
                for r0 in (first_row..=last_row).step_by(per_block) {
                    let r1 = (r0 + per_block).min(last_row + 1);
                    // A single row may hold more series than a block: split it, keeping
                    // only the series in the chunk.
                    let (k_lo, k_hi) = match r1 - r0 {
                        1 => ((start.max(r0 * count)) - r0 * count, end.min(r1 * count) - r0 * count),
                        _ => (0, count),
                    };
                    for k0 in (k_lo..k_hi).step_by(READ_BLOCK) {
                        let k1 = (k0 + READ_BLOCK).min(k_hi);
                        self.walk(&mut readers, &mut block, r0..r1, k0..k1, start..end, &mut emit)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads rows `rows` (with their context) of series `series` and emits, in item order,
    /// the segments ending there whose item lies in `items`.
    fn walk(
        &self,
        readers: &mut Readers<'_>,
        block: &mut Block,
        rows: std::ops::Range<usize>,
        series: std::ops::Range<usize>,
        items: std::ops::Range<usize>,
        emit: &mut impl FnMut(&SeriesSegment),
    ) -> Result<()> {
        let n_rows = self.layout.rows;
        let held = rows.start.saturating_sub(BEFORE)..(rows.end + AFTER).min(n_rows);
        block.row0 = held.start;
        block.n = held.len();
        block.k0 = series.start;
        let layout = &self.layout;
        let (xs, ys, vs, scratch) = (&mut block.xs, &mut block.ys, &mut block.vs, &mut block.scratch);
        read_block(&mut readers.x, layout.x, layout, held.clone(), series.clone(), xs, scratch)?;
        read_block(&mut readers.y, layout.y, layout, held.clone(), series.clone(), ys, scratch)?;
        if let (Some(reader), Some((_, placement))) = (readers.value.as_mut(), self.value) {
            read_block(reader, placement, layout, held, series.clone(), vs, scratch)?;
        }
        let mut one = |k: usize, r: usize| {
            if r >= 1 && items.contains(&layout.item(k, r)) {
                let value = block.value(k, r - 1);
                emit(&SeriesSegment { series: k, raw: self.segment(block, k, r), value });
            }
        };
        match layout.order() {
            Order::RowMajor => rows.for_each(|r| series.clone().for_each(|k| one(k, r))),
            Order::SeriesMajor => series.for_each(|k| rows.clone().for_each(|r| one(k, r))),
        }
        Ok(())
    }

    /// The segment of series `k` ending at row `r` (r >= 1), from the block's window.
    fn segment(&self, block: &Block, k: usize, r: usize) -> RawSegment {
        let prev = (r >= 2).then(|| block.vertex(k, r - 2)).filter(|&v| !is_break(v));
        let next = (r + 1 < self.layout.rows).then(|| block.vertex(k, r + 1));
        RawSegment {
            index: (r - 1) as u64,
            prev,
            start: block.vertex(k, r - 1),
            end: block.vertex(k, r),
            segment_start: prev.is_none(),
            segment_end: next.is_none_or(is_break),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ColumnSpec, DType};
    use crate::glyph::lines::datashader_cases::{cases, Case};
    use crate::glyph::lines::Polyline;
    use crate::test_data::f64_npy_column as write;

    /// Series k of a small test set: N vertices with NaN breaks in both coordinates.
    fn series(k: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
        let xs = (0..n)
            .map(|r| if (r + k) % 5 == 3 { f64::NAN } else { (r * 3 + k * 7) as f64 % 11.0 - 0.5 })
            .collect();
        let ys =
            (0..n).map(|r| if (r * 2 + k) % 7 == 6 { f64::NAN } else { (r * 5 + k) as f64 % 9.0 }).collect();
        (xs, ys)
    }

    /// The segments of series k walked on its own with `Polyline` (Debug text, so NaN
    /// vertices compare equal), tagged with k.
    fn alone(k: usize, xs: &[f64], ys: &[f64]) -> Vec<String> {
        let mut out = Vec::new();
        let mut line = Polyline::new();
        let value = f64::NAN;
        line.push(xs, ys, |raw| out.push(format!("{:?}", SeriesSegment { series: k, raw, value })));
        line.finish(|raw| out.push(format!("{:?}", SeriesSegment { series: k, raw, value })));
        out
    }

    /// Every chunking of the items gives the same segments in the same order.
    fn check_every_chunking(points: &PointColumns, want: &[String]) {
        let source = VertexSource::new(points);
        let items = source.items();
        for chunk in 1..=items {
            let mut got = Vec::new();
            for start in (0..items).step_by(chunk) {
                source.segments(start, chunk, |s| got.push(format!("{s:?}"))).unwrap();
            }
            assert_eq!(got, want, "chunks of {chunk}");
        }
    }

    #[test]
    fn every_layout_and_chunking_gives_the_segments_of_k_separate_lines() {
        let (n, k) = (9, 4);
        let data: Vec<(Vec<f64>, Vec<f64>)> = (0..k).map(|j| series(j, n)).collect();
        let series_major: Vec<String> = (0..k).flat_map(|j| alone(j, &data[j].0, &data[j].1)).collect();
        assert_eq!(series_major.len(), k * (n - 1));
        // Row-major: the same segments, ordered by end row, then series.
        let mut row_major = series_major.clone();
        row_major.sort_by_key(|s| {
            let index: usize = s.split("index: ").nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
            let series: usize =
                s.split("series: ").nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
            (index, series)
        });
        // C order: row by row; Fortran order (and back to back): series after series.
        let c = |coord: usize| -> Vec<f64> {
            (0..n).flat_map(|r| data.iter().map(move |d| if coord == 0 { d.0[r] } else { d.1[r] })).collect()
        };
        let f = |coord: usize| -> Vec<f64> {
            data.iter().flat_map(|d| if coord == 0 { d.0.clone() } else { d.1.clone() }).collect()
        };
        let (xc, yc, xf, yf) = (c(0), c(1), f(0), f(1));
        let dir = tempfile::tempdir().unwrap();
        let xc = write(&dir, "xc.npy", &[n, k], false, &xc);
        let yc = write(&dir, "yc.npy", &[n, k], false, &yc);
        let xf = write(&dir, "xf.npy", &[n, k], true, &xf);
        let yf = write(&dir, "yf.npy", &[n, k], true, &yf);
        let x1 = write(&dir, "x1.npy", &[n * k], false, &f(0));
        let y1 = write(&dir, "y1.npy", &[n * k], false, &f(1));
        let open = |x: &ColumnSpec, y: &ColumnSpec, s| PointColumns::open_series(x, y, s).unwrap();
        check_every_chunking(&open(&xc, &yc, None), &row_major);
        check_every_chunking(&open(&xf, &yf, None), &series_major);
        check_every_chunking(&open(&x1, &y1, Some(k)), &series_major);
        // Mixed orders read row-major.
        check_every_chunking(&open(&xf, &yc, None), &row_major);
        // One series: the plain 1-D walk.
        let one = open(&x1, &y1, None);
        assert!(one.series.is_none());
        check_every_chunking(&one, &alone(0, &f(0), &f(1)));
    }

    #[test]
    fn a_shared_x_is_every_series_x() {
        let (n, k) = (8, 3);
        let t: Vec<f64> = (0..n).map(|r| r as f64 * 1.5).collect();
        let ys: Vec<Vec<f64>> = (0..k).map(|j| series(j, n).1).collect();
        let series_major: Vec<String> = (0..k).flat_map(|j| alone(j, &t, &ys[j])).collect();
        let dir = tempfile::tempdir().unwrap();
        let tp = write(&dir, "t.npy", &[n], false, &t);
        let yc: Vec<f64> = (0..n).flat_map(|r| ys.iter().map(move |y| y[r])).collect();
        let yf: Vec<f64> = ys.concat();
        let yc = write(&dir, "yc.npy", &[n, k], false, &yc);
        let yf = write(&dir, "yf.npy", &[n, k], true, &yf);
        let y1 = write(&dir, "y1.npy", &[n * k], false, &ys.concat());
        let open = |x: &ColumnSpec, y: &ColumnSpec, s| PointColumns::open_series(x, y, s).unwrap();
        check_every_chunking(&open(&tp, &yf, None), &series_major);
        check_every_chunking(&open(&tp, &y1, Some(k)), &series_major);
        let points = open(&tp, &yc, None);
        let source = VertexSource::new(&points);
        let mut got = Vec::new();
        source.segments(0, source.items(), |s| got.push(format!("{s:?}"))).unwrap();
        let mut want = series_major.clone();
        want.sort_by_key(|s| got.iter().position(|g| g == s).unwrap());
        assert_eq!(got.len(), series_major.len());
        assert_eq!(got, want);
        // 2-D x with a shared 1-D y works the same way round.
        let swapped = open(&yc, &tp, None);
        assert_eq!(VertexSource::new(&swapped).items(), n * k);
    }

    #[test]
    fn rows_wider_than_a_block_are_split() {
        let (n, k) = (3, READ_BLOCK + 5);
        let y: Vec<f64> = (0..n * k).map(|i| (i % 13) as f64).collect();
        let t: Vec<f64> = (0..n).map(|r| r as f64).collect();
        let dir = tempfile::tempdir().unwrap();
        let points = PointColumns::open_series(
            &write(&dir, "t.npy", &[n], false, &t),
            &write(&dir, "y.npy", &[n, k], false, &y),
            None,
        )
        .unwrap();
        let source = VertexSource::new(&points);
        for (start, len) in [(0, n * k), (k - 3, 10), (k + 2, k + 7), (2 * k - 1, 2)] {
            let mut got = Vec::new();
            source.segments(start, len, |s| got.push((s.series, s.raw.index, s.raw.end.1))).unwrap();
            let want: Vec<(usize, u64, f64)> = (start..start + len)
                .filter(|i| i / k >= 1)
                .map(|i| (i % k, (i / k - 1) as u64, y[i]))
                .collect();
            assert_eq!(got, want, "start {start} len {len}");
        }
    }

    /// The aggregate file written by a render: its values as f64, image order.
    fn read_aggregate(path: &std::path::Path) -> Vec<f64> {
        let bytes = std::fs::read(path).unwrap();
        let header = crate::data::npy::NpyHeader::parse(&bytes).unwrap();
        let data = &bytes[header.data_offset..];
        match header.dtype {
            DType::U32 => {
                data.chunks_exact(4).map(|c| f64::from(u32::from_le_bytes(c.try_into().unwrap()))).collect()
            }
            DType::F32 => {
                data.chunks_exact(4).map(|c| f64::from(f32::from_le_bytes(c.try_into().unwrap()))).collect()
            }
            other => panic!("unexpected aggregate dtype {other:?}"),
        }
    }

    /// Renders the lines through `points` with the settings of `case`, as the CLI does.
    fn render_case(
        case: &Case,
        points: &PointColumns,
        dir: &std::path::Path,
        tile: u32,
        threads: usize,
    ) -> Vec<f64> {
        let options = crate::render::RenderOptions {
            width: case.width,
            height: case.height,
            x_range: Some(case.x_range),
            y_range: Some(case.y_range),
            glyph: crate::render::Glyph::Lines,
            line_width: case.line_width,
            tile,
            threads: Some(threads),
            scratch_dir: Some(dir.to_path_buf()),
            ..Default::default()
        };
        let out = dir.join("agg.npy");
        let sink: Box<dyn crate::sink::Sink> = Box::new(crate::sink::AggregateSink::new(&out));
        crate::render::render(points, &options, vec![sink], &crate::progress::NoProgress).unwrap();
        read_aggregate(&out)
    }

    /// Datashader's `Canvas.line` with several columns (`LineAxis0Multi`: x and y lists, or
    /// one x shared by a list of y), against gigaplot reading the same series from 2-D
    /// arrays in C and Fortran order, back to back with --series K, and with a shared 1-D
    /// x: exact counts (width 0) and exact float32 coverage (anti-aliased).
    #[test]
    fn several_series_match_datashader_in_every_layout() {
        let cases: Vec<&Case> = cases()
            .iter()
            .filter(|c| c.series.len() > 1 && c.reduction == "count" && !c.x_log)
            .filter(|c| {
                c.series.iter().all(|s| s.xs.len() == c.series[0].xs.len() && s.ys.len() == s.xs.len())
            })
            .collect();
        assert!(cases.iter().any(|c| c.name.starts_with("shared_x") && c.line_width == 0.0));
        assert!(cases.iter().any(|c| c.name.starts_with("shared_x") && c.line_width > 0.0));
        assert!(cases.len() >= 10, "{} cases", cases.len());
        let dir = tempfile::tempdir().unwrap();
        for case in cases {
            let (n, k) = (case.series[0].xs.len(), case.series.len());
            let coord = |i: usize, j: usize| {
                move |r: usize| if i == 0 { case.series[j].xs[r] } else { case.series[j].ys[r] }
            };
            let c_order =
                |i: usize| -> Vec<f64> { (0..n).flat_map(|r| (0..k).map(move |j| coord(i, j)(r))).collect() };
            let f_order =
                |i: usize| -> Vec<f64> { (0..k).flat_map(|j| (0..n).map(move |r| coord(i, j)(r))).collect() };
            let xc = write(&dir, "xc.npy", &[n, k], false, &c_order(0));
            let yc = write(&dir, "yc.npy", &[n, k], false, &c_order(1));
            let xf = write(&dir, "xf.npy", &[n, k], true, &f_order(0));
            let yf = write(&dir, "yf.npy", &[n, k], true, &f_order(1));
            let x1 = write(&dir, "x1.npy", &[n * k], false, &f_order(0));
            let y1 = write(&dir, "y1.npy", &[n * k], false, &f_order(1));
            let mut layouts = vec![(&xc, &yc, None), (&xf, &yf, None), (&x1, &y1, Some(k)), (&xc, &yf, None)];
            let t = write(&dir, "t.npy", &[n], false, &case.series[0].xs);
            if case.name.starts_with("shared_x") {
                layouts.extend([(&t, &yc, None), (&t, &yf, None), (&t, &y1, Some(k))]);
            }
            let empty = if case.line_width == 0.0 { 0.0 } else { f64::NAN };
            let mut want = vec![empty; (case.width * case.height) as usize];
            for &(i, v) in &case.expected {
                want[i as usize] = v;
            }
            for (x, y, series) in layouts {
                let points = PointColumns::open_series(x, y, series).unwrap();
                // Float32 sums of anti-aliased coverage depend on the order of the segments:
                // row-major reading (any C-order array) adds a pixel's contributions in
                // another order than Datashader, so only the last bits may differ.
                let row_major = points.layout().order() == Order::RowMajor && case.line_width > 0.0;
                let same = |a: f64, b: f64| match row_major {
                    false => a as f32 == b as f32 || (a.is_nan() && b.is_nan()),
                    true => (a - b).abs() <= 1e-6 * b.abs().max(1.0) || (a.is_nan() && b.is_nan()),
                };
                for (tile, threads) in [(256, 1), (8, 2)] {
                    let got = render_case(case, &points, dir.path(), tile, threads);
                    let bad: Vec<usize> = (0..got.len()).filter(|&i| !same(got[i], want[i])).collect();
                    assert!(
                        bad.is_empty(),
                        "{} width {} x {} y {}: {} pixels differ, first {:?}",
                        case.name,
                        case.line_width,
                        x.label(),
                        y.label(),
                        bad.len(),
                        bad.first().map(|&i| (i, got[i], want[i]))
                    );
                }
            }
        }
    }
}
