//! Direct aggregation: when the whole canvas is one band, points are binned straight from
//! the input into the band's cells, with no partition and no scratch file, in one pass.
//!
//! A chunk of points is binned to cell indices, then sorted (a stable counting sort) by
//! *region*, a run of cells that stays in the L2 cache, and folded region by region, so
//! the folds hit the cache instead of a random spot of a canvas of many megabytes. The sort
//! is stable: within a pixel, points keep their input order.
//!
//! Reductions whose partial cells merge in any order ([`Reducer::MERGES_IN_ANY_ORDER`]:
//! count, any, count-cat) fold fixed chunks of the input in parallel, each worker into its
//! own canvas (as many as the memory budget holds beside the band), then the canvases are
//! merged pixel by pixel: integer counts, so the cells are those of one pass in input
//! order whatever the thread count. The others (float sums, min, max, first, last) fold
//! into the one canvas in input order, yet on every thread: each chunk is cut into a piece
//! per thread, the pieces are binned and sorted in parallel, then the regions are folded in
//! parallel, each by one task that takes the pieces' runs of it in piece order. A pixel's
//! fragments fold in input order and no two tasks share a cell, so the cells are the same
//! bytes as one pass in order, whatever the thread count (as the partitioned path's are,
//! band by band).
//!
//! Reductions that only count points ([`Reducer::counted`]: count, any) take a shorter
//! road when the budget holds a [`Tally`] per worker: the points' row-major pixel indices
//! ([`crate::glyph::PixelIndex`], vectorised, reading float columns in place) are counted
//! straight into each worker's byte-per-pixel tally, with no sort; the tallies are summed
//! into the band's cells at the end. Counts are integers, so the cells are those of one
//! pass in input order whatever the thread count.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::canvas::{Plan, TileLayout};
use crate::error::Result;
use crate::glyph::points::INDEX_RUN;
use crate::glyph::{CellIndex, PointBinner, Valued};
use crate::parallel;
use crate::partition::Binner;
use crate::progress::{check_cancelled, Progress};
use crate::reduce::{Fragment, Reducer, ValueUse as _};
use crate::render::band::Fill;
use crate::render::tally::Tally;

/// Most points binned and sorted at once (a worker's sort buffers hold this many).
const MAX_CHUNK: usize = 1 << 21;

/// Fewest points per chunk, when the budget leaves little room for sort buffers.
const MIN_CHUNK: usize = 1 << 12;

/// Bytes of cells in one region: half of a 1 MiB L2 cache.
const REGION_BYTES: usize = 1 << 19;

/// Points a counting worker takes at once (its unit of work, progress and cancellation).
const COUNT_CHUNK: usize = 1 << 20;

/// Points kept mapped below the first chunk still being read when finished chunks are
/// released again (see [`ReleaseBehind`]): at least a 2 MiB page-cache folio of 8-byte
/// values.
const RELEASE_MARGIN: usize = 1 << 20;

/// Releases, again, the mapped pages of every chunk all workers have finished with.
///
/// Each reader releases pages as it goes, but a page fault maps the whole page-cache folio
/// it hits (up to 2 MiB on recent kernels), which may reach back into a neighbouring chunk
/// already read and released: pages nobody would release again, adding up to hundreds of
/// MB of RSS over 10^9 points. Chunks are handed out in order, so everything below the first
/// unfinished chunk, less a folio's margin, is never read again and is released here.
struct ReleaseBehind {
    /// Which chunks are finished, the first unfinished one, and how far it was released.
    state: std::sync::Mutex<(Vec<bool>, usize, usize)>,
}

impl ReleaseBehind {
    fn new(chunks: usize) -> ReleaseBehind {
        ReleaseBehind { state: std::sync::Mutex::new((vec![false; chunks], 0, 0)) }
    }

    /// Records that chunk `c` (of `chunk` points) is finished; returns the points to
    /// release again, if the first unfinished chunk moved.
    fn finished(&self, c: usize, chunk: usize) -> Option<std::ops::Range<usize>> {
        // A poisoned lock only means another worker panicked; the flags are still usable.
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (done, first, released) = &mut *guard;
        done[c] = true;
        while *first < done.len() && done[*first] {
            *first += 1;
        }
        let end = (*first * chunk).saturating_sub(RELEASE_MARGIN);
        (end > *released).then(|| std::mem::replace(released, end)..end)
    }
}

/// Cells merged per parallel piece when the workers' canvases are combined.
const MERGE_PIECE: usize = 1 << 16;

/// Whether a canvas of `pixels` pixels can be aggregated directly: cell indices are u32.
pub(crate) fn fits(pixels: u64) -> bool {
    pixels <= u64::from(u32::MAX)
}

/// The most pixels of a one-band canvas of counts that direct counting takes: beyond it the
/// tallies (a byte a pixel per worker) leave the caches, and compact counts or bands are
/// faster. 10^9 points (range -17,17) with a budget that holds the canvas as one band:
/// 7000^2 counted directly in 2.34 s against 2.50-2.88 s in compact counts, 8000^2 in
/// 3.43 s against 2.6 s, 10000^2 in 3.82 s against 2.84 s; 10^8 points at 20000^2 in 3.73
/// s against 1.2 s partitioned.
const MAX_COUNT_PIXELS: u64 = 56 << 20;

/// Whether a one-band `plan` of counts is to be cut into bands ([`Plan::in_bands`]) rather
/// than counted directly: it has more than [`MAX_COUNT_PIXELS`] pixels.
pub(crate) fn counts_in_bands(plan: &Plan) -> bool {
    plan.bands == 1 && u64::from(plan.width) * u64::from(plan.height) > MAX_COUNT_PIXELS
}

/// Whether direct counting of a one-band `plan` counts on every thread (two at least): the
/// budget holds a tally per worker beside the band. With one tally for two threads, 10^9
/// points at 4000^2 counted in 3.4-4.2 s, against 2.1 s with two (and compact counts,
/// `compact.rs`, which need a byte a pixel, take the canvas instead).
pub(crate) fn counts_in_parallel(plan: &Plan) -> bool {
    let cells = (u64::from(plan.width) * u64::from(plan.height)) as usize + 1;
    let threads = plan.threads.max(1);
    Direct::tally_workers(plan.spare_bytes(), cells, threads).is_some_and(|w| w >= threads.min(2))
}

/// Fills the single band of a canvas straight from the points (see the module doc).
pub(crate) struct Direct<'a> {
    binner: PointBinner<'a, Valued<u32>>,
    progress: &'a dyn Progress,
    plotted: AtomicU64,
}

/// How a fill cuts its work: chunk length and regions.
struct Shape {
    chunk: usize,
    region_bits: u32,
    regions: usize,
}

/// How many canvases are folded in parallel, how many sets of sort buffers there are and
/// how many points each bins at once.
#[derive(Debug, PartialEq, Eq)]
struct Split {
    /// Canvases: the band's, and one more per extra worker of an any-order reduction.
    workers: usize,
    /// Sets of sort buffers: one per worker, or with one canvas, one per thread (the pieces
    /// of a chunk binned in parallel).
    pieces: usize,
    /// Points a set of buffers holds.
    chunk: usize,
}

impl Split {
    /// The split that fits `spare` bytes: reductions whose partial canvases merge in any
    /// order (`any_order`) get as many workers as `threads` and the budget allow, each a
    /// canvas of `canvas_bytes` (the first is the band itself) and sort buffers of at least
    /// [`MIN_CHUNK`] points of `point_bytes`; the others fold the one canvas in input order
    /// with a set of sort buffers per thread (a chunk's pieces are binned in parallel, then
    /// its regions folded in parallel). The chunk is what each set's share of the rest
    /// holds, within [`MIN_CHUNK`] and [`MAX_CHUNK`].
    fn new(spare: u64, canvas_bytes: u64, point_bytes: u64, threads: usize, any_order: bool) -> Split {
        let min_sort = MIN_CHUNK as u64 * point_bytes;
        let workers = match any_order {
            true => (1..=threads.max(1) as u64)
                .take_while(|&w| (w - 1) * canvas_bytes + w * min_sort <= spare)
                .last()
                .unwrap_or(1),
            false => 1,
        };
        let pieces = if workers == 1 { threads.max(1) as u64 } else { workers };
        let per_set = spare.saturating_sub((workers - 1) * canvas_bytes) / pieces;
        let chunk = ((per_set / point_bytes.max(1)) as usize).clamp(MIN_CHUNK, MAX_CHUNK);
        Split { workers: workers as usize, pieces: pieces as usize, chunk }
    }
}

/// A worker's points of one chunk (or one piece of it), sorted by region run by run: each
/// run of at most [`INDEX_RUN`] points, as [`PointBinner::bin_cells`] hands them over, is
/// sorted by region (a stable counting sort, within the L1 and L2 caches) into `pixels`
/// and `values`, and its regions' offsets kept. A region's points are its slice of every
/// run, in input order.
#[derive(Default)]
struct Buffers {
    /// Cell indices, run after run, each run sorted by region.
    pixels: Vec<u32>,
    /// Their values (empty when the reduction reads none).
    values: Vec<f64>,
    /// Where each run starts in `pixels`, and one past the last run.
    starts: Vec<usize>,
    /// Per run, where each region's points start within it, and the run's length:
    /// `regions + 1` entries a run.
    offsets: Vec<u16>,
    /// Scratch: the next free place of each region while a run is sorted.
    next: Vec<u16>,
}

// A run's offsets are u16.
const _: () = assert!(INDEX_RUN <= u16::MAX as usize);

impl Buffers {
    /// The points of region `r` of `regions`, run by run, in input order.
    fn region(&self, r: usize, regions: usize) -> impl Iterator<Item = (&[u32], &[f64])> {
        self.starts.windows(2).zip(self.offsets.chunks_exact(regions + 1)).map(move |(run, offsets)| {
            let range = run[0] + usize::from(offsets[r])..run[0] + usize::from(offsets[r + 1]);
            let values = match self.values.is_empty() {
                true => &[][..],
                false => &self.values[range.clone()],
            };
            (&self.pixels[range], values)
        })
    }
}

impl<'a> Direct<'a> {
    /// Direct aggregation of `binner`'s points, reporting progress to `progress`.
    pub fn new(binner: PointBinner<'a, Valued<u32>>, progress: &'a dyn Progress) -> Self {
        Direct { binner, progress, plotted: AtomicU64::new(0) }
    }

    /// Points that landed on the canvas.
    pub fn plotted(&self) -> u64 {
        self.plotted.load(Ordering::Relaxed)
    }

    /// Bins the `len` points from `start` into `buffers`, sorted by region run by run;
    /// returns how many landed on the canvas.
    fn prepare(
        &self,
        index: &CellIndex,
        shape: &Shape,
        (start, len): (usize, usize),
        reads: bool,
        buffers: &mut Buffers,
    ) -> Result<u64> {
        check_cancelled(self.progress)?;
        let Buffers { pixels, values, starts, offsets, next } = buffers;
        pixels.clear();
        values.clear();
        starts.clear();
        offsets.clear();
        let (regions, bits) = (shape.regions, shape.region_bits);
        self.binner.bin_cells(start, len, index, reads, |run_pixels, run_values| {
            let (base, n) = (pixels.len(), run_pixels.len());
            starts.push(base);
            let at = offsets.len();
            offsets.resize(at + regions + 1, 0);
            let offsets = &mut offsets[at..];
            for &p in run_pixels {
                offsets[(p >> bits) as usize + 1] += 1;
            }
            for r in 1..offsets.len() {
                offsets[r] += offsets[r - 1];
            }
            next.clear();
            next.extend_from_slice(&offsets[..regions]);
            pixels.resize(base + n, 0);
            let sorted_pixels = &mut pixels[base..];
            if reads {
                values.resize(base + n, 0.0);
                let sorted_values = &mut values[base..];
                for (&p, &v) in run_pixels.iter().zip(run_values) {
                    let at = &mut next[(p >> bits) as usize];
                    sorted_pixels[usize::from(*at)] = p;
                    sorted_values[usize::from(*at)] = v;
                    *at += 1;
                }
            } else {
                for &p in run_pixels {
                    let at = &mut next[(p >> bits) as usize];
                    sorted_pixels[usize::from(*at)] = p;
                    *at += 1;
                }
            }
        })?;
        starts.push(pixels.len());
        self.progress.advance(len as u64);
        Ok(pixels.len() as u64)
    }

    /// How many workers count in tallies of `cells` cells within `spare` bytes and
    /// `threads` threads, if one fits at all.
    fn tally_workers(spare: u64, cells: usize, threads: usize) -> Option<usize> {
        let per_worker = Tally::BYTES_PER_CELL * cells as u64;
        let fit = (spare / per_worker.max(1)) as usize;
        (fit >= 1).then(|| fit.min(threads.max(1)))
    }

    /// Direct counting (see the module doc): counts every point in one of `workers`
    /// tallies, then writes the cells of `layout` (a one-band layout) from their sums.
    fn fill_counts<R: Reducer>(
        &self,
        reducer: &R,
        layout: &TileLayout,
        workers: usize,
        cells: &mut [R::Cell],
    ) -> Result<()> {
        let items = self.binner.items();
        let kernel = self.binner.pixel_index();
        let dropped = kernel.dropped() as usize;
        let chunk = match self.binner.preferred_chunk() {
            Some(p) if p > 0 => COUNT_CHUNK.div_ceil(p).saturating_mul(p),
            _ => COUNT_CHUNK,
        };
        let chunks = items.div_ceil(chunk);
        let workers = workers.min(chunks).max(1);
        let next = AtomicUsize::new(0);
        let behind = ReleaseBehind::new(chunks);
        let tallies = parallel::try_map_indices(workers, |_| -> Result<Tally> {
            let mut tally = Tally::new(dropped + 1);
            loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                if c >= chunks {
                    return Ok(tally);
                }
                check_cancelled(self.progress)?;
                let start = c * chunk;
                let len = chunk.min(items - start);
                self.binner.index_pixels(&kernel, start, len, |indices| tally.add(indices))?;
                if let Some(again) = behind.finished(c, chunk) {
                    self.binner.release(again.start, again.len().min(items.saturating_sub(again.start)));
                }
                self.progress.advance(len as u64);
            }
        })?;
        self.binner.release(0, items);
        let count = |i: usize| tallies.iter().fold(0u32, |n, t| n.saturating_add(t.get(i)));
        // One band: the layout's rows are the canvas's, its tiles side by side.
        let rows = layout.rows() as usize;
        let canvas_width = layout.pixels() / rows.max(1);
        let mut strips = layout.split_tiles_mut(cells, 1);
        parallel::for_each_mut(&mut strips, |t, strip| {
            let (x0, w) = layout.tile_columns(t);
            let (x0, w) = (x0 as usize, w as usize);
            for (r, row) in strip.chunks_mut(w).take(rows).enumerate() {
                let first = r * canvas_width + x0;
                for (i, cell) in row.iter_mut().enumerate() {
                    *cell = reducer.counted(count(first + i)).unwrap_or(R::EMPTY);
                }
            }
        });
        self.plotted.store((items - count(dropped) as usize) as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Folds the points [`Direct::prepare`] left in `buffers` into `cells`, a whole band,
    /// region by region.
    fn fold<R: Reducer>(reducer: &R, shape: &Shape, buffers: &Buffers, cells: &mut [R::Cell]) {
        for r in 0..shape.regions {
            for (pixels, values) in buffers.region(r, shape.regions) {
                Self::fold_run(reducer, pixels, values, 0, cells);
            }
        }
    }

    /// Folds points of cells `pixels` (with their `values`, when the reduction reads them)
    /// into `cells`, the canvas's cells from pixel `offset` on.
    #[inline(always)]
    fn fold_run<R: Reducer>(
        reducer: &R,
        pixels: &[u32],
        values: &[f64],
        offset: usize,
        cells: &mut [R::Cell],
    ) {
        match R::Input::READS_VALUE {
            true => pixels
                .iter()
                .zip(values)
                .for_each(|(&p, &v)| reducer.fold(cells, p as usize - offset, Fragment::full(v))),
            false => pixels
                .iter()
                .for_each(|&p| reducer.fold(cells, p as usize - offset, Fragment::full(f64::NAN))),
        }
    }

    /// Folds every point into `cells` in input order on every thread (see the module doc):
    /// chunks of `pieces` pieces of `shape.chunk` points; returns the points plotted.
    fn fill_in_order<R: Reducer>(
        &self,
        reducer: &R,
        index: &CellIndex,
        shape: &Shape,
        pieces: usize,
        cells: &mut [R::Cell],
    ) -> Result<u64> {
        let items = self.binner.items();
        let step = shape.chunk * pieces;
        let pixels = (cells.len() / reducer.channels().max(1)).max(1);
        let region_cells = (1usize << shape.region_bits).min(pixels);
        let mut sets: Vec<Buffers> = (0..pieces).map(|_| Buffers::default()).collect();
        let (mut plotted, mut released) = (0, 0);
        for first in (0..items).step_by(step.max(1)) {
            plotted += parallel::map_mut(&mut sets, |w, buffers| {
                let start = (first + w * shape.chunk).min(items);
                let len = shape.chunk.min(items - start);
                self.prepare(index, shape, (start, len), R::Input::READS_VALUE, buffers)
            })
            .into_iter()
            .sum::<Result<u64>>()?;
            let mut regions: Vec<&mut [R::Cell]> =
                cells.chunks_mut(region_cells * reducer.channels().max(1)).collect();
            parallel::for_each_mut(&mut regions, |r, region| {
                for buffers in &sets {
                    for (pixels, values) in buffers.region(r, shape.regions) {
                        Self::fold_run(reducer, pixels, values, r * region_cells, region);
                    }
                }
            });
            // Pages the chunk's pieces mapped beyond their own (see `ReleaseBehind`).
            let end = (first + step).min(items).saturating_sub(RELEASE_MARGIN);
            if end > released {
                self.binner.release(released, end - released);
                released = end;
            }
        }
        self.binner.release(0, items);
        Ok(plotted)
    }
}

impl<R: Reducer> Fill<R> for Direct<'_> {
    fn fill(
        &self,
        reducer: &R,
        plan: &Plan,
        layout: &TileLayout,
        band: u32,
        cells: &mut [R::Cell],
    ) -> Result<()> {
        assert!(band == 0 && plan.bands == 1, "direct aggregation fills a one-band canvas");
        assert!(fits(layout.pixels() as u64), "cell indices fit a u32");
        let items = self.binner.items();
        // Cell indices count pixels; the reducer's fold multiplies them by the channels.
        let index = CellIndex::new(layout);
        self.progress.stage("aggregate", items as u64);

        if reducer.counted(0).is_some() {
            if let Some(workers) = Self::tally_workers(plan.spare_bytes(), layout.pixels() + 1, plan.threads)
            {
                return self.fill_counts(reducer, layout, workers, cells);
            }
        }
        let canvas_bytes = std::mem::size_of_val(cells) as u64;
        let pixel_bytes = (canvas_bytes / layout.pixels().max(1) as u64).max(1);
        let point_bytes: u64 = if R::Input::READS_VALUE { 24 } else { 8 };
        let split =
            Split::new(plan.spare_bytes(), canvas_bytes, point_bytes, plan.threads, R::MERGES_IN_ANY_ORDER);
        let chunk = match self.binner.preferred_chunk() {
            Some(p) if p > 0 => split.chunk.div_ceil(p).saturating_mul(p),
            _ => split.chunk,
        };
        let chunks = items.div_ceil(chunk);
        let workers = split.workers.min(chunks).max(1);
        let region_cells = (REGION_BYTES as u64 / pixel_bytes).max(1);
        let region_bits = region_cells.ilog2();
        let shape = Shape { chunk, region_bits, regions: (layout.pixels() >> region_bits) + 1 };

        let reads = R::Input::READS_VALUE;
        let plotted = if workers <= 1 {
            self.fill_in_order(reducer, &index, &shape, split.pieces, cells)?
        } else {
            let mut extra: Vec<Vec<R::Cell>> = (1..workers).map(|_| vec![R::EMPTY; cells.len()]).collect();
            let mut canvases: Vec<&mut [R::Cell]> = Vec::with_capacity(workers);
            canvases.push(cells);
            canvases.extend(extra.iter_mut().map(Vec::as_mut_slice));
            let next = AtomicUsize::new(0);
            let plotted = parallel::map_mut(&mut canvases, |_, canvas| -> Result<u64> {
                let (mut plotted, mut buffers) = (0, Buffers::default());
                loop {
                    let c = next.fetch_add(1, Ordering::Relaxed);
                    if c >= chunks {
                        return Ok(plotted);
                    }
                    let start = c * shape.chunk;
                    let len = shape.chunk.min(items - start);
                    plotted += self.prepare(&index, &shape, (start, len), reads, &mut buffers)?;
                    Self::fold(reducer, &shape, &buffers, canvas);
                }
            })
            .into_iter()
            .sum::<Result<u64>>()?;
            let (cells, others) = canvases.split_first_mut().expect("one canvas per worker");
            let mut pieces: Vec<&mut [R::Cell]> = cells.chunks_mut(MERGE_PIECE).collect();
            parallel::for_each_mut(&mut pieces, |i, piece| {
                let range = i * MERGE_PIECE..i * MERGE_PIECE + piece.len();
                for other in others.iter() {
                    for (into, cell) in piece.iter_mut().zip(&other[range.clone()]) {
                        reducer.merge(into, cell);
                    }
                }
            });
            plotted
        };
        self.plotted.store(plotted, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn workers_and_chunks_fit_the_spare_budget() {
        // 2000^2 counts (16 MB) under 256 MiB with 2 threads: 160 MiB spare.
        let canvas = 16_000_000;
        let two = Split { workers: 2, pieces: 2, chunk: MAX_CHUNK };
        assert_eq!(Split::new(160 * MIB, canvas, 8, 2, true), two);
        // Order-sensitive reductions keep one canvas, and a set of sort buffers per thread.
        let ordered = Split { workers: 1, pieces: 2, chunk: MAX_CHUNK };
        assert_eq!(Split::new(160 * MIB, canvas, 24, 2, false), ordered);
        // No room for a second canvas: one canvas, whose 4 buffer sets share the spare bytes.
        let one = Split { workers: 1, pieces: 4, chunk: 500_000 };
        assert_eq!(Split::new(canvas, canvas, 8, 4, true), one);
        // Room for two canvases of 4 threads: workers share what is left.
        let two = Split::new(canvas + 2 * 800_000, canvas, 8, 4, true);
        assert_eq!(two, Split { workers: 2, pieces: 2, chunk: 100_000 });
        // Almost nothing spare: the smallest chunk, one canvas.
        assert_eq!(Split::new(1000, canvas, 24, 2, true), Split { workers: 1, pieces: 2, chunk: MIN_CHUNK });
    }

    #[test]
    fn finished_chunks_are_released_below_the_first_unfinished_one() {
        let chunk = 2 * RELEASE_MARGIN;
        let behind = ReleaseBehind::new(4);
        assert_eq!(behind.finished(1, chunk), None);
        // Chunks 0 and 1 done: up to chunk 2's start, less the margin.
        assert_eq!(behind.finished(0, chunk), Some(0..3 * RELEASE_MARGIN));
        assert_eq!(behind.finished(3, chunk), None);
        assert_eq!(behind.finished(2, chunk), Some(3 * RELEASE_MARGIN..7 * RELEASE_MARGIN));
    }

    #[test]
    fn counting_workers_each_hold_a_tally() {
        // 2000^2 under 256 MiB with 2 threads (160 MiB spare): a tally (20 MB) per thread.
        assert_eq!(Direct::tally_workers(160 * MIB, 4_000_001, 2), Some(2));
        assert_eq!(Direct::tally_workers(160 * MIB, 4_000_001, 64), Some(8));
        // Room for one tally only, then for none: the sorting path.
        assert_eq!(Direct::tally_workers(30 * MIB, 4_000_001, 2), Some(1));
        assert_eq!(Direct::tally_workers(19 * MIB, 4_000_001, 2), None);
    }
}
