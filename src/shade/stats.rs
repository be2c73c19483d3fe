//! Global statistics of a count aggregate: the exact distribution of non-zero counts,
//! gathered band by band and merged, so eq-hist and spans are computed over the WHOLE
//! canvas.

use std::collections::BTreeMap;

/// Exact histogram of the non-zero counts of a canvas: dense below 65,536, sparse above.
///
/// Zero counts are empty pixels (masked, as in Datashader) and are not recorded. Merging is
/// exact and order-independent, so the result does not depend on tiles or threads.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CountHistogram {
    dense: Vec<u64>,
    sparse: BTreeMap<u32, u64>,
}

impl CountHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        todo!()
    }

    /// Records every non-zero value of `counts`.
    pub fn add_counts(&mut self, counts: &[u32]) {
        let _ = counts;
        todo!()
    }

    /// Adds another histogram into this one.
    pub fn merge(&mut self, other: &CountHistogram) {
        let _ = other;
        todo!()
    }

    /// Number of non-zero pixels recorded.
    pub fn pixels(&self) -> u64 {
        todo!()
    }

    /// Smallest and largest non-zero count, or None if every pixel is empty.
    pub fn min_max(&self) -> Option<(u32, u32)> {
        todo!()
    }

    /// (value, number of pixels with that value) for every distinct non-zero value, ascending.
    pub fn values(&self) -> Vec<(u32, u64)> {
        todo!()
    }
}
