//! `render_pyramid` through the crate-root API only: the pyramid (tiles, metadata, viewer)
//! and the PNG written in the same pass are byte for byte what `gigaplot render --pyramid`
//! writes for the same options, statistics computed or read from a file alike; refused
//! options name the library field and leave no directory behind.

use std::path::Path;

use crate::common::*;
use gigaplot::{
    compute_stats, render_pyramid, Color, Colormap, ColumnSpec, Compression, Error, Field, How, InputKey,
    NoProgress, PngSink, PointColumns, PyramidOptions, RenderOptions, ShardSpec, Sink, StatsKey,
};

const X_RANGE: (f64, f64) = (-4.0, 4.0);
const Y_RANGE: (f64, f64) = (-3.0, 3.0);

/// x.npy and y.npy in `dir`: a clustered cloud, some points outside the ranges.
fn write_points(dir: &Path) -> (ColumnSpec, ColumnSpec) {
    let n = 30_000;
    let xs: Vec<f64> = (0..n).map(|i| 3.0 * (i as f64 * 0.618).sin() * ((i % 97) as f64 / 97.0)).collect();
    let ys: Vec<f64> = (0..n).map(|i| 4.0 * (i as f64 * 0.377).cos() * ((i % 89) as f64 / 89.0)).collect();
    let (x, y) = (dir.join("x.npy"), dir.join("y.npy"));
    write_f64(&x, &xs);
    write_f64(&y, &ys);
    (ColumnSpec::parse(x.to_str().unwrap()), ColumnSpec::parse(y.to_str().unwrap()))
}

/// The library's options for the command line's `--width 600 --height 450 --x-range -4,4
/// --y-range -3,3 --how log --cmap viridis --background #102030`.
fn options() -> RenderOptions {
    RenderOptions {
        width: 600,
        height: 450,
        x_range: Some(X_RANGE),
        y_range: Some(Y_RANGE),
        how: How::Log,
        cmap: Colormap::by_name("viridis").unwrap(),
        background: Color::parse("#102030").unwrap(),
        ..RenderOptions::default()
    }
}

/// `gigaplot render` of the same canvas into `--pyramid pyramid` (tile 128) and `-o plot.png`
/// (bare), plus `extra` flags.
fn cli_pyramid(dir: &Path, x: &ColumnSpec, y: &ColumnSpec, extra: &[&str]) {
    let (pyramid, png) = (dir.join("pyramid"), dir.join("plot.png"));
    let mut args = vec![
        "render",
        "-q",
        "--x",
        x.path.to_str().unwrap(),
        "--y",
        y.path.to_str().unwrap(),
        "--width",
        "600",
        "--height",
        "450",
        "--x-range=-4,4",
        "--y-range=-3,3",
        "--how",
        "log",
        "--cmap",
        "viridis",
        "--background",
        "#102030",
        "--pyramid",
        pyramid.to_str().unwrap(),
        "--pyramid-tile",
        "128",
        "-o",
        png.to_str().unwrap(),
        "--bare",
    ];
    args.extend_from_slice(extra);
    run_ok(&args);
}

#[test]
fn render_pyramid_writes_the_command_lines_pyramid_and_png() {
    let tmp = tempfile::tempdir().unwrap();
    let (x, y) = write_points(tmp.path());
    let (cli, lib) = (tmp.path().join("cli"), tmp.path().join("lib"));
    std::fs::create_dir_all(&cli).unwrap();
    std::fs::create_dir_all(&lib).unwrap();
    cli_pyramid(&cli, &x, &y, &[]);

    let points = PointColumns::open(&x, &y).unwrap();
    let options = options();
    let mut pyramid = PyramidOptions::for_render(&lib.join("pyramid"), &options);
    pyramid.tile = 128;
    let png: Box<dyn Sink> = Box::new(PngSink::new(&lib.join("plot.png"), Compression::Fast));
    let report = render_pyramid(&points, &options, &pyramid, vec![png], &NoProgress).unwrap();

    let (want, got) = (tree(&cli.join("pyramid")), tree(&lib.join("pyramid")));
    assert!(want.contains_key("0/0/0.png") && want.contains_key("metadata.json"), "{:?}", want.keys());
    assert!(want.keys().any(|k| k.starts_with("3/")), "600 px over 128 px tiles has zooms 0..=3");
    assert_eq!(want.keys().collect::<Vec<_>>(), got.keys().collect::<Vec<_>>());
    for (name, bytes) in &want {
        assert!(bytes == &got[name], "{name} differs");
    }
    assert_eq!(std::fs::read(cli.join("plot.png")).unwrap(), std::fs::read(lib.join("plot.png")).unwrap());
    let tiles = got.keys().filter(|k| k.ends_with(".png")).count() as u64;
    assert_eq!(report.pyramid.tiles.written, tiles);
    // zooms 3, 2, 1, 0: 5 x 4, 3 x 2, 2 x 1 and 1 tile, none of them empty
    assert_eq!(report.pyramid.tiles.written, 29, "{:?}", report.pyramid.tiles);
    assert!(report.pyramid.wrote_metadata);
    assert_eq!((report.render.x_range, report.render.y_range), (X_RANGE, Y_RANGE));
    assert!(report.render.plotted > 20_000 && report.render.plotted < 30_000, "{}", report.render.plotted);

    // The same pyramid from statistics computed beforehand, as `gigaplot stats` does.
    let stats = tmp.path().join("stats.json");
    let key = StatsKey {
        width: 600,
        height: 450,
        tile: 128,
        x_range: X_RANGE,
        y_range: Y_RANGE,
        x_scale: Default::default(),
        y_scale: Default::default(),
        inputs: vec![InputKey::of(&x).unwrap(), InputKey::of(&y).unwrap()],
        projection: Default::default(),
    };
    compute_stats(&points, key.clone(), ShardSpec::WHOLE, &options, &stats, &NoProgress).unwrap();
    let mut from_file = PyramidOptions::for_render(&lib.join("from-file"), &options);
    from_file.tile = 128;
    from_file.stats = Some(stats.clone());
    from_file.inputs = key.inputs.clone();
    render_pyramid(&points, &options, &from_file, Vec::new(), &NoProgress).unwrap();
    assert!(tree(&lib.join("from-file")) == want, "the pyramid from a statistics file differs");

    // Statistics of other inputs are refused, naming the file, and nothing is written.
    let mut other = from_file.clone();
    other.dir = lib.join("other");
    other.inputs.swap(0, 1);
    let err = render_pyramid(&points, &options, &other, Vec::new(), &NoProgress).unwrap_err();
    assert!(err.to_string().starts_with(&format!("{}: ", stats.display())), "{err}");
    assert!(!lib.join("other").exists());
}

#[test]
fn refused_pyramid_options_name_the_library_field() {
    let tmp = tempfile::tempdir().unwrap();
    let (x, y) = write_points(tmp.path());
    let points = PointColumns::open(&x, &y).unwrap();
    let dir = tmp.path().join("pyramid");
    let cases: [(RenderOptions, Field, &str); 2] = [
        (
            RenderOptions { x_range: None, ..options() },
            Field::XRange,
            "x_range: a pyramid needs explicit x_range and y_range",
        ),
        (
            RenderOptions { y_range: None, ..options() },
            Field::YRange,
            "y_range: a pyramid needs explicit x_range and y_range",
        ),
    ];
    for (options, field, message) in cases {
        let pyramid = PyramidOptions::for_render(&dir, &options);
        let err = render_pyramid(&points, &options, &pyramid, Vec::new(), &NoProgress).unwrap_err();
        assert_eq!(err.to_string(), message);
        assert!(matches!(err, Error::BadParameter { field: f, .. } if f == field), "{err:?}");
        assert!(!dir.exists(), "{message}: a refused pyramid wrote {}", dir.display());
    }
    // A tile side out of range names pyramid.tile before any pass over the data.
    let mut pyramid = PyramidOptions::for_render(&dir, &options());
    pyramid.tile = 8;
    let err = render_pyramid(&points, &options(), &pyramid, Vec::new(), &NoProgress).unwrap_err();
    assert!(matches!(err, Error::BadParameter { field: Field::PyramidTile, .. }), "{err:?}");
    assert!(!dir.exists());
}
