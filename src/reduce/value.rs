//! Reductions of a value column per pixel: sum, mean, var, std, min, max, first, last,
//! with Datashader's semantics (float64 results, NaN for empty pixels, NaN values skipped,
//! population variance), for points and width-0 lines alike: a line's pixels get the value
//! of the segment's start vertex.
//!
//! Each is an [`Accumulator`] (its per-pixel state); [`Values`] makes any accumulator a
//! [`Reducer`] of the float family.

use crate::data::DType;
use crate::reduce::{FamilyValue, Fragment, ReadsValue, Reducer};
use crate::shade::family::FloatFamily;

/// The per-pixel state of a value reduction.
pub trait Accumulator: bytemuck::Pod + Send + Sync {
    /// The state of a pixel no value reached.
    const EMPTY: Self;
    /// True when the result of a float32 column is a float32 (min, max, first, last pick
    /// one of its values); sums and moments are float64.
    const KEEPS_FLOAT32: bool = false;
    /// Adds a (non-NaN) value; values arrive in input order.
    fn add(&mut self, value: f64);
    /// Merges the state of later values into this one.
    fn merge(&mut self, later: &Self);
    /// The pixel's result, NaN when empty.
    fn finish(&self) -> f64;
}

/// `sum`: the sum of the values.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct Sum(f64);

impl Accumulator for Sum {
    const EMPTY: Self = Sum(f64::NAN);
    #[inline(always)]
    fn add(&mut self, value: f64) {
        self.0 = if self.0.is_nan() { value } else { self.0 + value };
    }
    fn merge(&mut self, later: &Self) {
        if !later.0.is_nan() {
            self.add(later.0);
        }
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// `mean`: sum / count of the values.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct Mean {
    sum: f64,
    n: u64,
}

impl Accumulator for Mean {
    const EMPTY: Self = Mean { sum: 0.0, n: 0 };
    #[inline(always)]
    fn add(&mut self, value: f64) {
        self.sum += value;
        self.n += 1;
    }
    fn merge(&mut self, later: &Self) {
        self.sum += later.sum;
        self.n += later.n;
    }
    fn finish(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.sum / self.n as f64
        }
    }
}

/// `var`: population variance, updated as Datashader's `m2` reduction does (from the
/// running sum and count before each value), so results match it to the last bit.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct Var {
    n: u64,
    sum: f64,
    m2: f64,
}

impl Accumulator for Var {
    const EMPTY: Self = Var { n: 0, sum: 0.0, m2: 0.0 };
    #[inline(always)]
    fn add(&mut self, value: f64) {
        if self.n > 0 {
            let before = self.sum / self.n as f64;
            let after = (self.sum + value) / (self.n + 1) as f64;
            self.m2 += (value - before) * (value - after);
        }
        self.sum += value;
        self.n += 1;
    }
    /// Chan et al.'s pairwise update: exact in real arithmetic, not bit for bit the
    /// sequential one.
    fn merge(&mut self, later: &Self) {
        if later.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *later;
            return;
        }
        let (na, nb) = (self.n as f64, later.n as f64);
        let delta = later.sum / nb - self.sum / na;
        self.m2 += later.m2 + delta * delta * na * nb / (na + nb);
        self.sum += later.sum;
        self.n += later.n;
    }
    fn finish(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.m2 / self.n as f64
        }
    }
}

/// `std`: the square root of the population variance.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct Std(Var);

impl Accumulator for Std {
    const EMPTY: Self = Std(Var::EMPTY);
    #[inline(always)]
    fn add(&mut self, value: f64) {
        self.0.add(value);
    }
    fn merge(&mut self, later: &Self) {
        self.0.merge(&later.0);
    }
    fn finish(&self) -> f64 {
        self.0.finish().sqrt()
    }
}

/// `min`: the smallest value.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct Min(f64);

impl Accumulator for Min {
    const EMPTY: Self = Min(f64::NAN);
    const KEEPS_FLOAT32: bool = true;
    #[inline(always)]
    fn add(&mut self, value: f64) {
        if self.0.is_nan() || value < self.0 {
            self.0 = value;
        }
    }
    fn merge(&mut self, later: &Self) {
        if !later.0.is_nan() {
            self.add(later.0);
        }
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// `max`: the largest value.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct Max(f64);

impl Accumulator for Max {
    const EMPTY: Self = Max(f64::NAN);
    const KEEPS_FLOAT32: bool = true;
    #[inline(always)]
    fn add(&mut self, value: f64) {
        if self.0.is_nan() || value > self.0 {
            self.0 = value;
        }
    }
    fn merge(&mut self, later: &Self) {
        if !later.0.is_nan() {
            self.add(later.0);
        }
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// `first`: the first value in input order.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct First(f64);

impl Accumulator for First {
    const EMPTY: Self = First(f64::NAN);
    const KEEPS_FLOAT32: bool = true;
    #[inline(always)]
    fn add(&mut self, value: f64) {
        if self.0.is_nan() {
            self.0 = value;
        }
    }
    fn merge(&mut self, later: &Self) {
        if !later.0.is_nan() {
            self.add(later.0);
        }
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// `last`: the last value in input order.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct Last(f64);

impl Accumulator for Last {
    const EMPTY: Self = Last(f64::NAN);
    const KEEPS_FLOAT32: bool = true;
    #[inline(always)]
    fn add(&mut self, value: f64) {
        self.0 = value;
    }
    fn merge(&mut self, later: &Self) {
        if !later.0.is_nan() {
            self.add(later.0);
        }
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// A value reduction of accumulator `A`: float values, NaN for empty pixels, NaN values
/// skipped.
#[derive(Clone, Copy, Debug)]
pub struct Values<A> {
    dtype: DType,
    accumulator: std::marker::PhantomData<A>,
}

impl<A: Accumulator> Values<A> {
    /// The reduction of a value column of type `column`: exported as float32 when `A`
    /// keeps a float32 column's values, else as float64.
    pub fn new(column: DType) -> Values<A> {
        let dtype = if A::KEEPS_FLOAT32 && column == DType::F32 { DType::F32 } else { DType::F64 };
        Values { dtype, accumulator: std::marker::PhantomData }
    }
}

impl<A: Accumulator> Reducer for Values<A> {
    type Cell = A;
    type Family = FloatFamily;
    type Input = ReadsValue;
    const EMPTY: A = A::EMPTY;

    fn dtype(&self) -> DType {
        self.dtype
    }
    /// The accumulator's own size (8 to 24 bytes: var holds n, sum and m2), so canvases of
    /// the smaller ones fit one band (max of 2000^2 in 32 MB, not 96).
    fn plan_bytes(&self) -> u32 {
        std::mem::size_of::<A>() as u32
    }
    #[inline(always)]
    fn fold(&self, tile: &mut [A], pixel: usize, fragment: Fragment) {
        if !fragment.value.is_nan() {
            tile[pixel].add(fragment.value);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run<A: Accumulator>(values: &[f64]) -> f64 {
        let mut a = A::EMPTY;
        for &v in values {
            if !v.is_nan() {
                a.add(v);
            }
        }
        a.finish()
    }

    #[test]
    fn accumulators_follow_datashader() {
        let v = [2.0, f64::NAN, 4.0, 9.0];
        assert_eq!(run::<Sum>(&v), 15.0);
        assert_eq!(run::<Mean>(&v), 5.0);
        let var = ((2.0f64 - 5.0).powi(2) + 1.0 + 16.0) / 3.0;
        assert!((run::<Var>(&v) - var).abs() < 1e-12);
        assert!((run::<Std>(&v) - var.sqrt()).abs() < 1e-12);
        assert_eq!(run::<Min>(&v), 2.0);
        assert_eq!(run::<Max>(&v), 9.0);
        assert_eq!(run::<First>(&v), 2.0);
        assert_eq!(run::<Last>(&v), 9.0);
        for f in [run::<Sum>, run::<Mean>, run::<Var>, run::<Min>, run::<First>, run::<Last>] {
            assert!(f(&[]).is_nan());
            assert!(f(&[f64::NAN]).is_nan());
        }
        assert_eq!(run::<Var>(&[3.0]), 0.0);
    }

    /// Accumulates `values`, split in two at every point and merged.
    fn split<A: Accumulator>(values: &[f64]) -> Vec<f64> {
        (0..=values.len())
            .map(|at| {
                let (mut a, mut b) = (A::EMPTY, A::EMPTY);
                values[..at].iter().filter(|v| !v.is_nan()).for_each(|&v| a.add(v));
                values[at..].iter().filter(|v| !v.is_nan()).for_each(|&v| b.add(v));
                a.merge(&b);
                a.finish()
            })
            .collect()
    }

    #[test]
    fn merging_two_runs_gives_the_run_of_both() {
        let v = [2.0, f64::NAN, 4.0, 9.0, -1.5];
        for (name, want, got) in [
            ("sum", run::<Sum>(&v), split::<Sum>(&v)),
            ("mean", run::<Mean>(&v), split::<Mean>(&v)),
            ("min", run::<Min>(&v), split::<Min>(&v)),
            ("max", run::<Max>(&v), split::<Max>(&v)),
            ("first", run::<First>(&v), split::<First>(&v)),
            ("last", run::<Last>(&v), split::<Last>(&v)),
            ("var", run::<Var>(&v), split::<Var>(&v)),
            ("std", run::<Std>(&v), split::<Std>(&v)),
        ] {
            for g in got {
                assert!((g - want).abs() <= 1e-12 * want.abs(), "{name}: {g} != {want}");
            }
        }
        let mut empty = Sum::EMPTY;
        empty.merge(&Sum::EMPTY);
        assert!(empty.finish().is_nan());
    }
}
