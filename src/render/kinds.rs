//! What differs between reductions once points are partitioned: how a band aggregates,
//! which global statistics its shading needs (and in how many passes), how it shades and
//! what it exports. One implementation per family: counts (count, any), values (sum, mean,
//! var, std, min, max, first, last) and categories (count-cat).

use rayon::prelude::*;

use crate::canvas::Plan;
use crate::data::DType;
use crate::error::Result;
use std::path::Path;

use crate::canvas::Axis;
use crate::data::{Column, PointColumns};
use crate::glyph::lines::LineSegment;
use crate::glyph::lines::{AaSegment, AaStyle};
use crate::glyph::{AaLineBinner, LineBinner, PointBinner};
use crate::partition::{partition, Partition, Record, ValueRecord};
use crate::progress::Progress;
use crate::reduce::{Accumulator, CategoryBand, CountBand, CoverageBand, ValueBand};
use crate::render::RenderOptions;
use crate::shade::{
    CategoryShader, CategoryStats, CountHistogram, CountShader, FloatHistogram, FloatShader, FloatStats, How,
};
use std::sync::Arc;

use crate::sink::{ColorScale, PixelFormat};

/// A reduction family: its band buffer, statistics and shader.
pub trait Kind: Send + Sync + Sized {
    /// What the partition stores per point (or segment).
    type Record: bytemuck::Pod + Send + Sync;
    /// The global statistics shading needs.
    type Stats: Send;
    /// Colours from values, built from the statistics.
    type Shader: Sync;

    /// Partitions the input into records of this family, by band.
    fn partition(
        input: Input<'_>,
        plan: &Plan,
        scratch_dir: &Path,
        progress: &dyn Progress,
    ) -> Result<Partition>;
    /// A new, empty band buffer of the same family.
    fn fresh(&self) -> Self;
    /// Aggregates one band from the partition.
    fn aggregate(&mut self, plan: &Plan, partition: &Partition, band: u32) -> Result<()>;
    /// Rows in the aggregated band.
    fn rows(&self) -> u32;
    /// Empty statistics for this render.
    fn new_stats(&self) -> Self::Stats;
    /// Statistics passes over all bands that shading with `how` needs.
    fn passes(how: How) -> u32;
    /// Adds this band's contribution to pass `pass` of the statistics.
    fn gather(&self, width: usize, pass: u32, stats: &mut Self::Stats);
    /// Called after every band went through pass `pass`.
    fn end_pass(_stats: &mut Self::Stats, _pass: u32, _how: How) {}
    /// The shader for the whole canvas.
    fn shader(stats: &Self::Stats, options: &RenderOptions) -> Self::Shader;
    /// Shades band row `row` into `out`.
    fn shade_row(&self, shader: &Self::Shader, row: u32, format: PixelFormat, out: &mut [u8]);
    /// Writes band row `row` of the raw aggregate, little-endian, in [`Kind::dtype`].
    fn aggregate_row(&self, row: u32, out: &mut [u8]);
    /// Writes band row `row`'s mask, a byte per pixel, non-zero where the aggregate is not
    /// empty: exactly the pixels shading makes non-transparent (`--dynspread`'s density).
    fn lit_row(&self, row: u32, out: &mut [u8]);
    /// Element type of the exported aggregate.
    fn dtype(&self) -> DType;
    /// Values per pixel in the exported aggregate (categories; 1 otherwise).
    fn channels(&self) -> u32 {
        1
    }
    /// How values map to colours, for a colorbar.
    fn color_scale(_shader: &Self::Shader) -> Option<ColorScale> {
        None
    }
    /// Bytes per pixel of the band buffer (its accumulators), for the plan.
    fn accumulator_bytes(&self) -> u32 {
        match self.dtype() {
            DType::U32 | DType::Bool => 4 * self.channels(),
            // Value accumulators hold up to three 8-byte fields (var: n, mean, m2).
            _ => 24,
        }
    }
}

/// How a glyph's records become counts: one pixel per point, or the pixels of a segment.
pub trait CountGlyph: Send + Sync + 'static {
    /// What the partition stores.
    type Record: bytemuck::Pod + Send + Sync;
    /// Counts band `band` into `counts`.
    fn aggregate(counts: &mut CountBand, plan: &Plan, partition: &Partition, band: u32) -> Result<()>;
    /// Partitions the points into this glyph's records.
    fn partition(
        input: Input<'_>,
        plan: &Plan,
        scratch_dir: &Path,
        progress: &dyn Progress,
    ) -> Result<Partition>;
}

/// How a glyph's records carry values: one pixel per point, or the pixels of a segment,
/// each with the value (or category) of its row.
pub trait ValueGlyph: Send + Sync + 'static {
    /// What the partition stores.
    type Record: bytemuck::Pod + Send + Sync;
    /// Partitions the points and their values into this glyph's records.
    fn partition(input: Input<'_>, plan: &Plan, dir: &Path, progress: &dyn Progress) -> Result<Partition>;
    /// Aggregates band `band` into the value accumulators `values`.
    fn aggregate_values<A: Accumulator>(
        values: &mut ValueBand<A>,
        plan: &Plan,
        partition: &Partition,
        band: u32,
    ) -> Result<()>;
    /// Aggregates band `band` into the per-category counts `categories`.
    fn aggregate_categories(
        categories: &mut CategoryBand,
        plan: &Plan,
        partition: &Partition,
        band: u32,
    ) -> Result<()>;
}

impl ValueGlyph for PointGlyph {
    type Record = ValueRecord;
    fn partition(input: Input<'_>, plan: &Plan, dir: &Path, progress: &dyn Progress) -> Result<Partition> {
        partition_points::<ValueRecord>(input, plan, dir, progress)
    }
    fn aggregate_values<A: Accumulator>(
        v: &mut ValueBand<A>,
        plan: &Plan,
        p: &Partition,
        band: u32,
    ) -> Result<()> {
        v.aggregate(plan, p, band)
    }
    fn aggregate_categories(c: &mut CategoryBand, plan: &Plan, p: &Partition, band: u32) -> Result<()> {
        c.aggregate(plan, p, band)
    }
}

/// What a render reads: the points, the value column if the reduction reads one, and the
/// canvas axes.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    /// x and y (and the value column, if opened).
    pub points: &'a PointColumns,
    /// The value column the reduction reads.
    pub value: Option<&'a Column>,
    /// The x axis.
    pub x: Axis,
    /// The y axis.
    pub y: Axis,
    /// Line width in pixels for anti-aliased lines (0: width-0 lines or points).
    pub line_width: f64,
}

/// Partitions points whose records carry `R` (a pixel, or a pixel and a value).
fn partition_points<R: Record>(
    input: Input<'_>,
    plan: &Plan,
    dir: &Path,
    progress: &dyn Progress,
) -> Result<Partition> {
    let binner = PointBinner::<R>::with_value(input.points, input.value, input.x, input.y, plan);
    partition(&binner, dir, progress)
}

/// Points: each record is one pixel.
#[derive(Debug, Default)]
pub struct PointGlyph;

impl CountGlyph for PointGlyph {
    type Record = u32;
    fn partition(input: Input<'_>, plan: &Plan, dir: &Path, progress: &dyn Progress) -> Result<Partition> {
        partition_points::<u32>(input, plan, dir, progress)
    }
    fn aggregate(counts: &mut CountBand, plan: &Plan, partition: &Partition, band: u32) -> Result<()> {
        counts.aggregate(plan, partition, band)
    }
}

/// Lines of width 0: each record is a segment drawn with Datashader's Bresenham.
#[derive(Debug, Default)]
pub struct LineGlyph;

impl CountGlyph for LineGlyph {
    type Record = LineSegment;
    fn partition(input: Input<'_>, plan: &Plan, dir: &Path, progress: &dyn Progress) -> Result<Partition> {
        partition(&LineBinner::new(input.points, input.x, input.y, plan), dir, progress)
    }
    fn aggregate(counts: &mut CountBand, plan: &Plan, partition: &Partition, band: u32) -> Result<()> {
        counts.aggregate_lines(plan, partition, band)
    }
}

/// count (u32) and any (bool) of a glyph: integer counts shaded through their exact
/// histogram.
#[derive(Debug, Default)]
pub struct Counts<G = PointGlyph> {
    band: CountBand,
    any: bool,
    glyph: std::marker::PhantomData<G>,
}

impl<G: CountGlyph> Counts<G> {
    /// Plain counts, or `any` (counts clamped to 1, exported as bool).
    pub fn new(any: bool) -> Counts<G> {
        Counts { band: CountBand::new(), any, glyph: std::marker::PhantomData }
    }

    /// The band's counts, for sinks that need them (pyramids).
    pub fn band(&self) -> &CountBand {
        &self.band
    }
}

impl<G: CountGlyph> Kind for Counts<G> {
    type Record = G::Record;
    type Stats = CountHistogram;
    type Shader = CountShader;

    fn partition(input: Input<'_>, plan: &Plan, dir: &Path, progress: &dyn Progress) -> Result<Partition> {
        G::partition(input, plan, dir, progress)
    }
    fn fresh(&self) -> Self {
        Counts::new(self.any)
    }
    fn aggregate(&mut self, plan: &Plan, partition: &Partition, band: u32) -> Result<()> {
        G::aggregate(&mut self.band, plan, partition, band)?;
        if self.any {
            self.band.clamp_to_one();
        }
        Ok(())
    }
    fn rows(&self) -> u32 {
        self.band.rows()
    }
    fn new_stats(&self) -> CountHistogram {
        CountHistogram::new()
    }
    fn passes(_how: How) -> u32 {
        1
    }
    fn gather(&self, _width: usize, _pass: u32, stats: &mut CountHistogram) {
        stats.merge(&self.band.histogram());
    }
    fn shader(stats: &CountHistogram, o: &RenderOptions) -> CountShader {
        CountShader::new(stats, o.how, &o.cmap, o.background)
    }
    fn shade_row(&self, shader: &CountShader, row: u32, format: PixelFormat, out: &mut [u8]) {
        let bpp = format.bytes_per_pixel();
        for (x0, counts) in self.band.row_pieces(row) {
            let piece = &mut out[x0 as usize * bpp..(x0 as usize + counts.len()) * bpp];
            match format {
                PixelFormat::Rgba => shader.shade_rgba(counts, piece),
                PixelFormat::Rgb => shader.shade_rgb(counts, piece),
            }
        }
    }
    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        for (x0, counts) in self.band.row_pieces(row) {
            let x0 = x0 as usize;
            if self.any {
                for (o, &c) in out[x0..x0 + counts.len()].iter_mut().zip(counts) {
                    *o = u8::from(c > 0);
                }
            } else {
                let bytes = &mut out[x0 * 4..(x0 + counts.len()) * 4];
                for (o, &c) in bytes.chunks_exact_mut(4).zip(counts) {
                    o.copy_from_slice(&c.to_le_bytes());
                }
            }
        }
    }
    fn lit_row(&self, row: u32, out: &mut [u8]) {
        for (x0, counts) in self.band.row_pieces(row) {
            let x0 = x0 as usize;
            for (o, &c) in out[x0..x0 + counts.len()].iter_mut().zip(counts) {
                *o = u8::from(c > 0);
            }
        }
    }
    fn dtype(&self) -> DType {
        if self.any {
            DType::Bool
        } else {
            DType::U32
        }
    }
    fn color_scale(shader: &CountShader) -> Option<ColorScale> {
        let (lo, hi) = shader.count_range()?;
        let shader = Arc::new(shader.clone());
        Some(ColorScale {
            colors: shader.colormap_samples(256),
            range: (f64::from(lo), f64::from(hi)),
            position: Arc::new(move |v| shader.position(v)),
        })
    }
}

/// Global statistics of a float aggregate: min/max/count, then (eq-hist) the histogram.
#[derive(Debug)]
pub struct FloatGlobal {
    stats: FloatStats,
    histogram: Option<FloatHistogram>,
}

impl FloatGlobal {
    /// Empty statistics.
    pub fn new() -> FloatGlobal {
        FloatGlobal { stats: FloatStats::new(), histogram: None }
    }

    /// Statistics passes a float shading with `how` needs: min/max, then for eq-hist the
    /// histogram whose bins depend on them.
    pub fn passes(how: How) -> u32 {
        if how == How::EqHist {
            2
        } else {
            1
        }
    }

    /// Adds a row of finished values (NaN = empty) to pass `pass`: min/max first, then the
    /// eq-hist histogram.
    pub fn add_row(&mut self, pass: u32, values: &[f64]) {
        match (pass, self.histogram.as_mut()) {
            (0, _) => self.stats.add_values(values),
            (_, Some(histogram)) => histogram.add_values(values),
            _ => {}
        }
    }

    /// Adds `rows` rows of `width` values, each written by `fill(row, out)`, to pass `pass`.
    /// Rows go one after another: the statistics are exact either way, and a band's rows
    /// are few compared with the work of aggregating them.
    pub fn add_rows(&mut self, pass: u32, width: usize, rows: u32, fill: impl Fn(u32, &mut [f64])) {
        let mut buffer = vec![0f64; width];
        for row in 0..rows {
            fill(row, &mut buffer);
            self.add_row(pass, &buffer);
        }
    }

    /// After pass 0 under eq-hist, prepares the histogram of pass 1 from the min/max.
    pub fn end_pass(&mut self, pass: u32, how: How) {
        if pass == 0 && how == How::EqHist {
            self.histogram = Some(FloatHistogram::new(&self.stats));
        }
    }

    /// The shader for these statistics.
    pub fn shader(&self, o: &RenderOptions) -> FloatShader {
        FloatShader::new(&self.stats, self.histogram.as_ref(), o.how, &o.cmap, o.background)
    }
}

impl Default for FloatGlobal {
    fn default() -> Self {
        FloatGlobal::new()
    }
}

/// Shades a row of float values as RGBA or RGB.
pub fn shade_floats(shader: &FloatShader, values: &[f64], format: PixelFormat, out: &mut [u8]) {
    match format {
        PixelFormat::Rgba => shader.shade_rgba(values, out),
        PixelFormat::Rgb => shader.shade_rgb(values, out),
    }
}

/// The lit mask of a row of float values: non-NaN (a float shading makes every non-NaN
/// pixel opaque and every NaN one transparent).
pub fn lit_floats(values: &[f64], out: &mut [u8]) {
    for (o, v) in out.iter_mut().zip(values) {
        *o = u8::from(!v.is_nan());
    }
}

/// The colour scale of a float shading, for colorbars.
pub fn float_color_scale(shader: &FloatShader) -> Option<ColorScale> {
    let range = shader.value_range()?;
    let shader = Arc::new(shader.clone());
    Some(ColorScale {
        colors: shader.colormap_samples(256),
        range,
        position: Arc::new(move |v| shader.position(v)),
    })
}

/// Writes a row of float values little-endian as f32 (for `DType::F32`) or f64.
pub fn write_floats(values: &[f64], dtype: DType, out: &mut [u8]) {
    match dtype {
        DType::F32 => {
            for (o, v) in out.chunks_exact_mut(4).zip(values) {
                o.copy_from_slice(&(*v as f32).to_le_bytes());
            }
        }
        _ => {
            for (o, v) in out.chunks_exact_mut(8).zip(values) {
                o.copy_from_slice(&v.to_le_bytes());
            }
        }
    }
}

/// count of anti-aliased lines (`line_width > 0`): Datashader's float32 coverage
/// aggregate (NaN where no line passed), shaded like any float aggregate.
#[derive(Debug)]
pub struct AaLines {
    band: CoverageBand,
    style: AaStyle,
}

impl AaLines {
    /// The count of lines `line_width` pixels wide on a `width` x `height` canvas.
    pub fn new(line_width: f64, width: u32, height: u32) -> AaLines {
        AaLines { band: CoverageBand::new(), style: AaStyle { line_width, overwrite: false, width, height } }
    }
}

impl Kind for AaLines {
    type Record = AaSegment;
    type Stats = FloatGlobal;
    type Shader = FloatShader;

    fn partition(input: Input<'_>, plan: &Plan, dir: &Path, progress: &dyn Progress) -> Result<Partition> {
        let style = AaStyle {
            line_width: input.line_width,
            overwrite: false,
            width: plan.width,
            height: plan.height,
        };
        partition(&AaLineBinner::new(input.points, input.x, input.y, style, plan), dir, progress)
    }
    fn fresh(&self) -> Self {
        AaLines { band: CoverageBand::new(), style: self.style }
    }
    fn aggregate(&mut self, plan: &Plan, partition: &Partition, band: u32) -> Result<()> {
        self.band.aggregate_aa_lines(plan, partition, band, &self.style)
    }
    fn rows(&self) -> u32 {
        self.band.rows()
    }
    fn new_stats(&self) -> FloatGlobal {
        FloatGlobal::new()
    }
    fn passes(how: How) -> u32 {
        FloatGlobal::passes(how)
    }
    fn gather(&self, width: usize, pass: u32, global: &mut FloatGlobal) {
        global.add_rows(pass, width, self.rows(), |row, out| self.band.row_into(row, out));
    }
    fn end_pass(global: &mut FloatGlobal, pass: u32, how: How) {
        global.end_pass(pass, how);
    }
    fn shader(global: &FloatGlobal, o: &RenderOptions) -> FloatShader {
        global.shader(o)
    }
    fn shade_row(&self, shader: &FloatShader, row: u32, format: PixelFormat, out: &mut [u8]) {
        let mut values = vec![0f64; self.style.width as usize];
        self.band.row_into(row, &mut values);
        shade_floats(shader, &values, format, out);
    }
    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        self.band.row_bytes(row, out);
    }
    fn lit_row(&self, row: u32, out: &mut [u8]) {
        let mut values = vec![0f64; self.style.width as usize];
        self.band.row_into(row, &mut values);
        lit_floats(&values, out);
    }
    fn color_scale(shader: &FloatShader) -> Option<ColorScale> {
        float_color_scale(shader)
    }
    fn dtype(&self) -> DType {
        DType::F32
    }
    fn accumulator_bytes(&self) -> u32 {
        4
    }
}

/// sum, mean, var, std, min, max, first, last of a glyph (points or width-0 lines):
/// float64 values, NaN for empty pixels.
#[derive(Debug)]
pub struct Values<A, G = PointGlyph> {
    band: ValueBand<A>,
    width: usize,
    dtype: DType,
    glyph: std::marker::PhantomData<G>,
}

impl<A: Accumulator, G: ValueGlyph> Values<A, G> {
    /// A value reduction exported as `dtype` (F64, or F32 for min/max/first/last of f32).
    pub fn new(width: u32, dtype: DType) -> Values<A, G> {
        Values { band: ValueBand::default(), width: width as usize, dtype, glyph: std::marker::PhantomData }
    }
}

impl<A: Accumulator, G: ValueGlyph> Kind for Values<A, G> {
    type Record = G::Record;
    type Stats = FloatGlobal;
    type Shader = FloatShader;

    fn partition(input: Input<'_>, plan: &Plan, dir: &Path, progress: &dyn Progress) -> Result<Partition> {
        G::partition(input, plan, dir, progress)
    }
    fn fresh(&self) -> Self {
        Values::new(self.width as u32, self.dtype)
    }
    fn aggregate(&mut self, plan: &Plan, partition: &Partition, band: u32) -> Result<()> {
        G::aggregate_values(&mut self.band, plan, partition, band)
    }
    fn rows(&self) -> u32 {
        self.band.rows()
    }
    fn new_stats(&self) -> FloatGlobal {
        FloatGlobal::new()
    }
    fn passes(how: How) -> u32 {
        FloatGlobal::passes(how)
    }
    fn gather(&self, width: usize, pass: u32, global: &mut FloatGlobal) {
        global.add_rows(pass, width, self.rows(), |row, out| self.band.finish_row(row, out));
    }
    fn end_pass(global: &mut FloatGlobal, pass: u32, how: How) {
        global.end_pass(pass, how);
    }
    fn shader(global: &FloatGlobal, o: &RenderOptions) -> FloatShader {
        global.shader(o)
    }
    fn shade_row(&self, shader: &FloatShader, row: u32, format: PixelFormat, out: &mut [u8]) {
        let mut values = vec![0f64; self.width];
        self.band.finish_row(row, &mut values);
        shade_floats(shader, &values, format, out);
    }
    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        let mut values = vec![0f64; self.width];
        self.band.finish_row(row, &mut values);
        write_floats(&values, self.dtype, out);
    }
    fn lit_row(&self, row: u32, out: &mut [u8]) {
        let mut values = vec![0f64; self.width];
        self.band.finish_row(row, &mut values);
        lit_floats(&values, out);
    }
    fn color_scale(shader: &FloatShader) -> Option<ColorScale> {
        float_color_scale(shader)
    }
    fn dtype(&self) -> DType {
        self.dtype
    }
}

/// count-cat of a glyph (points or width-0 lines): per-category counts, shaded by
/// Datashader's weighted colour mixing.
#[derive(Debug)]
pub struct Categories<G = PointGlyph> {
    band: CategoryBand,
    glyph: std::marker::PhantomData<G>,
}

impl<G: ValueGlyph> Categories<G> {
    /// A count-cat aggregate of `categories` categories.
    pub fn new(categories: usize) -> Categories<G> {
        Categories { band: CategoryBand::new(categories), glyph: std::marker::PhantomData }
    }
}

impl<G: ValueGlyph> Kind for Categories<G> {
    type Record = G::Record;
    type Stats = CategoryStats;
    type Shader = CategoryShader;

    fn partition(input: Input<'_>, plan: &Plan, dir: &Path, progress: &dyn Progress) -> Result<Partition> {
        G::partition(input, plan, dir, progress)
    }
    fn fresh(&self) -> Self {
        Categories::new(self.band.categories())
    }
    fn aggregate(&mut self, plan: &Plan, partition: &Partition, band: u32) -> Result<()> {
        G::aggregate_categories(&mut self.band, plan, partition, band)
    }
    fn rows(&self) -> u32 {
        self.band.rows()
    }
    fn new_stats(&self) -> CategoryStats {
        CategoryStats::new(self.band.categories())
    }
    fn passes(_how: How) -> u32 {
        1
    }
    fn gather(&self, _width: usize, _pass: u32, stats: &mut CategoryStats) {
        let c = self.band.categories();
        let part = (0..self.rows())
            .into_par_iter()
            .fold(
                || CategoryStats::new(c),
                |mut s, row| {
                    for (_, counts) in self.band.row_pieces(row) {
                        s.add_counts(counts);
                    }
                    s
                },
            )
            .reduce(
                || CategoryStats::new(c),
                |mut a, b| {
                    a.merge(&b);
                    a
                },
            );
        stats.merge(&part);
    }
    fn shader(stats: &CategoryStats, o: &RenderOptions) -> CategoryShader {
        let key = o.color_key.clone().unwrap_or_default();
        CategoryShader::new(&key, o.how, 255, 40, stats, o.background)
    }
    fn shade_row(&self, shader: &CategoryShader, row: u32, format: PixelFormat, out: &mut [u8]) {
        let bpp = format.bytes_per_pixel();
        let c = self.band.categories();
        for (x0, counts) in self.band.row_pieces(row) {
            let pixels = counts.len() / c.max(1);
            let piece = &mut out[x0 as usize * bpp..(x0 as usize + pixels) * bpp];
            match format {
                PixelFormat::Rgba => shader.shade_rgba(counts, piece),
                PixelFormat::Rgb => shader.shade_rgb(counts, piece),
            }
        }
    }
    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        let c = self.band.categories();
        for (x0, counts) in self.band.row_pieces(row) {
            let start = x0 as usize * c * 4;
            for (o, &n) in out[start..start + counts.len() * 4].chunks_exact_mut(4).zip(counts) {
                o.copy_from_slice(&n.to_le_bytes());
            }
        }
    }
    fn lit_row(&self, row: u32, out: &mut [u8]) {
        let c = self.band.categories().max(1);
        for (x0, counts) in self.band.row_pieces(row) {
            let x0 = x0 as usize;
            for (o, pixel) in out[x0..].iter_mut().zip(counts.chunks_exact(c)) {
                *o = u8::from(pixel.iter().any(|&n| n > 0));
            }
        }
    }
    fn dtype(&self) -> DType {
        DType::U32
    }
    fn channels(&self) -> u32 {
        self.band.categories() as u32
    }
}
