//! The streaming aggregates of downsampling (`mean`, `min`, `max`, `first`, `last` over
//! the cells of a pixel) and `mode`.

/// One streaming aggregate: a per-pixel f64 state and (for mean) a count.
pub(super) trait CellAggregate {
    /// The state before any value.
    const INIT: f64;
    /// Adds `v` (possibly NaN, then ignored) to the state.
    fn push(acc: &mut f64, count: &mut u64, v: f64);
    /// The pixel value of a state.
    fn finish(acc: f64, count: u64) -> f64;
}

/// `Downsample::Mean`.
pub(super) struct MeanR;
/// `Downsample::Min`.
pub(super) struct MinR;
/// `Downsample::Max`.
pub(super) struct MaxR;
/// `Downsample::First`.
pub(super) struct FirstR;
/// `Downsample::Last`.
pub(super) struct LastR;

impl CellAggregate for MeanR {
    const INIT: f64 = 0.0;
    #[inline(always)]
    fn push(acc: &mut f64, count: &mut u64, v: f64) {
        if !v.is_nan() {
            *acc += v;
            *count += 1;
        }
    }
    fn finish(acc: f64, count: u64) -> f64 {
        if count == 0 {
            f64::NAN
        } else {
            acc / count as f64
        }
    }
}

impl CellAggregate for MinR {
    const INIT: f64 = f64::NAN;
    #[inline(always)]
    fn push(acc: &mut f64, _: &mut u64, v: f64) {
        if !v.is_nan() && (acc.is_nan() || v < *acc) {
            *acc = v;
        }
    }
    fn finish(acc: f64, _: u64) -> f64 {
        acc
    }
}

impl CellAggregate for MaxR {
    const INIT: f64 = f64::NAN;
    #[inline(always)]
    fn push(acc: &mut f64, _: &mut u64, v: f64) {
        if !v.is_nan() && (acc.is_nan() || v > *acc) {
            *acc = v;
        }
    }
    fn finish(acc: f64, _: u64) -> f64 {
        acc
    }
}

impl CellAggregate for FirstR {
    const INIT: f64 = f64::NAN;
    #[inline(always)]
    fn push(acc: &mut f64, _: &mut u64, v: f64) {
        if acc.is_nan() {
            *acc = v;
        }
    }
    fn finish(acc: f64, _: u64) -> f64 {
        acc
    }
}

impl CellAggregate for LastR {
    const INIT: f64 = f64::NAN;
    #[inline(always)]
    fn push(acc: &mut f64, _: &mut u64, v: f64) {
        if !v.is_nan() {
            *acc = v;
        }
    }
    fn finish(acc: f64, _: u64) -> f64 {
        acc
    }
}

/// The most frequent non-NaN value of `values` (reordered), ties to the smallest; NaN if none.
pub(super) fn mode_of(values: &mut Vec<f64>) -> f64 {
    values.retain(|v| !v.is_nan());
    values.sort_unstable_by(f64::total_cmp);
    let (mut best, mut best_count) = (f64::NAN, 0);
    let mut at = 0;
    while at < values.len() {
        let v = values[at];
        let run = values[at..].iter().take_while(|w| w.to_bits() == v.to_bits()).count();
        if run > best_count {
            (best, best_count) = (v, run);
        }
        at += run;
    }
    best
}
