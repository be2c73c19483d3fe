//! Datashader's `by(category, reduction)` for any single-channel reduction: per pixel one
//! cell of the reduction's state per category, each fragment folded into the cell of its
//! item's category, in input order.
//!
//! [`PerCategory`] wraps a [`Reducer`] rather than being one: a [`Fragment`] carries one
//! value, and partition records carry one value too (widening every record of every
//! reduction for `by` alone would cost all renders). `by` returns its (H, W, K) aggregate in
//! memory, so its cells are held whole instead, and the `by` pass
//! ([`crate::render::aggregate_by`]) reads the category column beside the value column and
//! hands each fragment's category here. A pass may hold a range of the categories only (the
//! memory budget's share): fragments of the others are skipped.

use std::ops::Range;

use crate::data::DType;
use crate::parallel;
use crate::reduce::{Fragment, Reducer};
use crate::shade::Family;

/// `inner` of each category in `categories` (a range of the category codes `0 .. K`):
/// `categories.len()` cells of `inner` per pixel, category-major within a pixel.
#[derive(Clone, Debug)]
pub struct PerCategory<R> {
    inner: R,
    categories: Range<usize>,
}

impl<R: Reducer> PerCategory<R> {
    /// `inner` per category of `categories`.
    pub fn new(inner: R, categories: Range<usize>) -> PerCategory<R> {
        PerCategory { inner, categories }
    }

    /// The categories this wrapper holds cells for.
    pub fn categories(&self) -> Range<usize> {
        self.categories.clone()
    }

    /// Element type of the exported aggregate (the inner reduction's).
    pub fn dtype(&self) -> DType {
        self.inner.dtype()
    }

    /// Empty cells of `pixels` pixels, or None when they cannot be allocated.
    ///
    /// The cells are filled on every thread: the kernel clears each page as it is first
    /// written, and that was half of a `by()`'s time when one thread filled them. They are
    /// written before any fold reads them: a page first read is the shared zero page, and
    /// its first write then a copy-on-write fault that flushes the other threads' TLBs
    /// (that doubled the CPU time of a `by()` whose cells were left to the folds).
    pub fn empty_cells(&self, pixels: usize) -> Option<Vec<R::Cell>> {
        let len = pixels.checked_mul(self.categories.len())?;
        // Mapped, not yet touched.
        let mut cells = bytemuck::allocation::try_zeroed_vec::<R::Cell>(len).ok()?;
        let mut parts: Vec<&mut [R::Cell]> = cells.chunks_mut(part_len(len)).collect();
        parallel::for_each_mut(&mut parts, |_, part| part.fill(R::EMPTY));
        Some(cells)
    }

    /// Folds `fragment`, of an item of category `category` (a code as read from the column),
    /// into pixel `pixel` of `cells`; items of categories outside the range held, and
    /// categories that are not whole numbers (NaN: a missing category), are skipped.
    #[inline(always)]
    pub fn fold(&self, cells: &mut [R::Cell], pixel: usize, category: f64, fragment: Fragment) {
        let k = category as usize;
        if category >= 0.0 && category == k as f64 && self.categories.contains(&k) {
            let held = self.categories.len();
            self.inner.fold(cells, pixel * held + (k - self.categories.start), fragment);
        }
    }

    /// Writes the finished values of `cells` into `out`, the little-endian bytes of the
    /// whole (pixels, `total`) aggregate of all `total` categories: each pixel's cells go to
    /// its channels `categories`.
    /// Runs of pixels are written in parallel (a run's cells and its part of `out`).
    pub fn write(&self, cells: &[R::Cell], total: usize, out: &mut [u8]) {
        let held = self.categories.len();
        let size = self.dtype().size();
        let pixels = cells.len() / held.max(1);
        let run = part_len(pixels);
        let mut parts: Vec<(&[R::Cell], &mut [u8])> =
            cells.chunks(run * held.max(1)).zip(out.chunks_mut(run * total * size)).collect();
        parallel::for_each_mut(&mut parts, |_, (cells, out)| {
            let mut scratch = Vec::new();
            for (pixel, cells) in cells.chunks_exact(held.max(1)).enumerate() {
                let values = self.inner.values(cells, &mut scratch);
                let at = (pixel * total + self.categories.start) * size;
                R::Family::write(values, self.dtype(), &mut out[at..at + held * size]);
            }
        });
    }
}

/// Items per parallel task when `len` items are cut into a few runs per thread.
fn part_len(len: usize) -> usize {
    len.div_ceil(4 * rayon::current_num_threads()).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduce::{Count, Mean, Min, Values};

    #[test]
    fn each_category_folds_into_its_own_cell() {
        // categories 1 and 2 of 0..4, two pixels
        let by = PerCategory::new(Values::<Mean>::new(DType::F64), 1..3);
        let mut cells = by.empty_cells(2).unwrap();
        for (pixel, category, value) in
            [(0, 1.0, 2.0), (0, 1.0, 4.0), (1, 2.0, 5.0), (1, 0.0, 9.0), (0, 3.0, 9.0), (0, f64::NAN, 9.0)]
        {
            by.fold(&mut cells, pixel, category, Fragment::full(value));
        }
        by.fold(&mut cells, 1, 1.5, Fragment::full(9.0)); // not a category code
        let mut out = vec![0u8; 2 * 4 * 8];
        by.write(&cells, 4, &mut out);
        let values: Vec<f64> =
            out.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())).collect();
        // channels 0 and 3 are left as they were (zero bytes); empty cells are NaN
        assert_eq!(values[..2], [0.0, 3.0]);
        assert!(values[2].is_nan());
        assert_eq!(values[3], 0.0);
        assert_eq!(values[4], 0.0);
        assert!(values[5].is_nan());
        assert_eq!(values[6..], [5.0, 0.0]);

        let counts = PerCategory::new(Count, 0..2);
        let mut cells = counts.empty_cells(1).unwrap();
        for category in [1.0, 1.0, 0.0, 2.0] {
            counts.fold(&mut cells, 0, category, Fragment::full(f64::NAN));
        }
        assert_eq!(cells, [1, 2]);
    }

    /// Cells filled and written in runs of pixels on several threads hold the same values as
    /// pixel-by-pixel arithmetic, whatever the category range held and the empty state
    /// (zero bytes for mean, NaN for min).
    #[test]
    fn cells_written_in_parallel_runs_are_every_pixel_s_own() {
        let pixels = 1001;
        let value = |p: usize, k: usize| (p * 7 + k * 3) as f64;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        for held in [0..4, 1..3, 3..4] {
            let mean = PerCategory::new(Values::<Mean>::new(DType::F64), held.clone());
            let min = PerCategory::new(Values::<Min>::new(DType::F64), held.clone());
            let (mut means, mut mins) =
                pool.install(|| (mean.empty_cells(pixels).unwrap(), min.empty_cells(pixels).unwrap()));
            // pixel p gets p % 5 items of category p % 4, and one of category (p + 1) % 4
            for p in 0..pixels {
                let items = (0..p % 5).map(|_| p % 4).chain([(p + 1) % 4]);
                for (i, k) in items.enumerate() {
                    mean.fold(&mut means, p, k as f64, Fragment::full(value(p, k) + i as f64));
                    min.fold(&mut mins, p, k as f64, Fragment::full(value(p, k) + i as f64));
                }
            }
            let (mut out_mean, mut out_min) = (vec![0xAAu8; pixels * 4 * 8], vec![0xAAu8; pixels * 4 * 8]);
            pool.install(|| {
                mean.write(&means, 4, &mut out_mean);
                min.write(&mins, 4, &mut out_min);
            });
            for p in 0..pixels {
                for k in 0..4 {
                    let at = (p * 4 + k) * 8;
                    let (got_mean, got_min) = (&out_mean[at..at + 8], &out_min[at..at + 8]);
                    if !held.contains(&k) {
                        assert_eq!(
                            (got_mean, got_min),
                            (&[0xAA; 8][..], &[0xAA; 8][..]),
                            "pixel {p}, channel {k}"
                        );
                        continue;
                    }
                    let own: Vec<f64> = (0..p % 5)
                        .map(|_| p % 4)
                        .chain([(p + 1) % 4])
                        .enumerate()
                        .filter(|&(_, c)| c == k)
                        .map(|(i, c)| value(p, c) + i as f64)
                        .collect();
                    let (expected_mean, expected_min) = match own.is_empty() {
                        true => (f64::NAN, f64::NAN),
                        false => (
                            own.iter().sum::<f64>() / own.len() as f64,
                            own.iter().copied().fold(f64::INFINITY, f64::min),
                        ),
                    };
                    let read = |b: &[u8]| f64::from_le_bytes(b.try_into().unwrap());
                    assert_eq!(
                        read(got_mean).to_bits(),
                        expected_mean.to_bits(),
                        "mean, pixel {p}, channel {k}"
                    );
                    assert_eq!(
                        read(got_min).to_bits(),
                        expected_min.to_bits(),
                        "min, pixel {p}, channel {k}"
                    );
                }
            }
        }
    }
}
