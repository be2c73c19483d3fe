//! A figure's colour set, when it fits a PNG palette: what lets a figure of a palette plot
//! (counts under any `--how`) be written with indexed colour like the bare image.
//!
//! A figure's pixels are the background, the data area's pixels (the plot's palette,
//! composited over the background), the grid lines over the data and the decorations painted
//! over the margins. Grid lines are crisp (whole-pixel edges, full coverage, one colour and
//! alpha, crossings blended once), so each data colour blends with the grid in exactly one
//! way: the plot's colours under the grid are the plot's palette blended with the grid
//! colour, one more entry per data colour at most. The
//! decorations are made palette-ready first: anti-aliasing coverage is rounded to
//! [`COVERAGE_LEVELS`](super::display::COVERAGE_LEVELS) levels, so text and lines blend with what lies under them into a
//! small set of colours, and the colour bar is drawn in as many steps as the palette has room
//! for (never fewer than [`MIN_RAMP_STEPS`]). The margins are then composited once, band by
//! band, over the columns their shapes touch only (a few percent of a large figure), and
//! their colours counted exactly. When the union (data, data under the grid, margins, colour
//! bar) holds at most 256 colours the figure is
//! written indexed; otherwise it is drawn as before (exact coverage, the full colour bar)
//! and written truecolour, so a figure's pixels change only when it gets a palette.
//!
//! Everything here depends on the layout and the global statistics alone, so the palette,
//! and the file, are the same for every tile size, thread count and band split.

use std::collections::HashSet;
use std::sync::Arc;

use rayon::prelude::*;

use super::display::{blend, BandDecorations, Shape};
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
    /// The figure's index of each data palette entry under a grid line (empty without a
    /// grid).
    grid_index: Vec<u8>,
    /// The grid lines over the data area: disjoint pixel rectangles `(x0, y0, x1, y1)` in
    /// figure pixels, ends excluded, sorted by `x0`.
    grid: Vec<(i64, i64, i64, i64)>,
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
    // The data area is copied as is, and only decorations outside it are counted; the one
    // shape allowed over the data is the grid (crisp rectangles of one colour, see `grid`),
    // whose colours over the data are enumerated from the plot's palette.
    let (ox, oy) = (i64::from(figure.origin.0), i64::from(figure.origin.1));
    let area = (ox, oy, ox + i64::from(figure.data.0), oy + i64::from(figure.data.1));
    let (grid, grid_color) = grid(figure, area)?;
    let shapes = figure.list.shapes();
    let ramps: Vec<(usize, (i64, i64, i64, i64))> = shapes
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Shape::Ramp { .. }))
        .map(|(i, s)| (i, s.bounds()))
        .collect();
    for (i, shape) in shapes.iter().enumerate() {
        let b = shape.bounds();
        if (intersects(b, area) && !crisp_inside(shape, area))
            || ramps.iter().any(|&(r, rb)| r != i && intersects(b, rb))
        {
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
        if let Some(color) = grid_color {
            colors.extend(data_colors.iter().map(|&c| under(c, color)));
        }
        let mut known: HashSet<[u8; 4]> = colors.iter().copied().collect();
        if known.len() > MAX_ENTRIES {
            return None;
        }
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
    let grid_index = match grid_color {
        Some(color) => data_colors.iter().map(|&c| palette.index_of(under(c, color)).unwrap_or(0)).collect(),
        None => Vec::new(),
    };
    Some(FigurePalette { palette: Arc::new(palette), data_index, grid_index, grid, background })
}

/// A data pixel `c` under a grid line of `color` (full coverage), as the decorations paint it.
fn under(c: [u8; 4], color: Color) -> [u8; 4] {
    let mut px = c;
    blend(&mut px, color, 255);
    px
}

/// True when `shape` is a rectangle with whole-pixel edges inside `area`: it covers each of
/// its pixels fully, so it blends with what lies under it in one way only.
fn crisp_inside(shape: &Shape, area: (i64, i64, i64, i64)) -> bool {
    let Shape::Rect { x0, y0, x1, y1, .. } = *shape else { return false };
    let whole = |v: f64| v.fract() == 0.0;
    let b = shape.bounds();
    [x0, y0, x1, y1].into_iter().all(whole)
        && b.0 >= area.0
        && b.1 >= area.1
        && b.2 <= area.2
        && b.3 <= area.3
}

/// The grid over the data area: its rectangles, sorted by left edge, and their colour (None
/// without a grid); None (no palette) when the shapes over the data are not crisp rectangles
/// of one colour that never overlap, which a palette figure needs to know every colour.
type GridRects = (Vec<(i64, i64, i64, i64)>, Option<Color>);

/// The crisp rectangles over the data `area` (see [`GridRects`]).
fn grid(figure: &Figure, area: (i64, i64, i64, i64)) -> Option<GridRects> {
    let mut rects = Vec::new();
    let mut color = None;
    for shape in figure.list.shapes() {
        if !intersects(shape.bounds(), area) {
            continue;
        }
        let Shape::Rect { color: c, .. } = *shape else { return None };
        if !crisp_inside(shape, area) || color.is_some_and(|k| k != c) {
            return None;
        }
        color = Some(c);
        rects.push(shape.bounds());
    }
    rects.sort_unstable();
    for (i, &a) in rects.iter().enumerate() {
        if rects[i + 1..].iter().any(|&b| intersects(a, b)) {
            return None;
        }
    }
    Some((rects, color))
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

/// Maps the data palette's indices `data` into the figure's through `table`. Runs of one
/// index (the empty pixels of a sparse plot) map a block of 16 at a time, after one
/// vectorised comparison.
fn map_indices(data: &mut [u8], table: &[u8]) {
    let mut blocks = data.chunks_exact_mut(16);
    for block in &mut blocks {
        let first = block[0];
        if block.iter().all(|&i| i == first) {
            block.fill(table[usize::from(first)]);
        } else {
            block.iter_mut().for_each(|i| *i = table[usize::from(*i)]);
        }
    }
    for i in blocks.into_remainder() {
        *i = table[usize::from(*i)];
    }
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
    /// the band's own indices mapped into the figure's palette (through the grid's table
    /// under a grid line), the margins composited.
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
            let indexed = band.index_row(row, &mut indices[ox..ox + w]);
            if !indexed {
                // No indices from the band: its RGBA, as the figure shows it, looked up below
                // once the decorations (the grid) are painted over it.
                let data = &mut rgba[ox * 4..(ox + w) * 4];
                band.shade_row(row, crate::shade::PixelFormat::Rgba, data);
                for px in data.chunks_exact_mut(4) {
                    let c = over_background([px[0], px[1], px[2], px[3]], self.background);
                    px.copy_from_slice(&c);
                }
            }
            // Margins: the background and the decorations.
            let background = self.background.to_array();
            let (left, rest) = rgba.split_at_mut(ox * 4);
            for px in left.chunks_exact_mut(4).chain(rest[w * 4..].chunks_exact_mut(4)) {
                px.copy_from_slice(&background);
            }
            deco.composite_row(y, rgba);
            if indexed {
                // Data indices mapped into the figure's palette, through the grid's table
                // where a grid line crosses the row.
                let data = &mut indices[ox..ox + w];
                let yy = i64::from(y);
                let mut x = 0;
                for &(x0, y0, x1, y1) in &self.grid {
                    if yy < y0 || yy >= y1 {
                        continue;
                    }
                    let (a, b) = ((x0 - ox as i64) as usize, (x1 - ox as i64) as usize);
                    map_indices(&mut data[x..a], &self.data_index);
                    map_indices(&mut data[a..b], &self.grid_index);
                    x = b;
                }
                map_indices(&mut data[x..], &self.data_index);
            }
            let mut last: Option<([u8; 4], u8)> = None;
            // Every pixel not indexed yet: the margins, and the data when the band had no indices.
            let done = if indexed { ox..ox + w } else { ox..ox };
            for x in (0..done.start).chain(done.end..width) {
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
        for grid in [false, true] {
            for height in [40, 300, 700] {
                let mut figure = Figure::new(spec(grid), 320, height).unwrap();
                let planned = plan(&mut figure, &palette).expect("fits");
                assert_eq!(planned.grid.is_empty(), !grid);
                let all = pixels(&figure, &data);
                let distinct: HashSet<[u8; 4]> = all.iter().copied().collect();
                for c in &distinct {
                    assert!(planned.palette.index_of(*c).is_some(), "{c:?} missing at height {height}");
                }
                // The colour bar keeps every sample it can: 256 rows of ramp would not fit.
                assert!(distinct.len() <= 256 && distinct.len() > 40, "{}", distinct.len());
            }
        }
    }

    #[test]
    fn each_data_colour_blends_with_the_grid_in_one_way() {
        let c = [1, 2, 3, 255];
        let mut figure = Figure::new(spec(true), 320, 200).unwrap();
        let planned = plan(&mut figure, &Palette::from_colors([c]).unwrap()).expect("fits");
        let (w, _) = figure.size();
        let (ox, oy) = (figure.origin.0 as usize, figure.origin.1 as usize);
        let (dw, dh) = (figure.data.0 as usize, figure.data.1 as usize);
        let all = pixels(&figure, &[c]);
        let inside: HashSet<[u8; 4]> = (oy..oy + dh)
            .flat_map(|y| (ox..ox + dw).map(move |x| (x, y)))
            .map(|(x, y)| all[y * w as usize + x])
            .collect();
        // The data colour and the data colour under the grid: crossings are blended once.
        let grey = figure.list.shapes().iter().find_map(|s| match s {
            Shape::Rect { color, .. } if color.a < 255 => Some(*color),
            _ => None,
        });
        let expected: HashSet<[u8; 4]> = [c, under(c, grey.unwrap())].into();
        assert_eq!(inside, expected);
        assert!(planned.grid.len() > 4, "{} grid rectangles", planned.grid.len());
    }

    #[test]
    fn a_grid_with_too_many_colours_or_a_soft_shape_over_the_data_keep_the_figure_exact() {
        let one = [[1, 2, 3, 255]];
        // 120 data colours (far apart, so the grid keeps them apart) fit beside the colour
        // bar, not twice over with the grid.
        let lattice = |i: u32| [(i % 5 * 60) as u8, (i / 5 % 5 * 60) as u8, (i / 25 * 60) as u8, 255];
        let many = Palette::from_colors((0..120u32).map(lattice)).unwrap();
        assert!(plan(&mut Figure::new(spec(false), 320, 400).unwrap(), &many).is_some());
        let mut figure = Figure::new(spec(true), 320, 400).unwrap();
        let before = pixels(&figure, &one);
        assert!(plan(&mut figure, &many).is_none());
        assert!(pixels(&figure, &one) == before);
        // A shape over the data with anti-aliased edges blends in many ways: truecolour.
        let data = Palette::from_colors(one).unwrap();
        let mut figure = Figure::new(spec(false), 320, 200).unwrap();
        let (ox, oy) = (f64::from(figure.origin.0), f64::from(figure.origin.1));
        let grey = Color { r: 9, g: 9, b: 9, a: 100 };
        figure.list.push(Shape::Rect {
            x0: ox + 10.5,
            y0: oy + 10.0,
            x1: ox + 20.0,
            y1: oy + 20.0,
            color: grey,
        });
        assert!(plan(&mut figure, &data).is_none());
        // So do crisp rectangles that overlap.
        let mut figure = Figure::new(spec(false), 320, 200).unwrap();
        for dx in [10.0, 15.0] {
            let (x0, y0) = (ox + dx, oy + 10.0);
            figure.list.push(Shape::Rect { x0, y0, x1: x0 + 10.0, y1: y0 + 10.0, color: grey });
        }
        assert!(plan(&mut figure, &data).is_none());
        // 250 data colours leave no room for a 64-step colour bar.
        let many = Palette::from_colors((0..250u32).map(|i| [i as u8, 7, 7, 255])).unwrap();
        let mut figure = Figure::new(spec(false), 320, 400).unwrap();
        let before = pixels(&figure, &one);
        assert!(plan(&mut figure, &many).is_none());
        assert!(pixels(&figure, &one) == before);
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
