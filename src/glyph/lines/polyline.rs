//! Walking a polyline's vertices, possibly in chunks, into segments with Datashader's
//! per-segment flags (`segment_start`, `segment_end`, previous vertex).

/// One segment of a polyline in data units, with the context Datashader gives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawSegment {
    /// Index of the start vertex in the whole column (the row whose value a `sum`
    /// reduction adds, as in Datashader).
    pub index: u64,
    /// The vertex before `start`, if the line continues through `start`.
    pub prev: Option<(f64, f64)>,
    /// Start vertex (x, y).
    pub start: (f64, f64),
    /// End vertex (x, y).
    pub end: (f64, f64),
    /// Datashader's `segment_start`: the first segment of a run, so its start pixel is drawn.
    pub segment_start: bool,
    /// Datashader's `segment_end`: the last segment of a run, so it draws its end cap
    /// (anti-aliased lines).
    pub segment_end: bool,
}

/// A vertex is missing (a break in the line) when x or y is NaN, as Datashader's `isnull`.
#[cfg(test)]
fn is_break(v: (f64, f64)) -> bool {
    v.0.is_nan() || v.1.is_nan()
}

/// Turns a stream of vertices, given in chunks of any size, into [`RawSegment`]s exactly as
/// Datashader iterates one column (`LineAxis0`); NaN vertices break the line.
///
/// Each segment is emitted when the vertex after it arrives (to know `segment_end`) or at
/// [`Polyline::finish`]. One `Polyline` per series: two series never join.
#[cfg(test)]
#[derive(Clone, Debug, Default)]
pub struct Polyline {
    /// Number of vertices seen so far.
    seen: u64,
    /// The vertex before `b` (None at the first vertex).
    a: Option<(f64, f64)>,
    /// The start of the pending segment.
    b: Option<(f64, f64)>,
    /// The end of the pending segment.
    c: Option<(f64, f64)>,
}

#[cfg(test)]
impl Polyline {
    /// A new, empty line.
    pub fn new() -> Polyline {
        Polyline::default()
    }

    /// Feeds the next vertices (`xs` and `ys` of equal length; extra values of the longer
    /// one are ignored) and emits the segments that are now complete.
    pub fn push(&mut self, xs: &[f64], ys: &[f64], mut emit: impl FnMut(RawSegment)) {
        for (&x, &y) in xs.iter().zip(ys) {
            self.vertex((x, y), &mut emit);
        }
    }

    /// Ends the line: emits the last pending segment and resets, so the next push starts
    /// a new, unconnected line.
    pub fn finish(&mut self, mut emit: impl FnMut(RawSegment)) {
        if self.c.is_some() {
            self.flush(true, &mut emit);
        }
        *self = Polyline::default();
    }

    /// One vertex of the stream.
    fn vertex(&mut self, v: (f64, f64), emit: &mut impl FnMut(RawSegment)) {
        if self.c.is_some() {
            self.flush(is_break(v), emit);
            self.a = self.b;
            self.b = self.c;
        } else if self.b.is_some() {
            // Second vertex: a stays None.
        } else {
            self.b = Some(v);
            self.seen += 1;
            return;
        }
        self.c = Some(v);
        self.seen += 1;
    }

    /// Emits the segment b -> c.
    fn flush(&self, segment_end: bool, emit: &mut impl FnMut(RawSegment)) {
        let (Some(start), Some(end)) = (self.b, self.c) else {
            return;
        };
        let prev = self.a.filter(|&v| !is_break(v));
        emit(RawSegment {
            // seen counts b and c: b is the vertex before the last one seen.
            index: self.seen - 2,
            prev,
            start,
            end,
            segment_start: prev.is_none(),
            segment_end,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(chunks: &[&[(f64, f64)]]) -> Vec<RawSegment> {
        let mut line = Polyline::new();
        let mut out = Vec::new();
        for chunk in chunks {
            let xs: Vec<f64> = chunk.iter().map(|v| v.0).collect();
            let ys: Vec<f64> = chunk.iter().map(|v| v.1).collect();
            line.push(&xs, &ys, |s| out.push(s));
        }
        line.finish(|s| out.push(s));
        out
    }

    #[test]
    fn flags_follow_datashader() {
        let n = f64::NAN;
        let v = [(0.0, 0.0), (1.0, 1.0), (2.0, 0.0), (n, 0.0), (3.0, 3.0), (4.0, 4.0)];
        let segs = collect(&[&v]);
        assert_eq!(segs.len(), 5);
        let flags: Vec<(u64, bool, bool)> =
            segs.iter().map(|s| (s.index, s.segment_start, s.segment_end)).collect();
        assert_eq!(
            flags,
            vec![(0, true, false), (1, false, true), (2, false, false), (3, false, false), (4, true, true)]
        );
        assert_eq!(segs[1].prev, Some((0.0, 0.0)));
        assert_eq!(segs[4].prev, None);
        // Segments touching the NaN vertex are still emitted; clipping drops them.
        assert!(segs[2].end.0.is_nan());
    }

    #[test]
    fn chunking_does_not_change_segments() {
        let n = f64::NAN;
        let v: Vec<(f64, f64)> = (0..23)
            .map(|i| if i % 7 == 3 { (n, 1.0) } else { (f64::from(i), f64::from(i * i % 5)) })
            .collect();
        let whole = collect(&[&v]);
        for size in 1..6 {
            let chunks: Vec<&[(f64, f64)]> = v.chunks(size).collect();
            // Debug text, so that NaN vertices compare equal.
            assert_eq!(format!("{:?}", collect(&chunks)), format!("{whole:?}"), "chunk size {size}");
        }
    }

    #[test]
    fn single_vertex_and_empty_lines_emit_nothing() {
        assert!(collect(&[&[(1.0, 1.0)]]).is_empty());
        assert!(collect(&[]).is_empty());
    }
}
