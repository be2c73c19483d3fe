//! Aggregate counts equal a brute-force reference: points exactly on every edge, NaN,
//! infinities and out-of-range points, on canvases cut into one band or many.

use crate::common::*;

/// Datashader 0.19's rule, point by point (glyphs/points.py): `s = n / (hi - lo)`,
/// `t = -lo * s`, bin `int(v * s + t)`, and `n - 1` for bins at or past `n`.
fn reference_bin(v: f64, lo: f64, hi: f64, n: usize) -> Option<usize> {
    if !(lo <= v && v <= hi) {
        return None;
    }
    let s = n as f64 / (hi - lo);
    let t = -lo * s;
    let bin = (v * s + t) as usize;
    Some(if bin >= n { n - 1 } else { bin })
}

/// The same rule in exact arithmetic (half-open bins, the last one closed): it agrees with
/// Datashader's for the dyadic values and ranges used below.
fn exact_bin(v: f64, lo: f64, hi: f64, n: usize) -> Option<usize> {
    if !(lo <= v && v <= hi) {
        return None;
    }
    Some((((v - lo) / (hi - lo) * n as f64).floor() as usize).min(n - 1))
}

/// Counts in image order (row 0 = y max).
fn reference_counts(xs: &[f64], ys: &[f64], xr: (f64, f64), yr: (f64, f64), w: usize, h: usize) -> Vec<u32> {
    let mut counts = vec![0u32; w * h];
    for (&x, &y) in xs.iter().zip(ys) {
        if let (Some(i), Some(j)) = (reference_bin(x, xr.0, xr.1, w), reference_bin(y, yr.0, yr.1, h)) {
            counts[(h - 1 - j) * w + i] += 1;
        }
    }
    counts
}

fn render_counts(
    xs: &[f64],
    ys: &[f64],
    xr: (f64, f64),
    yr: (f64, f64),
    w: usize,
    h: usize,
    extra: &[&str],
) -> Vec<u32> {
    let dir = tempfile::tempdir().unwrap();
    let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    write_f64(&xp, xs);
    write_f64(&yp, ys);
    let (png, agg) = (dir.path().join("out.png"), dir.path().join("agg.npy"));
    let (ws, hs) = (w.to_string(), h.to_string());
    let (xrs, yrs) = (format!("{},{}", xr.0, xr.1), format!("{},{}", yr.0, yr.1));
    let mut args = vec![
        "render",
        "-q",
        "--bare",
        "--x",
        xp.to_str().unwrap(),
        "--y",
        yp.to_str().unwrap(),
        "--width",
        &ws,
        "--height",
        &hs,
        "--x-range",
        &xrs,
        "--y-range",
        &yrs,
        "-o",
        png.to_str().unwrap(),
        "--agg-out",
        agg.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_ok(&args);
    let (shape, counts) = read_counts(&agg);
    assert_eq!(shape, vec![h, w]);
    let (pw, ph, _, _) = read_png(&png);
    assert_eq!((pw as usize, ph as usize), (w, h));
    counts
}

#[test]
fn edges_nan_infinities_and_out_of_range() {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    // Every pixel edge and centre on both axes, including the closed last edge.
    for i in 0..=16 {
        for j in 0..=8 {
            xs.push(f64::from(i) * 0.5);
            ys.push(f64::from(j) * 0.5);
        }
    }
    for (x, y) in [
        (f64::NAN, 1.0),
        (1.0, f64::NAN),
        (f64::INFINITY, 1.0),
        (f64::NEG_INFINITY, 1.0),
        (1.0, f64::INFINITY),
        (8.000_001, 1.0),
        (-0.000_001, 1.0),
        (1.0, 4.000_001),
        (1.0, -1e-300),
    ] {
        xs.push(x);
        ys.push(y);
    }
    let (xr, yr) = ((0.0, 8.0), (0.0, 4.0));
    let got = render_counts(&xs, &ys, xr, yr, 8, 4, &[]);
    let want = reference_counts(&xs, &ys, xr, yr, 8, 4);
    assert_eq!(got, want);
    for (&x, &y) in xs.iter().zip(&ys) {
        assert_eq!(reference_bin(x, 0.0, 8.0, 8), exact_bin(x, 0.0, 8.0, 8));
        assert_eq!(reference_bin(y, 0.0, 4.0, 4), exact_bin(y, 0.0, 4.0, 4));
    }
    // Sanity of the reference itself: the four corners land in the four corner pixels.
    assert_eq!(want.iter().sum::<u32>(), 17 * 9);
    // Top-left pixel: x in {0, 0.5} and y in {3, 3.5, 4 (the closed edge)}.
    assert_eq!(got[0], 6);
}

#[test]
fn random_points_match_on_one_band_and_many() {
    // Coordinates on a 1/64 grid, so many fall exactly on pixel edges.
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let n = 200_000;
    let xs: Vec<f64> = (0..n).map(|_| (next() % 2400) as f64 / 64.0 - 5.0).collect();
    let ys: Vec<f64> = (0..n).map(|_| (next() % 1700) as f64 / 32.0 - 20.0).collect();
    let (xr, yr) = ((-4.0, 30.0), (-16.0, 32.0));
    for (w, h) in [(136, 96), (1000, 700), (7, 3)] {
        let want = reference_counts(&xs, &ys, xr, yr, w, h);
        let one_band = render_counts(&xs, &ys, xr, yr, w, h, &[]);
        assert_eq!(one_band, want, "{w}x{h}");
        // A small tile and budget force many tiles and several bands.
        let many = render_counts(&xs, &ys, xr, yr, w, h, &["--tile", "5", "--threads", "2"]);
        assert_eq!(many, want, "{w}x{h} tiled");
    }
}

#[test]
fn automatic_ranges_follow_datashader() {
    // Range from the data: min and max, the max landing in the last pixel.
    let xs = [1.0, 2.0, 3.0, 5.0];
    let ys = [10.0, 10.0, 20.0, 30.0];
    let dir = tempfile::tempdir().unwrap();
    let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    write_f64(&xp, &xs);
    write_f64(&yp, &ys);
    let (png, agg) = (dir.path().join("o.png"), dir.path().join("a.npy"));
    run_ok(&[
        "render",
        "-q",
        "--x",
        xp.to_str().unwrap(),
        "--y",
        yp.to_str().unwrap(),
        "--width",
        "4",
        "--height",
        "2",
        "-o",
        png.to_str().unwrap(),
        "--agg-out",
        agg.to_str().unwrap(),
    ]);
    let (_, counts) = read_counts(&agg);
    assert_eq!(counts, reference_counts(&xs, &ys, (1.0, 5.0), (10.0, 30.0), 4, 2));
    assert_eq!(counts, vec![0, 0, 1, 1, 1, 1, 0, 0]);
}
