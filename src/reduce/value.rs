//! Reductions of a value column per pixel: sum, mean, var, std, min, max, first, last,
//! with Datashader's semantics (float64 results, NaN for empty pixels, NaN values skipped,
//! population variance).

use rayon::prelude::*;

use crate::canvas::Plan;
use crate::error::Result;
use crate::partition::{Partition, Record, ValueRecord};
use crate::reduce::tiles::{for_each_tile_window, TileLayout};

/// The per-pixel state of a value reduction.
pub trait Accumulator: Copy + Send + Sync + 'static {
    /// The state of a pixel no value reached.
    const EMPTY: Self;
    /// Adds a (non-NaN) value; values arrive in input order.
    fn add(&mut self, value: f64);
    /// The pixel's result, NaN when empty.
    fn finish(&self) -> f64;
}

/// `sum`: the sum of the values.
#[derive(Clone, Copy, Debug)]
pub struct Sum(f64);

impl Accumulator for Sum {
    const EMPTY: Self = Sum(f64::NAN);
    #[inline(always)]
    fn add(&mut self, value: f64) {
        self.0 = if self.0.is_nan() { value } else { self.0 + value };
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// `mean`: sum / count of the values.
#[derive(Clone, Copy, Debug)]
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
#[derive(Clone, Copy, Debug)]
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
    fn finish(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.m2 / self.n as f64
        }
    }
}

/// `std`: the square root of the population variance.
#[derive(Clone, Copy, Debug)]
pub struct Std(Var);

impl Accumulator for Std {
    const EMPTY: Self = Std(Var::EMPTY);
    #[inline(always)]
    fn add(&mut self, value: f64) {
        self.0.add(value);
    }
    fn finish(&self) -> f64 {
        self.0.finish().sqrt()
    }
}

/// `min`: the smallest value.
#[derive(Clone, Copy, Debug)]
pub struct Min(f64);

impl Accumulator for Min {
    const EMPTY: Self = Min(f64::NAN);
    #[inline(always)]
    fn add(&mut self, value: f64) {
        if self.0.is_nan() || value < self.0 {
            self.0 = value;
        }
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// `max`: the largest value.
#[derive(Clone, Copy, Debug)]
pub struct Max(f64);

impl Accumulator for Max {
    const EMPTY: Self = Max(f64::NAN);
    #[inline(always)]
    fn add(&mut self, value: f64) {
        if self.0.is_nan() || value > self.0 {
            self.0 = value;
        }
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// `first`: the first value in input order.
#[derive(Clone, Copy, Debug)]
pub struct First(f64);

impl Accumulator for First {
    const EMPTY: Self = First(f64::NAN);
    #[inline(always)]
    fn add(&mut self, value: f64) {
        if self.0.is_nan() {
            self.0 = value;
        }
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// `last`: the last value in input order.
#[derive(Clone, Copy, Debug)]
pub struct Last(f64);

impl Accumulator for Last {
    const EMPTY: Self = Last(f64::NAN);
    #[inline(always)]
    fn add(&mut self, value: f64) {
        self.0 = value;
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// The aggregate of one band for a value reduction, stored tile by tile.
#[derive(Debug)]
pub struct ValueBand<A> {
    pub(super) layout: Option<TileLayout>,
    pub(super) cells: Vec<A>,
}

impl<A> Default for ValueBand<A> {
    fn default() -> Self {
        ValueBand { layout: None, cells: Vec::new() }
    }
}

impl<A: Accumulator> ValueBand<A> {
    /// Aggregates band `band` of `plan` from `partition` (records carrying values).
    pub fn aggregate(&mut self, plan: &Plan, partition: &Partition, band: u32) -> Result<()> {
        let rows = plan.band_rows(band);
        let layout = TileLayout::new(plan, rows.end - rows.start);
        self.cells.clear();
        self.cells.resize(layout.pixels(), A::EMPTY);
        {
            let mut tiles = layout.split_tiles_mut(&mut self.cells);
            for_each_tile_window(partition, band, &layout, &mut tiles, |tile, records: &[ValueRecord]| {
                for r in records {
                    let value = r.value();
                    if !value.is_nan() {
                        tile[r.pixel() as usize].add(value);
                    }
                }
            })?;
        }
        self.layout = Some(layout);
        Ok(())
    }

    /// Rows in the band.
    pub fn rows(&self) -> u32 {
        self.layout.as_ref().map_or(0, |l| l.rows())
    }

    /// The finished values of band row `row` (NaN = empty), into `out` (one per column).
    pub fn finish_row(&self, row: u32, out: &mut [f64]) {
        let layout = self.layout.as_ref().expect("band aggregated before use");
        for (x0, cells) in layout.row_pieces(&self.cells, row) {
            for (o, c) in out[x0 as usize..x0 as usize + cells.len()].iter_mut().zip(cells) {
                *o = c.finish();
            }
        }
    }

    /// Calls `f` with every finished row of the band, rows in parallel, in any order.
    pub fn for_each_finished_row<F: Fn(u32, &[f64]) + Sync>(&self, width: usize, f: F) {
        (0..self.rows()).into_par_iter().for_each_init(
            || vec![0f64; width],
            |buffer, row| {
                self.finish_row(row, buffer);
                f(row, buffer);
            },
        );
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
}
