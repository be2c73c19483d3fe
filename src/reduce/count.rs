//! The count reduction: how many records fell in each pixel (u32, like Datashader's
//! `ds.count()` on points).

use rayon::prelude::*;

use crate::canvas::Plan;
use crate::error::Result;
use crate::glyph::lines::{draw, LineSegment};
use crate::partition::Partition;
use crate::reduce::tiles::{for_each_tile_window, for_each_tile_window_spans, TileLayout};
use crate::shade::CountHistogram;

/// The count aggregate of one band, stored tile by tile.
#[derive(Debug, Default)]
pub struct CountBand {
    layout: Option<TileLayout>,
    counts: Vec<u32>,
}

impl CountBand {
    /// An empty band buffer; it grows to the band size on first use and is then reused.
    pub fn new() -> CountBand {
        CountBand::default()
    }

    /// Aggregates band `band` of `plan` from `partition`, replacing the previous contents.
    pub fn aggregate(&mut self, plan: &Plan, partition: &Partition, band: u32) -> Result<()> {
        let rows = plan.band_rows(band);
        let layout = TileLayout::new(plan, rows.end - rows.start);
        self.counts.clear();
        self.counts.resize(layout.pixels(), 0);
        {
            let mut tiles = layout.split_tiles_mut(&mut self.counts);
            tiles.par_iter_mut().for_each(|t| t.fill(0));
            for_each_tile_window(partition, band, &layout, &mut tiles, |tile, indices: &[u32]| {
                for &i in indices {
                    tile[i as usize] += 1;
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

    /// The pieces of band row `row` left to right as (first column, counts).
    pub fn row_pieces(&self, row: u32) -> impl Iterator<Item = (u32, &[u32])> + '_ {
        let layout = self.layout.as_ref().expect("band aggregated before use");
        layout.row_pieces(&self.counts, row)
    }

    /// The exact histogram of this band's non-zero counts, computed tile by tile in
    /// parallel.
    pub fn histogram(&self) -> CountHistogram {
        let Some(layout) = self.layout.as_ref() else { return CountHistogram::new() };
        let tile_slices: Vec<&[u32]> = (0..layout.tiles())
            .map(|t| {
                let (_, w) = layout.tile_columns(t);
                let start = layout.tile_offset(t);
                &self.counts[start..start + w as usize * layout.rows() as usize]
            })
            .collect();
        tile_slices
            .par_iter()
            .fold(CountHistogram::new, |mut h, tile| {
                h.add_counts(tile);
                h
            })
            .reduce(CountHistogram::new, |mut a, b| {
                a.merge(&b);
                a
            })
    }

    /// Total of all counts in the band.
    pub fn total(&self) -> u64 {
        self.counts.par_iter().map(|&c| u64::from(c)).sum()
    }
}

impl CountBand {
    /// Aggregates band `band` of width-0 line segments: every pixel a segment passes
    /// through counts once per segment (a polyline's shared vertices once, as Datashader).
    pub fn aggregate_lines(&mut self, plan: &Plan, partition: &Partition, band: u32) -> Result<()> {
        let rows = plan.band_rows(band);
        let layout = TileLayout::new(plan, rows.end - rows.start);
        self.counts.clear();
        self.counts.resize(layout.pixels(), 0);
        {
            let mut tiles = layout.split_tiles_mut(&mut self.counts);
            let columns = |s: &LineSegment| (s.x0.min(s.x1), s.x0.max(s.x1));
            for_each_tile_window_spans(
                partition,
                band,
                &layout,
                &mut tiles,
                columns,
                |t, tile, segments| {
                    let window = layout.tile_window(t, rows.clone());
                    let (x0, w) = (window.x0, window.x1 - window.x0);
                    for segment in segments {
                        draw(segment, window, |x, y, _| {
                            tile[((y - rows.start) * w + (x - x0)) as usize] += 1;
                        });
                    }
                },
            )?;
        }
        self.layout = Some(layout);
        Ok(())
    }

    /// Turns counts into 0/1 (the `any` reduction).
    pub fn clamp_to_one(&mut self) {
        self.counts.par_iter_mut().for_each(|c| *c = (*c).min(1));
    }
}
