//! Lines through the command line: `--glyph lines` equals the library's render of the same
//! columns (which its unit tests check against drawing every segment on the whole canvas
//! at once, `render::whole_canvas_tests`), for several tile sizes, thread counts and band
//! heights, with NaN breaks and segments that leave the canvas and cross many tiles.

use crate::common::*;
use gigaplot::{ColumnSpec, Glyph, PointColumns, RenderOptions};

const W: u32 = 700;
const H: u32 = 500;

fn polyline() -> (Vec<f64>, Vec<f64>) {
    let mut state = 0x1234_5678u64;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for i in 0..20_000 {
        if i % 997 == 0 {
            xs.push(f64::NAN);
            ys.push(0.0);
            continue;
        }
        // Mostly short steps of a random walk, sometimes a jump across the canvas or out of it.
        let (x, y) = if i % 53 == 0 {
            (next() * 14.0 - 2.0, next() * 14.0 - 2.0)
        } else {
            (next() * 10.0, next() * 10.0)
        };
        xs.push(x);
        ys.push(y);
    }
    (xs, ys)
}

#[test]
fn lines_equal_the_library_render_for_every_tile_thread_and_band() {
    let (xs, ys) = polyline();
    let dir = tempfile::tempdir().unwrap();
    let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    write_f64(&xp, &xs);
    write_f64(&yp, &ys);
    let spec = |p: &std::path::Path| ColumnSpec::parse(p.to_str().unwrap());
    let points = PointColumns::open(&spec(&xp), &spec(&yp)).unwrap();
    let options = RenderOptions {
        width: W,
        height: H,
        x_range: Some((0.0, 10.0)),
        y_range: Some((0.0, 10.0)),
        glyph: Glyph::Lines,
        tile: W,
        threads: Some(1),
        memory_budget: 1 << 30,
        ..RenderOptions::default()
    };
    let want: Vec<u32> = values_of(&library_aggregate(&points, &options));
    assert!(want.iter().filter(|&&c| c > 0).count() > 50_000);
    let mut png_ref: Option<Vec<u8>> = None;
    for (tile, threads, memory) in [("700", "1", "1GiB"), ("64", "2", "81MiB"), ("33", "4", "121MiB")] {
        let (png, agg) = (dir.path().join("l.png"), dir.path().join("l.npy"));
        run_ok(&[
            "render",
            "-q",
            "--bare",
            "--glyph",
            "lines",
            "--x",
            xp.to_str().unwrap(),
            "--y",
            yp.to_str().unwrap(),
            "--width",
            "700",
            "--height",
            "500",
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
        let (shape, got) = read_counts(&agg);
        assert_eq!(shape, vec![H as usize, W as usize]);
        assert!(got == want, "tile {tile}, {threads} threads: counts differ");
        let bytes = std::fs::read(&png).unwrap();
        match &png_ref {
            None => png_ref = Some(bytes),
            Some(r) => assert!(r == &bytes, "tile {tile}: PNG differs"),
        }
    }
}

#[test]
fn a_long_time_series_renders_in_bounded_memory() {
    // 2 * 10^6 vertices of a random walk over the whole width of a 20000 x 8000 canvas.
    let n = 2_000_000;
    let mut state = 7u64;
    let mut level = 0.0f64;
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for i in 0..n {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        level += ((state >> 40) as f64 / (1u64 << 24) as f64 - 0.5) * 0.02;
        xs.push(i as f64);
        ys.push(level);
    }
    let dir = tempfile::tempdir().unwrap();
    let (xp, yp) = (dir.path().join("t.npy"), dir.path().join("v.npy"));
    write_f64(&xp, &xs);
    write_f64(&yp, &ys);
    drop((xs, ys));
    let png = dir.path().join("series.png");
    let (status, peak) = run_measuring_rss(
        std::process::Command::new(bin())
            .args(["render", "-q", "--glyph", "lines", "--x"])
            .arg(&xp)
            .arg("--y")
            .arg(&yp)
            .args(["--width", "20000", "--height", "8000", "--memory", "128MiB", "--scratch-dir"])
            .arg(dir.path())
            .arg("-o")
            .arg(&png),
    );
    assert!(status.success());
    eprintln!("peak RSS of a 2e6-vertex series on 20000 x 8000: {} MB", peak / 1_000_000);
    assert!(peak < 160_000_000, "peak RSS {} MB", peak / 1_000_000);
}
