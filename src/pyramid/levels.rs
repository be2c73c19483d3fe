//! Every coarser level of a pyramid from the finest level's count rows, in one streaming
//! pass and O(width) memory per level.
//!
//! Level `z - 1` pixel (i, j) is the sum of level `z` pixels (2i..2i+2, 2j..2j+2), the row
//! and column past an odd edge counting as zeros, so every level holds exact counts
//! (sums saturate at `u32::MAX`). Binning the data directly on a level's canvas, whose
//! range extends the original by the missing finest pixels, gives the same counts whenever
//! the binning arithmetic is exact (dyadic ranges; see the tests).

use crate::error::Result;

/// Folds finest-level count rows into every coarser level, emitting each level's rows in
/// order through a callback `(zoom, row, counts)`.
///
/// Memory: one accumulator row per coarser level (`4 * width / 2^k` bytes for `k` steps
/// coarser), under `4 * width` bytes in all. The output is deterministic.
#[derive(Clone, Debug)]
pub struct LevelStack {
    /// Finest zoom.
    max_zoom: u32,
    /// Level widths, index 0 = finest.
    widths: Vec<u32>,
    /// Accumulator rows, index k = k steps coarser (index 0 unused).
    acc: Vec<Vec<u32>>,
    /// True when `acc[k]` holds the first of a pair of rows.
    pending: Vec<bool>,
    /// Next row index to emit per level (absolute, within the level).
    next_row: Vec<u32>,
    /// Rows of the finest level still expected.
    remaining: u32,
}

impl LevelStack {
    /// A stack for the whole `width x height` canvas at zoom `max_zoom` down to zoom 0.
    #[cfg(test)]
    pub fn new(width: u32, height: u32, max_zoom: u32) -> LevelStack {
        LevelStack::for_rows(width, max_zoom, 0, 0..height)
    }

    /// A stack for the finest rows `rows` only, producing zooms `min_zoom..=max_zoom`.
    ///
    /// Used by shards: `rows.start` must be a multiple of `2^(max_zoom - min_zoom)` and
    /// `rows.end` either a multiple of it or the canvas height, so no coarse pixel is cut.
    pub fn for_rows(width: u32, max_zoom: u32, min_zoom: u32, rows: std::ops::Range<u32>) -> LevelStack {
        assert!(min_zoom <= max_zoom, "min_zoom {min_zoom} above max_zoom {max_zoom}");
        let steps = (max_zoom - min_zoom) as usize;
        let align = 1u64 << steps;
        assert!(u64::from(rows.start) % align == 0, "first row {} not aligned to {align}", rows.start);
        let widths: Vec<u32> = (0..=steps).map(|k| u64::from(width).div_ceil(1 << k) as u32).collect();
        let acc =
            widths.iter().enumerate().map(|(k, &w)| vec![0; if k == 0 { 0 } else { w as usize }]).collect();
        let next_row = (0..=steps).map(|k| (u64::from(rows.start) >> k) as u32).collect();
        LevelStack {
            max_zoom,
            widths,
            acc,
            pending: vec![false; steps + 1],
            next_row,
            remaining: rows.end.saturating_sub(rows.start),
        }
    }

    /// The coarsest zoom produced.
    #[cfg(test)]
    pub fn min_zoom(&self) -> u32 {
        self.max_zoom - (self.widths.len() as u32 - 1)
    }

    /// Feeds the next finest row (`width` counts) and emits every row it completes, finest
    /// first. Stops at the first error of `emit`.
    pub fn push_row<F>(&mut self, counts: &[u32], emit: &mut F) -> Result<()>
    where
        F: FnMut(u32, u32, &[u32]) -> Result<()>,
    {
        assert_eq!(counts.len(), self.widths[0] as usize, "row length is not the canvas width");
        assert!(self.remaining > 0, "more rows than the canvas has");
        self.remaining -= 1;
        let row = self.next_row[0];
        self.next_row[0] += 1;
        emit(self.max_zoom, row, counts)?;
        self.fold(1, counts, emit)
    }

    /// Emits the rows still pending (the last row of a level with an odd number of rows,
    /// paired with an empty one). Call once after the last finest row.
    pub fn finish<F>(&mut self, emit: &mut F) -> Result<()>
    where
        F: FnMut(u32, u32, &[u32]) -> Result<()>,
    {
        for k in 1..self.acc.len() {
            if self.pending[k] {
                self.pending[k] = false;
                self.complete(k, emit)?;
            }
        }
        Ok(())
    }

    /// Adds the pair sums of `source` (a row of level k - 1) into level k's accumulator,
    /// completing its row on the second of a pair.
    fn fold<F>(&mut self, k: usize, source: &[u32], emit: &mut F) -> Result<()>
    where
        F: FnMut(u32, u32, &[u32]) -> Result<()>,
    {
        if k >= self.acc.len() {
            return Ok(());
        }
        let first = !self.pending[k];
        add_pair_sums(&mut self.acc[k], source, first);
        if first {
            self.pending[k] = true;
            return Ok(());
        }
        self.pending[k] = false;
        self.complete(k, emit)
    }

    /// Emits level k's accumulated row and folds it into level k + 1.
    fn complete<F>(&mut self, k: usize, emit: &mut F) -> Result<()>
    where
        F: FnMut(u32, u32, &[u32]) -> Result<()>,
    {
        let row = self.next_row[k];
        self.next_row[k] += 1;
        let row_data = std::mem::take(&mut self.acc[k]);
        let result =
            emit(self.max_zoom - k as u32, row, &row_data).and_then(|()| self.fold(k + 1, &row_data, emit));
        self.acc[k] = row_data;
        result
    }
}

/// `acc[i] (+)= source[2i] + source[2i + 1]` (the missing column of an odd width is 0),
/// saturating; assigns instead of adding when `first`.
fn add_pair_sums(acc: &mut [u32], source: &[u32], first: bool) {
    let pairs = source.chunks(2).map(|p| p.iter().fold(0u32, |s, &v| s.saturating_add(v)));
    for (slot, sum) in acc.iter_mut().zip(pairs) {
        *slot = if first { sum } else { slot.saturating_add(sum) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::{Axis, Scale};

    /// Runs a stack over a whole canvas and returns each level's rows, index = zoom.
    fn levels(width: u32, height: u32, max_zoom: u32, counts: &[u32]) -> Vec<Vec<u32>> {
        let mut out = vec![Vec::new(); max_zoom as usize + 1];
        let mut rows_seen = vec![0u32; max_zoom as usize + 1];
        let mut emit = |z: u32, row: u32, data: &[u32]| {
            assert_eq!(row, rows_seen[z as usize], "rows in order");
            rows_seen[z as usize] += 1;
            out[z as usize].extend_from_slice(data);
            Ok(())
        };
        let mut stack = LevelStack::new(width, height, max_zoom);
        for row in counts.chunks(width as usize) {
            stack.push_row(row, &mut emit).unwrap();
        }
        stack.finish(&mut emit).unwrap();
        out
    }

    /// The block sums of a level computed directly from the finest counts.
    fn block_sums(width: usize, height: usize, counts: &[u32], f: usize) -> Vec<u32> {
        let (w, h) = (width.div_ceil(f), height.div_ceil(f));
        let mut out = vec![0u32; w * h];
        for y in 0..height {
            for x in 0..width {
                out[(y / f) * w + x / f] += counts[y * width + x];
            }
        }
        out
    }

    #[test]
    fn sums_two_by_two_with_odd_edges_padded() {
        let counts: Vec<u32> = (1..=15).collect(); // 5 x 3
        let out = levels(5, 3, 2, &counts);
        assert_eq!(out[2], counts);
        assert_eq!(out[1], [1 + 2 + 6 + 7, 3 + 4 + 8 + 9, 5 + 10, 11 + 12, 13 + 14, 15]);
        assert_eq!(out[0], [90, 30]);
    }

    #[test]
    fn every_level_equals_the_block_sums_on_odd_shapes() {
        for (w, h, z) in [(13usize, 7usize, 4u32), (1, 9, 4), (16, 16, 4), (33, 2, 6)] {
            let counts: Vec<u32> = (0..w * h).map(|i| ((i * 7919) % 13) as u32).collect();
            let out = levels(w as u32, h as u32, z, &counts);
            for zoom in 0..=z {
                let f = 1usize << (z - zoom);
                assert_eq!(out[zoom as usize], block_sums(w, h, &counts, f), "{w}x{h} zoom {zoom}");
            }
        }
    }

    #[test]
    fn sums_saturate() {
        let out = levels(2, 1, 1, &[u32::MAX, 5]);
        assert_eq!(out[0], [u32::MAX]);
    }

    #[test]
    fn a_block_of_aligned_rows_gives_the_same_rows_as_the_whole() {
        let (w, h) = (10u32, 23u32);
        let counts: Vec<u32> = (0..w * h).map(|i| i % 5).collect();
        let whole = levels(w, h, 3, &counts);
        // Rows 8..16 with zooms 1..=3: the block holds level 1 row 2 (rows 8..16 / 4).
        let mut got: Vec<(u32, u32, Vec<u32>)> = Vec::new();
        let mut stack = LevelStack::for_rows(w, 3, 1, 8..16);
        assert_eq!(stack.min_zoom(), 1);
        let mut emit = |z: u32, r: u32, d: &[u32]| {
            got.push((z, r, d.to_vec()));
            Ok(())
        };
        for row in 8..16 {
            stack.push_row(&counts[(row * w) as usize..((row + 1) * w) as usize], &mut emit).unwrap();
        }
        stack.finish(&mut emit).unwrap();
        assert_eq!(got.len(), 8 + 4 + 2);
        for (z, r, d) in got {
            let lw = whole[z as usize].len() / (h as usize).div_ceil(1 << (3 - z));
            assert_eq!(d, whole[z as usize][r as usize * lw..(r as usize + 1) * lw], "zoom {z} row {r}");
        }
    }

    /// Points binned on the finest canvas then summed equal points binned directly on a
    /// coarse level's canvas, whose range is extended by the missing finest pixels, when
    /// ranges and values are dyadic (exact binning arithmetic).
    #[test]
    fn levels_equal_binning_at_their_resolution_on_dyadic_ranges() {
        let (w, h, zmax) = (12u32, 5u32, 3u32);
        let (xr, yr) = ((-3.0, 3.0), (0.0, 2.5)); // 0.5 units per finest pixel
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..=96 {
            for j in 0..=40 {
                xs.push(-3.0 + f64::from(i) * 0.0625);
                ys.push(f64::from(j) * 0.0625);
            }
        }
        let bin_all = |xa: &Axis, ya: &Axis| {
            let (cw, ch) = (xa.pixels() as usize, ya.pixels() as usize);
            let mut c = vec![0u32; cw * ch];
            for (&x, &y) in xs.iter().zip(&ys) {
                if let (Some(i), Some(j)) = (xa.bin(x), ya.bin(y)) {
                    c[(ch - 1 - j as usize) * cw + i as usize] += 1;
                }
            }
            c
        };
        let fine = bin_all(
            &Axis::new(crate::error::Field::XRange, xr, w, Scale::Linear).unwrap(),
            &Axis::new(crate::error::Field::YRange, yr, h, Scale::Linear).unwrap(),
        );
        let out = levels(w, h, zmax, &fine);
        for zoom in 0..zmax {
            let f = 1u32 << (zmax - zoom);
            let (lw, lh) = (w.div_ceil(f), h.div_ceil(f));
            // The level's canvas covers lw * f finest columns and lh * f finest rows; the
            // extra rows extend y downwards (rows count from the top).
            let x_hi = xr.0 + 0.5 * f64::from(lw * f);
            let y_lo = yr.1 - 0.5 * f64::from(lh * f);
            let xa = Axis::new(crate::error::Field::XRange, (xr.0, x_hi), lw, Scale::Linear).unwrap();
            let ya = Axis::new(crate::error::Field::YRange, (y_lo, yr.1), lh, Scale::Linear).unwrap();
            let mut direct = vec![0u32; (lw * lh) as usize];
            // Only points inside the original range are on the canvas.
            let inside: Vec<(f64, f64)> = xs
                .iter()
                .zip(&ys)
                .filter(|&(&x, &y)| x >= xr.0 && x <= xr.1 && y >= yr.0 && y <= yr.1)
                .map(|(&x, &y)| (x, y))
                .collect();
            for (x, y) in inside {
                // Datashader puts a point exactly on the top edge of the range in the last
                // finest bin: clamp it the same way at the coarse level.
                let xf = xa.bin(x.min(xr.1 - 0.25)).unwrap();
                let yf = ya.bin(y.min(yr.1 - 0.25)).unwrap();
                direct[(lh - 1 - yf) as usize * lw as usize + xf as usize] += 1;
            }
            assert_eq!(out[zoom as usize], direct, "zoom {zoom}");
        }
    }
}
