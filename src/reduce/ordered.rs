//! `first` and `last` that remember which input item gave each pixel its value: what a
//! pyramid's coarser levels need to be Datashader's `first` / `last` on their own canvas.
//!
//! A coarse pixel merges the states of the finest pixels below it. Without the item, the
//! merge can only pick a finest pixel by position (the first non-empty one in Z order),
//! which is not the first point in input order when several finest pixels hold points.
//! With it, the merge keeps the state of the earliest (`first`) or latest (`last`) item,
//! so every level equals the flat render of the data on that level's canvas. The cost is
//! 8 bytes more per pixel of every band (16 instead of 8) and 8 bytes more per record of
//! the partition's scratch file (`crate::glyph::record::Indexed`); flat renders keep
//! [`crate::reduce::First`] and [`crate::reduce::Last`].

use crate::data::DType;
use crate::reduce::{FamilyValue, Fragment, ReadsValueInOrder, Reducer};
use crate::shade::family::FloatFamily;

/// A pixel's value and the index in input order of the item it came from (meaningless
/// while the value is NaN: the pixel is empty).
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct Placed {
    value: f64,
    item: u64,
}

impl Placed {
    /// The pixel's result, NaN when empty.
    pub fn value(&self) -> f64 {
        self.value
    }
}

/// `first` (`LAST = false`) or `last` (`LAST = true`) keeping each pixel's input item:
/// the reduction of a `first` / `last` pyramid. Values are those of
/// [`crate::reduce::Values`] of [`crate::reduce::First`] / [`crate::reduce::Last`].
#[derive(Clone, Copy, Debug)]
pub struct InOrder<const LAST: bool> {
    dtype: DType,
}

impl<const LAST: bool> InOrder<LAST> {
    /// The reduction of a value column of type `column`: exported as float32 for a float32
    /// column (it picks one of its values), else as float64.
    pub fn new(column: DType) -> InOrder<LAST> {
        InOrder { dtype: if column == DType::F32 { DType::F32 } else { DType::F64 } }
    }

    /// True when `item` replaces the state of a pixel holding `held` (not empty):
    /// earlier for `first`, later (or the same, a segment drawn again) for `last`.
    #[inline(always)]
    fn wins(item: u64, held: u64) -> bool {
        if LAST {
            item >= held
        } else {
            item < held
        }
    }
}

impl<const LAST: bool> Reducer for InOrder<LAST> {
    type Cell = Placed;
    type Family = FloatFamily;
    type Input = ReadsValueInOrder;
    const EMPTY: Placed = Placed { value: f64::NAN, item: 0 };

    fn dtype(&self) -> DType {
        self.dtype
    }
    /// The value reductions' 24 bytes, and the item's 8.
    fn plan_bytes(&self) -> u32 {
        32
    }
    #[inline(always)]
    fn fold(&self, tile: &mut [Placed], pixel: usize, fragment: Fragment) {
        let cell = &mut tile[pixel];
        if !fragment.value.is_nan() && (cell.value.is_nan() || Self::wins(fragment.item, cell.item)) {
            *cell = Placed { value: fragment.value, item: fragment.item };
        }
    }
    #[inline(always)]
    fn merge(&self, into: &mut Placed, other: &Placed) {
        if !other.value.is_nan() && (into.value.is_nan() || Self::wins(other.item, into.item)) {
            *into = *other;
        }
    }
    fn values<'v>(&self, cells: &'v [Placed], scratch: &'v mut Vec<f64>) -> &'v [FamilyValue<Self>] {
        scratch.clear();
        scratch.extend(cells.iter().map(Placed::value));
        scratch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of folding `(value, item)` fragments in order into one pixel, then of
    /// merging two such pixels.
    #[test]
    fn the_earliest_or_latest_item_wins_whatever_the_merge_order() {
        let fold = |r: &dyn Fn(&mut [Placed], Fragment), frags: &[(f64, u64)]| {
            let mut cell = [Placed { value: f64::NAN, item: 0 }];
            for &(v, i) in frags {
                r(&mut cell, Fragment::of_item(v, i));
            }
            cell[0]
        };
        let first = InOrder::<false>::new(DType::F64);
        let last = InOrder::<true>::new(DType::F64);
        let f = |cells: &mut [Placed], frag| first.fold(cells, 0, frag);
        let l = |cells: &mut [Placed], frag| last.fold(cells, 0, frag);
        assert_eq!(fold(&f, &[(2.0, 5), (f64::NAN, 1), (3.0, 9)]).value(), 2.0);
        assert_eq!(fold(&l, &[(2.0, 5), (3.0, 9), (f64::NAN, 12)]).value(), 3.0);
        assert!(fold(&f, &[(f64::NAN, 1)]).value().is_nan());
        // Two pixels' states merged either way round keep the earliest / latest item.
        let (a, b) = ([(7.0, 40), (8.0, 41)], [(1.0, 3), (9.0, 50)]);
        for (x, y) in [(&a, &b), (&b, &a)] {
            let mut into = fold(&f, x);
            first.merge(&mut into, &fold(&f, y));
            assert_eq!(into.value(), 1.0);
            let mut into = fold(&l, x);
            last.merge(&mut into, &fold(&l, y));
            assert_eq!(into.value(), 9.0);
        }
        let late = fold(&f, &a);
        let mut empty = Placed { value: f64::NAN, item: 0 };
        first.merge(&mut empty, &late);
        assert_eq!(empty.value(), 7.0);
    }
}
