//! The coarser levels of a render's aggregate, built in the render's own passes: what makes
//! a pyramid of any reduction and glyph one partition and one pass of each kind over the
//! data (`crate::pyramid::generic`).
//!
//! Level `k` (k = 1, 2, ...) is `ceil(W / 2^k) x ceil(H / 2^k)`: its pixel (i, j) holds the
//! reduction state of the finest pixels `(i 2^k .. (i + 1) 2^k, j 2^k .. (j + 1) 2^k)`,
//! those past the right and bottom edges counting as empty (as the count pyramid pads).
//! It is built by merging level `k - 1`'s states 2 x 2 ([`Reducer::merge`]) as each band of
//! level `k - 1` is finished, in a fixed order: a level-k pixel folds its four level-(k-1)
//! pixels top-left, top-right, bottom-left, bottom-right, so a coarse pixel's finest pixels
//! arrive in Z (Morton) order whatever the tiles, bands and threads. Counts, any, min and
//! max are therefore those of binning the points at the finest pixel; float sums, means
//! and variances are the same sums taken in that tree order (deterministic, not bit for bit
//! a sum in input order); `first` and `last` keep the value of the earliest / latest input
//! item of their finest pixels (their cells carry the item, [`crate::reduce::InOrder`]), so
//! they are the first and last point in input order, as on a canvas of the level's size.
//!
//! Memory: each level holds one open band of `ceil(W / 2^k)` columns and
//! `ceil(band height / 2^k)` rows, a third of a finest band in all. Each level gathers its
//! own global statistics in the statistics passes and is shaded with them in the emit
//! pass, band by band, into its own sinks.

use std::ops::Range;

use crate::canvas::{Plan, TileLayout};
use crate::error::{Error, Result};
use crate::parallel;
use crate::reduce::Reducer;
use crate::render::band::{BandCells, BandView, Fill, RowsView, ShadedBand};
use crate::render::RenderOptions;
use crate::shade::{DensityStream, Dynspread, Family, How, SavedStats, ShadeStyle};
use crate::sink::memory::Finished;
use crate::sink::{CanvasInfo, Sink};

/// The sinks of every coarser level, index 0 one step coarser than the canvas (half its
/// size), each level's sinks receiving that level's shaded bands.
pub(crate) type LevelSinks = Vec<Vec<Box<dyn Sink>>>;

/// What a pyramid's render does with every level's statistics, the canvas's first and then
/// each coarser level's: gather them over every pixel (the default), over a shard's rows
/// only, hand them out instead of emitting (a statistics file), or take them from a file
/// instead of the statistics passes. And which finest rows the partition keeps.
#[derive(Default)]
pub(crate) struct LevelStatsIo {
    /// The statistics of every level, canvas first (no statistics passes).
    pub given: Option<Vec<SavedStats>>,
    /// The canvas rows of every level (canvas first) whose pixels' statistics are
    /// gathered; None: every row.
    pub gather_rows: Option<Vec<Range<u32>>>,
    /// Where every level's gathered statistics go (canvas first; None for a family that
    /// cannot save them): the render then ends after its statistics passes.
    pub capture: Option<Finished<Vec<Option<SavedStats>>>>,
    /// The canvas rows whose records the partition keeps (a shard's rows and their halo);
    /// None: every row.
    pub rows: Option<Range<u32>>,
}

/// The band rows of a band of canvas rows `band` inside the canvas rows `rows` (None: all);
/// None when there are none.
pub(crate) fn window(band: Range<u32>, rows: Option<&Range<u32>>) -> Option<Range<u32>> {
    let Some(rows) = rows else { return Some(0..band.len() as u32) };
    let (start, end) = (band.start.max(rows.start), band.end.min(rows.end));
    (start < end).then(|| start - band.start..end - band.start)
}

/// What the finest band is being aggregated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Statistics pass `pass`.
    Statistics(u32),
    /// The emit pass: shade and hand to the sinks.
    Emit,
}

/// Every coarser level of a render: their open bands, statistics, shaders and sinks.
pub(crate) struct CoarseLevels<R: Reducer> {
    levels: Vec<Level<R>>,
    dynspread: Option<Dynspread>,
    /// The canvas's own statistics from a file, until the driver takes them.
    given: Option<<R::Family as Family>::Stats>,
    /// The canvas rows whose statistics the canvas gathers (None: all).
    gather_rows: Option<Range<u32>>,
    capture: Option<Finished<Vec<Option<SavedStats>>>>,
}

/// One coarser level.
struct Level<R: Reducer> {
    /// The level's canvas, cut into bands of `ceil(finest band height / 2^k)` rows.
    plan: Plan,
    /// Height of the level it is merged from.
    source_height: u32,
    /// The band being filled.
    band: u32,
    cells: BandCells<R>,
    stats: <R::Family as Family>::Stats,
    /// The level's rows whose statistics it gathers (None: all).
    gather_rows: Option<Range<u32>>,
    density: Option<DensityStream>,
    shader: Option<<R::Family as Family>::Shader>,
    spread_px: Option<usize>,
    sinks: Vec<Box<dyn Sink>>,
}

/// A fill that leaves every cell empty: opens a coarse band before it is merged into.
struct Blank;

impl<R: Reducer> Fill<R> for Blank {
    fn fill(&self, _: &R, _: &Plan, _: &TileLayout, _: u32, _: &mut [R::Cell]) -> Result<()> {
        Ok(())
    }
}

impl<R: Reducer> CoarseLevels<R> {
    /// The levels below the canvas of `finest` (one per entry of `sinks`), opening each
    /// level's sinks with the canvas `canvas` at the level's size.
    pub fn new(
        reducer: &R,
        finest: &Plan,
        options: &RenderOptions,
        canvas: &CanvasInfo,
        sinks: LevelSinks,
        io: LevelStatsIo,
    ) -> Result<CoarseLevels<R>> {
        let (mut width, mut height, mut rows) = (finest.width, finest.height, finest.band_height);
        let mut levels = Vec::with_capacity(sinks.len());
        let channels = reducer.channels();
        let mut given = match io.given {
            Some(given) if given.len() != sinks.len() + 1 => {
                return Err(Error::usage("CoarseLevels", "one statistics per level"))
            }
            Some(given) => Some(
                given
                    .iter()
                    .map(|saved| {
                        R::Family::import_stats(saved, channels, options.how)
                            .ok_or_else(|| Error::usage("CoarseLevels", "statistics of another reduction"))
                    })
                    .collect::<Result<Vec<_>>>()?
                    .into_iter(),
            ),
            None => None,
        };
        let finest_given = given.as_mut().and_then(Iterator::next);
        let mut gather_rows = io.gather_rows.map(Vec::into_iter);
        let finest_rows = gather_rows.as_mut().and_then(Iterator::next);
        for mut level_sinks in sinks {
            let source_height = height;
            (width, height, rows) = (width.div_ceil(2), height.div_ceil(2), rows.div_ceil(2));
            let mut plan = Plan::new(width, height, finest.tile, finest.budget, finest.threads, 1)?;
            plan.band_height = rows;
            plan.bands = height.div_ceil(rows);
            let info = CanvasInfo { width, height, ..*canvas };
            for sink in &mut level_sinks {
                sink.begin(&info)?;
            }
            levels.push(Level {
                plan,
                source_height,
                band: 0,
                cells: BandCells::default(),
                stats: given
                    .as_mut()
                    .and_then(Iterator::next)
                    .unwrap_or_else(|| R::Family::new_stats(reducer.channels())),
                gather_rows: gather_rows.as_mut().and_then(Iterator::next),
                density: None,
                shader: None,
                spread_px: None,
                sinks: level_sinks,
            });
        }
        Ok(CoarseLevels {
            levels,
            dynspread: options.dynspread,
            given: finest_given,
            gather_rows: finest_rows,
            capture: io.capture,
        })
    }

    /// The canvas's statistics from a file, if given (the render then runs no statistics
    /// pass: every level has its own from the file too).
    pub fn take_given(&mut self) -> Option<<R::Family as Family>::Stats> {
        self.given.take()
    }

    /// The canvas rows whose statistics the canvas gathers (None: all).
    pub fn gather_rows(&self) -> Option<&Range<u32>> {
        self.gather_rows.as_ref()
    }

    /// Hands every level's statistics (the canvas's `finest` first) to the capture when
    /// there is one, and says so: the render then ends without emitting.
    pub fn capture(&mut self, finest: &<R::Family as Family>::Stats, how: How) -> bool {
        let Some(capture) = self.capture.take() else { return false };
        let mut all = vec![R::Family::export_stats(finest, how)];
        all.extend(self.levels.iter().map(|level| R::Family::export_stats(&level.stats, how)));
        capture.put(all);
        true
    }

    /// Starts a statistics pass: pass 0 opens each level's dynspread density stream.
    pub fn begin_pass(&mut self, pass: u32) {
        if let (0, Some(d)) = (pass, self.dynspread) {
            for level in &mut self.levels {
                let (w, h) = (level.plan.width as usize, level.plan.height as usize);
                level.density = Some(DensityStream::new(w, h, d.max_px));
            }
        }
    }

    /// Merges the finest band `band` (bands arrive top to bottom, each pass from the first)
    /// into every coarser level, handing each coarse band to `stage` as it completes.
    pub fn push(&mut self, reducer: &R, band: &BandCells<R>, stage: Stage) -> Result<()> {
        feed(&mut self.levels, reducer, band, stage)
    }

    /// Ends statistics pass `pass` of every level.
    pub fn end_pass(&mut self, pass: u32, how: crate::shade::How) {
        for level in &mut self.levels {
            R::Family::end_pass(&mut level.stats, pass, how);
        }
    }

    /// Makes every level's shader from its statistics, and its dynspread radius.
    pub fn prepare(&mut self, style: &ShadeStyle<'_>) -> Result<()> {
        for level in &mut self.levels {
            if let (Some(density), Some(d)) = (level.density.take(), self.dynspread) {
                let stats = density.finish().ok_or_else(|| Error::usage("DensityStream", "rows missing"))?;
                level.spread_px = Some(stats.dynspread_px(d.threshold));
            }
            level.shader = Some(R::Family::shader(&level.stats, style));
        }
        Ok(())
    }

    /// Finishes every level's sinks, coarsest last.
    pub fn finish(self) -> Result<()> {
        for level in self.levels {
            for sink in level.sinks {
                sink.finish()?;
            }
        }
        Ok(())
    }
}

/// Merges `source` (a band of the level above `levels[0]`) into `levels[0]`, completing
/// its bands and feeding each completed one into the next level.
fn feed<R: Reducer>(levels: &mut [Level<R>], reducer: &R, source: &BandCells<R>, stage: Stage) -> Result<()> {
    let Some((level, coarser)) = levels.split_first_mut() else { return Ok(()) };
    let Some(rows) = source.parts().map(|(layout, _)| layout.canvas_rows()) else { return Ok(()) };
    if rows.start == 0 {
        level.band = 0;
        level.cells.aggregate(reducer, &Blank, &level.plan, 0)?;
    }
    let mut row = rows.start;
    while row < rows.end {
        let band_end = (level.plan.band_rows(level.band).end * 2).min(level.source_height);
        let end = band_end.min(rows.end);
        merge_rows(reducer, &mut level.cells, source, row..end);
        row = end;
        if end == band_end {
            level.deliver(reducer, stage)?;
            feed(coarser, reducer, &level.cells, stage)?;
            level.band += 1;
            if level.band < level.plan.bands {
                level.cells.aggregate(reducer, &Blank, &level.plan, level.band)?;
            }
        }
    }
    Ok(())
}

impl<R: Reducer> Level<R> {
    /// Hands the completed band to the statistics (and density) or to the sinks.
    fn deliver(&mut self, reducer: &R, stage: Stage) -> Result<()> {
        let view = BandView { reducer, cells: &self.cells };
        match stage {
            Stage::Statistics(pass) => {
                let rows = self.plan.band_rows(self.band);
                match window(rows, self.gather_rows.as_ref()) {
                    Some(rows) if self.gather_rows.is_some() => R::Family::gather(
                        &mut self.stats,
                        pass,
                        &RowsView { view: BandView { reducer, cells: &self.cells }, rows },
                    ),
                    Some(_) => R::Family::gather(&mut self.stats, pass, &view),
                    None => {}
                }
                if let (0, Some(density)) = (pass, self.density.as_mut()) {
                    density.push_rows(view.cells.rows() as usize, |row, out| view.lit_row(row as u32, out));
                }
                Ok(())
            }
            Stage::Emit => {
                let shader = self
                    .shader
                    .as_ref()
                    .ok_or_else(|| Error::usage("CoarseLevels", "emit before prepare"))?;
                let y0 = self.plan.band_rows(self.band).start;
                let shaded = ShadedBand { y0, view, shader, stats: &self.stats, spread_px: self.spread_px };
                self.sinks.iter_mut().try_for_each(|sink| sink.band(&shaded))
            }
        }
    }
}

/// Merges the rows `rows` of `source` (canvas rows of the level above) into `target`:
/// source pixel (x, y) into target pixel (x / 2, y / 2), rows top to bottom and each row
/// left to right, so every target pixel merges its sources in Z order. Target tiles in
/// parallel.
fn merge_rows<R: Reducer>(reducer: &R, target: &mut BandCells<R>, source: &BandCells<R>, rows: Range<u32>) {
    let channels = reducer.channels();
    let (Some((from, cells)), Some((to, out))) = (source.parts(), target.parts_mut()) else { return };
    let to = to.clone();
    let last = from.tiles() - 1;
    let source_width = from.tile_columns(last).0 + from.tile_columns(last).1;
    let (s0, t0) = (from.canvas_rows().start, to.canvas_rows().start);
    parallel::for_each_mut(&mut to.split_tiles_mut(out, channels), |t, tile| {
        let (x0, w) = to.tile_columns(t);
        let (c0, c1) = (2 * x0, (2 * (x0 + w)).min(source_width));
        for row in rows.clone() {
            let at = (row / 2 - t0) as usize * w as usize * channels;
            let out = &mut tile[at..at + w as usize * channels];
            let mut c = c0;
            while c < c1 {
                let st = from.tile_of(c);
                let (sx0, sw) = from.tile_columns(st);
                let end = (sx0 + sw).min(c1);
                let start = (from.tile_offset(st) + (row - s0) as usize * sw as usize) * channels;
                let piece =
                    &cells[start + (c - sx0) as usize * channels..start + (end - sx0) as usize * channels];
                merge_columns(
                    reducer,
                    &mut out[(c / 2 - x0) as usize * channels..],
                    piece,
                    c % 2 == 1,
                    channels,
                );
                c = end;
            }
        }
    });
}

/// Merges the source pixels `piece` (consecutive columns of one row, `channels` cells each)
/// into `out` (from the target pixel of the first of them), two source columns per target
/// pixel, left then right; `odd`: the first source column is the right one of its pair.
/// The same merges in the same order as one at a time, in a loop the compiler can unroll
/// (and vectorise for one channel).
#[inline(always)]
fn merge_columns<R: Reducer>(
    reducer: &R,
    out: &mut [R::Cell],
    mut piece: &[R::Cell],
    odd: bool,
    channels: usize,
) {
    let mut out = out;
    if odd && !piece.is_empty() {
        for (into, cell) in out[..channels].iter_mut().zip(&piece[..channels]) {
            reducer.merge(into, cell);
        }
        piece = &piece[channels..];
        out = &mut out[channels..];
    }
    let pairs = piece.len() / (2 * channels);
    let (whole, rest) = piece.split_at(pairs * 2 * channels);
    if channels == 1 {
        for (into, pair) in out[..pairs].iter_mut().zip(whole.chunks_exact(2)) {
            reducer.merge(into, &pair[0]);
            reducer.merge(into, &pair[1]);
        }
    } else {
        for (into, pair) in
            out[..pairs * channels].chunks_exact_mut(channels).zip(whole.chunks_exact(2 * channels))
        {
            let (left, right) = pair.split_at(channels);
            for ((into, l), r) in into.iter_mut().zip(left).zip(right) {
                reducer.merge(into, l);
                reducer.merge(into, r);
            }
        }
    }
    if !rest.is_empty() {
        for (into, cell) in out[pairs * channels..(pairs + 1) * channels].iter_mut().zip(rest) {
            reducer.merge(into, cell);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::Scale;
    use crate::data::DType;
    use crate::reduce::{Count, Fragment, InOrder, Mean, Values};
    use crate::sink::AggregateArraySink;

    /// Fills each band from a whole row-major grid of cells `width` wide.
    struct Grid<'a, C>(&'a [C], u32);

    impl<R: Reducer> Fill<R> for Grid<'_, R::Cell> {
        fn fill(&self, _: &R, _: &Plan, layout: &TileLayout, _: u32, cells: &mut [R::Cell]) -> Result<()> {
            let rows = layout.canvas_rows();
            for (t, tile) in layout.split_tiles_mut(cells, 1).into_iter().enumerate() {
                let (x0, w) = layout.tile_columns(t);
                for (r, y) in rows.clone().enumerate() {
                    for x in 0..w {
                        tile[r * w as usize + x as usize] = self.0[(y * self.1 + x0 + x) as usize];
                    }
                }
            }
            Ok(())
        }
    }

    /// Every coarser level's exported aggregate (index k - 1, `n` levels) of a `w x h`
    /// grid cut into bands of `band` rows and tiles of `tile` pixels, through the stages a
    /// render runs (one statistics pass, then the emit pass).
    fn levels<R: Reducer, T: crate::sink::aggregate_array::Element>(
        reducer: R,
        grid: &[R::Cell],
        (w, h): (u32, u32),
        (band, tile): (u32, u32),
        n: usize,
    ) -> Vec<Vec<T>> {
        let mut plan = Plan::new(w, h, tile, 1 << 30, 2, 4).unwrap();
        plan.band_height = band;
        plan.bands = h.div_ceil(band);
        let axis = ((0.0, 1.0), Scale::Linear);
        let canvas = CanvasInfo {
            width: w,
            height: h,
            opaque: false,
            aggregate_dtype: reducer.dtype(),
            aggregate_channels: 1,
            axes: (axis, axis),
        };
        let (sinks, arrays): (LevelSinks, Vec<_>) = (0..n)
            .map(|_| {
                let (sink, array) = AggregateArraySink::new();
                (vec![Box::new(sink) as Box<dyn Sink>], array)
            })
            .unzip();
        let options = RenderOptions::default();
        let mut coarse =
            CoarseLevels::new(&reducer, &plan, &options, &canvas, sinks, LevelStatsIo::default()).unwrap();
        let mut finest = BandCells::default();
        coarse.begin_pass(0);
        for stage in [Stage::Statistics(0), Stage::Emit] {
            if stage == Stage::Emit {
                coarse.end_pass(0, options.how);
                let style = ShadeStyle {
                    how: options.how,
                    cmap: &options.cmap,
                    background: options.background,
                    color_key: None,
                };
                coarse.prepare(&style).unwrap();
            }
            for b in 0..plan.bands {
                finest.aggregate(&reducer, &Grid(grid, w), &plan, b).unwrap();
                coarse.push(&reducer, &finest, stage).unwrap();
            }
        }
        coarse.finish().unwrap();
        arrays.iter().map(|a| a.take().unwrap().values::<T>().unwrap()).collect()
    }

    /// The pixels of the `f x f` block at (bx, by) of a `w x h` grid in Z order.
    fn z_order(w: u32, h: u32, bx: u32, by: u32, f: u32) -> Vec<usize> {
        if f == 1 {
            return if bx < w && by < h { vec![(by * w + bx) as usize] } else { Vec::new() };
        }
        let g = f / 2;
        [(0, 0), (g, 0), (0, g), (g, g)]
            .iter()
            .flat_map(|&(dx, dy)| z_order(w, h, bx + dx, by + dy, g))
            .collect()
    }

    const SHAPES: [(u32, u32); 4] = [(13, 7), (1, 9), (16, 16), (33, 2)];
    const SPLITS: [(u32, u32); 4] = [(1, 1), (2, 3), (3, 16), (7, 5)];

    #[test]
    fn counts_are_block_sums_with_padded_edges_for_any_bands_and_tiles() {
        for (w, h) in SHAPES {
            let grid: Vec<u32> = (0..w * h).map(|i| (i * 7919) % 13).collect();
            let n = 32 - (w.max(h) - 1).leading_zeros() as usize;
            for split in SPLITS {
                let got = levels::<Count, u32>(Count, &grid, (w, h), split, n);
                for (k, level) in got.iter().enumerate() {
                    let f = 2u32 << k;
                    let (lw, lh) = (w.div_ceil(f), h.div_ceil(f));
                    let want: Vec<u32> = (0..lw * lh)
                        .map(|i| z_order(w, h, i % lw * f, i / lw * f, f).iter().map(|&p| grid[p]).sum())
                        .collect();
                    assert_eq!(level, &want, "{w}x{h} split {split:?} level {}", k + 1);
                }
            }
        }
    }

    #[test]
    fn first_and_last_keep_the_earliest_and_latest_item_and_sums_are_deterministic() {
        let (w, h) = (13u32, 11u32);
        let (mut firsts, mut lasts, mut means) = (Vec::new(), Vec::new(), Vec::new());
        let (first, last) = (InOrder::<false>::new(DType::F64), InOrder::<true>::new(DType::F64));
        // Pixel i holds the items (i * 37) % 151 and that plus 151 (value: the item), or
        // nothing; Z order and item order differ.
        for i in 0..w * h {
            let (mut a, mut b, mut m) = ([InOrder::<false>::EMPTY], [InOrder::<true>::EMPTY], Mean::EMPTY);
            if i % 3 != 0 {
                for item in [u64::from(i * 37 % 151), u64::from(i * 37 % 151) + 151] {
                    first.fold(&mut a, 0, Fragment::of_item(item as f64, item));
                    last.fold(&mut b, 0, Fragment::of_item(item as f64, item));
                }
                m.add(f64::from(i) * 0.1);
                m.add(1.0 / 3.0);
            }
            firsts.push(a[0]);
            lasts.push(b[0]);
            means.push(m);
        }
        use crate::reduce::value::Accumulator;
        for split in SPLITS {
            for (name, got, cells, pick) in [
                (
                    "first",
                    levels::<_, f64>(first, &firsts, (w, h), split, 4),
                    &firsts,
                    f64::min as fn(_, _) -> _,
                ),
                ("last", levels::<_, f64>(last, &lasts, (w, h), split, 4), &lasts, f64::max),
            ] {
                for (k, level) in got.iter().enumerate() {
                    let f = 2u32 << k;
                    let lw = w.div_ceil(f);
                    for (i, &got) in level.iter().enumerate() {
                        let i = i as u32;
                        let want = z_order(w, h, i % lw * f, i / lw * f, f)
                            .into_iter()
                            .map(|p| cells[p].value())
                            .filter(|v| !v.is_nan())
                            .reduce(pick)
                            .unwrap_or(f64::NAN);
                        assert!(
                            got.to_bits() == want.to_bits(),
                            "{name} {split:?} level {} pixel {i}",
                            k + 1
                        );
                    }
                }
            }
        }
        let mean =
            |split| levels::<_, f64>(Values::<Mean>::new(crate::data::DType::F64), &means, (w, h), split, 4);
        let mean_reference: Vec<Vec<u64>> =
            mean((1, 1)).iter().map(|l| l.iter().map(|v| v.to_bits()).collect()).collect();
        for split in SPLITS {
            let bits: Vec<Vec<u64>> =
                mean(split).iter().map(|l| l.iter().map(|v| v.to_bits()).collect()).collect();
            assert_eq!(bits, mean_reference, "{split:?}");
        }
    }
}
