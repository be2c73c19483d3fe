//! Bit-exact replicas, in f64, of the three numpy routines Datashader's `shade` relies on:
//! `np.linspace` (numpy/_core/function_base.py), `np.interp` (`arr_interp` and
//! `binary_search_with_guess` in numpy/_core/src/multiarray/compiled_base.c) and the
//! uniform-bin fast path of `np.histogram` (numpy/lib/_histograms_impl.py).
//!
//! No fused multiply-adds and no reassociation: every expression is evaluated in the order
//! numpy's C and Python code evaluates it, so the results are the same doubles.

/// `np.linspace(start, stop, num)` with `endpoint=True`, as float64.
///
/// numpy computes `step = (stop - start) / (num - 1)`, then `y[i] = i * step + start`
/// (or `(i / div) * delta + start` when the step underflows to zero), and finally
/// overwrites the last element with `stop`.
pub(crate) fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 0 {
        return Vec::new();
    }
    let delta = stop - start;
    let div = num - 1;
    let mut y: Vec<f64> = (0..num).map(|i| i as f64).collect();
    if div > 0 {
        let step = delta / div as f64;
        if step == 0.0 {
            for v in &mut y {
                *v = (*v / div as f64) * delta;
            }
        } else {
            for v in &mut y {
                *v *= step;
            }
        }
    } else {
        // One sample: numpy multiplies by delta (0 * delta) before adding start.
        for v in &mut y {
            *v *= delta;
        }
    }
    for v in &mut y {
        *v += start;
    }
    if num > 1 {
        y[num - 1] = stop;
    }
    y
}

/// Where `key` falls in the ascending `xp`, as numpy's `binary_search_with_guess` answers:
/// -1 below `xp[0]`, `len` above `xp[len - 1]`, otherwise the largest `j` with
/// `xp[j] <= key` (unique for a sorted array, so the guess numpy passes does not matter).
pub(crate) fn search(key: f64, xp: &[f64]) -> isize {
    let len = xp.len();
    if key > xp[len - 1] {
        return len as isize;
    }
    if key < xp[0] {
        return -1;
    }
    xp.partition_point(|&v| key >= v) as isize - 1
}

/// One value of `np.interp(x, xp, fp, left, right)`; `xp` must be ascending and non-empty
/// and as long as `fp`. `j` is [`search`]`(x, xp)`, passed in so that several `fp` arrays
/// sharing one `xp` need a single search (as Datashader's three channel calls find the
/// same index).
pub(crate) fn interp_at(x: f64, j: isize, xp: &[f64], fp: &[f64], left: f64, right: f64) -> f64 {
    let len = xp.len();
    if x.is_nan() {
        return x;
    }
    if len == 1 {
        return if x < xp[0] {
            left
        } else if x > xp[0] {
            right
        } else {
            fp[0]
        };
    }
    if j < 0 {
        return left;
    }
    let j = j as usize;
    if j == len {
        return right;
    }
    if j == len - 1 || xp[j] == x {
        return fp[j];
    }
    let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    let mut res = slope * (x - xp[j]) + fp[j];
    if res.is_nan() {
        res = slope * (x - xp[j + 1]) + fp[j + 1];
        if res.is_nan() && fp[j] == fp[j + 1] {
            res = fp[j];
        }
    }
    res
}

/// `np.interp(x, xp, fp)` with the default `left = fp[0]` and `right = fp[-1]`.
pub(crate) fn interp(x: f64, xp: &[f64], fp: &[f64]) -> f64 {
    let j = search(x, xp);
    interp_at(x, j, xp, fp, fp[0], fp[fp.len() - 1])
}

/// The uniform bins `np.histogram(a, bins=nbins)` uses for an unsigned integer array whose
/// minimum is 0 and maximum is `max` (> 0): edges `np.linspace(0, max, nbins + 1)` and the
/// index rule of numpy's fast path, including its off-by-one-ulp corrections.
pub(crate) struct UniformBins {
    edges: Vec<f64>,
    denom: f64,
    nbins: usize,
}

impl UniformBins {
    /// Bins over `[0, max]` exactly as numpy builds them for data with min 0 and max `max`.
    pub(crate) fn new(max: u32, nbins: usize) -> Self {
        UniformBins { edges: linspace(0.0, f64::from(max), nbins + 1), denom: f64::from(max), nbins }
    }

    /// The bin numpy puts `value` in (`value <= max`).
    pub(crate) fn index(&self, value: u32) -> usize {
        let a = f64::from(value);
        // f_indices = ((a - first_edge) / norm_denom) * norm_numerator; astype(intp).
        let f = ((a - 0.0) / self.denom) * self.nbins as f64;
        let mut i = f as usize;
        if i == self.nbins {
            i -= 1;
        }
        if a < self.edges[i] {
            i -= 1;
        }
        if a >= self.edges[i + 1] && i != self.nbins - 1 {
            i += 1;
        }
        i
    }

    /// `(bin_edges[:-1] + bin_edges[1:]) / 2` for bin `i`.
    pub(crate) fn center(&self, i: usize) -> f64 {
        (self.edges[i] + self.edges[i + 1]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linspace_matches_numpy() {
        // np.linspace(0.1, 0.7, 4).tolist()
        assert_eq!(linspace(0.1, 0.7, 4), vec![0.1, 0.3, 0.5, 0.7]);
        // the last element is stop, whatever i * step gives
        let y = linspace(0.0, 1.0, 3);
        assert_eq!(y, vec![0.0, 0.5, 1.0]);
        assert_eq!(linspace(2.0, 2.0, 3), vec![2.0, 2.0, 2.0]);
        assert_eq!(linspace(3.0, 9.0, 1), vec![3.0]);
        assert!(linspace(0.0, 1.0, 0).is_empty());
    }

    #[test]
    fn interp_edge_cases() {
        let xp = [0.0, 1.0, 2.0];
        let fp = [10.0, 20.0, 40.0];
        assert_eq!(interp(0.5, &xp, &fp), 15.0);
        assert_eq!(interp(2.0, &xp, &fp), 40.0);
        assert_eq!(interp(1.0, &xp, &fp), 20.0);
        assert_eq!(interp(-1.0, &xp, &fp), 10.0);
        assert_eq!(interp(3.0, &xp, &fp), 40.0);
        let j = search(-1.0, &xp);
        assert_eq!(interp_at(-1.0, j, &xp, &fp, 255.0, 40.0), 255.0);
        // all xp equal and x equal to them: the last fp (x == xp[-1])
        let same = [5.0, 5.0, 5.0];
        assert_eq!(interp(5.0, &same, &fp), 40.0);
        assert_eq!(interp(7.0, &[1.0], &[3.0]), 3.0);
        assert!(interp(f64::NAN, &xp, &fp).is_nan());
    }

    #[test]
    fn search_returns_last_index_not_above_key() {
        let xp = [0.0, 1.0, 1.0, 1.0, 2.0, 3.0];
        assert_eq!(search(1.0, &xp), 3);
        assert_eq!(search(0.5, &xp), 0);
        assert_eq!(search(3.0, &xp), 5);
        assert_eq!(search(3.5, &xp), 6);
        assert_eq!(search(-0.5, &xp), -1);
    }

    #[test]
    fn uniform_bins_put_max_in_last_bin() {
        let bins = UniformBins::new(1_000_000, 65536);
        assert_eq!(bins.index(0), 0);
        assert_eq!(bins.index(1_000_000), 65535);
        // 15.2587890625 per bin: 15 is in bin 0, 16 in bin 1
        assert_eq!(bins.index(15), 0);
        assert_eq!(bins.index(16), 1);
        assert_eq!(bins.center(0), 7.62939453125);
    }
}
