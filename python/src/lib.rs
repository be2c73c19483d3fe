//! The `gigaplot._gigaplot` extension module: the thin layer between Python and the
//! gigaplot library. It borrows NumPy columns without copying them, runs renders with the
//! GIL released (checking for Ctrl-C and calling the progress callback every 100 ms),
//! and maps the library's errors onto Python exceptions carrying the same one-line
//! messages. The Datashader-shaped API lives in the pure-Python package beside it.

mod by;
mod columns;
mod converted;
mod errors;
mod raster;
mod render;
mod run;
mod shade;

use pyo3::prelude::*;

#[pymodule]
fn _gigaplot(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(render::aggregate, m)?)?;
    m.add_function(wrap_pyfunction!(render::render_file, m)?)?;
    m.add_function(wrap_pyfunction!(by::aggregate_by, m)?)?;
    m.add_function(wrap_pyfunction!(raster::aggregate_raster, m)?)?;
    m.add_function(wrap_pyfunction!(shade::shade_counts, m)?)?;
    m.add_function(wrap_pyfunction!(shade::shade_values, m)?)?;
    m.add_function(wrap_pyfunction!(shade::shade_categories, m)?)?;
    m.add_function(wrap_pyfunction!(shade::spread, m)?)?;
    m.add_function(wrap_pyfunction!(shade::dynspread_px, m)?)?;
    m.add_function(wrap_pyfunction!(shade::colormap_colors, m)?)?;
    m.add_function(wrap_pyfunction!(shade::default_color_key, m)?)?;
    m.add_function(wrap_pyfunction!(shade::parse_color, m)?)?;
    Ok(())
}
