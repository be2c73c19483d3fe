//! The shape of a pyramid: how many zoom levels, how big each level is, how many tiles.
//!
//! Zoom `max_zoom` is the finest level, the canvas itself; zoom `z` is `2^(max_zoom - z)`
//! times coarser in both directions, its pixel (i, j) the sum of the finest block
//! `[i f, i f + f) x [j f, j f + f)` with `f = 2^(max_zoom - z)` (missing finest pixels past
//! the right and bottom edges count as empty). Zoom 0 fits in one tile.

use crate::canvas::Scale;
use crate::error::{Error, Field, Result};

/// Default tile side of a pyramid, as slippy maps expect.
pub const DEFAULT_PYRAMID_TILE: u32 = 256;

/// The levels and tile grid of a pyramid over a `width x height` canvas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PyramidPlan {
    /// Width of the finest level (the canvas) in pixels.
    pub width: u32,
    /// Height of the finest level in pixels.
    pub height: u32,
    /// Tile side in pixels.
    pub tile: u32,
    /// The finest zoom: `ceil(log2(max(width, height) / tile))`, at least 0.
    pub max_zoom: u32,
}

/// One level of a [`PyramidPlan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    /// Zoom (0 = coarsest, one tile).
    pub zoom: u32,
    /// Finest pixels per pixel of this level, along each axis: `2^(max_zoom - zoom)`.
    pub factor: u64,
    /// Width in pixels: `ceil(canvas width / factor)`.
    pub width: u32,
    /// Height in pixels: `ceil(canvas height / factor)`.
    pub height: u32,
    /// Tiles across: `ceil(width / tile)`.
    pub tiles_x: u32,
    /// Tiles down: `ceil(height / tile)`.
    pub tiles_y: u32,
}

impl PyramidPlan {
    /// Plans the pyramid of a `width x height` canvas cut into `tile`-pixel tiles. Fails
    /// (naming `pyramid.tile` or `width`) on zero sizes or a tile outside 16..=4096.
    pub fn new(width: u32, height: u32, tile: u32) -> Result<PyramidPlan> {
        if !(16..=4096).contains(&tile) {
            return Err(Error::bad_parameter(
                Field::PyramidTile,
                format!("a tile of {tile} px cannot work; give 16 to 4096 (256 is standard)"),
            ));
        }
        if width == 0 || height == 0 {
            return Err(Error::bad_parameter(Field::Width, "the canvas has no pixels"));
        }
        let side = u64::from(width.max(height));
        let mut max_zoom = 0;
        while u64::from(tile) << max_zoom < side {
            max_zoom += 1;
        }
        Ok(PyramidPlan { width, height, tile, max_zoom })
    }

    /// Number of levels, `max_zoom + 1`.
    pub fn levels(&self) -> u32 {
        self.max_zoom + 1
    }

    /// The level at `zoom` (`zoom <= max_zoom`).
    pub fn level(&self, zoom: u32) -> Level {
        assert!(zoom <= self.max_zoom, "zoom {zoom} beyond the finest level {}", self.max_zoom);
        let factor = 1u64 << (self.max_zoom - zoom);
        let width = u64::from(self.width).div_ceil(factor) as u32;
        let height = u64::from(self.height).div_ceil(factor) as u32;
        Level {
            zoom,
            factor,
            width,
            height,
            tiles_x: width.div_ceil(self.tile),
            tiles_y: height.div_ceil(self.tile),
        }
    }

    /// Every level, coarsest first.
    pub fn all_levels(&self) -> Vec<Level> {
        (0..=self.max_zoom).map(|z| self.level(z)).collect()
    }

    /// Tile rows of the finest level.
    pub fn finest_tile_rows(&self) -> u32 {
        self.level(self.max_zoom).tiles_y
    }

    /// Total number of tiles of the full grid (empty ones included).
    pub fn tile_count(&self) -> u64 {
        self.all_levels().iter().map(|l| u64::from(l.tiles_x) * u64::from(l.tiles_y)).sum()
    }
}

/// Data coordinate of the finest-pixel edge `p` (0 = `range.0`, `pixels` = `range.1`) on an
/// axis of `pixels` bins; `p` may exceed `pixels` (the padded extent of coarse levels).
pub fn data_edge(range: (f64, f64), scale: Scale, pixels: u32, p: f64) -> f64 {
    let (lo, hi) = (scale.forward(range.0), scale.forward(range.1));
    scale.inverse(lo + (hi - lo) * p / f64::from(pixels))
}

/// The data extent `((x_left, x_right), (y_bottom, y_top))` of `columns x rows` finest
/// pixels from the top-left corner of a canvas with the given ranges: rows count from the
/// top, so extra rows extend y below the range.
pub fn data_extent(
    x: ((f64, f64), Scale),
    y: ((f64, f64), Scale),
    canvas: (u32, u32),
    columns: u64,
    rows: u64,
) -> ((f64, f64), (f64, f64)) {
    let x_right = data_edge(x.0, x.1, canvas.0, columns as f64);
    let y_bottom = data_edge(y.0, y.1, canvas.1, f64::from(canvas.1) - rows as f64);
    ((x.0 .0, x_right), (y_bottom, y.0 .1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finest_zoom_is_ceil_log2_of_the_side_over_the_tile() {
        let z = |w, h| PyramidPlan::new(w, h, 256).unwrap().max_zoom;
        assert_eq!(
            [z(1, 1), z(256, 256), z(257, 10), z(10, 512), z(513, 1), z(1_000_000, 3)],
            [0, 0, 1, 1, 2, 12]
        );
    }

    #[test]
    fn levels_round_up_and_zoom_0_is_one_tile() {
        let plan = PyramidPlan::new(1000, 300, 256).unwrap();
        assert_eq!(plan.max_zoom, 2);
        let sizes: Vec<_> =
            plan.all_levels().iter().map(|l| (l.factor, l.width, l.height, l.tiles_x, l.tiles_y)).collect();
        assert_eq!(sizes, [(4, 250, 75, 1, 1), (2, 500, 150, 2, 1), (1, 1000, 300, 4, 2)]);
        assert_eq!(plan.tile_count(), 1 + 2 + 8);
        assert_eq!(plan.finest_tile_rows(), 2);
    }

    #[test]
    fn bad_tiles_and_empty_canvases_are_refused() {
        assert!(matches!(PyramidPlan::new(10, 10, 8), Err(Error::BadParameter { .. })));
        assert!(matches!(PyramidPlan::new(0, 10, 256), Err(Error::BadParameter { .. })));
    }

    #[test]
    fn the_padded_extent_grows_right_and_down() {
        let ext = data_extent(((0.0, 10.0), Scale::Linear), ((-5.0, 5.0), Scale::Linear), (100, 50), 128, 64);
        assert_eq!(ext, ((0.0, 12.8), (-7.8, 5.0)));
        assert_eq!(data_edge((1.0, 100.0), Scale::Log, 2, 4.0), 10_000.0);
    }
}
