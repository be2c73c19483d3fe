//! Points: each (x, y) falls in at most one pixel, by Datashader's binning rule.

use std::marker::PhantomData;

use crate::canvas::{Axis, FastDiv, Plan, Scale};
use crate::data::{Column, PointColumns};
use crate::partition::{Binner, Record};

/// Points are read in sub-chunks of this many values, so buffers stay in L2 cache and
/// mapped pages are released as soon as they have been read.
const READ_BLOCK: usize = 1 << 16;

/// Bins points into band records: `row_in_band << column_bits | column`, where rows count
/// from the top of the image (y max), with the point's value when the record type carries
/// one.
pub struct PointBinner<'a, R = u32> {
    points: &'a PointColumns,
    value: Option<&'a Column>,
    x: Axis,
    y: Axis,
    height: u32,
    bands: u32,
    band_height: u32,
    band_div: FastDiv,
    column_bits: u32,
    record: PhantomData<R>,
}

impl<'a> PointBinner<'a, u32> {
    /// A binner for `points` on the canvas of `plan` with axes `x` and `y`.
    pub fn new(points: &'a PointColumns, x: Axis, y: Axis, plan: &Plan) -> Self {
        PointBinner::with_value(points, None, x, y, plan)
    }
}

impl<'a, R: Record> PointBinner<'a, R> {
    /// A binner whose records carry the value of `value` (same length as the points) for
    /// each point; `value` must be given when `R` carries a value.
    pub fn with_value(
        points: &'a PointColumns,
        value: Option<&'a Column>,
        x: Axis,
        y: Axis,
        plan: &Plan,
    ) -> Self {
        assert_eq!(
            R::HAS_VALUE,
            value.is_some(),
            "a value column is needed exactly when records carry values"
        );
        PointBinner {
            points,
            value,
            x,
            y,
            height: plan.height,
            bands: plan.bands,
            band_height: plan.band_height,
            band_div: FastDiv::new(plan.band_height),
            column_bits: plan.column_bits,
            record: PhantomData,
        }
    }

    /// The pixel (column, row from the top) of a point, or None if it is dropped.
    #[inline(always)]
    pub fn pixel(&self, x: f64, y: f64) -> Option<(u32, u32)> {
        let column = self.x.bin(x)?;
        let from_bottom = self.y.bin(y)?;
        Some((column, self.height - 1 - from_bottom))
    }

    /// The binning loop, monomorphised for the axis scales.
    #[inline(always)]
    fn bin_block<const XLOG: bool, const YLOG: bool, E: FnMut(u32, R)>(
        &self,
        xs: &[f64],
        ys: &[f64],
        values: &[f64],
        emit: &mut E,
    ) {
        for (i, (&x, &y)) in xs.iter().zip(ys).enumerate() {
            let (Some(column), Some(from_bottom)) =
                (self.x.bin_scaled::<XLOG>(x), self.y.bin_scaled::<YLOG>(y))
            else {
                continue;
            };
            let row = self.height - 1 - from_bottom;
            let band = self.band_div.quotient(row);
            let row_in_band = row - band * self.band_height;
            let value = if R::HAS_VALUE { values[i] } else { f64::NAN };
            emit(band, R::new((row_in_band << self.column_bits) | column, value));
        }
    }
}

impl<R: Record> Binner for PointBinner<'_, R> {
    type Record = R;

    fn items(&self) -> usize {
        self.points.len()
    }

    fn bands(&self) -> u32 {
        self.bands
    }

    fn bin<E: FnMut(u32, R)>(&self, start: usize, len: usize, mut emit: E) {
        let block = READ_BLOCK.min(len.max(1));
        let mut xs = vec![0f64; block];
        let mut ys = vec![0f64; block];
        let mut vs = vec![0f64; if self.value.is_some() { block } else { 0 }];
        let mut at = start;
        let end = start + len;
        while at < end {
            let n = block.min(end - at);
            self.points.x.read_f64(at, &mut xs[..n]);
            self.points.y.read_f64(at, &mut ys[..n]);
            if let Some(value) = self.value {
                value.read_f64(at, &mut vs[..n]);
            }
            let (xs, ys, vs) = (&xs[..n], &ys[..n], &vs[..vs.len().min(n)]);
            match (self.x.scale(), self.y.scale()) {
                (Scale::Linear, Scale::Linear) => self.bin_block::<false, false, E>(xs, ys, vs, &mut emit),
                (Scale::Log, Scale::Linear) => self.bin_block::<true, false, E>(xs, ys, vs, &mut emit),
                (Scale::Linear, Scale::Log) => self.bin_block::<false, true, E>(xs, ys, vs, &mut emit),
                (Scale::Log, Scale::Log) => self.bin_block::<true, true, E>(xs, ys, vs, &mut emit),
            }
            self.points.x.release(at, n);
            self.points.y.release(at, n);
            if let Some(value) = self.value {
                value.release(at, n);
            }
            at += n;
        }
    }
}
