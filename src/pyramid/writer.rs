//! A whole pyramid (or one shard of it) from the finest level's count rows: levels,
//! shading with per-level global statistics, tiles, `metadata.json` and `index.html`.
//!
//! Wiring into a render (see the module docs of [`crate::pyramid`]): with complete
//! [`PyramidStats`], create a [`PyramidWriter`], feed it the finest rows
//! [`PyramidWriter::rows`] in order, then [`PyramidWriter::finish`]. Memory: the level
//! accumulators (under `4 * width` bytes) plus one row-of-tiles buffer per level (under
//! `2 * 4 * tile * width` bytes in all, each capped by
//! [`crate::pyramid::TileWriterOptions::memory_cap`] beyond which it spills to a scratch
//! file) plus about `2 * 4 * tile^2` bytes per encoding thread.
//!
//! A whole pyramid is written under a temporary directory beside its target and swapped in
//! by [`PyramidWriter::finish`] ([`StagedDir`]): a failed or interrupted one leaves the
//! previous pyramid (or nothing) and no tiles. A shard writes its tiles (each atomically)
//! into the target directory directly, since other shards write there too; the metadata
//! appears when the last shard finishes ([`completion`]).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Field, Result};
use crate::io::StagedDir;
use crate::pyramid::metadata::Axes;
use crate::pyramid::{completion, staging};
use crate::pyramid::{
    InputKey, LevelStack, PyramidMetadata, PyramidPlan, PyramidStats, ShardPlan, ShardSpec, StatsBuilder,
    TileCounts, TileSelection, TileWriter, TileWriterOptions, ViewerAssets, DEFAULT_PYRAMID_TILE,
};
use crate::render::RenderOptions;
use crate::shade::{Color, Colormap, How};
use crate::sink::{Band, CanvasInfo, Finished, Sink};

/// How a pyramid is shaded and where it goes.
#[derive(Clone, Debug)]
pub struct PyramidOptions {
    /// The pyramid directory (`--pyramid DIR`): replaced whole by a whole pyramid (when it
    /// is missing, empty or an earlier pyramid), written into by a shard.
    pub dir: PathBuf,
    /// Transfer function.
    pub how: How,
    /// Colormap.
    pub cmap: Colormap,
    /// Colour of empty pixels.
    pub background: Color,
    /// Shade every level with this level's statistics (`--span-from-level`).
    pub span_from_level: Option<u32>,
    /// Where the viewer page gets Leaflet (`--viewer-assets`).
    pub viewer: ViewerAssets,
    /// Which shard this process renders (`--shard`), [`ShardSpec::WHOLE`] by default.
    pub shard: ShardSpec,
    /// Tile buffering and compression.
    pub tiles: TileWriterOptions,
    /// The statistics file (`--stats`), computed beforehand (`gigaplot stats`, or
    /// [`crate::pyramid::compute_stats`] and [`PyramidStats::merge_all`] over shards) and
    /// named when the data do not match it; None when the statistics are computed from the
    /// same data in this process (one more pass over the data).
    pub stats: Option<PathBuf>,
    /// The pyramid's tile side in pixels (`--pyramid-tile`), [`DEFAULT_PYRAMID_TILE`] by
    /// default.
    pub tile: u32,
    /// What the x and y columns are ([`InputKey::of`] their files), checked against the
    /// statistics file's: statistics of other data are refused. Not needed (empty) when
    /// the statistics are computed in this process.
    pub inputs: Vec<InputKey>,
    /// Spreading of every level by the same pixel radius (`--spread`, `--dynspread`); a
    /// spread pyramid is built in one render (`src/pyramid/generic.rs`).
    pub spread: Option<crate::pyramid::TileSpread>,
    /// The tile layout (`--pyramid-format`): XYZ (default) or Deep Zoom Image, built in
    /// one render (`src/pyramid/dzi.rs`).
    pub format: crate::pyramid::PyramidFormat,
    /// How the render projected x and y: web-mercator tiles (`--projection web-mercator`)
    /// are the standard XYZ tiles of a `tile * 2^max_zoom` square canvas over the
    /// [`crate::data::projection::WORLD`] ranges, described by `tilejson.json`.
    pub projection: crate::data::projection::Projection,
    /// A basemap tile URL template for the viewer of web-mercator tiles (`--basemap`).
    pub basemap: Option<String>,
    /// Names of a count-cat pyramid's categories for the legend (`--labels`), as a figure's
    /// legend takes them; None: the column's category names, else the codes.
    pub labels: Option<Vec<String>>,
}

impl PyramidOptions {
    /// Defaults (eq-hist, default colormap, transparent, whole pyramid, CDN viewer) into `dir`.
    pub fn new(dir: &Path) -> PyramidOptions {
        PyramidOptions {
            dir: dir.to_path_buf(),
            how: How::default(),
            cmap: Colormap::default(),
            background: Color::TRANSPARENT,
            span_from_level: None,
            viewer: ViewerAssets::default(),
            shard: ShardSpec::WHOLE,
            tiles: TileWriterOptions::default(),
            stats: None,
            tile: DEFAULT_PYRAMID_TILE,
            inputs: Vec::new(),
            spread: None,
            format: crate::pyramid::PyramidFormat::Xyz,
            projection: crate::data::projection::Projection::None,
            basemap: None,
            labels: None,
        }
    }

    /// Defaults into `dir`, shaded as `render` shades (`how`, `cmap`, `background`), with
    /// its scratch directory and an eighth of its memory budget for buffering tile rows.
    pub fn for_render(dir: &Path, render: &RenderOptions) -> PyramidOptions {
        let mut options = PyramidOptions::new(dir);
        options.how = render.how;
        options.cmap = render.cmap.clone();
        options.background = render.background;
        options.tiles.memory_cap = render.memory_budget / 8;
        options.tiles.scratch_dir = render.scratch_dir.clone();
        options
    }
}

impl PyramidOptions {
    /// Records the projection and basemap in `metadata`.
    pub(crate) fn describe_projection(&self, metadata: &mut PyramidMetadata) {
        if self.projection == crate::data::projection::Projection::WebMercator {
            metadata.projection = Some("web-mercator".into());
            metadata.basemap = self.basemap.clone();
        }
    }
}

/// What a finished pyramid writer did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PyramidSummary {
    /// Tiles written and empty tiles skipped, over every level.
    pub tiles: TileCounts,
    /// True when this process wrote `metadata.json` and `index.html`: a whole pyramid, or
    /// the shard that found every other shard's part written (`src/pyramid/completion.rs`).
    pub wrote_metadata: bool,
}

/// Builds the tiles of a pyramid, or of one shard, from finest count rows.
pub struct PyramidWriter {
    options: PyramidOptions,
    metadata: PyramidMetadata,
    stack: LevelStack,
    writers: Vec<Option<TileWriter>>,
    rows: Range<u32>,
    fed: u32,
    /// Where the files go: a temporary directory for a whole pyramid, else `options.dir`.
    write_dir: PathBuf,
    /// The temporary directory of a whole pyramid, until it is installed.
    staged: Option<StagedDir>,
    /// Points of each finest tile row according to the statistics.
    row_points: Vec<u64>,
    /// Points of the finest tile row being fed so far.
    row_sum: u128,
}

impl PyramidWriter {
    /// Prepares the writer for `stats` (complete; see [`PyramidStats::check_for`]) over the
    /// axes `axes`, creating the (temporary) directory. The shard plan comes from the stats'
    /// work estimates, so every shard given the same stats agrees on it.
    pub fn new(stats: &PyramidStats, axes: Axes, options: PyramidOptions) -> Result<PyramidWriter> {
        if !stats.is_complete() {
            return Err(Error::bad_parameter(
                Field::Stats,
                "the statistics are incomplete; merge every shard's part",
            ));
        }
        let plan = stats.plan()?;
        let shard = options.shard;
        if let Some(level) = options.span_from_level.filter(|&l| l > plan.max_zoom) {
            return Err(Error::bad_parameter(
                Field::SpanFromLevel,
                format!("level {level} does not exist; the pyramid has levels 0 to {}", plan.max_zoom),
            ));
        }
        let shards = match shard.count {
            1 => ShardPlan::uniform(&plan, 1),
            n => ShardPlan::new(&plan, n, &stats.row_work(), stats.top_work()),
        };
        let shaders =
            stats.shaders(options.how, &options.cmap, options.background, options.span_from_level)?;
        let staged = match shard.count {
            1 => Some(staging::begin(&options.dir)?),
            _ => {
                std::fs::create_dir_all(&options.dir).map_err(|e| Error::io(&options.dir, e))?;
                completion::begin_shard(&options.dir, shard)?;
                None
            }
        };
        let write_dir = staged.as_ref().map_or_else(|| options.dir.clone(), |s| s.dir().to_path_buf());
        let rows = shards.finest_rows(shard.index);
        let min_zoom = shards.min_zoom(shard.index);
        let select: TileSelection = {
            let shards = shards.clone();
            Arc::new(move |z, x, y| shards.owns(shard.index, z, x, y))
        };
        let writers = plan
            .all_levels()
            .iter()
            .map(|l| {
                (l.zoom >= min_zoom).then(|| {
                    TileWriter::new(
                        &write_dir,
                        l.zoom,
                        (l.width, l.height),
                        plan.tile,
                        shaders[l.zoom as usize].clone(),
                        options.tiles.clone(),
                    )
                    .with_selection(select.clone())
                })
            })
            .collect();
        let mut metadata = PyramidMetadata::new(
            &plan,
            axes,
            &stats.levels,
            (options.how, &options.cmap, options.background),
            options.span_from_level,
        );
        options.describe_projection(&mut metadata);
        Ok(PyramidWriter {
            stack: LevelStack::for_rows(plan.width, plan.max_zoom, min_zoom, rows.clone()),
            options,
            metadata,
            writers,
            rows,
            fed: 0,
            write_dir,
            staged,
            row_points: stats.row_points.clone(),
            row_sum: 0,
        })
    }

    /// `error`, naming the target directory instead of the temporary one.
    fn name_target(&self, error: Error) -> Error {
        match &self.staged {
            Some(staged) => staged.rename_in_error(error),
            None => error,
        }
    }

    /// The finest rows to feed, in order, each once.
    pub fn rows(&self) -> Range<u32> {
        self.rows.clone()
    }

    /// The plan of the pyramid.
    pub fn plan(&self) -> PyramidPlan {
        PyramidPlan {
            width: self.metadata.width,
            height: self.metadata.height,
            tile: self.metadata.tile,
            max_zoom: self.metadata.max_zoom,
        }
    }

    /// Feeds the next finest row of counts (`width` values). The last row of each finest
    /// tile row is fed only once that tile row's points equal the statistics', so no tile
    /// is shaded with statistics of other data.
    pub fn push_row(&mut self, counts: &[u32]) -> Result<()> {
        let row = self.rows.start + self.fed;
        self.row_sum += counts.iter().map(|&c| u128::from(c)).sum::<u128>();
        let tile = self.metadata.tile;
        if (row + 1).is_multiple_of(tile) || row + 1 == self.metadata.height {
            self.check_tile_row(row / tile)?;
        }
        let writers = &mut self.writers;
        let pushed = self.stack.push_row(counts, &mut |z, row, data| feed(writers, z, row, data));
        pushed.map_err(|e| self.name_target(e))?;
        self.fed += 1;
        Ok(())
    }

    /// Fails unless finest tile row `r` held the points the statistics say, naming the
    /// statistics file.
    fn check_tile_row(&mut self, r: u32) -> Result<()> {
        let expected = self.row_points.get(r as usize).copied().unwrap_or(0);
        let found = std::mem::take(&mut self.row_sum);
        if found == u128::from(expected) {
            return Ok(());
        }
        let tile = self.metadata.tile;
        let last = ((r + 1) * tile).min(self.metadata.height) - 1;
        let file = self.options.stats.clone().unwrap_or_else(|| PathBuf::from("statistics"));
        Err(Error::bad_input(
            file,
            format!(
                "does not match the data: pixel rows {} to {last} hold {found} points, the statistics say \
                 {expected}; {}",
                r * tile,
                crate::pyramid::stats::RECOMPUTE
            ),
        ))
    }

    /// Completes the levels, writes the last tiles, then (top shard) `metadata.json` and
    /// `index.html`; a whole pyramid then replaces the target directory.
    pub fn finish(mut self) -> Result<PyramidSummary> {
        let staged = self.staged.take();
        let summary = self.write_rest().map_err(|e| match &staged {
            Some(staged) => staged.rename_in_error(e),
            None => e,
        })?;
        if let Some(staged) = staged {
            staged.install()?;
        }
        Ok(summary)
    }

    /// The last levels and tiles, the metadata and the viewer.
    fn write_rest(mut self) -> Result<PyramidSummary> {
        if self.fed != self.rows.len() as u32 {
            return Err(Error::usage(
                "PyramidWriter",
                format!("{} of {} rows were fed", self.fed, self.rows.len()),
            ));
        }
        let writers = &mut self.writers;
        self.stack.finish(&mut |z, row, data| feed(writers, z, row, data))?;
        let mut summary = PyramidSummary::default();
        for writer in self.writers.into_iter().flatten() {
            let counts = writer.finish()?;
            summary.tiles.written += counts.written;
            summary.tiles.empty += counts.empty;
        }
        if self.options.shard.count == 1 {
            self.metadata.write(&self.write_dir)?;
            crate::pyramid::write_viewer(&self.write_dir, &self.options.viewer)?;
            summary.wrote_metadata = true;
        } else {
            summary.wrote_metadata = completion::finish_shard(
                &self.write_dir,
                self.options.shard,
                &self.metadata,
                &self.options.viewer,
            )?;
        }
        Ok(summary)
    }
}

/// Hands a level row to its writer, if this shard writes that level.
fn feed(writers: &mut [Option<TileWriter>], zoom: u32, row: u32, data: &[u32]) -> Result<()> {
    match &mut writers[zoom as usize] {
        Some(writer) => writer.push_row(row, data),
        None => Ok(()),
    }
}

/// Feeds the rows of `band` within `rows` to `push`, as u32 counts.
fn feed_band(
    band: &dyn Band,
    width: u32,
    rows: &Range<u32>,
    push: &mut dyn FnMut(&[u32]) -> Result<()>,
) -> Result<()> {
    let mut counts = vec![0u32; width as usize];
    let first = band.y0().max(rows.start);
    let end = (band.y0() + band.height()).min(rows.end);
    for row in first..end {
        band.aggregate_row(row - band.y0(), bytemuck::cast_slice_mut(&mut counts));
        for c in counts.iter_mut() {
            *c = u32::from_le(*c);
        }
        push(&counts)?;
    }
    Ok(())
}

/// Fails unless the render's canvas is the pyramid's.
fn check_canvas(canvas: &CanvasInfo, plan: &PyramidPlan) -> Result<()> {
    if (canvas.width, canvas.height) != (plan.width, plan.height) {
        return Err(Error::bad_parameter(
            Field::Stats,
            format!(
                "the statistics are for a {}x{} canvas, not {}x{}",
                plan.width, plan.height, canvas.width, canvas.height
            ),
        ));
    }
    Ok(())
}

/// A [`Sink`] that writes a pyramid from a render's bands (the render's count aggregate;
/// its own shading is not used).
pub struct PyramidSink {
    writer: PyramidWriter,
    /// Where the writer's summary goes when it finishes, if anywhere.
    summary: Option<Finished<PyramidSummary>>,
}

impl PyramidSink {
    /// A sink around a prepared writer.
    pub fn new(writer: PyramidWriter) -> PyramidSink {
        PyramidSink { writer, summary: None }
    }

    /// A sink around a prepared writer that puts the writer's summary into `summary`.
    pub(crate) fn reporting(writer: PyramidWriter, summary: Finished<PyramidSummary>) -> PyramidSink {
        PyramidSink { writer, summary: Some(summary) }
    }
}

impl Sink for PyramidSink {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        check_canvas(canvas, &self.writer.plan())
    }

    fn band(&mut self, band: &dyn Band) -> Result<()> {
        let (width, rows) = (self.writer.plan().width, self.writer.rows());
        let writer = &mut self.writer;
        feed_band(band, width, &rows, &mut |c| writer.push_row(c))
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let summary = self.writer.finish()?;
        if let Some(finished) = &self.summary {
            finished.put(summary);
        }
        Ok(())
    }
}

/// A [`Sink`] that gathers a stats part from a render's bands and writes it to a file
/// (`gigaplot stats -o FILE`).
pub struct StatsSink {
    builder: StatsBuilder,
    plan: PyramidPlan,
    out: PathBuf,
}

impl StatsSink {
    /// A sink writing `builder`'s part to `out` when the render finishes.
    pub fn new(builder: StatsBuilder, plan: PyramidPlan, out: &Path) -> StatsSink {
        StatsSink { builder, plan, out: out.to_path_buf() }
    }
}

impl Sink for StatsSink {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        check_canvas(canvas, &self.plan)
    }

    fn band(&mut self, band: &dyn Band) -> Result<()> {
        let rows = self.builder.rows();
        let builder = &mut self.builder;
        feed_band(band, self.plan.width, &rows, &mut |c| builder.push_row(c))
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.builder.finish()?.write(&self.out)
    }
}
