//! Value reductions along anti-aliased lines (`--line-width W > 0`), with Datashader
//! 0.19.1's rules for a single line (`reductions.py`, the `_append_antialias` functions, and
//! `antialias.py: two_stage_agg`): the value `field` of the segment's start vertex is
//! weighted by the pixel's coverage `aa` (and `prev`, the coverage the previous segment of
//! the run already gave the pixel, see [`crate::glyph::lines::draw_aa`]).
//!
//! - `sum` ([`AaSum`]): `agg += field * (aa - prev)`, float64, NaN where nothing was added.
//! - `mean` ([`AaMean`]): that sum (from 0) divided by a count that adds 1 where `prev == 0`.
//! - `max`, and also `min`, `first` and `last` ([`AaMax`]): Datashader's antialiased
//!   append of all four keeps the LARGEST `field * aa` per pixel, and as they are not
//!   additive each segment draws its full caps (`overwrite = true`, no join correction).
//! - `any` ([`AaAny`]): the largest coverage, float32.
//!
//! `var` and `std` have no antialiased form in Datashader (it raises NotImplementedError);
//! gigaplot refuses them too.

use crate::canvas::Plan;
use crate::error::Result;
use crate::glyph::lines::AaStyle;
use crate::glyph::AaRecord;
use crate::partition::Partition;
use crate::reduce::coverage::draw_aa_band;
use crate::reduce::tiles::TileLayout;

/// The per-pixel state of a value reduction along anti-aliased lines.
pub trait AaAccumulator: Copy + Send + Sync + 'static {
    /// The state of a pixel no line reached.
    const EMPTY: Self;
    /// Datashader's `overwrite`: true when the reduction is not additive, so every segment
    /// draws its full caps and reports `prev = 0`.
    const OVERWRITE: bool;
    /// Adds `field` (the start vertex's value, maybe NaN) at coverage `aa`, `prev` being
    /// the coverage the previous segment of the run gave this pixel.
    fn add(&mut self, field: f64, aa: f64, prev: f64);
    /// The pixel's result, NaN when empty.
    fn finish(&self) -> f64;
}

/// `sum`: `field * (aa - prev)` summed in float64 from NaN.
#[derive(Clone, Copy, Debug)]
pub struct AaSum(f64);

impl AaAccumulator for AaSum {
    const EMPTY: Self = AaSum(f64::NAN);
    const OVERWRITE: bool = false;
    #[inline(always)]
    fn add(&mut self, field: f64, aa: f64, prev: f64) {
        let value = field * (aa - prev);
        if !value.is_nan() {
            self.0 = if self.0.is_nan() { value } else { self.0 + value };
        }
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// `mean`: Datashader's `_sum_zero` over `_count_ignore_antialiasing`.
#[derive(Clone, Copy, Debug)]
pub struct AaMean {
    sum: f64,
    n: u32,
}

impl AaAccumulator for AaMean {
    const EMPTY: Self = AaMean { sum: 0.0, n: 0 };
    const OVERWRITE: bool = false;
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
    fn finish(&self) -> f64 {
        if self.n > 0 {
            self.sum / f64::from(self.n)
        } else {
            f64::NAN
        }
    }
}

/// `max` (and Datashader's antialiased `min`, `first`, `last`): the largest `field * aa`.
#[derive(Clone, Copy, Debug)]
pub struct AaMax(f64);

impl AaAccumulator for AaMax {
    const EMPTY: Self = AaMax(f64::NAN);
    const OVERWRITE: bool = true;
    #[inline(always)]
    fn add(&mut self, field: f64, aa: f64, _prev: f64) {
        let value = field * aa;
        if !value.is_nan() && (self.0.is_nan() || value > self.0) {
            self.0 = value;
        }
    }
    fn finish(&self) -> f64 {
        self.0
    }
}

/// `any`: the largest coverage, in Datashader's float32 aggregate.
#[derive(Clone, Copy, Debug)]
pub struct AaAny(AaMax);

impl AaAccumulator for AaAny {
    const EMPTY: Self = AaAny(AaMax::EMPTY);
    const OVERWRITE: bool = true;
    #[inline(always)]
    fn add(&mut self, _field: f64, aa: f64, prev: f64) {
        self.0.add(1.0, aa, prev);
    }
    fn finish(&self) -> f64 {
        // Rounding is monotonic: the f32 maximum Datashader keeps is the rounded maximum.
        f64::from(self.0.finish() as f32)
    }
}

/// The aggregate of one band of anti-aliased lines for a value reduction, tile by tile.
#[derive(Debug)]
pub struct AaValueBand<A> {
    layout: Option<TileLayout>,
    cells: Vec<A>,
}

impl<A> Default for AaValueBand<A> {
    fn default() -> Self {
        AaValueBand { layout: None, cells: Vec::new() }
    }
}

impl<A: AaAccumulator> AaValueBand<A> {
    /// The drawing style of `A` for lines `line_width` pixels wide on a `width` x
    /// `height` canvas.
    pub fn style(line_width: f64, width: u32, height: u32) -> AaStyle {
        AaStyle { line_width, overwrite: A::OVERWRITE, width, height }
    }

    /// Aggregates band `band` of anti-aliased records `R` drawn with `style` (from
    /// [`AaValueBand::style`]), records in input order within every tile.
    pub fn aggregate<R: AaRecord>(
        &mut self,
        plan: &Plan,
        partition: &Partition,
        band: u32,
        style: &AaStyle,
    ) -> Result<()> {
        let rows = plan.band_rows(band);
        let layout = TileLayout::new(plan, rows.end - rows.start);
        self.cells.clear();
        self.cells.resize(layout.pixels(), A::EMPTY);
        {
            let mut tiles = layout.split_tiles_mut(&mut self.cells);
            let plot = |tile: &mut [A], pixel: usize, record: &R, aa: f64, prev: f64| {
                tile[pixel].add(record.value(), aa, prev);
            };
            draw_aa_band(partition, band, &layout, rows, &mut tiles, style, plot)?;
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
        let Some(layout) = self.layout.as_ref() else { return };
        for (x0, cells) in layout.row_pieces(&self.cells, row) {
            for (o, c) in out[x0 as usize..x0 as usize + cells.len()].iter_mut().zip(cells) {
                *o = c.finish();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
