//! Datashader's `by(category, reduction)` for any reduction, in one sequential pass over
//! the data: the (H, W, K) aggregate is held in memory anyway, so the pass needs no
//! partition and no bands. It reads x, y, the value column and the category column side
//! by side, chunk by chunk, and folds each point (or each pixel of each width-0 line
//! segment, with its start vertex's value and category) into the cell of its category
//! ([`PerCategory`]), in input order: first, last, sum and var keep Datashader's input-order
//! semantics, and the bytes do not depend on the thread count. A chunk of points is folded
//! on every thread, each task owning a run of pixels (`Chunk::fold_in_parts`), while the
//! next chunk is read and binned.
//!
//! The cells of all K categories take `K x` the reduction's state per pixel. When that
//! exceeds the memory budget, the categories are split into as many groups as needed and
//! the pass runs once per group (each keeps the fragments of its own categories): still
//! O(N) per group, and one pass whenever the budget holds the cells (the Python package
//! budgets for that).

use crate::canvas::{Axis, PixelWindow};
use crate::data::{DType, PointColumns, Source};
use crate::error::{Error, Field, Result};
use crate::glyph::lines::vertices::VertexSource;
use crate::glyph::lines::{draw, line_segment};
use crate::progress::{check_cancelled, Progress};
use crate::reduce::per_category::PerCategory;
use crate::reduce::Fragment;
use crate::reduce::{
    Any, Count, First, Last, Max, Mean, Min, Reducer, Reduction as R, Std, Sum, Values, Var,
};
use crate::render::{driver, inputs, Glyph, RenderOptions, RenderReport};
use crate::sink::aggregate_array::AggregateArray;
use crate::sink::memory::allocate;

/// Rows read at once (per column: 512 KiB of f64).
const CHUNK: usize = 1 << 16;

/// `by(category, options.reduction)` of `points` (a value column attached when the reduction
/// reads one; NaN values are skipped, and `count` with a value column counts the non-NaN
/// ones) as an (H, W, `categories`) aggregate, row 0 = top: channel k holds the reduction
/// of the items whose `category` is k (items of other codes, and NaN, count for none).
/// Points, or width-0 lines (`options.glyph`; a segment counts for its start vertex's
/// category and value), on `options`' canvas, ranges and scales; the ranges are computed
/// from the data when not given. Refuses `count-cat` (nested categories), anti-aliased
/// lines and several series.
pub fn aggregate_by(
    points: &PointColumns<'_>,
    category: &dyn Source,
    categories: usize,
    options: &RenderOptions,
    progress: &dyn Progress,
) -> Result<(AggregateArray, RenderReport)> {
    options.validate()?;
    check(points, category, categories, options)?;
    // In the render's worker pool.
    let pool = crate::render::thread_pool(options)?;
    let (inputs, plan, array, plotted) = pool.install(|| -> Result<_> {
        let inputs = inputs::resolve(points, options, progress)?;
        let plan = driver::plan(options, 4)?;
        let lines = options.glyph == Glyph::Lines;
        // Points of float32 columns on log axes: Datashader's single-precision log10 (lines
        // take it in double precision, as Datashader's clipped segments do).
        let float32 = |column: &dyn Source| !lines && column.dtype() == DType::F32;
        let x = Axis::new(Field::XRange, inputs.x_range, options.width, options.x_scale)?
            .for_float32(float32(&*points.x));
        let y = Axis::new(Field::YRange, inputs.y_range, options.height, options.y_scale)?
            .for_float32(float32(&*points.y));
        let pass = Pass { points, category, categories, x, y, budget: options.memory_budget, progress };
        // float64 for every value reduction, float32 columns too: Datashader's `by` keeps
        // float32 for none (its plain min, max, first and last do).
        let v = DType::F64;
        let (array, plotted) = match options.reduction {
            R::Count => pass.run(Count, lines),
            R::Any => pass.run(Any, lines),
            R::Sum => pass.run(Values::<Sum>::new(v), lines),
            R::Mean => pass.run(Values::<Mean>::new(v), lines),
            R::Var => pass.run(Values::<Var>::new(v), lines),
            R::Std => pass.run(Values::<Std>::new(v), lines),
            R::Min => pass.run(Values::<Min>::new(v), lines),
            R::Max => pass.run(Values::<Max>::new(v), lines),
            R::First => pass.run(Values::<First>::new(v), lines),
            R::Last => pass.run(Values::<Last>::new(v), lines),
            R::CountCat => Err(nested()),
        }?;
        Ok((inputs, plan, array, plotted))
    })?;
    points.check_unchanged()?;
    category.check_unchanged()?;
    let report = RenderReport {
        points: points.len() as u64,
        plotted,
        x_range: inputs.x_range,
        y_range: inputs.y_range,
        plan,
        dynspread_px: None,
        warnings: Vec::new(),
    };
    Ok((array, report))
}

/// The refusals of [`aggregate_by`] that need no data.
fn check(
    points: &PointColumns<'_>,
    category: &dyn Source,
    categories: usize,
    options: &RenderOptions,
) -> Result<()> {
    if options.reduction == R::CountCat {
        return Err(nested());
    }
    if options.reduction.needs_value() && points.value.is_none() {
        return Err(Error::bad_parameter(
            Field::Value,
            format!("{} needs a value column", options.reduction),
        ));
    }
    if options.glyph == Glyph::Lines && options.line_width > 0.0 {
        return Err(Error::bad_parameter(
            Field::LineWidth,
            "by(column, reduction) of anti-aliased lines is not supported; give line_width=0 (or count-cat)",
        ));
    }
    if points.series.is_some_and(|s| s.count > 1) {
        return Err(Error::bad_input(
            points.y.label(),
            "holds several series; by(column, reduction) takes one",
        ));
    }
    if category.len() != points.len() {
        return Err(Error::bad_input(
            category.label(),
            format!(
                "has {} values but the points have {}; give one category per point",
                category.len(),
                points.len()
            ),
        ));
    }
    if categories == 0 {
        return Err(Error::usage("aggregate_by", "categories must be at least 1"));
    }
    Ok(())
}

/// The error for `by` of `count-cat`.
fn nested() -> Error {
    Error::bad_parameter(Field::Reduction, "by(column, count-cat) nests categories; give by(column, count)")
}

/// The columns, canvas and budget of one `by` aggregate.
struct Pass<'p, 'a> {
    points: &'p PointColumns<'a>,
    category: &'p dyn Source,
    categories: usize,
    x: Axis,
    y: Axis,
    budget: u64,
    progress: &'p dyn Progress,
}

impl Pass<'_, '_> {
    /// The aggregate of `reducer` per category, and how many points (segments) were drawn:
    /// one pass over the data per group of categories whose cells fit the budget.
    fn run<R: Reducer + Clone>(&self, reducer: R, lines: bool) -> Result<(AggregateArray, u64)> {
        let (width, height) = (self.x.pixels() as usize, self.y.pixels() as usize);
        let pixels = width * height;
        let dtype = reducer.dtype();
        let shape = vec![height, width, self.categories];
        let bytes =
            (pixels as u64).saturating_mul(self.categories as u64).saturating_mul(dtype.size() as u64);
        let what = format!("a {} by() aggregate of shape {shape:?}", dtype.descr());
        let mut out = allocate("aggregate_by", &what, bytes, u64::MAX)?;
        let cell_bytes = (pixels * std::mem::size_of::<R::Cell>()).max(1) as u64;
        let group = ((self.budget / cell_bytes) as usize).clamp(1, self.categories);
        let mut plotted = 0;
        for first in (0..self.categories).step_by(group) {
            let by = PerCategory::new(reducer.clone(), first..(first + group).min(self.categories));
            let mut cells = by.empty_cells(pixels).ok_or_else(|| {
                let (k, cell) = (by.categories().len(), std::mem::size_of::<R::Cell>());
                Error::usage(
                    "aggregate_by",
                    format!("the cells of {k} categories at {width} x {height} ({cell} bytes each) cannot be allocated"),
                )
            })?;
            plotted = match lines {
                false => self.points(&by, &mut cells)?,
                true => self.lines(&by, &mut cells)?,
            };
            by.write(&cells, self.categories, &mut out);
        }
        Ok((AggregateArray::from_parts(dtype, shape, out), plotted))
    }

    /// Folds every point into `cells`; returns how many landed on the canvas. Chunk c + 1
    /// is read and binned while chunk c is folded (on every thread, pixel runs apart).
    fn points<R: Reducer>(&self, by: &PerCategory<R>, cells: &mut [R::Cell]) -> Result<u64> {
        let n = self.points.len();
        let chunks = n.div_ceil(CHUNK);
        let (mut current, mut next) = (Chunk::default(), Chunk::default());
        let mut plotted = 0;
        self.progress.stage("aggregate", n as u64);
        if chunks > 0 {
            plotted += self.bin(0, &mut current)?;
        }
        for c in 0..chunks {
            let (_, binned) = crate::parallel::join(
                || current.fold_in_parts(by, cells, self.points.value.is_some()),
                || match c + 1 < chunks {
                    true => self.bin(c + 1, &mut next),
                    false => Ok(0),
                },
            );
            plotted += binned?;
            std::mem::swap(&mut current, &mut next);
        }
        Ok(plotted)
    }

    /// Reads chunk `c` of the points into `chunk` with each point's pixel (row-major from
    /// the top; [`DROPPED`] off the canvas); returns how many landed on the canvas.
    fn bin(&self, c: usize, chunk: &mut Chunk) -> Result<u64> {
        check_cancelled(self.progress)?;
        let start = c * CHUNK;
        let len = CHUNK.min(self.points.len() - start);
        let value = self.points.value_source();
        chunk.read(&[&*self.points.x, &*self.points.y], value, self.category, start, len)?;
        let (width, top) = (self.x.pixels() as usize, self.y.pixels() - 1);
        chunk.pixels.clear();
        chunk.pixels.extend(chunk.xy[0].iter().zip(&chunk.xy[1]).map(|(&x, &y)| {
            match (self.x.bin(x), self.y.bin(y)) {
                (Some(column), Some(row)) => (top - row) as usize * width + column as usize,
                _ => DROPPED,
            }
        }));
        self.release(start, len);
        self.progress.advance(len as u64);
        Ok(chunk.pixels.iter().filter(|&&p| p != DROPPED).count() as u64)
    }

    /// Folds every pixel of every width-0 segment into `cells`, in input order and each
    /// segment's drawing order, with its start vertex's value and category; returns how many
    /// segments were drawn.
    fn lines<R: Reducer>(&self, by: &PerCategory<R>, cells: &mut [R::Cell]) -> Result<u64> {
        let width = self.x.pixels() as usize;
        let canvas = PixelWindow { x0: 0, x1: self.x.pixels(), y0: 0, y1: self.y.pixels() };
        let value = self.points.value_source();
        let vertices = VertexSource::new(self.points);
        let items = vertices.items();
        let mut chunk = Chunk::default();
        let mut drawn = 0;
        self.progress.stage("aggregate", items as u64);
        for start in (0..items).step_by(CHUNK) {
            check_cancelled(self.progress)?;
            let len = CHUNK.min(items - start);
            // segments ending at items start .. start + len start one vertex earlier
            let first = start.saturating_sub(1);
            chunk.read(&[], value, self.category, first, start + len - first)?;
            vertices.segments(start, len, |segment| {
                let at = segment.raw.index as usize - first;
                let v = chunk.values[at];
                if value.is_some() && v.is_nan() {
                    return;
                }
                if let Some(seg) = line_segment(&segment.raw, &self.x, &self.y) {
                    drawn += 1;
                    let c = chunk.categories[at];
                    draw(&seg, canvas, |column, row, _| {
                        by.fold(cells, row as usize * width + column as usize, c, Fragment::full(v))
                    });
                }
            })?;
            self.release(first, start + len - first);
            self.progress.advance(len as u64);
        }
        Ok(drawn)
    }

    /// Releases the mapped pages of rows `start .. start + len` of every column.
    fn release(&self, start: usize, len: usize) {
        self.points.x.release(start, len);
        self.points.y.release(start, len);
        if let Some(value) = self.points.value_source() {
            value.release(start, len);
        }
        self.category.release(start, len);
    }
}

/// The pixel of a point off the canvas.
const DROPPED: usize = usize::MAX;

/// Runs of pixels per thread a chunk's fold is cut into ([`Chunk::fold_in_parts`]): more
/// than one, so a thread that finishes early takes another run.
const FOLD_PARTS: usize = 4;

/// The rows of one chunk, as f64, and the points' pixels.
#[derive(Default)]
struct Chunk {
    xy: [Vec<f64>; 2],
    pixels: Vec<usize>,
    /// The value column's (NaN without one).
    values: Vec<f64>,
    categories: Vec<f64>,
}

impl Chunk {
    /// Reads rows `start .. start + len` of `xy` (x and y, or none), `value` and `category`.
    fn read(
        &mut self,
        xy: &[&dyn Source],
        value: Option<&dyn Source>,
        category: &dyn Source,
        start: usize,
        len: usize,
    ) -> Result<()> {
        for (column, out) in xy.iter().zip(&mut self.xy) {
            out.resize(len, 0.0);
            column.read_f64(start, out)?;
        }
        self.values.resize(len, f64::NAN);
        match value {
            Some(value) => value.read_f64(start, &mut self.values)?,
            None => self.values.fill(f64::NAN),
        }
        self.categories.resize(len, f64::NAN);
        category.read_f64(start, &mut self.categories)
    }

    /// Folds the binned points into `cells`, in input order; with a value column
    /// (`has_value`), those whose value is NaN are skipped. The cells are cut into
    /// [`FOLD_PARTS`] runs of whole pixels per thread, folded in parallel, each by one task
    /// that takes the points of its own pixels from the whole chunk, in input order: the
    /// cells of one fold in input order, whatever the thread count.
    fn fold_in_parts<R: Reducer>(&self, by: &PerCategory<R>, cells: &mut [R::Cell], has_value: bool) {
        let held = by.categories().len().max(1);
        let pixels = cells.len() / held;
        let per_part = pixels.div_ceil(FOLD_PARTS * rayon::current_num_threads()).max(1);
        let mut parts: Vec<&mut [R::Cell]> = cells.chunks_mut(per_part * held).collect();
        crate::parallel::for_each_mut(&mut parts, |i, part| {
            let first = i * per_part;
            let own = first..first + part.len() / held;
            for ((&pixel, &v), &c) in self.pixels.iter().zip(&self.values).zip(&self.categories) {
                if own.contains(&pixel) && !(has_value && v.is_nan()) {
                    by.fold(part, pixel - first, c, Fragment::full(v));
                }
            }
        });
    }
}
