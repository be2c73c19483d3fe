//! The count of anti-aliased lines: Datashader's float32 coverage aggregate, NaN where no
//! line passed, where each pixel a segment covers adds `value - prev` (its coverage minus
//! what the previous segment of the run already gave at the join).

use rayon::prelude::*;

use crate::canvas::Plan;
use crate::error::Result;
use crate::glyph::lines::{draw_aa, AaSegment, AaStyle};
use crate::glyph::AaRecord;
use crate::partition::Partition;
use crate::reduce::tiles::{for_each_tile_window_spans, TileLayout};

/// The float32 coverage aggregate of one band, stored tile by tile.
#[derive(Debug, Default)]
pub struct CoverageBand {
    layout: Option<TileLayout>,
    values: Vec<f32>,
}

/// Datashader's `agg[y, x] += delta` on a float32 aggregate initialised to NaN: the sum is
/// taken in f64 and rounded to f32.
#[inline]
pub fn add_coverage(cell: &mut f32, delta: f64) {
    *cell = if cell.is_nan() { delta as f32 } else { (f64::from(*cell) + delta) as f32 };
}

/// First and last canvas column `seg` may touch: its extent widened by 1.5 times the half
/// width Datashader scans (`h = 0.5 * (max(line_width, 1) + 1)`; the scan rectangle's
/// corners lie up to `h * sqrt(2)` from the endpoints), clamped to the canvas.
pub fn aa_columns_spanned(seg: &AaSegment, style: &AaStyle) -> (u32, u32) {
    let half = 1.5 * 0.5 * (style.line_width.max(1.0) + 1.0);
    let last = f64::from(style.width) - 1.0;
    let lo = (seg.x0.min(seg.x1) - half).floor().clamp(0.0, last);
    let hi = (seg.x0.max(seg.x1) + half).ceil().clamp(0.0, last);
    (lo as u32, hi.max(lo) as u32)
}

/// Draws the anti-aliased segment records `R` of band `band` (rows `rows` of the canvas)
/// into `tiles`, tile by tile and in input order within a tile: `plot(tile, pixel, record,
/// aa, prev)` for every pixel a segment's scan reaches in the tile, `pixel` indexing the
/// tile's pixels row by row, `aa - prev` the coverage it adds there (Datashader's join
/// correction). The one drawing loop of every anti-aliased reduction.
pub fn draw_aa_band<R, T, P>(
    partition: &Partition,
    band: u32,
    layout: &TileLayout,
    rows: std::ops::Range<u32>,
    tiles: &mut [&mut [T]],
    style: &AaStyle,
    plot: P,
) -> Result<()>
where
    R: AaRecord,
    T: Send,
    P: Fn(&mut [T], usize, &R, f64, f64) + Sync,
{
    let columns = |r: &R| aa_columns_spanned(&r.segment(), style);
    for_each_tile_window_spans(partition, band, layout, tiles, columns, |t, tile, records: &[R]| {
        let window = layout.tile_window(t, rows.clone());
        let (x0, w) = (window.x0, window.x1 - window.x0);
        for record in records {
            draw_aa(&record.segment(), style, window, |x, y, aa, prev| {
                plot(tile, ((y - rows.start) * w + (x - x0)) as usize, record, aa, prev);
            });
        }
    })
}

impl CoverageBand {
    /// An empty band buffer; it grows to the band size on first use and is then reused.
    pub fn new() -> CoverageBand {
        CoverageBand::default()
    }

    /// Aggregates band `band` of anti-aliased segments drawn with `style`, replacing the
    /// previous contents; every tile sees its segments in input order, so the float sums
    /// are the same for any tile size and thread count.
    pub fn aggregate_aa_lines(
        &mut self,
        plan: &Plan,
        partition: &Partition,
        band: u32,
        style: &AaStyle,
    ) -> Result<()> {
        let rows = plan.band_rows(band);
        let layout = TileLayout::new(plan, rows.end - rows.start);
        self.values.clear();
        self.values.resize(layout.pixels(), f32::NAN);
        {
            let mut tiles = layout.split_tiles_mut(&mut self.values);
            let plot = |tile: &mut [f32], pixel: usize, _: &AaSegment, aa: f64, prev: f64| {
                add_coverage(&mut tile[pixel], aa - prev);
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

    /// Band row `row` as f64 values (NaN = empty) into `out` (the canvas width).
    pub fn row_into(&self, row: u32, out: &mut [f64]) {
        let Some(layout) = self.layout.as_ref() else { return };
        for (x0, values) in layout.row_pieces(&self.values, row) {
            let x0 = x0 as usize;
            for (o, &v) in out[x0..x0 + values.len()].iter_mut().zip(values) {
                *o = f64::from(v);
            }
        }
    }

    /// Band row `row` as little-endian f32 into `out` (4 bytes per pixel).
    pub fn row_bytes(&self, row: u32, out: &mut [u8]) {
        let Some(layout) = self.layout.as_ref() else { return };
        for (x0, values) in layout.row_pieces(&self.values, row) {
            let x0 = x0 as usize;
            for (o, v) in out[x0 * 4..(x0 + values.len()) * 4].chunks_exact_mut(4).zip(values) {
                o.copy_from_slice(&v.to_le_bytes());
            }
        }
    }

    /// Number of covered (non-NaN) pixels in the band.
    pub fn covered(&self) -> usize {
        self.values.par_iter().filter(|v| !v.is_nan()).count()
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
    fn columns_are_widened_by_the_half_width_and_clamped() {
        let style = AaStyle { line_width: 3.0, overwrite: false, width: 100, height: 10 };
        let seg = AaSegment { x0: 10.2, y0: 1.0, x1: 5.5, y1: 2.0, xm: 0.0, ym: 0.0, flags: 3, pad: 0 };
        assert_eq!(aa_columns_spanned(&seg, &style), (2, 14));
        let edge = AaSegment { x0: -0.5, x1: 99.5, ..seg };
        assert_eq!(aa_columns_spanned(&edge, &style), (0, 99));
        let thin = AaStyle { line_width: 0.5, ..style };
        assert_eq!(aa_columns_spanned(&seg, &thin), (4, 12));
    }
}
