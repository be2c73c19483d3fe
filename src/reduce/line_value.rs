//! Value reductions along width-0 lines (sum, mean, var, std, min, max, first, last,
//! count-cat), as Datashader's `Canvas.line` computes them: every pixel the Bresenham walk
//! of the segment from vertex `i` to vertex `i + 1` plots receives row `i`'s value (a
//! polyline's shared vertex once, as for counts); NaN values are skipped.
//!
//! The per-pixel state is the points' [`Accumulator`] (and the count-cat
//! [`CategoryBand`]): only the drawing differs. Each tile sees its segments in input
//! order and a segment's pixels in drawing order, so order-sensitive reductions (first,
//! last, float sums) give the same result for any tile size and thread count.

use crate::canvas::Plan;
use crate::error::Result;
use crate::glyph::lines::{draw, LineSegment};
use crate::glyph::LineRecord;
use crate::partition::Partition;
use crate::reduce::category::split_category_tiles;
use crate::reduce::tiles::{for_each_tile_window_spans, TileLayout};
use crate::reduce::{Accumulator, CategoryBand, ValueBand};

/// First and last canvas column a width-0 segment plots.
fn columns_of(segment: &LineSegment) -> (u32, u32) {
    (segment.x0.min(segment.x1), segment.x0.max(segment.x1))
}

/// Draws the width-0 line records of band `band` into `tiles` (one slice per tile of
/// `layout`, `stride` cells per pixel): `plot(tile, pixel index within the tile, value)`
/// for every plotted pixel, records in input order, pixels in drawing order.
pub fn draw_line_records<R, T, P>(
    plan: &Plan,
    partition: &Partition,
    band: u32,
    layout: &TileLayout,
    tiles: &mut [&mut [T]],
    plot: P,
) -> Result<()>
where
    R: LineRecord,
    T: Send,
    P: Fn(&mut [T], usize, f64) + Sync,
{
    let rows = plan.band_rows(band);
    let columns = |r: &R| columns_of(&r.segment());
    for_each_tile_window_spans(partition, band, layout, tiles, columns, |t, tile, records: &[R]| {
        let window = layout.tile_window(t, rows.clone());
        let (x0, w) = (window.x0, window.x1 - window.x0);
        for record in records {
            let value = record.value();
            draw(&record.segment(), window, |x, y, _| {
                plot(tile, ((y - rows.start) * w + (x - x0)) as usize, value);
            });
        }
    })
}

impl<A: Accumulator> ValueBand<A> {
    /// Aggregates band `band` of width-0 line records carrying their start vertex's value.
    pub fn aggregate_lines<R: LineRecord>(
        &mut self,
        plan: &Plan,
        partition: &Partition,
        band: u32,
    ) -> Result<()> {
        let rows = plan.band_rows(band);
        let layout = TileLayout::new(plan, rows.end - rows.start);
        self.cells.clear();
        self.cells.resize(layout.pixels(), A::EMPTY);
        {
            let mut tiles = layout.split_tiles_mut(&mut self.cells);
            draw_line_records::<R, _, _>(plan, partition, band, &layout, &mut tiles, |tile, i, value| {
                if !value.is_nan() {
                    tile[i].add(value);
                }
            })?;
        }
        self.layout = Some(layout);
        Ok(())
    }
}

impl CategoryBand {
    /// Aggregates band `band` of width-0 line records whose value is the category of the
    /// segment's start vertex (checked to be in range when the column was read).
    pub fn aggregate_lines<R: LineRecord>(
        &mut self,
        plan: &Plan,
        partition: &Partition,
        band: u32,
    ) -> Result<()> {
        let rows = plan.band_rows(band);
        let layout = TileLayout::new(plan, rows.end - rows.start);
        let c = self.categories;
        self.counts.clear();
        self.counts.resize(layout.pixels() * c, 0);
        {
            let mut tiles = split_category_tiles(&layout, c, &mut self.counts);
            draw_line_records::<R, _, _>(plan, partition, band, &layout, &mut tiles, |tile, i, category| {
                tile[i * c + category as usize] += 1;
            })?;
        }
        self.layout = Some(layout);
        Ok(())
    }
}
