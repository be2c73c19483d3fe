//! The one generic driver: any (glyph, reduction) pair through plan -> partition ->
//! statistics -> shade and emit -> commit, and rasters through the same last passes.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::canvas::{Axis, Plan};
use crate::data::PointColumns;
use crate::error::{Error, Field, Result};
use crate::glyph::{Glyph, GlyphInput, RecordOf};
use crate::parallel::{self, PerThread};
use crate::progress::{check_cancelled, Progress};
use crate::reduce::{Reducer, ValueUse as _};
use crate::render::band::RowsView;
use crate::render::band::{BandCells, BandView, Fill, Records, ShadedBand};
use crate::render::compact::{self, CompactCounts};
use crate::render::direct::{self, Direct};
use crate::render::indexed::{IndexedBand, Shading};
use crate::render::inputs::Inputs;
use crate::render::kept::{Kept, MaskedTile};
use crate::render::levels::{window, CoarseLevels, LevelSinks, LevelStatsIo, Stage};
use crate::render::{RenderOptions, RenderReport, Warning};
use crate::shade::{DensityStream, Dynspread, Family, ShadeStyle};
use crate::sink::{CanvasInfo, Sink};

/// A render of points whose reduction and glyph are still to be chosen (by the table).
pub(crate) struct PointRender<'a> {
    pub points: &'a PointColumns<'a>,
    pub inputs: Inputs,
    pub options: &'a RenderOptions,
    pub sinks: Vec<Box<dyn Sink>>,
    /// The sinks of a pyramid's coarser levels, built in the same passes ([`CoarseLevels`]),
    /// and what becomes of every level's statistics.
    pub levels: Option<(LevelSinks, LevelStatsIo)>,
    pub progress: &'a dyn Progress,
}

impl PointRender<'_> {
    /// The whole render of `glyph` with `reducer`: plan, partition, then the passes every
    /// render shares.
    pub fn run<G, R>(self, glyph: G, reducer: R) -> Result<RenderReport>
    where
        G: Glyph,
        R: Reducer,
        R::Input: RecordOf<G::Shape>,
    {
        let PointRender { points, inputs, options, mut sinks, levels, progress } = self;
        // Coarser levels hold a third of a band more: budgeted as a sixth of the two bands.
        let extra = if levels.is_some() { reducer.plan_bytes().div_ceil(6) } else { 0 };
        let mut plan = plan(options, reducer.plan_bytes() + extra)?;
        // Counts of a canvas too large for direct counting take bands, however large the
        // budget (then compact counts, or the partition).
        if reducer.counted(0).is_some() && direct::counts_in_bands(&plan) {
            plan = plan.in_bands();
        }
        plan.kept_rows = levels.as_ref().and_then(|(_, io)| io.rows.clone());
        let (x_range, y_range) = (inputs.x_range, inputs.y_range);
        // Points of float32 columns on log axes: Datashader's single-precision log10.
        let float32 = |column: &dyn crate::data::Source| column.dtype() == crate::data::DType::F32;
        let x =
            Axis::new(Field::XRange, x_range, plan.width, options.x_scale)?.for_float32(float32(&*points.x));
        let y =
            Axis::new(Field::YRange, y_range, plan.height, options.y_scale)?.for_float32(float32(&*points.y));
        let canvas = CanvasInfo {
            width: plan.width,
            height: plan.height,
            opaque: options.background.is_opaque(),
            aggregate_dtype: reducer.dtype(),
            aggregate_channels: reducer.channels() as u32,
            axes: ((x_range, options.x_scale), (y_range, options.y_scale)),
        };
        // Outputs are opened before the partition, so a bad output path fails early.
        for sink in &mut sinks {
            sink.begin(&canvas)?;
        }
        // Counts of a canvas too large for the budget, but far smaller than the points'
        // records: one pass into compact counts (`compact.rs`), emitted in bands of the budget
        // left beside them, unless their side table outgrows its allowance. (Not for a shard
        // that partitions only the rows under its tiles.)
        let compact_plan =
            compact::choose(&reducer, &plan, points.len()).filter(|_| plan.kept_rows.is_none());
        // A pyramid's coarser levels follow the bands the canvas is emitted in.
        let emit_plan = compact_plan.clone().filter(|_| levels.is_some()).unwrap_or_else(|| plan.clone());
        let mut coarse = levels
            .map(|(levels, io)| CoarseLevels::new(&reducer, &emit_plan, options, &canvas, levels, io))
            .transpose()?;
        let scratch_dir = options.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
        let value = if R::Input::READS_VALUE { points.value_source() } else { None };
        let input = GlyphInput { points, value, x, y, overwrite: R::OVERWRITE };
        let report_on = |plan: &Plan, plotted, (dynspread_px, warnings)| RenderReport {
            points: points.len() as u64,
            plotted,
            x_range,
            y_range,
            plan: plan.clone(),
            dynspread_px,
            warnings,
        };
        let report = |plotted, found| report_on(&plan, plotted, found);
        // A canvas that is one band aggregates straight from the input (`direct.rs`), unless
        // the reduction reads each item's index, which only partition records carry, or
        // compact counts take it (the budget holds one direct tally for several threads).
        if let Some(binner) = glyph.direct(&input, &plan).filter(|_| {
            !R::Input::READS_ITEM
                && plan.bands == 1
                && compact_plan.is_none()
                && direct::fits(u64::from(plan.width) * u64::from(plan.height))
        }) {
            // No scratch file, but the scratch directory is still swept of dead runs' files.
            crate::io::scratch::remove_stale(Path::new(&scratch_dir));
            let fill = Direct::new(binner, progress);
            let outputs = (sinks, coarse.take());
            let found =
                finish(&reducer, &fill, &plan, options, outputs, progress, &|| points.check_unchanged())?;
            return Ok(report(fill.plotted(), found));
        }
        if let Some(compact_plan) = compact_plan {
            if let Some(binner) = glyph.direct(&input, &plan) {
                crate::io::scratch::remove_stale(Path::new(&scratch_dir));
                if let Some(counts) = CompactCounts::aggregate(&binner, &plan, progress)? {
                    points.check_unchanged()?;
                    let outputs = (sinks, coarse);
                    let found =
                        finish(&reducer, &counts, &compact_plan, options, outputs, progress, &|| {
                            points.check_unchanged()
                        })?;
                    return Ok(report_on(&compact_plan, counts.plotted(), found));
                }
            }
        }
        // The records of a pyramid whose compact counts fell through keep the coarser
        // levels' bands (smaller than the budget allows: exact all the same).
        let plan = if coarse.is_some() { emit_plan } else { plan };
        let partition = glyph.partition::<<R::Input as RecordOf<G::Shape>>::Record>(
            &input,
            &plan,
            Path::new(&scratch_dir),
            progress,
        )?;
        points.check_unchanged()?;
        let records = Records { glyph: &glyph, partition: &partition };
        let outputs = (sinks, coarse);
        let found =
            finish(&reducer, &records, &plan, options, outputs, progress, &|| points.check_unchanged())?;
        Ok(report_on(&plan, partition.total(), found))
    }
}

/// The plan of a render whose aggregate takes `bytes_per_pixel` per pixel.
pub(crate) fn plan(options: &RenderOptions, bytes_per_pixel: u32) -> Result<Plan> {
    Plan::new(
        options.width,
        options.height,
        options.tile,
        options.memory_budget,
        rayon::current_num_threads(),
        bytes_per_pixel,
    )
}

/// Passes 3 and 4 and the commit of the outputs, shared by every render: statistics (and
/// the dynspread decision), shading and emission, then `unchanged` (the inputs must not have
/// changed meanwhile), then every output replaces its old file at once. Returns the spread
/// `options.dynspread` chose and what the render warns of (the lowest values shaded in the
/// background's colour: compared with the background the sinks composite over, the
/// render's own unless a sink spreads first; or no pixel with a value at all). The
/// coarser levels of a pyramid, if any, see every band of every pass and are committed
/// with the sinks.
pub(crate) fn finish<R: Reducer>(
    reducer: &R,
    fill: &dyn Fill<R>,
    plan: &Plan,
    options: &RenderOptions,
    (mut sinks, mut coarse): (Vec<Box<dyn Sink>>, Option<CoarseLevels<R>>),
    progress: &dyn Progress,
    unchanged: &dyn Fn() -> Result<()>,
) -> Result<(Option<usize>, Vec<Warning>)> {
    // The record windows reused from band to band are freed when the passes end, however.
    let _windows = ReleaseWindows;
    let mut density =
        options.dynspread.map(|d| DensityStream::new(plan.width as usize, plan.height as usize, d.max_px));
    // Statistics from a file (a pyramid's shard): no statistics pass.
    let (stats, kept) = match coarse.as_mut().and_then(CoarseLevels::take_given) {
        Some(stats) => (stats, None),
        None => {
            gather_statistics(reducer, fill, plan, options, (density.as_mut(), coarse.as_mut()), progress)?
        }
    };
    crate::glyph::route::release_windows();
    // A statistics file's render ends with its statistics.
    if coarse.as_mut().is_some_and(|coarse| coarse.capture(&stats, options.how)) {
        return Ok((None, Vec::new()));
    }
    let spread_px = match (density, options.dynspread) {
        (Some(density), Some(Dynspread { threshold, .. })) => {
            let stats = density.finish().ok_or_else(|| Error::usage("DensityStream", "rows missing"))?;
            Some(stats.dynspread_px(threshold))
        }
        _ => None,
    };
    let style = ShadeStyle {
        how: options.how,
        cmap: &options.cmap,
        background: options.background,
        color_key: options.color_key.as_deref(),
    };
    let shader = R::Family::shader(&stats, &style);
    if let Some(coarse) = coarse.as_mut() {
        coarse.prepare(&style)?;
    }
    let backdrop = sinks.iter().find_map(|sink| sink.backdrop()).unwrap_or(options.background);
    let mut warnings: Vec<Warning> =
        R::Family::invisible(&stats, &shader, &style, backdrop).map(Warning::Invisible).into_iter().collect();
    if R::Family::is_empty(&stats) {
        warnings.push(Warning::Empty);
    }
    // The scratch files are emptied by other threads as soon as they are no longer read:
    // the records once every band is kept, else after the last band; the kept cells after
    // the last band, while the outputs finish. Freeing their page cache when they were
    // closed took 45-50 ms of one core at the end of a 10^8-point 20000^2 render, the
    // other core idle.
    let done_with_records = kept.as_ref().is_some_and(|kept| kept.every_band(plan));
    std::thread::scope(|scope| {
        if done_with_records {
            parallel::spawn_or_run(scope, || fill.release());
        }
        let shading = (&stats, &shader, spread_px);
        let kept = emit(reducer, fill, plan, shading, kept, (&mut sinks, coarse.as_mut()), progress)?;
        if !done_with_records {
            parallel::spawn_or_run(scope, || fill.release());
        }
        if let Some(kept) = kept {
            parallel::spawn_or_run(scope, move || drop(kept));
        }
        // Outputs replace the old files only once every sink has finished (issue 7).
        let commits = crate::io::CommitGroup::begin();
        for sink in sinks {
            sink.finish()?;
        }
        if let Some(coarse) = coarse {
            coarse.finish()?;
        }
        // An input modified during the render makes the output suspect: check again, as
        // late as possible.
        unchanged()?;
        commits.commit()
    })?;
    Ok((spread_px, warnings))
}

/// Frees the record windows kept between bands when dropped ([`crate::glyph::route::release_windows`]).
struct ReleaseWindows;

impl Drop for ReleaseWindows {
    fn drop(&mut self) {
        crate::glyph::route::release_windows();
    }
}

/// The statistics of a reducer's family.
type Stats<R> = <<R as Reducer>::Family as Family>::Stats;

/// What a worker found in the tiles [`Fill::fold_lit`] handed it: their statistics, and the
/// tiles it masked.
type Found<R> = (Stats<R>, Vec<MaskedTile<<R as Reducer>::Cell>>);

/// Pass 3: aggregates every band and gathers the global statistics, in as many passes
/// as the shading needs, and in the first the lit mask into `density` (for dynspread:
/// every family's shading makes exactly its non-empty pixels non-transparent). Each band
/// is aggregated once: its cells are kept for the later passes and pass 4 where
/// [`Kept::choose`] says (in memory for one or two bands, else in a scratch file when
/// smaller than the records) or else as masks and lit cells where [`Kept::lit`] says
/// (statistics of the lit pixels alone are gathered from them), else folded again.
fn gather_statistics<R: Reducer>(
    reducer: &R,
    fill: &dyn Fill<R>,
    plan: &Plan,
    options: &RenderOptions,
    (mut density, mut coarse): (Option<&mut DensityStream>, Option<&mut CoarseLevels<R>>),
    progress: &dyn Progress,
) -> Result<(Stats<R>, Option<Kept<R>>)> {
    let mut stats = R::Family::new_stats(reducer.channels());
    let mut buffer = BandCells::default();
    let scratch_dir = options.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
    let mut kept = Kept::choose(reducer, fill, plan, &scratch_dir);
    // Statistics summed over the non-empty pixels are gathered from the pixels a band's
    // records reach, without filling the band, unless something else reads the band; the
    // lit cells are kept, with their masks, where that beats folding again.
    let lit_only = R::Family::GATHERS_LIT && kept.is_none() && density.is_none() && coarse.is_none();
    // Bands too large to keep whole keep their lit cells where that beats folding again:
    // gathered from the lit pixels alone, or from whole bands, whose later passes (a float
    // eq-hist's second, the render) restore them from the lit cells.
    if kept.is_none() {
        kept = Kept::lit(reducer, fill, plan, &scratch_dir);
    }
    let keeps_lit = matches!(kept, Some(Kept::Lit(_)));
    let cell_bytes = std::mem::size_of::<R::Cell>();
    // A shard gathers the statistics of its own rows only.
    let gather_rows = coarse.as_deref().and_then(|c| c.gather_rows().cloned());
    for pass in 0..R::Family::passes(options.how) {
        progress.stage("statistics", u64::from(plan.height));
        if let Some(coarse) = coarse.as_deref_mut() {
            coarse.begin_pass(pass);
        }
        // A band's lit cells still to be written to `kept`: written while the next band is
        // read and folded (the write is a copy into the page cache by one thread, which
        // left the other idle).
        let mut unwritten: Option<Unwritten<R>> = None;
        for b in 0..plan.bands {
            check_cancelled(progress)?;
            if lit_only {
                let masked = pass == 0 && kept.as_ref().is_some_and(|k| k.worth_masking(fill, plan, b));
                // Per worker thread: the statistics of the tiles it folded, and the tiles it
                // masked.
                let per_thread: PerThread<Found<R>> = PerThread::new();
                let init = || (R::Family::lit_part(&stats, reducer.channels()), Vec::new());
                let add_to = |state: &mut Stats<R>, cells: &[R::Cell]| {
                    R::Family::add_lit(state, reducer.values(cells, &mut Vec::new()))
                };
                let add = |cells: &[R::Cell]| per_thread.with(init, |(state, _)| add_to(state, cells));
                // A later pass reads the lit cells the first one kept, if it kept the band's.
                let (written, found) = match kept.as_ref() {
                    Some(k) if pass > 0 && k.has_lit(b) => {
                        let layout = fill.layout(plan, b);
                        (
                            Ok(()),
                            Some(k.read_lit(plan, &layout, b, &|_, _, cells| {
                                add(cells);
                                Ok(())
                            })),
                        )
                    }
                    _ => parallel::join(
                        || write_lit(kept.as_mut(), fill, plan, unwritten.take()),
                        || {
                            fill.fold_lit(reducer, plan, b, masked, &|tile| {
                                per_thread.with(init, |(state, tiles)| {
                                    add_to(state, tile.cells);
                                    if let Some(mask) = tile.mask {
                                        tiles.push((tile.tile, mask.to_vec(), tile.cells.to_vec()));
                                    }
                                })
                            })
                        },
                    ),
                };
                written?;
                if let Some(found) = found {
                    found?;
                    let mut tiles = Vec::new();
                    for (found, more) in per_thread.into_values() {
                        R::Family::merge_lit(&mut stats, &found);
                        tiles.extend(more);
                    }
                    if keeps_lit && pass == 0 {
                        // Held while the next band is folded only within the budget.
                        let held: usize = tiles
                            .iter()
                            .map(|(_, mask, cells)| 8 * mask.len() + cell_bytes * cells.len())
                            .sum();
                        let band = Some((b, masked.then_some(tiles)));
                        match held as u64 <= plan.write_behind_bytes() {
                            true => unwritten = band,
                            false => write_lit(kept.as_mut(), fill, plan, band)?,
                        }
                    }
                    progress.advance(u64::from(plan.band_rows(b).len() as u32));
                    continue;
                }
            }
            let band = match kept.as_mut() {
                Some(kept) if pass == 0 => kept.aggregate(reducer, fill, plan, b, &mut buffer)?,
                Some(kept) => kept.band(reducer, fill, plan, b, &mut buffer)?,
                None => {
                    buffer.aggregate(reducer, fill, plan, b)?;
                    &buffer
                }
            };
            let view = BandView { reducer, cells: band };
            match window(plan.band_rows(b), gather_rows.as_ref()) {
                Some(rows) if gather_rows.is_some() => R::Family::gather(
                    &mut stats,
                    pass,
                    &RowsView { view: BandView { reducer, cells: band }, rows },
                ),
                Some(_) => R::Family::gather(&mut stats, pass, &view),
                None => {}
            }
            if let (0, Some(density)) = (pass, density.as_deref_mut()) {
                density.push_rows(band.rows() as usize, |row, out| view.lit_row(row as u32, out));
            }
            if let Some(coarse) = coarse.as_deref_mut() {
                coarse.push(reducer, band, Stage::Statistics(pass))?;
            }
            progress.advance(u64::from(band.rows()));
        }
        write_lit(kept.as_mut(), fill, plan, unwritten.take())?;
        R::Family::end_pass(&mut stats, pass, options.how);
        if let Some(coarse) = coarse.as_deref_mut() {
            coarse.end_pass(pass, options.how);
        }
    }
    Ok((stats, kept))
}

/// A band whose lit cells [`gather_statistics`] has yet to keep: its index, and its masked
/// tiles (None: not masked, so not kept).
type Unwritten<R> = (u32, Option<Vec<MaskedTile<<R as Reducer>::Cell>>>);

/// Keeps the lit cells of band `unwritten` (if any) in `kept`.
fn write_lit<R: Reducer>(
    kept: Option<&mut Kept<R>>,
    fill: &dyn Fill<R>,
    plan: &Plan,
    unwritten: Option<Unwritten<R>>,
) -> Result<()> {
    match (kept, unwritten) {
        (Some(kept), Some((band, tiles))) => kept.keep_lit(fill, plan, band, tiles),
        _ => Ok(()),
    }
}

/// A band of pass 4: its palette indices when `indexed` (`indexed.rs`), else its cells.
struct Slot<R: Reducer> {
    cells: BandCells<R>,
    indices: IndexedBand,
    indexed: bool,
}

impl<R: Reducer> Default for Slot<R> {
    fn default() -> Self {
        Slot { cells: BandCells::default(), indices: IndexedBand::default(), indexed: false }
    }
}

/// Pass 4: shades and emits every band, top to bottom, from the cells `kept` holds, or
/// else aggregated again; band k + 1 is read or aggregated while band k is encoded.
/// Returns `kept` once read (for the caller to free where it costs no waiting), unless the
/// bands were consumed in memory.
fn emit<R: Reducer>(
    reducer: &R,
    fill: &dyn Fill<R>,
    plan: &Plan,
    (stats, shader, spread_px): (&Stats<R>, &<R::Family as Family>::Shader, Option<usize>),
    kept: Option<Kept<R>>,
    (sinks, mut coarse): (&mut [Box<dyn Sink>], Option<&mut CoarseLevels<R>>),
    progress: &dyn Progress,
) -> Result<Option<Kept<R>>> {
    progress.stage("render", u64::from(plan.height));
    // A band's cells to every sink, and to the pyramid's coarser levels if any.
    let emit_one = |sinks: &mut [Box<dyn Sink>],
                    coarse: Option<&mut CoarseLevels<R>>,
                    band: u32,
                    cells: &BandCells<R>| {
        let view = BandView { reducer, cells };
        let shaded = ShadedBand { y0: plan.band_rows(band).start, view, shader, stats, spread_px };
        sinks.iter_mut().try_for_each(|sink| sink.band(&shaded))?;
        coarse.map_or(Ok(()), |c| c.push(reducer, cells, Stage::Emit))
    };
    if let Some(Kept::Memory(bands)) = kept {
        for (band, cells) in (0..).zip(bands) {
            check_cancelled(progress)?;
            emit_one(sinks, coarse.as_deref_mut(), band, &cells)?;
            progress.advance(u64::from(cells.rows()));
        }
        return Ok(None);
    }
    // Bands shaded straight to palette indices, tile by tile (`indexed.rs`), when every
    // output reads nothing else and the cells are not kept whole anyway.
    let shading = R::Family::palette(shader)
        .filter(|_| {
            coarse.is_none()
                && !sinks.is_empty()
                && sinks.iter().all(|sink| sink.reads_shaded_only())
                && !matches!(kept, Some(Kept::Spilled(_)))
        })
        .map(|palette| Shading { shader, palette, color_scale: R::Family::color_scale(shader) });
    // Whether a band took the indexed road yet: the fill can fold lit tiles.
    let indexing = AtomicBool::new(false);
    // Band `band` into `slot`: its indices when they can be had, else its cells. The slot's
    // other buffer is freed first, so a slot holds no more than a band's cells (the cells
    // of a fill that never indexes are kept for the next band instead).
    let next_band = |band: u32, slot: &mut Slot<R>| -> Result<()> {
        if let Some(shading) = &shading {
            if indexing.load(Ordering::Relaxed) {
                slot.cells = BandCells::default();
            }
            slot.indexed = slot.indices.shade(reducer, fill, plan, band, kept.as_ref(), shading)?;
            if slot.indexed {
                indexing.store(true, Ordering::Relaxed);
                slot.cells = BandCells::default();
                return Ok(());
            }
            slot.indices = IndexedBand::default();
        }
        match &kept {
            Some(kept) => kept.load(reducer, fill, plan, band, &mut slot.cells),
            None => slot.cells.aggregate(reducer, fill, plan, band),
        }
    };
    let mut current = Slot::default();
    next_band(0, &mut current)?;
    let mut next = Slot::default();
    for band in 0..plan.bands {
        check_cancelled(progress)?;
        let (emitted, aggregated) = crate::parallel::join(
            || match current.indexed {
                true => sinks.iter_mut().try_for_each(|sink| sink.band(&current.indices)),
                false => emit_one(sinks, coarse.as_deref_mut(), band, &current.cells),
            },
            || match band + 1 < plan.bands {
                true => next_band(band + 1, &mut next),
                false => Ok(()),
            },
        );
        emitted?;
        aggregated?;
        progress.advance(plan.band_rows(band).len() as u64);
        std::mem::swap(&mut current, &mut next);
    }
    Ok(kept)
}
