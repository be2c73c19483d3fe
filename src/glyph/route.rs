//! Routing a band's records to the tiles they draw in, window by window, tiles in
//! parallel, records in input order within every tile (so order-sensitive reductions
//! give the same result for any tile size and thread count).
//!
//! Points fall in one tile each: a window of records is counting-sorted by tile and each
//! record's packed pixel replaced by its index in the tile ([`for_each_tile_window`]).
//! Segments may span several tiles: a record is copied to every tile its column span
//! reaches ([`for_each_tile_window_spans`]), and drawn there clipped to the tile.

use std::sync::Mutex;

use crate::canvas::TileLayout;
use crate::error::Result;
use crate::glyph::record::Record;
use crate::parallel;
use crate::partition::Partition;

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

/// Reads all records of `band` window by window, routes each to its tile (replacing its
/// packed pixel by its index within the tile), and calls `accumulate(tile, records)` for
/// every tile and window, tiles in parallel, records in input order. A window holds up to
/// `window_bytes` of records (at least [`WINDOW_BYTES`]): the records of a sparse band then
/// come in one window, and each tile is folded once, while it is in cache.
pub fn for_each_tile_window<R, T, F>(
    partition: &Partition,
    band: u32,
    layout: &TileLayout,
    window_bytes: u64,
    tiles: &mut [&mut [T]],
    accumulate: F,
) -> Result<()>
where
    R: Record<Shape = u32>,
    T: Send,
    F: Fn(&mut [T], &[R]) + Sync,
{
    let window = window_bytes.max(WINDOW_BYTES as u64) / std::mem::size_of::<R>().max(1) as u64;
    sorted_windows(partition, band, layout, window, |sorted: &[R], bounds| {
        parallel::for_each_mut(tiles, |t, tile| {
            let (a, b) = (bounds[t], bounds[t + 1]);
            if a < b {
                accumulate(tile, &sorted[a..b]);
            }
        });
        Ok(())
    })
}

/// Routes every record of `band` to its tile in ONE window, when the band has at most
/// `max_records`, and calls `each(tile, records)` once for every tile (with no records for
/// a tile that has none), tiles in parallel, records in input order, each record's packed
/// pixel replaced by its index within the tile: so a caller can clear and fold a tile
/// whole while it is in cache, or fold it in a buffer of one tile and read it back at
/// once. None (nothing read) when the band has more records.
pub fn for_each_whole_tile<R, F>(
    partition: &Partition,
    band: u32,
    layout: &TileLayout,
    max_records: u64,
    each: F,
) -> Option<Result<()>>
where
    R: Record<Shape = u32>,
    F: Fn(usize, &[R]) + Sync,
{
    let total = partition.band_len(band);
    if total > max_records {
        return None;
    }
    if total == 0 {
        parallel::for_each_index(layout.tiles(), &|t| each(t, &[]));
        return Some(Ok(()));
    }
    Some(sorted_windows(partition, band, layout, max_records, |sorted: &[R], bounds| {
        parallel::for_each_index(layout.tiles(), &|t| each(t, &sorted[bounds[t]..bounds[t + 1]]));
        Ok(())
    }))
}

/// Reads the records of `band` in windows of at most `window` records, sorts each by tile
/// ([`sort_by_tile`]) and calls `each(sorted, bounds)` per window, in order.
fn sorted_windows<R, F>(
    partition: &Partition,
    band: u32,
    layout: &TileLayout,
    window: u64,
    mut each: F,
) -> Result<()>
where
    R: Record<Shape = u32>,
    F: FnMut(&[R], &[usize]) -> Result<()>,
{
    let total = partition.band_len(band);
    if total == 0 {
        return Ok(());
    }
    // The buffer has the window's full size, so one buffer serves every band of a pass
    // (only the pages a band uses are touched).
    let mut buffer = WindowBuffer::take(2 * window as usize * std::mem::size_of::<R>());
    let window = window.min(total) as usize;
    let (mut owned_records, mut owned_sorted): (Vec<R>, Vec<R>);
    let (records, sorted): (&mut [R], &mut [R]) = match buffer.records::<R>(2 * window) {
        Some(both) => both.split_at_mut(window),
        None => {
            // A record type the reused words cannot hold (never for points' records).
            owned_records = vec![R::zeroed(); window];
            owned_sorted = vec![R::zeroed(); window];
            (&mut owned_records[..], &mut owned_sorted[..])
        }
    };
    let n_tiles = layout.tiles();
    let mut read = 0u64;
    while read < total {
        let n = (window as u64).min(total - read) as usize;
        partition.read(band, read, &mut records[..n])?;
        read += n as u64;
        let bounds = sort_by_tile(layout, &records[..n], &mut sorted[..n], n_tiles);
        each(&sorted[..n], &bounds)?;
    }
    Ok(())
}

/// Record windows of earlier bands, kept for the next: windows of tens of MB allocated
/// anew each band would stay with the allocator of whichever worker thread freed them
/// (glibc's threshold for returning large blocks rises after the first), one copy per
/// thread; reused, they are the window's size once. [`release_windows`] frees them (the
/// driver does after each pass, as the passes' windows differ).
static WINDOWS: Mutex<Vec<Vec<u64>>> = Mutex::new(Vec::new());

/// Windows kept at most (a band read in the statistics pass, one while another is emitted).
const KEPT_WINDOWS: usize = 2;

/// A window's memory, taken from [`WINDOWS`] and given back when dropped.
struct WindowBuffer(Vec<u64>);

impl WindowBuffer {
    /// A buffer of `bytes` (rounded up to 8): a kept one of that size, or a new one. Kept
    /// buffers of other sizes are freed, not held beside it (the plan budgets the windows
    /// of one kind at a time: a band folded from its lit pixels, or folded whole).
    fn take(bytes: usize) -> WindowBuffer {
        let words = bytes.div_ceil(8);
        let mut kept = WINDOWS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let reused = kept.iter().position(|buffer| buffer.len() == words).map(|i| kept.swap_remove(i));
        kept.clear();
        WindowBuffer(reused.unwrap_or_else(|| vec![0; words]))
    }

    /// The first `n` records of the buffer (None if `R`'s alignment exceeds 8 bytes).
    fn records<R: bytemuck::Pod>(&mut self, n: usize) -> Option<&mut [R]> {
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut self.0[..]);
        bytemuck::try_cast_slice_mut(&mut bytes[..n * std::mem::size_of::<R>()]).ok()
    }
}

impl Drop for WindowBuffer {
    fn drop(&mut self) {
        let mut kept = WINDOWS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.push(std::mem::take(&mut self.0));
        // Keep the largest.
        kept.sort_unstable_by_key(|buffer| std::cmp::Reverse(buffer.len()));
        kept.truncate(KEPT_WINDOWS);
    }
}

/// Frees the record windows kept between bands (the driver calls it when a render ends).
pub fn release_windows() {
    WINDOWS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
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
            (layout.tile_of(a), layout.tile_of(b).min(n_tiles - 1))
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
        parallel::for_each_mut(tiles, |t, tile| {
            if bounds[t] < bounds[t + 1] {
                draw(t, tile, &routed[bounds[t]..bounds[t + 1]]);
            }
        });
    }
    Ok(())
}

/// Counting sort of `records` by tile into `out` (as indices within the tile), stable;
/// returns the start of each tile's run (`n_tiles + 1` entries).
fn sort_by_tile<R: Record<Shape = u32>>(
    layout: &TileLayout,
    records: &[R],
    out: &mut [R],
    n_tiles: usize,
) -> Vec<usize> {
    if n_tiles == 1 {
        for (o, r) in out.iter_mut().zip(records) {
            *o = r.with_shape(layout.locate(r.shape()).1);
        }
        return vec![0, records.len()];
    }
    let part_len = records.len().div_ceil(SORT_PARTS).max(1);
    let parts: Vec<&[R]> = records.chunks(part_len).collect();
    // counts[p][t]: records of part p in tile t.
    // Each loop works on its own copies of the layout and the output's address, which the
    // compiler then keeps in registers (through references it reloaded them at every record,
    // since the stores might have changed them).
    let counts: Vec<Vec<usize>> = parallel::map_indices(parts.len(), |p| {
        let layout = layout.clone();
        let mut c = vec![0usize; n_tiles];
        for r in parts[p] {
            c[layout.locate(r.shape()).0] += 1;
        }
        c
    });
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
    parallel::for_each_index(parts.len(), &|p| {
        let (layout, target) = (layout.clone(), target.copy());
        let mut cursor = starts[p].clone();
        for r in parts[p] {
            let (t, i) = layout.locate(r.shape());
            target.write(cursor[t], r.with_shape(i));
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
    /// The same slice, as a value of the caller's own.
    #[inline(always)]
    fn copy(&self) -> SharedSlice<R> {
        SharedSlice(self.0, self.1)
    }

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
    use crate::canvas::Plan;

    fn plan(width: u32, tile: u32) -> Plan {
        Plan::new(width, 100, tile, 1 << 30, 2, 4).unwrap()
    }

    #[test]
    fn sort_is_stable_and_grouped_by_tile() {
        let p = plan(1000, 64);
        let mut p = p;
        p.band_height = 5;
        let layout = TileLayout::new(&p, 0);
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
}
