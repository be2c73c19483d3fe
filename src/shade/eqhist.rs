//! Datashader's `eq_hist` computed from a [`CountHistogram`] instead of from pixels.
//!
//! Datashader (transfer_functions/__init__.py, `eq_hist`) takes the unmasked values `data2`
//! (counts minus the minimum, so the smallest is 0). If their range is under 65,536 it
//! counts each integer in `arange(0, max + 1)` (values nobody has get a count of 0, so the
//! cdf is flat across them); otherwise it calls `np.histogram(data2, bins=65536)` and drops
//! the empty bins, with the bin midpoints as centres. Then `cdf = cumsum / total` and every
//! value maps to `np.interp(value, centres, cdf)`. The histogram holds every value with its
//! multiplicity, so the same centres and cdf come out, double for double.

use crate::shade::numpy::{self, UniformBins};
use crate::shade::CountHistogram;

/// Number of bins Datashader uses (`nbins=256*256`); also its exact-count threshold.
const NBINS: usize = 65_536;

/// The equalisation curve: cdf values at bin centres, ready for `np.interp`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EqHist {
    centers: Vec<f64>,
    cdf: Vec<f64>,
}

impl EqHist {
    /// The curve for the counts of `histogram` minus `offset` (its minimum); `ptp` is
    /// max - min. `histogram` must not be empty.
    pub(crate) fn new(histogram: &CountHistogram, offset: u32, ptp: u32) -> EqHist {
        let (centers, counts) = if (ptp as usize) < NBINS {
            exact_counts(histogram, offset, ptp)
        } else {
            binned_counts(histogram, offset, ptp)
        };
        EqHist { centers, cdf: normalised_cumsum(&counts) }
    }

    /// The equalised value of an offset count, `np.interp(value, centers, cdf)`.
    pub(crate) fn apply(&self, offset_count: u32) -> f64 {
        numpy::interp(f64::from(offset_count), &self.centers, &self.cdf)
    }
}

/// The integer path: one centre per value in `0..=ptp`, with its exact number of pixels.
fn exact_counts(histogram: &CountHistogram, offset: u32, ptp: u32) -> (Vec<f64>, Vec<u64>) {
    let mut counts = vec![0u64; ptp as usize + 1];
    for (value, pixels) in histogram.iter() {
        counts[(value - offset) as usize] += pixels;
    }
    let centers = (0..=ptp).map(f64::from).collect();
    (centers, counts)
}

/// The binned path: numpy's 65,536 uniform bins over `[0, ptp]`, empty bins removed.
fn binned_counts(histogram: &CountHistogram, offset: u32, ptp: u32) -> (Vec<f64>, Vec<u64>) {
    let bins = UniformBins::new(ptp, NBINS);
    let mut per_bin = vec![0u64; NBINS];
    for (value, pixels) in histogram.iter() {
        per_bin[bins.index(value - offset)] += pixels;
    }
    let kept = per_bin.iter().enumerate().filter(|&(_, &n)| n > 0);
    kept.map(|(i, &n)| (bins.center(i), n)).unzip()
}

/// `cdf = hist.cumsum(); cdf / float(cdf[-1])`.
pub(crate) fn normalised_cumsum(counts: &[u64]) -> Vec<f64> {
    let mut running = 0u64;
    let cumsum: Vec<u64> = counts
        .iter()
        .map(|&n| {
            running += n;
            running
        })
        .collect();
    let total = running as f64;
    cumsum.iter().map(|&c| c as f64 / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(counts: &[u32]) -> CountHistogram {
        let mut h = CountHistogram::new();
        h.add_counts(counts);
        h
    }

    #[test]
    fn exact_path_is_flat_across_missing_values() {
        // values 1, 1, 2, 5 -> offset 1 -> 0, 0, 1, 4; counts [2, 1, 0, 0, 1]
        let eq = EqHist::new(&histogram(&[1, 1, 2, 5]), 1, 4);
        assert_eq!(eq.cdf, vec![0.5, 0.75, 0.75, 0.75, 1.0]);
        assert_eq!(eq.apply(0), 0.5);
        assert_eq!(eq.apply(2), 0.75);
        assert_eq!(eq.apply(4), 1.0);
        assert_eq!(eq.apply(9), 1.0);
    }

    #[test]
    fn binned_path_drops_empty_bins() {
        // offset 1: values 0, 15, 16, 999_999 in bins 0, 0, 1, 65535
        let eq = EqHist::new(&histogram(&[1, 16, 17, 1_000_000]), 1, 999_999);
        assert_eq!(eq.cdf, vec![0.5, 0.75, 1.0]);
        assert_eq!(eq.centers.len(), 3);
        // below the first centre: left = cdf[0]; above the last: right = 1
        assert_eq!(eq.apply(0), 0.5);
        assert_eq!(eq.apply(999_999), 1.0);
    }
}
