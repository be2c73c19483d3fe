//! `count-cat`: one count per category per pixel, like Datashader's `ds.by(cat, ds.count())`.

use crate::canvas::Plan;
use crate::error::Result;
use crate::partition::{Partition, Record, ValueRecord};
use crate::reduce::tiles::{for_each_tile_window, TileLayout};

/// The per-category counts of one band: `categories` u32 per pixel, stored tile by tile.
#[derive(Debug, Default)]
pub struct CategoryBand {
    pub(super) layout: Option<TileLayout>,
    pub(super) categories: usize,
    pub(super) counts: Vec<u32>,
}

impl CategoryBand {
    /// An empty band for `categories` categories.
    pub fn new(categories: usize) -> CategoryBand {
        CategoryBand { layout: None, categories, counts: Vec::new() }
    }

    /// Number of categories.
    pub fn categories(&self) -> usize {
        self.categories
    }

    /// Aggregates band `band` from records whose value is the category (checked to be in
    /// range when the column was read).
    pub fn aggregate(&mut self, plan: &Plan, partition: &Partition, band: u32) -> Result<()> {
        let rows = plan.band_rows(band);
        let layout = TileLayout::new(plan, rows.end - rows.start);
        let c = self.categories;
        self.counts.clear();
        self.counts.resize(layout.pixels() * c, 0);
        {
            let mut tiles = split_category_tiles(&layout, c, &mut self.counts);
            for_each_tile_window(partition, band, &layout, &mut tiles, |tile, records: &[ValueRecord]| {
                for r in records {
                    let category = r.value() as usize;
                    tile[r.pixel() as usize * c + category] += 1;
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

    /// The pieces of band row `row` left to right as (first column, interleaved counts).
    pub fn row_pieces(&self, row: u32) -> impl Iterator<Item = (u32, &[u32])> + '_ {
        let layout = self.layout.as_ref().expect("band aggregated before use");
        let c = self.categories;
        (0..layout.tiles()).map(move |t| {
            let (x0, w) = layout.tile_columns(t);
            let start = (layout.tile_offset(t) + row as usize * w as usize) * c;
            (x0, &self.counts[start..start + w as usize * c])
        })
    }
}

/// `counts` (`categories` cells per pixel, tile after tile) cut into one slice per tile.
pub(super) fn split_category_tiles<'b, T>(
    layout: &TileLayout,
    categories: usize,
    counts: &'b mut [T],
) -> Vec<&'b mut [T]> {
    let mut tiles: Vec<&mut [T]> = Vec::with_capacity(layout.tiles());
    let mut rest = counts;
    for t in 0..layout.tiles() {
        let (_, w) = layout.tile_columns(t);
        let (head, tail) = rest.split_at_mut(w as usize * layout.rows() as usize * categories);
        tiles.push(head);
        rest = tail;
    }
    tiles
}
