//! `first` and `last` pyramids follow the input order at every level: each coarser level
//! is byte for byte the flat `--bare` render of the same data on that level's canvas
//! (`ceil(w / 2^k) x ceil(h / 2^k)`, its ranges widened by the padding pixels), XYZ and
//! DZI, whatever the tile size, band height and thread count. The data is on a dyadic grid
//! (1/64 of a unit a finest pixel, coordinates on a 1/1024 grid), so binning on a coarse
//! canvas is exact and gives the finest pixels' parents.

use std::path::Path;

use crate::common::*;
use gigaplot::{
    render, render_pyramid, Color, ColumnSpec, MemoryColumn, NoProgress, PointColumns, PyramidFormat,
    PyramidOptions, PyramidPlan, Reduction, RenderOptions, RgbaSink,
};

/// Finest pixels per unit of x and y.
const PER_UNIT: f64 = 64.0;
const X0: f64 = -4.0;
const Y0: f64 = -3.0;

/// `n` points strewn over a `w x h` canvas in an order unrelated to their position (so the
/// first point of a coarse pixel is seldom in its first finest pixel), on a 1/1024 grid
/// away from pixel edges, none past the canvas, with values (some NaN).
fn points(dir: &Path, (w, h): (u32, u32), n: usize) -> PointColumns<'static> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |m: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % m
    };
    let (mut xs, mut ys, mut vs) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        // Half the points in a few clusters (many per finest pixel), half anywhere.
        let (cx, cy) = match i % 2 {
            0 => (u64::from(w) * 16 / 3 + next(200), u64::from(h) * 16 / 2 + next(150)),
            _ => (next(u64::from(w) * 16), next(u64::from(h) * 16)),
        };
        xs.push(X0 + (cx.min(u64::from(w) * 16 - 1) as f64 + 0.5) / 1024.0);
        ys.push(Y0 + (cy.min(u64::from(h) * 16 - 1) as f64 + 0.5) / 1024.0);
        vs.push(if i % 97 == 5 { f64::NAN } else { next(1000) as f64 - 300.0 });
    }
    let (x, y) = (dir.join("x.npy"), dir.join("y.npy"));
    write_f64(&x, &xs);
    write_f64(&y, &ys);
    let points =
        PointColumns::open(&ColumnSpec::parse(x.to_str().unwrap()), &ColumnSpec::parse(y.to_str().unwrap()))
            .unwrap();
    points.with_value(Box::new(MemoryColumn::new("v", vs))).unwrap()
}

/// The options of the flat render of `base`'s data on the canvas `f` times coarser: the
/// level's size, its ranges widened by the padding pixels (right and bottom).
fn level_options(base: &RenderOptions, f: u32) -> RenderOptions {
    let (lw, lh) = (base.width.div_ceil(f), base.height.div_ceil(f));
    let y1 = Y0 + f64::from(base.height) / PER_UNIT;
    RenderOptions {
        width: lw,
        height: lh,
        x_range: Some((X0, X0 + f64::from(lw * f) / PER_UNIT)),
        y_range: Some((y1 - f64::from(lh * f) / PER_UNIT, y1)),
        ..base.clone()
    }
}

/// The flat render of `options` as RGBA.
fn flat(points: &PointColumns, options: &RenderOptions) -> Vec<u8> {
    let (sink, image) = RgbaSink::new();
    render(points, options, vec![Box::new(sink)], &NoProgress).unwrap();
    image.take().unwrap().into_pixels()
}

/// The levels of a pyramid of a `w x h` canvas, finest first: (level number, coarsening
/// factor).
fn levels(format: PyramidFormat, (w, h): (u32, u32), tile: u32) -> Vec<(u32, u32)> {
    let finest = match format {
        PyramidFormat::Xyz => PyramidPlan::new(w, h, tile).unwrap().max_zoom,
        PyramidFormat::Dzi => 32 - (w.max(h) - 1).leading_zeros(),
    };
    (0..=finest).rev().map(|level| (level, 1 << (finest - level))).collect()
}

#[test]
fn every_level_of_a_first_or_last_pyramid_is_the_flat_render_of_its_canvas() {
    let tmp = tempfile::tempdir().unwrap();
    let background = Color::parse("#102030").unwrap();
    let bg = [background.r, background.g, background.b, background.a];
    // 510 x 381: sides that are not multiples of any 2^k (edges padded).
    for (w, h) in [(512u32, 384u32), (510, 381)] {
        let data = tmp.path().join(format!("{w}x{h}"));
        std::fs::create_dir(&data).unwrap();
        let pts = points(&data, (w, h), 40_000);
        for reduction in [Reduction::First, Reduction::Last] {
            let base = RenderOptions {
                width: w,
                height: h,
                x_range: Some((X0, X0 + f64::from(w) / PER_UNIT)),
                y_range: Some((Y0, Y0 + f64::from(h) / PER_UNIT)),
                reduction,
                background,
                ..RenderOptions::default()
            };
            // (pyramid format and tile, render tile, threads, rows of a band): one band and
            // several; 60 MiB plus 20 MiB a thread is the fixed cost, 38 bytes a pixel.
            let settings = [
                (PyramidFormat::Xyz, 64u32, 256u32, 2usize, 1000u64),
                (PyramidFormat::Xyz, 128, 7, 1, 37),
                (PyramidFormat::Dzi, 64, 64, 2, 9),
                (PyramidFormat::Dzi, 128, 1000, 3, 50),
            ];
            let images: Vec<Vec<u8>> = (0..=10).map(|k| flat(&pts, &level_options(&base, 1 << k))).collect();
            for (format, pyramid_tile, tile, threads, band_rows) in settings {
                let budget = (40 + 20 * threads as u64) * (1 << 20) + 2 * u64::from(w) * 38 * band_rows;
                let options =
                    RenderOptions { tile, threads: Some(threads), memory_budget: budget, ..base.clone() };
                let what =
                    format!("{reduction} {w}x{h} {format:?} tile {pyramid_tile}/{tile} {threads} threads");
                let dir = tmp.path().join(what.replace([' ', '/'], "-"));
                let mut pyramid = PyramidOptions::for_render(&dir, &options);
                pyramid.tile = pyramid_tile;
                pyramid.format = format;
                pyramid.background = background;
                let report = render_pyramid(&pts, &options, &pyramid, Vec::new(), &NoProgress).unwrap();
                assert_eq!(report.render.plan.bands > 1, band_rows < 1000, "{what}: bands");
                let mut written = 0;
                for (level, f) in levels(format, (w, h), pyramid_tile) {
                    let lw = w.div_ceil(f);
                    let (lh, k) = (h.div_ceil(f), f.trailing_zeros() as usize);
                    let what = format!("{what} level {level}");
                    written += check_pyramid_level(
                        &dir,
                        (format, pyramid_tile, level),
                        (lw, lh),
                        &images[k],
                        bg,
                        &what,
                    );
                }
                assert_eq!(report.pyramid.tiles.written, written, "{what}");
            }
        }
    }
}

/// The data above tells input order from Z order: merging the finest pixels of `first` by
/// position (the first non-empty finest pixel in Z order, what coarse levels were before)
/// differs from the flat render of a coarser canvas, so the test above can fail.
#[test]
fn the_data_tells_input_order_from_z_order() {
    let tmp = tempfile::tempdir().unwrap();
    let (w, h) = (512u32, 384u32);
    let pts = points(tmp.path(), (w, h), 40_000);
    let base = RenderOptions {
        width: w,
        height: h,
        x_range: Some((X0, X0 + f64::from(w) / PER_UNIT)),
        y_range: Some((Y0, Y0 + f64::from(h) / PER_UNIT)),
        reduction: Reduction::First,
        ..RenderOptions::default()
    };
    let finest: Vec<f64> = values_of(&library_aggregate(&pts, &base));
    let coarse: Vec<f64> = values_of(&library_aggregate(&pts, &level_options(&base, 2)));
    let (lw, lh) = (w / 2, h / 2);
    let mut differ = 0;
    for y in 0..lh {
        for x in 0..lw {
            let z_first = [(0, 0), (1, 0), (0, 1), (1, 1)]
                .iter()
                .map(|&(dx, dy)| finest[((2 * y + dy) * w + 2 * x + dx) as usize])
                .find(|v| !v.is_nan())
                .unwrap_or(f64::NAN);
            let flat = coarse[(y * lw + x) as usize];
            assert_eq!(z_first.is_nan(), flat.is_nan(), "pixel ({x}, {y}) empty alike");
            differ += u32::from(z_first.to_bits() != flat.to_bits());
        }
    }
    assert!(differ > 100, "only {differ} coarse pixels tell the orders apart");
}

/// Lines too: a coarse pixel of a `first` / `last` pyramid of width-0 lines takes the
/// value of the earliest / latest segment drawn in any of its finest pixels. The reference
/// is built from flat renders of the finest canvas: `first` / `last` of each vertex's
/// index gives every finest pixel's earliest / latest segment, the block's min / max of
/// those its coarse pixel's, whose start vertex's value it shows, shaded with the level's
/// own statistics. Identical for several tile sizes, band heights and thread counts.
#[test]
fn first_and_last_pyramids_of_lines_take_the_earliest_and_latest_segment() {
    use gigaplot::shading::{self, ShadeStyle};
    let tmp = tempfile::tempdir().unwrap();
    let (w, h) = (300u32, 200u32);
    let n = 4000;
    let mut state = 12345u64;
    let mut next = |m: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % m
    };
    // A wandering line that crosses itself often.
    let (mut xs, mut ys) = (vec![0.0f64], vec![0.0f64]);
    for i in 1..n {
        let step = |v: f64, r: u64| (v + (r as f64 - 50.0) / 40.0).clamp(-3.9, 3.9);
        let (x, y) = (step(xs[i - 1], next(101)), step(ys[i - 1], next(101)));
        xs.push(x);
        ys.push(y * 0.7);
    }
    let values: Vec<f64> = (0..n).map(|_| next(1000) as f64 / 7.0 - 40.0).collect();
    let index: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let (x, y) = (tmp.path().join("x.npy"), tmp.path().join("y.npy"));
    write_f64(&x, &xs);
    write_f64(&y, &ys);
    let open = |v: &[f64]| {
        let spec = |p: &Path| ColumnSpec::parse(p.to_str().unwrap());
        let points = PointColumns::open(&spec(&x), &spec(&y)).unwrap();
        points.with_value(Box::new(MemoryColumn::new("v", v.to_vec()))).unwrap()
    };
    let (pts, indexed) = (open(&values), open(&index));
    let background = Color::parse("#102030").unwrap();
    let bg = [background.r, background.g, background.b, background.a];
    for reduction in [Reduction::First, Reduction::Last] {
        let base = RenderOptions {
            width: w,
            height: h,
            x_range: Some((-4.0, 4.0)),
            y_range: Some((-3.0, 3.0)),
            glyph: gigaplot::Glyph::Lines,
            reduction,
            background,
            ..RenderOptions::default()
        };
        let style = ShadeStyle { how: base.how, cmap: &base.cmap, background, color_key: None };
        // Each finest pixel's earliest / latest segment (its start vertex), NaN if none.
        let mut starts: Vec<f64> = values_of(&library_aggregate(&indexed, &base));
        let (mut lw, mut lh) = (w, h);
        let mut images = vec![flat(&pts, &base)];
        for _ in 0..3 {
            let (cw, ch) = (lw.div_ceil(2), lh.div_ceil(2));
            let mut coarse = vec![f64::NAN; (cw * ch) as usize];
            for y in 0..lh {
                for x in 0..lw {
                    let s = starts[(y * lw + x) as usize];
                    let c = &mut coarse[((y / 2) * cw + x / 2) as usize];
                    let later = reduction == Reduction::Last;
                    if !s.is_nan() && (c.is_nan() || (later && s > *c) || (!later && s < *c)) {
                        *c = s;
                    }
                }
            }
            let shown: Vec<f64> =
                coarse.iter().map(|&s| if s.is_nan() { f64::NAN } else { values[s as usize] }).collect();
            images.push(shading::shade_values(&shown, cw as usize, &style));
            (starts, lw, lh) = (coarse, cw, ch);
        }
        let mut reference = None;
        for (tile, threads, band_rows) in [(256u32, 2usize, 1000u64), (7, 1, 23), (64, 3, 9)] {
            let budget = (40 + 20 * threads as u64) * (1 << 20) + 2 * u64::from(w) * 38 * band_rows;
            let options =
                RenderOptions { tile, threads: Some(threads), memory_budget: budget, ..base.clone() };
            let what = format!("lines {reduction} tile {tile} {threads} threads");
            let dir = tmp.path().join(what.replace(' ', "-"));
            let mut pyramid = PyramidOptions::for_render(&dir, &options);
            pyramid.tile = 64; // zooms 0..=3
            pyramid.background = background;
            let report = render_pyramid(&pts, &options, &pyramid, Vec::new(), &NoProgress).unwrap();
            assert_eq!(report.render.plan.bands > 1, band_rows < 1000, "{what}: bands");
            let mut written = 0;
            for (k, image) in images.iter().enumerate() {
                let f = 1u32 << k;
                let (lw, lh) = (w.div_ceil(f), h.div_ceil(f));
                let level = (PyramidFormat::Xyz, 64, 3 - k as u32);
                written +=
                    check_pyramid_level(&dir, level, (lw, lh), image, bg, &format!("{what} zoom {}", 3 - k));
            }
            assert_eq!(report.pyramid.tiles.written, written, "{what}");
            let tree = tree(&dir);
            match &reference {
                None => reference = Some(tree),
                Some(want) => assert!(&tree == want, "{what}: differs from the first setting"),
            }
        }
    }
}
