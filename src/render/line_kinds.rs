//! The reduction families of lines that read the `--value` column: width-0 lines plug
//! into [`Values`](super::Values) and [`Categories`](super::Categories) through
//! [`ValueGlyph`], and anti-aliased lines have their own family, [`AaValues`], whose pixels
//! weigh each value by its coverage (`crate::reduce::aa_value`), and [`AaCategories`],
//! count-cat's float32 per-category coverage (`crate::reduce::aa_category`), shaded by
//! `crate::shade::category_float`.

use std::path::Path;

use super::kinds::{
    float_color_scale, lit_floats, shade_floats, write_floats, FloatGlobal, Input, Kind, LineGlyph,
    ValueGlyph,
};
use crate::canvas::Plan;
use crate::data::DType;
use crate::error::Result;
use crate::glyph::{AaLineBinner, AaValueSegment, LineBinner, LineValueSegment};
use crate::partition::{partition, Partition};
use crate::progress::Progress;
use crate::reduce::{AaAccumulator, AaCategoryBand, AaValueBand, Accumulator, CategoryBand, ValueBand};
use crate::render::RenderOptions;
use crate::shade::{Color, FloatCategoryShader, FloatCategoryStats, FloatShader, How};
use crate::sink::{ColorScale, PixelFormat};

impl ValueGlyph for LineGlyph {
    type Record = LineValueSegment;
    fn partition(input: Input<'_>, plan: &Plan, dir: &Path, progress: &dyn Progress) -> Result<Partition> {
        let binner =
            LineBinner::<LineValueSegment>::with_value(input.points, input.value, input.x, input.y, plan);
        partition(&binner, dir, progress)
    }
    fn aggregate_values<A: Accumulator>(
        v: &mut ValueBand<A>,
        plan: &Plan,
        p: &Partition,
        band: u32,
    ) -> Result<()> {
        v.aggregate_lines::<LineValueSegment>(plan, p, band)
    }
    fn aggregate_categories(c: &mut CategoryBand, plan: &Plan, p: &Partition, band: u32) -> Result<()> {
        c.aggregate_lines::<LineValueSegment>(plan, p, band)
    }
}

/// sum, mean, max (and Datashader's antialiased min, first, last), any of anti-aliased
/// lines: each value weighed by its pixel coverage, NaN for empty pixels.
#[derive(Debug)]
pub struct AaValues<A> {
    band: AaValueBand<A>,
    line_width: f64,
    width: u32,
    height: u32,
    dtype: DType,
}

impl<A: AaAccumulator> AaValues<A> {
    /// Lines `line_width` pixels wide on a `width` x `height` canvas, exported as `dtype`
    /// (F64; F32 for `any`, Datashader's float32 coverage).
    pub fn new(line_width: f64, width: u32, height: u32, dtype: DType) -> AaValues<A> {
        AaValues { band: AaValueBand::default(), line_width, width, height, dtype }
    }
}

impl<A: AaAccumulator> Kind for AaValues<A> {
    type Record = AaValueSegment;
    type Stats = FloatGlobal;
    type Shader = FloatShader;

    fn partition(input: Input<'_>, plan: &Plan, dir: &Path, progress: &dyn Progress) -> Result<Partition> {
        let style = AaValueBand::<A>::style(input.line_width, plan.width, plan.height);
        let binner = AaLineBinner::<AaValueSegment>::with_value(
            input.points,
            input.value,
            input.x,
            input.y,
            style,
            plan,
        );
        partition(&binner, dir, progress)
    }
    fn fresh(&self) -> Self {
        AaValues::new(self.line_width, self.width, self.height, self.dtype)
    }
    fn aggregate(&mut self, plan: &Plan, partition: &Partition, band: u32) -> Result<()> {
        let style = AaValueBand::<A>::style(self.line_width, self.width, self.height);
        self.band.aggregate::<AaValueSegment>(plan, partition, band, &style)
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
        let mut values = vec![0f64; self.width as usize];
        self.band.finish_row(row, &mut values);
        shade_floats(shader, &values, format, out);
    }
    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        let mut values = vec![0f64; self.width as usize];
        self.band.finish_row(row, &mut values);
        write_floats(&values, self.dtype, out);
    }
    fn lit_row(&self, row: u32, out: &mut [u8]) {
        let mut values = vec![0f64; self.width as usize];
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

/// count-cat of anti-aliased lines: Datashader's float32 `(H, W, C)` coverage aggregate
/// of `ds.by(cat, ds.count())` (NaN where a category has no coverage), shaded by
/// Datashader's categorical colour mixing with float weights.
#[derive(Debug)]
pub struct AaCategories {
    band: AaCategoryBand,
    line_width: f64,
    width: u32,
    height: u32,
}

impl AaCategories {
    /// `categories` categories of lines `line_width` pixels wide on a `width` x `height`
    /// canvas.
    pub fn new(categories: usize, line_width: f64, width: u32, height: u32) -> AaCategories {
        AaCategories { band: AaCategoryBand::new(categories), line_width, width, height }
    }
}

impl Kind for AaCategories {
    type Record = AaValueSegment;
    type Stats = FloatCategoryStats;
    type Shader = FloatCategoryShader;

    fn partition(input: Input<'_>, plan: &Plan, dir: &Path, progress: &dyn Progress) -> Result<Partition> {
        let style = AaCategoryBand::style(input.line_width, plan.width, plan.height);
        let binner = AaLineBinner::<AaValueSegment>::with_value(
            input.points,
            input.value,
            input.x,
            input.y,
            style,
            plan,
        );
        partition(&binner, dir, progress)
    }
    fn fresh(&self) -> Self {
        AaCategories::new(self.band.categories(), self.line_width, self.width, self.height)
    }
    fn aggregate(&mut self, plan: &Plan, partition: &Partition, band: u32) -> Result<()> {
        let style = AaCategoryBand::style(self.line_width, self.width, self.height);
        self.band.aggregate::<AaValueSegment>(plan, partition, band, &style)
    }
    fn rows(&self) -> u32 {
        self.band.rows()
    }
    fn new_stats(&self) -> FloatCategoryStats {
        FloatCategoryStats::new(self.band.categories())
    }
    fn passes(how: How) -> u32 {
        FloatCategoryStats::passes(how)
    }
    fn gather(&self, _width: usize, pass: u32, stats: &mut FloatCategoryStats) {
        for row in 0..self.rows() {
            for (_, values) in self.band.row_pieces(row) {
                stats.add_values(pass, values);
            }
        }
    }
    fn end_pass(stats: &mut FloatCategoryStats, pass: u32, how: How) {
        stats.end_pass(pass, how);
    }
    fn shader(stats: &FloatCategoryStats, o: &RenderOptions) -> FloatCategoryShader {
        let key: Vec<Color> = o.color_key.clone().unwrap_or_default();
        FloatCategoryShader::new(&key, o.how, 255, 40, stats, o.background)
    }
    fn shade_row(&self, shader: &FloatCategoryShader, row: u32, format: PixelFormat, out: &mut [u8]) {
        let bpp = format.bytes_per_pixel();
        let c = self.band.categories().max(1);
        for (x0, values) in self.band.row_pieces(row) {
            let piece = &mut out[x0 as usize * bpp..(x0 as usize + values.len() / c) * bpp];
            match format {
                PixelFormat::Rgba => shader.shade_rgba(values, piece),
                PixelFormat::Rgb => shader.shade_rgb(values, piece),
            }
        }
    }
    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        let c = self.band.categories();
        for (x0, values) in self.band.row_pieces(row) {
            let start = x0 as usize * c * 4;
            for (o, v) in out[start..start + values.len() * 4].chunks_exact_mut(4).zip(values) {
                o.copy_from_slice(&v.to_le_bytes());
            }
        }
    }
    fn lit_row(&self, row: u32, out: &mut [u8]) {
        let c = self.band.categories().max(1);
        for (x0, values) in self.band.row_pieces(row) {
            for (o, pixel) in out[x0 as usize..].iter_mut().zip(values.chunks_exact(c)) {
                *o = u8::from(pixel.iter().any(|v| !v.is_nan()));
            }
        }
    }
    fn dtype(&self) -> DType {
        DType::F32
    }
    fn channels(&self) -> u32 {
        self.band.categories() as u32
    }
    fn accumulator_bytes(&self) -> u32 {
        4 * self.channels()
    }
}

/// Renders `--glyph lines` with `options.reduction`: width-0 lines support every
/// reduction, anti-aliased lines those Datashader supports with `line_width > 0`.
pub(super) fn render_lines(
    points: &crate::data::PointColumns,
    value: Option<&crate::data::Column>,
    options: &RenderOptions,
    sinks: Vec<Box<dyn crate::sink::Sink>>,
    progress: &dyn Progress,
) -> Result<super::RenderReport> {
    use super::{run, AaLines, Categories, Counts, Values};
    use crate::reduce::aa_value::{AaAny, AaMax, AaMean, AaSum};
    use crate::reduce::value::{First, Last, Max, Mean, Min, Std, Sum, Var};
    use crate::reduce::Reduction as R;
    let (w, h) = (options.width, options.height);
    let lw = options.line_width;
    // Min, max, first and last keep f32 values f32, as for points.
    let dtype = |keep_f32: bool| match value.map(crate::data::Column::dtype) {
        Some(DType::F32) if keep_f32 => DType::F32,
        _ => DType::F64,
    };
    let f64 = DType::F64;
    if lw > 0.0 {
        return match options.reduction {
            R::Count => run(AaLines::new(lw, w, h), points, None, options, sinks, progress),
            R::Any => {
                run(AaValues::<AaAny>::new(lw, w, h, DType::F32), points, None, options, sinks, progress)
            }
            R::Sum => run(AaValues::<AaSum>::new(lw, w, h, f64), points, value, options, sinks, progress),
            R::Mean => run(AaValues::<AaMean>::new(lw, w, h, f64), points, value, options, sinks, progress),
            R::Min | R::Max | R::First | R::Last => {
                run(AaValues::<AaMax>::new(lw, w, h, f64), points, value, options, sinks, progress)
            }
            R::CountCat => {
                let categories = category_column(value, progress)?;
                run(AaCategories::new(categories, lw, w, h), points, value, options, sinks, progress)
            }
            other @ (R::Var | R::Std) => Err(unsupported_with_width(other)),
        };
    }
    match options.reduction {
        R::Count | R::Any => {
            run(Counts::<LineGlyph>::new(options.reduction == R::Any), points, None, options, sinks, progress)
        }
        R::Sum => {
            run(Values::<Sum, LineGlyph>::new(w, dtype(false)), points, value, options, sinks, progress)
        }
        R::Mean => {
            run(Values::<Mean, LineGlyph>::new(w, dtype(false)), points, value, options, sinks, progress)
        }
        R::Var => {
            run(Values::<Var, LineGlyph>::new(w, dtype(false)), points, value, options, sinks, progress)
        }
        R::Std => {
            run(Values::<Std, LineGlyph>::new(w, dtype(false)), points, value, options, sinks, progress)
        }
        R::Min => run(Values::<Min, LineGlyph>::new(w, dtype(true)), points, value, options, sinks, progress),
        R::Max => run(Values::<Max, LineGlyph>::new(w, dtype(true)), points, value, options, sinks, progress),
        R::First => {
            run(Values::<First, LineGlyph>::new(w, dtype(true)), points, value, options, sinks, progress)
        }
        R::Last => {
            run(Values::<Last, LineGlyph>::new(w, dtype(true)), points, value, options, sinks, progress)
        }
        R::CountCat => {
            let categories = category_column(value, progress)?;
            run(Categories::<LineGlyph>::new(categories), points, value, options, sinks, progress)
        }
    }
}

/// The number of categories of count-cat's value column (checked to be integer).
fn category_column(value: Option<&crate::data::Column>, progress: &dyn Progress) -> Result<usize> {
    // The caller checked that reductions reading values have a column.
    let column = value
        .ok_or_else(|| crate::error::Error::bad_parameter("--value", "count-cat needs a value column"))?;
    super::category_count(column, progress)
}

/// The error for a reduction anti-aliased lines do not support, naming both flags.
fn unsupported_with_width(reduction: crate::reduce::Reduction) -> crate::error::Error {
    let why = "has no anti-aliased form (Datashader raises NotImplementedError too)";
    crate::error::Error::bad_parameter(
        "--agg",
        format!("{reduction} along anti-aliased lines (--line-width > 0) {why}; use --line-width 0"),
    )
}

#[cfg(test)]
#[path = "line_values_tests.rs"]
mod tests;
