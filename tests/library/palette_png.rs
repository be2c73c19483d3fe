//! Indexed-colour PNGs on real renders through the public API: count plots are written as
//! colour type 3 at the smallest bit depth, decode to exactly the pixels of the in-memory
//! image (and of the truecolour PNG a spread or a float reduction still gets), and their
//! bytes do not depend on the tile size or the thread count. So do sparse count-cat plots,
//! whose colours the statistics' census of count vectors knows; dense ones stay truecolour.

use std::path::Path;

use crate::common::*;
use gigaplot::{
    render, Color, Colormap, ColumnSpec, Compression, How, NoProgress, PngSink, PointColumns, Reduction,
    RenderOptions, RgbaSink, Sink, SpreadShape as Shape, SpreadSink, Spreader,
};

/// 30,000 clustered points with a value column.
fn points(dir: &Path) -> PointColumns<'static> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for _ in 0..30_000 {
        xs.push((next(1000) + next(1000) + next(1000)) as f64 / 3000.0);
        ys.push((next(1000) * next(1000)) as f64 / 1e6);
    }
    let paths = [dir.join("x.npy"), dir.join("y.npy")];
    write_f64(&paths[0], &xs);
    write_f64(&paths[1], &ys);
    let spec = |p: &Path| ColumnSpec::parse(p.to_str().unwrap());
    PointColumns::open_with_value(&spec(&paths[0]), &spec(&paths[1]), &spec(&paths[0])).unwrap()
}

fn options(how: How, background: Color, tile: u32, threads: usize) -> RenderOptions {
    RenderOptions {
        width: 301,
        height: 207,
        x_range: Some((0.0, 1.0)),
        y_range: Some((0.0, 1.0)),
        how,
        cmap: Colormap::by_name("fire").unwrap(),
        background,
        tile,
        threads: Some(threads),
        ..RenderOptions::default()
    }
}

/// `n` points in four categories (the value column, int32), clustered by category (on a
/// large canvas most pixels then hold a few points of one category) or `mixed` over one
/// cluster.
fn categorical(dir: &Path, n: usize, mixed: bool) -> PointColumns<'static> {
    let mut state = 0x51_7cc1_b727_220au64;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let (mut xs, mut ys, mut cs) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let c = next(4);
        let (cx, cy) = if mixed { (0.25, 0.25) } else { ((c % 2) as f64 * 0.5, (c / 2) as f64 * 0.5) };
        xs.push(cx + (next(1000) + next(1000)) as f64 / 4000.0);
        ys.push(cy + (next(1000) + next(1000)) as f64 / 4000.0);
        cs.push(c as i32);
    }
    let paths = [dir.join("cx.npy"), dir.join("cy.npy"), dir.join("c.npy")];
    write_f64(&paths[0], &xs);
    write_f64(&paths[1], &ys);
    let mut bytes = gigaplot::npy::encode_header(gigaplot::DType::I32, &[cs.len()]);
    bytes.extend(cs.iter().flat_map(|v| v.to_le_bytes()));
    std::fs::write(&paths[2], bytes).unwrap();
    let spec = |p: &Path| ColumnSpec::parse(p.to_str().unwrap());
    PointColumns::open_with_value(&spec(&paths[0]), &spec(&paths[1]), &spec(&paths[2])).unwrap()
}

/// The IHDR's bit depth and colour type, and whether PLTE and tRNS chunks are present.
fn header(png: &[u8]) -> (u8, u8, bool, bool) {
    let has = |kind: &[u8]| png.windows(4).any(|w| w == kind);
    (png[24], png[25], has(b"PLTE"), has(b"tRNS"))
}

/// Renders `options` into a PNG (through `spread` pixels when given) and an RGBA image of
/// the same render; returns the PNG's bytes and the image's pixels.
fn render_both(points: &PointColumns, options: &RenderOptions, spread: Option<usize>) -> (Vec<u8>, Vec<u8>) {
    let (png, bytes) = PngSink::to_writer(Vec::new(), Compression::Fast);
    let (rgba, image) = RgbaSink::new();
    let (png, rgba): (Box<dyn Sink>, Box<dyn Sink>) = match spread {
        None => (Box::new(png), Box::new(rgba)),
        Some(px) => {
            let spread = |sink: Box<dyn Sink>| -> Box<dyn Sink> {
                Box::new(SpreadSink::new(sink, Spreader::new(px, Shape::Circle), options.background))
            };
            (spread(Box::new(png)), spread(Box::new(rgba)))
        }
    };
    render(points, options, vec![png, rgba], &NoProgress).unwrap();
    (bytes.take().unwrap(), image.take().unwrap().into_pixels())
}

/// The PNG's pixels as RGBA (alpha 255 added to RGB).
fn decoded_rgba(png: &[u8], dir: &Path) -> Vec<u8> {
    let path = dir.join("decoded.png");
    std::fs::write(&path, png).unwrap();
    let (_, _, bpp, pixels) = read_png(&path);
    match bpp {
        4 => pixels,
        3 => pixels.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        other => panic!("{other} bytes per pixel"),
    }
}

#[test]
fn count_plots_are_indexed_and_decode_to_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let points = points(dir.path());
    for how in How::ALL {
        for background in [Color::TRANSPARENT, Color::rgb(0, 0, 40)] {
            let (png, image) = render_both(&points, &options(how, background, 64, 2), None);
            let colours: std::collections::HashSet<&[u8]> = image.chunks_exact(4).collect();
            let (depth, color_type, plte, trns) = header(&png);
            let what = format!("{how}, {background:?}: {} colours", colours.len());
            assert!(colours.len() <= 256, "{what}");
            assert_eq!((color_type, plte), (3, true), "{what}");
            assert_eq!(trns, !background.is_opaque(), "{what}");
            let bits = match colours.len() {
                0..=2 => 1,
                3..=4 => 2,
                5..=16 => 4,
                _ => 8,
            };
            assert_eq!(depth, bits, "{what}");
            assert!(decoded_rgba(&png, dir.path()) == image, "{what}");
        }
    }
}

#[test]
fn indexed_bytes_do_not_depend_on_tiles_or_threads() {
    let dir = tempfile::tempdir().unwrap();
    let points = points(dir.path());
    let (reference, _) = render_both(&points, &options(How::EqHist, Color::TRANSPARENT, 512, 1), None);
    assert_eq!(header(&reference).1, 3);
    for (tile, threads) in [(64, 2), (32, 3), (128, 1)] {
        let (png, _) = render_both(&points, &options(How::EqHist, Color::TRANSPARENT, tile, threads), None);
        assert!(png == reference, "tile {tile}, {threads} threads");
    }
}

#[test]
fn spread_and_float_plots_stay_truecolour() {
    let dir = tempfile::tempdir().unwrap();
    let points = points(dir.path());
    // Spreading composites neighbouring colours: the colours are not known in advance.
    let (png, image) = render_both(&points, &options(How::EqHist, Color::TRANSPARENT, 64, 2), Some(1));
    assert_eq!(header(&png), (8, 6, false, false));
    assert!(decoded_rgba(&png, dir.path()) == image);
    // A mean's colours are interpolated from float values: not bounded by a histogram.
    let mean =
        RenderOptions { reduction: Reduction::Mean, ..options(How::Linear, Color::TRANSPARENT, 64, 2) };
    let (png, image) = render_both(&points, &mean, None);
    assert_eq!(header(&png), (8, 6, false, false));
    assert!(decoded_rgba(&png, dir.path()) == image);
}

#[test]
fn sparse_count_cat_plots_are_indexed_and_decode_to_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let points = categorical(dir.path(), 20_000, false);
    for how in How::ALL {
        for background in [Color::TRANSPARENT, Color::rgb(0, 0, 40)] {
            let options = RenderOptions { reduction: Reduction::CountCat, ..options(how, background, 64, 2) };
            let (png, image) = render_both(&points, &options, None);
            let colours: std::collections::HashSet<&[u8]> = image.chunks_exact(4).collect();
            let (_, color_type, plte, trns) = header(&png);
            let what = format!("{how}, {background:?}: {} colours", colours.len());
            assert!(colours.len() > 16 && colours.len() <= 256, "{what}");
            assert_eq!((color_type, plte, trns), (3, true, !background.is_opaque()), "{what}");
            assert!(decoded_rgba(&png, dir.path()) == image, "{what}");
        }
    }
    let options = |tile, threads| RenderOptions {
        reduction: Reduction::CountCat,
        ..options(How::EqHist, Color::TRANSPARENT, tile, threads)
    };
    let (reference, _) = render_both(&points, &options(512, 1), None);
    for (tile, threads) in [(64, 2), (32, 3)] {
        assert!(
            render_both(&points, &options(tile, threads), None).0 == reference,
            "tile {tile}, {threads} threads"
        );
    }
}

#[test]
fn dense_count_cat_plots_stay_truecolour() {
    let dir = tempfile::tempdir().unwrap();
    // 400,000 points of four categories mixed in every pixel: thousands of count vectors.
    let points = categorical(dir.path(), 400_000, true);
    for (tile, threads) in [(512, 1), (32, 3)] {
        let options = RenderOptions {
            reduction: Reduction::CountCat,
            ..options(How::EqHist, Color::TRANSPARENT, tile, threads)
        };
        let (png, image) = render_both(&points, &options, None);
        assert_eq!(header(&png), (8, 6, false, false), "tile {tile}, {threads} threads");
        assert!(decoded_rgba(&png, dir.path()) == image);
    }
}
