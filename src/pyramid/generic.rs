//! Pyramids of every reduction and glyph (`--agg mean`, lines, anti-aliased lines,
//! categories, `--spread`, `--dynspread`, and every DZI): one render of the canvas, whose
//! passes also build every coarser level ([`crate::render::levels`]), each level's shaded
//! rows cut into tiles.
//!
//! The finest level is the `--bare` render of the canvas, byte for byte. A coarser level is
//! binned from the finest pixel, as the count pyramid's are: its pixel holds the reduction
//! state of the `2^k x 2^k` finest pixels below it (merged 2 x 2, level by level, in Z
//! order: top-left, top-right, bottom-left, bottom-right; those past an edge that is not a
//! multiple of `2^k` count as empty), so its counts, any, min and max are exact, its float
//! sums, means and variances are sums in that fixed tree order, and its `first` / `last`
//! are the value of the first / last point in input order (the finest cells carry each
//! value's input item, [`crate::reduce::InOrder`]), so a `first` / `last` level is the flat
//! render of the data on its own canvas. Every level is shaded with its own global
//! statistics and spread by the same pixel radius; all of it is independent of the tile
//! size, band height and thread count.
//!
//! Passes: those of one render (the partition, the statistics passes, the emit pass),
//! whatever the number of levels. A tile whose every pixel is the background (what the
//! viewers show where no tile is) is not written.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::data::PointColumns;
use crate::error::{Error, Field, Result};
use crate::figure::categories::{entries, known_labels, numbered};
use crate::io::{remove_if_present, write_atomically_below, write_staged_file};
use crate::progress::Progress;
use crate::pyramid::any_stats;
use crate::pyramid::dzi::{self, PyramidFormat};
use crate::pyramid::metadata::CategoryEntry;
use crate::pyramid::tiles::tile_path;
use crate::pyramid::{
    completion, staging, PyramidMetadata, PyramidOptions, PyramidPlan, PyramidSummary, ShardPlan,
};
use crate::reduce::Reduction;
use crate::render::levels::LevelStatsIo;
use crate::render::{render_with_levels, Glyph, RenderOptions, RenderReport};
use crate::shade::palette::pack_indices;
use crate::shade::{Color, CountHistogram, Palette, PixelFormat, Shape, Spreader};
use crate::sink::png_image::encode_rgba;
use crate::sink::{Band, CanvasInfo, PngWriter, Sink, SpreadSink};

/// How a pyramid's levels are spread, each by the same pixel radius (`--spread`,
/// `--dynspread`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileSpread {
    /// `--spread PX` with a mask shape.
    Fixed(usize, Shape),
    /// `--dynspread` with a mask shape: the radius each level's render chooses
    /// ([`RenderOptions::dynspread`]).
    Dynamic(Shape),
}

/// True when a pyramid of a render with `options` is built here (in one render) rather
/// than from the finest counts in two: every pyramid but the sharded ones, those given a
/// statistics file and those shaded with one level's statistics (`--span-from-level`), which
/// are plain XYZ counts of points (their two-render path, [`crate::pyramid::PyramidWriter`]).
pub fn needs_levels(options: &RenderOptions, pyramid: &PyramidOptions) -> bool {
    !plain_counts(options, pyramid)
        || (pyramid.shard.count == 1 && pyramid.stats.is_none() && pyramid.span_from_level.is_none())
}

/// True for an XYZ pyramid of plain counts of points (no lines, no spreading): the pyramids
/// the count path can build too, whose `metadata.json` records each level's count range.
pub(crate) fn plain_counts(options: &RenderOptions, pyramid: &PyramidOptions) -> bool {
    options.reduction == Reduction::Count
        && options.glyph == Glyph::Points
        && options.line_width == 0.0
        && options.dynspread.is_none()
        && pyramid.spread.is_none()
        && pyramid.format == PyramidFormat::Xyz
}

/// Fails unless the level-by-level pyramid can be built: no `--span-from-level` (which
/// belongs to count pyramids), and a statistics file only when its statistics can be saved
/// ([`crate::pyramid::any_stats::unsaved`]); a shard renders the whole canvas and writes its
/// own tiles, or with a statistics file only its own rows ([`render_levels`]). Any sides: a
/// coarse level's edge pixels past the canvas count as empty. Returns the plan.
pub fn check(options: &RenderOptions, pyramid: &PyramidOptions) -> Result<PyramidPlan> {
    let plan = PyramidPlan::new(options.width, options.height, pyramid.tile)?;
    let what = match (options.reduction, options.glyph) {
        (Reduction::Count, Glyph::Lines) => "count along lines".to_string(),
        (Reduction::Count, _) => "spread counts".to_string(),
        (other, _) => other.to_string(),
    };
    if let (Some(_), Some(why)) = (&pyramid.stats, any_stats::unsaved(options)) {
        return Err(Error::bad_parameter(
            Field::Stats,
            format!("pyramids of {what} take no statistics file yet: {why}; give none"),
        ));
    }
    if pyramid.span_from_level.is_some() {
        return Err(Error::bad_parameter(
            Field::SpanFromLevel,
            format!("pyramids of {what} shade every level with its own statistics; give no level"),
        ));
    }
    Ok(plan)
}

/// The number of levels of a pyramid of `plan` in `format`: XYZ zooms 0 to `max_zoom`, or
/// every DZI level down to one pixel.
pub(crate) fn level_count(plan: &PyramidPlan, format: PyramidFormat) -> u32 {
    match format {
        PyramidFormat::Xyz => plan.max_zoom + 1,
        PyramidFormat::Dzi => dzi::levels(plan.width, plan.height).len() as u32,
    }
}

/// What the pyramid's render does with the statistics: with a statistics file
/// ([`PyramidOptions::stats`], checked against the render, errors naming it), shades every
/// level with the file's and, for a shard, reads only the rows under its tiles (and their
/// spread's halo); without one, gathers them over every row.
fn stats_io(
    points: &PointColumns<'_>,
    options: &RenderOptions,
    pyramid: &PyramidOptions,
    plan: &PyramidPlan,
) -> Result<LevelStatsIo> {
    let Some(path) = &pyramid.stats else { return Ok(LevelStatsIo::default()) };
    let file = any_stats::LevelStatsFile::read(path)?;
    let ranges = (options.x_range.unwrap_or((0.0, 1.0)), options.y_range.unwrap_or((0.0, 1.0)));
    file.check_for(
        &pyramid.stats_key(options, ranges),
        &any_stats::RenderKey::of(points, options, pyramid),
        path,
    )?;
    let levels = level_count(plan, pyramid.format);
    let halo = match pyramid.spread {
        Some(TileSpread::Fixed(px, _)) => px as u32,
        _ => 0,
    };
    let heights = any_stats::level_heights(options.height, levels);
    let rows = any_stats::ShardRows::of(plan, &heights, pyramid.shard, halo);
    Ok(LevelStatsIo {
        given: Some(file.levels.into_iter().rev().collect()),
        gather_rows: None,
        capture: None,
        rows: rows.map(|r| r.read),
    })
}

/// Renders the pyramid in one render of the canvas into a temporary directory beside
/// [`PyramidOptions::dir`] and swaps it in complete: the finest level's tiles are cut from
/// the canvas's shaded bands, every coarser level's from its bands merged 2 x 2 in the same
/// passes. `sinks` get the canvas of `options` itself. Options already checked by the
/// caller ([`PyramidOptions::check_render`]).
///
/// A shard ([`PyramidOptions::shard`] of more than one) renders the same canvas with the
/// same statistics but shades and writes only the tile rows [`ShardPlan::uniform`] gives it
/// (each tile atomically, straight into the directory), so the shards together write
/// exactly the files of one process; the shard that finds every part present writes the
/// metadata ([`completion::finish_shard_with`]).
pub fn render_levels(
    points: &PointColumns<'_>,
    options: &RenderOptions,
    pyramid: &PyramidOptions,
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<(RenderReport, PyramidSummary)> {
    let plan = check(options, pyramid)?;
    // A statistics file is read and checked before anything is written.
    let io = stats_io(points, options, pyramid, &plan)?;
    if io.rows.is_some() && !sinks.is_empty() {
        return Err(Error::bad_parameter(
            Field::Stats,
            "a shard given a statistics file renders only its own rows: it writes no other output",
        ));
    }
    if pyramid.shard.count > 1 {
        return render_shard(points, options, pyramid, (&plan, io), sinks, progress);
    }
    let staged = staging::begin(&pyramid.dir)?;
    let dir = staged.dir().to_path_buf();
    let (report, summary) = render_into(points, options, pyramid, (&plan, io), &dir, sinks, progress)
        .map_err(|e| staged.rename_in_error(e))?;
    staged.install()?;
    Ok((report, summary))
}

/// One shard of [`render_levels`]: the tiles it owns, written into the pyramid's directory,
/// then its part marker; the metadata when it is the last.
fn render_shard(
    points: &PointColumns<'_>,
    options: &RenderOptions,
    pyramid: &PyramidOptions,
    plan: (&PyramidPlan, LevelStatsIo),
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<(RenderReport, PyramidSummary)> {
    let dir = &pyramid.dir;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    completion::begin_shard(dir, pyramid.shard)?;
    render_into(points, options, pyramid, plan, dir, sinks, progress)
}

/// Renders the pyramid's tiles (all, or a shard's) into `dir`, then its description: at
/// once for a whole pyramid, when every part is present for a shard.
fn render_into(
    points: &PointColumns<'_>,
    options: &RenderOptions,
    pyramid: &PyramidOptions,
    (plan, io): (&PyramidPlan, LevelStatsIo),
    dir: &Path,
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<(RenderReport, PyramidSummary)> {
    let plan = *plan;
    let dir = dir.to_path_buf();
    let shard = pyramid.shard;
    let shards = ShardPlan::uniform(&plan, shard.count);
    let mut summary = PyramidSummary::default();
    let result = (|| {
        let finest = finest_level(&dir, &plan, pyramid.format)?;
        let mut counts = Vec::new();
        let mut histograms = Vec::new();
        let mut level_sinks: Vec<Vec<Box<dyn Sink>>> = Vec::new();
        let plain = plain_counts(options, pyramid);
        for zoom in (0..=finest).rev() {
            let owned: Option<OwnedRows> = (shard.count > 1).then(|| {
                let (shards, steps) = (shards.clone(), finest - zoom);
                Arc::new(move |row: u32| shards.row_owner(steps, row) == shard.index) as OwnedRows
            });
            let (tiles, written) = tile_sink(&dir, zoom, plan.tile, pyramid, owned);
            counts.push(written);
            let mut sinks: Vec<Box<dyn Sink>> = vec![tiles];
            if plain {
                let (sink, histogram) = LevelHistogram::new();
                histograms.push(histogram);
                sinks.push(Box::new(sink));
            }
            level_sinks.push(sinks);
        }
        let mut levels = level_sinks.into_iter();
        let mut all = levels.next().unwrap_or_default();
        all.extend(sinks);
        let report = render_with_levels(points, options, all, levels.collect(), io, progress)?;
        let mut channels = 0;
        for level in counts {
            let (written, empty, level_channels) = level.take().unwrap_or_default();
            summary.tiles.written += written;
            summary.tiles.empty += empty;
            channels = channels.max(level_channels);
        }
        // Plain counts record each level's count range and non-empty pixels, zoom 0 first.
        let histograms: Vec<CountHistogram> =
            histograms.into_iter().rev().map(|h| h.take().unwrap_or_default()).collect();
        let legend = (options.reduction == Reduction::CountCat).then(|| {
            // The legend the figure would have: the labels, or the column's category names
            // (or codes up to the aggregate's channels), in the render's colour key.
            let names = points
                .value_source()
                .and_then(|value| known_labels(pyramid.labels.as_deref(), value))
                .unwrap_or_else(|| numbered(channels as usize));
            entries(names, options.color_key.as_deref())
        });
        let metadata = metadata(&plan, options, pyramid, &histograms, legend);
        summary.wrote_metadata = match shard.count {
            1 => {
                write_description(&dir, &plan, options, pyramid, &metadata)?;
                true
            }
            _ => {
                let marker = metadata.to_json(&dir.join("metadata.json"))?;
                completion::finish_shard_with(&dir, shard, &marker, || {
                    write_description(&dir, &plan, options, pyramid, &metadata)
                })?
            }
        };
        Ok(report)
    })();
    Ok((result?, summary))
}

/// The finest level's number: the XYZ plan's finest zoom, or the DZI's finest level (whose
/// tiles directory is created in `dir`). Levels run from it down to a single tile (or pixel).
pub(crate) fn finest_level(dir: &Path, plan: &PyramidPlan, format: PyramidFormat) -> Result<u32> {
    Ok(match format {
        PyramidFormat::Xyz => plan.max_zoom,
        PyramidFormat::Dzi => {
            let tiles = dir.join(dzi::TILES_DIR);
            match std::fs::create_dir(&tiles) {
                // A shard's directory may hold other shards' tiles.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tiles.is_dir() => {}
                result => result.map_err(|e| Error::io(&tiles, e))?,
            }
            dzi::levels(plan.width, plan.height).len() as u32 - 1
        }
    })
}

/// Where a level's (written, empty) tile counts and aggregate channels arrive when its
/// sink finishes.
pub(crate) type LevelCounts = crate::sink::Finished<(u64, u64, u32)>;

/// The sink writing level `zoom`'s tiles under `dir` (spread as [`PyramidOptions::spread`]
/// says), and where its (written, empty) tile counts and aggregate channels go.
pub(crate) fn level_sink(
    dir: &Path,
    zoom: u32,
    tile: u32,
    pyramid: &PyramidOptions,
) -> (Box<dyn Sink>, LevelCounts) {
    tile_sink(dir, zoom, tile, pyramid, None)
}

/// Which tile rows of a level a shard writes (None: all of them).
type OwnedRows = Arc<dyn Fn(u32) -> bool + Send + Sync>;

/// [`level_sink`] writing only the tile rows `owned` says (a shard's); the rows of the
/// others are neither shaded nor written.
fn tile_sink(
    dir: &Path,
    zoom: u32,
    tile: u32,
    pyramid: &PyramidOptions,
    owned: Option<OwnedRows>,
) -> (Box<dyn Sink>, LevelCounts) {
    let (mut tiles, written) = LevelTiles::new(dir, zoom, tile, pyramid);
    tiles.owned = owned;
    let sink: Box<dyn Sink> = match pyramid.spread {
        Some(TileSpread::Fixed(px, shape)) => {
            Box::new(SpreadSink::new(Box::new(tiles), Spreader::new(px, shape), pyramid.background))
        }
        Some(TileSpread::Dynamic(shape)) => {
            Box::new(SpreadSink::dynamic(Box::new(tiles), shape, pyramid.background))
        }
        None => Box::new(tiles),
    };
    (sink, written)
}

/// Writes what describes the pyramid in `dir` beside its tiles: `metadata.json` and the
/// Leaflet viewer (XYZ), or `pyramid.dzi` and the OpenSeadragon viewer (DZI), with the
/// count-cat `legend` when there is one and, for plain counts, each level's count
/// `histograms` (zoom 0 first; empty otherwise).
pub(crate) fn describe(
    dir: &Path,
    plan: &PyramidPlan,
    options: &RenderOptions,
    pyramid: &PyramidOptions,
    histograms: &[CountHistogram],
    legend: Option<Vec<(String, Color)>>,
) -> Result<()> {
    let metadata = metadata(plan, options, pyramid, histograms, legend);
    write_description(dir, plan, options, pyramid, &metadata)
}

/// The pyramid's metadata (see [`describe`]).
fn metadata(
    plan: &PyramidPlan,
    options: &RenderOptions,
    pyramid: &PyramidOptions,
    histograms: &[CountHistogram],
    legend: Option<Vec<(String, Color)>>,
) -> PyramidMetadata {
    let axes = (
        (options.x_range.unwrap_or((0.0, 1.0)), options.x_scale),
        (options.y_range.unwrap_or((0.0, 1.0)), options.y_scale),
    );
    let mut metadata =
        PyramidMetadata::new(plan, axes, histograms, (options.how, &pyramid.cmap, pyramid.background), None);
    pyramid.describe_projection(&mut metadata);
    metadata.categories = legend.map(CategoryEntry::list);
    metadata
}

/// Writes the description [`describe`] writes, from `metadata`.
fn write_description(
    dir: &Path,
    plan: &PyramidPlan,
    options: &RenderOptions,
    pyramid: &PyramidOptions,
    metadata: &PyramidMetadata,
) -> Result<()> {
    let legend = metadata.categories.clone().unwrap_or_default();
    match pyramid.format {
        PyramidFormat::Xyz => {
            metadata.write(dir)?;
            crate::pyramid::write_viewer(dir, &pyramid.viewer)
        }
        PyramidFormat::Dzi => dzi::write_descriptor_and_viewer(
            dir,
            (options.width, options.height, plan.tile),
            &metadata.background,
            &legend,
            &pyramid.viewer,
        ),
    }
}

/// Bytes of shaded rows a worker takes at once (rows of narrow levels are grouped).
const SHADE_RUN: usize = 64 << 10;

/// A [`Sink`] cutting one level's shaded rows into `{z}/{x}/{y}.png` tiles (padded with
/// transparent pixels), skipping the tiles that are all background.
///
/// Tiles are indexed-colour PNGs written by the bare render's encoder ([`PngWriter`])
/// whenever their colours fit a palette: the level's own (counts under every `--how`, whose
/// band gives palette indices directly), else the tile's colours when they are at most 256
/// (`any`, few-colour categories, flat regions); truecolour RGBA otherwise. Either decodes
/// to the same pixels, and the choice depends on the pixels alone.
struct LevelTiles {
    dir: PathBuf,
    zoom: u32,
    tile: u32,
    format: PyramidFormat,
    background: [u8; 4],
    compression: png::Compression,
    width: u32,
    height: u32,
    /// The level's palette, decided at the first band (None: RGBA rows).
    indexed: Option<LevelPalette>,
    /// Rows of the tile row being filled: RGBA, or a byte per pixel of the band palette's
    /// indices when `indexed`.
    rows: Vec<u8>,
    /// Rows in `rows`.
    filled: u32,
    /// The tile row being filled.
    tile_row: u32,
    written: u64,
    empty: u64,
    /// The aggregate's channels (count-cat's categories), from `begin`.
    channels: u32,
    /// The tile rows written (a shard's; None: all).
    owned: Option<OwnedRows>,
    done: crate::sink::Finished<(u64, u64, u32)>,
}

impl LevelTiles {
    /// A sink for level `zoom` under `dir`, and where its (written, empty) counts and the
    /// aggregate's channels go.
    fn new(
        dir: &Path,
        zoom: u32,
        tile: u32,
        pyramid: &PyramidOptions,
    ) -> (LevelTiles, crate::sink::Finished<(u64, u64, u32)>) {
        let done = crate::sink::Finished::new();
        let b = pyramid.background;
        let sink = LevelTiles {
            dir: dir.to_path_buf(),
            zoom,
            tile,
            format: pyramid.format,
            background: [b.r, b.g, b.b, b.a],
            compression: pyramid.tiles.compression,
            indexed: None,
            width: 0,
            height: 0,
            rows: Vec::new(),
            filled: 0,
            tile_row: 0,
            written: 0,
            empty: 0,
            channels: 0,
            owned: None,
            done: done.clone(),
        };
        (sink, done)
    }

    /// Encodes and writes the tiles of the buffered tile row that are not all background.
    fn flush(&mut self) -> Result<()> {
        if self.filled == 0 {
            return Ok(());
        }
        if !self.owns(self.tile_row) {
            // Another shard's row: neither shaded nor written.
            self.filled = 0;
            self.tile_row += 1;
            return Ok(());
        }
        let level = match self.format {
            PyramidFormat::Xyz => self.dir.join(self.zoom.to_string()),
            PyramidFormat::Dzi => self.dir.join(dzi::TILES_DIR).join(self.zoom.to_string()),
        };
        match std::fs::create_dir(&level) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(Error::io(&level, e)),
            _ => {}
        }
        let (tile, width, rows, ty) =
            (self.tile as usize, self.width as usize, self.filled as usize, self.tile_row);
        let buffer = &self.rows;
        let background = self.background;
        let compression = tile_compression(self.compression);
        // A shard writes into a directory other shards (and earlier runs) write too: each
        // tile under a temporary name, and a tile now blank removes an earlier run's.
        let shard = self.owned.is_some();
        let results: Vec<Result<bool>> = (0..width.div_ceil(tile))
            .into_par_iter()
            .map(|tx| {
                let path = match self.format {
                    PyramidFormat::Xyz => tile_path(&self.dir, self.zoom, tx as u32, ty),
                    PyramidFormat::Dzi => dzi::tile_path(&self.dir, self.zoom, tx as u32, ty),
                };
                let blank_tile = || match shard {
                    true => remove_if_present(&path).map(|()| false),
                    false => Ok(false),
                };
                let (x0, cols) = (tx * tile, (width - tx * tile).min(tile));
                // XYZ tiles are padded to the full tile (transparent), DZI tiles cut.
                let (tw, th) = match self.format {
                    PyramidFormat::Xyz => (tile, tile),
                    PyramidFormat::Dzi => (cols, rows),
                };
                let png = match &self.indexed {
                    Some(level) => {
                        let row = |y: usize| &buffer[y * width + x0..y * width + x0 + cols];
                        if (0..rows).all(|y| level.is_blank(row(y))) {
                            return blank_tile();
                        }
                        if level.identity && (cols, rows) == (tw, th) {
                            // The band's indices are the tile's: encoded from the rows as they are.
                            encode_index_rows(&row, (tw, th), &level.palette, compression)?
                        } else {
                            let mut indices = vec![level.padding; tw * th];
                            for y in 0..rows {
                                let out = &mut indices[y * tw..y * tw + cols];
                                for (o, &i) in out.iter_mut().zip(row(y)) {
                                    *o = level.remap[usize::from(i)];
                                }
                            }
                            encode_indices(&indices, (tw, th), &level.palette, compression)?
                        }
                    }
                    None => {
                        let mut rgba = vec![0u8; tw * th * 4];
                        let mut blank = true;
                        for y in 0..rows {
                            let src = &buffer[(y * width + x0) * 4..(y * width + x0 + cols) * 4];
                            blank &= src.chunks_exact(4).all(|p| p == background);
                            rgba[y * tw * 4..(y * tw + cols) * 4].copy_from_slice(src);
                        }
                        if blank {
                            return blank_tile();
                        }
                        encode_tile_rgba(&rgba, (tw, th), None, self.compression)?
                    }
                };
                match shard {
                    true => write_atomically_below(&path, &png)?,
                    false => write_staged_file(&path, &png)?,
                }
                Ok(true)
            })
            .collect();
        for result in results {
            match result? {
                true => self.written += 1,
                false => self.empty += 1,
            }
        }
        self.filled = 0;
        self.tile_row += 1;
        Ok(())
    }
}

impl LevelTiles {
    /// True when this process writes tile row `row`.
    fn owns(&self, row: u32) -> bool {
        self.owned.as_ref().is_none_or(|owned| owned(row))
    }
}

impl Sink for LevelTiles {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        self.width = canvas.width;
        self.height = canvas.height;
        self.channels = canvas.aggregate_channels;
        self.indexed = None;
        self.rows = Vec::new();
        Ok(())
    }

    fn band(&mut self, band: &dyn Band) -> Result<()> {
        if self.rows.is_empty() {
            // Every band gives the same palette: the first one decides.
            // Only partial XYZ tiles are padded (transparent); DZI tiles are cut.
            let tile = self.tile;
            let padded = self.format == PyramidFormat::Xyz
                && (!self.width.is_multiple_of(tile) || !self.height.is_multiple_of(tile));
            self.indexed =
                band.palette().and_then(|palette| LevelPalette::new(&palette, self.background, padded));
            let bytes = if self.indexed.is_some() { 1 } else { 4 };
            self.rows = vec![0u8; self.width as usize * self.tile as usize * bytes];
        }
        // The band's rows up to the end of each tile row, shaded (or indexed) in parallel,
        // each row into its place: the same bytes as one row at a time.
        let row_bytes = self.width as usize * if self.indexed.is_some() { 1 } else { 4 };
        let mut row = 0;
        while row < band.height() {
            let left_in_tile = self.tile.min(self.height - self.tile_row * self.tile) - self.filled;
            let n = left_in_tile.min(band.height() - row);
            // (a shard shades only the tile rows it writes)
            if self.owns(self.tile_row) {
                let at = self.filled as usize * row_bytes;
                let indexed = &self.indexed;
                self.rows[at..at + n as usize * row_bytes]
                    .par_chunks_mut(row_bytes)
                    .with_min_len((SHADE_RUN / row_bytes).max(1))
                    .enumerate()
                    .for_each(|(i, out)| match indexed {
                        Some(level) => level.index_row(band, row + i as u32, out),
                        None => band.shade_row(row + i as u32, PixelFormat::Rgba, out),
                    });
            }
            (self.filled, row) = (self.filled + n, row + n);
            if n == left_in_tile {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.flush()?;
        self.done.put((self.written, self.empty, self.channels));
        Ok(())
    }

    fn backdrop(&self) -> Option<Color> {
        None
    }
}

/// A [`Sink`] taking the exact histogram of a level's counts, for `metadata.json`: the
/// histogram the level is shaded with ([`Band::count_histogram`]), already gathered by the
/// statistics pass, so no pixel is read again.
struct LevelHistogram {
    histogram: Option<CountHistogram>,
    done: crate::sink::Finished<CountHistogram>,
}

impl LevelHistogram {
    /// The sink and where its histogram goes when finished.
    fn new() -> (LevelHistogram, crate::sink::Finished<CountHistogram>) {
        let done = crate::sink::Finished::new();
        (LevelHistogram { histogram: None, done: done.clone() }, done)
    }
}

impl Sink for LevelHistogram {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        if canvas.aggregate_dtype != crate::data::DType::U32 || canvas.aggregate_channels != 1 {
            return Err(Error::usage("LevelHistogram", "needs one u32 count per pixel"));
        }
        Ok(())
    }

    fn band(&mut self, band: &dyn Band) -> Result<()> {
        if self.histogram.is_none() {
            // Every band gives the same histogram: the whole level's.
            let histogram = band
                .count_histogram()
                .ok_or_else(|| Error::usage("LevelHistogram", "the band has no count histogram"))?;
            self.histogram = Some(histogram.clone());
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.done.put(self.histogram.unwrap_or_default());
        Ok(())
    }

    fn backdrop(&self) -> Option<Color> {
        None
    }
}

/// A level whose band gives palette indices, and the palette its tiles are written with:
/// the band's colours, and the transparent padding when partial XYZ tiles have some.
pub(crate) struct LevelPalette {
    /// The band's palette (what [`Band::index_row`] indexes).
    band: Arc<Palette>,
    /// The tiles' palette.
    palette: Arc<Palette>,
    /// The tile palette's index of each band palette index.
    remap: [u8; 256],
    /// The tile palette's index of a transparent padding pixel (0 when no tile is padded).
    padding: u8,
    /// The band palette's index of the background, if it has one (a tile of it alone is
    /// not written).
    background: Option<u8>,
    /// True when every band palette index is the same tile palette index (no remapping).
    identity: bool,
}

impl LevelPalette {
    /// The tile palette of a band palette, with the transparent padding when the level's
    /// tiles are `padded`; None when the padding does not fit (257 colours).
    pub(crate) fn new(band: &Arc<Palette>, background: [u8; 4], padded: bool) -> Option<LevelPalette> {
        const CLEAR: [u8; 4] = [0, 0, 0, 0];
        let padding = padded.then_some(CLEAR);
        let palette = Palette::from_colors(band.colors().iter().copied().chain(padding))?;
        let mut remap = [0u8; 256];
        for (i, &colour) in band.colors().iter().enumerate() {
            remap[i] = palette.index_of(colour)?;
        }
        let colours = band.colors().len();
        Some(LevelPalette {
            band: Arc::clone(band),
            padding: match padded {
                true => palette.index_of(CLEAR)?,
                false => 0,
            },
            background: band.index_of(background),
            identity: (0..colours).all(|i| usize::from(remap[i]) == i),
            remap,
            palette: Arc::new(palette),
        })
    }

    /// True when every pixel of `indices` (band palette indices) is the background.
    fn is_blank(&self, indices: &[u8]) -> bool {
        let Some(background) = self.background else { return indices.is_empty() };
        // Runs of 64 tested whole, without an early exit inside a run (vectorised).
        let mut runs = indices.chunks_exact(64);
        let blank = runs.all(|run| run.iter().fold(0, |any, &i| any | (i ^ background)) == 0);
        blank && runs.remainder().iter().all(|&i| i == background)
    }

    /// Writes band row `row` as the band palette's indices, a byte per pixel.
    fn index_row(&self, band: &dyn Band, row: u32, out: &mut [u8]) {
        if band.index_row(row, out) {
            return;
        }
        let mut rgba = vec![0u8; out.len() * 4];
        band.shade_row(row, PixelFormat::Rgba, &mut rgba);
        for (o, p) in out.iter_mut().zip(rgba.chunks_exact(4)) {
            let found = self.band.index_of([p[0], p[1], p[2], p[3]]);
            debug_assert!(found.is_some(), "a colour of row {row} is missing from the band's palette");
            *o = found.unwrap_or(0);
        }
    }
}

/// Encodes a `width x height` RGBA tile as [`LevelTiles`] does, so tiles of the same pixels
/// are the same bytes whichever writer made them (the count path's
/// [`crate::pyramid::TileWriter`] too): indexed with the level's palette `level` when every
/// pixel is in it, else with the tile's own colours when at most 256, else truecolour RGBA.
pub(crate) fn encode_tile_rgba(
    rgba: &[u8],
    (width, height): (usize, usize),
    level: Option<&LevelPalette>,
    compression: png::Compression,
) -> Result<Vec<u8>> {
    let fast = tile_compression(compression);
    let index_with = |palette: &Palette| -> Option<Vec<u8>> {
        rgba.chunks_exact(4).map(|p| palette.index_of([p[0], p[1], p[2], p[3]])).collect()
    };
    if let Some(level) = level {
        if let Some(indices) = index_with(&level.palette) {
            return encode_indices(&indices, (width, height), &level.palette, fast);
        }
    }
    match tile_palette(rgba).map(Arc::new) {
        Some(palette) => {
            let indices = index_with(&palette).unwrap_or_default();
            encode_indices(&indices, (width, height), &palette, fast)
        }
        None => encode_rgba(rgba, width as u32, height as u32, None, compression, "tile.png"),
    }
}

/// The palette of a tile's RGBA pixels when they are at most 256 colours (runs of one
/// colour looked up once).
fn tile_palette(rgba: &[u8]) -> Option<Palette> {
    let mut last = None;
    let colours = rgba.chunks_exact(4).map(|p| [p[0], p[1], p[2], p[3]]).filter(move |&c| {
        let new = last != Some(c);
        last = Some(c);
        new
    });
    Palette::from_colors(colours)
}

/// The bare render's compression for the tiles' `png` crate setting: its fast encoder for
/// the fast settings, the small one otherwise.
fn tile_compression(compression: png::Compression) -> crate::sink::Compression {
    match compression {
        png::Compression::NoCompression | png::Compression::Fastest | png::Compression::Fast => {
            crate::sink::Compression::Fast
        }
        _ => crate::sink::Compression::Small,
    }
}

/// Encodes a `width x height` tile of `palette` indices (a byte per pixel) as an
/// indexed-colour PNG with the bare render's encoder ([`PngWriter::indexed`]).
fn encode_indices(
    indices: &[u8],
    (width, height): (usize, usize),
    palette: &Arc<Palette>,
    compression: crate::sink::Compression,
) -> Result<Vec<u8>> {
    let row = |y: usize| &indices[y * width..(y + 1) * width];
    encode_index_rows(&row, (width, height), palette, compression)
}

/// [`encode_indices`] of the tile whose row `y` is `row(y)` (`width` indices).
fn encode_index_rows<'a>(
    row: &(dyn Fn(usize) -> &'a [u8] + Sync),
    (width, height): (usize, usize),
    palette: &Arc<Palette>,
    compression: crate::sink::Compression,
) -> Result<Vec<u8>> {
    let bits = palette.bit_depth();
    let mut writer =
        PngWriter::indexed(Vec::new(), width as u32, height as u32, Arc::clone(palette), compression)?;
    writer.write_rows(height, &|y, out| pack_indices(row(y), bits, out))?;
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLEAR: [u8; 4] = [0, 0, 0, 0];
    const RED: [u8; 4] = [255, 0, 0, 255];
    const BLUE: [u8; 4] = [0, 0, 255, 255];

    fn level(background: [u8; 4], padded: bool) -> LevelPalette {
        let band = Arc::new(Palette::from_colors([RED, CLEAR, BLUE]).unwrap());
        LevelPalette::new(&band, background, padded).unwrap()
    }

    #[test]
    fn a_row_is_blank_only_when_every_index_is_the_background() {
        let level = level(RED, false);
        let red = level.band.index_of(RED).unwrap();
        let blue = level.band.index_of(BLUE).unwrap();
        for len in [0, 1, 63, 64, 65, 128, 200, 256] {
            assert!(level.is_blank(&vec![red; len]), "{len} background pixels");
            // One other pixel anywhere: in a run of 64, at a run's edge, in the remainder.
            for at in [0, 62, 63, 64, 65, 127, 128, len.saturating_sub(1)].into_iter().filter(|&at| at < len)
            {
                let mut row = vec![red; len];
                row[at] = blue;
                assert!(!level.is_blank(&row), "{len} pixels, another colour at {at}");
            }
        }
        // A background the band never shades: no row of pixels is blank.
        let unseen = LevelPalette::new(&level.band, [1, 2, 3, 255], false).unwrap();
        assert!(!unseen.is_blank(&[red; 100]));
    }

    #[test]
    fn a_level_palette_remaps_only_when_the_padding_changes_it() {
        // Unpadded tiles use the band's palette as it is.
        let same = level(CLEAR, false);
        assert!(same.identity);
        assert_eq!(same.palette.colors(), same.band.colors());
        // The padding's transparent colour is already the band's: still the same indices.
        let padded = level(CLEAR, true);
        assert!(padded.identity);
        assert_eq!(padded.padding, padded.band.index_of(CLEAR).unwrap());
        // A band without it gains the padding first (translucent colours lead): remapped.
        let opaque = Arc::new(Palette::from_colors([RED, BLUE]).unwrap());
        let remapped = LevelPalette::new(&opaque, RED, true).unwrap();
        assert!(!remapped.identity);
        for (i, &colour) in opaque.colors().iter().enumerate() {
            assert_eq!(remapped.palette.index_of(colour), Some(remapped.remap[i]));
        }
    }
}
