//! A figure's colour set, when it fits a PNG palette: what lets a figure of a palette plot
//! (counts under any `--how`) be written with indexed colour like the bare image.
//!
//! A figure's pixels are the background, the data area's pixels (the plot's palette,
//! composited over the background) and the decorations painted over the margins. The
//! decorations are made palette-ready first: anti-aliasing coverage is rounded to
//! [`COVERAGE_LEVELS`](super::display::COVERAGE_LEVELS) levels, so text and lines blend with what lies under them into a
//! small set of colours, and the colour bar is drawn in as many steps as the palette has room
//! for (never fewer than [`MIN_RAMP_STEPS`]). The margins are then composited once, band by
//! band, over the columns their shapes touch only (a few percent of a large figure), and
//! their colours counted exactly. When the union holds at most 256 colours the figure is
//! written indexed; otherwise it is drawn as before (exact coverage, the full colour bar)
//! and written truecolour, so a figure's pixels change only when it gets a palette.
//!
//! Everything here depends on the layout and the global statistics alone, so the palette,
//! and the file, are the same for every tile size, thread count and band split.

use std::collections::HashSet;
use std::sync::Arc;

use rayon::prelude::*;

use super::display::{BandDecorations, Shape};
use super::Figure;
use crate::shade::palette::{pack_indices, MAX_ENTRIES};
use crate::shade::{Color, Palette};
use crate::sink::Band;

/// Fewest steps a colour bar is drawn in to make room for the palette's other colours;
/// a figure that would need fewer stays truecolour.
pub const MIN_RAMP_STEPS: usize = 64;

/// Rows of the figure composited together while counting the margins' colours.
const SCAN_ROWS: u32 = 256;

/// A figure's palette and how the plot's palette indices map into it.
#[derive(Debug)]
pub struct FigurePalette {
    /// Every colour of the figure.
    pub palette: Arc<Palette>,
    /// The figure's index of each of the data palette's entries (composited over the
    /// background as the figure shows them).
    data_index: Vec<u8>,
    /// The figure's background, which transparent data pixels show.
    background: Color,
}

thread_local! {
    /// One figure row per thread: RGBA, then a byte per pixel of palette indices.
    static ROWS: std::cell::RefCell<(Vec<u8>, Vec<u8>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// A data pixel as the figure shows it: opaque as is, transparent as the background,
/// translucent composited over it.
pub fn over_background(px: [u8; 4], background: Color) -> [u8; 4] {
    match px[3] {
        255 => px,
        0 => background.to_array(),
        _ => Color { r: px[0], g: px[1], b: px[2], a: px[3] }.over(background).to_array(),
    }
}

/// Makes `figure` palette-ready and returns its palette, when the plot's colours `data` and
/// the decorations' fit 256 entries together; otherwise leaves `figure` as it was and
/// returns None (the figure is then written truecolour).
pub fn plan(figure: &mut Figure, data: &Palette) -> Option<FigurePalette> {
    let background = figure.background;
    let data_colors: Vec<[u8; 4]> = data.colors().iter().map(|&c| over_background(c, background)).collect();
    // The data area is copied as is: only decorations outside it are counted, so a shape
    // over the data (grid lines) would blend with every data colour: truecolour then.
    let (ox, oy) = (i64::from(figure.origin.0), i64::from(figure.origin.1));
    let area = (ox, oy, ox + i64::from(figure.data.0), oy + i64::from(figure.data.1));
    let shapes = figure.list.shapes();
    let ramps: Vec<(usize, (i64, i64, i64, i64))> = shapes
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Shape::Ramp { .. }))
        .map(|(i, s)| (i, s.bounds()))
        .collect();
    for (i, shape) in shapes.iter().enumerate() {
        let b = shape.bounds();
        if intersects(b, area) || ramps.iter().any(|&(r, rb)| r != i && intersects(b, rb)) {
            return None;
        }
    }
    let originals: Vec<Shape> = ramps.iter().map(|&(i, _)| shapes[i].clone()).collect();
    figure.list.set_quantised(true);
    let excluded: Vec<(i64, i64, i64, i64)> = ramps.iter().map(|&(_, b)| b).collect();
    let found = margin_colors(figure, area, &excluded).and_then(|margins| {
        let mut colors = data_colors.clone();
        colors.push(background.to_array());
        colors.extend(margins);
        let mut known: HashSet<[u8; 4]> = colors.iter().copied().collect();
        for &(index, _) in &ramps {
            let ramp = ramp_colors(&figure.list.shapes()[index], background);
            let fresh: Vec<[u8; 4]> = ramp.into_iter().filter(|c| !known.contains(c)).collect();
            let fresh = if known.len() + fresh.len() <= MAX_ENTRIES {
                fresh
            } else {
                let steps = MAX_ENTRIES.checked_sub(known.len()).filter(|&n| n >= MIN_RAMP_STEPS)?;
                resample_ramp(&mut figure.list.shapes_mut()[index], steps);
                ramp_colors(&figure.list.shapes()[index], background)
            };
            for c in fresh {
                if known.insert(c) {
                    colors.push(c);
                }
            }
        }
        Palette::from_colors(colors)
    });
    let Some(palette) = found else {
        figure.list.set_quantised(false);
        for (&(index, _), original) in ramps.iter().zip(originals) {
            figure.list.shapes_mut()[index] = original;
        }
        return None;
    };
    let data_index = data_colors.iter().map(|&c| palette.index_of(c).unwrap_or(0)).collect();
    Some(FigurePalette { palette: Arc::new(palette), data_index, background })
}

/// True when two pixel rectangles `(x0, y0, x1, y1)` (ends excluded) share a pixel.
fn intersects(a: (i64, i64, i64, i64), b: (i64, i64, i64, i64)) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// The colours a colour ramp paints over `background`, as [`BandDecorations`] draws it
/// (row `r` from the bottom of `h` shows colour `r * n / h` of `n`).
fn ramp_colors(shape: &Shape, background: Color) -> Vec<[u8; 4]> {
    let Shape::Ramp { y0, y1, colors, .. } = shape else { return Vec::new() };
    let (h, n) = ((y1 - y0).max(0) as usize, colors.len());
    let shown: Box<dyn Iterator<Item = usize>> =
        if h >= n { Box::new(0..n) } else { Box::new((0..h).map(move |r| r * n / h)) };
    let mut seen = HashSet::new();
    shown
        .map(|i| {
            let c = colors[i];
            let a = u32::from(c.a);
            if a == 255 {
                c.to_array()
            } else {
                Color { a: a as u8, ..c }.over(background).to_array()
            }
        })
        .filter(|c| seen.insert(*c))
        .collect()
}

/// Redraws a colour ramp in `steps` evenly spaced samples of its colours (both ends kept).
fn resample_ramp(shape: &mut Shape, steps: usize) {
    if let Shape::Ramp { colors, .. } = shape {
        let n = colors.len();
        if n > steps && steps >= 2 {
            let picked: Vec<Color> =
                (0..steps).map(|j| colors[(j * (n - 1) + (steps - 1) / 2) / (steps - 1)]).collect();
            *colors = picked.into();
        }
    }
}

/// The colours of the figure's margins (every pixel outside the data area and the
/// `excluded` rectangles), composited band by band over the columns the decorations touch;
/// None as soon as they are more than 256.
fn margin_colors(
    figure: &Figure,
    area: (i64, i64, i64, i64),
    excluded: &[(i64, i64, i64, i64)],
) -> Option<Vec<[u8; 4]>> {
    let (width, height) = figure.size;
    let background = figure.background.to_array();
    let starts: Vec<u32> = (0..height).step_by(SCAN_ROWS as usize).collect();
    let bands: Option<Vec<Vec<[u8; 4]>>> = starts
        .par_iter()
        .map(|&y0| {
            let rows = SCAN_ROWS.min(height - y0);
            let deco = figure.draw_band(y0, rows);
            let mut row = vec![0u8; width as usize * 4];
            let mut seen: HashSet<[u8; 4]> = HashSet::new();
            let mut last = background;
            for y in y0..y0 + rows {
                let spans = deco.spans(y, width as usize);
                if spans.is_empty() {
                    continue;
                }
                for span in &spans {
                    for px in row[4 * span.start..4 * span.end].chunks_exact_mut(4) {
                        px.copy_from_slice(&background);
                    }
                }
                deco.composite_row(y, &mut row);
                let yy = i64::from(y);
                let hidden = |x: i64| {
                    let inside = |r: &(i64, i64, i64, i64)| x >= r.0 && x < r.2 && yy >= r.1 && yy < r.3;
                    inside(&area) || excluded.iter().any(inside)
                };
                for span in spans {
                    for x in span {
                        let px = [row[4 * x], row[4 * x + 1], row[4 * x + 2], row[4 * x + 3]];
                        if px != last && !hidden(x as i64) {
                            last = px;
                            if seen.insert(px) && seen.len() > MAX_ENTRIES {
                                return None;
                            }
                        }
                    }
                }
            }
            Some(seen.into_iter().collect())
        })
        .collect();
    let mut all: Vec<[u8; 4]> = Vec::new();
    let mut known = HashSet::new();
    for band in bands? {
        let mut band = band;
        band.sort_unstable();
        for c in band {
            if known.insert(c) {
                all.push(c);
            }
        }
    }
    all.sort_unstable();
    (all.len() <= MAX_ENTRIES).then_some(all)
}

impl FigurePalette {
    /// Writes figure row `y`, which holds no data, as packed palette indices: the
    /// background and the decorations of `deco`.
    pub fn margin_row(&self, figure: &Figure, deco: &BandDecorations, y: u32, out: &mut [u8]) {
        ROWS.with_borrow_mut(|(rgba, _)| {
            rgba.resize(figure.size.0 as usize * 4, 0);
            figure.compose_row(deco, y, None, rgba);
            let complete = self.palette.pack_row(rgba, out);
            debug_assert!(complete, "a colour of figure row {y} is missing from its palette");
        });
    }

    /// Writes figure row `y`, whose data is row `row` of `band`, as packed palette indices:
    /// the band's own indices mapped into the figure's palette, the margins composited.
    pub fn data_row(
        &self,
        figure: &Figure,
        deco: &BandDecorations,
        band: &dyn Band,
        row: u32,
        y: u32,
        out: &mut [u8],
    ) {
        let width = figure.size.0 as usize;
        let (ox, w) = (figure.origin.0 as usize, figure.data.0 as usize);
        ROWS.with_borrow_mut(|(rgba, indices)| {
            rgba.resize(width * 4, 0);
            indices.resize(width, 0);
            // Margins: the background and the decorations (none reach the data area).
            let background = self.background.to_array();
            let (left, rest) = rgba.split_at_mut(ox * 4);
            for px in left.chunks_exact_mut(4).chain(rest[w * 4..].chunks_exact_mut(4)) {
                px.copy_from_slice(&background);
            }
            deco.composite_row(y, rgba);
            let data = &mut indices[ox..ox + w];
            if band.index_row(row, data) {
                // Runs of one index (the empty pixels of a sparse plot) map a block of 16
                // at a time, after one vectorised comparison.
                let mut blocks = data.chunks_exact_mut(16);
                for block in &mut blocks {
                    let first = block[0];
                    if block.iter().all(|&i| i == first) {
                        block.fill(self.data_index[usize::from(first)]);
                    } else {
                        block.iter_mut().for_each(|i| *i = self.data_index[usize::from(*i)]);
                    }
                }
                for i in blocks.into_remainder() {
                    *i = self.data_index[usize::from(*i)];
                }
            } else {
                let mut shaded = vec![0u8; w * 4];
                band.shade_row(row, crate::shade::PixelFormat::Rgba, &mut shaded);
                for (px, i) in shaded.chunks_exact(4).zip(data.iter_mut()) {
                    let c = over_background([px[0], px[1], px[2], px[3]], self.background);
                    *i = self.index(c, y);
                }
            }
            let mut last: Option<([u8; 4], u8)> = None;
            for x in (0..ox).chain(ox + w..width) {
                let c = [rgba[4 * x], rgba[4 * x + 1], rgba[4 * x + 2], rgba[4 * x + 3]];
                indices[x] = match last {
                    Some((colour, i)) if colour == c => i,
                    _ => {
                        let i = self.index(c, y);
                        last = Some((c, i));
                        i
                    }
                };
            }
            pack_indices(indices, self.palette.bit_depth(), out);
        });
    }

    /// The palette index of a colour of figure row `y` (0, and a debug assertion, if the
    /// palette lacks it, which [`plan`] rules out).
    fn index(&self, c: [u8; 4], y: u32) -> u8 {
        let i = self.palette.index_of(c);
        debug_assert!(i.is_some(), "colour {c:?} of figure row {y} is missing from its palette");
        i.unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::display::{quantise, COVERAGE_LEVELS};
    use crate::figure::{AxisSpec, ColorbarSpec, FigureSpec};

    fn ramp() -> Vec<Color> {
        (0..256u32).map(|i| Color::rgb(i as u8, (255 - i) as u8, (i / 2) as u8)).collect()
    }

    fn spec(grid: bool) -> FigureSpec {
        FigureSpec {
            title: Some("Palette".into()),
            xlabel: Some("x".into()),
            ylabel: Some("y".into()),
            grid,
            x: AxisSpec::linear(-1.0, 1.0),
            y: AxisSpec::linear(0.0, 5.0),
            colorbar: Some(ColorbarSpec::linear(ramp(), (0.0, 1.0), Some("count".into()))),
            ..FigureSpec::default()
        }
    }

    /// Every pixel of the figure (data rows from `data`), composited as the sink does.
    fn pixels(figure: &Figure, data: &[[u8; 4]]) -> Vec<[u8; 4]> {
        let (w, h) = figure.size();
        let (dw, _) = figure.data_size();
        let deco = figure.draw_band(0, h);
        let mut all = Vec::new();
        for y in 0..h {
            let row_data: Vec<u8> = (0..dw)
                .flat_map(|x| over_background(data[(x + y) as usize % data.len()], figure.background))
                .collect();
            let mut row = vec![0u8; w as usize * 4];
            figure.compose_row(&deco, y, Some(&row_data), &mut row);
            all.extend(row.chunks_exact(4).map(|p| [p[0], p[1], p[2], p[3]]));
        }
        all
    }

    #[test]
    fn coverage_rounds_to_sixteen_levels() {
        let levels: HashSet<u32> = (0..=255).map(quantise).collect();
        assert_eq!(levels.len(), COVERAGE_LEVELS as usize);
        assert_eq!((quantise(0), quantise(8), quantise(9), quantise(255)), (0, 0, 17, 255));
    }

    #[test]
    fn the_palette_holds_every_pixel_of_the_figure() {
        let data = [[0, 0, 0, 0], [200, 10, 10, 255], [10, 200, 10, 128]];
        let palette = Palette::from_colors(data).unwrap();
        for height in [40, 300, 700] {
            let mut figure = Figure::new(spec(false), 320, height).unwrap();
            let planned = plan(&mut figure, &palette).expect("fits");
            let all = pixels(&figure, &data);
            let distinct: HashSet<[u8; 4]> = all.iter().copied().collect();
            for c in &distinct {
                assert!(planned.palette.index_of(*c).is_some(), "{c:?} missing at height {height}");
            }
            // The colour bar keeps every sample it can: 256 rows of ramp would not fit.
            assert!(distinct.len() <= 256 && distinct.len() > 40, "{}", distinct.len());
        }
    }

    #[test]
    fn a_grid_over_the_data_or_too_many_colours_keep_the_figure_exact() {
        let data = Palette::from_colors([[1, 2, 3, 255]]).unwrap();
        let mut figure = Figure::new(spec(true), 320, 200).unwrap();
        let before = pixels(&figure, &[[1, 2, 3, 255]]);
        assert!(plan(&mut figure, &data).is_none());
        assert!(pixels(&figure, &[[1, 2, 3, 255]]) == before);
        // 250 data colours leave no room for a 64-step colour bar.
        let many = Palette::from_colors((0..250u32).map(|i| [i as u8, 7, 7, 255])).unwrap();
        let mut figure = Figure::new(spec(false), 320, 400).unwrap();
        let before = pixels(&figure, &[[1, 2, 3, 255]]);
        assert!(plan(&mut figure, &many).is_none());
        assert!(pixels(&figure, &[[1, 2, 3, 255]]) == before);
    }

    #[test]
    fn resampled_ramps_keep_both_ends() {
        let colors: Arc<[Color]> = ramp().into();
        let mut shape = Shape::Ramp { x0: 0, y0: 0, x1: 1, y1: 1000, colors };
        resample_ramp(&mut shape, 100);
        let Shape::Ramp { colors, .. } = &shape else { unreachable!() };
        assert_eq!(colors.len(), 100);
        assert_eq!((colors[0], colors[99]), (ramp()[0], ramp()[255]));
        assert_eq!(ramp_colors(&shape, Color::rgb(255, 255, 255)).len(), 100);
    }
}
