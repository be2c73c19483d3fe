//! Pyramids of every reduction and glyph (`render_pyramid` in one render): the finest level
//! is the bare render cut into tiles byte for byte, each coarser level the finest pixels'
//! reduction state merged 2 x 2 in Z order and shaded with the level's own statistics
//! (rebuilt here from the finest aggregates), spread by the same radius at every level;
//! exactly the tiles that are not all background are written; the bytes depend on no tile,
//! band or thread count, and the data is partitioned once.

use std::path::Path;

use crate::common::*;
use gigaplot::shading::{self, ShadeStyle};
use gigaplot::{
    render, render_pyramid, Color, Colormap, ColumnSpec, Dynspread, Glyph, How, MemoryColumn, NoProgress,
    PointColumns, PyramidFormat, PyramidOptions, Reduction, RenderOptions, RgbaSink, Sink, SpreadShape,
    SpreadSink, Spreader, TileSpread,
};

const W: u32 = 512;
const H: u32 = 384;
const TILE: u32 = 128;

/// A clustered cloud (some points outside the ranges, an empty right part) with values.
fn points(dir: &Path) -> PointColumns<'static> {
    let n = 20_000;
    let xs: Vec<f64> =
        (0..n).map(|i| -4.0 + 5.0 * (((i as f64 * 0.618).sin() + 1.0) / 2.0).powi(2)).collect();
    let ys: Vec<f64> = (0..n).map(|i| 4.0 * (i as f64 * 0.377).cos() * ((i % 89) as f64 / 89.0)).collect();
    let vs: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 - 20.0).collect();
    open_points(dir, &xs, &ys).with_value(Box::new(MemoryColumn::new("v", vs))).unwrap()
}

/// Points whose x and y are written to `dir`'s x.npy and y.npy and mapped from there.
fn open_points(dir: &Path, xs: &[f64], ys: &[f64]) -> PointColumns<'static> {
    let (x, y) = (dir.join("x.npy"), dir.join("y.npy"));
    write_f64(&x, xs);
    write_f64(&y, ys);
    PointColumns::open(&ColumnSpec::parse(x.to_str().unwrap()), &ColumnSpec::parse(y.to_str().unwrap()))
        .unwrap()
}

/// The bare render of `options` (spread as `spread` says, over `background`), as RGBA.
fn bare(
    points: &PointColumns,
    options: &RenderOptions,
    spread: Option<TileSpread>,
    background: Color,
) -> Vec<u8> {
    let (sink, image) = RgbaSink::new();
    let sink: Box<dyn Sink> = match spread {
        Some(TileSpread::Fixed(px, shape)) => {
            Box::new(SpreadSink::new(Box::new(sink), Spreader::new(px, shape), background))
        }
        Some(TileSpread::Dynamic(shape)) => Box::new(SpreadSink::dynamic(Box::new(sink), shape, background)),
        None => Box::new(sink),
    };
    render(points, options, vec![sink], &NoProgress).unwrap();
    image.take().unwrap().into_pixels()
}

/// Checks the XYZ tiles of zoom `z` against the `lw x lh` RGBA image (tiles cut from it,
/// padded transparent): exactly the tiles not all `background` exist. Returns the tiles written.
fn check_level(dir: &Path, z: u32, size: (u32, u32), image: &[u8], background: [u8; 4], what: &str) -> u64 {
    check_pyramid_level(dir, (gigaplot::PyramidFormat::Xyz, TILE, z), size, image, background, what)
}

/// A row-major aggregate, `channels` values a pixel, of a canvas `width` pixels wide.
struct Grid<T> {
    values: Vec<T>,
    width: u32,
    height: u32,
    channels: usize,
}

impl<T: Copy> Grid<T> {
    /// The aggregate of `options`' render as values of `T`.
    fn render(points: &PointColumns, options: &RenderOptions, channels: usize) -> Grid<T>
    where
        T: bytemuck::Pod,
    {
        let values = values_of::<T>(&library_aggregate(points, options));
        Grid { values, width: options.width, height: options.height, channels }
    }

    /// The grid one level coarser: each pixel starts `empty` and merges its 2 x 2 pixels
    /// top-left, top-right, bottom-left, bottom-right (those past an edge missing).
    fn coarser(&self, empty: T, merge: impl Fn(&mut T, T)) -> Grid<T> {
        let (w, h, c) = (self.width.div_ceil(2), self.height.div_ceil(2), self.channels);
        let mut values = vec![empty; (w * h) as usize * c];
        for y in 0..h {
            for x in 0..w {
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let (sx, sy) = (2 * x + dx, 2 * y + dy);
                    if sx < self.width && sy < self.height {
                        for k in 0..c {
                            let from = self.values[(sy * self.width + sx) as usize * c + k];
                            merge(&mut values[(y * w + x) as usize * c + k], from);
                        }
                    }
                }
            }
        }
        Grid { values, width: w, height: h, channels: c }
    }
}

/// NaN-skipping float merges of the reductions' states (sum adds, max keeps the larger).
fn nan_sum(into: &mut f64, v: f64) {
    if !v.is_nan() {
        *into = if into.is_nan() { v } else { *into + v };
    }
}
fn nan_max(into: &mut f64, v: f64) {
    if !v.is_nan() && (into.is_nan() || v > *into) {
        *into = v;
    }
}

/// The style the levels of a pyramid of `options` are shaded with.
fn style(options: &RenderOptions) -> ShadeStyle<'_> {
    ShadeStyle { how: options.how, cmap: &options.cmap, background: options.background, color_key: None }
}

/// Each coarser level of a pyramid of `options` (zooms `max_zoom - 1` down to 0) computed
/// independently from the finest aggregates: merged 2 x 2 and shaded with the level's own
/// statistics. None for reductions this test does not rebuild.
fn coarse_images(points: &PointColumns, options: &RenderOptions, max_zoom: u32) -> Vec<(u32, u32, Vec<u8>)> {
    let of = |reduction| RenderOptions { reduction, ..options.clone() };
    let mut out = Vec::new();
    let st = style(options);
    match options.reduction {
        Reduction::Count | Reduction::Any if options.line_width == 0.0 => {
            let any = options.reduction == Reduction::Any;
            let mut g = Grid::<u32>::render(points, &of(Reduction::Count), 1);
            if any {
                g.values.iter_mut().for_each(|v| *v = (*v).min(1));
            }
            for _ in 0..max_zoom {
                g = g.coarser(0, |a, b| *a = if any { (*a).max(b) } else { *a + b });
                out.push((g.width, g.height, shading::shade_counts(&g.values, g.width as usize, &st)));
            }
        }
        Reduction::CountCat => {
            let c = 3;
            let mut g = Grid::<u32>::render(points, options, c);
            let key = shading::default_color_key(c);
            for _ in 0..max_zoom {
                g = g.coarser(0, |a, b| *a += b);
                let image = shading::shade_categories(
                    &g.values,
                    g.width as usize,
                    c,
                    &key,
                    options.how,
                    (40, 255),
                    options.background,
                );
                out.push((g.width, g.height, image));
            }
        }
        Reduction::Mean => {
            let mut sum = Grid::<f64>::render(points, &of(Reduction::Sum), 1);
            let mut count = Grid::<u32>::render(points, &of(Reduction::Count), 1);
            // A mean's state sums from 0.
            sum.values.iter_mut().for_each(|v| *v = if v.is_nan() { 0.0 } else { *v });
            for _ in 0..max_zoom {
                sum = sum.coarser(0.0, |a, b| *a += b);
                count = count.coarser(0, |a, b| *a += b);
                let mean: Vec<f64> = sum
                    .values
                    .iter()
                    .zip(&count.values)
                    .map(|(&s, &n)| if n == 0 { f64::NAN } else { s / f64::from(n) })
                    .collect();
                out.push((sum.width, sum.height, shading::shade_values(&mean, sum.width as usize, &st)));
            }
        }
        Reduction::Sum | Reduction::Max => {
            let merge = match options.reduction {
                Reduction::Sum => nan_sum,
                _ => nan_max,
            };
            let mut g = Grid::<f64>::render(points, options, 1);
            for _ in 0..max_zoom {
                g = g.coarser(f64::NAN, merge);
                out.push((g.width, g.height, shading::shade_values(&g.values, g.width as usize, &st)));
            }
        }
        _ => panic!("no reference for {}", options.reduction),
    }
    out
}

/// Points with a category column (0, 1, 2) as the value, for count-cat.
fn categorised(dir: &Path) -> PointColumns<'static> {
    let plain = points(dir);
    let (x, y) = (dir.join("x.npy"), dir.join("y.npy"));
    drop(plain);
    let points =
        PointColumns::open(&ColumnSpec::parse(x.to_str().unwrap()), &ColumnSpec::parse(y.to_str().unwrap()))
            .unwrap();
    let cats: Vec<u8> = (0..20_000).map(|i| ((i * 7) % 3) as u8).collect();
    points.with_value(Box::new(MemoryColumn::new("c", cats))).unwrap()
}

/// Renders the pyramid of `options` (tiles of TILE, the same background) into `dir`.
fn pyramid_of(points: &PointColumns, options: &RenderOptions, dir: &Path) -> gigaplot::PyramidReport {
    let mut pyramid = PyramidOptions::for_render(dir, options);
    pyramid.tile = TILE;
    pyramid.background = options.background;
    render_pyramid(points, options, &pyramid, Vec::new(), &NoProgress).unwrap()
}

#[test]
fn the_finest_level_is_the_bare_render_and_coarser_levels_merge_its_pixels() {
    let tmp = tempfile::tempdir().unwrap();
    let pts = points(tmp.path());
    let cat_dir = tmp.path().join("cat");
    std::fs::create_dir(&cat_dir).unwrap();
    let cats = categorised(&cat_dir);
    let dark = Color::parse("#102030").unwrap();
    // 510 x 381: sides that are not multiples of 2^max_zoom = 4 (edges padded).
    for (w, h) in [(W, H), (510, 381)] {
        let base = RenderOptions {
            width: w,
            height: h,
            x_range: Some((-4.0, 4.0)),
            y_range: Some((-3.0, 3.0)),
            cmap: Colormap::by_name("viridis").unwrap(),
            ..RenderOptions::default()
        };
        let cases: Vec<(&str, RenderOptions)> = vec![
            ("mean", RenderOptions { reduction: Reduction::Mean, ..base.clone() }),
            (
                "max",
                RenderOptions {
                    reduction: Reduction::Max,
                    how: How::Linear,
                    background: dark,
                    ..base.clone()
                },
            ),
            // (first and last: `pyramid_first_last.rs`, against flat renders of each level)
            ("sum", RenderOptions { reduction: Reduction::Sum, how: How::Log, ..base.clone() }),
            ("any", RenderOptions { reduction: Reduction::Any, ..base.clone() }),
            ("count-cat", RenderOptions { reduction: Reduction::CountCat, ..base.clone() }),
            ("lines", RenderOptions { glyph: Glyph::Lines, background: dark, ..base.clone() }),
        ];
        for (what, options) in cases {
            let what = format!("{what} {w}x{h}");
            let points = if options.reduction == Reduction::CountCat { &cats } else { &pts };
            let dir = tmp.path().join(what.replace(' ', "-"));
            let report = pyramid_of(points, &options, &dir);
            assert!(report.pyramid.wrote_metadata, "{what}");
            let b = options.background;
            let bg = [b.r, b.g, b.b, b.a];
            let finest = bare(points, &options, None, b);
            let mut written = check_level(&dir, 2, (w, h), &finest, bg, &format!("{what} zoom 2"));
            for (z, (lw, lh, image)) in (0..2).rev().zip(coarse_images(points, &options, 2)) {
                written += check_level(&dir, z, (lw, lh), &image, bg, &format!("{what} zoom {z}"));
            }
            assert_eq!(report.pyramid.tiles.written, written, "{what}");
            assert_eq!(report.pyramid.tiles.written + report.pyramid.tiles.empty, 12 + 4 + 1, "{what}");
            if options.reduction != Reduction::CountCat {
                // (count-cat shades empty pixels in the key's colour at alpha 0, not the background)
                assert!(report.pyramid.tiles.empty > 0, "{what}: the empty right part has no tiles");
            }
            assert!(dir.join("metadata.json").is_file() && dir.join("index.html").is_file());
        }
    }
}

/// A plain count XYZ pyramid (built in one render): the finest level is the bare render,
/// each coarser one the finest counts summed 2 x 2, exactly the tiles not all background
/// exist (full tiles on the band's palette and padded ones), and `metadata.json` records
/// each level's own count range and non-empty pixels (the histograms its statistics pass
/// gathered, not another level's nor the finest's).
#[test]
fn plain_count_pyramids_record_each_levels_count_range_and_pixels() {
    let tmp = tempfile::tempdir().unwrap();
    let pts = points(tmp.path());
    let dark = Color::parse("#102030").unwrap();
    for (case, (w, h, background)) in
        [(W, H, Color::TRANSPARENT), (510, 381, Color::TRANSPARENT), (W, H, dark)].into_iter().enumerate()
    {
        let options = RenderOptions {
            width: w,
            height: h,
            x_range: Some((-4.0, 4.0)),
            y_range: Some((-3.0, 3.0)),
            how: How::EqHist,
            background,
            cmap: Colormap::by_name("viridis").unwrap(),
            ..RenderOptions::default()
        };
        let what = format!("count {w}x{h} {background:?}");
        let dir = tmp.path().join(format!("count-{case}"));
        let report = pyramid_of(&pts, &options, &dir);
        let b = [background.r, background.g, background.b, background.a];
        let finest = bare(&pts, &options, None, background);
        let mut written = check_level(&dir, 2, (w, h), &finest, b, &format!("{what} zoom 2"));
        for (z, (lw, lh, image)) in (0..2).rev().zip(coarse_images(&pts, &options, 2)) {
            written += check_level(&dir, z, (lw, lh), &image, b, &format!("{what} zoom {z}"));
        }
        assert_eq!(report.pyramid.tiles.written, written, "{what}");
        assert!(report.pyramid.tiles.empty > 0, "{what}: the empty right part has no tiles");
        let meta = gigaplot::PyramidMetadata::read(&dir).unwrap();
        let mut grid = Grid::<u32>::render(&pts, &options, 1);
        for z in (0..=2usize).rev() {
            let lit: Vec<u32> = grid.values.iter().copied().filter(|&c| c > 0).collect();
            let range = lit.iter().min().zip(lit.iter().max()).map(|(&lo, &hi)| (lo, hi));
            let level = &meta.levels[z];
            assert_eq!(
                (level.count_range, level.nonzero_pixels),
                (range, lit.len() as u64),
                "{what} zoom {z}"
            );
            grid = grid.coarser(0, |a, b| *a += b);
        }
        assert_ne!(meta.levels[0].count_range, meta.levels[2].count_range, "{what}: levels differ");
    }
}

/// Spread and dynspread pyramids of values and anti-aliased lines: the finest level is the
/// bare render (spread), and every level is written.
#[test]
fn spread_and_anti_aliased_pyramids_keep_the_finest_level_bare() {
    let tmp = tempfile::tempdir().unwrap();
    let pts = points(tmp.path());
    let dark = Color::parse("#102030").unwrap();
    let base = RenderOptions {
        width: W,
        height: H,
        x_range: Some((-4.0, 4.0)),
        y_range: Some((-3.0, 3.0)),
        cmap: Colormap::by_name("viridis").unwrap(),
        ..RenderOptions::default()
    };
    let fixed = Some(TileSpread::Fixed(1, SpreadShape::Circle));
    let dynamic = Some(TileSpread::Dynamic(SpreadShape::Square));
    let cases: Vec<(&str, RenderOptions, Option<TileSpread>, Color)> = vec![
        (
            "std",
            RenderOptions { reduction: Reduction::Std, how: How::Log, background: dark, ..base.clone() },
            None,
            dark,
        ),
        ("last", RenderOptions { reduction: Reduction::Last, ..base.clone() }, None, Color::TRANSPARENT),
        (
            "aa lines max",
            RenderOptions { glyph: Glyph::Lines, line_width: 1.5, reduction: Reduction::Max, ..base.clone() },
            None,
            Color::TRANSPARENT,
        ),
        ("spread count", base.clone(), fixed, dark),
        (
            "dynspread mean",
            RenderOptions {
                reduction: Reduction::Mean,
                dynspread: Some(Dynspread::default()),
                ..base.clone()
            },
            dynamic,
            Color::TRANSPARENT,
        ),
    ];
    for (what, options, spread, background) in cases {
        let dir = tmp.path().join(what.replace(' ', "-"));
        let mut pyramid = PyramidOptions::for_render(&dir, &options);
        pyramid.tile = TILE;
        pyramid.background = background;
        pyramid.spread = spread;
        let report = render_pyramid(&pts, &options, &pyramid, Vec::new(), &NoProgress).unwrap();
        let bg = [background.r, background.g, background.b, background.a];
        let image = bare(&pts, &options, spread, background);
        let written = check_level(&dir, 2, (W, H), &image, bg, &format!("{what} zoom 2"));
        assert!(report.pyramid.tiles.written > written, "{what}");
        for z in [0, 1] {
            assert!(dir.join(format!("{z}/0/0.png")).is_file(), "{what} zoom {z}");
        }
        if let Some(TileSpread::Dynamic(_)) = spread {
            // Each level chooses its own radius: coarser levels are denser, so spread less.
            assert!(report.render.dynspread_px.is_some(), "{what}");
        }
    }
}

/// The pyramid's bytes do not depend on the tile size, the band height (the memory budget)
/// or the thread count, for order-sensitive reductions too.
#[test]
fn pyramids_are_identical_for_every_tile_band_and_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let pts = points(tmp.path());
    for reduction in [Reduction::First, Reduction::Last, Reduction::Sum, Reduction::Var, Reduction::Count] {
        let base = RenderOptions {
            width: 510,
            height: 381,
            x_range: Some((-4.0, 4.0)),
            y_range: Some((-3.0, 3.0)),
            reduction,
            ..RenderOptions::default()
        };
        let mut reference = None;
        // (tile, threads, rows of a band): 60 MiB plus 20 MiB a thread is the fixed cost.
        for (tile, threads, band_rows) in [(256u32, 2usize, 1000u64), (7, 1, 37), (64, 2, 9), (1000, 3, 50)] {
            let budget = (40 + 20 * threads as u64) * (1 << 20) + 2 * 510 * 29 * band_rows;
            let options =
                RenderOptions { tile, threads: Some(threads), memory_budget: budget, ..base.clone() };
            let dir = tmp.path().join(format!("{reduction}-{tile}-{threads}"));
            let report = pyramid_of(&pts, &options, &dir);
            let tree = tree(&dir);
            match &reference {
                None => {
                    assert_eq!(report.render.plan.bands, 1, "{reduction}: the first setting is one band");
                    reference = Some(tree);
                }
                Some(want) => {
                    assert!(report.render.plan.bands > 1, "{reduction} {tile} {threads}: several bands");
                    assert!(&tree == want, "{reduction}: tile {tile}, {threads} threads differ");
                }
            }
        }
    }
}

/// Stages a render reports, in order.
#[derive(Default)]
struct Stages(std::sync::Mutex<Vec<String>>);

impl gigaplot::Progress for Stages {
    fn stage(&self, name: &str, _total: u64) {
        self.0.lock().unwrap().push(name.to_string());
    }
}

/// A pyramid of a multi-band canvas reads the data once (one partition) and makes as many
/// passes over the partition as a bare render of its finest level, whatever its levels.
#[test]
fn a_pyramid_makes_the_passes_of_one_render() {
    let tmp = tempfile::tempdir().unwrap();
    let pts = points(tmp.path());
    for (reduction, how) in
        [(Reduction::Mean, How::EqHist), (Reduction::Max, How::Linear), (Reduction::Count, How::Log)]
    {
        let options = RenderOptions {
            width: 1024,
            height: 1024,
            x_range: Some((-4.0, 4.0)),
            y_range: Some((-3.0, 3.0)),
            reduction,
            how,
            threads: Some(1),
            memory_budget: 61 << 20,
            ..RenderOptions::default()
        };
        let bare_stages = Stages::default();
        let report = render(&pts, &options, Vec::new(), &bare_stages).unwrap();
        assert!(report.plan.bands > 1);
        let stages = Stages::default();
        let mut pyramid = PyramidOptions::for_render(&tmp.path().join(format!("{reduction}")), &options);
        pyramid.tile = 64; // zooms 0..=4
        pyramid.spread = Some(TileSpread::Fixed(0, SpreadShape::Circle)); // the level-by-level path
        render_pyramid(&pts, &options, &pyramid, Vec::new(), &stages).unwrap();
        let stages = stages.0.into_inner().unwrap();
        assert_eq!(stages, bare_stages.0.into_inner().unwrap(), "{reduction}");
        assert_eq!(
            stages.iter().filter(|s| s.starts_with("partition")).count(),
            1,
            "{reduction}: {stages:?}"
        );
    }
}

/// Counts of many points a pixel on a canvas of several bands take the compact path in a
/// pyramid as in a bare render (one pass into a byte a pixel, no partition), and write the
/// files of the pyramid of one band, every level and the metadata; so does a pyramid whose
/// compact side table outgrows its allowance and partitions after all (in the compact
/// plan's bands).
#[test]
fn compact_count_pyramids_write_the_files_of_one_band() {
    let tmp = tempfile::tempdir().unwrap();
    let n = 200_000;
    let xs: Vec<f64> = (0..n).map(|i| 3.0 * (i as f64 * 0.618).sin() * ((i % 97) as f64 / 97.0)).collect();
    let ys: Vec<f64> = (0..n).map(|i| 2.0 * (i as f64 * 0.377).cos() * ((i % 89) as f64 / 89.0)).collect();
    let spread_out = tmp.path().join("spread");
    std::fs::create_dir(&spread_out).unwrap();
    // 2,400 pixels of 300 points each (every other pixel of 16 rows): more pixels counted
    // 256 times or more than the side table holds (a quarter of the 307,200 bytes the
    // budget leaves beside the fixed costs, less the canvas: 1,931 entries).
    let hot_pixel = |i: usize| (i % 2400) as f64;
    let hx: Vec<f64> = (0..720_000).map(|i| -3.0 + (hot_pixel(i) % 150.0 * 2.0 + 0.5) * 0.02).collect();
    let hy: Vec<f64> =
        (0..720_000).map(|i| -2.0 + ((hot_pixel(i) / 150.0).floor() * 2.0 + 0.5) * 0.02).collect();
    let hot = tmp.path().join("hot");
    std::fs::create_dir(&hot).unwrap();
    for (name, pts, partitions) in
        [("spread", open_points(&spread_out, &xs, &ys), false), ("hot", open_points(&hot, &hx, &hy), true)]
    {
        for (reduction, how) in
            [(Reduction::Count, How::EqHist), (Reduction::Count, How::Log), (Reduction::Any, How::Linear)]
        {
            let what = format!("{name} {reduction} {how}");
            let base = RenderOptions {
                width: 300,
                height: 200,
                x_range: Some((-3.0, 3.0)),
                y_range: Some((-2.0, 2.0)),
                reduction,
                how,
                tile: 16,
                threads: Some(2),
                ..RenderOptions::default()
            };
            let one_band = tmp.path().join(format!("{name}-{reduction}-{how}-one"));
            let report = pyramid_of(&pts, &base, &one_band);
            assert_eq!(report.render.plan.bands, 1, "{what}");
            // 80 MiB is the fixed cost with 2 threads; then about 64 rows of 300 cells a band.
            let banded = RenderOptions { memory_budget: (80 << 20) + 2 * 300 * 8 * 64, ..base.clone() };
            let dir = tmp.path().join(format!("{name}-{reduction}-{how}-compact"));
            let stages = Stages::default();
            let mut pyramid = PyramidOptions::for_render(&dir, &banded);
            pyramid.tile = TILE;
            let report = render_pyramid(&pts, &banded, &pyramid, Vec::new(), &stages).unwrap();
            let stages = stages.0.into_inner().unwrap();
            assert!(report.render.plan.bands > 1, "{what}: {} bands", report.render.plan.bands);
            assert!(stages.iter().any(|s| s == "aggregate"), "{what}: {stages:?}");
            assert_eq!(stages.iter().any(|s| s.starts_with("partition")), partitions, "{what}: {stages:?}");
            assert!(tree(&dir) == tree(&one_band), "{what}: the files differ");
        }
    }
}

/// A Deep Zoom Image of any size: `pyramid.dzi` says the size, tile and overlap; level L of
/// 0..=ceil(log2(max side)) is ceil(side / 2^(maxL - L)) pixels a side (the finest the bare
/// render, the others merged from it), cut into tiles
/// of at most TILE pixels (the last ones smaller, not padded); all-background tiles are
/// missing.
#[test]
fn a_deep_zoom_image_has_every_level_at_the_exact_size() {
    let tmp = tempfile::tempdir().unwrap();
    let pts = points(tmp.path());
    let dir = tmp.path().join("dzi");
    let options = RenderOptions {
        width: 700,
        height: 500,
        x_range: Some((-4.0, 4.0)),
        y_range: Some((-3.0, 3.0)),
        reduction: Reduction::Mean,
        ..RenderOptions::default()
    };
    let mut pyramid = PyramidOptions::for_render(&dir, &options);
    pyramid.tile = TILE;
    pyramid.format = PyramidFormat::Dzi;
    let report = render_pyramid(&pts, &options, &pyramid, Vec::new(), &NoProgress).unwrap();
    let dzi = std::fs::read_to_string(dir.join("pyramid.dzi")).unwrap();
    assert!(dzi.contains("Format=\"png\" Overlap=\"0\" TileSize=\"128\""), "{dzi}");
    assert!(dzi.contains("<Size Width=\"700\" Height=\"500\"/>"), "{dzi}");
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("OpenSeadragon(") && html.contains("tileSources: \"pyramid.dzi\""), "{html}");
    // maxL = ceil(log2(700)) = 10.
    let levels: Vec<String> = files_in(&dir.join("pyramid_files"));
    assert_eq!(levels.len(), 11, "{levels:?}");
    let mut written = 0;
    let coarse = coarse_images(&pts, &options, 10);
    for (level, (lw, lh)) in
        [(10u32, (700u32, 500u32)), (9, (350, 250)), (8, (175, 125)), (3, (6, 4)), (0, (1, 1))]
    {
        let image = match level {
            10 => bare(&pts, &options, None, Color::TRANSPARENT),
            _ => {
                let (w, h, image) = coarse[(9 - level) as usize].clone();
                assert_eq!((w, h), (lw, lh));
                image
            }
        };
        written += dzi_level_types(&dir, level, (lw, lh), &image, "dzi").len() as u64;
    }
    assert!(written > 6 && report.pyramid.tiles.written > written && report.pyramid.tiles.empty > 0);
}

/// Checks every tile of DZI level `level` (`lw x lh` pixels of `image`) under `dir`: exactly
/// the tiles that are not all transparent exist, and each decodes to the image's pixels.
/// Returns the colour type each written tile stores.
fn dzi_level_types(
    dir: &Path,
    level: u32,
    (lw, lh): (u32, u32),
    image: &[u8],
    what: &str,
) -> Vec<png::ColorType> {
    let mut types = Vec::new();
    for row in 0..lh.div_ceil(TILE) {
        for col in 0..lw.div_ceil(TILE) {
            let (cols, rows) = (TILE.min(lw - col * TILE), TILE.min(lh - row * TILE));
            let mut expected = Vec::new();
            for y in 0..rows {
                let src = (((row * TILE + y) * lw + col * TILE) * 4) as usize;
                expected.extend_from_slice(&image[src..src + cols as usize * 4]);
            }
            let path = dir.join(format!("pyramid_files/{level}/{col}_{row}.png"));
            let blank = expected.chunks(4).all(|p| p[3] == 0);
            assert_eq!(path.exists(), !blank, "{what}: {}", path.display());
            if !blank {
                let (w, h, stored, px) = read_png_rgba(&path);
                assert!((w, h, &px) == (cols, rows, &expected), "{what}: {} differs", path.display());
                types.push(stored);
            }
        }
    }
    types
}

/// Tiles on a palette: a count DZI under every `--how` (the shader's palette, indices given
/// by the band) and an `any` pyramid write indexed-colour tiles at every level, decoding to
/// exactly the truecolour reference (the bare render, and the coarse levels rebuilt from its
/// aggregate); a mean's many-coloured tiles stay RGBA and decode to the same reference.
#[test]
fn count_and_any_tiles_are_indexed_and_decode_to_the_truecolour_pixels() {
    let tmp = tempfile::tempdir().unwrap();
    let pts = points(tmp.path());
    let base = RenderOptions {
        width: 700,
        height: 500,
        x_range: Some((-4.0, 4.0)),
        y_range: Some((-3.0, 3.0)),
        cmap: Colormap::by_name("viridis").unwrap(),
        ..RenderOptions::default()
    };
    let cases = [
        ("count eq_hist", Reduction::Count, How::EqHist),
        ("count log", Reduction::Count, How::Log),
        ("count linear", Reduction::Count, How::Linear),
        ("count cbrt", Reduction::Count, How::Cbrt),
        ("any", Reduction::Any, How::EqHist),
        ("mean", Reduction::Mean, How::EqHist),
    ];
    for (what, reduction, how) in cases {
        let options = RenderOptions { reduction, how, ..base.clone() };
        let dir = tmp.path().join(what.replace(' ', "-"));
        let mut pyramid = PyramidOptions::for_render(&dir, &options);
        pyramid.tile = TILE;
        pyramid.format = PyramidFormat::Dzi;
        let report = render_pyramid(&pts, &options, &pyramid, Vec::new(), &NoProgress).unwrap();
        let coarse = coarse_images(&pts, &options, 10);
        let mut types =
            dzi_level_types(&dir, 10, (700, 500), &bare(&pts, &options, None, Color::TRANSPARENT), what);
        for level in (0..10).rev() {
            let (w, h, image) = &coarse[(9 - level) as usize];
            types.extend(dzi_level_types(&dir, level, (*w, *h), image, &format!("{what} level {level}")));
        }
        assert_eq!(types.len() as u64, report.pyramid.tiles.written, "{what}");
        let indexed = types.iter().filter(|&&t| t == png::ColorType::Indexed).count();
        match reduction {
            Reduction::Mean => assert!(indexed < types.len(), "{what}: {types:?}"),
            _ => assert_eq!(indexed, types.len(), "{what}: {types:?}"),
        }
    }
}

/// A count-cat pyramid's legend: `metadata.json` lists each category (named by its code, the
/// column has no names) with the colour its shading uses, the Leaflet viewer draws a legend
/// from that list instead of a colour bar, and the DZI viewer's page holds the same legend;
/// other reductions have no `categories`.
#[test]
fn count_cat_pyramids_carry_a_legend_into_both_viewers() {
    let tmp = tempfile::tempdir().unwrap();
    let cats = categorised(tmp.path());
    let options = RenderOptions {
        width: W,
        height: H,
        x_range: Some((-4.0, 4.0)),
        y_range: Some((-3.0, 3.0)),
        reduction: Reduction::CountCat,
        ..RenderOptions::default()
    };
    let key = shading::default_color_key(3);
    let hex = |c: &Color| format!("#{:02x}{:02x}{:02x}", c.r, c.g, c.b);
    let expected: Vec<serde_json::Value> =
        (0..3).map(|i| serde_json::json!({"name": i.to_string(), "color": hex(&key[i])})).collect();
    let xyz = tmp.path().join("xyz");
    pyramid_of(&cats, &options, &xyz);
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(xyz.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["categories"], serde_json::Value::Array(expected), "{meta}");
    let html = std::fs::read_to_string(xyz.join("index.html")).unwrap();
    assert!(
        html.contains("m.categories ? legend(m) : colorbar(m, map)"),
        "the Leaflet viewer draws the legend"
    );

    let dzi = tmp.path().join("dzi");
    let mut pyramid = PyramidOptions::for_render(&dzi, &options);
    pyramid.tile = TILE;
    pyramid.format = PyramidFormat::Dzi;
    render_pyramid(&cats, &options, &pyramid, Vec::new(), &NoProgress).unwrap();
    let page = std::fs::read_to_string(dzi.join("index.html")).unwrap();
    for (i, c) in key.iter().enumerate() {
        let entry = format!("<span class=\"gp-swatch\" style=\"background: {}\"></span>{i}</div>", hex(c));
        assert!(page.contains(&entry), "{entry} in {page}");
    }

    let mean = tmp.path().join("mean");
    std::fs::create_dir(tmp.path().join("plain")).unwrap();
    let pts = points(&tmp.path().join("plain"));
    pyramid_of(&pts, &RenderOptions { reduction: Reduction::Mean, ..options.clone() }, &mean);
    let meta = std::fs::read_to_string(mean.join("metadata.json")).unwrap();
    assert!(!meta.contains("categories"), "{meta}");
}
