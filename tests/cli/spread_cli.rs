//! `render --spread`: Datashader's spread through the command line, every isolated point
//! becoming a disc (or square) of radius PX, the same PNG whatever the band height.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::*;

/// Isolated points as pixel (column, row-from-bottom), two on the canvas corners.
const POINTS: [(i64, i64); 6] = [(5, 5), (20, 10), (40, 30), (0, 39), (49, 0), (25, 20)];
const W: i64 = 50;
const H: i64 = 40;

/// Renders the points on a 50x40 bare transparent canvas, with `extra` flags; returns the
/// PNG bytes and the stderr.
fn render(dir: &Path, name: &str, extra: &[&str]) -> (Vec<u8>, String) {
    let (x, y) = (dir.join("x.npy"), dir.join("y.npy"));
    write_f64(&x, &POINTS.map(|p| p.0 as f64 + 0.5));
    write_f64(&y, &POINTS.map(|p| p.1 as f64 + 0.5));
    let out = dir.join(name);
    let mut args = vec![
        "render",
        "--x",
        x.to_str().unwrap(),
        "--y",
        y.to_str().unwrap(),
        "--width",
        "50",
        "--height",
        "40",
        "--x-range",
        "0,50",
        "--y-range",
        "0,40",
        "--bare",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = run_ok(&args);
    (std::fs::read(&out).unwrap(), String::from_utf8_lossy(&run.stderr).into_owned())
}

/// The (column, row) of every non-transparent pixel of an RGBA PNG, and their colours.
fn lit_pixels(dir: &Path, name: &str) -> (BTreeSet<(i64, i64)>, BTreeSet<Vec<u8>>) {
    let (w, h, bpp, pixels) = read_png(&dir.join(name));
    assert_eq!((w, h, bpp), (50, 40, 4));
    let mut lit = BTreeSet::new();
    let mut colours = BTreeSet::new();
    for (i, p) in pixels.chunks_exact(4).enumerate() {
        if p[3] != 0 {
            lit.insert((i as i64 % W, i as i64 / W));
            colours.insert(p.to_vec());
        }
    }
    (lit, colours)
}

/// Every canvas pixel within the mask of radius 2 of a point (image rows from the top).
fn expected(square: bool) -> BTreeSet<(i64, i64)> {
    let mut set = BTreeSet::new();
    for (px, py) in POINTS {
        let row = H - 1 - py;
        for dy in -2i64..=2 {
            for dx in -2i64..=2 {
                let inside = square || ((dx * dx + dy * dy) as f64).sqrt() <= 2.5;
                let (x, y) = (px + dx, row + dy);
                if inside && (0..W).contains(&x) && (0..H).contains(&y) {
                    set.insert((x, y));
                }
            }
        }
    }
    set
}

#[test]
fn isolated_points_become_discs_and_squares() {
    let dir = tempfile::tempdir().unwrap();
    render(dir.path(), "plain.png", &[]);
    let (plain, colours) = lit_pixels(dir.path(), "plain.png");
    assert_eq!(plain.len(), POINTS.len());
    for (shape, square, size) in [("circle", false, 21), ("square", true, 25)] {
        let name = format!("{shape}.png");
        render(dir.path(), &name, &["--spread", "2", "--spread-shape", shape]);
        let (lit, spread_colours) = lit_pixels(dir.path(), &name);
        let want = expected(square);
        assert_eq!(lit, want, "{shape}");
        // the four middle points are whole; the two corner points keep a quarter-ish
        assert_eq!(want.len(), 4 * size + 2 * if square { 9 } else { 8 }, "{shape}");
        // no overlap: every pixel keeps the points' own colour
        assert_eq!(spread_colours, colours, "{shape}");
    }
    // --spread 0 changes nothing
    let (zero, _) = render(dir.path(), "zero.png", &["--spread", "0"]);
    assert_eq!(zero, std::fs::read(dir.path().join("plain.png")).unwrap());
}

#[test]
fn spread_png_is_the_same_whatever_the_band_height() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, log) = render(dir.path(), "whole.png", &["--spread", "2"]);
    assert!(log.contains(" 1 bands of 40 rows"), "{log}");
    // 60 MiB of plan overhead with one thread, and a few rows on top
    for (memory, bands) in [("62915000", "40 bands of 1 rows"), ("62916000", "14 bands of 3 rows")] {
        for shape in ["circle", "square"] {
            let name = format!("{memory}{shape}.png");
            let flags = [
                "--spread",
                "2",
                "--spread-shape",
                shape,
                "--tile",
                "4",
                "--threads",
                "1",
                "--memory",
                memory,
            ];
            let (banded, log) = render(dir.path(), &name, &flags);
            assert!(log.contains(bands), "{log}");
            let (single, _) = render(
                dir.path(),
                &format!("single{shape}.png"),
                &["--spread", "2", "--spread-shape", shape],
            );
            assert!(banded == single, "{memory} {shape}");
        }
    }
    assert!(whole == render(dir.path(), "again.png", &["--spread", "2", "--spread-shape", "circle"]).0);
}

#[test]
fn spread_flags_are_checked() {
    let out = run(&["render", "--x", "x.npy", "--y", "y.npy", "-o", "o.png", "--spread", "256"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--spread"));
    let out = run(&[
        "render",
        "--x",
        "x.npy",
        "--y",
        "y.npy",
        "-o",
        "o.png",
        "--spread",
        "1",
        "--spread-shape",
        "star",
    ]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("'star'"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The Datashader references of `tools/gen_dynspread_reference.py`.
const REFERENCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/images/dynspread");

/// One line of `cases.txt`.
struct DynCase {
    name: String,
    /// Input, reduction, shading and shape flags.
    flags: Vec<String>,
    /// --dynspread with its threshold and max_px.
    dyn_flags: Vec<String>,
    px: usize,
    band_px: Vec<usize>,
}

fn dyn_cases() -> Vec<DynCase> {
    let text = std::fs::read_to_string(Path::new(REFERENCES).join("cases.txt")).unwrap();
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [name, glyph, agg, how, shape, threshold, max_px, px, bands] = f[..] else {
                panic!("bad case line {line}")
            };
            let file = |suffix: &str| format!("{REFERENCES}/{name}.{suffix}.npy");
            let mut flags: Vec<String> =
                ["--x", &file("x"), "--y", &file("y"), "--glyph", glyph, "--agg", agg]
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
            if Path::new(&file("v")).exists() {
                flags.extend(["--value".to_string(), file("v")]);
            }
            flags.extend(["--how", how, "--spread-shape", shape].map(String::from));
            let dyn_flags = ["--dynspread", "--dynspread-threshold", threshold, "--dynspread-max", max_px]
                .map(String::from);
            DynCase {
                name: name.to_string(),
                flags,
                dyn_flags: dyn_flags.to_vec(),
                px: px.parse().unwrap(),
                band_px: bands.split(',').map(|b| b.parse().unwrap()).collect(),
            }
        })
        .collect()
}

/// Renders a 50x42 bare canvas over [0, 50] x [0, 42] with `flags`: the decoded pixels and
/// the stderr.
fn render_dyn(dir: &Path, name: &str, flags: &[String]) -> (Vec<u8>, String) {
    let out = dir.join(name);
    let mut args: Vec<&str> = vec![
        "render",
        "--width",
        "50",
        "--height",
        "42",
        "--x-range",
        "0,50",
        "--y-range",
        "0,42",
        "--bare",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(flags.iter().map(String::as_str));
    let run = run_ok(&args);
    let (w, h, bpp, pixels) = read_png(&out);
    assert_eq!((w, h, bpp), (50, 42, 4), "{name}");
    (pixels, String::from_utf8_lossy(&run.stderr).into_owned())
}

/// (tile, memory, threads): one band, 7-row bands (the references' band split), and bands
/// of 1 to 4 rows, all thinner than the density's halo of 2 max_px rows.
const SPLITS: [(&str, &str, &str); 4] =
    [("256", "256MiB", "2"), ("7", "62918000", "1"), ("4", "62917400", "1"), ("4", "83890000", "2")];

#[test]
fn dynspread_equals_datashader_for_any_band_split() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dyn_cases();
    assert_eq!(cases.len(), 7);
    for case in &cases {
        let (_, _, _, expected) = read_png(&Path::new(REFERENCES).join(format!("{}.png", case.name)));
        let mut bands_seen = BTreeSet::new();
        for (tile, memory, threads) in SPLITS {
            let mut flags = [case.flags.clone(), case.dyn_flags.clone()].concat();
            for (flag, value) in [("--tile", tile), ("--memory", memory), ("--threads", threads)] {
                flags.extend([flag.to_string(), value.to_string()]);
            }
            let (pixels, log) = render_dyn(dir.path(), &format!("{}-{tile}-{memory}.png", case.name), &flags);
            assert!(log.contains(&format!(", dynspread {} px,", case.px)), "{}: {log}", case.name);
            assert!(
                pixels == expected,
                "{} tile {tile} memory {memory}: not Datashader's dynspread",
                case.name
            );
            let bands = log.split(" bands of ").next().unwrap().rsplit(' ').next().unwrap();
            bands_seen.insert(bands.parse::<u32>().unwrap());
        }
        // --spread by the same px gives the same image (overlaps composited bottom rows first)
        let spread = [case.flags.clone(), vec!["--spread".into(), case.px.to_string()]].concat();
        let (pixels, _) = render_dyn(dir.path(), &format!("{}-spread.png", case.name), &spread);
        assert!(pixels == expected, "{}: --spread {}", case.name, case.px);
        assert!(bands_seen.len() >= 2 && bands_seen.contains(&1), "{}: {bands_seen:?}", case.name);
    }
}

#[test]
fn dynspread_decides_once_for_the_whole_canvas() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dyn_cases();
    // a dense top half and a sparse bottom half: bands of the bottom half alone would be
    // spread by max_px, the whole canvas is spread by 1
    for name in ["halves", "halves_any"] {
        let case = cases.iter().find(|c| c.name == name).unwrap();
        assert_eq!(case.px, 1, "{name}");
        assert!(case.band_px.iter().any(|&b| b != case.px), "{name}: {:?}", case.band_px);
        let mut flags = [case.flags.clone(), case.dyn_flags.clone()].concat();
        flags.extend(["--tile", "7", "--memory", "62918000", "--threads", "1"].map(String::from));
        let (pixels, log) = render_dyn(dir.path(), &format!("{name}.png"), &flags);
        assert!(log.contains(" 6 bands of 7 rows, dynspread 1 px,"), "{log}");
        // the same as --spread 1 everywhere, the sparse bottom included
        let mut spread = case.flags.clone();
        spread.extend(["--spread", "1"].map(String::from));
        assert!(pixels == render_dyn(dir.path(), &format!("{name}-1.png"), &spread).0, "{name}");
        let mut three = case.flags.clone();
        three.extend(["--spread", "3"].map(String::from));
        assert!(pixels != render_dyn(dir.path(), &format!("{name}-3.png"), &three).0, "{name}");
    }
}

#[test]
fn dynspread_covers_value_reductions_and_rasters() {
    let dir = tempfile::tempdir().unwrap();
    let sparse = &dyn_cases()[0];
    assert_eq!((sparse.name.as_str(), sparse.px), ("sparse", 3));
    // sum and max of a value column light the pixels count lights: the same decision
    let value = dir.path().join("v.npy");
    let points = std::fs::read(format!("{REFERENCES}/sparse.x.npy")).unwrap().len();
    write_f64(&value, &vec![2.5; (points - 128) / 8]);
    for agg in ["sum", "max", "any"] {
        // any without a value column: every point marks its pixel
        let value_flags = if agg == "any" { vec![] } else { vec!["--value", value.to_str().unwrap()] };
        let base: Vec<String> = sparse.flags[..6]
            .iter()
            .cloned()
            .chain(["--agg", agg].into_iter().chain(value_flags).map(String::from))
            .collect();
        let mut flags = base.clone();
        flags.extend(
            ["--dynspread", "--tile", "4", "--memory", "62930000", "--threads", "1"].map(String::from),
        );
        let (pixels, log) = render_dyn(dir.path(), &format!("{agg}.png"), &flags);
        assert!(log.contains(", dynspread 3 px,"), "{agg}: {log}");
        let mut spread = base.clone();
        spread.extend(["--spread", "3"].map(String::from));
        assert!(pixels == render_dyn(dir.path(), &format!("{agg}-3.png"), &spread).0, "{agg}");
    }
    // a raster: NaN cells are empty; a few isolated cells spread by max_px, a full one not
    let grid = dir.path().join("grid.npy");
    // cells 7 rows and 13 columns apart: no two within 2 x 3 pixels
    let lit = |i: usize| (i / 50) % 7 == 3 && (i % 50) % 13 == 5;
    let sparse_cells: Vec<f64> =
        (0..42 * 50).map(|i| if lit(i) { (i % 7) as f64 } else { f64::NAN }).collect();
    let full: Vec<f64> = (0..42 * 50).map(|i| (i % 11) as f64).collect();
    for (cells, px) in [(&sparse_cells, 3), (&full, 0)] {
        let mut bytes = gigaplot::npy::encode_header(gigaplot::DType::F64, &[42, 50]);
        bytes.extend_from_slice(bytemuck::cast_slice(cells));
        std::fs::write(&grid, bytes).unwrap();
        let base: Vec<String> =
            ["--raster", grid.to_str().unwrap(), "--upsample", "nearest"].map(String::from).to_vec();
        let out = dir.path().join(format!("raster{px}.png"));
        let mut args: Vec<&str> =
            vec!["render", "--width", "50", "--height", "42", "--bare", "-o", out.to_str().unwrap()];
        args.extend(base.iter().map(String::as_str));
        args.extend(["--dynspread", "--tile", "7", "--memory", "62930000", "--threads", "1"]);
        let log = String::from_utf8_lossy(&run_ok(&args).stderr).into_owned();
        assert!(log.contains(&format!(", dynspread {px} px,")), "{log}");
        let spread = dir.path().join(format!("raster{px}-spread.png"));
        let mut args: Vec<&str> =
            vec!["render", "--width", "50", "--height", "42", "--bare", "-o", spread.to_str().unwrap()];
        args.extend(base.iter().map(String::as_str));
        let px_text = px.to_string();
        args.extend(["--spread", &px_text]);
        run_ok(&args);
        assert!(read_png(&out).3 == read_png(&spread).3, "raster {px}");
    }
}

#[test]
fn dynspread_flags_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let x = format!("{REFERENCES}/sparse.x.npy");
    let y = format!("{REFERENCES}/sparse.y.npy");
    let out = dir.path().join("o.png");
    let base = ["render", "--x", &x, "--y", &y, "-o", out.to_str().unwrap()];
    let pyramid = dir.path().join("pyr");
    for (extra, message) in [
        (&["--dynspread", "--spread", "2"][..], "--dynspread: cannot be combined with --spread"),
        (
            &["--dynspread", "--pyramid", pyramid.to_str().unwrap()][..],
            "--x-range: a pyramid needs explicit --x-range and --y-range",
        ),
        (&["--dynspread", "--dynspread-threshold", "1.5"][..], "must be a number in [0, 1]"),
        (&["--dynspread", "--dynspread-threshold", "-0.1"][..], "must be a number in [0, 1]"),
        (&["--dynspread", "--dynspread-max", "256"][..], "--dynspread-max"),
        (&["--dynspread-max", "2"][..], "--dynspread"),
        (&["--dynspread-threshold", "0.2"][..], "--dynspread"),
    ] {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let run = run(&args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{extra:?}");
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
        if message.starts_with("--dynspread:") {
            assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        }
        assert!(!out.exists() && !pyramid.exists(), "{extra:?}");
    }
    // --spread-shape goes with --dynspread as with --spread
    let args: Vec<&str> =
        base.iter().chain(&["--dynspread", "--spread-shape", "square", "-q"]).copied().collect();
    run_ok(&args);
}
