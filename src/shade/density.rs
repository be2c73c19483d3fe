//! Datashader's `tf.dynspread` decision for a whole canvas streamed row by row: one `px` for
//! every band, as `dynspread` makes it on the whole image.
//!
//! `dynspread` spreads by the largest `px <= max_px` whose density stays at or below the
//! threshold (see [`DensityStats`]); the density of a pixel depends on the pixels within
//! `2 px` rows of it, across band edges. [`DensityStream`] takes the canvas's lit mask
//! (non-transparent pixels) one row at a time, top to bottom, in whatever bands the render
//! makes, and keeps a sliding window of the `4 max_px + 2` rows the counts still need, with
//! one running column sum per `px`: a row is counted once the `2 max_px` rows below it have
//! arrived. Rows without a lit pixel cost nothing but their copy, so sparse canvases (the
//! ones dynspread is for) stream at memory speed.
//!
//! Datashader decides from the shaded image's alpha. The render feeds the stream from its
//! statistics pass instead, before any shader exists, with the aggregate's non-empty mask
//! (count > 0, a non-NaN float, a category total > 0). The two are the same pixels for
//! every shading gigaplot offers: its colormaps are lists of opaque colours, so Datashader
//! gives every unmasked pixel alpha 255 (`a = where(isnan(data), 0, alpha)`), and count-cat's
//! alpha of a non-empty pixel is interpolated into `[min_alpha, alpha] = [40, 255]`. They
//! would differ for Datashader options gigaplot does not have: a single-colour colormap or
//! categories with `min_alpha = 0` (the smallest value gets alpha 0), or a float aggregate
//! holding -inf (its `data - offset` is NaN). An all-empty shading (an eq-hist of infinite
//! values only) spreads to the same transparent image whatever the px.

use std::collections::VecDeque;

use super::spread::DensityStats;
use crate::error::{Error, Field, Result};
use crate::parallel;

/// The parameters of Datashader's `tf.dynspread(img, threshold, max_px)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dynspread {
    /// The largest spread considered, in pixels (Datashader's `max_px`, default 3).
    pub max_px: usize,
    /// The density above which spreading stops, in `[0, 1]` (default 0.5).
    pub threshold: f64,
}

impl Default for Dynspread {
    fn default() -> Self {
        Dynspread { max_px: 3, threshold: 0.5 }
    }
}

impl Dynspread {
    /// The largest `max_px` accepted (as for `--spread`).
    pub const MAX_PX: usize = 255;

    /// Checks the parameters as Datashader does (threshold in `[0, 1]`), with a bound on
    /// `max_px`.
    pub fn check(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(Error::bad_parameter(
                Field::DynspreadThreshold,
                format!("must be in [0, 1], not {}", self.threshold),
            ));
        }
        if self.max_px > Self::MAX_PX {
            return Err(Error::bad_parameter(
                Field::DynspreadMax,
                format!("must be at most {}, not {}", Self::MAX_PX, self.max_px),
            ));
        }
        Ok(())
    }
}

/// One mask row of the window: a byte per pixel (1 = lit), how many are lit, and for a
/// sparse row (at most one lit pixel in [`SPARSE`]) their columns.
#[derive(Default)]
struct MaskRow {
    lit: Vec<u8>,
    count: usize,
    positions: Vec<usize>,
}

/// A row with at most one lit pixel in this many is handled through its lit columns.
const SPARSE: usize = 8;

/// Mask bytes written in parallel per batch by [`DensityStream::push_rows`].
pub const BATCH_BYTES: usize = 1 << 20;

impl MaskRow {
    /// Fills the row through `fill` and normalises it to 0s and 1s, with its count and,
    /// when sparse, its lit columns.
    fn prepare(&mut self, width: usize, fill: &dyn Fn(&mut [u8])) {
        self.lit.resize(width, 0);
        fill(&mut self.lit);
        let mut count = 0;
        for b in self.lit.iter_mut() {
            *b = u8::from(*b != 0);
            count += usize::from(*b);
        }
        self.count = count;
        self.positions.clear();
        if count * SPARSE <= width {
            lit_positions(&self.lit, &mut self.positions);
        }
    }

    /// The columns of the lit pixels, when the row keeps them (a sparse row).
    fn sparse_positions(&self) -> Option<&[usize]> {
        (self.count * SPARSE <= self.lit.len()).then_some(self.positions.as_slice())
    }
}

/// Counts the density statistics of a canvas whose lit mask arrives row by row, top to
/// bottom (see the module doc).
pub struct DensityStream {
    width: usize,
    height: usize,
    /// `2 * max_px`: rows below (and above) a row that its counts depend on.
    reach: usize,
    /// Mask rows `window_y0 ..` received and still needed.
    window: VecDeque<MaskRow>,
    window_y0: usize,
    /// Rows received so far.
    received: usize,
    /// The next row to count.
    next: usize,
    /// For px = 1..=max_px: column sums of lit pixels over rows `lo[k] .. hi[k]`.
    columns: Vec<Vec<u32>>,
    ranges: Vec<(usize, usize)>,
    lit: u64,
    with_neighbours: Vec<u64>,
    spare: Vec<MaskRow>,
    /// Lit columns of the row being counted (a reused buffer).
    positions: Vec<usize>,
}

impl DensityStream {
    /// An empty stream for a `width` x `height` canvas and `dynspread(max_px)`.
    pub fn new(width: usize, height: usize, max_px: usize) -> DensityStream {
        DensityStream {
            width,
            height,
            reach: 2 * max_px,
            window: VecDeque::new(),
            window_y0: 0,
            received: 0,
            next: 0,
            columns: vec![vec![0; width]; max_px],
            ranges: vec![(0, 0); max_px],
            lit: 0,
            with_neighbours: vec![0; max_px],
            spare: Vec::new(),
            positions: Vec::new(),
        }
    }

    /// Adds the next canvas row: `fill` writes its mask, one byte per pixel, non-zero where
    /// the shaded pixel is not transparent. Rows past the canvas height are ignored.
    #[cfg(test)]
    pub fn push_row(&mut self, fill: impl Fn(&mut [u8])) {
        let mut row = self.spare.pop().unwrap_or_default();
        row.prepare(self.width, &fill);
        self.accept(row);
    }

    /// Adds the next `rows` canvas rows, `fill(i, mask)` writing the mask of the i-th of
    /// them as for [`DensityStream::push_row`]: masks are written in parallel, a batch of
    /// about [`BATCH_BYTES`] at a time, and counted in order.
    pub fn push_rows(&mut self, rows: usize, fill: impl Fn(usize, &mut [u8]) + Sync) {
        let batch = (BATCH_BYTES / self.width.max(1)).max(1);
        for first in (0..rows).step_by(batch) {
            let count = batch.min(rows - first);
            let mut prepared: Vec<MaskRow> =
                (0..count).map(|_| self.spare.pop().unwrap_or_default()).collect();
            let width = self.width;
            parallel::for_each_mut(&mut prepared, |i, row| row.prepare(width, &|m| fill(first + i, m)));
            prepared.into_iter().for_each(|row| self.accept(row));
        }
    }

    /// Appends a prepared row to the window and counts every row that can be counted.
    fn accept(&mut self, row: MaskRow) {
        if self.received == self.height {
            self.spare.push(row);
            return;
        }
        self.window.push_back(row);
        self.received += 1;
        while self.next < self.received && (self.next + self.reach < self.received || self.complete()) {
            self.count_row(self.next);
            self.next += 1;
            self.drop_unneeded_rows();
        }
    }

    /// True once every canvas row has arrived.
    fn complete(&self) -> bool {
        self.received == self.height
    }

    /// The statistics of the whole canvas, or None when not every row arrived.
    pub fn finish(&self) -> Option<DensityStats> {
        (self.complete() && self.next == self.height)
            .then(|| DensityStats::from_counts(self.lit, self.with_neighbours.clone()))
    }

    /// The mask row `y` (in the window).
    fn row(&self, y: usize) -> &MaskRow {
        &self.window[y - self.window_y0]
    }

    /// Counts row `y`, whose `reach` rows below have arrived (or the canvas is complete).
    fn count_row(&mut self, y: usize) {
        let count = self.row(y).count;
        self.lit += count as u64;
        for k in 0..self.columns.len() {
            let r = 2 * (k + 1);
            self.slide_columns(k, y.saturating_sub(r), (y + r + 1).min(self.height));
        }
        if count == 0 {
            return;
        }
        if count * (2 * self.reach + 1) < self.width {
            self.count_sparse_row(y);
        } else {
            for k in 0..self.columns.len() {
                self.with_neighbours[k] += self.count_with_neighbours(k, y, 2 * (k + 1));
            }
        }
    }

    /// Counts a row with few lit pixels, pixel by pixel: a pixel with a neighbour within
    /// `2 px` has one within every larger reach too.
    fn count_sparse_row(&mut self, y: usize) {
        let row = &self.window[y - self.window_y0];
        let positions = match row.sparse_positions() {
            Some(positions) => positions,
            None => {
                lit_positions(&row.lit, &mut self.positions);
                &self.positions
            }
        };
        let (width, columns) = (self.width, &self.columns);
        for &x in positions {
            let first = (0..columns.len()).find(|&k| {
                let r = 2 * (k + 1);
                columns[k][x.saturating_sub(r)..(x + r + 1).min(width)].iter().sum::<u32>() > 1
            });
            if let Some(first) = first {
                self.with_neighbours[first..].iter_mut().for_each(|n| *n += 1);
            }
        }
    }

    /// Moves the column sums of px `k + 1` to cover rows `lo .. hi`.
    fn slide_columns(&mut self, k: usize, lo: usize, hi: usize) {
        let (old_lo, old_hi) = self.ranges[k];
        let mut columns = std::mem::take(&mut self.columns[k]);
        for y in old_hi.max(lo)..hi {
            add_row(&mut columns, self.row(y), true);
        }
        for y in old_lo..lo.min(old_hi) {
            add_row(&mut columns, self.row(y), false);
        }
        self.columns[k] = columns;
        self.ranges[k] = (lo, hi);
    }

    /// Lit pixels of row `y` with another lit pixel within `r` (square, clipped), for a
    /// row with many lit pixels.
    fn count_with_neighbours(&self, k: usize, y: usize, r: usize) -> u64 {
        let width = self.width;
        let columns = &self.columns[k];
        let row = &self.row(y);
        // a running sum of columns x - r ..= x + r along the row
        let mut sum: u32 = columns[..r.min(width)].iter().sum();
        let mut found = 0u64;
        for x in 0..width {
            if x + r < width {
                sum += columns[x + r];
            }
            if x > r {
                sum -= columns[x - r - 1];
            }
            found += u64::from(row.lit[x] & u8::from(sum > 1));
        }
        found
    }

    /// Moves rows no later count needs from the window to the spares.
    fn drop_unneeded_rows(&mut self) {
        let keep_from = self.ranges.iter().map(|r| r.0).min().unwrap_or(self.next).min(self.next);
        while self.window_y0 < keep_from {
            let Some(row) = self.window.pop_front() else { break };
            self.spare.push(row);
            self.window_y0 += 1;
        }
    }
}

/// The columns of the non-zero bytes of `mask`, skipping eight zero bytes at a time.
fn lit_positions(mask: &[u8], out: &mut Vec<usize>) {
    out.clear();
    let chunks = mask.chunks_exact(8);
    let tail = chunks.remainder();
    for (i, chunk) in chunks.enumerate() {
        if u64::from_ne_bytes(chunk.try_into().unwrap_or_default()) != 0 {
            out.extend(chunk.iter().enumerate().filter(|(_, &b)| b != 0).map(|(j, _)| 8 * i + j));
        }
    }
    let start = mask.len() - tail.len();
    out.extend(tail.iter().enumerate().filter(|(_, &b)| b != 0).map(|(j, _)| start + j));
}

/// Adds (or subtracts) a mask row of 0s and 1s into column sums; empty rows are skipped,
/// sparse ones go through their lit columns.
fn add_row(columns: &mut [u32], row: &MaskRow, add: bool) {
    if row.count == 0 {
        return;
    }
    if let Some(positions) = row.sparse_positions() {
        for &x in positions {
            columns[x] = if add { columns[x] + 1 } else { columns[x] - 1 };
        }
    } else if add {
        columns.iter_mut().zip(&row.lit).for_each(|(c, &b)| *c += u32::from(b));
    } else {
        columns.iter_mut().zip(&row.lit).for_each(|(c, &b)| *c -= u32::from(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pseudo-random mask with about one pixel in `every` lit.
    fn mask(width: usize, height: usize, every: u64, seed: u64) -> Vec<u8> {
        (0..width * height)
            .map(|i| {
                let h = (i as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_right(29);
                u8::from(h.is_multiple_of(every))
            })
            .collect()
    }

    /// The reference: [`DensityStats::add_rows`] on the whole image as RGBA.
    fn whole(mask: &[u8], width: usize, max_px: usize) -> DensityStats {
        let rgba: Vec<u8> = mask.iter().flat_map(|&m| [1, 2, 3, 200 * m]).collect();
        let rows: Vec<&[u8]> = rgba.chunks_exact(4 * width).collect();
        let mut stats = DensityStats::new(max_px);
        stats.add_rows(&rows, 0, rows.len());
        stats
    }

    fn streamed(mask: &[u8], width: usize, height: usize, max_px: usize) -> DensityStats {
        let mut stream = DensityStream::new(width, height, max_px);
        for row in mask.chunks_exact(width) {
            assert!(stream.finish().is_none());
            stream.push_row(|out| out.copy_from_slice(row));
        }
        stream.finish().unwrap()
    }

    #[test]
    fn stream_counts_what_the_whole_image_counts() {
        for (width, height) in [(1, 1), (1, 30), (30, 1), (17, 23), (64, 40)] {
            for every in [1, 2, 5, 40] {
                for max_px in [0, 1, 3, 5] {
                    let m = mask(width, height, every, (width * height) as u64);
                    assert_eq!(
                        streamed(&m, width, height, max_px),
                        whole(&m, width, max_px),
                        "{width}x{height} 1/{every} max_px {max_px}"
                    );
                }
            }
        }
    }

    #[test]
    fn rows_pushed_in_batches_count_the_same() {
        let (width, height, max_px) = (300_000, 9, 2);
        let m = mask(width, height, 7, 3);
        let mut stream = DensityStream::new(width, height, max_px);
        // batches of 3 rows, bands of 4 rows
        stream.push_rows(4, |i, out| out.copy_from_slice(&m[i * width..(i + 1) * width]));
        stream.push_rows(5, |i, out| out.copy_from_slice(&m[(4 + i) * width..(5 + i) * width]));
        stream.push_row(|out| out.fill(1));
        assert_eq!(stream.finish().unwrap(), whole(&m, width, max_px));
    }

    #[test]
    fn window_stays_small() {
        let (width, height, max_px) = (10, 500, 3);
        let m = mask(width, height, 3, 7);
        let mut stream = DensityStream::new(width, height, max_px);
        for row in m.chunks_exact(width) {
            stream.push_row(|out| out.copy_from_slice(row));
            assert!(stream.window.len() <= 4 * max_px + 2, "{}", stream.window.len());
        }
        assert_eq!(stream.finish().unwrap(), whole(&m, width, max_px));
    }

    #[test]
    fn parameters_are_checked() {
        assert!(Dynspread::default().check().is_ok());
        let bad = Dynspread { threshold: 1.5, ..Dynspread::default() };
        assert!(bad.check().unwrap_err().to_string().starts_with("dynspread.threshold: "));
        assert!(Dynspread { threshold: f64::NAN, max_px: 3 }.check().is_err());
        assert!(Dynspread { threshold: 0.0, max_px: 256 }.check().is_err());
        assert!(Dynspread { threshold: 1.0, max_px: 255 }.check().is_ok());
    }
}
