//! `DIR/metadata.json`: what a pyramid holds, for the viewer and for people.

use std::path::Path;

use crate::canvas::Scale;
use crate::error::{Error, Result};
use crate::pyramid::plan::data_extent;
use crate::pyramid::PyramidPlan;
use crate::shade::{Color, Colormap, CountHistogram, How};

/// The TileJSON file of a web-mercator pyramid.
pub const TILEJSON: &str = "tilejson.json";

/// The `format` field of `metadata.json`.
pub const METADATA_FORMAT: &str = "gigaplot-pyramid";

/// A data-coordinate rectangle.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Extent {
    /// x of the left and right edges.
    pub x: (f64, f64),
    /// y of the bottom and top edges.
    pub y: (f64, f64),
}

/// One level in `metadata.json`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LevelMetadata {
    /// Zoom, 0 = coarsest.
    pub zoom: u32,
    /// Finest pixels per pixel of this level along each axis.
    pub factor: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Tiles across.
    pub tiles_x: u32,
    /// Tiles down.
    pub tiles_y: u32,
    /// Data coordinates of the level's pixels (extended past the ranges by the padding of
    /// its last column and row).
    pub extent: Extent,
    /// Smallest and largest non-zero count at this level.
    pub count_range: Option<(u32, u32)>,
    /// Non-empty pixels at this level.
    pub nonzero_pixels: u64,
}

/// Everything `metadata.json` records.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PyramidMetadata {
    /// Always `METADATA_FORMAT`.
    pub format: String,
    /// Format version, 1.
    pub version: u32,
    /// Tile URL template relative to the pyramid directory.
    pub tiles: String,
    /// Tile side in pixels.
    pub tile: u32,
    /// Coarsest zoom, 0.
    pub min_zoom: u32,
    /// Finest zoom.
    pub max_zoom: u32,
    /// Canvas (finest level) width in pixels.
    pub width: u32,
    /// Canvas height in pixels.
    pub height: u32,
    /// x range of the canvas.
    pub x_range: (f64, f64),
    /// y range of the canvas.
    pub y_range: (f64, f64),
    /// x axis scale.
    pub x_scale: Scale,
    /// y axis scale.
    pub y_scale: Scale,
    /// Data coordinates of the whole tile grid: the zoom-0 tile, `tile * 2^max_zoom`
    /// finest pixels square from the top-left corner.
    pub extent: Extent,
    /// Every level, coarsest first.
    pub levels: Vec<LevelMetadata>,
    /// Colormap name.
    pub colormap: String,
    /// The colormap's colours as `#rrggbb`, for a colour bar.
    pub colors: Vec<String>,
    /// Transfer function.
    pub how: How,
    /// Colour of empty pixels, `#rrggbbaa`.
    pub background: String,
    /// The level whose statistics shade every level, if fixed.
    pub span_from_level: Option<u32>,
    /// `web-mercator` for EPSG:3857 tiles of longitudes and latitudes (the viewer then
    /// shows a web map), absent for the canvas's own pixel grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection: Option<String>,
    /// A basemap tile URL template the viewer shows under the tiles (`--basemap`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basemap: Option<String>,
    /// The categories of a count-cat pyramid and their colours, for the viewers' legend
    /// (absent for other reductions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<CategoryEntry>>,
}

/// One category of a count-cat pyramid: its name and the colour the shading gives it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CategoryEntry {
    /// The category's name (the column's label, or its code).
    pub name: String,
    /// Its colour, `#rrggbb`.
    pub color: String,
}

impl CategoryEntry {
    /// The entries of a legend's (name, colour) pairs.
    pub fn list(legend: Vec<(String, Color)>) -> Vec<CategoryEntry> {
        legend
            .into_iter()
            .map(|(name, c)| CategoryEntry { name, color: format!("#{:02x}{:02x}{:02x}", c.r, c.g, c.b) })
            .collect()
    }
}

/// The axes of a canvas: `(range, scale)` for x and y.
pub type Axes = (((f64, f64), Scale), ((f64, f64), Scale));

impl PyramidMetadata {
    /// The metadata of `plan`'s pyramid, shaded with `levels` (one histogram per zoom).
    pub fn new(
        plan: &PyramidPlan,
        (x, y): Axes,
        levels: &[CountHistogram],
        (how, cmap, background): (How, &Colormap, Color),
        span_from_level: Option<u32>,
    ) -> PyramidMetadata {
        let canvas = (plan.width, plan.height);
        let extent_of = |columns: u64, rows: u64| {
            let (x, y) = data_extent(x, y, canvas, columns, rows);
            Extent { x, y }
        };
        let side = u64::from(plan.tile) << plan.max_zoom;
        let level_info = plan
            .all_levels()
            .iter()
            .map(|l| {
                let hist = levels.get(l.zoom as usize);
                LevelMetadata {
                    zoom: l.zoom,
                    factor: l.factor,
                    width: l.width,
                    height: l.height,
                    tiles_x: l.tiles_x,
                    tiles_y: l.tiles_y,
                    extent: extent_of(u64::from(l.width) * l.factor, u64::from(l.height) * l.factor),
                    count_range: hist.and_then(|h| h.min_max()),
                    nonzero_pixels: hist.map_or(0, |h| h.pixels()),
                }
            })
            .collect();
        PyramidMetadata {
            format: METADATA_FORMAT.into(),
            version: 1,
            tiles: "{z}/{x}/{y}.png".into(),
            tile: plan.tile,
            min_zoom: 0,
            max_zoom: plan.max_zoom,
            width: plan.width,
            height: plan.height,
            x_range: x.0,
            y_range: y.0,
            x_scale: x.1,
            y_scale: y.1,
            extent: extent_of(side, side),
            levels: level_info,
            colormap: cmap.name().to_string(),
            colors: cmap.colors().iter().map(|[r, g, b]| format!("#{r:02x}{g:02x}{b:02x}")).collect(),
            how,
            background: format!(
                "#{:02x}{:02x}{:02x}{:02x}",
                background.r, background.g, background.b, background.a
            ),
            span_from_level,
            projection: None,
            basemap: None,
            categories: None,
        }
    }

    /// Writes `dir/metadata.json` atomically, after `dir/tilejson.json` for web-mercator
    /// tiles.
    pub fn write(&self, dir: &Path) -> Result<()> {
        if self.projection.is_some() {
            crate::io::write_atomically(&dir.join(TILEJSON), self.tilejson().as_bytes())?;
        }
        let path = dir.join("metadata.json");
        crate::io::write_atomically(&path, self.to_json(&path)?.as_bytes())
    }

    /// The text of `metadata.json` (errors name `path`).
    pub fn to_json(&self, path: &Path) -> Result<String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::bad_input(path, e.to_string()))?;
        Ok(format!("{text}\n"))
    }

    /// The TileJSON 3.0.0 description of web-mercator tiles (tile URLs relative to the
    /// pyramid directory, the web-map world as bounds).
    pub fn tilejson(&self) -> String {
        let lat = crate::data::projection::MAX_LATITUDE;
        let json = serde_json::json!({
            "tilejson": "3.0.0",
            "name": "gigaplot",
            "scheme": "xyz",
            "tiles": [self.tiles],
            "minzoom": self.min_zoom,
            "maxzoom": self.max_zoom,
            "bounds": [-180.0, -lat, 180.0, lat],
            "center": [0.0, 0.0, 0],
        });
        format!("{}\n", serde_json::to_string_pretty(&json).unwrap_or_default())
    }

    /// Reads `dir/metadata.json`.
    pub fn read(dir: &Path) -> Result<PyramidMetadata> {
        let path = dir.join("metadata.json");
        let text = crate::io::file_kind::read_input_to_string(&path)?;
        serde_json::from_str(&text)
            .map_err(|e| Error::bad_input(&path, format!("is not pyramid metadata: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_levels_extents_and_shading() {
        let plan = PyramidPlan::new(1000, 300, 256).unwrap();
        let mut h = CountHistogram::new();
        h.add_counts(&[0, 3, 9, 3]);
        let cmap = Colormap::from_colors("two", vec![[0, 0, 0], [255, 128, 1]]);
        let axes = (((0.0, 1000.0), Scale::Linear), ((0.0, 300.0), Scale::Linear));
        let m = PyramidMetadata::new(
            &plan,
            axes,
            &[CountHistogram::new(), h.clone(), h],
            (How::Log, &cmap, Color::rgb(1, 2, 3)),
            None,
        );
        assert_eq!((m.max_zoom, m.tile, m.levels.len()), (2, 256, 3));
        assert_eq!(m.extent, Extent { x: (0.0, 1024.0), y: (-724.0, 300.0) });
        assert_eq!(m.levels[0].extent, Extent { x: (0.0, 1000.0), y: (0.0, 300.0) });
        assert_eq!(m.levels[1].count_range, Some((3, 9)));
        assert_eq!(m.levels[0].count_range, None);
        assert_eq!(m.colors, ["#000000", "#ff8001"]);
        assert_eq!(m.background, "#010203ff");
        let dir = tempfile::tempdir().unwrap();
        m.write(dir.path()).unwrap();
        assert_eq!(PyramidMetadata::read(dir.path()).unwrap(), m);
        let text = std::fs::read_to_string(dir.path().join("metadata.json")).unwrap();
        assert!(text.contains("\"how\": \"log\""), "{text}");
        assert!(text.contains("\"tiles\": \"{z}/{x}/{y}.png\""), "{text}");
    }
}
