//! Liang-Barsky clipping in data space and the mapping of clipped endpoints to pixels,
//! ported operation for operation from Datashader 0.19.1 (`glyphs/line.py`:
//! `_liang_barsky`, `_clipt`, `_build_map_onto_pixel_for_line`).

use crate::canvas::{Axis, Scale};

/// A segment clipped to the canvas range, in data units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClippedSegment {
    /// Start (x, y) after clipping.
    pub start: (f64, f64),
    /// End (x, y) after clipping.
    pub end: (f64, f64),
    /// The start was moved onto the range's boundary.
    pub clipped_start: bool,
    /// The end was moved onto the range's boundary.
    pub clipped_end: bool,
}

/// Clips the segment `start -> end` to the canvas range of `x` and `y` with Datashader's
/// Liang-Barsky; None when nothing of it is left (or a coordinate is NaN).
///
/// Like Datashader, the clipping is linear in the data values even on log axes. A segment
/// whose clipped endpoints are not finite (infinite or overflowing inputs, where Datashader's
/// result is undefined) is dropped.
pub fn clip_segment(x: &Axis, y: &Axis, start: (f64, f64), end: (f64, f64)) -> Option<ClippedSegment> {
    let ((x0, y0), (x1, y1)) = (start, end);
    if x0.is_nan() || y0.is_nan() || x1.is_nan() || y1.is_nan() {
        return None;
    }
    let (xmin, xmax) = x.range();
    let (ymin, ymax) = y.range();
    if (x0 < xmin && x1 < xmin)
        || (x0 > xmax && x1 > xmax)
        || (y0 < ymin && y1 < ymin)
        || (y0 > ymax && y1 > ymax)
    {
        return None;
    }
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    let dx = x1 - x0;
    let dy = y1 - y0;
    for (p, q) in [(-dx, x0 - xmin), (dx, xmax - x0), (-dy, y0 - ymin), (dy, ymax - y0)] {
        if !clipt(p, q, &mut t0, &mut t1) {
            return None;
        }
    }
    let clipped_end = t1 < 1.0;
    let end = if clipped_end { (x0 + t1 * dx, y0 + t1 * dy) } else { (x1, y1) };
    let clipped_start = t0 > 0.0;
    let start = if clipped_start { (x0 + t0 * dx, y0 + t0 * dy) } else { (x0, y0) };
    let finite = start.0.is_finite() && start.1.is_finite() && end.0.is_finite() && end.1.is_finite();
    finite.then_some(ClippedSegment { start, end, clipped_start, clipped_end })
}

/// One Liang-Barsky edge test (Datashader's `_clipt`); false rejects the segment.
fn clipt(p: f64, q: f64, t0: &mut f64, t1: &mut f64) -> bool {
    if p < 0.0 && q < 0.0 {
        let r = q / p;
        if r > *t1 {
            return false;
        } else if r > *t0 {
            *t0 = r;
        }
    } else if p > 0.0 && q < p {
        let r = q / p;
        if r < *t0 {
            return false;
        } else if r < *t1 {
            *t1 = r;
        }
    } else if q < 0.0 {
        return false;
    }
    true
}

/// Data to pixel mapping of one axis as Datashader's line glyphs do it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PixelMap {
    scale: Scale,
    s: f64,
    t: f64,
    /// `round(mapper(hi) * s + t)`: the snapped maximum, normally `pixels`.
    snap_max: i64,
    pixels: u32,
}

impl PixelMap {
    /// The mapping of `axis`, with `s` and `t` computed as `Axis` and Datashader do.
    pub(crate) fn new(axis: &Axis) -> PixelMap {
        let (lo, hi) = axis.range();
        let scale = axis.scale();
        let (start, end) = (scale.forward(lo), scale.forward(hi));
        let pixels = axis.pixels();
        let s = f64::from(pixels) / (end - start);
        let t = -start * s;
        let snap_max = (end * s + t).round_ties_even() as i64;
        PixelMap { scale, s, t, snap_max, pixels }
    }

    /// Number of pixels along the axis.
    pub(crate) fn pixels(&self) -> u32 {
        self.pixels
    }

    /// Datashader's `map_onto_pixel_snap`: truncate, and a value on the maximum goes to the
    /// last pixel (compared in integer space). Clamped to the axis for safety.
    pub(crate) fn snap(&self, v: f64) -> u32 {
        let mut i = (self.scale.forward(v) * self.s + self.t) as i64;
        if i == self.snap_max {
            i -= 1;
        }
        i.clamp(0, i64::from(self.pixels) - 1) as u32
    }

    /// Datashader's `map_onto_pixel_no_snap` (anti-aliased lines): pixel centres are at
    /// integer coordinates.
    pub(crate) fn continuous(&self, v: f64) -> f64 {
        self.scale.forward(v) * self.s + self.t - 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(lo: f64, hi: f64, n: u32) -> Axis {
        Axis::new(crate::error::Field::XRange, (lo, hi), n, Scale::Linear).unwrap()
    }

    #[test]
    fn inside_segments_are_untouched() {
        let (x, y) = (axis(0.0, 10.0, 10), axis(0.0, 5.0, 5));
        let c = clip_segment(&x, &y, (1.0, 1.0), (9.0, 4.0)).unwrap();
        assert_eq!(
            c,
            ClippedSegment { start: (1.0, 1.0), end: (9.0, 4.0), clipped_start: false, clipped_end: false }
        );
    }

    #[test]
    fn crossing_segments_are_cut_at_the_bounds() {
        let (x, y) = (axis(0.0, 10.0, 10), axis(0.0, 10.0, 10));
        let c = clip_segment(&x, &y, (-5.0, 5.0), (15.0, 5.0)).unwrap();
        assert_eq!(c.start, (0.0, 5.0));
        assert_eq!(c.end, (10.0, 5.0));
        assert!(c.clipped_start && c.clipped_end);
        let c = clip_segment(&x, &y, (5.0, 5.0), (5.0, 20.0)).unwrap();
        assert_eq!(c.end, (5.0, 10.0));
        assert!(!c.clipped_start && c.clipped_end);
    }

    #[test]
    fn outside_and_nan_segments_are_dropped() {
        let (x, y) = (axis(0.0, 10.0, 10), axis(0.0, 10.0, 10));
        assert_eq!(clip_segment(&x, &y, (-5.0, 5.0), (-1.0, 7.0)), None);
        // Crosses the corner region without entering the square.
        assert_eq!(clip_segment(&x, &y, (-1.0, 9.5), (1.0, 12.0)), None);
        assert_eq!(clip_segment(&x, &y, (f64::NAN, 5.0), (1.0, 7.0)), None);
        assert_eq!(clip_segment(&x, &y, (1.0, 5.0), (1.0, f64::NAN)), None);
        assert_eq!(clip_segment(&x, &y, (1.0, 5.0), (f64::INFINITY, 1e308)), None);
    }

    #[test]
    fn snapping_puts_the_maximum_in_the_last_pixel() {
        let m = PixelMap::new(&axis(0.0, 10.0, 10));
        assert_eq!(m.snap(0.0), 0);
        assert_eq!(m.snap(9.99), 9);
        assert_eq!(m.snap(10.0), 9);
        assert_eq!(m.snap(-1e-300), 0);
        assert_eq!(m.continuous(0.0), -0.5);
        assert_eq!(m.continuous(10.0), 9.5);
    }
}
