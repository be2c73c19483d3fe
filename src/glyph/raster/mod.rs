//! Rasters: a 2-D [`Grid`] placed at a data extent and resampled onto the canvas, band by
//! band, reading only the raster rows a band needs.
//!
//! # Geometry
//! The raster has `R` rows and `C` columns and covers the extent `(x0, x1, y0, y1)`. Cells
//! are `cw = (x1 - x0) / C` wide and `ch = (y1 - y0) / R` high; the centre of column `j` is
//! `x0 + (j + 0.5) * cw`. With [`Origin::Upper`] (Matplotlib's `imshow` default) row 0 is at
//! the top: the centre of row `i` is `y1 - (i + 0.5) * ch`; with [`Origin::Lower`] row 0 is at
//! the bottom: `y0 + (i + 0.5) * ch`. Canvas pixels outside the extent are NaN (empty).
//!
//! # Down or up, per axis and pixel
//! On each axis a canvas pixel is *downsampled* when it is larger than a cell (pixel size
//! `> cw`, resp. `ch`; on a log axis each pixel's own width is compared), and *upsampled*
//! otherwise, so a raster may be downsampled in x and upsampled in y.
//! - Down: the pixel takes the cells whose CENTRES fall in it by Datashader's binning rule
//!   ([`Axis::bin`] applied to the centre: half-open bins on the global grid, the last one
//!   closed). A pixel that receives no centre is NaN.
//! - Up, [`Upsample::Nearest`]: the cell containing the pixel centre `p`: index
//!   `floor((p - x0) / cw)` (rows: `floor((y1 - p) / ch)` for upper, `floor((p - y0) / ch)`
//!   for lower), clamped to the raster, for `p` inside the extent.
//! - Up, [`Upsample::Linear`]: linear interpolation between the two cell centres around `p`:
//!   `u = (p - x0) / cw - 0.5` clamped to `[0, C - 1]`, `a = floor(u)`, `b = min(a + 1, C - 1)`,
//!   value `(1 - w) * v[a] + w * v[b]` with `w = u - a` (so the edge half-cells repeat the edge
//!   value). Equal neighbours give their value exactly; a NaN neighbour is ignored and the
//!   other takes the whole weight; a NaN with weight 1 (or two NaNs) gives NaN. Bilinear =
//!   this along y first, then along x.
//!
//! When one axis is down and the other up, the upsampled axis is interpolated first and the
//! downsampled axis then aggregates the interpolated values (y up: each needed row is made by
//! interpolating two raster rows, then x aggregates its cells; x up: each raster row is
//! interpolated at the pixel, then y aggregates over its rows). When both are down the
//! aggregate runs over the rectangle of cells.
//!
//! # Aggregates ([`Downsample`])
//! NaN cells are ignored; a pixel with no non-NaN value is NaN. `mean` sums in raster memory
//! order (rows ascending, then columns) and divides by the count; `min`/`max` keep the first
//! extreme met; `first`/`last` are the first/last non-NaN value in raster MEMORY order (row 0
//! first, whatever the origin); `mode` is the most frequent value (compared bit for bit after
//! conversion to f64), ties going to the smallest. Values are converted to f64, so 64-bit
//! integers above 2^53 are rounded.
//!
//! # Memory
//! Each canvas row is one task (rayon, deterministic: a task owns its output row). A task
//! streams the raster rows it needs one at a time, reading only the raster columns the canvas
//! covers, and releases their mapped pages when done. Work buffers per task: two raster rows of
//! f64 and one canvas row of accumulators (f64 + u64), except `mode` with several raster rows
//! per canvas row, which keeps every value of the canvas row: (raster rows per canvas row) x
//! (raster columns) f64.

use std::ops::Range;
use std::str::FromStr;

mod downsample;
mod stream;
mod taps;
#[cfg(test)]
mod tests;

use downsample::*;
pub use stream::resample_in_one_read;
use taps::*;

use rayon::prelude::*;

use crate::canvas::Axis;
use crate::data::grid::Grid;
use crate::data::npy::DType;
use crate::error::{Error, Field, Result};

/// Where raster row 0 goes: the top (`upper`, Matplotlib's default) or the bottom (`lower`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Origin {
    /// Row 0 at the top edge (y1).
    #[default]
    Upper,
    /// Row 0 at the bottom edge (y0).
    Lower,
}

impl FromStr for Origin {
    type Err = String;
    fn from_str(text: &str) -> Result<Origin, String> {
        match text {
            "upper" => Ok(Origin::Upper),
            "lower" => Ok(Origin::Lower),
            _ => Err(format!("unknown origin '{text}'; use upper or lower")),
        }
    }
}

/// How several raster cells in one canvas pixel become one value (Datashader's default is
/// mean).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Downsample {
    /// Mean of the non-NaN cells (output float64).
    #[default]
    Mean,
    /// Smallest non-NaN cell.
    Min,
    /// Largest non-NaN cell.
    Max,
    /// First non-NaN cell in raster memory order.
    First,
    /// Last non-NaN cell in raster memory order.
    Last,
    /// Most frequent non-NaN value, ties to the smallest.
    Mode,
}

impl FromStr for Downsample {
    type Err = String;
    fn from_str(text: &str) -> Result<Downsample, String> {
        match text {
            "mean" => Ok(Downsample::Mean),
            "min" => Ok(Downsample::Min),
            "max" => Ok(Downsample::Max),
            "first" => Ok(Downsample::First),
            "last" => Ok(Downsample::Last),
            "mode" => Ok(Downsample::Mode),
            _ => Err(format!("unknown downsampling '{text}'; use mean, min, max, first, last or mode")),
        }
    }
}

/// How a canvas pixel smaller than a cell gets its value (Datashader's default is linear).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Upsample {
    /// The cell containing the pixel centre (keeps the input dtype).
    Nearest,
    /// Linear between cell centres, bilinear in 2-D (output float64).
    #[default]
    Linear,
}

impl FromStr for Upsample {
    type Err = String;
    fn from_str(text: &str) -> Result<Upsample, String> {
        match text {
            "nearest" => Ok(Upsample::Nearest),
            "linear" => Ok(Upsample::Linear),
            _ => Err(format!("unknown upsampling '{text}'; use nearest or linear")),
        }
    }
}

/// The natural dtype of a resampled raster: float64 for `mean` or `linear` (fractional
/// values), the input dtype otherwise (every output value is some cell's value). Empty
/// pixels are NaN in the f64 output whatever this says; an integer export needs a mask.
pub fn output_dtype(how: (Downsample, Upsample), input: DType) -> DType {
    match how {
        (Downsample::Mean, _) | (_, Upsample::Linear) => DType::F64,
        _ => input,
    }
}

/// Where a raster lies in data space and which way up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RasterPlacement {
    /// `(x0, x1, y0, y1)`: the data coordinates of the raster's outer edges (not of the
    /// centres of its edge cells), as Matplotlib's `extent`.
    pub extent: (f64, f64, f64, f64),
    /// Where row 0 goes.
    pub origin: Origin,
}

impl RasterPlacement {
    /// The default placement of a grid: one data unit per cell, `(0, C, 0, R)`, row 0 on top.
    pub fn unit_cells(grid: &Grid) -> RasterPlacement {
        let (rows, cols) = grid.shape();
        RasterPlacement { extent: (0.0, cols as f64, 0.0, rows as f64), origin: Origin::Upper }
    }

    /// Fails (naming `--extent`) unless `x0 < x1`, `y0 < y1`, all finite.
    pub fn check(&self) -> Result<()> {
        let (x0, x1, y0, y1) = self.extent;
        let finite = [x0, x1, y0, y1].iter().all(|v| v.is_finite());
        if !finite || x0 >= x1 || y0 >= y1 {
            return Err(Error::bad_parameter(
                Field::Extent,
                format!("{x0},{x1},{y0},{y1} is not an extent: give finite x0 < x1 and y0 < y1"),
            ));
        }
        Ok(())
    }
}

/// Parses an extent written `x0,x1,y0,y1` (four finite numbers, x0 < x1, y0 < y1).
pub fn parse_extent(text: &str) -> Result<(f64, f64, f64, f64), String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let values: Vec<f64> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    match values[..] {
        [x0, x1, y0, y1] if parts.len() == 4 => {
            if values.iter().all(|v| v.is_finite()) && x0 < x1 && y0 < y1 {
                Ok((x0, x1, y0, y1))
            } else {
                Err(format!("'{text}' is not an extent: give finite x0 < x1 and y0 < y1"))
            }
        }
        _ => {
            Err(format!("'{text}' is not an extent; write x0,x1,y0,y1 with four numbers, e.g. 0,360,-90,90"))
        }
    }
}

/// Per-task buffers, reused from one canvas row to the next.
#[derive(Default)]
struct Scratch {
    row: Vec<f64>,
    other: Vec<f64>,
    acc: Vec<f64>,
    counts: Vec<u64>,
    values: Vec<f64>,
    cell: Vec<f64>,
}

/// A raster prepared for one canvas: the per-column taps are computed once, so build one and
/// call [`Resampler::band`] for every band.
#[derive(Debug)]
pub struct Resampler<'a> {
    grid: &'a Grid,
    how: (Downsample, Upsample),
    y: Axis,
    rows: Cells1d,
    /// Per canvas column, relative to `span.start`.
    x_taps: Vec<Tap>,
    /// The raster columns any canvas column reads.
    span: Range<usize>,
}

impl<'a> Resampler<'a> {
    /// Prepares `grid` at `placement` for the canvas with axes `x` and `y`. Fails (naming
    /// `--extent`) if the extent is not finite and increasing.
    pub fn new(
        grid: &'a Grid,
        placement: &RasterPlacement,
        x: &Axis,
        y: &Axis,
        how: (Downsample, Upsample),
    ) -> Result<Resampler<'a>> {
        placement.check()?;
        let (x0, x1, y0, y1) = placement.extent;
        let (n_rows, n_cols) = grid.shape();
        let cols = Cells1d { n: n_cols, start: x0, step: (x1 - x0) / n_cols as f64, lo: x0, hi: x1 };
        let ch = (y1 - y0) / n_rows as f64;
        let rows = match placement.origin {
            Origin::Upper => Cells1d { n: n_rows, start: y1, step: -ch, lo: y0, hi: y1 },
            Origin::Lower => Cells1d { n: n_rows, start: y0, step: ch, lo: y0, hi: y1 },
        };
        let taps: Vec<Tap> = (0..x.pixels()).map(|c| cols.tap(x, c, how.1)).collect();
        let spans = taps.iter().map(|t| t.span()).filter(|s| !s.is_empty());
        let span = spans.reduce(|a, b| a.start.min(b.start)..a.end.max(b.end)).unwrap_or(0..0);
        let x_taps = taps.into_iter().map(|t| t.shifted(span.start)).collect();
        Ok(Resampler { grid, how, y: *y, rows, x_taps, span })
    }

    /// Canvas width in pixels.
    pub fn width(&self) -> usize {
        self.x_taps.len()
    }

    /// Resamples canvas rows `rows` (image order, row 0 = top = y max) into `out`
    /// (`rows.len() * width` values, row-major; NaN = empty). Parallel over canvas rows; the
    /// result does not depend on how the canvas is cut into bands or on the thread count.
    pub fn band(&self, rows: Range<u32>, out: &mut [f64]) -> Result<()> {
        let width = self.width();
        let height = self.y.pixels();
        if rows.start > rows.end || rows.end > height || out.len() != rows.len() * width {
            return Err(Error::usage(
                "Resampler::band",
                format!(
                    "rows {rows:?} and an output of {} values do not fit a {width} x {height} canvas",
                    out.len()
                ),
            ));
        }
        if width == 0 {
            return Ok(());
        }
        out.par_chunks_mut(width)
            .zip(rows.into_par_iter())
            .for_each_init(Scratch::default, |scratch, (line, r)| self.canvas_row(r, line, scratch));
        Ok(())
    }

    /// The tap of canvas row `r` (from the top) along the raster rows.
    fn y_tap(&self, r: u32) -> Tap {
        self.rows.tap(&self.y, self.y.pixels() - 1 - r, self.how.1)
    }

    /// Fills one canvas row, then releases the raster rows it read.
    fn canvas_row(&self, r: u32, line: &mut [f64], scratch: &mut Scratch) {
        let tap = self.y_tap(r);
        match tap {
            _ if tap.span().is_empty() || self.span.is_empty() => line.fill(f64::NAN),
            Tap::Lerp { a, b, w } => self.interpolated_row(a, b, w, line, scratch),
            Tap::Cells { start, end } => match self.how.0 {
                Downsample::Mean => self.aggregate_rows::<MeanR>(start..end, line, scratch),
                Downsample::Min => self.aggregate_rows::<MinR>(start..end, line, scratch),
                Downsample::Max => self.aggregate_rows::<MaxR>(start..end, line, scratch),
                Downsample::First => self.aggregate_rows::<FirstR>(start..end, line, scratch),
                Downsample::Last => self.aggregate_rows::<LastR>(start..end, line, scratch),
                Downsample::Mode => self.mode_rows(start..end, line, scratch),
            },
        }
        self.grid.release_rows(tap.span());
    }

    /// Reads raster row `i` (the canvas's columns) into `buffer`.
    fn read(&self, i: usize, buffer: &mut Vec<f64>) {
        buffer.resize(self.span.len(), 0.0);
        self.grid.read_row_f64(i, self.span.clone(), buffer);
    }

    /// Streams raster rows `rows`, aggregating each pixel's cells (or x-interpolated values)
    /// with `R`. The pages of the rows read are released every [`RELEASE_ROWS`] rows, so a
    /// pixel over many raster rows (a small canvas of a tall raster) keeps few resident.
    fn aggregate_rows<R: CellAggregate>(&self, rows: Range<usize>, line: &mut [f64], s: &mut Scratch) {
        s.acc.clear();
        s.acc.resize(line.len(), R::INIT);
        s.counts.clear();
        s.counts.resize(line.len(), 0);
        let first = rows.start;
        for i in rows {
            self.read(i, &mut s.row);
            self.push_row::<R>(&s.row, &mut s.acc, &mut s.counts);
            self.release_behind(first, i);
        }
        finish_line::<R>(&s.acc, &s.counts, line);
    }

    /// Adds one raster row (the canvas's columns, `span`) to a canvas row's states.
    ///
    /// Pixels of many cells are taken [`LANES`] at a time, their k-th cells in turn: each
    /// pixel still sees its cells in ascending order (the same bits), but the lanes' add
    /// chains overlap instead of one pixel's chain of thousands of dependent adds after
    /// another (a canvas far coarser than the raster: a pyramid's coarse levels).
    #[inline]
    fn push_row<R: CellAggregate>(&self, row: &[f64], acc: &mut [f64], counts: &mut [u64]) {
        let lanes = self.x_taps.chunks_exact(LANES).zip(acc.chunks_exact_mut(LANES));
        for ((taps, acc), counts) in lanes.zip(counts.chunks_exact_mut(LANES)) {
            let (acc, counts): (&mut [f64; LANES], &mut [u64; LANES]) =
                (acc.try_into().expect("LANES states"), counts.try_into().expect("LANES counts"));
            push_lanes::<R>(taps.try_into().expect("LANES taps"), row, acc, counts);
        }
        let done = self.x_taps.len() / LANES * LANES;
        for ((tap, acc), count) in self.x_taps[done..].iter().zip(&mut acc[done..]).zip(&mut counts[done..]) {
            push_tap::<R>(*tap, row, acc, count);
        }
    }

    /// Releases the pages of the last [`RELEASE_ROWS`] raster rows read when row `i` (of a
    /// canvas row's rows from `first`) completes a multiple of them.
    fn release_behind(&self, first: usize, i: usize) {
        if (i + 1 - first).is_multiple_of(RELEASE_ROWS) {
            self.grid.release_rows(i + 1 - RELEASE_ROWS..i + 1);
        }
    }

    /// Mode over raster rows `rows`: every value of the canvas row is kept, pixel-major.
    fn mode_rows(&self, rows: Range<usize>, line: &mut [f64], s: &mut Scratch) {
        let k = rows.len();
        let per_row = |tap: &Tap| match *tap {
            Tap::Cells { start, end } => end - start,
            Tap::Lerp { .. } => 1,
        };
        let total: usize = self.x_taps.iter().map(per_row).sum();
        s.values.clear();
        s.values.resize(total * k, f64::NAN);
        let first = rows.start;
        for (n, i) in rows.enumerate() {
            self.read(i, &mut s.row);
            self.release_behind(first, i);
            let mut at = 0;
            for tap in &self.x_taps {
                let m = per_row(tap);
                let slot = &mut s.values[at * k + n * m..at * k + (n + 1) * m];
                match *tap {
                    Tap::Cells { start, end } => slot.copy_from_slice(&s.row[start..end]),
                    Tap::Lerp { a, b, w } => slot[0] = lerp(s.row[a], s.row[b], w),
                }
                at += m;
            }
        }
        let mut at = 0;
        for (o, tap) in line.iter_mut().zip(&self.x_taps) {
            let m = per_row(tap) * k;
            s.cell.clear();
            s.cell.extend_from_slice(&s.values[at..at + m]);
            *o = mode_of(&mut s.cell);
            at += m;
        }
    }

    /// The canvas row interpolated between raster rows `a` and `b`, then resampled along x.
    fn interpolated_row(&self, a: usize, b: usize, w: f64, line: &mut [f64], s: &mut Scratch) {
        self.read(a, &mut s.row);
        if w != 0.0 && b != a {
            self.read(b, &mut s.other);
            lerp_rows(&mut s.row, &s.other, w);
        }
        self.x_resample(&s.row, line, &mut s.cell);
    }

    /// One raster row (already interpolated along y) resampled along x into `line`.
    fn x_resample(&self, row: &[f64], line: &mut [f64], cell: &mut Vec<f64>) {
        for (o, tap) in line.iter_mut().zip(&self.x_taps) {
            *o = match *tap {
                Tap::Lerp { a, b, w } => lerp(row[a], row[b], w),
                Tap::Cells { start, end } => reduce_slice(self.how.0, &row[start..end], cell),
            };
        }
    }
}

/// How many raster rows a canvas row reads before releasing their pages.
const RELEASE_ROWS: usize = 64;

/// `row_a` becomes `(1 - w) * row_a + w * row_b`, value by value.
fn lerp_rows(row_a: &mut [f64], row_b: &[f64], w: f64) {
    for (va, &vb) in row_a.iter_mut().zip(row_b) {
        *va = lerp(*va, vb, w);
    }
}

/// Pixels whose cells [`Resampler::push_row`] takes together, a k-th cell of each in turn.
const LANES: usize = 4;

/// Adds one raster row's cells to `LANES` pixels' states: as long as every lane is a run of
/// cells, the k-th cell of each lane in turn (so their add chains overlap), then each
/// lane's remaining cells; each lane's cells in ascending order either way.
#[inline(always)]
fn push_lanes<R: CellAggregate>(
    taps: &[Tap; LANES],
    row: &[f64],
    acc: &mut [f64; LANES],
    counts: &mut [u64; LANES],
) {
    let mut runs = [(0usize, 0usize); LANES];
    for (run, tap) in runs.iter_mut().zip(taps) {
        if let Tap::Cells { start, end } = *tap {
            *run = (start, end);
        }
    }
    let shortest = runs.iter().map(|&(start, end)| end - start).min().unwrap_or(0);
    if shortest < 2 {
        for ((acc, count), &tap) in acc.iter_mut().zip(counts.iter_mut()).zip(taps) {
            push_tap::<R>(tap, row, acc, count);
        }
        return;
    }
    let mut lanes: [&[f64]; LANES] = [&[]; LANES];
    for (lane, &(start, _)) in lanes.iter_mut().zip(&runs) {
        *lane = &row[start..start + shortest];
    }
    for k in 0..shortest {
        for ((acc, count), lane) in acc.iter_mut().zip(counts.iter_mut()).zip(&lanes) {
            R::push(acc, count, lane[k]);
        }
    }
    for ((acc, count), &(start, end)) in acc.iter_mut().zip(counts.iter_mut()).zip(&runs) {
        for &v in &row[start + shortest..end] {
            R::push(acc, count, v);
        }
    }
}

/// Adds one raster row's cells of one pixel (`tap`) to its state, in ascending order.
#[inline(always)]
fn push_tap<R: CellAggregate>(tap: Tap, row: &[f64], acc: &mut f64, count: &mut u64) {
    match tap {
        Tap::Cells { start, end } => {
            for &v in &row[start..end] {
                R::push(acc, count, v);
            }
        }
        Tap::Lerp { a, b, w } => R::push(acc, count, lerp(row[a], row[b], w)),
    }
}

/// A canvas row's values from its states.
fn finish_line<R: CellAggregate>(acc: &[f64], counts: &[u64], line: &mut [f64]) {
    for ((o, &acc), &count) in line.iter_mut().zip(acc).zip(counts) {
        *o = R::finish(acc, count);
    }
}

/// `how` over the values of one pixel.
fn reduce_slice(how: Downsample, values: &[f64], scratch: &mut Vec<f64>) -> f64 {
    fn run<R: CellAggregate>(values: &[f64]) -> f64 {
        let (mut acc, mut count) = (R::INIT, 0);
        for &v in values {
            R::push(&mut acc, &mut count, v);
        }
        R::finish(acc, count)
    }
    match how {
        Downsample::Mean => run::<MeanR>(values),
        Downsample::Min => run::<MinR>(values),
        Downsample::Max => run::<MaxR>(values),
        Downsample::First => run::<FirstR>(values),
        Downsample::Last => run::<LastR>(values),
        Downsample::Mode => {
            scratch.clear();
            scratch.extend_from_slice(values);
            mode_of(scratch)
        }
    }
}

/// Resamples canvas rows `rows` (image order, row 0 = top = y max) of `grid` placed at
/// `placement` into `out` (`rows.len() * x.pixels()` values, row-major, NaN = empty). A
/// one-call convenience: for many bands build a [`Resampler`] once.
#[cfg(test)]
pub fn resample_band(
    grid: &Grid,
    placement: &RasterPlacement,
    x: &Axis,
    y: &Axis,
    rows: Range<u32>,
    how: (Downsample, Upsample),
    out: &mut [f64],
) -> Result<()> {
    Resampler::new(grid, placement, x, y, how)?.band(rows, out)
}
