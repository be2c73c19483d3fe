//! How a canvas pixel reads the raster along one axis (a [`Tap`]): the cells whose
//! centres fall in it (downsampling), or the cell or two cells around its centre
//! (upsampling), computed once per canvas column and row.

use std::ops::Range;

use super::Upsample;
use crate::canvas::{Axis, Scale};

/// How a canvas pixel reads the raster along one axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Tap {
    /// The cells `start..end`: those whose centres fall in the pixel (down), or the one
    /// containing its centre (nearest). Empty: the pixel is outside the raster (NaN).
    Cells { start: usize, end: usize },
    /// `(1 - w) * cell a + w * cell b`, with `a <= b <= a + 1` and `0 <= w < 1`.
    Lerp { a: usize, b: usize, w: f64 },
}

/// No cells: a NaN pixel.
pub(super) const EMPTY: Tap = Tap::Cells { start: 0, end: 0 };

impl Tap {
    /// The cells this tap reads, as a range (empty for a NaN pixel).
    pub(super) fn span(self) -> Range<usize> {
        match self {
            Tap::Cells { start, end } => start..end,
            Tap::Lerp { a, b, .. } => a..b + 1,
        }
    }

    /// The same tap with cell indices shifted down by `by`.
    pub(super) fn shifted(self, by: usize) -> Tap {
        match self {
            Tap::Cells { start, end } if start < end => Tap::Cells { start: start - by, end: end - by },
            Tap::Cells { .. } => EMPTY,
            Tap::Lerp { a, b, w } => Tap::Lerp { a: a - by, b: b - by, w },
        }
    }
}

/// One axis of the raster in data space: `n` cells from `start` in steps of `step` (negative
/// for the rows of an upper-origin raster, which run from y1 down).
#[derive(Clone, Copy, Debug)]
pub(super) struct Cells1d {
    /// Number of cells.
    pub n: usize,
    /// Where cell 0 starts.
    pub start: f64,
    /// Cell size (negative when the cells run downwards).
    pub step: f64,
    /// The extent along this axis, `lo < hi`.
    pub lo: f64,
    /// See `lo`.
    pub hi: f64,
}

impl Cells1d {
    /// The data coordinate of the centre of cell `k`.
    pub(super) fn centre(&self, k: usize) -> f64 {
        self.start + (k as f64 + 0.5) * self.step
    }

    /// The canvas bin of cell `k`'s centre, -1 below the axis range and `pixels` above it.
    pub(super) fn key(&self, axis: &Axis, k: usize) -> i64 {
        let c = self.centre(k);
        match axis.bin(c) {
            Some(b) => i64::from(b),
            None if c < axis.range().0 => -1,
            None => i64::from(axis.pixels()),
        }
    }

    /// The cells whose centres fall in canvas bin `bin` (keys are monotone in k).
    pub(super) fn cells_in(&self, axis: &Axis, bin: u32) -> Tap {
        let b = i64::from(bin);
        let (start, end) = if self.step > 0.0 {
            (first_true(self.n, |k| self.key(axis, k) >= b), first_true(self.n, |k| self.key(axis, k) > b))
        } else {
            (first_true(self.n, |k| self.key(axis, k) <= b), first_true(self.n, |k| self.key(axis, k) < b))
        };
        Tap::Cells { start, end: end.max(start) }
    }

    /// The tap of canvas bin `bin` when upsampling by `how` (the pixel centre's cell, or
    /// the two centres around it).
    pub(super) fn sample_at(&self, axis: &Axis, bin: u32, how: Upsample) -> Tap {
        let p = axis.bin_center(bin);
        if !(p >= self.lo && p <= self.hi) {
            return EMPTY;
        }
        let last = (self.n - 1) as f64;
        let u = (p - self.start) / self.step;
        match how {
            Upsample::Nearest => {
                let k = u.floor().clamp(0.0, last) as usize;
                Tap::Cells { start: k, end: k + 1 }
            }
            Upsample::Linear => {
                let u = (u - 0.5).clamp(0.0, last);
                let a = u.floor() as usize;
                let b = (a + 1).min(self.n - 1);
                let w = if a == b { 0.0 } else { u - a as f64 };
                Tap::Lerp { a, b, w }
            }
        }
    }

    /// The tap of canvas bin `bin`: down when the pixel is larger than a cell.
    pub(super) fn tap(&self, axis: &Axis, bin: u32, how: Upsample) -> Tap {
        if pixel_size(axis, bin) > self.step.abs() {
            self.cells_in(axis, bin)
        } else {
            self.sample_at(axis, bin, how)
        }
    }
}

/// The width in data units of canvas bin `bin` (the same for every bin of a linear axis).
pub(super) fn pixel_size(axis: &Axis, bin: u32) -> f64 {
    match axis.scale() {
        Scale::Linear => {
            let (lo, hi) = axis.range();
            (hi - lo) / f64::from(axis.pixels())
        }
        Scale::Log => axis.edge(f64::from(bin) + 1.0) - axis.edge(f64::from(bin)),
    }
}

/// The smallest `k` in `0..n` with `pred(k)` true, or `n` (pred is false then true).
pub(super) fn first_true(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// Linear interpolation ignoring a NaN neighbour (see the module doc).
#[inline(always)]
pub(super) fn lerp(va: f64, vb: f64, w: f64) -> f64 {
    if w == 0.0 || vb.is_nan() || va == vb {
        va
    } else if va.is_nan() {
        vb
    } else {
        va * (1.0 - w) + vb * w
    }
}
