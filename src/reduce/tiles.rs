//! The tile-major layout of a band's aggregate, and the window sort that routes a band's
//! records to their tiles.

use rayon::prelude::*;

use crate::canvas::{FastDiv, Plan};
use crate::error::Result;
use crate::partition::{Partition, Record};

/// Records are read from the partition in windows of this many bytes (1 Mi pixel records;
/// fewer of the larger value and segment records), so the window's memory is bounded.
const WINDOW_BYTES: usize = 4 << 20;

/// Records of type `R` per window.
fn window_len<R>() -> u64 {
    (WINDOW_BYTES / std::mem::size_of::<R>().max(1)).max(1) as u64
}

/// Windows are sorted by tile in this many independent parts (fixed, so the order of
/// records within a tile never depends on the thread count).
const SORT_PARTS: usize = 8;

/// Where each tile of a band lives in the band's tile-major buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileLayout {
    width: u32,
    rows: u32,
    tile: u32,
    tile_div: FastDiv,
    column_bits: u32,
    column_mask: u32,
}

impl TileLayout {
    /// The layout of a band of `rows` rows of the canvas in `plan`.
    pub fn new(plan: &Plan, rows: u32) -> TileLayout {
        let tile = plan.tile.min(plan.width);
        TileLayout {
            width: plan.width,
            rows,
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

    /// Number of tiles across.
    pub fn tiles(&self) -> usize {
        self.width.div_ceil(self.tile) as usize
    }

    /// First column and width of tile `t`.
    pub fn tile_columns(&self, t: usize) -> (u32, u32) {
        let x0 = t as u32 * self.tile;
        (x0, self.tile.min(self.width - x0))
    }

    /// The canvas pixels of tile `t` in a band covering canvas rows `rows`, as a drawing
    /// window for glyphs that span several pixels (lines).
    pub fn tile_window(&self, t: usize, rows: std::ops::Range<u32>) -> crate::glyph::lines::PixelWindow {
        let (x0, w) = self.tile_columns(t);
        crate::glyph::lines::PixelWindow { x0, x1: x0 + w, y0: rows.start, y1: rows.end }
    }

    /// Offset of tile `t`'s first pixel in the buffer.
    pub fn tile_offset(&self, t: usize) -> usize {
        (t as u32 * self.tile) as usize * self.rows as usize
    }

    /// Number of pixels in the band.
    pub fn pixels(&self) -> usize {
        self.width as usize * self.rows as usize
    }

    /// Splits a band buffer into one mutable slice per tile.
    pub fn split_tiles_mut<'b, T>(&self, mut buffer: &'b mut [T]) -> Vec<&'b mut [T]> {
        let mut tiles = Vec::with_capacity(self.tiles());
        for t in 0..self.tiles() {
            let (_, w) = self.tile_columns(t);
            let (head, rest) = buffer.split_at_mut(w as usize * self.rows as usize);
            tiles.push(head);
            buffer = rest;
        }
        tiles
    }

    /// The pieces of band row `row`, left to right, as (first column, values).
    pub fn row_pieces<'b, T>(&self, buffer: &'b [T], row: u32) -> impl Iterator<Item = (u32, &'b [T])> + 'b {
        let layout = self.clone();
        (0..self.tiles()).map(move |t| {
            let (x0, w) = layout.tile_columns(t);
            let start = layout.tile_offset(t) + row as usize * w as usize;
            (x0, &buffer[start..start + w as usize])
        })
    }

    /// (tile, index within the tile) of a packed record.
    #[inline(always)]
    fn locate(&self, record: u32) -> (usize, u32) {
        let column = record & self.column_mask;
        let row = record >> self.column_bits;
        let t = self.tile_div.quotient(column);
        let x0 = t * self.tile;
        let w = self.tile.min(self.width - x0);
        (t as usize, row * w + (column - x0))
    }
}

/// Reads all records of `band` window by window, routes each to its tile (replacing its
/// packed pixel by its index within the tile), and calls `accumulate(tile, records)` for
/// every tile and window, tiles in parallel, records in input order.
pub fn for_each_tile_window<R, T, F>(
    partition: &Partition,
    band: u32,
    layout: &TileLayout,
    tiles: &mut [&mut [T]],
    accumulate: F,
) -> Result<()>
where
    R: Record,
    T: Send,
    F: Fn(&mut [T], &[R]) + Sync,
{
    let total = partition.band_len(band);
    if total == 0 {
        return Ok(());
    }
    let window = window_len::<R>().min(total) as usize;
    let mut records = vec![R::zeroed(); window];
    let mut sorted = vec![R::zeroed(); window];
    let n_tiles = layout.tiles();
    let mut read = 0u64;
    while read < total {
        let n = (window as u64).min(total - read) as usize;
        partition.read(band, read, &mut records[..n])?;
        read += n as u64;
        let bounds = sort_by_tile(layout, &records[..n], &mut sorted[..n], n_tiles);
        tiles.par_iter_mut().enumerate().with_min_len(1).for_each(|(t, tile)| {
            let (a, b) = (bounds[t], bounds[t + 1]);
            if a < b {
                accumulate(tile, &sorted[a..b]);
            }
        });
    }
    Ok(())
}

/// Like [`for_each_tile_window`] for glyphs that cover several tiles (line segments):
/// `columns(record)` gives the first and last canvas column the record may touch, the record
/// is routed (copied) to every tile column in that span, and `draw(tile_index, tile,
/// records)` is called per tile, tiles in parallel, records in input order.
pub fn for_each_tile_window_spans<R, T, C, F>(
    partition: &Partition,
    band: u32,
    layout: &TileLayout,
    tiles: &mut [&mut [T]],
    columns: C,
    draw: F,
) -> Result<()>
where
    R: bytemuck::Pod + Send + Sync,
    T: Send,
    C: Fn(&R) -> (u32, u32),
    F: Fn(usize, &mut [T], &[R]) + Sync,
{
    let total = partition.band_len(band);
    let window = window_len::<R>().min(total) as usize;
    let mut records = vec![R::zeroed(); window];
    let n_tiles = layout.tiles();
    let mut read = 0u64;
    while read < total {
        let n = (window as u64).min(total - read) as usize;
        partition.read(band, read, &mut records[..n])?;
        read += n as u64;
        let tile_range = |r: &R| {
            let (a, b) = columns(r);
            (layout.tile_div.quotient(a) as usize, (layout.tile_div.quotient(b) as usize).min(n_tiles - 1))
        };
        let mut bounds = vec![0usize; n_tiles + 1];
        for r in &records[..n] {
            let (a, b) = tile_range(r);
            for t in a..=b {
                bounds[t + 1] += 1;
            }
        }
        for t in 0..n_tiles {
            bounds[t + 1] += bounds[t];
        }
        let mut routed = vec![R::zeroed(); bounds[n_tiles]];
        let mut cursor = bounds.clone();
        for r in &records[..n] {
            let (a, b) = tile_range(r);
            for t in a..=b {
                routed[cursor[t]] = *r;
                cursor[t] += 1;
            }
        }
        tiles.par_iter_mut().enumerate().with_min_len(1).for_each(|(t, tile)| {
            if bounds[t] < bounds[t + 1] {
                draw(t, tile, &routed[bounds[t]..bounds[t + 1]]);
            }
        });
    }
    Ok(())
}

/// Counting sort of `records` by tile into `out` (as indices within the tile), stable;
/// returns the start of each tile's run (`n_tiles + 1` entries).
fn sort_by_tile<R: Record>(layout: &TileLayout, records: &[R], out: &mut [R], n_tiles: usize) -> Vec<usize> {
    if n_tiles == 1 {
        for (o, r) in out.iter_mut().zip(records) {
            *o = R::new(layout.locate(r.pixel()).1, r.value());
        }
        return vec![0, records.len()];
    }
    let part_len = records.len().div_ceil(SORT_PARTS).max(1);
    let parts: Vec<&[R]> = records.chunks(part_len).collect();
    // counts[p][t]: records of part p in tile t.
    let counts: Vec<Vec<usize>> = parts
        .par_iter()
        .map(|part| {
            let mut c = vec![0usize; n_tiles];
            for r in *part {
                c[layout.locate(r.pixel()).0] += 1;
            }
            c
        })
        .collect();
    let mut bounds = vec![0usize; n_tiles + 1];
    let mut starts = vec![vec![0usize; n_tiles]; parts.len()];
    let mut at = 0;
    for t in 0..n_tiles {
        bounds[t] = at;
        for p in 0..parts.len() {
            starts[p][t] = at;
            at += counts[p][t];
        }
    }
    bounds[n_tiles] = at;
    let target = SharedSlice(out.as_mut_ptr(), out.len());
    parts.par_iter().zip(starts.par_iter()).for_each(|(part, start)| {
        let mut cursor = start.clone();
        for r in *part {
            let (t, i) = layout.locate(r.pixel());
            target.write(cursor[t], R::new(i, r.value()));
            cursor[t] += 1;
        }
    });
    bounds
}

/// The output of the parallel scatter, written by several parts at disjoint positions.
struct SharedSlice<R>(*mut R, usize);

// SAFETY: only used by `sort_by_tile`, whose parts write disjoint positions.
unsafe impl<R: Send> Send for SharedSlice<R> {}
// SAFETY: as above.
unsafe impl<R: Send> Sync for SharedSlice<R> {}

impl<R> SharedSlice<R> {
    #[inline(always)]
    fn write(&self, position: usize, value: R) {
        assert!(position < self.1);
        // SAFETY: in bounds (checked above); part p writes only positions
        // starts[p][t] .. starts[p][t] + counts[p][t] for each tile t, and these ranges are
        // disjoint across parts and tiles by the prefix sums, so no two threads write the
        // same element and nobody reads `out` until the parallel loop has ended.
        unsafe { *self.0.add(position) = value }
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
        let p = plan(10, 4);
        let layout = TileLayout::new(&p, 3);
        assert_eq!(layout.tiles(), 3);
        let rec = |row: u32, col: u32| (row << p.column_bits) | col;
        assert_eq!(layout.locate(rec(0, 0)), (0, 0));
        assert_eq!(layout.locate(rec(1, 5)), (1, 4 + 1));
        // The last tile is 2 wide.
        assert_eq!(layout.locate(rec(2, 9)), (2, 2 * 2 + 1));
        assert_eq!(layout.tile_offset(2), 8 * 3);
    }

    #[test]
    fn sort_is_stable_and_grouped_by_tile() {
        let p = plan(1000, 64);
        let layout = TileLayout::new(&p, 5);
        let mut x = 7u32;
        let records: Vec<u32> = (0..100_000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (((x >> 8) % 5) << p.column_bits) | ((x >> 3) % 1000)
            })
            .collect();
        let mut out = vec![0; records.len()];
        let bounds = sort_by_tile(&layout, &records, &mut out, layout.tiles());
        for t in 0..layout.tiles() {
            let expected: Vec<u32> = records
                .iter()
                .map(|&r| layout.locate(r))
                .filter(|&(tt, _)| tt == t)
                .map(|(_, i)| i)
                .collect();
            assert_eq!(&out[bounds[t]..bounds[t + 1]], &expected[..], "tile {t}");
        }
    }

    #[test]
    fn row_pieces_cover_the_row() {
        let p = plan(10, 4);
        let layout = TileLayout::new(&p, 2);
        let buffer: Vec<u32> = (0..20).collect();
        let pieces: Vec<(u32, Vec<u32>)> =
            layout.row_pieces(&buffer, 1).map(|(x, s)| (x, s.to_vec())).collect();
        assert_eq!(pieces, vec![(0, vec![4, 5, 6, 7]), (4, vec![12, 13, 14, 15]), (8, vec![18, 19])]);
    }
}
