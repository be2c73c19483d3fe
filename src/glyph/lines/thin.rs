//! Width-0 lines: Datashader's `draw_segment` and `_bresenham` on the global pixel grid.
//! A segment is clipped and snapped to pixels once ([`line_segment`], a compact `Pod`
//! [`LineSegment`] for the scratch file), and drawn into any window of the canvas
//! ([`draw`]) in time proportional to the pixels plotted there.

use bytemuck::{Pod, Zeroable};

use super::bresenham::Walk;
use super::clip::{clip_segment, PixelMap};
use super::polyline::RawSegment;
use crate::canvas::{Axis, PixelWindow};

/// Flag of [`LineSegment::flags`]: the start pixel is plotted (Datashader's
/// `segment_start`, or a single-pixel segment).
pub const PLOT_START: u32 = 1;

/// A width-0 segment on the pixel grid, image coordinates (row 0 = top), both endpoints
/// inside the canvas: the Bresenham line from start to end, start pixel included only if
/// `flags & PLOT_START`. 20 bytes, `Pod`, for scratch files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct LineSegment {
    /// Start column.
    pub x0: u32,
    /// Start row (from the top).
    pub y0: u32,
    /// End column.
    pub x1: u32,
    /// End row (from the top).
    pub y1: u32,
    /// [`PLOT_START`] or 0.
    pub flags: u32,
}

// SAFETY: `repr(C)`, five `u32` fields: no padding, and every bit pattern is a valid value
// (the crate's bytemuck has no derive feature).
unsafe impl Zeroable for LineSegment {}
// SAFETY: as above; the type is `Copy` and `'static`.
unsafe impl Pod for LineSegment {}

/// Clips and maps a raw segment for width-0 drawing (Datashader's `draw_segment` and the
/// set-up of `_bresenham`); None if it plots nothing.
pub fn line_segment(raw: &RawSegment, x: &Axis, y: &Axis) -> Option<LineSegment> {
    let clipped = clip_segment(x, y, raw.start, raw.end)?;
    let (mx, my) = (PixelMap::new(x), PixelMap::new(y));
    let top = my.pixels() - 1;
    let (x0, y0) = (mx.snap(clipped.start.0), my.snap(clipped.start.1));
    let (x1, y1) = (mx.snap(clipped.end.0), my.snap(clipped.end.1));
    let is_clipped = clipped.clipped_start || clipped.clipped_end;
    let single = x0 == x1 && y0 == y1;
    let plot_start = raw.segment_start || clipped.clipped_start || (!is_clipped && single);
    if single && !plot_start {
        return None;
    }
    let flags = if plot_start { PLOT_START } else { 0 };
    Some(LineSegment { x0, y0: top - y0, x1, y1: top - y1, flags })
}

/// Maps the vertices `xs`, `ys` of one line to width-0 segments, calling `emit(i, segment)`
/// for each segment that plots something, in order, `i` being the index in `xs` of the
/// segment's start vertex (whose value Datashader's reductions read).
///
/// `first_index_continues` is false for the start of a line. To continue a line across
/// chunks, start the next chunk with the previous chunk's last vertex and set it to true
/// when the vertex before that one exists and is not NaN (Datashader's `plot_start` /
/// `segment_start` for segment 0). [`super::Polyline`] does this bookkeeping itself.
#[cfg(test)]
pub fn segments_of_polyline(
    xs: &[f64],
    ys: &[f64],
    x: &Axis,
    y: &Axis,
    first_index_continues: bool,
    mut emit: impl FnMut(usize, LineSegment),
) {
    let n = xs.len().min(ys.len());
    for i in 1..n {
        let segment_start =
            if i == 1 { !first_index_continues } else { xs[i - 2].is_nan() || ys[i - 2].is_nan() };
        let raw = RawSegment {
            index: (i - 1) as u64,
            prev: None,
            start: (xs[i - 1], ys[i - 1]),
            end: (xs[i], ys[i]),
            segment_start,
            segment_end: false,
        };
        if let Some(seg) = line_segment(&raw, x, y) {
            emit(i - 1, seg);
        }
    }
}

/// Image rows `(first, last)`, inclusive, row 0 = top, that `seg` may plot: for bucketing
/// segments by band.
pub fn rows_spanned(seg: &LineSegment) -> (u32, u32) {
    (seg.y0.min(seg.y1), seg.y0.max(seg.y1))
}

/// The Bresenham walk of `seg` in (major, minor) terms, with Datashader's tie-break
/// decided in its own coordinates (y up: image rows run the other way).
fn walk(seg: &LineSegment) -> (bool, Walk) {
    let sign = |d: i64| i64::from(d > 0) - i64::from(d < 0);
    let (x0, x1) = (i64::from(seg.x0), i64::from(seg.x1));
    let (r0, r1) = (i64::from(seg.y0), i64::from(seg.y1));
    let (dx, dr) = (x1 - x0, r1 - r0);
    let x_major = dx.abs() >= dr.abs();
    let j_first = if seg.flags & PLOT_START != 0 { 0 } else { 1 };
    let (p0, q0, ip, iq, a, b, towards_larger) = if x_major {
        (x0, r0, sign(dx), sign(dr), dx.abs(), dr.abs(), dx > 0)
    } else {
        // Datashader's y runs up: its direction is the opposite of the image rows'.
        (r0, x0, sign(dr), sign(dx), dr.abs(), dx.abs(), dr < 0)
    };
    let c = if towards_larger || a == 0 { 0 } else { 1 };
    (x_major, Walk { p0, q0, ip, iq, a, b, c, j_first })
}

/// Plots the pixels of `seg` inside `window` (image coordinates, half-open) with
/// coverage 1.0, exactly those of the whole-canvas drawing, in Datashader's order, in time
/// proportional to the pixels plotted.
pub fn draw(seg: &LineSegment, window: PixelWindow, mut plot: impl FnMut(u32, u32, f64)) {
    if window.is_empty() {
        return;
    }
    let cols = (i64::from(window.x0), i64::from(window.x1) - 1);
    let rows = (i64::from(window.y0), i64::from(window.y1) - 1);
    let (x_major, w) = walk(seg);
    if x_major {
        w.run(cols, rows, |x, r| plot(x as u32, r as u32, 1.0));
    } else {
        w.run(rows, cols, |r, x| plot(x as u32, r as u32, 1.0));
    }
}
