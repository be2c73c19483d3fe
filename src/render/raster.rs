//! Rendering a raster (`--raster grid.npy --extent x0,x1,y0,y1`): no points and no
//! partition; each band resamples just the raster rows it covers, then shares the
//! statistics and emit passes of every other render.

use std::ops::Range;

use crate::canvas::{Axis, Plan};
use crate::data::grid::Grid;
use crate::data::DType;
use crate::error::Result;
use crate::glyph::raster::{output_dtype, Downsample, RasterPlacement, Resampler, Upsample};
use crate::partition::Partition;
use crate::progress::Progress;
use crate::render::kinds::{
    float_color_scale, lit_floats, shade_floats, write_floats, FloatGlobal, Input, Kind,
};
use crate::render::{finish_render, RenderOptions, RenderReport};
use crate::shade::{FloatShader, How};
use crate::sink::{CanvasInfo, PixelFormat, Sink};

/// A raster to render and how to resample it.
#[derive(Clone, Debug)]
pub struct RasterInput<'a> {
    /// The memory-mapped 2-D array.
    pub grid: &'a Grid,
    /// Where it lies in data coordinates, and which row is on top.
    pub placement: RasterPlacement,
    /// Resampling when several cells fall in a pixel, and when a pixel is smaller than a cell.
    pub how: (Downsample, Upsample),
}

/// One band of resampled raster values, row-major.
struct RasterBand<'a> {
    resampler: &'a Resampler<'a>,
    values: Vec<f64>,
    rows: Range<u32>,
    width: usize,
    dtype: DType,
}

impl Kind for RasterBand<'_> {
    type Record = u32;
    type Stats = FloatGlobal;
    type Shader = FloatShader;

    fn partition(
        _input: Input<'_>,
        plan: &Plan,
        _dir: &std::path::Path,
        _p: &dyn Progress,
    ) -> Result<Partition> {
        Ok(Partition::empty(plan.bands))
    }
    fn fresh(&self) -> Self {
        RasterBand {
            resampler: self.resampler,
            values: Vec::new(),
            rows: 0..0,
            width: self.width,
            dtype: self.dtype,
        }
    }
    fn aggregate(&mut self, plan: &Plan, _partition: &Partition, band: u32) -> Result<()> {
        self.rows = plan.band_rows(band);
        self.values.resize(self.rows.len() * self.width, f64::NAN);
        self.resampler.band(self.rows.clone(), &mut self.values)
    }
    fn rows(&self) -> u32 {
        self.rows.len() as u32
    }
    fn new_stats(&self) -> FloatGlobal {
        FloatGlobal::new()
    }
    fn passes(how: How) -> u32 {
        FloatGlobal::passes(how)
    }
    fn gather(&self, _width: usize, pass: u32, stats: &mut FloatGlobal) {
        for row in self.values.chunks_exact(self.width) {
            stats.add_row(pass, row);
        }
    }
    fn end_pass(stats: &mut FloatGlobal, pass: u32, how: How) {
        stats.end_pass(pass, how);
    }
    fn shader(stats: &FloatGlobal, options: &RenderOptions) -> FloatShader {
        stats.shader(options)
    }
    fn shade_row(&self, shader: &FloatShader, row: u32, format: PixelFormat, out: &mut [u8]) {
        let start = row as usize * self.width;
        shade_floats(shader, &self.values[start..start + self.width], format, out);
    }
    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        let start = row as usize * self.width;
        write_floats(&self.values[start..start + self.width], self.dtype, out);
    }
    fn lit_row(&self, row: u32, out: &mut [u8]) {
        let start = row as usize * self.width;
        lit_floats(&self.values[start..start + self.width], out);
    }
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn color_scale(shader: &FloatShader) -> Option<crate::sink::ColorScale> {
        float_color_scale(shader)
    }
}

/// Renders a raster into every sink. Without explicit ranges the canvas shows the raster's
/// extent. Float32 rasters resampled by an order statistic are exported as float32, all
/// others as float64 (NaN for pixels outside the raster or with only NaN cells).
pub fn render_raster(
    raster: &RasterInput<'_>,
    options: &RenderOptions,
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    options.dynspread.as_ref().map_or(Ok(()), crate::shade::Dynspread::check)?;
    let pool = super::thread_pool(options)?;
    pool.install(|| render_raster_in_pool(raster, options, sinks, progress))
}

fn render_raster_in_pool(
    raster: &RasterInput<'_>,
    options: &RenderOptions,
    mut sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    raster.placement.check()?;
    let (x0, x1, y0, y1) = raster.placement.extent;
    // Three f64 rows per pixel: the band, its statistics copy and the resampling buffers.
    let plan = Plan::new(
        options.width,
        options.height,
        options.tile,
        options.memory_budget,
        rayon::current_num_threads(),
        24,
    )?;
    let x_range = options.x_range.unwrap_or((x0, x1));
    let y_range = options.y_range.unwrap_or((y0, y1));
    let x = Axis::new("--x-range", x_range, plan.width, options.x_scale)?;
    let y = Axis::new("--y-range", y_range, plan.height, options.y_scale)?;
    let resampler = Resampler::new(raster.grid, &raster.placement, &x, &y, raster.how)?;
    let dtype = match output_dtype(raster.how, raster.grid.dtype()) {
        DType::F32 => DType::F32,
        _ => DType::F64,
    };
    let band = RasterBand {
        resampler: &resampler,
        values: Vec::new(),
        rows: 0..0,
        width: plan.width as usize,
        dtype,
    };
    let canvas = CanvasInfo {
        width: plan.width,
        height: plan.height,
        opaque: options.background.is_opaque(),
        aggregate_dtype: dtype,
        aggregate_channels: 1,
        axes: ((x_range, options.x_scale), (y_range, options.y_scale)),
    };
    for sink in &mut sinks {
        sink.begin(&canvas)?;
    }
    let partition = Partition::empty(plan.bands);
    let dynspread_px =
        finish_render(band, &plan, &partition, options, sinks, progress, || raster.grid.check_unchanged())?;
    Ok(RenderReport { points: 0, plotted: 0, x_range, y_range, plan, dynspread_px })
}
