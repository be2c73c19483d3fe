//! Figures on a palette: a count plot's figure (axes, ticks, labels, title, grid, colorbar
//! or legend) is written with indexed colour when its colours fit 256 entries, and decodes
//! to exactly the pixels of the same figure written truecolour; a figure whose colours do
//! not fit (too many counts, twice over under a grid; count-cat's mixed colours) stays
//! truecolour with the exact decorations of before.

use gigaplot::{
    render, Color, Colormap, Compression, FigureSink, FigureSpec, How, MemoryColumn, NoProgress,
    PointColumns, Reduction, RenderOptions, Sink,
};

/// 30,000 clustered points, a category column with 3 categories.
fn points() -> PointColumns<'static> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let (mut xs, mut ys, mut cs) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..30_000u32 {
        xs.push((next(1000) + next(1000) + next(1000)) as f64 / 3000.0);
        ys.push((next(1000) * next(1000)) as f64 / 1e6);
        cs.push((i % 3) as u8);
    }
    PointColumns::from_sources(Box::new(MemoryColumn::new("x", xs)), Box::new(MemoryColumn::new("y", ys)))
        .and_then(|p| p.with_value(Box::new(MemoryColumn::new("c", cs))))
        .unwrap()
}

fn options(how: How, reduction: Reduction, tile: u32, threads: usize) -> RenderOptions {
    RenderOptions {
        width: 301,
        height: 207,
        x_range: Some((0.0, 1.0)),
        y_range: Some((0.0, 1.0)),
        how,
        reduction,
        cmap: Colormap::by_name("fire").unwrap(),
        tile,
        threads: Some(threads),
        ..RenderOptions::default()
    }
}

fn spec(grid: bool, legend: bool) -> FigureSpec {
    FigureSpec {
        title: Some("Counts on a palette".into()),
        xlabel: Some("x (m)".into()),
        ylabel: Some("y value".into()),
        grid,
        legend: legend.then(|| {
            vec![("alpha".into(), Color::rgb(31, 119, 180)), ("beta".into(), Color::rgb(255, 127, 14))]
        }),
        ..FigureSpec::default()
    }
}

/// The figure PNG of one render written twice: as the sink chooses, and truecolour.
fn both(
    points: &PointColumns,
    options: &RenderOptions,
    spec: impl Fn() -> FigureSpec,
    colorbar: bool,
) -> (Vec<u8>, Vec<u8>) {
    let label = colorbar.then(|| Some("count".to_string()));
    let (chosen, a) = FigureSink::to_writer(Vec::new(), Compression::Fast, spec(), label.clone());
    let (truecolour, b) = FigureSink::to_writer(Vec::new(), Compression::Fast, spec(), label);
    let sinks: Vec<Box<dyn Sink>> = vec![Box::new(chosen), Box::new(truecolour.truecolour())];
    render(points, options, sinks, &NoProgress).unwrap();
    (a.take().unwrap(), b.take().unwrap())
}

/// True when the PNG holds a PLTE chunk (its chunks walked from the signature).
fn has_plte(png_bytes: &[u8]) -> bool {
    let mut at = 8;
    while at + 8 <= png_bytes.len() {
        let len = u32::from_be_bytes(png_bytes[at..at + 4].try_into().unwrap()) as usize;
        if &png_bytes[at + 4..at + 8] == b"PLTE" {
            return true;
        }
        at += 12 + len;
    }
    false
}

/// The PNG's colour type, bit depth, size and pixels as straight RGBA.
fn decode(png_bytes: &[u8]) -> (png::ColorType, png::BitDepth, (u32, u32), Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().unwrap();
    let (color, depth) = (reader.info().color_type, reader.info().bit_depth);
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (color, depth, (info.width, info.height), buf)
}

fn distinct(rgba: &[u8]) -> usize {
    rgba.chunks_exact(4).collect::<std::collections::HashSet<_>>().len()
}

/// The number of distinct greys (text and frame edges): more than 16 means exact
/// anti-aliasing, at most 16 the palette-ready drawing.
fn greys(rgba: &[u8]) -> usize {
    rgba.chunks_exact(4)
        .filter(|p| p[0] == p[1] && p[1] == p[2])
        .map(|p| p[0])
        .collect::<std::collections::HashSet<_>>()
        .len()
}

/// Checks that `indexed` is an indexed PNG (with PLTE) decoding to exactly the pixels of the
/// truecolour (RGB) `truecolour`, in fewer bytes; gives its decoded pixels.
fn assert_indexed_as_truecolour(indexed: &[u8], truecolour: &[u8], what: &str) -> Vec<u8> {
    let (color, depth, size, pixels) = decode(indexed);
    let what = format!("{what}: {} colours", distinct(&pixels));
    assert_eq!((color, depth), (png::ColorType::Indexed, png::BitDepth::Eight), "{what}");
    assert!(has_plte(indexed), "{what}: no PLTE chunk");
    let (color, _, true_size, true_pixels) = decode(truecolour);
    assert_eq!((color, size), (png::ColorType::Rgb, true_size), "{what}");
    assert!(pixels == true_pixels, "{what}: the decoded pixels differ");
    assert!(indexed.len() < truecolour.len(), "{what}: {} vs {} bytes", indexed.len(), truecolour.len());
    pixels
}

/// A staircase of `steps` distinct counts on one row (count c at x = c * `pitch` + 0.5), on
/// a `width` x `height` canvas shaded linearly: as many plot colours as steps.
fn staircase(steps: u32, pitch: f64, width: u32, height: u32) -> (PointColumns<'static>, RenderOptions) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for c in 1..=steps {
        for _ in 0..c {
            xs.push(f64::from(c) * pitch + 0.5);
            ys.push(0.5);
        }
    }
    let points = PointColumns::from_sources(
        Box::new(MemoryColumn::new("x", xs)),
        Box::new(MemoryColumn::new("y", ys)),
    )
    .unwrap();
    let options = RenderOptions {
        width,
        height,
        x_range: Some((0.0, f64::from(width))),
        y_range: Some((0.0, f64::from(height))),
        ..options(How::Linear, Reduction::Count, 64, 2)
    };
    (points, options)
}

#[test]
fn count_figures_with_a_colorbar_are_indexed_and_decode_to_the_truecolour_figure() {
    let points = points();
    for how in How::ALL {
        for reduction in [Reduction::Count, Reduction::Any] {
            let (indexed, truecolour) =
                both(&points, &options(how, reduction, 64, 2), || spec(false, false), true);
            let pixels = assert_indexed_as_truecolour(&indexed, &truecolour, &format!("{reduction} {how}"));
            assert!(distinct(&pixels) > 40, "{reduction} {how}: the colour bar lost its steps");
        }
    }
}

#[test]
fn grid_figures_are_indexed_and_decode_to_the_truecolour_figure() {
    let points = points();
    for how in How::ALL {
        for reduction in [Reduction::Count, Reduction::Any] {
            let (indexed, truecolour) =
                both(&points, &options(how, reduction, 64, 2), || spec(true, false), true);
            assert_indexed_as_truecolour(&indexed, &truecolour, &format!("{reduction} {how}"));
        }
    }
    // The grid is there: a data pixel under a grid line differs from the figure without it.
    let opts = options(How::EqHist, Reduction::Count, 64, 2);
    let (grid, _) = both(&points, &opts, || spec(true, false), true);
    let (plain, _) = both(&points, &opts, || spec(false, false), true);
    let (grid, plain) = (decode(&grid), decode(&plain));
    assert_eq!((plain.0, grid.2), (png::ColorType::Indexed, plain.2));
    let changed = grid.3.chunks_exact(4).zip(plain.3.chunks_exact(4)).filter(|(g, p)| g != p).count();
    assert!(changed > 301 * 2, "{changed} pixels under the grid");
}

#[test]
fn grid_figures_do_not_depend_on_tiles_threads_or_bands() {
    const MIB: u64 = 1 << 20;
    let points = points();
    let run = |tile: u32, threads: usize, budget: u64| {
        let options =
            RenderOptions { memory_budget: budget, ..options(How::EqHist, Reduction::Count, tile, threads) };
        let (sink, png) = FigureSink::to_writer(Vec::new(), Compression::Fast, spec(true, true), Some(None));
        let report = render(&points, &options, vec![Box::new(sink) as Box<dyn Sink>], &NoProgress).unwrap();
        (report.plan.bands, png.take().unwrap())
    };
    let (_, reference) = run(256, 1, 256 * MIB);
    assert_eq!(decode(&reference).0, png::ColorType::Indexed);
    let mut split = 0;
    for tile in [7, 64, 256] {
        for threads in [1, 2] {
            // The default budget (one band), and one that cuts the canvas into bands of a few
            // tile rows (`canvas/plan.rs`: fixed and per-thread costs, two band buffers).
            for budget in
                [256 * MIB, 40 * MIB + 20 * MIB * threads as u64 + 2 * 2 * u64::from(tile) * 301 * 4]
            {
                let (bands, png) = run(tile, threads, budget);
                split = split.max(bands);
                assert!(png == reference, "tile {tile}, {threads} threads, {bands} bands");
            }
        }
    }
    assert!(split > 3, "at most {split} bands");
}

#[test]
fn a_legend_keeps_the_palette() {
    let points = points();
    let (indexed, truecolour) =
        both(&points, &options(How::EqHist, Reduction::Count, 64, 2), || spec(false, true), false);
    let (color, _, _, pixels) = decode(&indexed);
    assert_eq!(color, png::ColorType::Indexed);
    assert!(pixels == decode(&truecolour).3);
    // The legend's swatch colours are there.
    let has = |c: [u8; 4]| pixels.chunks_exact(4).any(|p| p == c);
    assert!(has([31, 119, 180, 255]) && has([255, 127, 14, 255]));
}

#[test]
fn palette_figures_do_not_depend_on_tiles_or_threads() {
    let points = points();
    let reference =
        both(&points, &options(How::EqHist, Reduction::Count, 512, 1), || spec(false, true), true).0;
    assert_eq!(decode(&reference).0, png::ColorType::Indexed);
    for (tile, threads) in [(64, 2), (32, 3)] {
        let (png, _) =
            both(&points, &options(How::EqHist, Reduction::Count, tile, threads), || spec(false, true), true);
        assert!(png == reference, "tile {tile}, {threads} threads");
    }
}

#[test]
fn count_cat_figures_take_their_palette_from_the_census() {
    let points = points();
    let (chosen, truecolour) =
        both(&points, &options(How::EqHist, Reduction::CountCat, 64, 2), || spec(false, true), false);
    let (color, _, _, pixels) = decode(&chosen);
    assert!(greys(&pixels) > 16, "{} greys: not exact anti-aliasing", greys(&pixels));
    // A few hundred points in four categories: few count vectors, so few mixed colours.
    assert_eq!(color, png::ColorType::Indexed);
    assert!(pixels == decode(&truecolour).3);
    assert_eq!(decode(&truecolour).0, png::ColorType::Rgb);
    assert!(chosen.len() < truecolour.len(), "{} against {} bytes", chosen.len(), truecolour.len());
}

#[test]
fn figures_that_do_not_fit_stay_truecolour_and_exact() {
    // 240 distinct counts shaded linearly: too many colours beside a 64-step colour bar.
    let (many, wide) = staircase(240, 1.0, 300, 20);
    let (chosen, truecolour) = both(&many, &wide, || spec(false, false), true);
    let (color, _, _, pixels) = decode(&chosen);
    assert_eq!(color, png::ColorType::Rgb, "{} colours", distinct(&pixels));
    assert!(chosen == truecolour);
}

#[test]
fn grid_figures_whose_colours_do_not_fit_stay_truecolour_and_exact() {
    // 110 distinct counts shaded linearly: they fit a palette beside a 64-step colour bar,
    // but not with their 110 blends under the grid as well.
    let (many, wide) = staircase(110, 2.0, 300, 60);
    let (plain, _) = both(&many, &wide, || spec(false, false), true);
    assert_eq!(decode(&plain).0, png::ColorType::Indexed, "{} colours", distinct(&decode(&plain).3));
    let (chosen, truecolour) = both(&many, &wide, || spec(true, false), true);
    let (color, _, _, pixels) = decode(&chosen);
    assert_eq!(color, png::ColorType::Rgb, "{} colours", distinct(&pixels));
    assert!(!has_plte(&chosen));
    assert!(chosen == truecolour);
    assert!(greys(&pixels) > 16, "{} greys: not exact anti-aliasing", greys(&pixels));
}
