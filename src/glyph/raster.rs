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

use rayon::prelude::*;

use crate::canvas::{Axis, Scale};
use crate::data::grid::Grid;
use crate::data::npy::DType;
use crate::error::{Error, Result};

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
                "--extent",
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

/// How a canvas pixel reads the raster along one axis.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tap {
    /// The cells `start..end`: those whose centres fall in the pixel (down), or the one
    /// containing its centre (nearest). Empty: the pixel is outside the raster (NaN).
    Cells { start: usize, end: usize },
    /// `(1 - w) * cell a + w * cell b`, with `a <= b <= a + 1` and `0 <= w < 1`.
    Lerp { a: usize, b: usize, w: f64 },
}

/// No cells: a NaN pixel.
const EMPTY: Tap = Tap::Cells { start: 0, end: 0 };

impl Tap {
    /// The cells this tap reads, as a range (empty for a NaN pixel).
    fn span(self) -> Range<usize> {
        match self {
            Tap::Cells { start, end } => start..end,
            Tap::Lerp { a, b, .. } => a..b + 1,
        }
    }

    /// The same tap with cell indices shifted down by `by`.
    fn shifted(self, by: usize) -> Tap {
        match self {
            Tap::Cells { start, end } if start < end => Tap::Cells { start: start - by, end: end - by },
            Tap::Cells { .. } => EMPTY,
            Tap::Lerp { a, b, w } => Tap::Lerp { a: a - by, b: b - by, w },
        }
    }
}

/// One axis of the raster in data space: `n` cells from `start` in steps of `step` (negative
/// for the rows of an upper-origin raster, which run from y1 down).
#[derive(Clone, Copy, Debug)]
struct Cells1d {
    n: usize,
    start: f64,
    step: f64,
    /// The extent along this axis, `lo < hi`.
    lo: f64,
    hi: f64,
}

impl Cells1d {
    /// The data coordinate of the centre of cell `k`.
    fn centre(&self, k: usize) -> f64 {
        self.start + (k as f64 + 0.5) * self.step
    }

    /// The canvas bin of cell `k`'s centre, -1 below the axis range and `pixels` above it.
    fn key(&self, axis: &Axis, k: usize) -> i64 {
        let c = self.centre(k);
        match axis.bin(c) {
            Some(b) => i64::from(b),
            None if c < axis.range().0 => -1,
            None => i64::from(axis.pixels()),
        }
    }

    /// The cells whose centres fall in canvas bin `bin` (keys are monotone in k).
    fn cells_in(&self, axis: &Axis, bin: u32) -> Tap {
        let b = i64::from(bin);
        let (start, end) = if self.step > 0.0 {
            (first_true(self.n, |k| self.key(axis, k) >= b), first_true(self.n, |k| self.key(axis, k) > b))
        } else {
            (first_true(self.n, |k| self.key(axis, k) <= b), first_true(self.n, |k| self.key(axis, k) < b))
        };
        Tap::Cells { start, end: end.max(start) }
    }

    /// The tap of canvas bin `bin` when upsampling by `how` (the pixel centre's cell, or
    /// the two centres around it).
    fn sample_at(&self, axis: &Axis, bin: u32, how: Upsample) -> Tap {
        let p = axis.bin_center(bin);
        if !(p >= self.lo && p <= self.hi) {
            return EMPTY;
        }
        let last = (self.n - 1) as f64;
        let u = (p - self.start) / self.step;
        match how {
            Upsample::Nearest => {
                let k = u.floor().clamp(0.0, last) as usize;
                Tap::Cells { start: k, end: k + 1 }
            }
            Upsample::Linear => {
                let u = (u - 0.5).clamp(0.0, last);
                let a = u.floor() as usize;
                let b = (a + 1).min(self.n - 1);
                let w = if a == b { 0.0 } else { u - a as f64 };
                Tap::Lerp { a, b, w }
            }
        }
    }

    /// The tap of canvas bin `bin`: down when the pixel is larger than a cell.
    fn tap(&self, axis: &Axis, bin: u32, how: Upsample) -> Tap {
        if pixel_size(axis, bin) > self.step.abs() {
            self.cells_in(axis, bin)
        } else {
            self.sample_at(axis, bin, how)
        }
    }
}

/// The width in data units of canvas bin `bin` (the same for every bin of a linear axis).
fn pixel_size(axis: &Axis, bin: u32) -> f64 {
    match axis.scale() {
        Scale::Linear => {
            let (lo, hi) = axis.range();
            (hi - lo) / f64::from(axis.pixels())
        }
        Scale::Log => axis.edge(f64::from(bin) + 1.0) - axis.edge(f64::from(bin)),
    }
}

/// The smallest `k` in `0..n` with `pred(k)` true, or `n` (pred is false then true).
fn first_true(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// Linear interpolation ignoring a NaN neighbour (see the module doc).
#[inline(always)]
fn lerp(va: f64, vb: f64, w: f64) -> f64 {
    if w == 0.0 || vb.is_nan() || va == vb {
        va
    } else if va.is_nan() {
        vb
    } else {
        va * (1.0 - w) + vb * w
    }
}

/// One streaming aggregate: a per-pixel f64 state and (for mean) a count.
trait Reducer {
    /// The state before any value.
    const INIT: f64;
    /// Adds `v` (possibly NaN, then ignored) to the state.
    fn push(acc: &mut f64, count: &mut u64, v: f64);
    /// The pixel value of a state.
    fn finish(acc: f64, count: u64) -> f64;
}

/// `Downsample::Mean`.
struct MeanR;
/// `Downsample::Min`.
struct MinR;
/// `Downsample::Max`.
struct MaxR;
/// `Downsample::First`.
struct FirstR;
/// `Downsample::Last`.
struct LastR;

impl Reducer for MeanR {
    const INIT: f64 = 0.0;
    #[inline(always)]
    fn push(acc: &mut f64, count: &mut u64, v: f64) {
        if !v.is_nan() {
            *acc += v;
            *count += 1;
        }
    }
    fn finish(acc: f64, count: u64) -> f64 {
        if count == 0 {
            f64::NAN
        } else {
            acc / count as f64
        }
    }
}

impl Reducer for MinR {
    const INIT: f64 = f64::NAN;
    #[inline(always)]
    fn push(acc: &mut f64, _: &mut u64, v: f64) {
        if !v.is_nan() && (acc.is_nan() || v < *acc) {
            *acc = v;
        }
    }
    fn finish(acc: f64, _: u64) -> f64 {
        acc
    }
}

impl Reducer for MaxR {
    const INIT: f64 = f64::NAN;
    #[inline(always)]
    fn push(acc: &mut f64, _: &mut u64, v: f64) {
        if !v.is_nan() && (acc.is_nan() || v > *acc) {
            *acc = v;
        }
    }
    fn finish(acc: f64, _: u64) -> f64 {
        acc
    }
}

impl Reducer for FirstR {
    const INIT: f64 = f64::NAN;
    #[inline(always)]
    fn push(acc: &mut f64, _: &mut u64, v: f64) {
        if acc.is_nan() {
            *acc = v;
        }
    }
    fn finish(acc: f64, _: u64) -> f64 {
        acc
    }
}

impl Reducer for LastR {
    const INIT: f64 = f64::NAN;
    #[inline(always)]
    fn push(acc: &mut f64, _: &mut u64, v: f64) {
        if !v.is_nan() {
            *acc = v;
        }
    }
    fn finish(acc: f64, _: u64) -> f64 {
        acc
    }
}

/// The most frequent non-NaN value of `values` (reordered), ties to the smallest; NaN if none.
fn mode_of(values: &mut Vec<f64>) -> f64 {
    values.retain(|v| !v.is_nan());
    values.sort_unstable_by(f64::total_cmp);
    let (mut best, mut best_count) = (f64::NAN, 0);
    let mut at = 0;
    while at < values.len() {
        let v = values[at];
        let run = values[at..].iter().take_while(|w| w.to_bits() == v.to_bits()).count();
        if run > best_count {
            (best, best_count) = (v, run);
        }
        at += run;
    }
    best
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

    /// The raster rows that canvas rows `rows` (image order, 0 = top) read, as one range
    /// (empty if none), e.g. to report progress or check what a band touches.
    pub fn raster_rows(&self, rows: Range<u32>) -> Range<usize> {
        rows.map(|r| self.y_tap(r).span())
            .filter(|s| !s.is_empty())
            .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
            .unwrap_or(0..0)
    }

    /// Resamples canvas rows `rows` (image order, row 0 = top = y max) into `out`
    /// (`rows.len() * width` values, row-major; NaN = empty). Parallel over canvas rows; the
    /// result does not depend on how the canvas is cut into bands or on the thread count.
    pub fn band(&self, rows: Range<u32>, out: &mut [f64]) -> Result<()> {
        let width = self.width();
        let height = self.y.pixels();
        if rows.start > rows.end || rows.end > height || out.len() != rows.len() * width {
            return Err(Error::bad_parameter(
                "raster band",
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
    /// with `R`.
    fn aggregate_rows<R: Reducer>(&self, rows: Range<usize>, line: &mut [f64], s: &mut Scratch) {
        s.acc.clear();
        s.acc.resize(line.len(), R::INIT);
        s.counts.clear();
        s.counts.resize(line.len(), 0);
        for i in rows {
            self.read(i, &mut s.row);
            let row = &s.row;
            for ((tap, acc), count) in self.x_taps.iter().zip(&mut s.acc).zip(&mut s.counts) {
                match *tap {
                    Tap::Cells { start, end } => {
                        for &v in &row[start..end] {
                            R::push(acc, count, v);
                        }
                    }
                    Tap::Lerp { a, b, w } => R::push(acc, count, lerp(row[a], row[b], w)),
                }
            }
        }
        for ((o, &acc), &count) in line.iter_mut().zip(&s.acc).zip(&s.counts) {
            *o = R::finish(acc, count);
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
        for (n, i) in rows.enumerate() {
            self.read(i, &mut s.row);
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
            for (va, &vb) in s.row.iter_mut().zip(&s.other) {
                *va = lerp(*va, vb, w);
            }
        }
        let row = &s.row;
        for (o, tap) in line.iter_mut().zip(&self.x_taps) {
            *o = match *tap {
                Tap::Lerp { a, b, w } => lerp(row[a], row[b], w),
                Tap::Cells { start, end } => reduce_slice(self.how.0, &row[start..end], &mut s.cell),
            };
        }
    }
}

/// `how` over the values of one pixel.
fn reduce_slice(how: Downsample, values: &[f64], scratch: &mut Vec<f64>) -> f64 {
    fn run<R: Reducer>(values: &[f64]) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::npy::encode_header;
    use std::io::Write;
    use std::path::{Path, PathBuf};

    /// Writes `values` (rows x cols) as a `.npy` of `dtype` and returns its path.
    fn write_grid(dir: &Path, name: &str, dtype: DType, rows: usize, cols: usize, values: &[f64]) -> PathBuf {
        let path = dir.join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(&encode_header(dtype, &[rows, cols])).unwrap();
        let bytes: Vec<u8> = match dtype {
            DType::F64 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            DType::U8 => values.iter().map(|&v| v as u8).collect(),
            DType::I16 => values.iter().flat_map(|&v| (v as i16).to_le_bytes()).collect(),
            _ => unreachable!(),
        };
        f.write_all(&bytes).unwrap();
        path
    }

    fn axis(name: &str, lo: f64, hi: f64, n: u32) -> Axis {
        Axis::new(name, (lo, hi), n, Scale::Linear).unwrap()
    }

    /// A deterministic pseudo-random raster with about `nan_percent` NaN cells and few
    /// distinct values (so modes have real ties and runs).
    fn raster(rows: usize, cols: usize, seed: u64, nan_percent: u64) -> Vec<f64> {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..rows * cols)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let r = state >> 33;
                if r % 100 < nan_percent {
                    f64::NAN
                } else {
                    ((r >> 8) % 7) as f64 * 1.25 - 3.0
                }
            })
            .collect()
    }

    // ---- The brute-force reference, written plainly from the module doc. ----

    /// One axis's plain tap: cells to aggregate, or (cell, weight) pairs to interpolate.
    enum Plain {
        Agg(Vec<usize>),
        Interp(Vec<(usize, f64)>),
    }

    #[allow(clippy::too_many_arguments)]
    /// The plain tap of canvas bin `bin` on `axis` for `n` cells with centres `centre(k)`
    /// covering `[lo, hi]`; `pos(p)` is the continuous cell coordinate of data point p.
    fn plain_tap(
        axis: &Axis,
        bin: u32,
        n: usize,
        cell: f64,
        centre: &dyn Fn(usize) -> f64,
        pos: &dyn Fn(f64) -> f64,
        extent: (f64, f64),
        up: Upsample,
    ) -> Plain {
        let (lo, hi) = axis.range();
        let pixel = (hi - lo) / f64::from(axis.pixels());
        if pixel > cell {
            return Plain::Agg((0..n).filter(|&k| axis.bin(centre(k)) == Some(bin)).collect());
        }
        let p = axis.bin_center(bin);
        if p < extent.0 || p > extent.1 {
            return Plain::Agg(vec![]);
        }
        let last = (n - 1) as f64;
        match up {
            Upsample::Nearest => Plain::Agg(vec![pos(p).floor().max(0.0).min(last) as usize]),
            Upsample::Linear => {
                let u = (pos(p) - 0.5).max(0.0).min(last);
                let a = u.floor() as usize;
                if a as f64 == last {
                    Plain::Interp(vec![(a, 1.0)])
                } else {
                    Plain::Interp(vec![(a, 1.0 - (u - a as f64)), (a + 1, u - a as f64)])
                }
            }
        }
    }

    /// `sum w v` over the points when all of positive weight are non-NaN and differ, else
    /// the weighted mean over the non-NaN points of positive weight (NaN if none).
    fn plain_interp(points: &[(usize, f64)], value: &dyn Fn(usize) -> f64) -> f64 {
        let live: Vec<(f64, f64)> = points
            .iter()
            .filter(|&&(k, w)| w > 0.0 && !value(k).is_nan())
            .map(|&(k, w)| (w, value(k)))
            .collect();
        match live[..] {
            [] => f64::NAN,
            [(_, v)] => v,
            [(_, a), (_, b)] if a == b => a,
            _ => live.iter().map(|(w, v)| w * v).sum(),
        }
    }

    fn plain_aggregate(how: Downsample, values: &[f64]) -> f64 {
        let v: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        if v.is_empty() {
            return f64::NAN;
        }
        match how {
            Downsample::Mean => v.iter().sum::<f64>() / v.len() as f64,
            Downsample::Min => v.iter().copied().fold(f64::INFINITY, f64::min),
            Downsample::Max => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Downsample::First => v[0],
            Downsample::Last => v[v.len() - 1],
            Downsample::Mode => {
                let mut best = (0, f64::NAN);
                for &a in &v {
                    let count = v.iter().filter(|&&b| b == a).count();
                    if count > best.0 || (count == best.0 && a < best.1) {
                        best = (count, a);
                    }
                }
                best.1
            }
        }
    }

    /// The whole canvas (image order) computed pixel by pixel from `values`.
    fn reference(
        values: &[f64],
        (rows, cols): (usize, usize),
        place: &RasterPlacement,
        x: &Axis,
        y: &Axis,
        how: (Downsample, Upsample),
    ) -> Vec<f64> {
        let (x0, x1, y0, y1) = place.extent;
        let (cw, ch) = ((x1 - x0) / cols as f64, (y1 - y0) / rows as f64);
        let cx = |j: usize| x0 + (j as f64 + 0.5) * cw;
        let cy = |i: usize| match place.origin {
            Origin::Upper => y1 - (i as f64 + 0.5) * ch,
            Origin::Lower => y0 + (i as f64 + 0.5) * ch,
        };
        let px = |p: f64| (p - x0) / cw;
        let py = |p: f64| match place.origin {
            Origin::Upper => (y1 - p) / ch,
            Origin::Lower => (p - y0) / ch,
        };
        let v = |i: usize, j: usize| values[i * cols + j];
        let (w, h) = (x.pixels(), y.pixels());
        let mut out = Vec::new();
        for r in 0..h {
            let ty = plain_tap(y, h - 1 - r, rows, ch, &cy, &py, (y0, y1), how.1);
            for c in 0..w {
                let tx = plain_tap(x, c, cols, cw, &cx, &px, (x0, x1), how.1);
                let value = match (&ty, &tx) {
                    (Plain::Agg(is), Plain::Agg(js)) => {
                        let cells: Vec<f64> =
                            is.iter().flat_map(|&i| js.iter().map(move |&j| v(i, j))).collect();
                        plain_aggregate(how.0, &cells)
                    }
                    (Plain::Agg(is), Plain::Interp(pj)) => {
                        let cells: Vec<f64> = is.iter().map(|&i| plain_interp(pj, &|j| v(i, j))).collect();
                        plain_aggregate(how.0, &cells)
                    }
                    (Plain::Interp(pi), Plain::Agg(js)) => {
                        let cells: Vec<f64> = js.iter().map(|&j| plain_interp(pi, &|i| v(i, j))).collect();
                        plain_aggregate(how.0, &cells)
                    }
                    (Plain::Interp(pi), Plain::Interp(pj)) => {
                        plain_interp(pj, &|j| plain_interp(pi, &|i| v(i, j)))
                    }
                };
                out.push(value);
            }
        }
        out
    }

    const DOWNS: [Downsample; 6] = [
        Downsample::Mean,
        Downsample::Min,
        Downsample::Max,
        Downsample::First,
        Downsample::Last,
        Downsample::Mode,
    ];

    /// Asserts `got == want`: bit for bit, or within 1e-12 relative when mean or linear
    /// produce computed values.
    fn assert_close(got: &[f64], want: &[f64], how: (Downsample, Upsample), label: &str) {
        assert_eq!(got.len(), want.len());
        let exact = how.0 != Downsample::Mean && how.1 == Upsample::Nearest;
        for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
            let ok = if g.is_nan() || w.is_nan() || exact {
                g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan())
            } else {
                (g - w).abs() <= 1e-12 * w.abs().max(1.0)
            };
            assert!(ok, "{label} {how:?}: pixel {k}: got {g}, want {w}");
        }
    }

    /// Geometries: (raster rows, cols, extent, x range, width, y range, height).
    type Case = (usize, usize, (f64, f64, f64, f64), (f64, f64), u32, (f64, f64), u32);
    const CASES: [Case; 7] = [
        // Down in both, non-integer ratios, extent partly off the canvas.
        (37, 53, (-1.0, 4.3, -2.0, 1.7), (0.0, 5.0), 11, (-1.0, 2.0), 7),
        // Up in both, canvas beyond the raster on every side.
        (5, 7, (0.0, 7.0, 0.0, 5.0), (-1.5, 8.25), 29, (-0.7, 5.9), 23),
        // Down in x, up in y; and the reverse.
        (6, 90, (0.0, 9.0, 0.0, 3.0), (0.5, 8.7), 13, (0.0, 3.0), 17),
        (80, 6, (0.0, 3.0, 0.0, 8.0), (-0.2, 3.0), 19, (1.0, 7.9), 9),
        // Exactly one cell per pixel, aligned and shifted by half a cell.
        (8, 10, (0.0, 10.0, 0.0, 8.0), (0.0, 10.0), 10, (0.0, 8.0), 8),
        (8, 10, (0.0, 10.0, 0.0, 8.0), (0.5, 10.5), 10, (-0.5, 7.5), 8),
        // The canvas entirely inside one cell region; and entirely off the raster.
        (3, 3, (0.0, 3.0, 0.0, 3.0), (1.1, 1.9), 5, (0.2, 2.8), 4),
    ];

    #[test]
    fn matches_the_brute_force_reference() {
        let dir = tempfile::tempdir().unwrap();
        for (n, &(rows, cols, extent, xr, w, yr, h)) in CASES.iter().enumerate() {
            let values = raster(rows, cols, n as u64, 15);
            let path = write_grid(dir.path(), &format!("c{n}.npy"), DType::F64, rows, cols, &values);
            let grid = Grid::open(&path).unwrap();
            let (x, y) = (axis("--x-range", xr.0, xr.1, w), axis("--y-range", yr.0, yr.1, h));
            for origin in [Origin::Upper, Origin::Lower] {
                let place = RasterPlacement { extent, origin };
                for down in DOWNS {
                    for up in [Upsample::Nearest, Upsample::Linear] {
                        let how = (down, up);
                        let want = reference(&values, (rows, cols), &place, &x, &y, how);
                        let mut got = vec![0.0; want.len()];
                        resample_band(&grid, &place, &x, &y, 0..h, how, &mut got).unwrap();
                        assert_close(&got, &want, how, &format!("case {n} {origin:?}"));
                        assert!(got.iter().any(|v| !v.is_nan()), "case {n} is all NaN");
                    }
                }
            }
        }
    }

    #[test]
    fn off_raster_canvas_is_all_nan() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_grid(dir.path(), "o.npy", DType::F64, 4, 4, &[1.0; 16]);
        let grid = Grid::open(&path).unwrap();
        let place = RasterPlacement { extent: (0.0, 4.0, 0.0, 4.0), origin: Origin::Upper };
        for (xr, w) in [((5.0, 9.0), 3), ((5.0, 9.0), 30)] {
            let x = axis("--x-range", xr.0, xr.1, w);
            let mut out = vec![0.0; (w * 2) as usize];
            let how = (Downsample::Mean, Upsample::Linear);
            resample_band(&grid, &place, &x, &axis("y", 0.0, 4.0, 2), 0..2, how, &mut out).unwrap();
            assert!(out.iter().all(|v| v.is_nan()));
        }
    }

    #[test]
    fn small_cases_by_hand() {
        let dir = tempfile::tempdir().unwrap();
        // Rows (top first): [1 2 3 4] / [5 NaN 7 8].
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN, 7.0, 8.0];
        let path = write_grid(dir.path(), "h.npy", DType::F64, 2, 4, &values);
        let grid = Grid::open(&path).unwrap();
        let place = RasterPlacement { extent: (0.0, 4.0, 0.0, 2.0), origin: Origin::Upper };
        let (x, y) = (axis("x", 0.0, 4.0, 2), axis("y", 0.0, 2.0, 1));
        let run = |how, y: &Axis, x: &Axis, place: &RasterPlacement| {
            let mut out = vec![0.0; (x.pixels() * y.pixels()) as usize];
            resample_band(&grid, place, x, y, 0..y.pixels(), how, &mut out).unwrap();
            out
        };
        let up = Upsample::Nearest;
        assert_eq!(run((Downsample::Mean, up), &y, &x, &place), [8.0 / 3.0, 22.0 / 4.0]);
        assert_eq!(run((Downsample::Min, up), &y, &x, &place), [1.0, 3.0]);
        assert_eq!(run((Downsample::Max, up), &y, &x, &place), [5.0, 8.0]);
        assert_eq!(run((Downsample::First, up), &y, &x, &place), [1.0, 3.0]);
        assert_eq!(run((Downsample::Last, up), &y, &x, &place), [5.0, 8.0]);
        // Origin lower puts row 0 at the bottom; first is still row 0 (memory order).
        let lower = RasterPlacement { origin: Origin::Lower, ..place };
        let y2 = axis("y", 0.0, 2.0, 2);
        let x4 = axis("x", 0.0, 4.0, 4);
        let flipped = run((Downsample::First, up), &y2, &x4, &lower);
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&flipped[..4]), bits(&[5.0, f64::NAN, 7.0, 8.0]));
        assert_eq!(flipped[4..], [1.0, 2.0, 3.0, 4.0]);
        // Linear, upsampled 2x in x on the top row: centres at 0.5, 1.5, ...
        let x8 = axis("x", 0.0, 4.0, 8);
        let top = run((Downsample::Mean, Upsample::Linear), &y2, &x8, &place);
        assert_eq!(top[..8], [1.0, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4.0]);
        // Bottom row: the NaN neighbour is ignored, its own pixels are NaN only at weight 1.
        assert_eq!(top[8..10], [5.0, 5.0]);
        assert_eq!(top[10..14], [5.0, 7.0, 7.0, 7.25]);
    }

    #[test]
    fn modes_count_values_and_break_ties_low() {
        assert_eq!(mode_of(&mut vec![3.0, 1.0, 3.0, f64::NAN, 1.0, 2.0]), 1.0);
        assert_eq!(mode_of(&mut vec![3.0, 2.0, 3.0, f64::NAN, f64::NAN]), 3.0);
        assert!(mode_of(&mut vec![f64::NAN]).is_nan());
        assert!(mode_of(&mut vec![]).is_nan());
    }

    #[test]
    fn integer_rasters_keep_their_values() {
        let dir = tempfile::tempdir().unwrap();
        let values: Vec<f64> = (0..60).map(|k| f64::from((k * 37 % 11) as u8)).collect();
        let path = write_grid(dir.path(), "u.npy", DType::U8, 6, 10, &values);
        let grid = Grid::open(&path).unwrap();
        assert_eq!(grid.dtype(), DType::U8);
        let place = RasterPlacement { extent: (0.0, 10.0, 0.0, 6.0), origin: Origin::Upper };
        let (x, y) = (axis("x", 0.0, 10.0, 3), axis("y", 0.0, 6.0, 4));
        for down in DOWNS {
            let how = (down, Upsample::Nearest);
            let want = reference(&values, (6, 10), &place, &x, &y, how);
            let mut got = vec![0.0; 12];
            resample_band(&grid, &place, &x, &y, 0..4, how, &mut got).unwrap();
            assert_close(&got, &want, how, "u8");
        }
    }

    #[test]
    fn any_split_into_bands_is_byte_identical() {
        let dir = tempfile::tempdir().unwrap();
        for (n, &(rows, cols, extent, xr, w, yr, h)) in CASES.iter().enumerate() {
            let values = raster(rows, cols, 100 + n as u64, 10);
            let path = write_grid(dir.path(), &format!("b{n}.npy"), DType::F64, rows, cols, &values);
            let grid = Grid::open(&path).unwrap();
            let (x, y) = (axis("x", xr.0, xr.1, w), axis("y", yr.0, yr.1, h));
            for origin in [Origin::Upper, Origin::Lower] {
                let place = RasterPlacement { extent, origin };
                for how in [(Downsample::Mean, Upsample::Linear), (Downsample::Mode, Upsample::Nearest)] {
                    let r = Resampler::new(&grid, &place, &x, &y, how).unwrap();
                    let mut whole = vec![0.0; (w * h) as usize];
                    r.band(0..h, &mut whole).unwrap();
                    for band in 1..=h {
                        let mut pieces = Vec::new();
                        for start in (0..h).step_by(band as usize) {
                            let rows = start..(start + band).min(h);
                            let mut out = vec![0.0; rows.len() * w as usize];
                            r.band(rows, &mut out).unwrap();
                            pieces.extend(out);
                        }
                        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                        assert_eq!(bits(&pieces), bits(&whole), "case {n} band {band}");
                    }
                }
            }
        }
    }

    #[test]
    fn parses_methods_and_extents() {
        assert_eq!("upper".parse(), Ok(Origin::Upper));
        assert_eq!("lower".parse(), Ok(Origin::Lower));
        assert!("top".parse::<Origin>().unwrap_err().contains("upper or lower"));
        let names = ["mean", "min", "max", "first", "last", "mode"];
        for (name, how) in names.iter().zip(DOWNS) {
            assert_eq!(name.parse(), Ok(how));
        }
        assert!("sum".parse::<Downsample>().is_err());
        assert_eq!("nearest".parse(), Ok(Upsample::Nearest));
        assert_eq!("linear".parse(), Ok(Upsample::Linear));
        assert!("cubic".parse::<Upsample>().is_err());
        assert_eq!(parse_extent("0, 360,-90,90"), Ok((0.0, 360.0, -90.0, 90.0)));
        for bad in ["0,1,2", "0,1,2,3,4", "1,0,0,1", "0,1,1,1", "0,inf,0,1", "a,b,c,d", "0,1,nan,1"] {
            assert!(parse_extent(bad).is_err(), "{bad}");
        }
        assert_eq!(output_dtype((Downsample::Mean, Upsample::Nearest), DType::U8), DType::F64);
        assert_eq!(output_dtype((Downsample::Mode, Upsample::Linear), DType::U8), DType::F64);
        assert_eq!(output_dtype((Downsample::Mode, Upsample::Nearest), DType::U8), DType::U8);
        assert_eq!(output_dtype((Downsample::Max, Upsample::Nearest), DType::I16), DType::I16);
    }

    #[test]
    fn bad_extents_and_bands_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_grid(dir.path(), "e.npy", DType::F64, 2, 2, &[0.0; 4]);
        let grid = Grid::open(&path).unwrap();
        let (x, y) = (axis("x", 0.0, 1.0, 4), axis("y", 0.0, 1.0, 4));
        let how = (Downsample::Mean, Upsample::Linear);
        let bad = RasterPlacement { extent: (1.0, 0.0, 0.0, 1.0), origin: Origin::Upper };
        let err = Resampler::new(&grid, &bad, &x, &y, how).unwrap_err().to_string();
        assert!(err.starts_with("--extent"), "{err}");
        let nan = RasterPlacement { extent: (0.0, 1.0, f64::NAN, 1.0), ..bad };
        assert!(Resampler::new(&grid, &nan, &x, &y, how).is_err());
        let r = Resampler::new(&grid, &RasterPlacement::unit_cells(&grid), &x, &y, how).unwrap();
        assert!(r.band(0..2, &mut [0.0; 7]).is_err());
        assert!(r.band(3..5, &mut [0.0; 8]).is_err());
        assert!(r.band(2..2, &mut []).is_ok());
    }
}

/// Peak memory of band-by-band resampling of a 4000 x 8000 uint8 raster (32 MB mapped).
#[cfg(all(test, target_os = "linux"))]
mod memory_tests {
    use super::*;
    use crate::data::npy::encode_header;
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    const ROWS: usize = 4000;
    const COLS: usize = 8000;

    /// A 4000 x 8000 uint8 raster with a smooth pattern, written to `dir`.
    fn big_raster(dir: &std::path::Path) -> Grid {
        let path = dir.join("big.npy");
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(&encode_header(DType::U8, &[ROWS, COLS])).unwrap();
        let mut row = vec![0u8; COLS];
        for i in 0..ROWS {
            for (j, v) in row.iter_mut().enumerate() {
                *v = ((i / 3 + j / 5) % 251) as u8;
            }
            f.write_all(&row).unwrap();
        }
        drop(f);
        Grid::open(&path).unwrap()
    }

    /// Resamples the canvas band by band (16 rows) while another thread samples the
    /// mapping's resident KiB; returns the peak and a checksum of the output.
    fn run(grid: &Grid, x: Axis, y: Axis, how: (Downsample, Upsample)) -> (u64, f64) {
        let place = RasterPlacement::unit_cells(grid);
        let r = Resampler::new(grid, &place, &x, &y, how).unwrap();
        let (done, peak) = (AtomicBool::new(false), AtomicU64::new(0));
        let mut sum = 0.0;
        std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    peak.fetch_max(grid.resident_kib(), Ordering::Relaxed);
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            });
            let (w, h) = (x.pixels() as usize, y.pixels());
            let mut out = vec![0.0; 16 * w];
            for start in (0..h).step_by(16) {
                let rows = start..(start + 16).min(h);
                let out = &mut out[..rows.len() * w];
                r.band(rows, out).unwrap();
                sum += out.iter().filter(|v| !v.is_nan()).sum::<f64>();
                // The kernel maps up to 64 KiB around each fault (fault-around): pages of rows
                // the next band reads may already be mapped, a bounded amount.
                assert!(grid.resident_kib() <= 1024, "{} KiB left mapped", grid.resident_kib());
            }
            done.store(true, Ordering::Relaxed);
        });
        (peak.into_inner(), sum)
    }

    /// At most a few raster rows per worker are ever mapped: far below the 32 MB raster.
    fn check(x: Axis, y: Axis, how: (Downsample, Upsample)) {
        let dir = tempfile::tempdir().unwrap();
        let grid = big_raster(dir.path());
        let clock = std::time::Instant::now();
        let (peak_kib, sum) = run(&grid, x, y, how);
        let seconds = clock.elapsed().as_secs_f64();
        let pixels = f64::from(x.pixels()) * f64::from(y.pixels());
        eprintln!(
            "{how:?} {}x{}: {seconds:.2} s, {:.0} Mpixel/s, {:.0} rows/s, peak mapped {peak_kib} KiB",
            x.pixels(),
            y.pixels(),
            pixels / seconds / 1e6,
            f64::from(y.pixels()) / seconds
        );
        assert!(sum > 0.0);
        // A few 64 KiB fault-around windows per task: well under 1 MiB of the 32 MB.
        assert!(peak_kib < 1024, "peak mapped {peak_kib} KiB");
    }

    #[test]
    fn downsampling_maps_a_few_rows_at_a_time() {
        let x = Axis::new("x", (0.0, COLS as f64), 2000, Scale::Linear).unwrap();
        let y = Axis::new("y", (0.0, ROWS as f64), 1000, Scale::Linear).unwrap();
        check(x, y, (Downsample::Mean, Upsample::Linear));
        check(x, y, (Downsample::Mode, Upsample::Linear));
    }

    #[test]
    fn upsampling_part_of_the_raster_maps_a_few_rows_at_a_time() {
        let x = Axis::new("x", (1000.0, 3000.0), 2500, Scale::Linear).unwrap();
        let y = Axis::new("y", (2000.0, 3000.0), 1250, Scale::Linear).unwrap();
        check(x, y, (Downsample::Mean, Upsample::Linear));
    }

    #[test]
    #[ignore = "slow in debug: 50 million pixels; run with --release --ignored"]
    fn upsampling_to_a_canvas_of_50_megapixels() {
        let x = Axis::new("x", (0.0, COLS as f64), 10_000, Scale::Linear).unwrap();
        let y = Axis::new("y", (0.0, ROWS as f64), 5_000, Scale::Linear).unwrap();
        check(x, y, (Downsample::Mean, Upsample::Linear));
        check(x, y, (Downsample::Mean, Upsample::Nearest));
    }
}
