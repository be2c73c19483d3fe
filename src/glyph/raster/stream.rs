//! Several canvases of one raster resampled in ONE read of its rows (the coarse levels of a
//! raster pyramid, which would otherwise each read the whole raster).
//!
//! The canvases are dealt out to the threads, and each thread reads the raster rows its
//! canvases read once, in memory order, decoding one row at a time into a buffer that stays
//! in cache; every canvas of its group takes each row into the canvas rows that read it: a
//! canvas row is *open* from its first raster row to its last, holding one row of states (or, interpolated
//! along y, its first raster row), then written out. Each pixel sees its values in the
//! order [`Resampler::band`] gives them (raster rows ascending, then columns), so every
//! canvas is exactly its own render's resample. Each thread releases the pages it has read
//! every [`RELEASE_ROWS`] rows. (A shared batch of decoded rows, every canvas taking it in
//! parallel, was measured slower than reading the raster once per canvas: the batch did
//! not fit the cache, and each canvas read twice the raster's bytes, as f64, from memory.)
//!
//! `mode` is not streamed: its open canvas rows would keep every value they cover.

use std::ops::Range;

use rayon::prelude::*;

use super::downsample::*;
use super::taps::Tap;
use super::{finish_line, lerp_rows, Downsample, Resampler, RELEASE_ROWS};
use crate::error::{Error, Result};
use crate::progress::{check_cancelled, Progress};

/// Resamples every canvas of `resamplers` (all of the same grid) in one read of the grid's
/// rows per thread. Returns each canvas's values, row-major from the top (NaN = empty), as
/// [`Resampler::band`] gives them for all its rows. Fails for `mode` (not streamed) and
/// when `progress` is cancelled.
pub fn resample_in_one_read(resamplers: &[Resampler<'_>], progress: &dyn Progress) -> Result<Vec<Vec<f64>>> {
    let Some(grid) = resamplers.first().map(|r| r.grid) else {
        return Ok(Vec::new());
    };
    if resamplers.iter().any(|r| r.how.0 == Downsample::Mode || !std::ptr::eq(r.grid, grid)) {
        return Err(Error::usage(
            "resample_in_one_read",
            "canvases streamed together share one grid and do not downsample by mode",
        ));
    }
    let mut canvases: Vec<Canvas<'_, '_>> = resamplers.iter().map(Canvas::new).collect();
    // Every canvas reads about every row, so they cost about the same: dealt out in turn,
    // one group per thread, each group reading the rows once into its own row buffer.
    let threads = rayon::current_num_threads().clamp(1, canvases.len().max(1));
    let mut groups: Vec<Vec<&mut Canvas<'_, '_>>> = (0..threads).map(|_| Vec::new()).collect();
    for (k, canvas) in canvases.iter_mut().enumerate() {
        groups[k % threads].push(canvas);
    }
    groups.into_par_iter().try_for_each(|mut group| stream(&mut group, progress))?;
    Ok(canvases.into_iter().map(|c| c.out).collect())
}

/// Feeds the raster rows `group` reads, in order, one row decoded at a time, to every
/// canvas of `group`, releasing their pages every [`RELEASE_ROWS`] rows.
fn stream(group: &mut [&mut Canvas<'_, '_>], progress: &dyn Progress) -> Result<()> {
    let Some(grid) = group.first().map(|c| c.resampler.grid) else {
        return Ok(());
    };
    let rows = union(group.iter().map(|c| c.rows.clone()));
    let cols = union(group.iter().filter(|c| !c.rows.is_empty()).map(|c| c.resampler.span.clone()));
    let mut row = vec![0.0; cols.len()];
    for i in rows.clone() {
        if (i - rows.start) % RELEASE_ROWS == 0 {
            check_cancelled(progress)?;
            grid.release_rows(i.saturating_sub(RELEASE_ROWS).max(rows.start)..i);
        }
        grid.read_row_f64(i, cols.clone(), &mut row);
        for canvas in group.iter_mut().filter(|c| c.rows.contains(&i)) {
            let span = canvas.resampler.span.start - cols.start..canvas.resampler.span.end - cols.start;
            canvas.take(i, &row[span]);
        }
    }
    grid.release_rows(rows.end.saturating_sub(RELEASE_ROWS).max(rows.start)..rows.end);
    Ok(())
}

/// The smallest range holding every non-empty range of `ranges` (empty if none).
fn union(ranges: impl Iterator<Item = Range<usize>>) -> Range<usize> {
    ranges.filter(|r| !r.is_empty()).reduce(|a, b| a.start.min(b.start)..a.end.max(b.end)).unwrap_or(0..0)
}

/// One canvas being filled from the raster rows as they come.
struct Canvas<'r, 'g> {
    resampler: &'r Resampler<'g>,
    /// The canvas, row-major from the top; rows reading no raster row stay NaN.
    out: Vec<f64>,
    /// The canvas rows still to open and their taps along the raster rows, by first row.
    pending: Vec<(u32, Tap)>,
    next: usize,
    open: Vec<OpenRow>,
    /// The raster rows this canvas reads.
    rows: Range<usize>,
}

/// A canvas row between its first raster row and its last.
struct OpenRow {
    r: u32,
    tap: Tap,
    /// Downsampled along y: the states of its pixels; interpolated: its first raster row.
    acc: Vec<f64>,
    counts: Vec<u64>,
}

impl<'r, 'g> Canvas<'r, 'g> {
    fn new(resampler: &'r Resampler<'g>) -> Canvas<'r, 'g> {
        let (width, height) = (resampler.width(), resampler.y.pixels());
        let reads = width > 0 && !resampler.span.is_empty();
        let mut pending: Vec<(u32, Tap)> = match reads {
            true => {
                (0..height).map(|r| (r, resampler.y_tap(r))).filter(|(_, t)| !t.span().is_empty()).collect()
            }
            false => Vec::new(),
        };
        pending.sort_by_key(|&(r, tap)| (tap.span().start, r));
        let rows = union(pending.iter().map(|(_, tap)| tap.span()));
        let out = vec![f64::NAN; width * height as usize];
        Canvas { resampler, out, pending, next: 0, open: Vec::new(), rows }
    }

    /// Takes raster row `i` (the canvas's columns), the rows coming in order.
    fn take(&mut self, i: usize, row: &[f64]) {
        while let Some(&(r, tap)) = self.pending.get(self.next).filter(|(_, tap)| tap.span().start <= i) {
            self.next += 1;
            let init = init(self.resampler.how.0);
            let width = self.resampler.width();
            self.open.push(OpenRow { r, tap, acc: vec![init; width], counts: vec![0; width] });
        }
        let resampler = self.resampler;
        let width = resampler.width();
        let mut cell = Vec::new();
        let out = &mut self.out;
        self.open.retain_mut(|open| {
            let line = &mut out[open.r as usize * width..(open.r as usize + 1) * width];
            match open.tap {
                Tap::Cells { end, .. } => {
                    push(resampler, row, &mut open.acc, &mut open.counts);
                    if i + 1 < end {
                        return true;
                    }
                    finish(resampler.how.0, &open.acc, &open.counts, line);
                }
                // As `Resampler::interpolated_row`: row a, lerped with row b unless w is 0.
                Tap::Lerp { a, b, w } => {
                    if i == a && w != 0.0 && b != a {
                        open.acc.clear();
                        open.acc.extend_from_slice(row);
                        return true;
                    }
                    if i == a {
                        resampler.x_resample(row, line, &mut cell);
                    } else {
                        lerp_rows(&mut open.acc, row, w);
                        resampler.x_resample(&open.acc, line, &mut cell);
                    }
                }
            }
            false
        });
    }
}

// `Mode` never reaches these three (`resample_in_one_read` refuses it).

/// The state of a pixel before any value, by the canvas's downsampling.
fn init(how: Downsample) -> f64 {
    match how {
        Downsample::Mean => MeanR::INIT,
        Downsample::Min => MinR::INIT,
        Downsample::Max => MaxR::INIT,
        Downsample::First => FirstR::INIT,
        Downsample::Last | Downsample::Mode => LastR::INIT,
    }
}

/// Adds one raster row to a canvas row's states, by the canvas's downsampling.
fn push(resampler: &Resampler<'_>, row: &[f64], acc: &mut [f64], counts: &mut [u64]) {
    match resampler.how.0 {
        Downsample::Mean => resampler.push_row::<MeanR>(row, acc, counts),
        Downsample::Min => resampler.push_row::<MinR>(row, acc, counts),
        Downsample::Max => resampler.push_row::<MaxR>(row, acc, counts),
        Downsample::First => resampler.push_row::<FirstR>(row, acc, counts),
        Downsample::Last | Downsample::Mode => resampler.push_row::<LastR>(row, acc, counts),
    }
}

/// A canvas row's values from its states, by the canvas's downsampling.
fn finish(how: Downsample, acc: &[f64], counts: &[u64], line: &mut [f64]) {
    match how {
        Downsample::Mean => finish_line::<MeanR>(acc, counts, line),
        Downsample::Min => finish_line::<MinR>(acc, counts, line),
        Downsample::Max => finish_line::<MaxR>(acc, counts, line),
        Downsample::First => finish_line::<FirstR>(acc, counts, line),
        Downsample::Last | Downsample::Mode => finish_line::<LastR>(acc, counts, line),
    }
}
