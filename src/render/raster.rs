//! Rendering a raster (`--raster grid.npy --extent x0,x1,y0,y1`): no points and no
//! partition; each band resamples just the raster rows it covers into plain rows (a
//! [`TileLayout`] of one tile as wide as the canvas), then shares the statistics and emit
//! passes of every other render.

use crate::canvas::{Axis, Plan, TileLayout};
use crate::data::grid::Grid;
use crate::data::DType;
use crate::error::{Field, Result};
use crate::glyph::raster::{output_dtype, Downsample, RasterPlacement, Resampler, Upsample};
use crate::progress::Progress;
use crate::reduce::{Reducer, Resampled};
use crate::render::band::Fill;
use crate::render::driver::{finish, plan};
use crate::render::{RenderOptions, RenderReport};
use crate::sink::{CanvasInfo, Sink};

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

/// A raster's bands come from resampling its rows.
impl Fill<Resampled> for Resampler<'_> {
    fn layout(&self, plan: &Plan, band: u32) -> TileLayout {
        TileLayout::whole_rows(plan, band)
    }

    fn fill(
        &self,
        _reducer: &Resampled,
        _plan: &Plan,
        layout: &TileLayout,
        _band: u32,
        cells: &mut [f64],
    ) -> Result<()> {
        self.band(layout.canvas_rows(), cells)
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
    options.validate()?;
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
    let dtype = match output_dtype(raster.how, raster.grid.dtype()) {
        DType::F32 => DType::F32,
        _ => DType::F64,
    };
    let reducer = Resampled::new(dtype);
    let plan = plan(options, reducer.plan_bytes())?;
    let x_range = options.x_range.unwrap_or((x0, x1));
    let y_range = options.y_range.unwrap_or((y0, y1));
    let x = Axis::new(Field::XRange, x_range, plan.width, options.x_scale)?;
    let y = Axis::new(Field::YRange, y_range, plan.height, options.y_scale)?;
    let resampler = Resampler::new(raster.grid, &raster.placement, &x, &y, raster.how)?;
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
    let (dynspread_px, warnings) =
        finish(&reducer, &resampler, &plan, options, (sinks, None), progress, || {
            raster.grid.check_unchanged()
        })?;
    Ok(RenderReport { points: 0, plotted: 0, x_range, y_range, plan, dynspread_px, warnings })
}
