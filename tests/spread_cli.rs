//! `render --spread`: Datashader's spread through the command line, every isolated point
//! becoming a disc (or square) of radius PX, the same PNG whatever the band height.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

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
