//! The binning kernel of direct counting: the row-major pixel index of every point, with
//! Datashader's exact float64 rule, in loops the compiler vectorises.
//!
//! Each point becomes `row * width + column` (rows from the top), or `width * height`, one
//! past the last pixel, when it is dropped: no branch and no compaction, so a counter
//! array one cell longer than the canvas takes every point and its last cell counts the
//! dropped ones. The partition takes `row << 32 | column` instead ([`PixelIndex::index_wide`],
//! [`WIDE_DROPPED`] for a dropped point), for canvases of any size. x and y are read as they lie in memory (float32 or float64, widened to f64
//! like Datashader does) and binned by [`Axis::clamped_bin_lane`], after a range test in the
//! columns' own type ([`Lane::within`]), so every index equals what [`Axis::bin`] gives, bit
//! for bit.
//!
//! The same loop is compiled three times: for AVX-512, for AVX2 and for the baseline
//! x86-64 (or any other target); [`Isa::detect`] picks the widest the CPU runs, once per
//! render. Only the linear axes vectorise (`log10` has no vector form here); log axes run
//! the baseline loop.

use crate::canvas::{Axis, Scale};

/// How many points ahead [`PixelIndex::index`] prefetches the columns into L1 (4 KiB of
/// float32, a page): on the 2-core Xeon of 2026-12-07 (48 KiB L1d, 2 MiB L2), whose
/// hardware prefetcher left the index kernel waiting on its loads, the kernel alone over
/// 6 * 10^7 float32 points in memory took 0.051-0.053 CPU-s against 0.074-0.082 without
/// (256 and 512 points ahead: 0.051-0.055; into L2 the same; non-temporal 0.084-0.106), and
/// with the tally 0.185-0.193 against 0.207-0.232 (`examples/tally_probe.rs`, `f`).
pub(crate) const COLUMN_PREFETCH: usize = 1024;

/// Points binned between two rounds of column prefetches: 16 cache lines of float32.
const PIECE: usize = 256;

/// Asks the CPU to bring the cache lines of `values[ahead..ahead + PIECE]` into L1, wherever
/// that lies (past the slice's end is the rest of the column, when the caller reads it in
/// runs; anywhere else a prefetch is a harmless hint).
#[inline(always)]
fn prefetch_piece<T>(values: &[T], ahead: usize) {
    let step = (64 / std::mem::size_of::<T>()).max(1);
    let at = values.as_ptr().wrapping_add(ahead);
    for line in (0..PIECE).step_by(step) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch never faults and reads nothing, whatever the address (SSE is in
        // every x86-64 CPU).
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                at.wrapping_add(line).cast(),
            );
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = at.wrapping_add(line);
    }
}

/// A value type the kernel reads in place: float32 or float64.
pub trait Lane: Copy + PartialOrd + Send + Sync + 'static {
    /// The value as f64 (exact for both).
    fn widen(self) -> f64;

    /// The smallest and the largest value of this type whose f64 lies within `lo ..= hi`, so
    /// that testing a value against them in its own type is testing its f64 against `lo` and
    /// `hi` (NaN fails both): a float32 kernel tests 16 points per AVX-512 compare, not 8.
    fn within(lo: f64, hi: f64) -> (Self, Self);
}

impl Lane for f32 {
    #[inline(always)]
    fn widen(self) -> f64 {
        f64::from(self)
    }

    fn within(lo: f64, hi: f64) -> (f32, f32) {
        // `as` rounds to the nearest float32 (infinite beyond its range); one step corrects
        // a rounding to the wrong side, since widening is exact and keeps the order.
        let (mut low, mut high) = (lo as f32, hi as f32);
        if f64::from(low) < lo {
            low = low.next_up();
        }
        if f64::from(high) > hi {
            high = high.next_down();
        }
        (low, high)
    }
}

impl Lane for f64 {
    #[inline(always)]
    fn widen(self) -> f64 {
        self
    }

    fn within(lo: f64, hi: f64) -> (f64, f64) {
        (lo, hi)
    }
}

/// The instruction set a kernel runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// Whatever the compilation target guarantees (SSE2 on x86-64).
    Baseline,
    /// AVX2 (x86-64 only).
    Avx2,
    /// AVX-512 F, VL and DQ (x86-64 only).
    Avx512,
}

impl Isa {
    /// The widest instruction set this CPU runs.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512vl")
                && std::arch::is_x86_feature_detected!("avx512dq")
            {
                return Isa::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
        }
        Isa::Baseline
    }

    /// Every instruction set this CPU runs, baseline first (the tests compare them).
    pub fn available() -> Vec<Isa> {
        match Isa::detect() {
            Isa::Baseline => vec![Isa::Baseline],
            Isa::Avx2 => vec![Isa::Baseline, Isa::Avx2],
            Isa::Avx512 => vec![Isa::Baseline, Isa::Avx2, Isa::Avx512],
        }
    }
}

/// Maps points to row-major pixel indices of a `width` x `height` canvas (see the module
/// doc).
#[derive(Clone, Copy, Debug)]
pub struct PixelIndex {
    x: Axis,
    y: Axis,
    isa: Isa,
}

impl PixelIndex {
    /// The kernel of the canvas whose axes are `x` (width = its pixels) and `y`, with the
    /// widest instruction set this CPU runs. [`PixelIndex::index`] needs `width * height <
    /// u32::MAX`; [`PixelIndex::index_wide`] takes any canvas.
    pub fn new(x: Axis, y: Axis) -> PixelIndex {
        PixelIndex::with_isa(x, y, Isa::detect())
    }

    /// [`PixelIndex::new`] with the instruction set `isa`, which the CPU must run
    /// (one of [`Isa::available`]); any other falls back to the baseline.
    pub fn with_isa(x: Axis, y: Axis, isa: Isa) -> PixelIndex {
        let isa = if Isa::available().contains(&isa) { isa } else { Isa::Baseline };
        PixelIndex { x, y, isa }
    }

    /// The index dropped points get from [`PixelIndex::index`]: `width * height`.
    pub fn dropped(&self) -> u32 {
        self.x.pixels() * self.y.pixels()
    }

    /// Writes the index of point `(xs[i], ys[i])` to `out[i]`, for `i < out.len()` (all
    /// three slices have the same length).
    pub fn index<X: Lane, Y: Lane>(&self, xs: &[X], ys: &[Y], out: &mut [u32]) {
        debug_assert!(u64::from(self.x.pixels()) * u64::from(self.y.pixels()) < u64::from(u32::MAX));
        self.index_into(xs, ys, out)
    }

    /// Writes `row << 32 | column` of point `(xs[i], ys[i])` to `out[i]`, or
    /// [`WIDE_DROPPED`] when it is dropped, for `i < out.len()`: the partition's kernel,
    /// for canvases of any size (65536^2 has more pixels than a u32 counts).
    pub fn index_wide<X: Lane, Y: Lane>(&self, xs: &[X], ys: &[Y], out: &mut [u64]) {
        self.index_into(xs, ys, out)
    }

    /// [`PixelIndex::index`] or [`PixelIndex::index_wide`], as `O` says: the kernel for the
    /// axes' scales and the instruction set.
    pub fn index_into<X: Lane, Y: Lane, O: Index>(&self, xs: &[X], ys: &[Y], out: &mut [O]) {
        let n = out.len();
        let (xs, ys) = (&xs[..n], &ys[..n]);
        match (self.x.scale(), self.y.scale()) {
            (Scale::Linear, Scale::Linear) => match self.isa {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `isa` is one `Isa::available` found on this CPU.
                Isa::Avx512 => unsafe { self.index_avx512(xs, ys, out) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                Isa::Avx2 => unsafe { self.index_avx2(xs, ys, out) },
                _ => self.index_lanes::<X, Y, O, false, false>(xs, ys, out),
            },
            (Scale::Log, Scale::Linear) => self.index_lanes::<X, Y, O, true, false>(xs, ys, out),
            (Scale::Linear, Scale::Log) => self.index_lanes::<X, Y, O, false, true>(xs, ys, out),
            (Scale::Log, Scale::Log) => self.index_lanes::<X, Y, O, true, true>(xs, ys, out),
        }
    }

    /// The linear kernel compiled for AVX-512.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx2,fma,bmi2")]
    fn index_avx512<X: Lane, Y: Lane, O: Index>(&self, xs: &[X], ys: &[Y], out: &mut [O]) {
        self.index_lanes::<X, Y, O, false, false>(xs, ys, out)
    }

    /// The linear kernel compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma,bmi2")]
    fn index_avx2<X: Lane, Y: Lane, O: Index>(&self, xs: &[X], ys: &[Y], out: &mut [O]) {
        self.index_lanes::<X, Y, O, false, false>(xs, ys, out)
    }

    /// The kernel, [`PIECE`] points at a time, each piece after prefetching the columns
    /// [`COLUMN_PREFETCH`] points further on.
    #[inline(always)]
    fn index_lanes<X: Lane, Y: Lane, O: Index, const XLOG: bool, const YLOG: bool>(
        &self,
        xs: &[X],
        ys: &[Y],
        out: &mut [O],
    ) {
        // The range in the columns' own types, once per call.
        let (x_range, y_range) = (self.x.range(), self.y.range());
        let within = (X::within(x_range.0, x_range.1), Y::within(y_range.0, y_range.1));
        for ((xs, ys), out) in xs.chunks(PIECE).zip(ys.chunks(PIECE)).zip(out.chunks_mut(PIECE)) {
            prefetch_piece(xs, COLUMN_PREFETCH);
            prefetch_piece(ys, COLUMN_PREFETCH);
            self.index_piece::<X, Y, O, XLOG, YLOG>(xs, ys, within, out);
        }
    }

    /// The kernel of one piece, given the range as [`Lane::within`] gives it for each axis:
    /// branch-free, so it vectorises for whatever instruction set the caller is compiled
    /// with (FMA is never contracted, so the rounding is the same).
    #[inline(always)]
    fn index_piece<X: Lane, Y: Lane, O: Index, const XLOG: bool, const YLOG: bool>(
        &self,
        xs: &[X],
        ys: &[Y],
        ((x_lo, x_hi), (y_lo, y_hi)): ((X, X), (Y, Y)),
        out: &mut [O],
    ) {
        let width = self.x.pixels();
        let top_row = self.y.pixels() as i32 - 1;
        let dropped = O::dropped(width, self.y.pixels());
        for ((&x, &y), o) in xs.iter().zip(ys).zip(out.iter_mut()) {
            // Tested in the columns' own type (`Lane::within`), once for both axes: the same
            // points as `Axis::bin_lane`'s test in f64, with half the compares for float32.
            let inside = (x >= x_lo) & (x <= x_hi) & (y >= y_lo) & (y <= y_hi);
            let column = self.x.clamped_bin_lane::<XLOG>(x.widen());
            let from_bottom = self.y.clamped_bin_lane::<YLOG>(y.widen());
            let row = (top_row - from_bottom) as u32;
            let index = O::of(row, column as u32, width);
            *o = if inside { index } else { dropped };
        }
    }
}

/// What [`PixelIndex::index_wide`] writes for a dropped point.
pub const WIDE_DROPPED: u64 = u64::MAX;

/// An index a kernel writes: u32 row-major ([`PixelIndex::index`]), or u64 row and column
/// ([`PixelIndex::index_wide`]).
pub trait Index: Copy + Default + Send + Sync + 'static {
    /// The index of pixel (`column`, `row` from the top) of a canvas `width` wide.
    fn of(row: u32, column: u32, width: u32) -> Self;
    /// The index of a dropped point on a `width` x `height` canvas.
    fn dropped(width: u32, height: u32) -> Self;
}

impl Index for u32 {
    #[inline(always)]
    fn of(row: u32, column: u32, width: u32) -> u32 {
        // Both within the canvas: the product fits (width * height < u32::MAX).
        row.wrapping_mul(width).wrapping_add(column)
    }
    fn dropped(width: u32, height: u32) -> u32 {
        width.wrapping_mul(height)
    }
}

impl Index for u64 {
    #[inline(always)]
    fn of(row: u32, column: u32, _width: u32) -> u64 {
        (u64::from(row) << 32) | u64::from(column)
    }
    fn dropped(_width: u32, _height: u32) -> u64 {
        WIDE_DROPPED
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Field;

    fn axis(range: (f64, f64), pixels: u32, scale: Scale) -> Axis {
        Axis::new(Field::XRange, range, pixels, scale).unwrap()
    }

    /// Values on and around bin edges, the range's ends, zeros, NaN, infinities, and a
    /// spread of others.
    fn values(lo: f64, hi: f64, n: usize) -> Vec<f64> {
        let mut v = vec![lo, hi, 0.0, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e300];
        v.extend([lo.next_down(), lo.next_up(), hi.next_down(), hi.next_up()]);
        let mut state = 11u64;
        while v.len() < n {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            v.push(lo - (hi - lo) * 0.1 + u * (hi - lo) * 1.2);
        }
        v
    }

    /// The index [`Axis::bin`] gives, point by point.
    fn expected(x: &Axis, y: &Axis, xs: &[f64], ys: &[f64]) -> Vec<u32> {
        let dropped = x.pixels() * y.pixels();
        xs.iter()
            .zip(ys)
            .map(|(&a, &b)| match (x.bin(a), y.bin(b)) {
                (Some(c), Some(r)) => (y.pixels() - 1 - r) * x.pixels() + c,
                _ => dropped,
            })
            .collect()
    }

    #[test]
    fn every_instruction_set_gives_axis_bins_for_f32_and_f64() {
        let cases = [
            (axis((-10.0, 10.0), 2000, Scale::Linear), axis((-10.0, 10.0), 1999, Scale::Linear)),
            (axis((-1.0, 1.0), 7, Scale::Linear), axis((0.0, 3.0), 1, Scale::Linear)),
            (axis((1e15, 1e15 + 1.0), 1000, Scale::Linear), axis((-3.0, 3.0), 65_535, Scale::Linear)),
            (axis((0.01, 11.0), 9, Scale::Log), axis((-10.0, 10.0), 300, Scale::Linear)),
            (axis((-10.0, 10.0), 300, Scale::Linear), axis((0.5, 20.0), 301, Scale::Log)),
            (axis((0.5, 2.0), 64, Scale::Log), axis((0.5, 20.0), 33, Scale::Log)),
        ];
        for (x, y) in cases {
            let (xr, yr) = (x.range(), y.range());
            // Odd lengths leave a remainder after the vector loop.
            let xs = values(xr.0, xr.1, 10_007);
            let mut ys = values(yr.0, yr.1, 10_007);
            ys.rotate_left(5);
            let want = expected(&x, &y, &xs, &ys);
            let xs32: Vec<f32> = xs.iter().map(|&v| v as f32).collect();
            let ys32: Vec<f32> = ys.iter().map(|&v| v as f32).collect();
            let (xw, yw): (Vec<f64>, Vec<f64>) =
                (xs32.iter().map(|&v| v.into()).collect(), ys32.iter().map(|&v| v.into()).collect());
            let want32 = expected(&x, &y, &xw, &yw);
            let want_mixed = expected(&x, &y, &xw, &ys);
            for isa in Isa::available() {
                let kernel = PixelIndex::with_isa(x, y, isa);
                let mut out = vec![0; xs.len()];
                kernel.index(&xs, &ys, &mut out);
                assert_eq!(out, want, "{isa:?} f64 on {x:?} {y:?}");
                kernel.index(&xs32, &ys32, &mut out);
                assert_eq!(out, want32, "{isa:?} f32 on {x:?} {y:?}");
                kernel.index(&xs32, &ys, &mut out);
                assert_eq!(out, want_mixed, "{isa:?} f32, f64 on {x:?} {y:?}");
            }
        }
    }

    #[test]
    fn the_wide_kernel_gives_rows_and_columns_on_canvases_past_u32_pixels() {
        // 65536 x 65537 pixels (more than a u32 counts) and a small log canvas: every
        // instruction set gives `row << 32 | column` of `Axis::bin`, or WIDE_DROPPED.
        let cases = [
            (axis((-10.0, 10.0), 65_536, Scale::Linear), axis((-10.0, 10.0), 65_537, Scale::Linear)),
            (axis((0.5, 2.0), 64, Scale::Log), axis((-3.0, 3.0), 33, Scale::Linear)),
        ];
        for (x, y) in cases {
            let (xr, yr) = (x.range(), y.range());
            let xs = values(xr.0, xr.1, 5_003);
            let mut ys = values(yr.0, yr.1, 5_003);
            ys.rotate_left(3);
            let want: Vec<u64> = (xs.iter().zip(&ys))
                .map(|(&a, &b)| match (x.bin(a), y.bin(b)) {
                    (Some(c), Some(r)) => (u64::from(y.pixels() - 1 - r) << 32) | u64::from(c),
                    _ => WIDE_DROPPED,
                })
                .collect();
            assert!(want.iter().any(|&w| w >> 32 > 60_000) || x.pixels() == 64, "rows past 60000");
            let xs32: Vec<f32> = xs.iter().map(|&v| v as f32).collect();
            for isa in Isa::available() {
                let kernel = PixelIndex::with_isa(x, y, isa);
                let mut out = vec![0; xs.len()];
                kernel.index_wide(&xs, &ys, &mut out);
                assert_eq!(out, want, "{isa:?} f64 on {x:?} {y:?}");
                // Float32 x: the same as its f64 widening.
                let widened: Vec<f64> = xs32.iter().map(|&v| v.into()).collect();
                let mut want32 = vec![0; xs.len()];
                kernel.index_wide(&widened, &ys, &mut want32);
                kernel.index_wide(&xs32, &ys, &mut out);
                assert_eq!(out, want32, "{isa:?} f32, f64 on {x:?} {y:?}");
            }
        }
    }

    #[test]
    fn float32_range_tests_equal_float64_ones_at_ranges_float32_cannot_hold() {
        // Ends between two float32 values, beyond float32's range, and on one; the points
        // are the float32 values around each end and a spread between them.
        let ranges = [
            (0.1, 0.7),
            (-1.0 / 3.0, 1.0 / 3.0),
            (1e-40, 3e-39),
            (-1e39, 1e39),
            (-3.4e38, 3.5e38),
            (0.25, 0.5),
            (16_777_217.0, 16_777_219.5),
        ];
        for (lo, hi) in ranges {
            let (x, y) = (axis((lo, hi), 1000, Scale::Linear), axis((lo, hi), 3, Scale::Linear));
            let mut xs: Vec<f32> = vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, f32::MIN, 0.0];
            for end in [lo as f32, hi as f32] {
                let mut v = end;
                for _ in 0..4 {
                    v = v.next_down();
                }
                for _ in 0..9 {
                    xs.push(v);
                    v = v.next_up();
                }
            }
            xs.extend((0..200).map(|k| (lo + (hi - lo) * f64::from(k) / 199.0) as f32));
            let mut ys = xs.clone();
            ys.rotate_left(7);
            let widen = |v: &[f32]| v.iter().map(|&v| f64::from(v)).collect::<Vec<f64>>();
            let want = expected(&x, &y, &widen(&xs), &widen(&ys));
            assert!(want.iter().any(|&i| i == x.pixels() * y.pixels()) && want.iter().any(|&i| i < 3000));
            for isa in Isa::available() {
                let mut out = vec![0; xs.len()];
                PixelIndex::with_isa(x, y, isa).index(&xs, &ys, &mut out);
                assert_eq!(out, want, "{isa:?} on {lo}..{hi}");
            }
        }
    }

    #[test]
    fn runs_around_the_prefetch_piece_give_axis_bins() {
        let (x, y) = (axis((-10.0, 10.0), 2000, Scale::Linear), axis((-10.0, 10.0), 2000, Scale::Linear));
        let xs = values(-10.0, 10.0, 3 * PIECE + 5);
        let mut ys = values(-10.0, 10.0, 3 * PIECE + 5);
        ys.rotate_left(3);
        let want = expected(&x, &y, &xs, &ys);
        for isa in Isa::available() {
            let kernel = PixelIndex::with_isa(x, y, isa);
            for len in [0, 1, PIECE - 1, PIECE, PIECE + 1, 2 * PIECE, 3 * PIECE + 5] {
                // Runs starting mid-piece too, as a column read in runs of any length is.
                for start in [0, 7] {
                    let len = len.min(xs.len() - start);
                    let mut out = vec![0; len];
                    kernel.index(&xs[start..start + len], &ys[start..start + len], &mut out);
                    assert_eq!(out, want[start..start + len], "{isa:?}, {len} points from {start}");
                }
            }
        }
    }

    #[test]
    fn dropped_points_get_one_past_the_last_pixel() {
        let kernel = PixelIndex::new(axis((0.0, 4.0), 4, Scale::Linear), axis((0.0, 2.0), 2, Scale::Linear));
        let mut out = [0; 5];
        kernel.index(&[0.0, 3.5, 4.5, f64::NAN, 1.0], &[1.9, 0.0, 1.0, 1.0, -1.0], &mut out);
        assert_eq!(out, [0, 7, 8, 8, 8]);
        assert_eq!(kernel.dropped(), 8);
    }
}
