//! Compact counts: `count` and `any` of points in ONE pass over the input when the canvas's
//! u32 aggregate does not fit the memory budget but the points far outnumber the pixels
//! (issue 18 item 2: 10^9 points at 10000^2 are 4 GB of partition records, but 10^8
//! pixels).
//!
//! The whole canvas is held as one byte per pixel, the count modulo 256, row-major. When a
//! pixel's byte wraps to 0, its pixel index is noted; the notes are sorted from time to
//! time into an exact side table of (pixel, count / 256), so a pixel's count is `table *
//! 256 + byte`, exactly. Points are binned by direct counting's vectorised kernel
//! ([`crate::glyph::PixelIndex`], reading float columns in place), a chunk per worker,
//! sorted by region (a run of pixels that stays in the L2 cache), and folded by the workers
//! splitting the canvas into contiguous runs of regions rather than keeping private copies.
//! Dropped points get the pixel one past the last, a cell of its own after the canvas, which
//! counts them. Counts do not depend on the order of folding, so the bytes are the same for
//! every thread count and tile size.
//!
//! The side table holds at most one entry per pixel counted 256 or more times. It has an
//! allowance in the budget (a quarter of a byte per pixel, or a quarter of what the budget
//! leaves beside the canvas and the fixed costs if that is more); a canvas whose table
//! outgrows it stops, and the render partitions instead, reading the input a second time:
//! exact, bounded, O(N) still.
//!
//! The driver then shades the canvas band by band from these counts ([`Fill`]) with bands
//! sized by the budget left beside the compact canvas.

use crate::canvas::{Plan, TileLayout};
use crate::error::Result;
use crate::glyph::{PointBinner, Valued};
use crate::huge_pages::HugePageCells;
use crate::parallel;
use crate::partition::Binner as _;
use crate::progress::{check_cancelled, Progress};
use crate::reduce::Reducer;
use crate::render::band::Fill;
use crate::render::direct;
use crate::render::tally::for_each_prefetched;

/// Points each worker bins and sorts at once (8 bytes each: the binned and sorted pixel).
const CHUNK: usize = 1 << 20;

/// log2 of the pixels of a region: 512 KiB of one-byte cells.
const REGION_BITS: u32 = 19;

/// Bytes of the side table and its notes per pixel of the canvas, as a divisor: a quarter
/// of a byte per pixel at least ([`table_bytes`]).
const TABLE_DIVISOR: u64 = 4;

/// Of what the budget leaves beside the compact canvas, the share the side table may take
/// (as a divisor), when that is more than [`TABLE_DIVISOR`] gives: the rest sizes the render
/// pass's bands.
const TABLE_SHARE: u64 = 4;

/// Bytes per side-table entry, counted generously: the entry (8), the merged copy made
/// while it grows (8), and the notes waiting to be merged.
const ENTRY_BYTES: u64 = 32;

/// The plan of the render pass of a compact count render of `plan`'s canvas (bands sized
/// by the budget left beside the compact canvas and its side table), or None when the
/// render should partition or count directly: the reducer does more than count, the canvas
/// is one band whose direct counting runs on every thread, pixel indices (and the dropped points' one past the last) would not fit a u32, the points' records (4 bytes each) would not
/// outweigh the canvas's bytes, or the budget has no room for the compact canvas.
pub(crate) fn choose<R: Reducer>(reducer: &R, plan: &Plan, items: usize) -> Option<Plan> {
    reducer.counted(0)?;
    let pixels = u64::from(plan.width) * u64::from(plan.height);
    let direct_counts = plan.bands == 1 && direct::counts_in_parallel(plan);
    if direct_counts || !direct::fits(pixels + 1) || (items as u64).saturating_mul(4) <= pixels {
        return None;
    }
    let held = pixels + table_bytes(plan, pixels);
    let left = plan.budget.checked_sub(held)?;
    let emit =
        Plan::new(plan.width, plan.height, plan.tile, left, plan.threads, plan.aggregate_bytes).ok()?;
    // Emitted in bands, as the partition's are, when one band would be as large as direct
    // counting refuses: a band is filled from the compact counts while the one before is
    // encoded (10^9 points at 8000^2 under 1 GiB: 3.5 s in one band).
    Some(if direct::counts_in_bands(&emit) { emit.in_bands() } else { emit })
}

/// Bytes the side table of a compact canvas of `pixels` may take: a quarter of a byte per
/// pixel, or a quarter of what the budget leaves beside the canvas and the render's fixed
/// costs if that is more. With the first alone, 10^9 points (range -17,17) at 6000^2 lit
/// more pixels 256 times than the table held, and the render read its input again to
/// partition 4 GB of records: 13.1 s against 2.4 s with a larger budget.
fn table_bytes(plan: &Plan, pixels: u64) -> u64 {
    (pixels / TABLE_DIVISOR).max(plan.beside_fixed_costs().saturating_sub(pixels) / TABLE_SHARE)
}

/// A whole canvas of counts, one byte per pixel plus the exact side table.
pub(crate) struct CompactCounts {
    width: u32,
    /// Count modulo 256 of every pixel, row-major, then of the dropped points: on 2 MiB
    /// pages, as every point lands in it at random ([`HugePageCells`]).
    low: HugePageCells<u8>,
    /// (pixel, count / 256) of every pixel counted 256 times or more, by pixel.
    table: Vec<(u32, u32)>,
    plotted: u64,
}

/// A worker's chunk: its pixels as binned, then sorted by region, and where each region
/// starts (while binning: how many pixels each region has, at the next region's slot).
#[derive(Default)]
struct Chunk {
    pixels: Vec<u32>,
    sorted: Vec<u32>,
    starts: Vec<usize>,
}

/// A worker's part of the canvas: its regions, their bytes, and its side table.
struct Part<'a> {
    regions: std::ops::Range<usize>,
    first_pixel: u32,
    low: &'a mut [u8],
    notes: Vec<u32>,
    table: Vec<(u32, u32)>,
}

impl Part<'_> {
    /// Folds the points of its regions in `chunk`. A chunk's points are sparse within a
    /// region, so most increments miss the caches: the cell some points on is prefetched
    /// ([`for_each_prefetched`]), so several misses are in flight.
    fn fold(&mut self, chunk: &Chunk) {
        let (from, to) = (chunk.starts[self.regions.start], chunk.starts[self.regions.end]);
        let points = &chunk.sorted[from..to];
        let (low, first, notes) = (&mut *self.low, self.first_pixel, &mut self.notes);
        let base = low.as_ptr();
        let bump = |p: u32| {
            let cell = &mut low[(p - first) as usize];
            *cell = cell.wrapping_add(1);
            if *cell == 0 {
                notes.push(p);
            }
        };
        for_each_prefetched(points, |later| base.wrapping_add(later.wrapping_sub(first) as usize), bump);
    }

    /// Merges the notes into the side table; false when the table holds more than
    /// `max_entries` entries.
    fn merge_notes(&mut self, max_entries: usize) -> bool {
        if self.notes.is_empty() {
            return self.table.len() <= max_entries;
        }
        self.notes.sort_unstable();
        let mut merged = Vec::with_capacity(self.table.len() + self.notes.len().min(max_entries + 1));
        let mut old = self.table.iter().copied().peekable();
        let mut notes = self.notes.iter().copied().peekable();
        loop {
            let next = match (old.peek().copied(), notes.peek().copied()) {
                (None, None) => break,
                (Some(entry), Some(p)) if entry.0 < p => old.next(),
                (Some(_), Some(p)) | (None, Some(p)) => {
                    let mut entry = match old.next_if(|e| e.0 == p) {
                        Some(e) => e,
                        None => (p, 0),
                    };
                    while notes.next_if_eq(&p).is_some() {
                        entry.1 = entry.1.saturating_add(1);
                    }
                    Some(entry)
                }
                (Some(_), None) => old.next(),
            };
            merged.extend(next);
            if merged.len() > max_entries {
                return false;
            }
        }
        self.notes.clear();
        self.table = merged;
        true
    }
}

impl CompactCounts {
    /// Counts every point of `binner` on `plan`'s canvas (the module doc), or None when
    /// the side table outgrew its allowance.
    pub fn aggregate(
        binner: &PointBinner<'_, Valued<u32>>,
        plan: &Plan,
        progress: &dyn Progress,
    ) -> Result<Option<CompactCounts>> {
        let (width, height) = (plan.width, plan.height);
        let pixels = width as usize * height as usize;
        // Row-major pixel indices; dropped points get `pixels`, in the last region.
        let kernel = binner.pixel_index();
        debug_assert_eq!(kernel.dropped() as usize, pixels);
        let regions = (pixels >> REGION_BITS) + 1;
        let workers = plan.threads.clamp(1, regions);
        let max_entries = ((table_bytes(plan, pixels as u64) / ENTRY_BYTES) / workers as u64) as usize;
        let max_notes = max_entries.max(1024);

        let mut low = HugePageCells::<u8>::zeroed(pixels + 1);
        let mut parts = Vec::with_capacity(workers);
        let mut rest = &mut low[..];
        let mut first_pixel = 0usize;
        for w in 0..workers {
            let regions = w * regions / workers..(w + 1) * regions / workers;
            let end = (regions.end << REGION_BITS).min(pixels + 1);
            let (part, tail) = rest.split_at_mut(end - first_pixel);
            parts.push(Part {
                regions,
                first_pixel: first_pixel as u32,
                low: part,
                notes: Vec::new(),
                table: Vec::new(),
            });
            rest = tail;
            first_pixel = end;
        }

        let items = binner.items();
        let chunk = match binner.preferred_chunk() {
            Some(p) if p > 0 => CHUNK.div_ceil(p).saturating_mul(p),
            _ => CHUNK,
        };
        let chunks = items.div_ceil(chunk);
        progress.stage("aggregate", items as u64);
        let mut buffers: Vec<Chunk> = (0..workers).map(|_| Chunk::default()).collect();
        for first in (0..chunks).step_by(workers) {
            let batch = &mut buffers[..workers.min(chunks - first)];
            let binned = parallel::map_mut(batch, |i, buffer| -> Result<()> {
                check_cancelled(progress)?;
                let start = (first + i) * chunk;
                let len = chunk.min(items - start);
                let Chunk { pixels, starts, .. } = buffer;
                pixels.clear();
                starts.clear();
                starts.resize(regions + 1, 0);
                // Each run's region counts are taken while its indices are in L1.
                binner.index_pixels(&kernel, start, len, |indices| {
                    for &p in indices {
                        starts[(p >> REGION_BITS) as usize + 1] += 1;
                    }
                    pixels.extend_from_slice(indices);
                })?;
                buffer.sort_by_region();
                progress.advance(len as u64);
                Ok(())
            });
            binned.into_iter().collect::<Result<()>>()?;
            // Pages the OS mapped around a read (fault-around) beside a chunk another
            // worker had already released stay mapped: release the batch and the one
            // before it again, so mapped input never adds up in the RSS.
            let end = (first + batch.len()) * chunk;
            let from = first.saturating_sub(workers) * chunk;
            binner.release(from, end.min(items) - from);
            let batch = &*batch;
            let fits = parallel::map_mut(&mut parts, |_, part| {
                batch.iter().for_each(|buffer| part.fold(buffer));
                part.notes.len() < max_notes || part.merge_notes(max_entries)
            });
            if !fits.into_iter().all(|fits| fits) {
                return Ok(None);
            }
        }
        if !parts.iter_mut().all(|part| part.merge_notes(max_entries)) {
            return Ok(None);
        }
        // The parts are in pixel order, so their tables join sorted; the dropped points'
        // cell is the last.
        let mut table: Vec<(u32, u32)> = parts.into_iter().flat_map(|part| part.table).collect();
        let high = match table.last() {
            Some(&(p, _)) if p as usize == pixels => table.pop().map_or(0, |(_, high)| high),
            _ => 0,
        };
        let dropped = u64::from(high) * 256 + u64::from(low[pixels]);
        let plotted = (items as u64).saturating_sub(dropped);
        Ok(Some(CompactCounts { width, low, table, plotted }))
    }

    /// Points that landed on the canvas.
    pub fn plotted(&self) -> u64 {
        self.plotted
    }
}

impl Chunk {
    /// Sorts the binned pixels by region into `sorted` (a counting sort), region `r`
    /// starting at `starts[r]`; `starts[r + 1]` holds region `r`'s count on entry.
    fn sort_by_region(&mut self) {
        let Chunk { pixels, sorted, starts } = self;
        for r in 1..starts.len() {
            starts[r] += starts[r - 1];
        }
        let mut next = starts.clone();
        sorted.resize(pixels.len(), 0);
        for &p in pixels.iter() {
            let at = &mut next[(p >> REGION_BITS) as usize];
            sorted[*at] = p;
            *at += 1;
        }
    }
}

impl<R: Reducer> Fill<R> for CompactCounts {
    fn fill(
        &self,
        reducer: &R,
        plan: &Plan,
        layout: &TileLayout,
        band: u32,
        cells: &mut [R::Cell],
    ) -> Result<()> {
        let rows = plan.band_rows(band);
        let width = self.width as usize;
        let cell = |count: u64| reducer.counted(count.min(u64::from(u32::MAX)) as u32).unwrap_or(R::EMPTY);
        let mut tiles = layout.split_tiles_mut(cells, reducer.channels());
        parallel::for_each_mut(&mut tiles, |t, tile| {
            let (x0, w) = layout.tile_columns(t);
            for (r, out) in tile.chunks_exact_mut(w as usize).enumerate() {
                let at = (rows.start as usize + r) * width + x0 as usize;
                for (into, &low) in out.iter_mut().zip(&self.low[at..at + w as usize]) {
                    *into = cell(u64::from(low));
                }
            }
        });
        drop(tiles);
        // Pixels counted 256 times or more: the side table's entries in the band's rows.
        let (first, end) = (rows.start as usize * width, rows.end as usize * width);
        let from = self.table.partition_point(|&(p, _)| (p as usize) < first);
        for &(p, high) in self.table[from..].iter().take_while(|&&(p, _)| (p as usize) < end) {
            let (row, column) = (p / self.width - rows.start, p % self.width);
            let t = layout.tile_of(column);
            let (x0, w) = layout.tile_columns(t);
            let at = layout.tile_offset(t) + row as usize * w as usize + (column - x0) as usize;
            cells[at] = cell(u64::from(high) * 256 + u64::from(self.low[p as usize]));
        }
        Ok(())
    }
}
