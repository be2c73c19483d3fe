//! Counting points in a byte per pixel: the accumulation of direct counting.
//!
//! A count canvas of u32 cells is four times what the counts of a pass mostly need, and its
//! size decides the speed: incrementing random cells of a 16 MB canvas (2000^2) misses the
//! caches at almost every point, while a 4 MB one mostly hits them. So each worker counts
//! in u8 cells, and a cell that wraps round to 0 carries 256 into a u32 cell of a second
//! canvas that only the busiest pixels ever touch (its zeroed pages are mapped lazily, 2
//! MiB at a time, so the regions without a busy pixel cost no memory). The count of a pixel
//! is `carry + small`, exactly; the workers' counts add up in any order. Both canvases are
//! on 2 MiB pages ([`HugePageCells`]): at 10^9 points on 2000^2, 4 KiB pages cost a TLB
//! miss at most increments and a TLB shootdown at the first write of every page.

use crate::huge_pages::HugePageCells;

/// How many points ahead [`Tally::add`] and the compact fold prefetch, into L2
/// ([`prefetch_l2`]; before, 128 points into L1, which had beaten 24, 48, 64 and 96): a 4
/// MB tally (2000^2) is twice a core's 2 MiB of L2 (lscpu said 1 MiB on the machine this
/// was first measured on), and bringing each line only as far as L2, further ahead, leaves
/// L1's few miss buffers to the increments. In a standalone loop over 6 * 10^7 float32
/// points of the benchmark data at 2000^2 (index kernel + tally, 2 threads, columns in
/// memory, range -10,10, load 5-6, 3 rounds), the CPU time was 0.111-0.119 s at 256 points
/// into L2 against 0.130-0.138 s at 128 points into L1 (the previous setting), 0.123-0.128
/// s at 128 into L2 and 0.110-0.128 s at 320 into L2. The compact fold of 10^9 points at
/// 10000^2 took 7.0-7.7 CPU-s against 10.1-11.8 with the old setting (release binaries,
/// alternating, load 7-8, identical PNG). Re-measured on 2026-12-07 with the faster index
/// kernel (criterion `index_tally`, release): 128, 160, 192, 256 and 512 points ahead all
/// gave 0.97-1.05 G points/s, within the machine's noise.
pub(crate) const TALLY_L2_PREFETCH: usize = 256;

/// Asks the CPU to bring the cache line of `at` into L2, not L1 (a hint: nothing is read).
#[inline(always)]
pub(crate) fn prefetch_l2(at: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing, whatever the address (SSE is in
    // every x86-64 CPU).
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// Calls `each(item)` for every item of `items` in order, after prefetching into L2 the
/// address `at(later)` of the item [`TALLY_L2_PREFETCH`] on: a loop zipped with the items
/// that far on, then the last ones without prefetch, so no end check is paid per item
/// (10% less CPU time than one loop with `get(k + ahead)` in the standalone loop). The loop
/// of [`Tally::add`] and of the compact fold.
#[inline(always)]
pub(crate) fn for_each_prefetched<T: Copy>(
    items: &[T],
    at: impl Fn(T) -> *const u8,
    mut each: impl FnMut(T),
) {
    let ahead = TALLY_L2_PREFETCH.min(items.len());
    for (&item, &later) in items.iter().zip(&items[ahead..]) {
        prefetch_l2(at(later));
        each(item);
    }
    for &item in &items[items.len() - ahead..] {
        each(item);
    }
}

/// One worker's counts of a canvas of `cells` pixels (see the module doc).
pub struct Tally {
    small: HugePageCells<u8>,
    carry: HugePageCells<u32>,
}

impl Tally {
    /// Bytes a tally of `cells` cells may take at most (u8 counts and u32 carries).
    pub const BYTES_PER_CELL: u64 = 5;

    /// Zero counts for `cells` cells.
    pub fn new(cells: usize) -> Tally {
        Tally { small: HugePageCells::zeroed(cells), carry: HugePageCells::zeroed(cells) }
    }

    /// Counts one point in each cell of `indices` (each below the number of cells). The
    /// cell [`TALLY_L2_PREFETCH`] points on is prefetched into L2, so many misses are in
    /// flight.
    #[inline]
    pub fn add(&mut self, indices: &[u32]) {
        let (small, carry) = (&mut self.small[..], &mut self.carry[..]);
        let base = small.as_ptr();
        for_each_prefetched(
            indices,
            |later| base.wrapping_add(later as usize),
            |i| Self::bump(small, carry, i as usize),
        );
    }

    /// Counts one point in cell `i`.
    #[inline(always)]
    fn bump(small: &mut [u8], carry: &mut [u32], i: usize) {
        let v = small[i].wrapping_add(1);
        small[i] = v;
        if v == 0 {
            carry[i] = carry[i].saturating_add(256);
        }
    }

    /// The count of cell `i`.
    #[inline(always)]
    pub fn get(&self, i: usize) -> u32 {
        self.carry[i].saturating_add(u32::from(self.small[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_shorter_and_longer_than_the_prefetch_distance_count_every_point() {
        let cells = 1000;
        let mut t = Tally::new(cells);
        let mut want = vec![0u32; cells];
        let mut state = 7u32;
        for len in [0, 1, TALLY_L2_PREFETCH - 1, TALLY_L2_PREFETCH, TALLY_L2_PREFETCH + 1, 5000, 70_000] {
            let run: Vec<u32> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    // Skewed, so some cells pass 256 and carry.
                    (state >> 16) % if state & 1 == 0 { 3 } else { cells as u32 }
                })
                .collect();
            run.iter().for_each(|&i| want[i as usize] += 1);
            t.add(&run);
        }
        assert!(want.iter().any(|&n| n > 256));
        assert_eq!((0..cells).map(|i| t.get(i)).collect::<Vec<_>>(), want);
    }

    #[test]
    fn counts_carry_past_a_byte() {
        let mut t = Tally::new(4);
        let mut indices = vec![1u32; 70_000];
        indices.extend([3, 0, 3]);
        for part in indices.chunks(333) {
            t.add(part);
        }
        assert_eq!([t.get(0), t.get(1), t.get(2), t.get(3)], [1, 70_000, 0, 2]);
    }
}
