//! Shading and spreading of arrays already in memory (`gp.shade`, `gp.spread`,
//! `gp.dynspread`), through the library's shaders, with the GIL released.

use gigaplot::shading::{self as array, DensityStats, ShadeStyle};
use gigaplot::{Color, Colormap, How, SpreadShape as Shape, Spreader};
use numpy::{PyArray1, PyReadonlyArray2, PyReadonlyArray3, PyUntypedArrayMethods};
use pyo3::prelude::*;
use std::str::FromStr;

use crate::errors::bad;

/// A colormap from a name (`inferno`, `fire_r`...) or a list of colours.
#[derive(FromPyObject)]
pub enum CmapArg {
    /// A colormap name.
    Name(String),
    /// Colours, CSS names or #rrggbb.
    Colors(Vec<String>),
}

/// The library colormap of `cmap`.
fn colormap(cmap: CmapArg) -> PyResult<Colormap> {
    match cmap {
        CmapArg::Name(name) => Colormap::parse(&name).map_err(|e| bad("cmap", e)),
        CmapArg::Colors(colors) => {
            let rgb = colors
                .iter()
                .map(|c| Color::parse(c).map(|c| [c.r, c.g, c.b]))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad("cmap", e))?;
            if rgb.is_empty() {
                return Err(bad("cmap", "give at least one colour"));
            }
            Ok(Colormap::from_colors("custom", rgb))
        }
    }
}

/// The transfer function `how` (`eq_hist` or `eq-hist`, `linear`, `log`, `cbrt`).
fn how(how: &str) -> PyResult<How> {
    How::from_str(&how.replace('_', "-")).map_err(|e| bad("how", e))
}

/// Shades a uint32 count aggregate (H, W), row 0 first as given; returns RGBA bytes.
#[pyfunction]
pub fn shade_counts<'py>(
    py: Python<'py>,
    counts: PyReadonlyArray2<'py, u32>,
    cmap: CmapArg,
    how_: &str,
) -> PyResult<Bound<'py, PyArray1<u8>>> {
    let (cmap, how) = (colormap(cmap)?, how(how_)?);
    let width = counts.shape()[1];
    let values = counts.as_slice().map_err(|_| bad("agg", "the aggregate is not contiguous"))?;
    let style = ShadeStyle { how, cmap: &cmap, background: Color::TRANSPARENT, color_key: None };
    let rgba = py.detach(|| array::shade_counts(values, width, &style));
    Ok(PyArray1::from_vec(py, rgba))
}

/// Shades a float64 aggregate (H, W), NaN empty; returns RGBA bytes.
#[pyfunction]
pub fn shade_values<'py>(
    py: Python<'py>,
    values: PyReadonlyArray2<'py, f64>,
    cmap: CmapArg,
    how_: &str,
) -> PyResult<Bound<'py, PyArray1<u8>>> {
    let (cmap, how) = (colormap(cmap)?, how(how_)?);
    let width = values.shape()[1];
    let values = values.as_slice().map_err(|_| bad("agg", "the aggregate is not contiguous"))?;
    let style = ShadeStyle { how, cmap: &cmap, background: Color::TRANSPARENT, color_key: None };
    let rgba = py.detach(|| array::shade_values(values, width, &style));
    Ok(PyArray1::from_vec(py, rgba))
}

/// Shades a uint32 per-category aggregate (H, W, C) by colour mixing; returns RGBA bytes.
#[pyfunction]
pub fn shade_categories<'py>(
    py: Python<'py>,
    counts: PyReadonlyArray3<'py, u32>,
    color_key: Vec<String>,
    how_: &str,
    min_alpha: u8,
    alpha: u8,
) -> PyResult<Bound<'py, PyArray1<u8>>> {
    let how = how(how_)?;
    let key = color_key
        .iter()
        .map(|c| Color::parse(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("color_key", e))?;
    let shape = counts.shape().to_vec();
    let values = counts.as_slice().map_err(|_| bad("agg", "the aggregate is not contiguous"))?;
    let rgba = py.detach(|| {
        array::shade_categories(values, shape[1], shape[2], &key, how, (min_alpha, alpha), Color::TRANSPARENT)
    });
    Ok(PyArray1::from_vec(py, rgba))
}

/// The spread shape `circle` or `square`.
fn shape(shape: &str) -> PyResult<Shape> {
    Shape::from_str(shape).map_err(|e| bad("shape", e))
}

/// Spreads an RGBA image (H, W, 4) by `px` pixels as Datashader's `tf.spread`.
#[pyfunction]
pub fn spread<'py>(
    py: Python<'py>,
    rgba: PyReadonlyArray3<'py, u8>,
    px: usize,
    shape_: &str,
) -> PyResult<Bound<'py, PyArray1<u8>>> {
    let spreader = Spreader::new(px, shape(shape_)?);
    let width = rgba.shape()[1];
    let pixels = rgba.as_slice().map_err(|_| bad("img", "the image is not contiguous"))?;
    let out = py.detach(|| spreader.spread_image(pixels, width));
    Ok(PyArray1::from_vec(py, out))
}

/// The spread Datashader's `tf.dynspread(img, threshold, max_px)` chooses for an RGBA
/// image (H, W, 4).
#[pyfunction]
pub fn dynspread_px(
    py: Python<'_>,
    rgba: PyReadonlyArray3<'_, u8>,
    max_px: usize,
    threshold: f64,
) -> PyResult<usize> {
    let width = rgba.shape()[1];
    let pixels = rgba.as_slice().map_err(|_| bad("img", "the image is not contiguous"))?;
    Ok(py.detach(|| {
        let mut stats = DensityStats::new(max_px);
        if width > 0 {
            let rows: Vec<&[u8]> = pixels.chunks_exact(4 * width).collect();
            stats.add_rows(&rows, 0, rows.len());
        }
        stats.dynspread_px(threshold)
    }))
}

/// The colours of a named colormap as `#rrggbb` strings (to hand the same colormap to
/// Datashader, or to inspect it).
#[pyfunction]
pub fn colormap_colors(name: &str) -> PyResult<Vec<String>> {
    let cmap = Colormap::parse(name).map_err(|e| bad("cmap", e))?;
    Ok(cmap.colors().iter().map(|[r, g, b]| format!("#{r:02x}{g:02x}{b:02x}")).collect())
}

/// Datashader's default category colours (Sets1to3) for `categories` categories, as
/// `#rrggbb` strings.
#[pyfunction]
pub fn default_color_key(categories: usize) -> Vec<String> {
    gigaplot::shading::default_color_key(categories)
        .iter()
        .map(|c| format!("#{:02x}{:02x}{:02x}", c.r, c.g, c.b))
        .collect()
}

/// `(r, g, b, a)` of a colour: `transparent`, a CSS name or `#rrggbb[aa]`.
#[pyfunction]
pub fn parse_color(color: &str) -> PyResult<(u8, u8, u8, u8)> {
    let c = Color::parse(color).map_err(|e| bad("color", e))?;
    Ok((c.r, c.g, c.b, c.a))
}
