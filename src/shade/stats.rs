//! Global statistics of a count aggregate: the exact distribution of non-zero counts,
//! gathered band by band and merged, so eq-hist and spans are computed over the WHOLE
//! canvas.

use std::collections::BTreeMap;

/// Counts below this are tallied in four tables of their own by
/// [`CountHistogram::add_counts`] before they are recorded.
const SMALL_COUNTS: usize = 256;

/// Counts below this are kept in the dense part of a [`CountHistogram`].
pub const DENSE_LIMIT: u32 = 65_536;

/// Exact histogram of the non-zero counts of a canvas: dense below 65,536, sparse above.
///
/// Zero counts are empty pixels (masked, as in Datashader) and are not recorded. Merging is
/// exact and order-independent, so the result does not depend on tiles or threads.
///
/// The dense part is indexed by count and only as long as the largest count below 65,536
/// recorded so far plus one (empty when there is none), so equal distributions compare
/// equal and serialise to the same, short JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CountHistogram {
    dense: Vec<u64>,
    sparse: BTreeMap<u32, u64>,
}

/// Whether every value of `block` is 0, tested with one vectorised OR: how the loops over
/// counts find the runs of empty pixels (most of a large canvas) 16 at a time and treat
/// them whole.
#[inline(always)]
pub(crate) fn all_zero(block: &[u32]) -> bool {
    block.iter().fold(0, |any, &v| any | v) == 0
}

impl CountHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        CountHistogram::default()
    }

    /// Records every non-zero value of `counts`.
    pub fn add_counts(&mut self, counts: &[u32]) {
        // Small counts repeat (most lit pixels of a sparse plot hold 1, 2 or 3): one table
        // makes each increment wait for the previous one to the same slot, so pixel i goes
        // to table i % 4 and the four are added up at the end. Empty pixels come in runs on
        // most plots (4.3 gigapixels of a 65536^2 canvas, most of them empty): a block of
        // 16 is tested with one vectorised OR and skipped whole.
        let mut small = [[0u64; SMALL_COUNTS]; 4];
        let mut blocks = counts.chunks_exact(16);
        for block in &mut blocks {
            if !all_zero(block) {
                self.add_each(&mut small, block);
            }
        }
        self.add_each(&mut small, blocks.remainder());
        for count in 1..SMALL_COUNTS {
            self.add_count_n(count as u32, small.iter().map(|table| table[count]).sum());
        }
    }

    /// Records every value of `counts` (0 too, which [`CountHistogram::add_counts`]
    /// ignores): below [`SMALL_COUNTS`] into `small`, the others here.
    #[inline(always)]
    fn add_each(&mut self, small: &mut [[u64; SMALL_COUNTS]; 4], counts: &[u32]) {
        for (i, &count) in counts.iter().enumerate() {
            match small[i % 4].get_mut(count as usize) {
                Some(slot) => *slot += 1,
                None => self.add_count_n(count, 1),
            }
        }
    }

    /// Records `pixels` pixels with the value `count` (ignored when `count` is 0).
    pub fn add_count_n(&mut self, count: u32, pixels: u64) {
        if count == 0 || pixels == 0 {
            return;
        }
        match self.dense.get_mut(count as usize) {
            Some(slot) => *slot += pixels,
            None => self.add_rare(count, pixels),
        }
    }

    /// The slow path of recording: grows the dense part or adds to the sparse part.
    fn add_rare(&mut self, count: u32, pixels: u64) {
        if count < DENSE_LIMIT {
            self.dense.resize(count as usize + 1, 0);
            self.dense[count as usize] += pixels;
        } else {
            *self.sparse.entry(count).or_insert(0) += pixels;
        }
    }

    /// Adds another histogram into this one.
    pub fn merge(&mut self, other: &CountHistogram) {
        if other.dense.len() > self.dense.len() {
            self.dense.resize(other.dense.len(), 0);
        }
        for (mine, theirs) in self.dense.iter_mut().zip(&other.dense) {
            *mine += theirs;
        }
        for (&count, &pixels) in &other.sparse {
            *self.sparse.entry(count).or_insert(0) += pixels;
        }
    }

    /// Adds another histogram into this one, or None (and this one partly changed) when a
    /// pixel count overflows u64 (only histograms read from an altered file can).
    pub fn checked_merge(&mut self, other: &CountHistogram) -> Option<()> {
        if other.dense.len() > self.dense.len() {
            self.dense.resize(other.dense.len(), 0);
        }
        for (mine, theirs) in self.dense.iter_mut().zip(&other.dense) {
            *mine = mine.checked_add(*theirs)?;
        }
        for (&count, &pixels) in &other.sparse {
            let slot = self.sparse.entry(count).or_insert(0);
            *slot = slot.checked_add(pixels)?;
        }
        Some(())
    }

    /// Number of non-zero pixels recorded.
    pub fn pixels(&self) -> u64 {
        self.iter().map(|(_, n)| n).sum()
    }

    /// Number of non-zero pixels recorded, without overflow whatever the histogram holds.
    pub fn pixels_exact(&self) -> u128 {
        self.iter().map(|(_, n)| u128::from(n)).sum()
    }

    /// Sum of every recorded count (the points the pixels hold), without overflow.
    pub fn points(&self) -> u128 {
        self.iter().map(|(c, n)| u128::from(c) * u128::from(n)).sum()
    }

    /// True when a pixel holds `u32::MAX`, the value a saturated sum stops at.
    pub fn is_saturated(&self) -> bool {
        self.sparse.contains_key(&u32::MAX)
    }

    /// Checks the layout a histogram read from a file must have, or says what is wrong:
    /// the dense part no longer than [`DENSE_LIMIT`], without a zero count and ending with
    /// a recorded value; the sparse part only above it, with no empty entry.
    pub fn check(&self) -> Result<(), String> {
        if self.dense.len() > DENSE_LIMIT as usize {
            return Err(format!("has {} dense entries, more than {DENSE_LIMIT}", self.dense.len()));
        }
        if self.dense.first().is_some_and(|&n| n != 0) || self.dense.last() == Some(&0) {
            return Err("has a dense part that does not start with 0 and end with a recorded count".into());
        }
        if self.sparse.iter().any(|(&c, &n)| c < DENSE_LIMIT || n == 0) {
            return Err(format!("has sparse entries below {DENSE_LIMIT} or of no pixels"));
        }
        Ok(())
    }

    /// Smallest and largest non-zero count, or None if every pixel is empty.
    pub fn min_max(&self) -> Option<(u32, u32)> {
        let min = self.iter().next()?.0;
        let max = match self.sparse.iter().next_back() {
            Some((&count, _)) => count,
            None => self.dense_values().next_back()?.0,
        };
        Some((min, max))
    }

    /// (value, number of pixels with that value) for every distinct non-zero value, ascending.
    pub fn values(&self) -> Vec<(u32, u64)> {
        self.iter().collect()
    }

    /// Like [`CountHistogram::values`] without allocating.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u32, u64)> + '_ {
        self.dense_values().chain(self.sparse.iter().map(|(&c, &n)| (c, n)))
    }

    /// The recorded values of the dense part, ascending (index 0, a zero count, skipped).
    fn dense_values(&self) -> impl DoubleEndedIterator<Item = (u32, u64)> + '_ {
        self.dense.iter().enumerate().skip(1).filter(|&(_, &n)| n > 0).map(|(c, &n)| (c as u32, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_non_zero_counts_exactly() {
        let mut h = CountHistogram::new();
        assert_eq!(h.min_max(), None);
        assert_eq!(h.pixels(), 0);
        h.add_counts(&[0, 3, 3, 1, 0, 70_000, 4_000_000_000, 3, 65_535, 65_536]);
        assert_eq!(
            h.values(),
            vec![(1, 1), (3, 3), (65_535, 1), (65_536, 1), (70_000, 1), (4_000_000_000, 1)]
        );
        assert_eq!(h.pixels(), 8);
        assert_eq!(h.min_max(), Some((1, 4_000_000_000)));
    }

    #[test]
    fn min_max_of_dense_only_and_sparse_only() {
        let mut h = CountHistogram::new();
        h.add_counts(&[5, 9, 7]);
        assert_eq!(h.min_max(), Some((5, 9)));
        let mut s = CountHistogram::new();
        s.add_counts(&[100_000, 80_000]);
        assert_eq!(s.min_max(), Some((80_000, 100_000)));
        let mut zeros = CountHistogram::new();
        zeros.add_counts(&[0, 0, 0]);
        assert_eq!(zeros, CountHistogram::new());
        assert_eq!(zeros.min_max(), None);
    }

    #[test]
    fn merge_equals_adding_everything_in_any_order() {
        let data: Vec<u32> = (0..5000u32).map(|i| (i * 7919) % 997 + (i % 13) * 90_000).collect();
        let mut whole = CountHistogram::new();
        whole.add_counts(&data);
        let (a, b) = data.split_at(1234);
        let mut left = CountHistogram::new();
        left.add_counts(a);
        let mut right = CountHistogram::new();
        right.add_counts(b);
        let mut ab = left.clone();
        ab.merge(&right);
        let mut ba = right.clone();
        ba.merge(&left);
        assert_eq!(ab, whole);
        assert_eq!(ba, whole);
        assert_eq!(whole.pixels(), data.iter().filter(|&&c| c != 0).count() as u64);
    }

    #[test]
    fn runs_of_empty_pixels_are_skipped_without_losing_a_count() {
        // Blocks of 16 that are all zero are skipped whole: a value at either end of a
        // block, in the tail after the last whole block, or above the dense part still counts.
        let mut counts = vec![0u32; 16 * 40 + 7];
        for (k, i) in [0, 15, 16, 31, 100, 639, 640, 646].into_iter().enumerate() {
            counts[i] = k as u32 + 1;
        }
        counts[200] = 70_000;
        let mut h = CountHistogram::new();
        h.add_counts(&counts);
        let mut want = CountHistogram::new();
        counts.iter().for_each(|&c| want.add_count_n(c, 1));
        assert_eq!(h, want);
        assert_eq!(h.pixels(), 9);
    }

    #[test]
    fn the_four_small_tables_add_up_to_one_count_at_a_time() {
        // Runs of one small count (the chains the tables break), counts on both sides of
        // SMALL_COUNTS and of DENSE_LIMIT, at every position modulo 4 and in the tail.
        let mut counts = Vec::new();
        for (i, run) in [1u32, 2, 3, 255, 256, 257, 65_535, 65_536, 1].into_iter().enumerate() {
            counts.extend(std::iter::repeat_n(run, 4 * i + 1 + i % 3));
            counts.extend(std::iter::repeat_n(0, i));
        }
        let mut h = CountHistogram::new();
        h.add_counts(&counts);
        let mut want = CountHistogram::new();
        counts.iter().for_each(|&c| want.add_count_n(c, 1));
        assert_eq!(h, want);
        assert_eq!(h.pixels(), counts.iter().filter(|&&c| c != 0).count() as u64);
        assert_eq!(h.values()[0], (1, 1 + 35));
    }

    #[test]
    fn add_count_n_matches_add_counts() {
        let mut a = CountHistogram::new();
        a.add_counts(&[2, 2, 2, 90_000, 90_000]);
        let mut b = CountHistogram::new();
        b.add_count_n(2, 3);
        b.add_count_n(90_000, 2);
        b.add_count_n(0, 10);
        assert_eq!(a, b);
    }

    #[test]
    fn json_round_trip() {
        let mut h = CountHistogram::new();
        h.add_counts(&[1, 2, 2, 100_000]);
        let text = serde_json::to_string(&h).unwrap();
        assert_eq!(text, r#"{"dense":[0,1,2],"sparse":{"100000":1}}"#);
        assert_eq!(serde_json::from_str::<CountHistogram>(&text).unwrap(), h);
    }
}
