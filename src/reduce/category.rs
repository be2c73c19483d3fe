//! `count-cat`: one count per category per pixel, like Datashader's `ds.by(cat, ds.count())`,
//! for points and width-0 lines (a line's pixels count for the category of the segment's
//! start vertex).

use crate::data::DType;
use crate::reduce::{FamilyValue, Fragment, ReadsValue, Reducer};
use crate::shade::family::CategoryFamily;

/// `count-cat` of `categories` categories: `categories` u32 per pixel.
#[derive(Clone, Copy, Debug)]
pub struct CountCat {
    categories: usize,
}

impl CountCat {
    /// Counts of categories `0 .. categories` (values of the category column, checked to
    /// lie in that range before the render).
    pub fn new(categories: usize) -> CountCat {
        CountCat { categories }
    }
}

impl Reducer for CountCat {
    type Cell = u32;
    type Family = CategoryFamily;
    type Input = ReadsValue;
    const EMPTY: u32 = 0;
    const MERGES_IN_ANY_ORDER: bool = true;

    fn channels(&self) -> usize {
        self.categories
    }
    fn dtype(&self) -> DType {
        DType::U32
    }
    fn plan_bytes(&self) -> u32 {
        4 * self.categories as u32
    }
    #[inline(always)]
    fn fold(&self, tile: &mut [u32], pixel: usize, fragment: Fragment) {
        // The category (checked to be in range when the column was read); a null (NaN)
        // category counts for none.
        if !fragment.value.is_nan() {
            tile[pixel * self.categories + fragment.value as usize] += 1;
        }
    }
    fn merge(&self, into: &mut u32, other: &u32) {
        *into = into.saturating_add(*other);
    }
    fn values<'v>(&self, cells: &'v [u32], _scratch: &'v mut Vec<u32>) -> &'v [FamilyValue<Self>] {
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_category_counts_in_its_channel() {
        let reducer = CountCat::new(3);
        let mut tile = [0u32; 6];
        for (pixel, category) in [(0, 2.0), (1, 0.0), (1, 0.0), (0, 1.0), (0, f64::NAN), (1, f64::NAN)] {
            reducer.fold(&mut tile, pixel, Fragment::full(category));
        }
        assert_eq!(tile, [0, 1, 1, 2, 0, 0]);
        assert_eq!((reducer.channels(), reducer.plan_bytes()), (3, 12));
    }
}
