//! Value reductions along lines through the command line (`--glyph lines --agg R --value
//! V`, issue #4): every reduction's `--agg-out` equals the library's render (whose unit
//! tests check it against a brute-force whole-canvas drawing with Datashader's append
//! rules), anti-aliased min and last equal max along one line, and the PNG and aggregate bytes are
//! the same whatever the tile size, thread count and band split, with NaN breaks, NaN
//! values, excursions out of the canvas and segments crossing many tiles and bands.

use std::path::Path;

use crate::common::*;
use gigaplot::npy::NpyHeader;
use gigaplot::{ColumnSpec, DType, Glyph, PointColumns, Reduction, RenderOptions};

const W: u32 = 300;
const H: u32 = 200;

/// 40 MiB + 20 MiB per thread (2), plus 54 rows of two 300-pixel bands of 24-byte
/// accumulators: 48-row bands with 16-pixel tiles, 5 of them (3 for count-cat; 2 of 160
/// rows for 8-byte accumulators).
const SEVERAL_BANDS: &str = "84663680";

/// The tile, threads and memory of every render compared: the third cuts 8-byte
/// accumulators into bands of 140 rows, 24-byte ones into bands of 42.
const SETUPS: [(&str, &str, &str); 3] =
    [("1000", "1", "1GiB"), ("16", "2", SEVERAL_BANDS), ("7", "2", "84586080")];

/// Copies the random walk with NaN breaks, jumps across the canvas and excursions out of
/// it (x.npy, y.npy), its values (v.npy: NaN every 13th vertex, negatives, repeats) and
/// categories (c.npy, 0 to 3) into `dir`: the fixture `tests/data/random_walk/`
/// (`tools/gen_random_walk.py`) that the library's whole-canvas tests draw too.
fn write_inputs(dir: &Path) {
    copy_test_data(
        dir,
        &[
            ("random_walk/x.npy", "x.npy"),
            ("random_walk/y.npy", "y.npy"),
            ("random_walk/v.npy", "v.npy"),
            ("random_walk/c.npy", "c.npy"),
        ],
    );
}

/// The library's render (public API, one tile, one thread) of `--agg reduction` with
/// `--line-width line_width` of `write_inputs`' columns: the aggregate's bytes. The
/// library's unit tests check it against Datashader's appends on a brute-force
/// whole-canvas drawing (`render::whole_canvas_tests`).
fn library(dir: &Path, reduction: &str, line_width: f64) -> Vec<u8> {
    let spec = |name: &str| ColumnSpec::parse(dir.join(name).to_str().unwrap());
    let (x, y) = (spec("x.npy"), spec("y.npy"));
    let points = match reduction {
        "count" | "any" => PointColumns::open(&x, &y),
        "count-cat" => PointColumns::open_with_value(&x, &y, &spec("c.npy")),
        _ => PointColumns::open_with_value(&x, &y, &spec("v.npy")),
    }
    .unwrap();
    let options = RenderOptions {
        width: W,
        height: H,
        x_range: Some((0.0, 10.0)),
        y_range: Some((0.0, 10.0)),
        glyph: Glyph::Lines,
        line_width,
        reduction: reduction.parse::<Reduction>().unwrap(),
        tile: W,
        threads: Some(1),
        memory_budget: 1 << 30,
        ..RenderOptions::default()
    };
    library_aggregate(&points, &options)
}

/// [`library`]'s float64 aggregate.
fn library_f64(dir: &Path, reduction: &str, line_width: f64) -> Vec<f64> {
    values_of(&library(dir, reduction, line_width))
}

/// Renders `--agg reduction` with `--line-width lw` and a tile, threads and memory setup;
/// returns the PNG and aggregate bytes and the number of bands.
fn render(dir: &Path, reduction: &str, lw: &str, setup: (&str, &str, &str)) -> (Vec<u8>, Vec<u8>, u32) {
    render_with(dir, reduction, lw, setup, &[])
}

/// [`render`] with `extra` flags.
fn render_with(
    dir: &Path,
    reduction: &str,
    lw: &str,
    setup: (&str, &str, &str),
    extra: &[&str],
) -> (Vec<u8>, Vec<u8>, u32) {
    let (tile, threads, memory) = setup;
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let value = if reduction == "count-cat" { path("c.npy") } else { path("v.npy") };
    let (png, agg) = (path("out.png"), path("out.npy"));
    let (xp, yp) = (path("x.npy"), path("y.npy"));
    let mut args = vec![
        "render",
        "--bare",
        "--glyph",
        "lines",
        "--line-width",
        lw,
        "--agg",
        reduction,
        "--x",
        &xp,
        "--y",
        &yp,
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
        &png,
        "--agg-out",
        &agg,
    ];
    // count and any read no value column (gigaplot refuses one there)
    if !matches!(reduction, "count" | "any") {
        args.extend(["--value", &value]);
    }
    args.extend_from_slice(extra);
    let out = run_ok(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let bands = stderr
        .split(" bands of ")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no band count in {stderr}"));
    (std::fs::read(&png).unwrap(), std::fs::read(&agg).unwrap(), bands)
}

/// The f64 values of a (height, width) float64 `--agg-out`.
fn floats(bytes: &[u8]) -> Vec<f64> {
    let header = NpyHeader::parse(bytes).unwrap();
    assert_eq!((header.dtype, header.shape.clone()), (DType::F64, vec![H as usize, W as usize]));
    bytes[header.data_offset..].chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}

fn assert_bits_equal(got: &[f64], want: &[f64], what: &str) {
    let lit = want.iter().filter(|v| !v.is_nan()).count();
    assert!(lit > 5_000, "{what}: only {lit} pixels drawn");
    let differ = got.iter().zip(want).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
    assert_eq!(differ, 0, "{what}: {differ} pixels differ");
}

#[test]
fn width0_aggregates_equal_the_library_render_for_every_setup() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    for reduction in ["sum", "mean", "var", "std", "min", "max", "first", "last"] {
        let want = library_f64(dir.path(), reduction, 0.0);
        let mut seen = Vec::new();
        for setup in SETUPS {
            let (png, agg, bands) = render(dir.path(), reduction, "0", setup);
            assert_bits_equal(&floats(&agg), &want, &format!("{reduction} {setup:?}"));
            seen.push((png, agg, bands));
        }
        assert!(seen[1].2 >= 2 && seen[2].2 >= 2, "{reduction}: bands {} and {}", seen[1].2, seen[2].2);
        assert!(seen.iter().all(|s| s.0 == seen[0].0), "{reduction}: PNG differs between setups");
    }
}

#[test]
fn anti_aliased_aggregates_equal_the_library_render_for_every_setup() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    for (reduction, like) in [("sum", "sum"), ("max", "max"), ("min", "max"), ("last", "max")] {
        let want = library_f64(dir.path(), like, 1.5);
        let mut seen = Vec::new();
        for setup in SETUPS {
            let (png, agg, bands) = render(dir.path(), reduction, "1.5", setup);
            assert_bits_equal(&floats(&agg), &want, &format!("{reduction} width 1.5 {setup:?}"));
            seen.push((png, bands));
        }
        assert!(seen[1].1 >= 5, "{reduction}: {} bands", seen[1].1);
        assert!(seen.iter().all(|s| s.0 == seen[0].0), "{reduction}: PNG differs between setups");
    }
}

#[test]
fn every_other_line_reduction_is_byte_identical_across_setups() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    for (reduction, lw) in [("count-cat", "0"), ("mean", "2"), ("any", "2"), ("first", "0.7")] {
        let runs: Vec<_> = SETUPS.iter().map(|&s| render(dir.path(), reduction, lw, s)).collect();
        assert!(runs[1].2 >= 3, "{reduction} width {lw}: {} bands", runs[1].2);
        for r in &runs[1..] {
            assert!(r.0 == runs[0].0, "{reduction} width {lw}: PNG differs");
            assert!(r.1 == runs[0].1, "{reduction} width {lw}: aggregate differs");
        }
    }
    // count-cat: the (height, width, 4) counts add up to the width-0 line count.
    let (_, agg, _) = render(dir.path(), "count-cat", "0", SETUPS[0]);
    // A version 1 .npy header (NpyHeader reads 1-D and 2-D arrays only).
    let offset = 10 + usize::from(u16::from_le_bytes([agg[8], agg[9]]));
    assert!(String::from_utf8_lossy(&agg[10..offset]).contains("(200, 300, 4)"));
    let total: u64 =
        agg[offset..].chunks_exact(4).map(|c| u64::from(u32::from_le_bytes(c.try_into().unwrap()))).sum();
    let counts: Vec<u32> = values_of(&library(dir.path(), "count", 0.0));
    assert_eq!(total, counts.iter().map(|&c| u64::from(c)).sum::<u64>());
}

#[test]
fn unsupported_line_reductions_fail_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (x, y, v, png) = (path("x.npy"), path("y.npy"), path("v.npy"), path("e.png"));
    let base = ["render", "-q", "--glyph", "lines", "--x", &x, "--y", &y, "-o", &png];
    let cases: [(&[&str], &str); 3] = [
        (
            &["--line-width", "2", "--agg", "var", "--value", &v],
            "var along anti-aliased lines (--line-width > 0)",
        ),
        (
            &["--line-width", "2", "--agg", "std", "--value", &v],
            "std along anti-aliased lines (--line-width > 0)",
        ),
        (&["--agg", "sum"], "the sum reduction needs a value column"),
    ];
    for (extra, message) in cases {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let out = run(&args);
        assert!(!out.status.success(), "{extra:?} succeeded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(!Path::new(&png).exists());
    }
}

/// A pyramid of line values on a canvas whose sides are not multiples of 2^max_zoom
/// (801 x 333, max_zoom 2) is written whole: every tile of the finest level is the bare
/// PNG's pixels there, and the coarser levels (padded) have their tiles.
#[test]
fn pyramids_of_line_values_take_any_canvas_size() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (x, y, v, png, pyr) = (path("x.npy"), path("y.npy"), path("v.npy"), path("bare.png"), path("pyr"));
    let common = ["render", "-q", "--glyph", "lines", "--x", &x, "--y", &y, "--agg", "max", "--value", &v];
    let canvas = ["--width", "801", "--height", "333", "--x-range", "-1,11", "--y-range", "-1,11"];
    let args: Vec<&str> = common.iter().chain(&canvas).copied().chain(["--bare", "-o", &png]).collect();
    run_ok(&args);
    let args: Vec<&str> = common.iter().chain(&canvas).copied().chain(["--pyramid", &pyr]).collect();
    run_ok(&args);
    let (_, _, bpp, image) = read_png(Path::new(&png));
    assert_eq!(bpp, 4);
    let mut finest = 0;
    for ty in 0..2u32 {
        for tx in 0..4u32 {
            let tile = Path::new(&pyr).join(format!("2/{tx}/{ty}.png"));
            let (cols, rows) = (256.min(801 - tx * 256) as usize, 256.min(333 - ty * 256) as usize);
            let mut expected = vec![0u8; 256 * 256 * 4];
            for r in 0..rows {
                let src = ((ty as usize * 256 + r) * 801 + tx as usize * 256) * 4;
                expected[r * 1024..r * 1024 + cols * 4].copy_from_slice(&image[src..src + cols * 4]);
            }
            if expected.chunks(4).all(|p| p[3] == 0) {
                assert!(!tile.exists(), "{}", tile.display());
                continue;
            }
            assert_eq!(read_png(&tile), (256, 256, 4, expected), "{}", tile.display());
            finest += 1;
        }
    }
    assert!(finest >= 4, "{finest} finest tiles");
    for coarse in ["1/0/0.png", "1/1/0.png", "0/0/0.png", "metadata.json", "index.html"] {
        assert!(Path::new(&pyr).join(coarse).is_file(), "{coarse}");
    }
}

#[test]
fn anti_aliased_count_cat_planes_are_each_categorys_coverage_for_every_setup() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    // Plane k: the float32 coverage of the segments starting at a vertex of category k
    // (the library's render, one tile and one thread).
    let want: Vec<f32> = values_of(&library(dir.path(), "count-cat", 1.5));
    for k in 0..4 {
        let lit = want.iter().skip(k).step_by(4).filter(|v| !v.is_nan()).count();
        assert!(lit > 2_000, "category {k}: only {lit} pixels");
    }
    let mut seen = Vec::new();
    for setup in SETUPS {
        for extra in [&[][..], &["--dynspread", "--dynspread-threshold", "1"][..]] {
            let (png, agg, bands) = render_with(dir.path(), "count-cat", "1.5", setup, extra);
            let offset = 10 + usize::from(u16::from_le_bytes([agg[8], agg[9]]));
            let header = String::from_utf8_lossy(&agg[10..offset]).to_string();
            assert!(header.contains("'<f4'") && header.contains("(200, 300, 4)"), "{header}");
            let got: Vec<f32> =
                agg[offset..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
            let differ = got.iter().zip(&want).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
            assert_eq!(differ, 0, "{setup:?} {extra:?}: {differ} values differ");
            seen.push((png, bands, extra.len().min(1)));
        }
    }
    assert!(seen[2].1 >= 3, "{} bands", seen[2].1);
    for dynspread in [0, 1] {
        let pngs: Vec<_> = seen.iter().filter(|s| s.2 == dynspread).map(|s| &s.0).collect();
        assert!(pngs.iter().all(|p| *p == pngs[0]), "dynspread {dynspread}: PNG differs between setups");
    }
    assert!(seen[0].0 != seen[1].0, "--dynspread changed nothing");
}
