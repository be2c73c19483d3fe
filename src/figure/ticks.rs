//! Tick placement and tick labels, following Matplotlib's `MaxNLocator` (steps 1-2-2.5-5-10),
//! `AutoMinorLocator`, `ScalarFormatter` (offset and scientific notation) and `LogLocator`.
//!
//! The float arithmetic mirrors Matplotlib's own (Python's floor division and modulo, numpy's
//! round-half-even), so the tick values are the ones a Matplotlib user sees; labels never show
//! float noise because they are printed with the step's number of decimals.

use crate::canvas::Scale;

/// Unicode minus sign, as Matplotlib prints negative numbers (`axes.unicode_minus`).
pub const MINUS: char = '\u{2212}';

/// The text of one tick label.
#[derive(Clone, Debug, PartialEq)]
pub enum TickLabel {
    /// A plain number such as `0.25` or `−10`.
    Plain(String),
    /// A power of ten `10^k`, drawn with a superscript exponent.
    Power(i32),
}

/// The ticks of one axis: values in data units, only those inside the axis range.
#[derive(Clone, Debug, PartialEq)]
pub struct AxisTicks {
    /// Major tick values, increasing.
    pub major: Vec<f64>,
    /// One label per major tick.
    pub labels: Vec<TickLabel>,
    /// Minor tick values (no labels), increasing, none on a major tick.
    pub minor: Vec<f64>,
    /// Matplotlib's offset text (`1e−6`, `+1e3`) printed at the end of the axis, if any.
    pub offset: Option<String>,
}

/// Matplotlib's tick steps (`MaxNLocator(steps=[1, 2, 2.5, 5, 10])`), extended one staircase
/// step down and up as `MaxNLocator._staircase` does.
const EXTENDED_STEPS: [f64; 10] = [0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0];

/// The number of tick intervals Matplotlib's `nbins='auto'` allows on an axis `length_px` long
/// whose tick labels are `font_px` high: `length / (font * 3)` for x and `* 2` for y, in 1..=9.
pub fn auto_bins(length_px: f64, font_px: f64, horizontal: bool) -> usize {
    let per = font_px * if horizontal { 3.0 } else { 2.0 };
    let space = (length_px / per).floor();
    if space.is_finite() && space >= 1.0 {
        (space as usize).min(9)
    } else {
        1
    }
}

/// Computes the ticks of an axis over `range` (in data units) with at most `nbins` intervals.
/// Linear axes get `MaxNLocator` + `ScalarFormatter` ticks; log axes ticks at decades.
pub fn axis_ticks(range: (f64, f64), scale: Scale, nbins: usize) -> AxisTicks {
    let (lo, hi) = if range.0 <= range.1 { range } else { (range.1, range.0) };
    match scale {
        Scale::Linear => linear_ticks(lo, hi, nbins),
        Scale::Log => log_ticks(lo, hi, nbins),
    }
}

/// Linear ticks: `MaxNLocator`, `AutoMinorLocator`, `ScalarFormatter`.
fn linear_ticks(lo: f64, hi: f64, nbins: usize) -> AxisTicks {
    let all = max_n_locator(lo, hi, nbins);
    let (labels, offset) = scalar_format(&all, (lo, hi));
    let minor = auto_minor(&all, (lo, hi));
    let keep = |v: &f64| in_view(*v, lo, hi);
    let (major, labels): (Vec<f64>, Vec<TickLabel>) =
        all.iter().zip(labels).filter(|(v, _)| keep(v)).map(|(v, l)| (*v, TickLabel::Plain(l))).unzip();
    AxisTicks { major, labels, minor, offset }
}

/// True when `v` lies in `[lo, hi]` up to a relative tolerance of 1e-10 of the range.
fn in_view(v: f64, lo: f64, hi: f64) -> bool {
    let tol = (hi - lo).abs() * 1e-10;
    v >= lo - tol && v <= hi + tol
}

/// Python's `divmod` for floats: floor division and a modulo with the divisor's sign.
fn py_divmod(x: f64, y: f64) -> (f64, f64) {
    let mut m = x % y;
    let mut div = (x - m) / y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
            div -= 1.0;
        }
    } else {
        m = 0.0f64.copysign(y);
    }
    let floordiv = if div != 0.0 {
        let f = div.floor();
        if div - f > 0.5 {
            f + 1.0
        } else {
            f
        }
    } else {
        0.0f64.copysign(x / y)
    };
    (floordiv, m)
}

/// Matplotlib's `mtransforms.nonsingular(vmin, vmax, expander=1e-13, tiny=1e-14)`.
fn nonsingular(lo: f64, hi: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (-1e-13, 1e-13);
    }
    let max_abs = lo.abs().max(hi.abs());
    if hi - lo <= max_abs * 1e-14 {
        if lo == 0.0 && hi == 0.0 {
            return (-1e-13, 1e-13);
        }
        return (lo - 1e-13 * lo.abs(), hi + 1e-13 * hi.abs());
    }
    (lo, hi)
}

/// `ticker.scale_range`: the power of ten of `(hi - lo) / n` and an offset for ranges far
/// from zero.
fn scale_range(lo: f64, hi: f64, n: f64) -> (f64, f64) {
    let dv = (hi - lo).abs();
    let mean = (hi + lo) / 2.0;
    let offset = if mean.abs() / dv < 100.0 {
        0.0
    } else {
        10f64.powf(py_divmod(mean.abs().log10(), 1.0).0).copysign(mean)
    };
    (10f64.powf(py_divmod((dv / n).log10(), 1.0).0), offset)
}

/// Matplotlib's `_Edge_integer` closeness test of a step fraction against an edge.
fn close_to(ms: f64, edge: f64, step: f64, offset: f64) -> bool {
    let tol = if offset > 0.0 {
        let digits = (offset / step).log10();
        10f64.powf(digits - 12.0).clamp(1e-10, 0.4999)
    } else {
        1e-10
    };
    (ms - edge).abs() < tol
}

/// `MaxNLocator(nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)`, `min_n_ticks = 2`:
/// the ticks may extend one step beyond the range, as Matplotlib's do.
pub fn max_n_locator(lo: f64, hi: f64, nbins: usize) -> Vec<f64> {
    let (lo, hi) = nonsingular(lo, hi);
    let nbins = nbins.max(1) as f64;
    let (scale, offset) = scale_range(lo, hi, nbins);
    let (vmin, vmax) = (lo - offset, hi - offset);
    let steps: Vec<f64> = EXTENDED_STEPS.iter().map(|s| s * scale).collect();
    let raw_step = (vmax - vmin) / nbins;
    let istep = steps.iter().position(|&s| s >= raw_step).unwrap_or(steps.len() - 1);
    let abs_offset = offset.abs();
    let mut ticks = Vec::new();
    for &step in steps[..=istep].iter().rev() {
        let best_vmin = py_divmod(vmin, step).0 * step;
        let (d, m) = py_divmod(vmin - best_vmin, step);
        let low = if close_to(m / step, 1.0, step, abs_offset) { d + 1.0 } else { d };
        let (d, m) = py_divmod(vmax - best_vmin, step);
        let high = if close_to(m / step, 0.0, step, abs_offset) { d } else { d + 1.0 };
        let count = (high - low + 1.0).clamp(0.0, 1000.0) as usize;
        ticks = (0..count).map(|i| (low + i as f64) * step + best_vmin).collect();
        let inside = ticks.iter().filter(|&&t| t <= vmax && t >= vmin).count();
        if inside >= 2 {
            break;
        }
    }
    ticks.iter().map(|t| t + offset).collect()
}

/// `AutoMinorLocator`: 4 or 5 minor intervals per major step (5 when the step's mantissa is
/// 1, 2.5 or 5), inside the view and not on a major tick.
pub fn auto_minor(major: &[f64], view: (f64, f64)) -> Vec<f64> {
    if major.len() < 2 {
        return Vec::new();
    }
    let step = major[1] - major[0];
    let mantissa = 10f64.powf(py_divmod(step.log10(), 1.0).1);
    let five = [1.0, 2.5, 5.0, 10.0].iter().any(|m| (mantissa - m).abs() <= 1e-8 + 1e-5 * m);
    let minor_step = step / if five { 5.0 } else { 4.0 };
    let t0 = major[0];
    let tmin = ((view.0 - t0) / minor_step).round_ties_even();
    let tmax = ((view.1 - t0) / minor_step).round_ties_even() + 1.0;
    let tol = (view.1 - view.0) * 1e-5;
    let count = (tmax - tmin).clamp(0.0, 10_000.0) as usize;
    (0..count)
        .map(|i| (tmin + i as f64) * minor_step + t0)
        .filter(|v| in_view(*v, view.0, view.1))
        .filter(|v| !major.iter().any(|m| (m - v).abs() <= tol))
        .collect()
}

/// Replaces ASCII minus signs with the Unicode minus, as Matplotlib does.
fn unicode_minus(text: String) -> String {
    text.replace('-', &MINUS.to_string())
}

/// `ScalarFormatter`'s offset: a common leading part of ticks far from zero (`+1e3`).
fn compute_offset(locs: &[f64], view: (f64, f64)) -> f64 {
    let inside: Vec<f64> = locs.iter().copied().filter(|v| *v >= view.0 && *v <= view.1).collect();
    let (Some(lmin), Some(lmax)) =
        (inside.iter().copied().reduce(f64::min), inside.iter().copied().reduce(f64::max))
    else {
        return 0.0;
    };
    if lmin == lmax || (lmin <= 0.0 && 0.0 <= lmax) {
        return 0.0;
    }
    let (abs_min, abs_max) =
        if lmin.abs() <= lmax.abs() { (lmin.abs(), lmax.abs()) } else { (lmax.abs(), lmin.abs()) };
    let sign = 1f64.copysign(lmin);
    let oom_max = abs_max.log10().ceil();
    let first_diff = |pred: &dyn Fn(f64) -> bool| -> f64 {
        let mut oom = oom_max;
        while !pred(oom) && oom > oom_max - 400.0 {
            oom -= 1.0;
        }
        oom
    };
    let fl = |v: f64, oom: f64| py_divmod(v, 10f64.powf(oom)).0;
    let mut oom = 1.0 + first_diff(&|o| fl(abs_min, o) != fl(abs_max, o));
    if (abs_max - abs_min) / 10f64.powf(oom) <= 1e-2 {
        oom = 1.0 + first_diff(&|o| fl(abs_max, o) - fl(abs_min, o) > 1.0);
    }
    if fl(abs_max, oom) >= 1e3 {
        sign * fl(abs_max, oom) * 10f64.powf(oom)
    } else {
        0.0
    }
}

/// `ScalarFormatter.format_data`: `1e−6`, `2.5e7`.
fn format_sci(value: f64) -> String {
    let e = value.abs().log10().floor();
    let s = (value / 10f64.powf(e) * 1e10).round() / 1e10;
    let significand = if s.fract() == 0.0 { format!("{}", s as i64) } else { format!("{s}") };
    unicode_minus(format!("{significand}e{}", e as i64))
}

/// `ScalarFormatter.format_ticks` with Matplotlib's defaults (power limits -5..6, offset
/// threshold 4): one label per tick and the offset text, if any.
pub fn scalar_format(locs: &[f64], view: (f64, f64)) -> (Vec<String>, Option<String>) {
    if locs.is_empty() {
        return (Vec::new(), None);
    }
    let offset = compute_offset(locs, view);
    let order = order_of_magnitude(locs, view, offset);
    let scale = 10f64.powi(order);
    let scaled: Vec<f64> = locs.iter().map(|v| (v - offset) / scale).collect();
    let mut ranged = scaled.clone();
    if locs.len() < 2 {
        ranged.extend([view.0, view.1].iter().map(|v| (v - offset) / scale));
    }
    let decimals = label_decimals(&ranged, &scaled);
    let labels = locs
        .iter()
        .map(|v| {
            let mut x = (v - offset) / scale;
            if x.abs() < 1e-8 {
                x = 0.0;
            }
            unicode_minus(format!("{x:.decimals$}"))
        })
        .collect();
    let mut text = String::new();
    if offset != 0.0 {
        text.push_str(&format_sci(offset));
        if offset > 0.0 {
            text.insert(0, '+');
        }
    }
    if order != 0 {
        text.push_str(&format_sci(10f64.powi(order)));
    }
    (labels, (!text.is_empty()).then_some(text))
}

/// `ScalarFormatter._set_order_of_magnitude`: the power of ten factored out of the labels.
fn order_of_magnitude(locs: &[f64], view: (f64, f64), offset: f64) -> i32 {
    let oom = if offset != 0.0 {
        (view.1 - view.0).log10().floor()
    } else {
        let inside = locs.iter().filter(|v| **v >= view.0 && **v <= view.1);
        let val = inside.fold(0.0f64, |m, v| m.max(v.abs()));
        if val == 0.0 {
            return 0;
        }
        val.log10().floor()
    };
    if oom <= -5.0 || oom >= 6.0 {
        oom as i32
    } else {
        0
    }
}

/// `ScalarFormatter._set_format`: the fewest decimals that print every tick exactly enough
/// (`ranged` adds the view's ends when there are under two ticks, for the range only).
fn label_decimals(ranged: &[f64], locs: &[f64]) -> usize {
    let max = ranged.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = ranged.iter().copied().fold(f64::INFINITY, f64::min);
    let mut range = max - min;
    if range == 0.0 {
        range = ranged.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    }
    if range == 0.0 {
        range = 1.0;
    }
    let range_oom = range.log10().floor() as i32;
    let mut sigfigs = (3 - range_oom).max(0);
    let thresh = 1e-3 * 10f64.powi(range_oom);
    while sigfigs >= 0 {
        let p = 10f64.powi(sigfigs);
        let err = locs.iter().fold(0.0f64, |m, v| m.max((v - (v * p).round_ties_even() / p).abs()));
        if err < thresh {
            sigfigs -= 1;
        } else {
            break;
        }
    }
    (sigfigs + 1) as usize
}

/// Log-axis ticks (`LogLocator`, base 10): decades, every `stride`-th when there are too
/// many for `nbins`, minor ticks at 2..9 x 10^k; under one decade, 1-2-5 ticks.
fn log_ticks(lo: f64, hi: f64, nbins: usize) -> AxisTicks {
    let (llo, lhi) = (lo.log10(), hi.log10());
    let numticks = nbins.clamp(2, 9) as i64;
    let (first, last) = (llo.ceil() as i64, lhi.floor() as i64);
    let numdec = last - first;
    if numdec < 1 {
        return few_decades(lo, hi);
    }
    let mut stride = numdec / numticks + 1;
    if stride >= numdec {
        stride = (numdec - 1).max(1);
    }
    let start = llo.floor() as i64 - stride;
    let exps: Vec<i64> =
        (0..).map(|i| start + i * stride).take_while(|&k| k <= last).filter(|&k| k >= first).collect();
    let major: Vec<f64> = exps.iter().map(|&k| 10f64.powi(k as i32)).collect();
    let labels = exps.iter().map(|&k| TickLabel::Power(k as i32)).collect();
    let minor = if stride == 1 {
        (llo.floor() as i64..=last)
            .flat_map(|k| (2..10).map(move |m| m as f64 * 10f64.powi(k as i32)))
            .filter(|v| in_view(*v, lo, hi))
            .collect()
    } else {
        (first..=last).filter(|k| !exps.contains(k)).map(|k| 10f64.powi(k as i32)).collect()
    };
    AxisTicks { major, labels, minor, offset: None }
}

/// A log axis spanning less than two decade ticks: major ticks at 1, 2 and 5 x 10^k and
/// minor ticks at the other integers x 10^k, labelled as plain numbers.
fn few_decades(lo: f64, hi: f64) -> AxisTicks {
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let mut major = Vec::new();
    let mut minor = Vec::new();
    for k in k0..=k1 {
        for m in 1..10 {
            let v = m as f64 * 10f64.powi(k);
            if in_view(v, lo, hi) {
                if [1, 2, 5].contains(&m) {
                    major.push(v)
                } else {
                    minor.push(v)
                }
            }
        }
    }
    let labels = major.iter().map(|v| TickLabel::Plain(compact_number(*v))).collect();
    AxisTicks { major, labels, minor, offset: None }
}

/// A short label for one value on its own: up to 6 significant digits, no float noise,
/// scientific (`1e6`, `2.5e−7`) outside 1e-4..1e6.
pub fn compact_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() { "0".into() } else { format!("{v}") };
    }
    let mag = v.abs();
    if !(1e-4..1e6).contains(&mag) {
        let e = mag.log10().floor() as i32;
        let m = format!("{:.5}", v / 10f64.powi(e));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        return unicode_minus(format!("{m}e{e}"));
    }
    let decimals = (5 - mag.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
    unicode_minus(s.to_string())
}

#[cfg(test)]
#[path = "ticks_tests.rs"]
mod tests;
