//! One band's aggregate: a reduction's cells, tile by tile, what fills them (a glyph
//! drawing the band's records, or a raster resampled), and how the shading families and
//! the sinks read them back.

use std::sync::{Arc, Mutex, PoisonError};

use crate::canvas::{Plan, TileLayout};
use crate::error::Result;
use crate::glyph::{BandDraw, Glyph, RecordOf};
use crate::parallel::{self, PerThread};
use crate::partition::Partition;
use crate::reduce::{FamilyValue, Reducer};
use crate::render::lit_cells;
use crate::shade::{BandValues, CountHistogram, Family};
use crate::sink::{Band, ColorScale, Palette, PixelFormat};

/// What fills a band's cells for reducer `R`.
pub(crate) trait Fill<R: Reducer>: Sync {
    /// The layout of band `band` of `plan`: the plan's tiles, unless the fill says otherwise.
    fn layout(&self, plan: &Plan, band: u32) -> TileLayout {
        TileLayout::new(plan, band)
    }
    /// Fills `cells` (every one [`Reducer::EMPTY`]) with band `band`.
    fn fill(
        &self,
        reducer: &R,
        plan: &Plan,
        layout: &TileLayout,
        band: u32,
        cells: &mut [R::Cell],
    ) -> Result<()>;
    /// Fills `cells`, whatever they hold (a previous band's cells), with band `band`: by
    /// default every cell set to [`Reducer::EMPTY`], then [`Fill::fill`]. A fill may set
    /// each tile's cells just before folding into it, while they are in cache.
    fn fill_over(
        &self,
        reducer: &R,
        plan: &Plan,
        layout: &TileLayout,
        band: u32,
        cells: &mut [R::Cell],
    ) -> Result<()> {
        cells.fill(R::EMPTY);
        self.fill(reducer, plan, layout, band, cells)
    }
    /// Bytes that filling every band once more reads (a partition's records), or band
    /// `band` alone, which the driver weighs against keeping the bands' cells in a scratch
    /// file between passes (`kept.rs`); None (the default): the fill is never repeated to
    /// save a re-read.
    fn refill_bytes(&self, _band: Option<u32>) -> Option<u64> {
        None
    }
    /// Frees what a refill would read (a partition's scratch files), once every band is
    /// kept: no band is filled again. Nothing by default.
    fn release(&self) {}
    /// Folds band `band` tile by tile, each tile alone in a buffer of one tile per worker,
    /// and hands the non-empty cells of the pixels each tile's fragments reached, each
    /// pixel once, to `lit(tile)`, tiles in parallel (on the pool's worker threads). No
    /// band buffer is filled, so a sparse band costs its records, not its pixels; with
    /// `masked`, each tile's cells are read in pixel order with their mask
    /// ([`LitTile::mask`]: what `kept.rs` keeps of a sparse band), at the cost of the tile's
    /// pixels. None (the default; nothing read) when the fill cannot (records of glyphs
    /// that draw several pixels, several cells per pixel, more records than a window holds).
    fn fold_lit(
        &self,
        _reducer: &R,
        _plan: &Plan,
        _band: u32,
        _masked: bool,
        _lit: &(dyn Fn(LitTile<'_, R::Cell>) + Sync),
    ) -> Option<Result<()>> {
        None
    }
}

/// The cells of one tile that its records reached, as [`Fill::fold_lit`] hands them out.
pub(crate) struct LitTile<'a, C> {
    /// The tile's index in its band, left to right.
    pub tile: usize,
    /// The reached cells that are not empty: in pixel order when `mask` is given, else in
    /// the order of the records that first reached them.
    pub cells: &'a [C],
    /// With `masked`: the tile's mask of non-empty cells ([`lit_cells`]).
    pub mask: Option<&'a [u64]>,
}

/// What each worker of [`Fill::fold_lit`] reuses from tile to tile: a tile's cells (every one
/// EMPTY between tiles), the reached cells and their mask.
type TileScratch<C> = (Vec<C>, Vec<C>, Vec<u64>);

/// The record of glyph `G`'s shape that reducer `R` reads.
type Rec<R, G> = <<R as Reducer>::Input as RecordOf<<G as Glyph>::Shape>>::Record;

/// A glyph's records in a partition: each band drawn tile by tile, tiles in parallel.
pub(crate) struct Records<'a, G> {
    /// The glyph that made the records.
    pub glyph: &'a G,
    /// The records.
    pub partition: &'a Partition,
}

impl<R, G> Fill<R> for Records<'_, G>
where
    R: Reducer,
    G: Glyph,
    R::Input: RecordOf<G::Shape>,
{
    fn fill(
        &self,
        reducer: &R,
        plan: &Plan,
        layout: &TileLayout,
        band: u32,
        cells: &mut [R::Cell],
    ) -> Result<()> {
        let mut tiles = layout.split_tiles_mut(cells, reducer.channels());
        let draw = BandDraw { plan, partition: self.partition, band, layout, overwrite: R::OVERWRITE };
        self.glyph.draw::<<R::Input as RecordOf<G::Shape>>::Record, _, _>(
            &draw,
            &mut tiles,
            |tile, pixel, f| reducer.fold(tile, pixel, f),
        )
    }

    fn fill_over(
        &self,
        reducer: &R,
        plan: &Plan,
        layout: &TileLayout,
        band: u32,
        cells: &mut [R::Cell],
    ) -> Result<()> {
        let max_records = plan.fold_window_bytes() / std::mem::size_of::<Rec<R, G>>() as u64;
        let tiles: Vec<Mutex<&mut [R::Cell]>> =
            layout.split_tiles_mut(cells, reducer.channels()).into_iter().map(Mutex::new).collect();
        let draw = BandDraw { plan, partition: self.partition, band, layout, overwrite: R::OVERWRITE };
        // A band whose records fit one window: each tile cleared and folded at once.
        let drawn = self.glyph.each_whole_tile::<Rec<R, G>, _>(&draw, max_records, |t, records| {
            let mut tile = tiles[t].lock().unwrap_or_else(PoisonError::into_inner);
            tile.fill(R::EMPTY);
            for (pixel, fragment) in records.iter().filter_map(G::pixel_of) {
                reducer.fold(&mut tile, pixel, fragment);
            }
        });
        drop(tiles);
        match drawn {
            Some(drawn) => drawn,
            None => {
                cells.fill(R::EMPTY);
                self.fill(reducer, plan, layout, band, cells)
            }
        }
    }

    fn refill_bytes(&self, band: Option<u32>) -> Option<u64> {
        Some(self.partition.record_bytes(band))
    }

    fn release(&self) {
        self.partition.release();
    }

    fn fold_lit(
        &self,
        reducer: &R,
        plan: &Plan,
        band: u32,
        masked: bool,
        lit: &(dyn Fn(LitTile<'_, R::Cell>) + Sync),
    ) -> Option<Result<()>> {
        if reducer.channels() != 1 {
            return None;
        }
        let layout = TileLayout::new(plan, band);
        let tile_pixels = plan.tile.min(plan.width) as usize * layout.rows() as usize;
        // No band buffer is filled (one may be held, from a band that took the full path):
        // a window may take a third of what is left beside it, up to a band's bytes.
        let window = plan.lit_window_bytes();
        let max_records = window / std::mem::size_of::<Rec<R, G>>() as u64;
        let per_thread: PerThread<TileScratch<R::Cell>> = PerThread::new();
        let empty_cell = R::EMPTY;
        let empty = bytemuck::bytes_of(&empty_cell);
        let draw =
            BandDraw { plan, partition: self.partition, band, layout: &layout, overwrite: R::OVERWRITE };
        let drawn = self.glyph.each_whole_tile::<Rec<R, G>, _>(&draw, max_records, |t, records| {
            let init = || (vec![R::EMPTY; tile_pixels], Vec::new(), Vec::new());
            per_thread.with(init, |(cells, reached, mask)| {
                for (pixel, fragment) in records.iter().filter_map(G::pixel_of) {
                    reducer.fold(cells, pixel, fragment);
                }
                // Read each reached pixel once and empty it again for the next tile.
                reached.clear();
                if masked {
                    let tile = &mut cells[..layout.tile_pixels(t)];
                    mask.clear();
                    if records.is_empty() {
                        // Nothing reached the tile: an empty mask, without reading its cells.
                        mask.resize(lit_cells::mask_words(tile.len()), 0);
                        lit(LitTile { tile: t, cells: reached, mask: Some(mask) });
                        return;
                    }
                    lit_cells::encode(tile, &R::EMPTY, mask, reached);
                    lit_cells::clear(tile, mask, R::EMPTY);
                    lit(LitTile { tile: t, cells: reached, mask: Some(mask) });
                    return;
                }
                for (pixel, _) in records.iter().filter_map(G::pixel_of) {
                    let cell = cells[pixel];
                    if bytemuck::bytes_of(&cell) != empty {
                        reached.push(cell);
                        cells[pixel] = R::EMPTY;
                    }
                }
                lit(LitTile { tile: t, cells: reached, mask: None });
            })
        })?;
        Some(drawn)
    }
}

/// The cells of one band of reducer `R`: a buffer that grows to the band size on first
/// use and is then reused.
pub struct BandCells<R: Reducer> {
    layout: Option<TileLayout>,
    cells: Vec<R::Cell>,
}

impl<R: Reducer> Default for BandCells<R> {
    fn default() -> Self {
        BandCells { layout: None, cells: Vec::new() }
    }
}

impl<R: Reducer> BandCells<R> {
    /// Aggregates band `band` of `plan` with `fill`, replacing the previous contents.
    pub(crate) fn aggregate(
        &mut self,
        reducer: &R,
        fill: &dyn Fill<R>,
        plan: &Plan,
        band: u32,
    ) -> Result<()> {
        let layout = fill.layout(plan, band);
        // The previous band's cells stay until the fill sets them (tile by tile, in cache).
        let cells = layout.pixels() * reducer.channels();
        self.cells.truncate(cells);
        self.cells.resize(cells, R::EMPTY);
        fill.fill_over(reducer, plan, &layout, band, &mut self.cells)?;
        self.layout = Some(layout);
        Ok(())
    }

    /// Aggregates band `band` of `glyph`'s records in `partition` with `reducer`.
    pub fn aggregate_records<G>(
        &mut self,
        glyph: &G,
        reducer: &R,
        plan: &Plan,
        partition: &Partition,
        band: u32,
    ) -> Result<()>
    where
        G: Glyph,
        R::Input: RecordOf<G::Shape>,
    {
        self.aggregate(reducer, &Records { glyph, partition }, plan, band)
    }

    /// The band's layout and cells, tile by tile (None before the first aggregate): what
    /// the coarser levels of a pyramid read ([`crate::render::levels`]).
    pub(crate) fn parts(&self) -> Option<(&TileLayout, &[R::Cell])> {
        self.layout.as_ref().map(|layout| (layout, &self.cells[..]))
    }

    /// The band's layout and mutable cells (None before the first aggregate): what the
    /// coarser levels of a pyramid merge into.
    pub(crate) fn parts_mut(&mut self) -> Option<(&TileLayout, &mut [R::Cell])> {
        self.layout.as_ref().map(|layout| (layout, &mut self.cells[..]))
    }

    /// Replaces the contents with band `band`'s cells as `read` writes them, every one,
    /// into a buffer of the band's size: a band kept between passes (`kept.rs`).
    pub(crate) fn restore(
        &mut self,
        reducer: &R,
        fill: &dyn Fill<R>,
        plan: &Plan,
        band: u32,
        read: impl FnOnce(&mut [R::Cell]) -> Result<()>,
    ) -> Result<()> {
        let layout = fill.layout(plan, band);
        // The previous band's cells stay until `read` sets them.
        let cells = layout.pixels() * reducer.channels();
        self.cells.truncate(cells);
        self.cells.resize(cells, R::EMPTY);
        read(&mut self.cells)?;
        self.layout = Some(layout);
        Ok(())
    }

    /// The band's cells, tile after tile.
    pub(crate) fn cells(&self) -> &[R::Cell] {
        &self.cells
    }

    /// Rows in the band.
    pub fn rows(&self) -> u32 {
        self.layout.as_ref().map_or(0, TileLayout::rows)
    }

    /// The cells of band row `row` as (first column, cells) pieces, left to right.
    pub fn row_pieces<'a>(
        &'a self,
        reducer: &R,
        row: u32,
    ) -> impl Iterator<Item = (u32, &'a [R::Cell])> + 'a {
        let layout = self.layout.as_ref().expect("band aggregated before use");
        layout.row_pieces(&self.cells, row, reducer.channels())
    }
}

/// A band's finished values as the families read them.
pub(crate) struct BandView<'a, R: Reducer> {
    pub reducer: &'a R,
    pub cells: &'a BandCells<R>,
}

impl<R: Reducer> BandView<'_, R> {
    /// Writes band row `row`'s lit mask (a byte per pixel, non-zero where not empty).
    pub fn lit_row(&self, row: u32, out: &mut [u8]) {
        let channels = self.channels().max(1);
        self.for_each_piece(row, |x0, values| {
            let (x0, pixels) = (x0 as usize, values.len() / channels);
            R::Family::lit(values, channels, &mut out[x0..x0 + pixels]);
        });
    }
}

impl<R: Reducer> BandValues<FamilyValue<R>> for BandView<'_, R> {
    fn rows(&self) -> u32 {
        self.cells.rows()
    }

    fn channels(&self) -> usize {
        self.reducer.channels()
    }

    fn for_each_piece(&self, row: u32, mut f: impl FnMut(u32, &[FamilyValue<R>])) {
        let mut scratch = Vec::new();
        for (x0, cells) in self.cells.row_pieces(self.reducer, row) {
            f(x0, self.reducer.values(cells, &mut scratch));
        }
    }

    fn fold_tiles<S: Send>(
        &self,
        init: impl Fn() -> S + Sync + Send,
        fold: impl Fn(S, &[FamilyValue<R>]) -> S + Sync + Send,
        merge: impl Fn(S, S) -> S + Sync + Send,
    ) -> S {
        let Some(layout) = self.cells.layout.as_ref() else { return init() };
        let tiles = layout.tile_slices(&self.cells.cells, self.reducer.channels());
        let states = parallel::fold_indices(tiles.len(), &init, |state, t| {
            let mut scratch = Vec::new();
            fold(state, self.reducer.values(tiles[t], &mut scratch))
        });
        states.into_iter().reduce(merge).unwrap_or_else(init)
    }
}

/// The band rows `rows` of a band's values (band-relative): what a shard gathers the
/// statistics of when it owns only some of a level's rows (`crate::render::levels`).
pub(crate) struct RowsView<'a, R: Reducer> {
    pub view: BandView<'a, R>,
    pub rows: std::ops::Range<u32>,
}

impl<R: Reducer> BandValues<FamilyValue<R>> for RowsView<'_, R> {
    fn rows(&self) -> u32 {
        self.rows.len() as u32
    }

    fn channels(&self) -> usize {
        self.view.channels()
    }

    fn for_each_piece(&self, row: u32, f: impl FnMut(u32, &[FamilyValue<R>])) {
        self.view.for_each_piece(self.rows.start + row, f);
    }

    fn fold_tiles<S: Send>(
        &self,
        init: impl Fn() -> S + Sync + Send,
        fold: impl Fn(S, &[FamilyValue<R>]) -> S + Sync + Send,
        merge: impl Fn(S, S) -> S + Sync + Send,
    ) -> S {
        let Some(layout) = self.view.cells.layout.as_ref() else { return init() };
        let channels = self.view.reducer.channels();
        let tiles = layout.tile_slices(&self.view.cells.cells, channels);
        let rows = self.rows.clone();
        let states = parallel::fold_indices(tiles.len(), &init, |state, t| {
            // A tile's rows are consecutive: the window is one slice of it.
            let width = layout.tile_columns(t).1 as usize * channels;
            let cells = &tiles[t][rows.start as usize * width..rows.end as usize * width];
            let mut scratch = Vec::new();
            fold(state, self.view.reducer.values(cells, &mut scratch))
        });
        states.into_iter().reduce(merge).unwrap_or_else(init)
    }
}

/// A band's aggregate together with the shader, as the sinks see it.
pub(crate) struct ShadedBand<'a, R: Reducer> {
    /// First canvas row of the band.
    pub y0: u32,
    /// The band's values.
    pub view: BandView<'a, R>,
    /// The shader of the whole canvas.
    pub shader: &'a <R::Family as Family>::Shader,
    /// The statistics of the whole canvas the shader was made from.
    pub stats: &'a <R::Family as Family>::Stats,
    /// The spread `--dynspread` chose.
    pub spread_px: Option<usize>,
}

impl<R: Reducer> Band for ShadedBand<'_, R> {
    fn y0(&self) -> u32 {
        self.y0
    }

    fn height(&self) -> u32 {
        self.view.rows()
    }

    fn shade_row(&self, row: u32, format: PixelFormat, out: &mut [u8]) {
        let (bpp, channels) = (format.bytes_per_pixel(), self.view.channels().max(1));
        self.view.for_each_piece(row, |x0, values| {
            let (x0, pixels) = (x0 as usize, values.len() / channels);
            R::Family::shade(self.shader, values, format, &mut out[x0 * bpp..(x0 + pixels) * bpp]);
        });
    }

    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        let dtype = self.view.reducer.dtype();
        let (size, channels) = (dtype.size(), self.view.channels());
        self.view.for_each_piece(row, |x0, values| {
            let start = x0 as usize * channels * size;
            R::Family::write(values, dtype, &mut out[start..start + values.len() * size]);
        });
    }

    fn color_scale(&self) -> Option<ColorScale> {
        R::Family::color_scale(self.shader)
    }

    fn spread_px(&self) -> Option<usize> {
        self.spread_px
    }

    fn palette(&self) -> Option<Arc<Palette>> {
        R::Family::palette(self.shader)
    }

    fn index_row(&self, row: u32, out: &mut [u8]) -> bool {
        let channels = self.view.channels().max(1);
        let mut complete = true;
        self.view.for_each_piece(row, |x0, values| {
            let (x0, pixels) = (x0 as usize, values.len() / channels);
            complete &= R::Family::shade_indices(self.shader, values, &mut out[x0..x0 + pixels]);
        });
        complete
    }

    fn count_histogram(&self) -> Option<&CountHistogram> {
        R::Family::count_histogram(self.stats)
    }
}
