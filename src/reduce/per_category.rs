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
    pub fn empty_cells(&self, pixels: usize) -> Option<Vec<R::Cell>> {
        let len = pixels.checked_mul(self.categories.len())?;
        let mut cells = Vec::new();
        cells.try_reserve_exact(len).ok()?;
        cells.resize(len, R::EMPTY);
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
    pub fn write(&self, cells: &[R::Cell], total: usize, out: &mut [u8]) {
        let held = self.categories.len();
        let size = self.dtype().size();
        let mut scratch = Vec::new();
        for (pixel, cells) in cells.chunks_exact(held.max(1)).enumerate() {
            let values = self.inner.values(cells, &mut scratch);
            let at = (pixel * total + self.categories.start) * size;
            R::Family::write(values, self.dtype(), &mut out[at..at + held * size]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduce::{Count, Mean, Values};

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
}
