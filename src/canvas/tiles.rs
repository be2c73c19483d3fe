//! The one tile layout: where each tile of a band lives in the band's buffer.
//!
//! A band's aggregate is stored tile by tile (each tile's rows contiguous, `channels`
//! cells per pixel), so tiles are aggregated in parallel with no shared state; the sinks
//! read a row back as pieces, one per tile, left to right. Rasters use the same layout
//! with one tile as wide as the canvas (plain row-major rows).

use crate::canvas::{FastDiv, Plan};

/// A rectangle of the canvas in image coordinates (row 0 = top), half-open:
/// columns `x0..x1`, rows `y0..y1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelWindow {
    /// First column.
    pub x0: u32,
    /// One past the last column.
    pub x1: u32,
    /// First row (from the top).
    pub y0: u32,
    /// One past the last row.
    pub y1: u32,
}

impl PixelWindow {
    /// The window clipped to a canvas of `width` x `height` pixels.
    pub fn clamped(self, width: u32, height: u32) -> PixelWindow {
        PixelWindow { x0: self.x0, x1: self.x1.min(width), y0: self.y0, y1: self.y1.min(height) }
    }

    /// True if the window holds no pixel.
    pub fn is_empty(&self) -> bool {
        self.x0 >= self.x1 || self.y0 >= self.y1
    }
}

/// Where each tile of a band lives in the band's tile-major buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileLayout {
    width: u32,
    /// The canvas rows of the band.
    first_row: u32,
    rows: u32,
    tile: u32,
    tile_div: FastDiv,
    column_bits: u32,
    column_mask: u32,
}

impl TileLayout {
    /// The layout of band `band` of `plan`, in the plan's tiles.
    pub fn new(plan: &Plan, band: u32) -> TileLayout {
        TileLayout::with_tile(plan, band, plan.tile.min(plan.width))
    }

    /// The layout of band `band` of `plan` as one tile as wide as the canvas: plain rows.
    pub fn whole_rows(plan: &Plan, band: u32) -> TileLayout {
        TileLayout::with_tile(plan, band, plan.width)
    }

    fn with_tile(plan: &Plan, band: u32, tile: u32) -> TileLayout {
        let rows = plan.band_rows(band);
        TileLayout {
            width: plan.width,
            first_row: rows.start,
            rows: rows.end - rows.start,
            tile,
            tile_div: FastDiv::new(tile),
            column_bits: plan.column_bits,
            column_mask: ((1u64 << plan.column_bits) - 1) as u32,
        }
    }

    /// Rows in the band.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// The canvas rows of the band, counted from the top.
    pub fn canvas_rows(&self) -> std::ops::Range<u32> {
        self.first_row..self.first_row + self.rows
    }

    /// Number of tiles across.
    pub fn tiles(&self) -> usize {
        self.width.div_ceil(self.tile) as usize
    }

    /// First column and width of tile `t`.
    pub fn tile_columns(&self, t: usize) -> (u32, u32) {
        let x0 = t as u32 * self.tile;
        (x0, self.tile.min(self.width - x0))
    }

    /// The tile holding canvas column `column`.
    #[inline(always)]
    pub fn tile_of(&self, column: u32) -> usize {
        self.tile_div.quotient(column) as usize
    }

    /// The canvas pixels of tile `t`, as a drawing window for glyphs that span several
    /// pixels (lines).
    pub fn tile_window(&self, t: usize) -> PixelWindow {
        let (x0, w) = self.tile_columns(t);
        PixelWindow { x0, x1: x0 + w, y0: self.first_row, y1: self.first_row + self.rows }
    }

    /// Offset of tile `t`'s first pixel in a one-channel buffer.
    pub fn tile_offset(&self, t: usize) -> usize {
        (t as u32 * self.tile) as usize * self.rows as usize
    }

    /// Number of pixels in tile `t`.
    pub fn tile_pixels(&self, t: usize) -> usize {
        self.tile_columns(t).1 as usize * self.rows as usize
    }

    /// Number of pixels in the band.
    pub fn pixels(&self) -> usize {
        self.width as usize * self.rows as usize
    }

    /// Splits a band buffer of `channels` cells per pixel into one mutable slice per tile.
    pub fn split_tiles_mut<'b, T>(&self, mut buffer: &'b mut [T], channels: usize) -> Vec<&'b mut [T]> {
        let mut tiles = Vec::with_capacity(self.tiles());
        for t in 0..self.tiles() {
            let (head, rest) = buffer.split_at_mut(self.tile_pixels(t) * channels);
            tiles.push(head);
            buffer = rest;
        }
        tiles
    }

    /// The tiles of a band buffer of `channels` cells per pixel, each a slice of all its rows.
    pub fn tile_slices<'b, T>(&self, buffer: &'b [T], channels: usize) -> Vec<&'b [T]> {
        (0..self.tiles())
            .map(|t| {
                let start = self.tile_offset(t) * channels;
                &buffer[start..start + self.tile_pixels(t) * channels]
            })
            .collect()
    }

    /// The pieces of band row `row` of a buffer of `channels` cells per pixel, left to
    /// right, as (first column, cells).
    pub fn row_pieces<'b, T>(
        &self,
        buffer: &'b [T],
        row: u32,
        channels: usize,
    ) -> impl Iterator<Item = (u32, &'b [T])> + 'b {
        let layout = self.clone();
        (0..self.tiles()).map(move |t| {
            let (x0, w) = layout.tile_columns(t);
            let start = (layout.tile_offset(t) + row as usize * w as usize) * channels;
            (x0, &buffer[start..start + w as usize * channels])
        })
    }

    /// (tile, index within the tile) of a packed pixel record
    /// (`row_in_band << column_bits | column`).
    #[inline(always)]
    pub fn locate(&self, record: u32) -> (usize, u32) {
        let column = record & self.column_mask;
        let row = record >> self.column_bits;
        let t = self.tile_div.quotient(column);
        let x0 = t * self.tile;
        let w = self.tile.min(self.width - x0);
        (t as usize, row * w + (column - x0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(width: u32, tile: u32) -> Plan {
        Plan::new(width, 100, tile, 1 << 30, 2, 4).unwrap()
    }

    #[test]
    fn locate_finds_tile_and_index() {
        let mut p = plan(10, 4);
        p.band_height = 3;
        let layout = TileLayout::new(&p, 0);
        assert_eq!(layout.tiles(), 3);
        let rec = |row: u32, col: u32| (row << p.column_bits) | col;
        assert_eq!(layout.locate(rec(0, 0)), (0, 0));
        assert_eq!(layout.locate(rec(1, 5)), (1, 4 + 1));
        // The last tile is 2 wide.
        assert_eq!(layout.locate(rec(2, 9)), (2, 2 * 2 + 1));
        assert_eq!(layout.tile_offset(2), 8 * 3);
    }

    #[test]
    fn row_pieces_cover_the_row() {
        let mut p = plan(10, 4);
        p.band_height = 2;
        let layout = TileLayout::new(&p, 0);
        let buffer: Vec<u32> = (0..20).collect();
        let pieces: Vec<(u32, Vec<u32>)> =
            layout.row_pieces(&buffer, 1, 1).map(|(x, s)| (x, s.to_vec())).collect();
        assert_eq!(pieces, vec![(0, vec![4, 5, 6, 7]), (4, vec![12, 13, 14, 15]), (8, vec![18, 19])]);
        let two: Vec<u32> = (0..40).collect();
        let pieces: Vec<(u32, Vec<u32>)> =
            layout.row_pieces(&two, 0, 2).map(|(x, s)| (x, s.to_vec())).collect();
        assert_eq!(pieces[1], (4, (16..24).collect()));
        let whole = TileLayout::whole_rows(&p, 0);
        let rows: Vec<(u32, Vec<u32>)> =
            whole.row_pieces(&buffer, 1, 1).map(|(x, s)| (x, s.to_vec())).collect();
        assert_eq!(rows, vec![(0, (10..20).collect())]);
    }

    #[test]
    fn windows_are_the_band_rows_of_a_tile() {
        let mut p = plan(10, 4);
        p.band_height = 3;
        let layout = TileLayout::new(&p, 2);
        assert_eq!(layout.canvas_rows(), 6..9);
        assert_eq!(layout.tile_window(2), PixelWindow { x0: 8, x1: 10, y0: 6, y1: 9 });
    }
}
