//! Anti-aliased lines (`line_width > 0`), a port of Datashader 0.19.1's `_full_antialias`
//! in which every pixel's value is a pure function of the segment, so a window of the
//! canvas is drawn by restricting the scan to it.
//!
//! Datashader scans the segment's rectangle (round caps and joins) row by row along the
//! shorter axis and gives each pixel centre (integer coordinates) the value
//! `scale * (1 - linearstep(0.5 * (w - 1), 0.5 * (w + 1), distance))`, where widths under 1
//! are drawn as 1 with `scale = w`. How values combine is the reduction's business:
//!
//! - `overwrite = false` (Datashader's `SUM_1AGG`, used by `count()` and `sum()` with the
//!   default `self_intersect=True`): each segment skips the part of its start cap already
//!   drawn by the previous segment, and where the two overlap it reports the previous
//!   segment's value as `prev`; the aggregate adds `value - prev` (`count`: `agg += value -
//!   prev` into a float32 aggregate initialised to NaN; `sum`: `agg += field * (value -
//!   prev)` with the field of the segment's start row). Mean divides the sum by a count
//!   that adds 1 only where `prev == 0`.
//! - `overwrite = true` (no `SUM_1AGG` reduction, e.g. `count(self_intersect=False)`,
//!   `max`, `min`, `first`, `last`): every segment draws its full caps and the aggregate of
//!   one line keeps the maximum value per pixel; with several series Datashader combines
//!   the per-series aggregates in a second stage (`nansum` for `count`/`sum`, see
//!   `datashader/compiler.py: make_antialias_stage_2_functions`).

use bytemuck::{Pod, Zeroable};

use super::clip::{clip_segment, PixelMap};
use super::polyline::RawSegment;
use super::PixelWindow;
use crate::canvas::Axis;

/// Flag: Datashader's `segment_start` (after clipping).
const START: u32 = 1;
/// Flag: Datashader's `segment_end`.
const END: u32 = 2;

/// How anti-aliased segments are drawn: the same for every segment of a render.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AaStyle {
    /// Datashader's `line_width` in pixels (> 0).
    pub line_width: f64,
    /// Datashader's `overwrite`: true when no reduction adds coverage (`SUM_1AGG`), so
    /// pixels combine by maximum and no previous-segment correction is made.
    pub overwrite: bool,
    /// Canvas width in pixels.
    pub width: u32,
    /// Canvas height in pixels.
    pub height: u32,
}

/// One anti-aliased segment in Datashader's continuous pixel coordinates (pixel centres
/// at integers, y up from the canvas bottom), as stored in a scratch file.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct AaSegment {
    /// Start x.
    pub x0: f64,
    /// Start y (up from the bottom).
    pub y0: f64,
    /// End x.
    pub x1: f64,
    /// End y (up from the bottom).
    pub y1: f64,
    /// Previous vertex x (0 when the segment starts a run).
    pub xm: f64,
    /// Previous vertex y (0 when the segment starts a run).
    pub ym: f64,
    /// Bit 0: segment_start; bit 1: segment_end.
    pub flags: u32,
    /// Zero.
    pub pad: u32,
}

// SAFETY: `repr(C)`, six `f64` then two `u32` fields: 56 bytes with no padding, and every
// bit pattern is a valid value (the crate's bytemuck has no derive feature).
unsafe impl Zeroable for AaSegment {}
// SAFETY: as above; the type is `Copy` and `'static`.
unsafe impl Pod for AaSegment {}

impl AaSegment {
    /// Datashader's `segment_start` (after clipping): the start cap is drawn in full.
    pub fn segment_start(&self) -> bool {
        self.flags & START != 0
    }

    /// Datashader's `segment_end`: the end cap is drawn.
    pub fn segment_end(&self) -> bool {
        self.flags & END != 0
    }
}

/// Clips and maps a raw segment for anti-aliased drawing; None if it draws nothing
/// (NaN, outside the range, or zero length in pixel space).
pub fn aa_segment(raw: &RawSegment, x: &Axis, y: &Axis) -> Option<AaSegment> {
    let clipped = clip_segment(x, y, raw.start, raw.end)?;
    let (mx, my) = (PixelMap::new(x), PixelMap::new(y));
    let segment_start = raw.segment_start || clipped.clipped_start;
    let (x0, y0) = (mx.continuous(clipped.start.0), my.continuous(clipped.start.1));
    let (x1, y1) = (mx.continuous(clipped.end.0), my.continuous(clipped.end.1));
    if x0 == x1 && y0 == y1 {
        return None;
    }
    let (xm, ym) = match raw.prev {
        Some((px, py)) if !segment_start => (mx.continuous(px), my.continuous(py)),
        _ => (0.0, 0.0),
    };
    let flags = if segment_start { START } else { 0 } | if raw.segment_end { END } else { 0 };
    Some(AaSegment { x0, y0, x1, y1, xm, ym, flags, pad: 0 })
}

/// The scan geometry of one segment: Datashader's local variables before the pixel loop.
struct Scan {
    flip_xy: bool,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    scale: f64,
    line_width: f64,
    halfwidth: f64,
    alongx: f64,
    alongy: f64,
    length: f64,
    rightx: f64,
    righty: f64,
    /// Corners: x0..x3 then y0..y3.
    buffer: [f64; 8],
    lowindex: usize,
    /// Largest scan x and y (canvas size minus one, swapped if flip_xy).
    xmax: f64,
    ymax: f64,
    overwrite: bool,
    segment_start: bool,
    segment_end: bool,
    prev: Option<Prev>,
}

/// The previous segment's direction, for the join correction.
struct Prev {
    alongx: f64,
    alongy: f64,
    rightx: f64,
    righty: f64,
    length: f64,
}

/// Datashader's `_clamp`.
fn clamp(v: f64, lo: f64, hi: f64) -> f64 {
    lo.max(v.min(hi))
}

/// Datashader's `_linearstep`.
fn linearstep(edge0: f64, edge1: f64, x: f64) -> f64 {
    clamp((x - edge0) / (edge1 - edge0), 0.0, 1.0)
}

/// Datashader's `_x_intercept`.
fn x_intercept(y: f64, cx0: f64, cy0: f64, cx1: f64, cy1: f64) -> f64 {
    if cy0 == cy1 {
        return cx1;
    }
    let frac = (y - cy0) / (cy1 - cy0);
    cx0 + frac * (cx1 - cx0)
}

impl Scan {
    /// Sets up the scan exactly as `_full_antialias` does.
    fn new(seg: &AaSegment, style: &AaStyle) -> Scan {
        let (mut x0, mut y0, mut x1, mut y1) = (seg.x0, seg.y0, seg.x1, seg.y1);
        let (mut xm, mut ym) = (seg.xm, seg.ym);
        let flip_xy = (x0 - x1).abs() < (y0 - y1).abs();
        if flip_xy {
            std::mem::swap(&mut x0, &mut y0);
            std::mem::swap(&mut x1, &mut y1);
            std::mem::swap(&mut xm, &mut ym);
        }
        let mut scale = 1.0;
        let mut line_width = style.line_width;
        if line_width < 1.0 {
            scale *= line_width;
            line_width = 1.0;
        }
        let aa = 1.0;
        let halfwidth = 0.5 * (line_width + aa);
        let flip_order = y1 < y0 || (y1 == y0 && x1 < x0);
        let mut alongx = x1 - x0;
        let mut alongy = y1 - y0;
        let length = (alongx * alongx + alongy * alongy).sqrt();
        alongx /= length;
        alongy /= length;
        let rightx = alongy;
        let righty = -alongx;
        let h = halfwidth;
        let buffer = if flip_order {
            [
                x1 - h * (rightx - alongx),
                x1 - h * (-rightx - alongx),
                x0 - h * (-rightx + alongx),
                x0 - h * (rightx + alongx),
                y1 - h * (righty - alongy),
                y1 - h * (-righty - alongy),
                y0 - h * (-righty + alongy),
                y0 - h * (righty + alongy),
            ]
        } else {
            [
                x0 + h * (rightx - alongx),
                x0 + h * (-rightx - alongx),
                x1 + h * (-rightx + alongx),
                x1 + h * (rightx + alongx),
                y0 + h * (righty - alongy),
                y0 + h * (-righty - alongy),
                y1 + h * (-righty + alongy),
                y1 + h * (righty + alongy),
            ]
        };
        let (mut xmax, mut ymax) = (f64::from(style.width) - 1.0, f64::from(style.height) - 1.0);
        if flip_xy {
            std::mem::swap(&mut xmax, &mut ymax);
        }
        let lowindex = if flip_order { usize::from(x0 <= x1) } else { usize::from(x1 <= x0) };
        let segment_start = seg.segment_start();
        let mut overwrite = style.overwrite;
        let mut prev = None;
        if !overwrite && !segment_start {
            let (mut pax, mut pay) = (x0 - xm, y0 - ym);
            let plen = (pax * pax + pay * pay).sqrt();
            if plen > 0.0 {
                pax /= plen;
                pay /= plen;
                prev = Some(Prev { alongx: pax, alongy: pay, rightx: pay, righty: -pax, length: plen });
            } else {
                overwrite = true;
            }
        }
        Scan {
            flip_xy,
            x0,
            y0,
            x1,
            y1,
            scale,
            line_width,
            halfwidth,
            alongx,
            alongy,
            length,
            rightx,
            righty,
            buffer,
            lowindex,
            xmax,
            ymax,
            overwrite,
            segment_start,
            segment_end: seg.segment_end(),
            prev,
        }
    }

    /// Scan rows `[ystart, yend]` (possibly empty), clamped to the canvas.
    fn rows(&self) -> (i64, i64) {
        let b = &self.buffer;
        let ystart = clamp(b[4 + self.lowindex].ceil(), 0.0, self.ymax) as i64;
        let yend = clamp(b[4 + (self.lowindex + 2) % 4].floor(), 0.0, self.ymax) as i64;
        (ystart, yend)
    }

    /// Scan columns `[xleft, xright]` of scan row `y` (possibly empty).
    fn columns(&self, y: i64) -> (i64, i64) {
        let b = &self.buffer;
        let yf = y as f64;
        let mut ll = self.lowindex;
        let mut lu = (ll + 1) % 4;
        if yf > b[4 + lu] {
            ll = lu;
            lu = (ll + 1) % 4;
        }
        let mut rl = self.lowindex;
        let mut ru = (rl + 3) % 4;
        if yf > b[4 + ru] {
            rl = ru;
            ru = (rl + 3) % 4;
        }
        let left = x_intercept(yf, b[ll], b[4 + ll], b[lu], b[4 + lu]);
        let right = x_intercept(yf, b[rl], b[4 + rl], b[ru], b[4 + ru]);
        let xleft = clamp(left.ceil(), 0.0, self.xmax) as i64;
        let xright = clamp(right.floor(), 0.0, self.xmax) as i64;
        (xleft, xright)
    }

    /// The (value, prev_value) of scan pixel (x, y), or None where Datashader skips it.
    fn pixel(&self, x: i64, y: i64) -> Option<(f64, f64)> {
        let (dx, dy) = (x as f64 - self.x0, y as f64 - self.y0);
        let along = dx * self.alongx + dy * self.alongy;
        let aa = 1.0;
        let mut prev_correction = false;
        let distance = if along < 0.0 {
            let joined = match &self.prev {
                Some(p) if !self.overwrite && !self.segment_start => dx * p.alongx + dy * p.alongy > 0.0,
                _ => true,
            };
            if !joined {
                return None;
            }
            (dx * dx + dy * dy).sqrt()
        } else if along > self.length {
            if !(self.overwrite || self.segment_end) {
                return None;
            }
            let (ex, ey) = (x as f64 - self.x1, y as f64 - self.y1);
            (ex * ex + ey * ey).sqrt()
        } else {
            if let Some(p) = &self.prev {
                let d = dx * p.alongx + dy * p.alongy;
                if !self.overwrite
                    && -p.length <= d
                    && d <= 0.0
                    && (dx * p.rightx + dy * p.righty).abs() <= self.halfwidth
                {
                    prev_correction = true;
                }
            }
            (dx * self.rightx + dy * self.righty).abs()
        };
        let edge0 = 0.5 * (self.line_width - aa);
        let mut value = (1.0 - linearstep(edge0, self.halfwidth, distance)) * self.scale;
        let mut prev_value = 0.0;
        if prev_correction {
            if let Some(p) = &self.prev {
                let prev_distance = (dx * p.rightx + dy * p.righty).abs();
                prev_value = (1.0 - linearstep(edge0, self.halfwidth, prev_distance)) * self.scale;
                if value <= prev_value {
                    value = 0.0;
                }
            }
        }
        (value > 0.0).then_some((value, prev_value))
    }
}

/// Image rows `(first, last)` (inclusive, row 0 = top) that may hold pixels of `seg`, or
/// None if it plots nothing. Used to bucket segments by band.
pub fn aa_rows_spanned(seg: &AaSegment, style: &AaStyle) -> Option<(u32, u32)> {
    let scan = Scan::new(seg, style);
    let (lo, hi) = if scan.flip_xy {
        // Datashader's y is the scan's x: bound it by the corners.
        let ys = &scan.buffer[..4];
        let min = ys.iter().copied().fold(f64::INFINITY, f64::min);
        let max = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (clamp(min.ceil(), 0.0, scan.xmax) as i64, clamp(max.floor(), 0.0, scan.xmax) as i64)
    } else {
        scan.rows()
    };
    if lo > hi {
        return None;
    }
    let top = i64::from(style.height) - 1;
    Some(((top - hi) as u32, (top - lo) as u32))
}

/// Draws `seg` into `window` (image coordinates, half-open), calling `plot(x, image_row,
/// value, prev_value)` for each pixel Datashader appends, in time proportional to the
/// pixels scanned inside the window.
pub fn draw_aa(
    seg: &AaSegment,
    style: &AaStyle,
    window: PixelWindow,
    mut plot: impl FnMut(u32, u32, f64, f64),
) {
    let window = window.clamped(style.width, style.height);
    if window.is_empty() {
        return;
    }
    let top = i64::from(style.height) - 1;
    // The window in Datashader's coordinates (y up), inclusive.
    let (wx, wy) = (
        (i64::from(window.x0), i64::from(window.x1) - 1),
        (top - (i64::from(window.y1) - 1), top - i64::from(window.y0)),
    );
    let scan = Scan::new(seg, style);
    let (wcols, wrows) = if scan.flip_xy { (wy, wx) } else { (wx, wy) };
    let (ystart, yend) = scan.rows();
    for y in ystart.max(wrows.0)..=yend.min(wrows.1) {
        let (xleft, xright) = scan.columns(y);
        for x in xleft.max(wcols.0)..=xright.min(wcols.1) {
            super::count_step();
            if let Some((value, prev)) = scan.pixel(x, y) {
                let (xx, yy) = if scan.flip_xy { (y, x) } else { (x, y) };
                plot(xx as u32, (top - yy) as u32, value, prev);
            }
        }
    }
}
