//! `count-cat` along anti-aliased lines (`--line-width W > 0`), as Datashader 0.19.1's
//! `cvs.line(df, x, y, agg=ds.by(c, ds.count()), line_width=W)` computes it: a float32
//! `(H, W, C)` aggregate, NaN where a category has no coverage, where every pixel a
//! segment covers adds `aa - prev` to the plane of the segment's category (the category of
//! its start vertex). The coverage and its join correction `prev` are the geometric ones
//! of [`draw_aa`](crate::glyph::lines::draw_aa), exactly as for `--agg count` ([`crate::reduce::coverage`]): Datashader
//! computes `prev` from the neighbouring segment whatever its category, so a plane gets
//! what `count` gives for that category's segments with the joins of the whole polyline.

use crate::canvas::Plan;
use crate::error::Result;
use crate::glyph::lines::AaStyle;
use crate::glyph::AaRecord;
use crate::partition::Partition;
use crate::reduce::category::split_category_tiles;
use crate::reduce::coverage::{add_coverage, draw_aa_band};
use crate::reduce::tiles::TileLayout;

/// The per-category float32 coverage of one band: `categories` f32 per pixel (NaN =
/// empty), stored tile by tile.
#[derive(Debug, Default)]
pub struct AaCategoryBand {
    layout: Option<TileLayout>,
    categories: usize,
    values: Vec<f32>,
}

impl AaCategoryBand {
    /// An empty band for `categories` categories.
    pub fn new(categories: usize) -> AaCategoryBand {
        AaCategoryBand { layout: None, categories, values: Vec::new() }
    }

    /// Number of categories.
    pub fn categories(&self) -> usize {
        self.categories
    }

    /// The drawing style of `count` (additive: join corrections, no overwrite) for lines
    /// `line_width` pixels wide on a `width` x `height` canvas.
    pub fn style(line_width: f64, width: u32, height: u32) -> AaStyle {
        AaStyle { line_width, overwrite: false, width, height }
    }

    /// Aggregates band `band` of records `R` whose value is the category (checked to be
    /// in range when the column was read; others are skipped), in input order per tile.
    pub fn aggregate<R: AaRecord>(
        &mut self,
        plan: &Plan,
        partition: &Partition,
        band: u32,
        style: &AaStyle,
    ) -> Result<()> {
        let rows = plan.band_rows(band);
        let layout = TileLayout::new(plan, rows.end - rows.start);
        let c = self.categories;
        self.values.clear();
        self.values.resize(layout.pixels() * c, f32::NAN);
        {
            let mut tiles = split_category_tiles(&layout, c, &mut self.values);
            let plot = |tile: &mut [f32], pixel: usize, record: &R, aa: f64, prev: f64| {
                let category = record.value();
                // Categories out of range were reported when the column was read.
                if category >= 0.0 && category < c as f64 {
                    add_coverage(&mut tile[pixel * c + category as usize], aa - prev);
                }
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

    /// The pieces of band row `row` left to right as (first column, interleaved values).
    pub fn row_pieces(&self, row: u32) -> impl Iterator<Item = (u32, &[f32])> + '_ {
        let layout = self.layout.as_ref().expect("band aggregated before use");
        let c = self.categories;
        (0..layout.tiles()).map(move |t| {
            let (x0, w) = layout.tile_columns(t);
            let start = (layout.tile_offset(t) + row as usize * w as usize) * c;
            (x0, &self.values[start..start + w as usize * c])
        })
    }
}
