//! Band aggregates kept between the statistics pass and the render pass, so each record
//! is folded once (issue 14 item 3).
//!
//! The statistics pass aggregates every band; the render pass needs every band's cells
//! again. Instead of folding the band's records a second time, the driver keeps them:
//! - in memory, when the canvas has at most [`BANDS_IN_FLIGHT`] bands (a single band, or
//!   two, whose cells are no more than the two band buffers the plan already budgets);
//! - else in an unnamed scratch file (page cache, not RSS; nothing left behind however
//!   the process ends), when the cells take fewer bytes than the records a second fold
//!   reads ([`Fill::refill_bytes`]) and the scratch directory has room for them;
//! - else as a mask of the non-empty cells and their values ([`lit_cells`]) in an unnamed
//!   scratch file, when the mask (a bit per pixel) is smaller than the records: a sparse
//!   canvas (10^8 points at 20000^2 light a tenth of the pixels) keeps 210 MB instead of
//!   reading 400 MB of records and folding them again. Statistics summed over the lit
//!   pixels (counts) are gathered from them alone; other bands are restored from them for
//!   the later passes (a float eq-hist's second, the render);
//! - else nowhere: the render pass folds the records again, as very sparse canvases (far
//!   more pixels than points) are cheaper to re-fold than to write out.
//!
//! The cells read back are the bytes written, so the output does not change.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use bytemuck::Pod;

use crate::canvas::plan::BANDS_IN_FLIGHT;
use crate::canvas::{Plan, TileLayout};
use crate::error::{Error, Result};
use crate::io::free_space::free_space;
use crate::io::scratch::unnamed_file;
use crate::parallel;
use crate::reduce::Reducer;
use crate::render::band::{BandCells, Fill};
use crate::render::lit_cells;

/// Room left on the scratch file system beside spilled bands (as the partition leaves).
const DISK_MARGIN: u64 = 64 << 20;

/// Where the bands' cells wait between passes.
pub(crate) enum Kept<R: Reducer> {
    /// Every band's cells, in memory.
    Memory(Vec<BandCells<R>>),
    /// Every band's cells in an unnamed scratch file.
    Spilled(BandFile),
    /// The lit cells of the bands worth keeping; the others are folded again.
    Lit(LitBands),
}

/// What takes a kept band's tiles, from any thread: (tile, mask, lit cells).
pub(crate) type EachLitTile<'a, C> = dyn Fn(usize, &[u64], &[C]) -> Result<()> + Sync + 'a;

/// A tile's index in its band, its mask and its lit cells ([`lit_cells`]).
pub(crate) type MaskedTile<C> = (usize, Vec<u64>, Vec<C>);

/// The non-empty cells of the bands in `kept` in an unnamed scratch file: for each tile of
/// such a band, left to right, its mask words, then its lit cells ([`lit_cells`]). Generic
/// over the cell type alone, not the reducer and the fill, so the driver's many
/// (reducer, fill) pairs share its code.
pub(crate) struct LitBands {
    file: BandFile,
    kept: Vec<bool>,
    /// The share of a band's records its lit cells and masks may take and be kept
    /// ([`keep_share`]).
    share: (u64, u64),
    /// The window [`LitBands::read_tiles`] reads bands into, kept from band to band.
    reading: Mutex<Vec<u8>>,
}

impl LitBands {
    /// Keeps band `band`'s lit cells, as (tile, mask, cells) in any order (tiles without
    /// any are empty), unless they take more than [`LitBands::share`] of `records`, the bytes of
    /// the band's records: that band is folded again.
    /// None for `tiles`: the band was not masked ([`LitBands::worth_masking`]), so it is
    /// folded again.
    fn keep<C: Pod>(
        &mut self,
        layout: &TileLayout,
        band: u32,
        records: u64,
        tiles: Option<Vec<MaskedTile<C>>>,
    ) -> Result<()> {
        debug_assert_eq!(self.kept.len(), band as usize, "bands kept in order");
        let words = |t| lit_cells::mask_words(layout.tile_pixels(t));
        let cells: Option<usize> =
            tiles.as_ref().map(|tiles| tiles.iter().map(|(_, _, cells)| cells.len()).sum());
        let bytes = cells.map(|cells| mask_bytes(layout) + (cells * std::mem::size_of::<C>()) as u64);
        let keep = bytes.is_some_and(|bytes| self.within_share(bytes, records));
        self.kept.push(keep);
        if let (true, Some(mut tiles)) = (keep, tiles) {
            tiles.sort_unstable_by_key(|&(t, ..)| t);
            let mut given = tiles.into_iter().peekable();
            let nothing = vec![0u64; (0..layout.tiles()).map(words).max().unwrap_or(0)];
            for t in 0..layout.tiles() {
                match given.next_if(|&(given, ..)| given == t) {
                    Some((_, mask, cells)) => {
                        self.file.append(bytemuck::cast_slice(&mask))?;
                        self.file.append(bytemuck::cast_slice(&cells))?;
                    }
                    None => self.file.append(bytemuck::cast_slice(&nothing[..words(t)]))?,
                }
            }
        }
        self.file.end_band(band);
        Ok(())
    }

    /// Whether a band of `layout` whose records take `records` bytes may keep its lit
    /// cells: its masks alone must fit [`LitBands::share`] of them, else masking it (a pass
    /// over its pixels) is wasted. 10^7 points at 16000^2 light nearly a pixel a point,
    /// and their masks alone outweigh half the records of most bands.
    fn worth_masking(&self, layout: &TileLayout, records: u64) -> bool {
        self.within_share(mask_bytes(layout), records)
    }

    /// Whether `bytes` kept for a band fit [`LitBands::share`] of its `records` bytes.
    fn within_share(&self, bytes: u64, records: u64) -> bool {
        bytes * self.share.1 <= records * self.share.0
    }

    /// Keeps the lit cells of band `band` from its `cells` (a band that took the full path),
    /// as [`LitBands::keep`] would from its tiles, but each tile appended as soon as it is
    /// encoded: no copy of the band's lit cells is held (for a band of 65536 x 256 counts,
    /// up to 66 MB beside the band). A band whose lit cells turn out to take more than its
    /// share of `records` is dropped from the file again, and folded again.
    fn keep_band<C: Pod>(
        &mut self,
        layout: &TileLayout,
        band: u32,
        records: u64,
        cells: &[C],
        empty: C,
    ) -> Result<()> {
        debug_assert_eq!(self.kept.len(), band as usize, "bands kept in order");
        let mut keep = self.worth_masking(layout, records);
        if keep {
            let (mut mask, mut lit) = (Vec::new(), Vec::new());
            let mut bytes = mask_bytes(layout);
            for tile in layout.tile_slices(cells, 1) {
                mask.clear();
                lit.clear();
                lit_cells::encode(tile, &empty, &mut mask, &mut lit);
                bytes += (lit.len() * std::mem::size_of::<C>()) as u64;
                if !self.within_share(bytes, records) {
                    keep = false;
                    break;
                }
                self.file.append(bytemuck::cast_slice(&mask))?;
                self.file.append(bytemuck::cast_slice(&lit))?;
            }
            if !keep {
                self.file.drop_band();
            }
        }
        self.kept.push(keep);
        self.file.end_band(band);
        Ok(())
    }

    /// Sets every cell of band `band` (kept) from its masks and lit cells, tile by tile
    /// ([`LitBands::read_tiles`]).
    fn read<C: Pod + Send + Sync>(
        &self,
        layout: &TileLayout,
        band: u32,
        empty: C,
        window: u64,
        cells: &mut [C],
    ) -> Result<()> {
        let tiles: Vec<Mutex<&mut [C]>> =
            layout.split_tiles_mut(cells, 1).into_iter().map(Mutex::new).collect();
        self.read_tiles(layout, band, window, &|t, mask, lit| {
            lit_cells::decode(mask, lit, empty, &mut tiles[t].lock().unwrap_or_else(PoisonError::into_inner));
            Ok(())
        })
    }

    /// Hands `each(tile, mask, lit cells)` every tile of band `band` (kept), tiles in
    /// parallel: the band is read in windows of at most `window` bytes (each in parallel,
    /// into a buffer kept for the next band; a window grows to a tile if a tile is larger,
    /// for that band only), and the tiles whole in a window are handed out together. Read a
    /// tile at a time by one thread, the render pass's other thread waited (session 17).
    fn read_tiles<C: Pod>(
        &self,
        layout: &TileLayout,
        band: u32,
        window: u64,
        each: &EachLitTile<'_, C>,
    ) -> Result<()> {
        let len = self.file.band_len(band);
        let mut buffer = self.reading.lock().unwrap_or_else(PoisonError::into_inner);
        let wanted = window.min(len) as usize;
        if buffer.len() < wanted {
            buffer.resize(wanted, 0);
        }
        let (mut at, mut first) = (0u64, 0);
        while first < layout.tiles() {
            let n = (buffer.len() as u64).min(len - at) as usize;
            self.file.read(band, at, &mut buffer[..n])?;
            // The tiles whole in the window: their starts, and the end of the last.
            let mut starts = vec![0];
            let mut needed = 0;
            for t in first..layout.tiles() {
                let start = *starts.last().expect("a start");
                let mask = lit_cells::mask_words(layout.tile_pixels(t)) * 8;
                if start + mask > n {
                    needed = start + mask;
                    break;
                }
                let lit = lit_cells::lit_in_bytes(&buffer[start..start + mask]);
                let end = start + mask + lit * std::mem::size_of::<C>();
                if end > n {
                    needed = end;
                    break;
                }
                starts.push(end);
            }
            let whole = starts.len() - 1;
            if whole == 0 {
                if needed as u64 > len - at {
                    // Masks that mark more cells than the band holds: an error, not a
                    // window grown again and again.
                    let problem = format!("band {band}'s kept lit cells end inside tile {first}");
                    let e = std::io::Error::new(std::io::ErrorKind::InvalidData, problem);
                    return Err(Error::io(&self.file.dir, e));
                }
                // A tile larger than the window: a window of its size.
                buffer.resize(needed, 0);
                continue;
            }
            let bytes = &buffer[..n];
            parallel::try_map_indices(whole, |i| {
                let t = first + i;
                let tile = &bytes[starts[i]..starts[i + 1]];
                let (mask, lit) = tile.split_at(lit_cells::mask_words(layout.tile_pixels(t)) * 8);
                let (mut mask_copy, mut lit_copy) = (Vec::new(), Vec::new());
                each(t, aligned(mask, &mut mask_copy), aligned(lit, &mut lit_copy))
            })?;
            at += starts[whole] as u64;
            first += whole;
        }
        debug_assert_eq!(at, len, "band {band}'s size");
        if buffer.len() as u64 > window {
            // Grown to a tile larger than the window: not kept at that size for the next band.
            buffer.truncate(window as usize);
            buffer.shrink_to_fit();
        }
        Ok(())
    }
}

/// `bytes` as values of `T`: in place when aligned for `T`, else copied into `copy`.
fn aligned<'a, T: Pod>(bytes: &'a [u8], copy: &'a mut Vec<T>) -> &'a [T] {
    match bytemuck::try_cast_slice(bytes) {
        Ok(values) => values,
        Err(_) => {
            copy.extend(bytes.chunks_exact(std::mem::size_of::<T>()).map(bytemuck::pod_read_unaligned::<T>));
            copy
        }
    }
}

/// Bytes of the masks of a band of `layout`: a word per 64 pixels of each tile.
fn mask_bytes(layout: &TileLayout) -> u64 {
    (0..layout.tiles()).map(|t| lit_cells::mask_words(layout.tile_pixels(t)) as u64 * 8).sum()
}

/// The share of a band's records (of `records` bytes in all) its lit cells and masks may
/// take and be kept: all of them when the records and the kept cells (at most as many
/// bytes) stay under the kernel's write-back threshold (`threshold`), half otherwise.
///
/// Writing the page cache costs more than reading it (4 GB/s against 8 GB/s on the 2-core
/// machine), and once the kernel's dirty pages pass its threshold, the disk's speed
/// (350-500 MB/s): at 10^9 points on 65536^2 (4 GB of records), keeping every band took
/// 9 s more in the statistics pass and saved 2.7 s in the render pass, and keeping the
/// bands whose cells take up to all their records rather than half, 3.4 s more against
/// 1.0 s saved. Below the threshold keeping is cheap: at 10^8 points on 20000^2 (400 MB of
/// records), keeping them up to all their records, not half, kept 44 bands instead of 11
/// and took the render pass from 0.68-0.74 s to 0.48-0.52 s, the statistics pass unchanged
/// (release, 2026-12-07).
fn keep_share(records: u64, threshold: u64) -> (u64, u64) {
    if records.saturating_mul(2) <= threshold {
        (1, 1)
    } else {
        (1, 2)
    }
}

/// Bands written one after the other into an unnamed scratch file in `dir`: band `b` is
/// the bytes from `offsets[b]` to `offsets[b + 1]` (the last offset: the end of the band
/// being written).
pub(crate) struct BandFile {
    file: File,
    dir: PathBuf,
    offsets: Vec<u64>,
}

impl BandFile {
    /// An empty file in `dir`, when one can be made.
    fn create(dir: &Path) -> Option<BandFile> {
        let file = unnamed_file(dir).ok()?;
        // The start of band 0, and the end of the band being written.
        Some(BandFile { file, dir: dir.to_path_buf(), offsets: vec![0, 0] })
    }

    /// Appends `bytes` to the band being written.
    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        let end = self.offsets.last_mut().expect("the end is always there");
        self.file.write_all_at(bytes, *end).map_err(|e| Error::io(&self.dir, e))?;
        *end += bytes.len() as u64;
        Ok(())
    }

    /// Drops what was appended to the band being written (the next band overwrites it).
    fn drop_band(&mut self) {
        let start = self.offsets[self.offsets.len() - 2];
        *self.offsets.last_mut().expect("the end is always there") = start;
    }

    /// How many bands were ended.
    fn bands(&self) -> usize {
        self.offsets.len() - 2
    }

    /// Ends band `band`: what follows belongs to the next.
    fn end_band(&mut self, band: u32) {
        debug_assert_eq!(self.offsets.len(), band as usize + 2, "bands kept in order");
        self.offsets.push(*self.offsets.last().expect("the end is always there"));
    }

    /// Fills `out` from band `band`'s bytes, `at` bytes into the band.
    fn read(&self, band: u32, at: u64, out: &mut [u8]) -> Result<()> {
        let start = self.offsets[band as usize] + at;
        debug_assert!(start + out.len() as u64 <= self.offsets[band as usize + 1], "within band {band}");
        parallel::read_in_parts(out, 1, &|offset, part| {
            self.file.read_exact_at(part, start + offset as u64).map_err(|e| Error::io(&self.dir, e))
        })
    }

    /// Bytes of band `band`.
    fn band_len(&self, band: u32) -> u64 {
        self.offsets[band as usize + 1] - self.offsets[band as usize]
    }
}

impl<R: Reducer> Kept<R> {
    /// Where the bands of `plan` filled by `fill` are kept (see the module doc), or None
    /// when they are cheaper to fold again.
    pub fn choose(reducer: &R, fill: &dyn Fill<R>, plan: &Plan, scratch_dir: &Path) -> Option<Kept<R>> {
        if u64::from(plan.bands) <= BANDS_IN_FLIGHT {
            return Some(Kept::Memory(Vec::with_capacity(plan.bands as usize)));
        }
        let cells = aggregate_bytes(reducer, plan);
        let records = fill.refill_bytes(None)?;
        if cells >= records || free_space(scratch_dir).ok()? < cells.saturating_add(DISK_MARGIN) {
            return None;
        }
        BandFile::create(scratch_dir).map(Kept::Spilled)
    }

    /// Where the lit cells of the bands of `plan` filled by `fill` are kept (bands not kept
    /// whole: statistics gathered from the lit pixels alone, [`Fill::fold_lit`], or bands
    /// restored from them), or None when they are cheaper to fold again: the masks ([`lit_cells`]) would take as many
    /// bytes as the records a second fold reads, or the scratch directory has no room for
    /// the masks and as many cells as there are records.
    pub fn lit(reducer: &R, fill: &dyn Fill<R>, plan: &Plan, scratch_dir: &Path) -> Option<Kept<R>> {
        if reducer.channels() != 1 {
            return None;
        }
        let records = fill.refill_bytes(None)?;
        // A bit per pixel, and at most a partial word per tile.
        let pixels = u64::from(plan.width) * u64::from(plan.height);
        let tiles = u64::from(plan.bands) * TileLayout::new(plan, 0).tiles() as u64;
        let masks = pixels / 8 + tiles * 8;
        // Every lit cell took a record (of 4 bytes at least), and is a pixel.
        let cells = (records / 4).min(pixels) * std::mem::size_of::<R::Cell>() as u64;
        let room = masks.saturating_add(cells).saturating_add(DISK_MARGIN);
        if masks >= records || free_space(scratch_dir).ok()? < room {
            return None;
        }
        let share = keep_share(records, crate::io::free_space::write_back_threshold());
        BandFile::create(scratch_dir)
            .map(|file| Kept::Lit(LitBands { file, kept: Vec::new(), share, reading: Mutex::default() }))
    }

    /// Whether band `band` is worth masking as [`Fill::fold_lit`] folds it, to keep its
    /// lit cells (false unless lit cells are kept).
    pub fn worth_masking(&self, fill: &dyn Fill<R>, plan: &Plan, band: u32) -> bool {
        let records = fill.refill_bytes(Some(band)).unwrap_or(0);
        matches!(self, Kept::Lit(lit) if lit.worth_masking(&fill.layout(plan, band), records))
    }

    /// Keeps the lit cells of band `band` that [`Fill::fold_lit`] handed out with their
    /// masks, as (tile, mask, cells), in any order, or None when it was not masked (see
    /// [`LitBands::keep`]).
    pub fn keep_lit(
        &mut self,
        fill: &dyn Fill<R>,
        plan: &Plan,
        band: u32,
        tiles: Option<Vec<MaskedTile<R::Cell>>>,
    ) -> Result<()> {
        let Kept::Lit(lit) = self else {
            return Err(Error::usage("Kept::keep_lit", "lit cells kept"));
        };
        lit.keep(&fill.layout(plan, band), band, fill.refill_bytes(Some(band)).unwrap_or(0), tiles)
    }

    /// Aggregates band `band` (the next one, in order) with `fill`, keeps it, and returns
    /// its cells (in `buffer` when spilled).
    pub fn aggregate<'a>(
        &'a mut self,
        reducer: &R,
        fill: &dyn Fill<R>,
        plan: &Plan,
        band: u32,
        buffer: &'a mut BandCells<R>,
    ) -> Result<&'a BandCells<R>> {
        match self {
            Kept::Memory(bands) => {
                debug_assert_eq!(bands.len(), band as usize, "bands kept in order");
                let mut cells = BandCells::default();
                cells.aggregate(reducer, fill, plan, band)?;
                bands.push(cells);
                Ok(&bands[band as usize])
            }
            Kept::Spilled(file) => {
                buffer.aggregate(reducer, fill, plan, band)?;
                file.append(bytemuck::cast_slice(buffer.cells()))?;
                file.end_band(band);
                Ok(buffer)
            }
            Kept::Lit(lit) => {
                buffer.aggregate(reducer, fill, plan, band)?;
                let layout = fill.layout(plan, band);
                let records = fill.refill_bytes(Some(band)).unwrap_or(0);
                lit.keep_band(&layout, band, records, buffer.cells(), R::EMPTY)?;
                Ok(buffer)
            }
        }
    }

    /// The kept cells of band `band` (read into `buffer` when spilled).
    pub fn band<'a>(
        &'a self,
        reducer: &R,
        fill: &dyn Fill<R>,
        plan: &Plan,
        band: u32,
        buffer: &'a mut BandCells<R>,
    ) -> Result<&'a BandCells<R>> {
        match self {
            Kept::Memory(bands) => Ok(&bands[band as usize]),
            Kept::Spilled(_) | Kept::Lit(_) => {
                self.load(reducer, fill, plan, band, buffer)?;
                Ok(buffer)
            }
        }
    }

    /// Whether every band of `plan` is kept, so none is filled again.
    pub fn every_band(&self, plan: &Plan) -> bool {
        match self {
            Kept::Memory(bands) => bands.len() == plan.bands as usize,
            Kept::Spilled(file) => file.bands() == plan.bands as usize,
            Kept::Lit(lit) => lit.kept.len() == plan.bands as usize && lit.kept.iter().all(|&k| k),
        }
    }

    /// Whether the lit cells of band `band` were kept ([`Kept::read_lit`] gives them).
    pub fn has_lit(&self, band: u32) -> bool {
        matches!(self, Kept::Lit(lit) if lit.kept[band as usize])
    }

    /// Hands `each(tile, mask, lit cells)` every tile of band `band`, whose lit cells were
    /// kept ([`Kept::has_lit`]), left to right.
    pub fn read_lit(
        &self,
        plan: &Plan,
        layout: &TileLayout,
        band: u32,
        each: &EachLitTile<'_, R::Cell>,
    ) -> Result<()> {
        match self {
            Kept::Lit(lit) if lit.kept[band as usize] => {
                lit.read_tiles(layout, band, read_window(plan), each)
            }
            _ => Err(Error::usage("Kept::read_lit", "the band's lit cells kept")),
        }
    }

    /// Reads the spilled cells of band `band` into `buffer` (nothing for bands in memory).
    pub fn load(
        &self,
        reducer: &R,
        fill: &dyn Fill<R>,
        plan: &Plan,
        band: u32,
        buffer: &mut BandCells<R>,
    ) -> Result<()> {
        match self {
            Kept::Memory(_) => Ok(()),
            Kept::Spilled(file) => buffer.restore(reducer, fill, plan, band, |cells| {
                let bytes: &mut [u8] = bytemuck::cast_slice_mut(cells);
                debug_assert_eq!(file.band_len(band), bytes.len() as u64, "band {band}'s size");
                file.read(band, 0, bytes)
            }),
            Kept::Lit(lit) if !lit.kept[band as usize] => buffer.aggregate(reducer, fill, plan, band),
            Kept::Lit(lit) => buffer.restore(reducer, fill, plan, band, |cells| {
                lit.read(&fill.layout(plan, band), band, R::EMPTY, read_window(plan), cells)
            }),
        }
    }
}

/// Most bytes of a kept band read at once in the render pass: a band's record window when
/// it is folded there instead (a quarter of a band, within the budget).
fn read_window(plan: &Plan) -> u64 {
    plan.fold_window_bytes()
}

/// Bytes of the cells of every band of `plan`.
fn aggregate_bytes<R: Reducer>(reducer: &R, plan: &Plan) -> u64 {
    let pixels = u64::from(plan.width) * u64::from(plan.height);
    pixels * reducer.channels() as u64 * std::mem::size_of::<R::Cell>() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduce::Count;

    /// Fills pixel i of band b with [`numbered`]; a second fold reads `records` bytes (none
    /// for band 4).
    struct Numbered {
        records: Option<u64>,
    }

    /// Cell `i` of band `band`: `band * 1000 + i`, but every third one empty.
    fn numbered(band: u32, i: u32) -> u32 {
        if i % 3 == 1 {
            0
        } else {
            band * 1000 + i
        }
    }

    impl Fill<Count> for Numbered {
        fn fill(&self, _: &Count, _: &Plan, _: &TileLayout, band: u32, cells: &mut [u32]) -> Result<()> {
            (0..).zip(cells.iter_mut()).for_each(|(i, c)| *c = numbered(band, i));
            Ok(())
        }
        fn refill_bytes(&self, band: Option<u32>) -> Option<u64> {
            // Band 4's records are too few to be worth keeping its lit cells.
            self.records.map(|records| if band == Some(4) { 0 } else { records })
        }
    }

    fn plan(bands: u32) -> Plan {
        // 10 x 4 rows per band (a 40 MiB + 2 x 20 MiB overhead, two bands of 160 bytes).
        let plan = Plan::new(10, 4 * bands, 4, (80 << 20) + 2 * 4 * 10 * 4, 2, 4).unwrap();
        assert_eq!(plan.bands, bands);
        plan
    }

    #[test]
    fn bands_keep_up_to_all_their_records_only_under_the_write_back_threshold() {
        assert_eq!(keep_share(400 << 20, 2 << 30), (1, 1));
        assert_eq!(keep_share(1 << 30, 2 << 30), (1, 1));
        assert_eq!(keep_share((1 << 30) + 1, 2 << 30), (1, 2));
        assert_eq!(keep_share(4 << 30, 2 << 30), (1, 2));
        // Unknown threshold: the cautious share.
        assert_eq!(keep_share(1, 0), (1, 2));
    }

    #[test]
    fn the_choice_weighs_the_cells_against_the_records() {
        let dir = tempfile::tempdir().unwrap();
        let (many, cells) = (plan(5), 5 * 40 * 4);
        let choose = |records, plan: &Plan| Kept::choose(&Count, &Numbered { records }, plan, dir.path());
        assert!(matches!(choose(None, &plan(2)), Some(Kept::Memory(_))));
        let Some(mut two) = choose(None, &plan(2)) else { panic!("kept in memory") };
        let mut buffer = BandCells::default();
        for b in 0..2 {
            assert!(!two.every_band(&plan(2)));
            two.aggregate(&Count, &Numbered { records: None }, &plan(2), b, &mut buffer).unwrap();
        }
        assert!(two.every_band(&plan(2)));
        assert!(matches!(choose(Some(0), &plan(1)), Some(Kept::Memory(_))));
        assert!(matches!(choose(Some(cells + 1), &many), Some(Kept::Spilled(_))));
        assert!(choose(Some(cells), &many).is_none());
        assert!(choose(None, &many).is_none());
        // The spilled file has no name: nothing in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn spilled_bands_read_back_as_aggregated() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan(5);
        let fill = Numbered { records: Some(u64::MAX) };
        let mut kept = Kept::choose(&Count, &fill, &plan, dir.path()).unwrap();
        let mut buffer = BandCells::default();
        for b in 0..5 {
            assert!(!kept.every_band(&plan), "band {b} is not kept yet");
            let cells = kept.aggregate(&Count, &fill, &plan, b, &mut buffer).unwrap();
            assert_eq!(cells.cells()[2], b * 1000 + 2);
        }
        assert!(kept.every_band(&plan), "no band is filled again: the records can go");
        for b in [3, 0, 4, 1, 2] {
            let cells = kept.band(&Count, &fill, &plan, b, &mut buffer).unwrap();
            let want: Vec<u32> = (0..40).map(|i| numbered(b, i)).collect();
            assert_eq!(cells.cells(), &want[..], "band {b}");
            assert_eq!(cells.rows(), 4);
        }
    }

    #[test]
    fn lit_cells_are_kept_when_their_masks_are_smaller_than_the_records() {
        let dir = tempfile::tempdir().unwrap();
        // 5 bands of 3 tiles (4, 4 and 2 columns), 200 pixels: 25 bytes of mask bits and
        // at most a word per tile, 145 bytes.
        let plan = plan(5);
        let lit = |records| Kept::lit(&Count, &Numbered { records }, &plan, dir.path());
        assert!(matches!(lit(Some(146)), Some(Kept::Lit(_))));
        assert!(lit(Some(145)).is_none());
        assert!(lit(None).is_none());
        // A band's masks (a word for each of its 3 tiles, 24 bytes) must fit its share of
        // its records: all of them under the kernel's write-back threshold, else half.
        let Some(Kept::Lit(mut bands)) = lit(Some(146)) else { panic!("lit cells kept") };
        let layout = TileLayout::new(&plan, 0);
        bands.share = keep_share(146, 1 << 30);
        assert!(bands.worth_masking(&layout, 24));
        assert!(!bands.worth_masking(&layout, 23));
        bands.share = keep_share(146, 0);
        assert!(bands.worth_masking(&layout, 48));
        assert!(!bands.worth_masking(&layout, 47));
        drop(bands);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// The lit-cell keeper [`Kept::lit`] makes for `fill` on `plan`, in `dir`.
    fn lit_bands(dir: &Path, plan: &Plan, fill: &Numbered) -> LitBands {
        match Kept::lit(&Count, fill, plan, dir) {
            Some(Kept::Lit(lit)) => lit,
            _ => panic!("lit cells kept"),
        }
    }

    #[test]
    fn a_full_band_whose_lit_cells_outgrow_its_share_is_dropped_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan(3);
        let fill = Numbered { records: Some(1 << 20) };
        let mut lit = lit_bands(dir.path(), &plan, &fill);
        lit.share = (1, 1);
        let layout = fill.layout(&plan, 0);
        let band = |b| (0..40).map(|i| numbered(b, i)).collect::<Vec<u32>>();
        // Band 0: 26 lit cells (104 bytes) and 3 mask words (24 bytes) against records of
        // 100 bytes: worth masking, but its lit cells outgrow the records, so it is dropped
        // after some of its tiles were appended. Band 1 (27 lit cells, 132 bytes in all) is
        // kept with records of as many bytes, band 2 not even masked (23 bytes of records).
        lit.keep_band(&layout, 0, 100, &band(0), 0).unwrap();
        lit.keep_band(&layout, 1, 132, &band(1), 0).unwrap();
        lit.keep_band(&layout, 2, 23, &band(2), 0).unwrap();
        assert_eq!(lit.kept, [false, true, false]);
        assert_eq!((0..3).map(|b| lit.file.band_len(b)).collect::<Vec<_>>(), [0, 132, 0]);
        let mut cells = vec![9u32; 40];
        lit.read(&layout, 1, 0, 1 << 20, &mut cells).unwrap();
        assert_eq!(cells, band(1), "band 1 reads back whole after band 0 was dropped");
    }

    #[test]
    fn masks_marking_more_cells_than_kept_are_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan(3);
        let fill = Numbered { records: Some(1 << 20) };
        let mut lit = lit_bands(dir.path(), &plan, &fill);
        let layout = fill.layout(&plan, 0);
        // Band 0: the first tile's mask marks all its cells, and only one cell follows.
        let words = lit_cells::mask_words(layout.tile_pixels(0));
        lit.file.append(bytemuck::cast_slice(&vec![u64::MAX; words])).unwrap();
        lit.file.append(bytemuck::bytes_of(&7u32)).unwrap();
        lit.file.end_band(0);
        lit.kept.push(true);
        for window in [0, 1 << 20] {
            let err = lit.read_tiles::<u32>(&layout, 0, window, &|_, _, _| Ok(())).unwrap_err();
            assert!(err.to_string().contains("band 0's kept lit cells end inside tile 0"), "{err}");
        }
    }

    #[test]
    fn lit_bands_read_back_as_folded() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan(5);
        let fill = Numbered { records: Some(1 << 20) };
        let mut kept = Kept::lit(&Count, &fill, &plan, dir.path()).unwrap();
        let mut buffer = BandCells::default();
        for b in 0..5 {
            if b % 2 == 0 {
                // A band too big for a window: aggregated, then its lit cells kept (but
                // for band 4's).
                let cells = kept.aggregate(&Count, &fill, &plan, b, &mut buffer).unwrap();
                assert_eq!(cells.cells()[2], b * 1000 + 2);
                continue;
            }
            // A band folded tile by tile: its tiles handed over out of order, and in band
            // 3 the middle tile without any lit cell (so not handed over).
            let layout = fill.layout(&plan, b);
            let mut cells = vec![0; layout.pixels()];
            fill.fill(&Count, &plan, &layout, b, &mut cells).unwrap();
            let mut tiles = Vec::new();
            for (t, tile) in layout.tile_slices(&cells, 1).into_iter().enumerate().rev() {
                if b == 3 && t == 1 {
                    continue;
                }
                let (mut mask, mut lit) = (Vec::new(), Vec::new());
                lit_cells::encode(tile, &0, &mut mask, &mut lit);
                tiles.push((t, mask, lit));
            }
            kept.keep_lit(&fill, &plan, b, Some(tiles)).unwrap();
        }
        let Kept::Lit(lit) = &kept else { panic!("lit cells kept") };
        assert_eq!(lit.kept, [true, true, true, true, false], "band 4 is folded again");
        assert!(!kept.every_band(&plan), "band 4 needs its records again");
        assert_eq!((0..5).map(|b| kept.has_lit(b)).collect::<Vec<_>>(), [true, true, true, true, false]);
        // Tile by tile, as the indexed road reads them: band 3's middle tile all empty.
        // Read a tile at a time (a window of 0 bytes, grown to each tile), a few tiles at a
        // time, or at once (the band fits the plan's window), tiles handed out in
        // parallel: the same tiles. Band 3's first tile has 11 lit cells, so the second
        // tile's mask starts off the alignment of a u64.
        let layout = fill.layout(&plan, 3);
        for window in [Some(0), Some(100), None] {
            let tiles = Mutex::new(Vec::new());
            let each = |t, mask: &[u64], lit: &[u32]| {
                tiles.lock().unwrap().push((t, lit_cells::lit(mask), lit.to_vec()));
                Ok(())
            };
            match window {
                None => kept.read_lit(&plan, &layout, 3, &each).unwrap(),
                Some(window) => {
                    lit.read_tiles(&layout, 3, window, &each).unwrap();
                    // A window grown to a tile is not kept at that size.
                    assert!(lit.reading.lock().unwrap().len() as u64 <= window, "window {window}");
                }
            }
            let mut tiles = tiles.into_inner().unwrap();
            tiles.sort_by_key(|&(t, ..)| t);
            assert_eq!(tiles.iter().map(|(t, n, _)| (*t, *n)).collect::<Vec<_>>(), [(0, 11), (1, 0), (2, 6)]);
            assert_eq!(tiles[2].2[0], numbered(3, layout.tile_offset(2) as u32));
            assert_eq!(tiles[2].2.len(), 6);
        }
        assert!(kept.read_lit(&plan, &layout, 4, &|_, _, _| Ok(())).is_err(), "band 4 was not kept");
        for b in [3, 0, 4, 1, 2, 3] {
            let cells = kept.band(&Count, &fill, &plan, b, &mut buffer).unwrap();
            let layout = fill.layout(&plan, b);
            let mut want: Vec<u32> = (0..40).map(|i| numbered(b, i)).collect();
            if b == 3 {
                let (x0, w) = layout.tile_columns(1);
                want[x0 as usize * 4..][..w as usize * 4].fill(0);
            }
            assert_eq!(cells.cells(), &want[..], "band {b}");
            assert_eq!(cells.rows(), 4);
        }
    }
}
