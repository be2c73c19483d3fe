//! `Canvas.raster`: a 2-D `.npy` array resampled onto the canvas by the library's raster
//! glyph (`render_raster`), kept in memory as [`crate::render::aggregate`] keeps points.

use std::str::FromStr;

use gigaplot::Progress;
use gigaplot::{render_raster, Downsample, Grid, Origin, RasterInput, RasterPlacement, Upsample};
use pyo3::prelude::*;

use crate::errors::{bad, to_py};
use crate::render::{canvas_options, in_memory, to_python, Aggregated};
use crate::run::interruptible;

/// Resamples the 2-D `.npy` file `path`, whose outer edges lie at `extent` = (x0, x1, y0,
/// y1) with row 0 at the top (`origin` "upper") or bottom ("lower"), onto a `width` x
/// `height` canvas over the ranges (None: the extent), by `downsample` where a pixel spans
/// several cells and `upsample` where it is smaller. Returns what [`crate::render::aggregate`]
/// returns.
#[pyfunction]
#[pyo3(signature = (path, width, height, x_range, y_range, extent, origin="upper", downsample="mean", upsample="linear", memory=None, scales=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn aggregate_raster<'py>(
    py: Python<'py>,
    path: &str,
    width: u32,
    height: u32,
    x_range: Option<(f64, f64)>,
    y_range: Option<(f64, f64)>,
    extent: Option<(f64, f64, f64, f64)>,
    origin: &str,
    downsample: &str,
    upsample: &str,
    memory: Option<u64>,
    scales: Option<(String, String)>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Aggregated<'py>> {
    let how = (
        Downsample::from_str(downsample).map_err(|e| bad("agg", e))?,
        Upsample::from_str(upsample).map_err(|e| bad("interpolate", e))?,
    );
    let origin = Origin::from_str(origin).map_err(|e| bad("origin", e))?;
    let options = canvas_options((width, height), (x_range, y_range), memory, scales.as_ref())?;
    let grid = Grid::open(path).map_err(to_py)?;
    let placement = match extent {
        Some(extent) => RasterPlacement { extent, origin },
        None => RasterPlacement { origin, ..RasterPlacement::unit_cells(&grid) },
    };
    let (array, report) = interruptible(py, progress, |progress: &dyn Progress| {
        let input = RasterInput { grid: &grid, placement, how };
        in_memory(|sinks| render_raster(&input, &options, sinks, progress))
    })?;
    Ok(to_python(py, array, &report))
}
