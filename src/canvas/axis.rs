//! Data range to pixel mapping, with Datashader's exact binning rule.
//!
//! For a range `[lo, hi]` over `n` pixels, Datashader (0.19, `glyphs/points.py`) computes
//! `s = n / (hi - lo)`, `t = -lo * s` and puts a value `v` in bin `trunc(v * s + t)`, and a
//! bin index of `n` or more (the point exactly on `hi`) in the last bin, `n - 1`. Values
//! outside `[lo, hi]` and NaN are dropped. The same rule holds after a `log10` for log axes.
//! gigaplot reproduces this in f64 so its aggregates equal Datashader's element for element.

use std::str::FromStr;

use crate::error::Field;

/// What [`Axis::bins`] gives a value that falls in no bin.
pub const DROPPED: i32 = -1;

/// Linear or logarithmic (base 10) axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Bins of equal width in data units.
    #[default]
    Linear,
    /// Bins of equal width in log10 of the data; the range must be positive.
    Log,
}

impl FromStr for Scale {
    type Err = String;
    fn from_str(text: &str) -> Result<Scale, String> {
        match text {
            "linear" => Ok(Scale::Linear),
            "log" => Ok(Scale::Log),
            _ => Err(format!("unknown scale '{text}'; use linear or log")),
        }
    }
}

impl Scale {
    /// The transform applied to data values before the linear mapping.
    #[inline(always)]
    pub fn forward(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log => v.log10(),
        }
    }

    /// Inverse of [`Scale::forward`].
    #[inline]
    pub fn inverse(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log => 10f64.powf(v),
        }
    }
}

/// One axis of the canvas: a data range mapped onto `pixels` bins.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axis {
    lo: f64,
    hi: f64,
    pixels: u32,
    scale: Scale,
    s: f64,
    t: f64,
    /// Log axes take `log10` of the values in single precision (float32 columns).
    single: bool,
}

impl Axis {
    /// An axis over `[lo, hi]` with `pixels` bins. `field` is the option errors name
    /// (`--x-range`). Fails unless `lo < hi`, both finite, `pixels > 0`, and (log) `lo > 0`.
    pub fn new(field: Field, range: (f64, f64), pixels: u32, scale: Scale) -> crate::Result<Axis> {
        let (lo, hi) = range;
        if !(lo.is_finite() && hi.is_finite()) {
            return Err(crate::Error::bad_parameter(field, format!("the range {lo},{hi} is not finite")));
        }
        if lo >= hi {
            return Err(crate::Error::bad_parameter(
                field,
                format!("the range {lo},{hi} is empty: the start must be below the end"),
            ));
        }
        if scale == Scale::Log && lo <= 0.0 {
            return Err(crate::Error::bad_parameter(
                field,
                format!("a log axis needs a positive range, not {lo},{hi}"),
            ));
        }
        if pixels == 0 {
            return Err(crate::Error::bad_parameter(field, "the axis has no pixels"));
        }
        let (start, end) = (scale.forward(lo), scale.forward(hi));
        let s = f64::from(pixels) / (end - start);
        let t = -start * s;
        Ok(Axis { lo, hi, pixels, scale, s, t, single: false })
    }

    /// This axis binning values read from a float32 column (`float32` true) or not: a log
    /// axis then takes their `log10` in single precision before the f64 mapping, as
    /// Datashader's compiled point loop does (`np.log10` of a float32 is a float32), so
    /// points near a bin edge land where Datashader puts them. Linear axes are unchanged.
    pub fn for_float32(self, float32: bool) -> Axis {
        Axis { single: float32, ..self }
    }

    /// `log10(v)`, in single precision for float32 columns ([`Axis::for_float32`]).
    #[inline(always)]
    fn log10(&self, v: f64) -> f64 {
        match self.single {
            true => f64::from((v as f32).log10()),
            false => v.log10(),
        }
    }

    /// The data range `(lo, hi)`.
    pub fn range(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }

    /// Number of bins.
    pub fn pixels(&self) -> u32 {
        self.pixels
    }

    /// Linear or log.
    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// The bin of `v` (0 = the `lo` end), or None if `v` is NaN or outside the range.
    #[inline(always)]
    pub fn bin(&self, v: f64) -> Option<u32> {
        match self.scale {
            Scale::Linear => self.bin_scaled::<false>(v),
            Scale::Log => self.bin_scaled::<true>(v),
        }
    }

    /// [`Axis::bin`] with the scale fixed at compile time, for hot loops: with the scale a
    /// run-time value, the compiler may evaluate `log10` speculatively for linear axes.
    #[inline(always)]
    pub fn bin_scaled<const LOG: bool>(&self, v: f64) -> Option<u32> {
        debug_assert_eq!(LOG, self.scale == Scale::Log);
        // Written so that NaN fails the comparison.
        if !(v >= self.lo && v <= self.hi) {
            return None;
        }
        let mapped = if LOG { self.log10(v) } else { v };
        // `as` truncates towards zero like Python's int(); a tiny negative from rounding at
        // `lo` becomes 0 as in Datashader, and the clamp at the top is Datashader's.
        let i = (mapped * self.s + self.t) as i64;
        Some(i.clamp(0, i64::from(self.pixels) - 1) as u32)
    }

    /// [`Axis::bin_scaled`] over a slice: `out[i]` is [`Axis::bin_lane`] of `vs[i]`.
    #[inline(always)]
    pub fn bins<const LOG: bool>(&self, vs: &[f64], out: &mut [i32]) {
        for (o, &v) in out.iter_mut().zip(vs) {
            *o = self.bin_lane::<LOG>(v);
        }
    }

    /// [`Axis::bin_scaled`] without branches, for hot loops the compiler vectorises: the bin
    /// of `v`, or [`DROPPED`] if it is NaN or outside the range; equal to `bin_scaled` value
    /// for value.
    #[inline(always)]
    pub fn bin_lane<const LOG: bool>(&self, v: f64) -> i32 {
        let inside = v >= self.lo && v <= self.hi;
        let i = self.clamped_bin_lane::<LOG>(v);
        if inside {
            i
        } else {
            DROPPED
        }
    }

    /// [`Axis::bin_lane`] without the range test: the bin `v` falls in, clamped to the
    /// canvas, for a `v` the caller has found inside the range (any other `v`, NaN included,
    /// gives some bin of the canvas, never undefined behaviour).
    #[inline(always)]
    pub fn clamped_bin_lane<const LOG: bool>(&self, v: f64) -> i32 {
        debug_assert_eq!(LOG, self.scale == Scale::Log);
        // Pixels fit an i32 (`check_side`), so the last bin does too.
        let top = f64::from(self.pixels - 1);
        let mapped = if LOG { self.log10(v) } else { v };
        let f = mapped * self.s + self.t;
        // Clamping before truncating gives what clamping the truncated value gives (NaN
        // becomes 0, as `as` makes it), and a value the conversion can hold.
        let f = if f > 0.0 { f } else { 0.0 };
        let f = if f < top { f } else { top };
        // SAFETY: `f` is within `0 ..= top` and `top < 2^31`, so it is representable.
        unsafe { f.to_int_unchecked::<i32>() }
    }

    /// The data coordinate of the centre of bin `i`.
    pub fn bin_center(&self, i: u32) -> f64 {
        self.scale.inverse((f64::from(i) + 0.5 - self.t) / self.s)
    }

    /// The data coordinate of the edge at pixel position `p` (0 = `lo`, `pixels` = `hi`).
    pub fn edge(&self, p: f64) -> f64 {
        self.scale.inverse((p - self.t) / self.s)
    }
}

/// Datashader's automatic range from a column's NaN-ignoring minimum and maximum: a
/// non-finite or missing bound gives `(-1, 1)`, an empty range `v..v` gives `(v-1, v+1)`.
pub fn auto_range(min: Option<f64>, max: Option<f64>) -> (f64, f64) {
    match (min, max) {
        (Some(lo), Some(hi)) if lo.is_finite() && hi.is_finite() => {
            if lo == hi {
                (lo - 1.0, lo + 1.0)
            } else {
                (lo, hi)
            }
        }
        _ => (-1.0, 1.0),
    }
}

/// Parses a range written `LO,HI` (e.g. `-10,10` or `1e-3,2.5`).
pub fn parse_range(text: &str) -> Result<(f64, f64), String> {
    let (a, b) = text
        .split_once(',')
        .ok_or_else(|| format!("'{text}' is not a range; write it as LO,HI, e.g. -10,10"))?;
    let parse =
        |s: &str| s.trim().parse::<f64>().map_err(|_| format!("'{}' in '{text}' is not a number", s.trim()));
    let (lo, hi) = (parse(a)?, parse(b)?);
    if lo.is_nan() || hi.is_nan() {
        return Err(format!("'{text}' contains NaN; give two finite numbers"));
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return Err(format!("'{text}' is not finite; give two finite numbers"));
    }
    if lo >= hi {
        return Err(format!("'{text}' is empty: LO must be below HI"));
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(lo: f64, hi: f64, n: u32) -> Axis {
        Axis::new(Field::XRange, (lo, hi), n, Scale::Linear).unwrap()
    }

    #[test]
    fn bins_are_half_open_and_the_last_is_closed() {
        let a = axis(0.0, 10.0, 10);
        assert_eq!(a.bin(0.0), Some(0));
        assert_eq!(a.bin(0.999), Some(0));
        assert_eq!(a.bin(1.0), Some(1));
        assert_eq!(a.bin(9.5), Some(9));
        assert_eq!(a.bin(10.0), Some(9));
        assert_eq!(a.bin(10.000001), None);
        assert_eq!(a.bin(-0.000001), None);
        assert_eq!(a.bin(f64::NAN), None);
        assert_eq!(a.bin(f64::INFINITY), None);
        assert_eq!(a.bin(f64::NEG_INFINITY), None);
    }

    #[test]
    fn negative_ranges_and_odd_widths() {
        let a = axis(-10.0, 10.0, 7);
        assert_eq!(a.bin(-10.0), Some(0));
        assert_eq!(a.bin(10.0), Some(6));
        assert_eq!(a.bin(0.0), Some(3));
        // Brute force: every bin index is in range and monotone.
        let mut last = 0;
        for k in 0..=20_000 {
            let v = -10.0 + 20.0 * f64::from(k) / 20_000.0;
            let b = a.bin(v).unwrap();
            assert!(b >= last && b < 7);
            last = b;
        }
    }

    #[test]
    fn float32_values_bin_like_datashader() {
        // Datashader promotes float32 to float64 before scaling.
        let a = axis(-1.0, 1.0, 3);
        let v = 0.333_333_34_f32 as f64;
        assert_eq!(a.bin(v), Some(((v * 1.5 + 1.5) as i64) as u32));
    }

    #[test]
    fn log_axis_bins_decades_equally() {
        let a = Axis::new(Field::XRange, (1.0, 1000.0), 3, Scale::Log).unwrap();
        assert_eq!(a.bin(1.0), Some(0));
        assert_eq!(a.bin(9.99), Some(0));
        assert_eq!(a.bin(10.0), Some(1));
        assert_eq!(a.bin(1000.0), Some(2));
        assert_eq!(a.bin(0.5), None);
        assert!(Axis::new(Field::XRange, (0.0, 10.0), 3, Scale::Log).is_err());
    }

    #[test]
    fn bins_equal_bin_value_for_value() {
        let mut values = vec![-10.0, 10.0, 0.0, -0.0, 9.999_999, -10.000_001, 10.000_001, 5e-324];
        values.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e300]);
        let mut state = 7u64;
        for _ in 0..20_000 {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            values.push((state >> 11) as f64 / (1u64 << 53) as f64 * 24.0 - 12.0);
        }
        let check = |a: Axis, values: &[f64]| {
            let mut out = vec![0i32; values.len()];
            match a.scale() {
                Scale::Linear => a.bins::<false>(values, &mut out),
                Scale::Log => a.bins::<true>(values, &mut out),
            }
            for (&v, &o) in values.iter().zip(&out) {
                assert_eq!(a.bin(v).map_or(DROPPED, |b| b as i32), o, "{v} on {a:?}");
            }
        };
        check(axis(-10.0, 10.0, 7), &values);
        check(axis(-10.0, 10.0, 20_000), &values);
        // Cancellation makes `v * s + t` land hundreds of bins outside at the ends.
        check(axis(1e15, 1e15 + 1.0, 1000), &[1e15, 1e15 + 0.5, 1e15 + 1.0]);
        check(axis(-1.0, 1.0, i32::MAX as u32), &values);
        let log = Axis::new(Field::XRange, (0.01, 11.0), 9, Scale::Log).unwrap();
        check(log, &values);
    }

    #[test]
    fn bin_centers() {
        let a = axis(0.0, 10.0, 10);
        assert_eq!(a.bin_center(0), 0.5);
        assert_eq!(a.bin_center(9), 9.5);
    }

    #[test]
    fn auto_range_follows_datashader() {
        assert_eq!(auto_range(Some(1.0), Some(3.0)), (1.0, 3.0));
        assert_eq!(auto_range(Some(2.0), Some(2.0)), (1.0, 3.0));
        assert_eq!(auto_range(None, None), (-1.0, 1.0));
        assert_eq!(auto_range(Some(f64::NEG_INFINITY), Some(3.0)), (-1.0, 1.0));
    }

    #[test]
    fn parse_ranges() {
        assert_eq!(parse_range("-10,10"), Ok((-10.0, 10.0)));
        assert_eq!(parse_range(" 1e-3 , 2.5"), Ok((0.001, 2.5)));
        assert!(parse_range("10").is_err());
        assert!(parse_range("1,1").is_err());
        assert!(parse_range("2,1").is_err());
        assert!(parse_range("nan,1").is_err());
        assert!(parse_range("0,inf").is_err());
        assert!(parse_range("a,b").is_err());
    }

    #[test]
    fn float32_data_takes_log10_in_single_precision_on_log_axes() {
        // log10(0.39810717f32) is -0.4f32 (-0.40000000596 as f64), just under the edge of
        // column 16 of 50 over 0.01..1000; in f64 it is -0.39999999945, just over it.
        let v = f64::from(0.398_107_17_f32);
        let log = Axis::new(Field::XRange, (0.01, 1000.0), 50, Scale::Log).unwrap();
        assert_eq!(log.bin(v), Some(16));
        assert_eq!(log.for_float32(true).bin(v), Some(15));
        assert_eq!(log.for_float32(true).clamped_bin_lane::<true>(v), 15);
        assert_eq!(log.for_float32(true).for_float32(false).bin(v), Some(16));
        // linear axes are the same either way
        let linear = Axis::new(Field::XRange, (0.0, 1.0), 50, Scale::Linear).unwrap();
        assert_eq!(linear.for_float32(true).bin(v), linear.bin(v));
    }

    #[test]
    fn bad_axes_are_errors() {
        assert!(Axis::new(Field::XRange, (1.0, 1.0), 10, Scale::Linear).is_err());
        assert!(Axis::new(Field::XRange, (0.0, f64::NAN), 10, Scale::Linear).is_err());
        assert!(Axis::new(Field::XRange, (0.0, 1.0), 0, Scale::Linear).is_err());
    }
}
