//! `count` (how many fragments fell in each pixel, u32, Datashader's `ds.count()` on points
//! and width-0 lines) and `any` (whether any did, exported as bool); with a value column,
//! [`NotNan`] of them counts only the fragments whose value is not NaN (`ds.count("v")`,
//! `ds.any("v")`).

use crate::data::DType;
use crate::reduce::{FamilyValue, Fragment, NoValue, ReadsValue, Reducer};
use crate::shade::family::CountFamily;

/// `count`: u32 counts.
#[derive(Clone, Copy, Debug, Default)]
pub struct Count;

impl Reducer for Count {
    type Cell = u32;
    type Family = CountFamily;
    type Input = NoValue;
    const EMPTY: u32 = 0;
    const MERGES_IN_ANY_ORDER: bool = true;

    fn dtype(&self) -> DType {
        DType::U32
    }
    fn plan_bytes(&self) -> u32 {
        4
    }
    #[inline(always)]
    fn fold(&self, tile: &mut [u32], pixel: usize, _fragment: Fragment) {
        tile[pixel] += 1;
    }
    fn merge(&self, into: &mut u32, other: &u32) {
        *into = into.saturating_add(*other);
    }
    fn counted(&self, n: u32) -> Option<u32> {
        Some(n)
    }
    fn values<'v>(&self, cells: &'v [u32], _scratch: &'v mut Vec<u32>) -> &'v [FamilyValue<Self>] {
        cells
    }
}

/// `any`: 1 where a fragment fell, 0 elsewhere; exported as bool and shaded as counts.
#[derive(Clone, Copy, Debug, Default)]
pub struct Any;

impl Reducer for Any {
    type Cell = u32;
    type Family = CountFamily;
    type Input = NoValue;
    const EMPTY: u32 = 0;
    const MERGES_IN_ANY_ORDER: bool = true;

    fn dtype(&self) -> DType {
        DType::Bool
    }
    fn plan_bytes(&self) -> u32 {
        4
    }
    #[inline(always)]
    fn fold(&self, tile: &mut [u32], pixel: usize, _fragment: Fragment) {
        tile[pixel] = 1;
    }
    fn merge(&self, into: &mut u32, other: &u32) {
        *into = (*into).max(*other);
    }
    fn counted(&self, n: u32) -> Option<u32> {
        Some(n.min(1))
    }
    fn values<'v>(&self, cells: &'v [u32], _scratch: &'v mut Vec<u32>) -> &'v [FamilyValue<Self>] {
        cells
    }
}

/// `R` (count or any) of a value column: only the fragments whose value is not NaN fold
/// (Datashader's `count("v")`, `any("v")`), so the records carry the values.
#[derive(Clone, Copy, Debug, Default)]
pub struct NotNan<R>(pub R);

impl<R: Reducer<Input = NoValue>> Reducer for NotNan<R> {
    type Cell = R::Cell;
    type Family = R::Family;
    type Input = ReadsValue;
    const OVERWRITE: bool = R::OVERWRITE;
    const EMPTY: R::Cell = R::EMPTY;
    const MERGES_IN_ANY_ORDER: bool = R::MERGES_IN_ANY_ORDER;

    fn channels(&self) -> usize {
        self.0.channels()
    }
    fn dtype(&self) -> DType {
        self.0.dtype()
    }
    fn plan_bytes(&self) -> u32 {
        self.0.plan_bytes()
    }
    #[inline(always)]
    fn fold(&self, tile: &mut [R::Cell], pixel: usize, fragment: Fragment) {
        if !fragment.value.is_nan() {
            self.0.fold(tile, pixel, fragment);
        }
    }
    fn merge(&self, into: &mut R::Cell, other: &R::Cell) {
        self.0.merge(into, other);
    }
    fn values<'v>(
        &self,
        cells: &'v [R::Cell],
        scratch: &'v mut Vec<FamilyValue<Self>>,
    ) -> &'v [FamilyValue<Self>] {
        self.0.values(cells, scratch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_adds_and_any_marks() {
        let mut tile = [Count::EMPTY; 3];
        for p in [0, 2, 2] {
            Count.fold(&mut tile, p, Fragment::full(f64::NAN));
        }
        assert_eq!(tile, [1, 0, 2]);
        let mut marks = [Any::EMPTY; 3];
        for p in [0, 2, 2] {
            Any.fold(&mut marks, p, Fragment::full(f64::NAN));
        }
        assert_eq!(marks, [1, 0, 1]);
        let mut a = 2;
        Count.merge(&mut a, &3);
        assert_eq!(a, 5);
        Any.merge(&mut marks[1], &1);
        assert_eq!(marks[1], 1);
        // of a value column: NaN values fold nothing
        let (mut counts, mut marks) = ([0u32; 2], [0u32; 2]);
        for (p, v) in [(0, 1.0), (0, f64::NAN), (1, f64::NAN), (0, -2.0)] {
            NotNan(Count).fold(&mut counts, p, Fragment::full(v));
            NotNan(Any).fold(&mut marks, p, Fragment::full(v));
        }
        assert_eq!((counts, marks), ([2, 0], [1, 0]));
        assert_eq!((NotNan(Any).dtype(), NotNan(Count).counted(3)), (DType::Bool, None));
    }
}
