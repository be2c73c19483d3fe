//! Points: each (x, y) falls in at most one pixel, by Datashader's binning rule. A record
//! is the packed pixel (`row_in_band << column_bits | column`), with the point's value
//! when the reduction reads one; a band's records reach their tiles by a counting sort.

use std::marker::PhantomData;
use std::path::Path;

use crate::canvas::{Axis, FastDiv, Plan, TileLayout};
use crate::data::source::Cursor;
use crate::data::{Floats, PointColumns, Source};
use crate::error::Result;
use crate::glyph::pixel_index::{Index, PixelIndex, WIDE_DROPPED};
use crate::glyph::record::{Record, Valued};
use crate::glyph::route::{for_each_tile_window, for_each_whole_tile};
use crate::glyph::{BandDraw, Glyph, GlyphInput};
use crate::partition::{partition_kept, Binner, Partition};
use crate::progress::Progress;
use crate::reduce::Fragment;

/// [`PointBinner::index_pixels`] releases mapped pages every this many values (4 MiB of a
/// float32 column, a whole chunk of direct counting): each release is an `madvise` whose
/// TLB shootdown interrupts the other cores, which a virtual machine pays in exits. On the
/// 2-core VM of 2026-12-07, 10^9 points at 2000^2 took 2.28 s (1.5 s of system time)
/// releasing every 2^16 values, 1.88 s every 2^18 and 1.75 s (0.8 s) every 2^20, for 9 MB
/// more peak RSS.
const INDEX_RELEASE_BLOCK: usize = 1 << 20;

/// Points [`PointBinner::index_pixels`] indexes at once (32 KiB of indices, in L1 and L2
/// cache): long enough that the tally's prefetch, which looks ahead within a run, misses
/// few points at the runs' ends (5% less CPU time than runs of 2048 on 10^8 points).
pub const INDEX_RUN: usize = 8192;

/// Bins points into band records: `row_in_band << column_bits | column`, where rows count
/// from the top of the image (y max), with the point's value when the record type carries
/// one.
pub struct PointBinner<'a, R = u32> {
    points: &'a PointColumns<'a>,
    value: Option<&'a dyn Source>,
    x: Axis,
    y: Axis,
    height: u32,
    bands: u32,
    band_height: u32,
    band_div: FastDiv,
    column_bits: u32,
    /// The kernel that locates points (see [`PointBinner::bin`]).
    kernel: PixelIndex,
    record: PhantomData<R>,
}

impl<'a> PointBinner<'a, u32> {
    /// A binner for `points` on the canvas of `plan` with axes `x` and `y`.
    pub fn new(points: &'a PointColumns<'a>, x: Axis, y: Axis, plan: &Plan) -> Self {
        PointBinner::with_value(points, None, x, y, plan)
    }
}

impl<'a, R: Record<Shape = u32>> PointBinner<'a, R> {
    /// A binner whose records carry the value of `value` (same length as the points) for
    /// each point when `R` carries a value (NaN when `value` is None).
    pub fn with_value(
        points: &'a PointColumns<'a>,
        value: Option<&'a dyn Source>,
        x: Axis,
        y: Axis,
        plan: &Plan,
    ) -> Self {
        let value = if R::HAS_VALUE { value } else { None };
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
            kernel: PixelIndex::new(x, y),
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

    /// Direct aggregation's kernel: the cell index `cells.base[column] + row *
    /// cells.stride[column]` of every point of items `start .. start + len` on the canvas,
    /// handed to `f` a run of at most [`INDEX_RUN`] at a time in input order, with the
    /// points' values when `with_values` (NaN without a value column; else an empty slice).
    /// Points are located by direct counting's vectorised kernel
    /// ([`PointBinner::index_pixels`], reading float columns in place); a dropped point is
    /// written and not counted, so the loops have no branch.
    pub fn bin_cells(
        &self,
        start: usize,
        len: usize,
        cells: &CellIndex,
        with_values: bool,
        mut f: impl FnMut(&[u32], &[f64]),
    ) -> Result<()> {
        let (base, stride) = (&cells.base[..], &cells.stride[..]);
        let mut out = vec![0u32; INDEX_RUN];
        let mut kept = vec![0.0; if with_values { INDEX_RUN } else { 0 }];
        self.index_valued(&self.kernel, start, len, with_values, |located: &[u64], values| {
            let mut k = 0;
            for &wide in located {
                let inside = wide != WIDE_DROPPED;
                // Dropped points read cell 0's entries.
                let (r, c) = if inside { ((wide >> 32) as u32, wide as u32 as usize) } else { (0, 0) };
                out[k] = base[c].wrapping_add(r.wrapping_mul(stride[c]));
                k += usize::from(inside);
            }
            let mut v = 0;
            for (&value, &wide) in values.iter().zip(located) {
                kept[v] = value;
                v += usize::from(wide != WIDE_DROPPED);
            }
            f(&out[..k], &kept[..v]);
        })
    }

    /// [`PointBinner::index_pixels`], handing `f` each run's values too when `with_values`
    /// (NaN without a value column; an empty slice when not asked for).
    fn index_valued<O: Index>(
        &self,
        kernel: &PixelIndex,
        start: usize,
        len: usize,
        with_values: bool,
        mut f: impl FnMut(&[O], &[f64]),
    ) -> Result<()> {
        let mut cursor = self.value.filter(|_| with_values).map(Cursor::new);
        let mut values = vec![f64::NAN; if with_values { INDEX_RUN } else { 0 }];
        let (mut at, mut read) = (start, Ok(()));
        self.index_pixels(kernel, start, len, |located: &[O]| {
            let n = if with_values { located.len() } else { 0 };
            if let (Some(cursor), Ok(())) = (cursor.as_mut(), &read) {
                read = cursor.read(at, &mut values[..n]);
            }
            at += located.len();
            if read.is_ok() {
                f(located, &values[..n]);
            }
        })?;
        read
    }

    /// Direct counting's kernel: the row-major pixel index ([`PixelIndex`]) of every point
    /// of items `start .. start + len`, handed to `f` [`INDEX_RUN`] at a time in input
    /// order; releases the mapped pages behind. float32 and float64 columns are read in
    /// place, others through `Source::read_f64`.
    pub fn index_pixels<O: Index>(
        &self,
        kernel: &PixelIndex,
        start: usize,
        len: usize,
        mut f: impl FnMut(&[O]),
    ) -> Result<()> {
        let (x, y) = (&*self.points.x, &*self.points.y);
        let mut out = [O::default(); INDEX_RUN];
        let end = start + len;
        let mut released = start;
        let mut read = None;
        for at in (start..end).step_by(INDEX_RUN) {
            let n = INDEX_RUN.min(end - at);
            let out = &mut out[..n];
            match (x.floats(at, n), y.floats(at, n)) {
                (Some(Floats::F32(xs)), Some(Floats::F32(ys))) => kernel.index_into(xs, ys, out),
                (Some(Floats::F64(xs)), Some(Floats::F64(ys))) => kernel.index_into(xs, ys, out),
                (Some(Floats::F32(xs)), Some(Floats::F64(ys))) => kernel.index_into(xs, ys, out),
                (Some(Floats::F64(xs)), Some(Floats::F32(ys))) => kernel.index_into(xs, ys, out),
                _ => {
                    let (cx, cy, xs, ys) = read.get_or_insert_with(|| {
                        (Cursor::new(x), Cursor::new(y), vec![0.0; INDEX_RUN], vec![0.0; INDEX_RUN])
                    });
                    cx.read(at, &mut xs[..n])?;
                    cy.read(at, &mut ys[..n])?;
                    kernel.index_into(&xs[..n], &ys[..n], out);
                }
            }
            f(out);
            if at + n - released >= INDEX_RELEASE_BLOCK || at + n == end {
                self.release(released, at + n - released);
                released = at + n;
            }
        }
        Ok(())
    }

    /// The kernel of [`PointBinner::index_pixels`] for this canvas.
    pub fn pixel_index(&self) -> PixelIndex {
        self.kernel
    }
}

impl<R> PointBinner<'_, R> {
    /// Releases the mapped pages of items `start .. start + len` of every column read.
    pub(crate) fn release(&self, start: usize, len: usize) {
        self.points.x.release(start, len);
        self.points.y.release(start, len);
        if let Some(value) = self.value {
            value.release(start, len);
        }
    }
}

impl<R: Record<Shape = u32>> Binner for PointBinner<'_, R> {
    type Record = R;

    fn items(&self) -> usize {
        self.points.len()
    }

    fn bands(&self) -> u32 {
        self.bands
    }

    fn preferred_chunk(&self) -> Option<usize> {
        let (x, y) = (&self.points.x, &self.points.y);
        [x.chunk_len(), y.chunk_len(), self.value.and_then(|v| v.chunk_len())].into_iter().flatten().max()
    }

    /// Records are binned by direct counting's vectorised kernel
    /// ([`PixelIndex::index_wide`]: row and column, reading float columns in place), then
    /// given their band with one multiplication: 10^8 float32 points at 20000^2 decoded
    /// into f64 and located one at a time took a third of the partition's CPU time. Values
    /// are read run by run beside them.
    fn bin<E: FnMut(u32, R)>(&self, start: usize, len: usize, mut emit: E) -> Result<()> {
        // The index of the next point in input order (records that keep it: `Indexed`).
        let mut item = start as u64;
        self.index_valued(&self.kernel, start, len, R::HAS_VALUE, |pixels: &[u64], values| {
            for (i, &pixel) in pixels.iter().enumerate() {
                if pixel != WIDE_DROPPED {
                    let (row, column) = ((pixel >> 32) as u32, pixel as u32);
                    let band = self.band_div.quotient(row);
                    let pixel = ((row - band * self.band_height) << self.column_bits) | column;
                    let value = if R::HAS_VALUE { values[i] } else { f64::NAN };
                    emit(band, R::with_item(pixel, value, item));
                }
                item += 1;
            }
        })
    }
}

/// Where each canvas column's pixels are in a one-band buffer: pixel (column, row) is
/// cell `base[column] + row * stride[column]` (its tile's offset and width in the tile
/// layout). Built once per render; looked up per point by [`PointBinner::bin_cells`].
pub struct CellIndex {
    base: Vec<u32>,
    stride: Vec<u32>,
}

impl CellIndex {
    /// The index of `layout`, a one-band layout of at most `u32::MAX` pixels.
    pub fn new(layout: &TileLayout) -> CellIndex {
        let (mut base, mut stride) = (Vec::new(), Vec::new());
        for t in 0..layout.tiles() {
            let (_, w) = layout.tile_columns(t);
            let offset = layout.tile_offset(t) as u32;
            base.extend((0..w).map(|i| offset + i));
            stride.extend(std::iter::repeat_n(w, w as usize));
        }
        CellIndex { base, stride }
    }
}

/// Points: one pixel per (x, y) (Datashader's `Canvas.points`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Points;

impl Glyph for Points {
    type Shape = u32;

    fn partition<R: Record<Shape = u32>>(
        &self,
        input: &GlyphInput<'_>,
        plan: &Plan,
        scratch_dir: &Path,
        progress: &dyn Progress,
    ) -> Result<Partition> {
        let binner = PointBinner::<R>::with_value(input.points, input.value, input.x, input.y, plan);
        partition_kept(&binner, plan.kept_bands(), scratch_dir, progress)
    }

    fn direct<'a>(&self, input: &GlyphInput<'a>, plan: &Plan) -> Option<PointBinner<'a, Valued<u32>>> {
        Some(PointBinner::with_value(input.points, input.value, input.x, input.y, plan))
    }

    fn draw<R, T, F>(&self, band: &BandDraw<'_>, tiles: &mut [&mut [T]], fold: F) -> Result<()>
    where
        R: Record<Shape = u32>,
        T: Send,
        F: Fn(&mut [T], usize, Fragment) + Sync,
    {
        // Two bands are in memory while the next one is folded: a window takes a quarter of
        // one at most, so a sparse band is read and folded tile by tile in one go.
        let window = band.plan.fold_window_bytes();
        for_each_tile_window(band.partition, band.band, band.layout, window, tiles, |tile, records: &[R]| {
            for r in records {
                fold(tile, r.shape() as usize, Fragment::of_item(r.value(), r.item()));
            }
        })
    }

    fn each_whole_tile<R, F>(&self, band: &BandDraw<'_>, max_records: u64, each: F) -> Option<Result<()>>
    where
        R: Record<Shape = u32>,
        F: Fn(usize, &[R]) + Sync,
    {
        for_each_whole_tile(band.partition, band.band, band.layout, max_records, each)
    }

    #[inline(always)]
    fn pixel_of<R: Record<Shape = u32>>(record: &R) -> Option<(usize, Fragment)> {
        Some((record.shape() as usize, Fragment::of_item(record.value(), record.item())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::Scale;
    use crate::data::MemoryColumn;
    use crate::error::Field;

    /// 3000 values: the edges of `lo .. hi`, one step past them, NaN, infinities, then a
    /// spread from a little below `lo` to a little above `hi`.
    fn values(lo: f64, hi: f64, seed: u64) -> Vec<f64> {
        let mut v = vec![lo, hi, lo.next_down(), hi.next_up(), f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
        let mut state = seed;
        v.extend((v.len()..3000).map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            lo - 0.05 * (hi - lo) + (state >> 11) as f64 / (1u64 << 53) as f64 * 1.1 * (hi - lo)
        }));
        v
    }

    /// The values rounded to float32, as a float32 column and as the f64 it reads as.
    fn float32(values: &[f64]) -> (Vec<f32>, Vec<f64>) {
        let narrow: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        let wide = narrow.iter().map(|&v| f64::from(v)).collect();
        (narrow, wide)
    }

    #[test]
    fn the_partition_kernel_bins_every_point_as_the_scalar_rule() {
        // 37 x 53 pixels in bands of 4 rows (14 bands), linear and log axes, float32 and
        // float64 columns: every record is the band and packed pixel of `pixel(x, y)`, in
        // input order, and the dropped points make none.
        for (scale, (lo, hi)) in [(Scale::Linear, (-2.5, 7.25)), (Scale::Log, (0.5, 300.0))] {
            let (xs, ys) = (values(lo, hi, 1), values(lo, hi, 2));
            let plan = Plan::new(37, 53, 4, (80 << 20) + 2 * 4 * 37 * 4, 2, 4).unwrap();
            assert_eq!(plan.bands, 14);
            let x = Axis::new(Field::XRange, (lo, hi), 37, scale).unwrap();
            let y = Axis::new(Field::YRange, (lo, hi), 53, scale).unwrap();
            let ((x32, x_read), (y32, y_read)) = (float32(&xs), float32(&ys));
            let cases = [
                (
                    "f32 x, f64 y",
                    MemoryColumn::new("x", x32),
                    MemoryColumn::new("y", ys.clone()),
                    &x_read,
                    &ys,
                ),
                (
                    "f64 x, f32 y",
                    MemoryColumn::new("x", xs.clone()),
                    MemoryColumn::new("y", y32),
                    &xs,
                    &y_read,
                ),
            ];
            for (types, x_column, y_column, x_read, y_read) in cases {
                let columns = PointColumns::from_sources(Box::new(x_column), Box::new(y_column)).unwrap();
                let binner = PointBinner::new(&columns, x, y, &plan);
                let mut want = Vec::new();
                for (&xi, &yi) in x_read.iter().zip(y_read) {
                    if let Some((column, row)) = binner.pixel(xi, yi) {
                        let band = row / plan.band_height;
                        want.push((band, ((row - band * plan.band_height) << plan.column_bits) | column));
                    }
                }
                assert!(want.len() > 2000 && want.len() < 2990, "{types}: {} points kept", want.len());
                let mut got = Vec::new();
                // In two pieces, the second starting within a run of the kernel.
                binner.bin(0, 1001, |band, record| got.push((band, record))).unwrap();
                binner.bin(1001, xs.len() - 1001, |band, record| got.push((band, record))).unwrap();
                assert_eq!(got, want, "{scale:?}, {types}");
            }
        }
    }
}
