//! Pyramids of every reduction and glyph (`render_pyramid` level by level): every level is
//! the render of the data at its own size, so the finest level is the bare render cut into
//! tiles byte for byte and each coarser level the bare render at its size (aggregated from
//! the data, not downsampled), spread by the same radius at every level; exactly the tiles
//! that are not all background are written.

use std::path::Path;

use crate::common::*;
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
    let (x, y) = (dir.join("x.npy"), dir.join("y.npy"));
    write_f64(&x, &xs);
    write_f64(&y, &ys);
    let points =
        PointColumns::open(&ColumnSpec::parse(x.to_str().unwrap()), &ColumnSpec::parse(y.to_str().unwrap()))
            .unwrap();
    points.with_value(Box::new(MemoryColumn::new("v", vs))).unwrap()
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

/// Checks the tiles of zoom `z` against the `lw x lh` RGBA image (tiles cut from it, padded
/// transparent): exactly the tiles not all `background` exist. Returns the tiles written.
fn check_level(
    dir: &Path,
    z: u32,
    (lw, lh): (u32, u32),
    image: &[u8],
    background: [u8; 4],
    what: &str,
) -> u64 {
    let mut written = 0;
    for ty in 0..lh.div_ceil(TILE) {
        for tx in 0..lw.div_ceil(TILE) {
            let mut expected = vec![0u8; (TILE * TILE * 4) as usize];
            let mut blank = true;
            for y in 0..TILE.min(lh - ty * TILE) {
                let cols = TILE.min(lw - tx * TILE) as usize;
                let src = (((ty * TILE + y) * lw + tx * TILE) * 4) as usize;
                let dst = (y * TILE * 4) as usize;
                let row = &image[src..src + cols * 4];
                blank &= row.chunks(4).all(|p| p == background);
                expected[dst..dst + cols * 4].copy_from_slice(row);
            }
            let path = dir.join(format!("{z}/{tx}/{ty}.png"));
            assert_eq!(path.exists(), !blank, "{what}: {} exists iff not all background", path.display());
            if blank {
                continue;
            }
            let (w, h, bpp, px) = read_png(&path);
            assert_eq!((w, h, bpp), (TILE, TILE, 4), "{what}: {}", path.display());
            assert!(px == expected, "{what}: {} differs from the bare render", path.display());
            written += 1;
        }
    }
    written
}

#[test]
fn every_level_of_any_reduction_and_glyph_is_the_bare_render_at_its_size() {
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
        ("any", RenderOptions { reduction: Reduction::Any, ..base.clone() }, None, Color::TRANSPARENT),
        ("sum", RenderOptions { reduction: Reduction::Sum, how: How::Linear, ..base.clone() }, None, dark),
        ("mean", RenderOptions { reduction: Reduction::Mean, ..base.clone() }, None, Color::TRANSPARENT),
        ("std", RenderOptions { reduction: Reduction::Std, how: How::Log, ..base.clone() }, None, dark),
        ("min", RenderOptions { reduction: Reduction::Min, ..base.clone() }, None, Color::TRANSPARENT),
        ("last", RenderOptions { reduction: Reduction::Last, ..base.clone() }, None, Color::TRANSPARENT),
        ("lines", RenderOptions { glyph: Glyph::Lines, ..base.clone() }, None, dark),
        (
            "aa lines max",
            RenderOptions { glyph: Glyph::Lines, line_width: 1.5, reduction: Reduction::Max, ..base.clone() },
            None,
            Color::TRANSPARENT,
        ),
        ("spread count", RenderOptions { background: Color::TRANSPARENT, ..base.clone() }, fixed, dark),
        (
            "dynspread mean",
            RenderOptions {
                reduction: Reduction::Mean,
                background: Color::TRANSPARENT,
                dynspread: Some(Dynspread::default()),
                ..base.clone()
            },
            dynamic,
            Color::TRANSPARENT,
        ),
    ];
    for (what, options, spread, background) in cases {
        // The render's own background, unless it is spread (then the spreading composites).
        let options = RenderOptions {
            background: if spread.is_some() { options.background } else { background },
            ..options
        };
        let dir = tmp.path().join(what.replace(' ', "-"));
        let mut pyramid = PyramidOptions::for_render(&dir, &options);
        pyramid.tile = TILE;
        pyramid.background = background;
        pyramid.spread = spread;
        let report = render_pyramid(&pts, &options, &pyramid, Vec::new(), &NoProgress).unwrap();
        assert!(report.pyramid.wrote_metadata, "{what}");
        let bg = [background.r, background.g, background.b, background.a];
        let mut written = 0;
        for (z, f) in [(2u32, 1u32), (1, 2), (0, 4)] {
            let level = RenderOptions { width: W / f, height: H / f, ..options.clone() };
            let image = bare(&pts, &level, spread, background);
            written += check_level(&dir, z, (W / f, H / f), &image, bg, &format!("{what} zoom {z}"));
        }
        assert_eq!(report.pyramid.tiles.written, written, "{what}");
        assert_eq!(report.pyramid.tiles.written + report.pyramid.tiles.empty, 12 + 4 + 1, "{what}");
        assert!(report.pyramid.tiles.empty > 0, "{what}: the empty right part has no tiles");
        assert!(dir.join("metadata.json").is_file() && dir.join("index.html").is_file());
    }
}

/// Sides that are not multiples of 2^max_zoom are refused before anything is written.
#[test]
fn level_pyramids_need_sides_every_level_divides() {
    let tmp = tempfile::tempdir().unwrap();
    let pts = points(tmp.path());
    let dir = tmp.path().join("pyr");
    let options = RenderOptions {
        width: 510,
        height: 384,
        x_range: Some((-4.0, 4.0)),
        y_range: Some((-3.0, 3.0)),
        reduction: Reduction::Mean,
        ..RenderOptions::default()
    };
    let mut pyramid = PyramidOptions::for_render(&dir, &options);
    pyramid.tile = TILE;
    let err = render_pyramid(&pts, &options, &pyramid, Vec::new(), &NoProgress).unwrap_err().to_string();
    assert_eq!(
        err,
        "width: pyramids of mean need a width and height divisible by 2^2 = 4, so that every level covers the \
         ranges exactly; 512 x 384 would do"
    );
    assert!(!dir.exists());
}

/// A Deep Zoom Image of any size: `pyramid.dzi` says the size, tile and overlap; level L of
/// 0..=ceil(log2(max side)) is the bare render at ceil(side / 2^(maxL - L)), cut into tiles
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
    for (level, (lw, lh)) in
        [(10u32, (700u32, 500u32)), (9, (350, 250)), (8, (175, 125)), (3, (6, 4)), (0, (1, 1))]
    {
        let image =
            bare(&pts, &RenderOptions { width: lw, height: lh, ..options.clone() }, None, Color::TRANSPARENT);
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
                assert_eq!(path.exists(), !blank, "{}", path.display());
                if !blank {
                    assert_eq!(read_png(&path), (cols, rows, 4, expected), "{}", path.display());
                    written += 1;
                }
            }
        }
    }
    assert!(written > 6 && report.pyramid.tiles.written > written && report.pyramid.tiles.empty > 0);
}
