//! Anti-aliased lines through the command line (`--glyph lines --line-width W`): the
//! float32 coverage aggregate equals the library's render of the same columns (whose unit
//! tests draw every segment over the whole canvas at once), bit for bit, whatever the tile
//! size, thread count and band split, with NaN breaks and segments crossing many tiles.

use std::path::Path;

use crate::common::*;
use gigaplot::npy::NpyHeader;
use gigaplot::{ColumnSpec, DType, Glyph, PointColumns, RenderOptions};

const W: u32 = 300;
const H: u32 = 200;

/// The library's render of the same columns on one tile and one thread (public API): a
/// float32 aggregate, NaN where nothing was drawn. The library's unit tests check it
/// against drawing every segment on the whole canvas (`render::whole_canvas_tests`).
fn library(dir: &Path, line_width: f64) -> Vec<f32> {
    let spec = |name: &str| ColumnSpec::parse(dir.join(name).to_str().unwrap());
    let points = PointColumns::open(&spec("x.npy"), &spec("y.npy")).unwrap();
    let options = RenderOptions {
        width: W,
        height: H,
        x_range: Some((0.0, 10.0)),
        y_range: Some((0.0, 10.0)),
        glyph: Glyph::Lines,
        line_width,
        tile: W,
        threads: Some(1),
        memory_budget: 1 << 30,
        ..RenderOptions::default()
    };
    values_of(&library_aggregate(&points, &options))
}

/// Reads a (height, width) float32 .npy written by `--agg-out`.
fn read_f32(path: &Path) -> (Vec<usize>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap();
    let header = NpyHeader::parse(&bytes).unwrap();
    assert_eq!(header.dtype, DType::F32);
    let data = &bytes[header.data_offset..];
    (header.shape.clone(), data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect())
}

/// Renders with `--line-width` and the given tile, threads and memory; returns the PNG and
/// aggregate bytes.
fn render(dir: &Path, line_width: &str, tile: &str, threads: &str, memory: &str) -> (Vec<u8>, Vec<u8>) {
    let (xp, yp) = (dir.join("x.npy"), dir.join("y.npy"));
    let (png, agg) = (dir.join("aa.png"), dir.join("aa.npy"));
    let out = run_ok(&[
        "render",
        "--bare",
        "--glyph",
        "lines",
        "--line-width",
        line_width,
        "--x",
        xp.to_str().unwrap(),
        "--y",
        yp.to_str().unwrap(),
        "--width",
        "300",
        "--height",
        "200",
        "--x-range",
        "0,10",
        "--y-range",
        "0,10",
        "--tile",
        tile,
        "--threads",
        threads,
        "--memory",
        memory,
        "-o",
        png.to_str().unwrap(),
        "--agg-out",
        agg.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let bands = if memory == "1GiB" { " 1 bands" } else { " 5 bands of 48 rows" };
    assert!(stderr.contains(bands), "expected{bands}: {stderr}");
    (std::fs::read(&png).unwrap(), std::fs::read(&agg).unwrap())
}

/// 40 MiB + 20 MiB per thread (2), plus 50 rows of two 300-pixel float32 bands: 48-row
/// bands (a multiple of the 16-pixel tile), 5 of them.
const SEVERAL_BANDS: &str = "84006080";

/// Copies a random walk with NaN breaks (some doubled), jumps across the canvas and
/// excursions out of it into `dir` (x.npy, y.npy): the fixture `tests/data/random_walk/aa_*.npy`
/// (`tools/gen_random_walk.py`).
fn write_inputs(dir: &Path) {
    copy_test_data(dir, &[("random_walk/aa_x.npy", "x.npy"), ("random_walk/aa_y.npy", "y.npy")]);
}

#[test]
fn the_aggregate_equals_the_library_render_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    for (line_width, lw) in [("1.5", 1.5), ("0.6", 0.6)] {
        let want = library(dir.path(), lw);
        let covered = want.iter().filter(|v| !v.is_nan()).count();
        assert!(covered > 10_000, "only {covered} pixels covered");
        // Joins correct the previous segment's coverage: some pixels add less than 1 per pass.
        assert!(want.iter().any(|v| !v.is_nan() && v.fract() != 0.0));
        for (tile, threads, memory) in [("1000", "1", "1GiB"), ("16", "2", SEVERAL_BANDS)] {
            render(dir.path(), line_width, tile, threads, memory);
            let (shape, got) = read_f32(&dir.path().join("aa.npy"));
            assert_eq!(shape, vec![H as usize, W as usize]);
            let differ = got.iter().zip(&want).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
            assert_eq!(
                differ, 0,
                "width {line_width}, tile {tile}, {threads} threads: {differ} pixels differ"
            );
        }
    }
}

#[test]
fn png_and_aggregate_bytes_do_not_depend_on_tiles_threads_or_bands() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    let one = render(dir.path(), "3", "1000", "1", "1GiB");
    let several = render(dir.path(), "3", "16", "2", SEVERAL_BANDS);
    assert!(one.0 == several.0, "PNG differs");
    assert!(one.1 == several.1, "aggregate differs");
    let (_, _, _, pixels) = read_png(&dir.path().join("aa.png"));
    assert!(pixels.chunks_exact(4).filter(|p| p[3] > 0).count() > 10_000);
}

#[test]
fn line_width_errors_name_the_flag_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    let (x, y) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    let out_png = dir.path().join("e.png");
    let base = [
        "render",
        "-q",
        "--x",
        x.to_str().unwrap(),
        "--y",
        y.to_str().unwrap(),
        "-o",
        out_png.to_str().unwrap(),
    ];
    // (Pyramids of anti-aliased lines are supported now: tests/library/pyramid_levels.rs.)
    let cases: [(&[&str], &str); 3] = [
        (&["--line-width", "2"], "applies to --glyph lines only"),
        (
            &["--glyph", "lines", "--line-width", "2", "--agg", "var", "--value", x.to_str().unwrap()],
            "var along",
        ),
        (&["--glyph", "lines", "--line-width", "inf"], "finite number >= 0"),
    ];
    for (extra, message) in cases {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let out = run(&args);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--line-width") && stderr.contains(message), "{extra:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(!out_png.exists());
    }
}
