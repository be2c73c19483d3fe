//! Rendering a raster (`--raster grid.npy --extent x0,x1,y0,y1`): no points and no
//! partition; each band resamples just the raster rows it covers into plain rows (a
//! [`TileLayout`] of one tile as wide as the canvas), then shares the statistics and emit
//! passes of every other render.

use crate::canvas::{Axis, Plan, TileLayout};
use crate::data::grid::Grid;
use crate::data::DType;
use crate::error::{Error, Field, Result};
use crate::glyph::raster::{
    output_dtype, resample_in_one_read, Downsample, RasterPlacement, Resampler, Upsample,
};
use crate::progress::Progress;
use crate::reduce::{Reducer, Resampled as ResampledReducer};
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
impl Fill<ResampledReducer> for Resampler<'_> {
    fn layout(&self, plan: &Plan, band: u32) -> TileLayout {
        TileLayout::whole_rows(plan, band)
    }

    fn fill(
        &self,
        _reducer: &ResampledReducer,
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
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    let canvas = RasterCanvas::new(raster, options)?;
    let resampler = Resampler::new(raster.grid, &raster.placement, &canvas.x, &canvas.y, raster.how)?;
    canvas.render(raster, &resampler, options, sinks, progress)
}

/// Resamples `raster` onto the canvas of each of `canvases` (ranges resolved) in ONE read
/// of the raster's rows (`resample_in_one_read`), on the threads of `canvases[0]`: each
/// canvas's values, row-major from the top, for [`render_resampled`]. Not for `mode`
/// downsampling, which each render resamples on its own.
pub(crate) fn resample_raster_canvases(
    raster: &RasterInput<'_>,
    canvases: &[RenderOptions],
    progress: &dyn Progress,
) -> Result<Vec<Vec<f64>>> {
    let Some(first) = canvases.first() else {
        return Ok(Vec::new());
    };
    let pool = super::thread_pool(first)?;
    pool.install(|| {
        let axes =
            canvases.iter().map(|options| RasterCanvas::new(raster, options)).collect::<Result<Vec<_>>>()?;
        let resamplers = axes
            .iter()
            .map(|c| Resampler::new(raster.grid, &raster.placement, &c.x, &c.y, raster.how))
            .collect::<Result<Vec<_>>>()?;
        resample_in_one_read(&resamplers, progress)
    })
}

/// Renders `raster` on the canvas of `options` from `values`, its resample onto that canvas
/// ([`resample_raster_canvases`]), into every sink: the bytes [`render_raster`] writes.
pub(crate) fn render_resampled(
    raster: &RasterInput<'_>,
    values: Vec<f64>,
    options: &RenderOptions,
    sinks: Vec<Box<dyn Sink>>,
    progress: &dyn Progress,
) -> Result<RenderReport> {
    options.validate()?;
    let pool = super::thread_pool(options)?;
    pool.install(|| {
        let canvas = RasterCanvas::new(raster, options)?;
        let width = canvas.plan.width as usize;
        if values.len() != width * canvas.plan.height as usize {
            return Err(Error::usage("render_resampled", "the values are not those of this canvas"));
        }
        canvas.render(raster, &Resampled { values, width }, options, sinks, progress)
    })
}

/// A canvas's values resampled beforehand, handed out band by band.
struct Resampled {
    values: Vec<f64>,
    width: usize,
}

impl Fill<ResampledReducer> for Resampled {
    fn layout(&self, plan: &Plan, band: u32) -> TileLayout {
        TileLayout::whole_rows(plan, band)
    }

    fn fill(
        &self,
        _reducer: &ResampledReducer,
        _plan: &Plan,
        layout: &TileLayout,
        _band: u32,
        cells: &mut [f64],
    ) -> Result<()> {
        let rows = layout.canvas_rows();
        let values = &self.values[rows.start as usize * self.width..rows.end as usize * self.width];
        cells.copy_from_slice(values);
        Ok(())
    }
}

/// What a raster render's passes need besides the values: the reducer, plan and axes.
struct RasterCanvas {
    dtype: DType,
    plan: Plan,
    x: Axis,
    y: Axis,
    x_range: (f64, f64),
    y_range: (f64, f64),
}

impl RasterCanvas {
    /// The canvas of `options` for `raster` (ranges defaulting to its extent).
    fn new(raster: &RasterInput<'_>, options: &RenderOptions) -> Result<RasterCanvas> {
        raster.placement.check()?;
        let (x0, x1, y0, y1) = raster.placement.extent;
        let dtype = match output_dtype(raster.how, raster.grid.dtype()) {
            DType::F32 => DType::F32,
            _ => DType::F64,
        };
        let plan = plan(options, ResampledReducer::new(dtype).plan_bytes())?;
        let x_range = options.x_range.unwrap_or((x0, x1));
        let y_range = options.y_range.unwrap_or((y0, y1));
        let x = Axis::new(Field::XRange, x_range, plan.width, options.x_scale)?;
        let y = Axis::new(Field::YRange, y_range, plan.height, options.y_scale)?;
        Ok(RasterCanvas { dtype, plan, x, y, x_range, y_range })
    }

    /// The statistics and emit passes over the values `fill` gives, into every sink.
    fn render(
        &self,
        raster: &RasterInput<'_>,
        fill: &dyn Fill<ResampledReducer>,
        options: &RenderOptions,
        mut sinks: Vec<Box<dyn Sink>>,
        progress: &dyn Progress,
    ) -> Result<RenderReport> {
        let RasterCanvas { dtype, ref plan, x_range, y_range, .. } = *self;
        let reducer = ResampledReducer::new(dtype);
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
            finish(&reducer, fill, plan, options, (sinks, None), progress, &|| {
                raster.grid.check_unchanged()
            })?;
        let plan = plan.clone();
        Ok(RenderReport { points: 0, plotted: 0, x_range, y_range, plan, dynspread_px, warnings })
    }
}
