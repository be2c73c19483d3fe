//! Sinks that write to any `Write` and sinks that keep the canvas in memory, on real
//! renders through the public API: a PNG or `.npy` written into a `Vec<u8>` is the file's
//! bytes, an `RgbaImage` is the PNG's decoded pixels, an `AggregateArray` is the `.npy`'s
//! data with its shape and dtype.

use std::path::Path;

use crate::common::*;
use gigaplot::npy::encode_header;
use gigaplot::NoProgress;
use gigaplot::Reduction;
use gigaplot::{render, RenderOptions};
use gigaplot::{AggregateArraySink, AggregateSink, Compression, PngSink, RgbaSink, Sink, IN_MEMORY_LIMIT};
use gigaplot::{Color, Colormap, How};
use gigaplot::{ColumnSpec, DType, PointColumns};
use gigaplot::{FigureSink, FigureSpec};

/// 20,000 clustered points with a small-integer value column (for count-cat too).
fn points(dir: &Path) -> PointColumns<'static> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let (mut xs, mut ys, mut vs) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..20_000 {
        xs.push((next(1000) + next(1000)) as f64 / 2000.0);
        ys.push((next(1000) * next(1000)) as f64 / 1e6);
        vs.push(next(4) as i32);
    }
    let paths = [dir.join("x.npy"), dir.join("y.npy"), dir.join("v.npy")];
    write_f64(&paths[0], &xs);
    write_f64(&paths[1], &ys);
    let mut bytes = encode_header(DType::I32, &[vs.len()]);
    bytes.extend(vs.iter().flat_map(|v| v.to_le_bytes()));
    std::fs::write(&paths[2], bytes).unwrap();
    let spec = |p: &Path| ColumnSpec::parse(p.to_str().unwrap());
    PointColumns::open_with_value(&spec(&paths[0]), &spec(&paths[1]), &spec(&paths[2])).unwrap()
}

fn options(reduction: Reduction, background: Color) -> RenderOptions {
    RenderOptions {
        width: 173,
        height: 301,
        x_range: Some((0.0, 1.0)),
        y_range: Some((0.0, 1.0)),
        how: How::EqHist,
        cmap: Colormap::by_name("viridis").unwrap(),
        background,
        reduction,
        // Several bands (2 to 5 by the bytes per pixel), so every sink sees more than one.
        tile: 64,
        threads: Some(2),
        memory_budget: (80 << 20) + 400_000,
        ..RenderOptions::default()
    }
}

#[test]
fn memory_and_writer_sinks_equal_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let points = points(dir.path());
    let opaque = Color::rgb(250, 250, 250);
    for (reduction, background, dtype, shape_tail) in [
        (Reduction::Count, Color::TRANSPARENT, DType::U32, vec![]),
        (Reduction::Mean, opaque, DType::F64, vec![]),
        (Reduction::CountCat, Color::TRANSPARENT, DType::U32, vec![4]),
    ] {
        let options = options(reduction, background);
        let (png, agg) = (dir.path().join("plot.png"), dir.path().join("agg.npy"));
        let (png_writer, png_bytes) = PngSink::to_writer(Vec::new(), Compression::Fast);
        let (npy_writer, npy_bytes) = AggregateSink::to_writer(Vec::new());
        let (rgba, image) = RgbaSink::new();
        let (array_sink, array) = AggregateArraySink::new();
        let sinks: Vec<Box<dyn Sink>> = vec![
            Box::new(PngSink::new(&png, Compression::Fast)),
            Box::new(png_writer),
            Box::new(AggregateSink::new(&agg)),
            Box::new(npy_writer),
            Box::new(rgba),
            Box::new(array_sink),
        ];
        let report = render(&points, &options, sinks, &NoProgress).unwrap();
        assert!(report.plan.bands > 1, "{reduction}: {} band(s)", report.plan.bands);

        // Writers get the files' bytes.
        let png_file = std::fs::read(&png).unwrap();
        assert_eq!(png_bytes.take().unwrap(), png_file, "{reduction}");
        let npy_file = std::fs::read(&agg).unwrap();
        assert_eq!(npy_bytes.take().unwrap(), npy_file, "{reduction}");

        // The image is the PNG's pixels: RGBA, or RGB with alpha 255 on an opaque canvas.
        let image = image.take().unwrap();
        assert_eq!(image.shape(), [301, 173, 4]);
        let (w, h, bpp, decoded) = read_png(&png);
        assert_eq!((w, h), (image.width(), image.height()));
        if background.is_opaque() {
            assert_eq!(bpp, 3);
            let rgb: Vec<u8> = image.pixels().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
            assert_eq!(rgb, decoded, "{reduction}");
            assert!(image.pixels().chunks_exact(4).all(|p| p[3] == 255));
        } else {
            assert_eq!(bpp, 4);
            assert_eq!(image.pixels(), &decoded[..], "{reduction}");
            assert!(image.pixels().chunks_exact(4).any(|p| p[3] == 0), "some pixels are empty");
        }

        // The array is the .npy's data, with its shape and dtype.
        let array = array.take().unwrap();
        let mut shape = vec![301, 173];
        shape.extend(shape_tail);
        assert_eq!((array.dtype(), array.shape()), (dtype, &shape[..]), "{reduction}");
        let header = encode_header(array.dtype(), array.shape());
        assert_eq!(npy_file, [&header[..], array.bytes()].concat(), "{reduction}");
        if reduction == Reduction::Count {
            let counts: u32 = array.values::<u32>().unwrap().iter().sum();
            assert_eq!(u64::from(counts), report.plotted);
        }
    }
}

#[test]
fn a_figure_to_a_writer_is_the_figure_file() {
    let dir = tempfile::tempdir().unwrap();
    let points = points(dir.path());
    let options = options(Reduction::Count, Color::TRANSPARENT);
    let path = dir.path().join("figure.png");
    let spec = || FigureSpec { title: Some("memory".into()), ..FigureSpec::default() };
    let (to_writer, bytes) = FigureSink::to_writer(Vec::new(), Compression::Fast, spec(), Some(None));
    let sinks: Vec<Box<dyn Sink>> =
        vec![Box::new(FigureSink::new(&path, Compression::Fast, spec(), Some(None))), Box::new(to_writer)];
    render(&points, &options, sinks, &NoProgress).unwrap();
    assert_eq!(bytes.take().unwrap(), std::fs::read(&path).unwrap());
}

#[test]
fn canvases_over_the_memory_limit_fail_before_the_render() {
    let dir = tempfile::tempdir().unwrap();
    let points = points(dir.path());
    let png = dir.path().join("plot.png");
    // 16385 x 16384 RGBA pixels are just over the default limit of 1 GiB.
    let options = RenderOptions {
        width: 16_385,
        height: 16_384,
        memory_budget: 1 << 30,
        ..options(Reduction::Count, Color::TRANSPARENT)
    };
    let (rgba, image) = RgbaSink::new();
    let sinks: Vec<Box<dyn Sink>> = vec![Box::new(PngSink::new(&png, Compression::Fast)), Box::new(rgba)];
    let err = render(&points, &options, sinks, &NoProgress).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "RgbaSink: a 16385 x 16384 RGBA image takes {} bytes in memory, over the limit of {IN_MEMORY_LIMIT} \
             bytes (raise it with RgbaSink::with_limit); write a PNG, an .npy file or a tile pyramid instead",
            16_385u64 * 16_384 * 4
        )
    );
    assert!(image.take().is_none());
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 3, "only the inputs: {left:?}");
}

/// No points (an empty frame, a filter that matched nothing) render an empty canvas, as
/// Datashader's aggregate of an empty frame is: zero counts, NaN values, a transparent
/// PNG; the automatic ranges are Datashader's -1..1. In bands and in one, points and lines.
#[test]
fn no_points_render_an_empty_canvas() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("e.npy");
    write_f64(&empty, &[]);
    let spec = ColumnSpec::parse(empty.to_str().unwrap());
    let points = PointColumns::open_with_value(&spec, &spec, &spec).unwrap();
    for glyph in [gigaplot::Glyph::Points, gigaplot::Glyph::Lines] {
        for (reduction, dtype) in [(Reduction::Count, DType::U32), (Reduction::Mean, DType::F64)] {
            for (ranges, budget) in [(Some((0.0, 1.0)), (80 << 20) + 400_000), (None, 1 << 30)] {
                let options = RenderOptions {
                    glyph,
                    x_range: ranges,
                    y_range: ranges,
                    memory_budget: budget,
                    ..options(reduction, Color::TRANSPARENT)
                };
                let (png_writer, png_bytes) = PngSink::to_writer(Vec::new(), Compression::Fast);
                let (array_sink, array) = AggregateArraySink::new();
                let sinks: Vec<Box<dyn Sink>> = vec![Box::new(png_writer), Box::new(array_sink)];
                let report = render(&points, &options, sinks, &NoProgress).unwrap();
                let case = format!("{glyph:?} {reduction} {ranges:?}");
                assert_eq!((report.points, report.plotted), (0, 0), "{case}");
                let expected = ranges.unwrap_or((-1.0, 1.0));
                assert_eq!((report.x_range, report.y_range), (expected, expected), "{case}");
                let array = array.take().unwrap();
                assert_eq!((array.dtype(), array.shape()), (dtype, &[301, 173][..]), "{case}");
                match dtype {
                    DType::U32 => assert!(array.values::<u32>().unwrap().iter().all(|&c| c == 0), "{case}"),
                    _ => assert!(array.values::<f64>().unwrap().iter().all(|v| v.is_nan()), "{case}"),
                }
                let png = dir.path().join("empty.png");
                std::fs::write(&png, png_bytes.take().unwrap()).unwrap();
                let (_, _, _, rgba) = read_png_rgba(&png);
                assert!(rgba.chunks_exact(4).all(|p| p[3] == 0), "{case}: every pixel transparent");
            }
        }
    }
}
