//! The display list of a figure and its compositing, band by band.
//!
//! Decorations are shapes in figure pixel coordinates: axis-aligned rectangles (lines, ticks,
//! frames, swatches) with EXACT analytic coverage, colour ramps (the colour bar) on integer
//! pixels, and glyphs whose masks are rasterised whole, each on its own (see [`super::text`]).
//! Every pixel's value therefore depends only on the pixel's own coordinates, never on which
//! band it is drawn in: any split of the figure into bands gives the same bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::shade::Color;

use super::text::{rasterize, GlyphKey, GlyphMask, PlacedGlyph};

/// Bytes of glyph masks kept between bands before the cache is emptied.
const GLYPH_CACHE_BYTES: usize = 32 << 20;

/// One decoration, in paint order.
#[derive(Clone, Debug)]
pub enum Shape {
    /// A filled rectangle `[x0, x1) x [y0, y1)` (figure pixels, fractional edges are
    /// anti-aliased by exact area coverage).
    Rect {
        /// Left edge.
        x0: f64,
        /// Top edge.
        y0: f64,
        /// Right edge.
        x1: f64,
        /// Bottom edge.
        y1: f64,
        /// Fill colour.
        color: Color,
    },
    /// Integer rectangle whose rows take `colors` from the last (top row) to the first
    /// (bottom row): the colour bar.
    Ramp {
        /// Left column.
        x0: i64,
        /// Top row.
        y0: i64,
        /// One past the right column.
        x1: i64,
        /// One past the bottom row.
        y1: i64,
        /// Colours from low (bottom) to high (top).
        colors: Arc<[Color]>,
    },
    /// A glyph mask painted in `color`.
    Glyph {
        /// Where the mask goes.
        glyph: PlacedGlyph,
        /// Text colour.
        color: Color,
    },
}

impl Shape {
    /// The pixel rows `[first, end)` the shape may touch.
    fn rows(&self) -> (i64, i64) {
        match self {
            Shape::Rect { y0, y1, .. } => (y0.floor() as i64, y1.ceil() as i64),
            Shape::Ramp { y0, y1, .. } => (*y0, *y1),
            Shape::Glyph { glyph, .. } => (glyph.top, glyph.top + i64::from(glyph.height)),
        }
    }

    /// The pixel columns `[first, end)` the shape may touch.
    pub fn columns(&self) -> (i64, i64) {
        match self {
            Shape::Rect { x0, x1, .. } => (x0.floor() as i64, x1.ceil() as i64),
            Shape::Ramp { x0, x1, .. } => (*x0, *x1),
            Shape::Glyph { glyph, .. } => (glyph.left, glyph.left + i64::from(glyph.width)),
        }
    }

    /// The pixel rectangle `(x0, y0, x1, y1)`, ends excluded, the shape may touch.
    pub fn bounds(&self) -> (i64, i64, i64, i64) {
        let ((x0, x1), (y0, y1)) = (self.columns(), self.rows());
        (x0, y0, x1, y1)
    }
}

/// The figure's shapes plus a cache of glyph masks shared by the bands.
#[derive(Debug, Default)]
pub struct DisplayList {
    shapes: Vec<Shape>,
    cache: Mutex<HashMap<GlyphKey, Arc<GlyphMask>>>,
    /// Anti-aliasing coverage rounded to [`COVERAGE_LEVELS`] levels (a figure written with
    /// a palette, [`super::palette`]), rather than exact.
    quantised: bool,
}

/// Levels of anti-aliasing coverage (0 and full included) a quantised figure keeps: few
/// enough that text and lines blend with their background into a small, known set of
/// colours, enough that 12 px text looks the same.
pub const COVERAGE_LEVELS: u32 = 16;

/// `cover` (0..=255) rounded to the nearest of [`COVERAGE_LEVELS`] evenly spaced levels.
#[inline]
pub fn quantise(cover: u32) -> u32 {
    let steps = COVERAGE_LEVELS - 1;
    (cover.min(255) * steps + 127) / 255 * (255 / steps)
}

/// A shape of one band, glyphs resolved to their masks.
#[derive(Debug)]
enum BandShape {
    Shape(Shape),
    Glyph { mask: Arc<GlyphMask>, left: i64, top: i64, color: Color },
}

/// The decorations that cross one band of figure rows, ready to composite row by row.
#[derive(Debug)]
pub struct BandDecorations {
    y0: u32,
    rows: u32,
    shapes: Vec<BandShape>,
    /// Coverage rounded to [`COVERAGE_LEVELS`] levels.
    quantised: bool,
}

impl DisplayList {
    /// Appends a shape above the ones already there.
    pub fn push(&mut self, shape: Shape) {
        self.shapes.push(shape);
    }

    /// The shapes, in paint order.
    pub fn shapes(&self) -> &[Shape] {
        &self.shapes
    }

    /// The shapes, to recolour (a colour bar drawn in fewer steps).
    pub fn shapes_mut(&mut self) -> &mut [Shape] {
        &mut self.shapes
    }

    /// Rounds anti-aliasing coverage to [`COVERAGE_LEVELS`] levels from now on (true), or
    /// keeps it exact (false, the default).
    pub fn set_quantised(&mut self, quantised: bool) {
        self.quantised = quantised;
    }

    /// Appends a rectangle, skipping empty ones.
    pub fn rect(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, color: Color) {
        if x1 > x0 && y1 > y0 && color.a > 0 {
            self.push(Shape::Rect { x0, y0, x1, y1, color });
        }
    }

    /// Appends the glyphs of a placed label.
    pub fn glyphs(&mut self, glyphs: Vec<PlacedGlyph>, color: Color) {
        for glyph in glyphs {
            self.push(Shape::Glyph { glyph, color });
        }
    }

    /// The mask of a glyph, rasterised now or taken from the cache.
    fn mask(&self, key: &GlyphKey) -> Option<Arc<GlyphMask>> {
        let mut cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(mask) = cache.get(key) {
            return Some(Arc::clone(mask));
        }
        let mask = Arc::new(rasterize(key)?);
        let bytes: usize = cache.values().map(|m| m.data.len()).sum();
        if bytes + mask.data.len() > GLYPH_CACHE_BYTES {
            cache.clear();
        }
        cache.insert(*key, Arc::clone(&mask));
        Some(mask)
    }

    /// The shapes crossing rows `[y0, y0 + rows)`, with their glyph masks.
    pub fn band(&self, y0: u32, rows: u32) -> BandDecorations {
        let (first, end) = (i64::from(y0), i64::from(y0) + i64::from(rows));
        let mut shapes = Vec::new();
        for shape in &self.shapes {
            let (a, b) = shape.rows();
            if b <= first || a >= end {
                continue;
            }
            match shape {
                Shape::Glyph { glyph, color } => {
                    if let Some(mask) = self.mask(&glyph.key) {
                        shapes.push(BandShape::Glyph {
                            mask,
                            left: glyph.left,
                            top: glyph.top,
                            color: *color,
                        });
                    }
                }
                other => shapes.push(BandShape::Shape(other.clone())),
            }
        }
        BandDecorations { y0, rows, shapes, quantised: self.quantised }
    }
}

/// Composites `color` with coverage `cover` (0..=255) over the RGBA pixel `px`, as every
/// decoration is painted (a palette figure enumerates the grid's colours with it).
#[inline]
pub fn blend(px: &mut [u8], color: Color, cover: u32) {
    if cover == 0 {
        return;
    }
    let a = (cover * u32::from(color.a) + 127) / 255;
    let below = Color { r: px[0], g: px[1], b: px[2], a: px[3] };
    let out = if a == 255 { Color { a: 255, ..color } } else { Color { a: a as u8, ..color }.over(below) };
    px.copy_from_slice(&out.to_array());
}

/// Length of the overlap of pixel `[i, i + 1)` with `[a, b)`.
#[inline]
fn overlap(i: i64, a: f64, b: f64) -> f64 {
    let (lo, hi) = (i as f64, (i + 1) as f64);
    (b.min(hi) - a.max(lo)).max(0.0)
}

/// Clamps the columns `[a, b)` to a row of `width` pixels.
fn columns(a: i64, b: i64, width: usize) -> std::ops::Range<usize> {
    let w = width as i64;
    (a.clamp(0, w) as usize)..(b.clamp(0, w) as usize)
}

impl BandDecorations {
    /// Number of shapes crossing the band (glyphs count one each).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    /// True when no decoration crosses the band.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// `cover` as painted: rounded to [`COVERAGE_LEVELS`] levels when quantised.
    #[inline]
    fn cover(&self, cover: u32) -> u32 {
        if self.quantised {
            quantise(cover)
        } else {
            cover
        }
    }

    /// The column ranges `[a, b)` (clamped to a row of `width` pixels, possibly
    /// overlapping) that the band's shapes may touch on figure row `y`: every pixel of the
    /// row outside them keeps what [`BandDecorations::composite_row`] is given.
    pub fn spans(&self, y: u32, width: usize) -> Vec<std::ops::Range<usize>> {
        let y = i64::from(y);
        let mut spans = Vec::new();
        for shape in &self.shapes {
            let ((a, b), (top, end)) = match shape {
                BandShape::Shape(shape) => (shape.columns(), shape.rows()),
                BandShape::Glyph { mask, left, top, .. } => {
                    ((*left, left + i64::from(mask.width)), (*top, top + i64::from(mask.height)))
                }
            };
            if y >= top && y < end {
                let span = columns(a, b, width);
                if !span.is_empty() {
                    spans.push(span);
                }
            }
        }
        spans
    }

    /// Composites the decorations of figure row `y` over `row_rgba`, a straight-alpha RGBA
    /// row of the whole figure width that already holds the background and data pixels.
    /// Rows outside the band are left unchanged.
    pub fn composite_row(&self, y: u32, row_rgba: &mut [u8]) {
        if y < self.y0 || y - self.y0 >= self.rows {
            return;
        }
        let width = row_rgba.len() / 4;
        let y = i64::from(y);
        for shape in &self.shapes {
            match shape {
                BandShape::Shape(Shape::Rect { x0, y0, x1, y1, color }) => {
                    let cy = overlap(y, *y0, *y1);
                    if cy <= 0.0 {
                        continue;
                    }
                    for x in columns(x0.floor() as i64, x1.ceil() as i64, width) {
                        let c = overlap(x as i64, *x0, *x1) * cy;
                        blend(
                            &mut row_rgba[4 * x..4 * x + 4],
                            *color,
                            self.cover((c * 255.0).round() as u32),
                        );
                    }
                }
                BandShape::Shape(Shape::Ramp { x0, y0, x1, y1, colors }) => {
                    if y < *y0 || y >= *y1 || colors.is_empty() {
                        continue;
                    }
                    let from_bottom = (*y1 - 1 - y) as usize;
                    let n = colors.len();
                    let index = (from_bottom * n / (*y1 - *y0) as usize).min(n - 1);
                    for x in columns(*x0, *x1, width) {
                        blend(&mut row_rgba[4 * x..4 * x + 4], colors[index], 255);
                    }
                }
                BandShape::Shape(Shape::Glyph { .. }) => {}
                BandShape::Glyph { mask, left, top, color } => {
                    let r = y - top;
                    if r < 0 || r >= i64::from(mask.height) {
                        continue;
                    }
                    let line = &mask.data[(r as usize) * mask.width as usize..][..mask.width as usize];
                    for x in columns(*left, left + i64::from(mask.width), width) {
                        let c = line[(x as i64 - left) as usize];
                        blend(&mut row_rgba[4 * x..4 * x + 4], *color, self.cover(u32::from(c)));
                    }
                }
            }
        }
    }
}
