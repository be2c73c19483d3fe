//! Datashader's reductions along anti-aliased lines (`line_width > 0`), version 0.19.1's
//! rules for a single line (`reductions.py`, the `_append_antialias` functions, and
//! `antialias.py: two_stage_agg`). The glyph hands each pixel its coverage `aa` and
//! `prev`, the coverage the previous segment of the run already gave the pixel (see
//! [`crate::glyph::lines::draw_aa`]):
//!
//! - `count` ([`AaCount`]): a float32 aggregate initialised to NaN, `agg += aa - prev`;
//! - `sum` ([`AaSum`]): `agg += field * (aa - prev)`, float64, NaN where nothing was added,
//!   `field` being the value of the segment's start vertex;
//! - `mean` ([`AaMean`]): that sum (from 0) divided by a count that adds 1 where `prev == 0`;
//! - `max`, and also `min`, `first` and `last` ([`AaMax`]): Datashader's antialiased
//!   append of all four keeps the LARGEST `field * aa` per pixel, and as they are not
//!   additive each segment draws its full caps (`overwrite = true`, no join correction);
//! - `any` ([`AaAny`]): the largest coverage, float32;
//! - `count-cat` ([`AaCountCat`]): a float32 `(H, W, C)` aggregate, NaN where a category
//!   has no coverage, every pixel adding `aa - prev` to the plane of the segment's
//!   category. Datashader computes `prev` from the neighbouring segment whatever its
//!   category, so a plane gets what `count` gives for that category's segments with the
//!   joins of the whole polyline.
//!
//! `var` and `std` have no antialiased form in Datashader (it raises NotImplementedError);
//! gigaplot refuses them too.

use crate::data::DType;
use crate::reduce::{FamilyValue, Fragment, NoValue, ReadsValue, Reducer, ValueUse};
use crate::shade::family::{FloatCategoryFamily, FloatFamily};

/// Datashader's `agg[y, x] += delta` on a float32 aggregate initialised to NaN: the sum is
/// taken in f64 and rounded to f32.
#[inline]
pub fn add_coverage(cell: &mut f32, delta: f64) {
    *cell = if cell.is_nan() { delta as f32 } else { (f64::from(*cell) + delta) as f32 };
}

/// Merges float32 coverage `other` into `into` (Datashader's `nansum` of two stages).
fn merge_coverage(into: &mut f32, other: f32) {
    if !other.is_nan() {
        add_coverage(into, f64::from(other));
    }
}

/// `count` of anti-aliased lines: float32 coverage, NaN where no line passed.
#[derive(Clone, Copy, Debug, Default)]
pub struct AaCount;

impl Reducer for AaCount {
    type Cell = f32;
    type Family = FloatFamily;
    type Input = NoValue;
    const EMPTY: f32 = f32::NAN;

    fn dtype(&self) -> DType {
        DType::F32
    }
    fn plan_bytes(&self) -> u32 {
        4
    }
    #[inline(always)]
    fn fold(&self, tile: &mut [f32], pixel: usize, fragment: Fragment) {
        add_coverage(&mut tile[pixel], fragment.aa - fragment.prev);
    }
    fn merge(&self, into: &mut f32, other: &f32) {
        merge_coverage(into, *other);
    }
    fn values<'v>(&self, cells: &'v [f32], scratch: &'v mut Vec<f64>) -> &'v [FamilyValue<Self>] {
        scratch.clear();
        scratch.extend(cells.iter().map(|&v| f64::from(v)));
        scratch
    }
}

/// The per-pixel state of a value reduction along anti-aliased lines.
pub trait AaAccumulator: bytemuck::Pod + Send + Sync {
    /// The state of a pixel no line reached.
    const EMPTY: Self;
    /// Datashader's `overwrite`: true when the reduction is not additive, so every segment
    /// draws its full caps and reports `prev = 0`.
    const OVERWRITE: bool;
    /// Element type of Datashader's aggregate.
    const DTYPE: DType = DType::F64;
    /// Whether `add` reads `field`.
    type Input: ValueUse;
    /// Adds `field` (the start vertex's value, maybe NaN) at coverage `aa`, `prev` being
    /// the coverage the previous segment of the run gave this pixel.
    fn add(&mut self, field: f64, aa: f64, prev: f64);
    /// Merges another line's state of the same pixel into this one (Datashader's second
    /// stage of several series: `nansum` of sums, maximum of maxima).
    fn merge(&mut self, other: &Self);
    /// The pixel's result, NaN when empty.
    fn finish(&self) -> f64;
}

/// `sum`: `field * (aa - prev)` summed in float64 from NaN.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct AaSum(f64);

impl AaAccumulator for AaSum {
    const EMPTY: Self = AaSum(f64::NAN);
    const OVERWRITE: bool = false;
    type Input = ReadsValue;
    #[inline(always)]
    fn add(&mut self, field: f64, aa: f64, prev: f64) {
        let value = field * (aa - prev);
        if !value.is_nan() {
            self.0 = if self.0.is_nan() { value } else { self.0 + value };
        }
    }
    fn merge(&mut self, other: &Self) {
        self.add(other.0, 1.0, 0.0);
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// `mean`: Datashader's `_sum_zero` over `_count_ignore_antialiasing`.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct AaMean {
    sum: f64,
    n: u32,
    /// Explicit padding, so the cell is plain bytes (spilled band aggregates).
    _pad: u32,
}

impl AaAccumulator for AaMean {
    const EMPTY: Self = AaMean { sum: 0.0, n: 0, _pad: 0 };
    const OVERWRITE: bool = false;
    type Input = ReadsValue;
    #[inline(always)]
    fn add(&mut self, field: f64, aa: f64, prev: f64) {
        let value = field * (aa - prev);
        if !value.is_nan() {
            self.sum += value;
        }
        if !field.is_nan() && prev == 0.0 {
            self.n += 1;
        }
    }
    fn merge(&mut self, other: &Self) {
        self.sum += other.sum;
        self.n += other.n;
    }
    fn finish(&self) -> f64 {
        if self.n > 0 {
            self.sum / f64::from(self.n)
        } else {
            f64::NAN
        }
    }
}

/// `max` (and Datashader's antialiased `min`, `first`, `last`): the largest `field * aa`.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct AaMax(f64);

impl AaAccumulator for AaMax {
    const EMPTY: Self = AaMax(f64::NAN);
    const OVERWRITE: bool = true;
    type Input = ReadsValue;
    #[inline(always)]
    fn add(&mut self, field: f64, aa: f64, _prev: f64) {
        let value = field * aa;
        if !value.is_nan() && (self.0.is_nan() || value > self.0) {
            self.0 = value;
        }
    }
    fn merge(&mut self, other: &Self) {
        self.add(other.0, 1.0, 0.0);
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// `any`: the largest coverage, in Datashader's float32 aggregate.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct AaAny(AaMax);

impl AaAccumulator for AaAny {
    const EMPTY: Self = AaAny(AaMax::EMPTY);
    const OVERWRITE: bool = true;
    const DTYPE: DType = DType::F32;
    type Input = NoValue;
    #[inline(always)]
    fn add(&mut self, _field: f64, aa: f64, prev: f64) {
        self.0.add(1.0, aa, prev);
    }
    fn merge(&mut self, other: &Self) {
        self.0.merge(&other.0);
    }
    fn finish(&self) -> f64 {
        // Rounding is monotonic: the f32 maximum Datashader keeps is the rounded maximum.
        f64::from(self.0.finish() as f32)
    }
}

/// A value reduction along anti-aliased lines of accumulator `A`, NaN for empty pixels.
#[derive(Clone, Copy, Debug, Default)]
pub struct AaValues<A> {
    accumulator: std::marker::PhantomData<A>,
}

impl<A: AaAccumulator> AaValues<A> {
    /// The reduction.
    pub fn new() -> AaValues<A> {
        AaValues { accumulator: std::marker::PhantomData }
    }
}

impl<A: AaAccumulator> Reducer for AaValues<A> {
    type Cell = A;
    type Family = FloatFamily;
    type Input = A::Input;
    const OVERWRITE: bool = A::OVERWRITE;
    const EMPTY: A = A::EMPTY;

    fn dtype(&self) -> DType {
        A::DTYPE
    }
    fn plan_bytes(&self) -> u32 {
        24
    }
    #[inline(always)]
    fn fold(&self, tile: &mut [A], pixel: usize, fragment: Fragment) {
        tile[pixel].add(fragment.value, fragment.aa, fragment.prev);
    }
    fn merge(&self, into: &mut A, other: &A) {
        into.merge(other);
    }
    fn values<'v>(&self, cells: &'v [A], scratch: &'v mut Vec<f64>) -> &'v [FamilyValue<Self>] {
        scratch.clear();
        scratch.extend(cells.iter().map(A::finish));
        scratch
    }
}

/// `count-cat` of anti-aliased lines: `categories` float32 coverages per pixel.
#[derive(Clone, Copy, Debug)]
pub struct AaCountCat {
    categories: usize,
}

impl AaCountCat {
    /// Coverage of categories `0 .. categories`.
    pub fn new(categories: usize) -> AaCountCat {
        AaCountCat { categories }
    }
}

impl Reducer for AaCountCat {
    type Cell = f32;
    type Family = FloatCategoryFamily;
    type Input = ReadsValue;
    const EMPTY: f32 = f32::NAN;

    fn channels(&self) -> usize {
        self.categories
    }
    fn dtype(&self) -> DType {
        DType::F32
    }
    fn plan_bytes(&self) -> u32 {
        4 * self.categories as u32
    }
    #[inline(always)]
    fn fold(&self, tile: &mut [f32], pixel: usize, fragment: Fragment) {
        let (category, c) = (fragment.value, self.categories);
        // Categories out of range were reported when the column was read.
        if category >= 0.0 && category < c as f64 {
            add_coverage(&mut tile[pixel * c + category as usize], fragment.aa - fragment.prev);
        }
    }
    fn merge(&self, into: &mut f32, other: &f32) {
        merge_coverage(into, *other);
    }
    fn values<'v>(&self, cells: &'v [f32], _scratch: &'v mut Vec<f32>) -> &'v [FamilyValue<Self>] {
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_adds_in_f64_and_rounds_to_f32_from_nan() {
        let mut c = f32::NAN;
        add_coverage(&mut c, 0.25);
        assert_eq!(c, 0.25);
        add_coverage(&mut c, 1e-9);
        assert_eq!(c, (0.25f64 + 1e-9) as f32);
        add_coverage(&mut c, -0.25);
        assert_eq!(c, ((0.25f64 + 1e-9) as f32 as f64 - 0.25) as f32);
    }

    #[test]
    fn count_cat_adds_coverage_to_its_category() {
        let reducer = AaCountCat::new(2);
        let mut tile = [f32::NAN; 4];
        reducer.fold(&mut tile, 1, Fragment { value: 1.0, aa: 0.75, prev: 0.25, item: 0 });
        reducer.fold(&mut tile, 1, Fragment { value: 5.0, aa: 1.0, prev: 0.0, item: 0 });
        assert!(tile[0].is_nan() && tile[1].is_nan() && tile[2].is_nan());
        assert_eq!(tile[3], 0.5);
    }

    #[test]
    fn accumulators_follow_datashader_appends() {
        let mut s = AaSum::EMPTY;
        assert!(s.finish().is_nan());
        s.add(2.0, 0.75, 0.25);
        s.add(f64::NAN, 1.0, 0.0);
        s.add(-1.0, 0.5, 0.0);
        assert_eq!(s.finish(), 2.0 * 0.5 - 0.5);
        let mut m = AaMean::EMPTY;
        m.add(4.0, 0.5, 0.0);
        m.add(2.0, 0.75, 0.5);
        assert_eq!(m.finish(), 4.0 * 0.5 + 2.0 * 0.25);
        m.add(f64::NAN, 1.0, 0.0);
        m.add(6.0, 1.0, 0.0);
        assert_eq!(m.finish(), (2.5 + 6.0) / 2.0);
        let mut joined = AaMean::EMPTY;
        joined.add(3.0, 0.5, 0.25);
        assert!(joined.finish().is_nan(), "no count where only a join correction landed");
        let mut x = AaMax::EMPTY;
        x.add(-2.0, 0.25, 0.0);
        x.add(-2.0, 1.0, 0.0);
        x.add(f64::NAN, 1.0, 0.0);
        assert_eq!(x.finish(), -0.5);
        let mut a = AaAny::EMPTY;
        a.add(f64::NAN, 0.1, 0.0);
        assert_eq!(a.finish(), f64::from(0.1f32));
    }
}
