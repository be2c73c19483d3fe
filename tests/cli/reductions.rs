//! Every reduction against a brute-force reference on a small canvas (exact for integer
//! results and order statistics, 1e-12 relative for sums, means and variances), with NaN
//! values, empty pixels and points on the edges; count-cat's (H, W, C) export; and tile and
//! thread invariance of a float reduction.

use std::path::Path;

use crate::common::*;
use gigaplot::npy::encode_header;
use gigaplot::DType;

const W: usize = 13;
const H: usize = 7;

struct Data {
    xs: Vec<f64>,
    ys: Vec<f64>,
    vs: Vec<f64>,
    cats: Vec<u8>,
}

/// Points on a 1/4 grid over 0..13 x 0..7 (exact pixel edges included), some values NaN.
fn data() -> Data {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let n = 3000;
    let mut d = Data { xs: vec![], ys: vec![], vs: vec![], cats: vec![] };
    for i in 0..n {
        d.xs.push((next() % 53) as f64 / 4.0);
        d.ys.push((next() % 29) as f64 / 4.0);
        d.vs.push(if i % 17 == 0 { f64::NAN } else { (next() % 10_000) as f64 / 7.0 - 300.0 });
        d.cats.push((next() % 5) as u8);
    }
    d
}

/// The pixel (image order) of a point, by Datashader's rule (exact for these values).
fn pixel(x: f64, y: f64) -> usize {
    let col = ((x * W as f64 / 13.0) as usize).min(W - 1);
    let row_up = ((y * H as f64 / 7.0) as usize).min(H - 1);
    (H - 1 - row_up) * W + col
}

/// Values per pixel in input order, NaN values skipped.
fn per_pixel(d: &Data) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new(); W * H];
    for i in 0..d.xs.len() {
        if !d.vs[i].is_nan() {
            out[pixel(d.xs[i], d.ys[i])].push(d.vs[i]);
        }
    }
    out
}

fn reference(name: &str, values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    match name {
        "sum" => values.iter().sum(),
        "mean" => mean,
        "var" => var,
        "std" => var.sqrt(),
        "min" => values.iter().cloned().fold(f64::INFINITY, f64::min),
        "max" => values.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        "first" => values[0],
        "last" => values[values.len() - 1],
        other => panic!("{other}"),
    }
}

fn write_u8(path: &Path, values: &[u8]) {
    let mut bytes = encode_header(DType::U8, &[values.len()]);
    bytes.extend_from_slice(values);
    std::fs::write(path, bytes).unwrap();
}

/// The header dictionary text and data of a version 1 .npy file (any number of dimensions).
fn npy_parts(bytes: &[u8]) -> (String, Vec<u8>) {
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    (String::from_utf8_lossy(&bytes[10..10 + len]).into_owned(), bytes[10 + len..].to_vec())
}

fn render(dir: &Path, d: &Data, agg: &str, value: Option<&Path>, extra: &[&str]) -> (String, Vec<u8>) {
    let (xp, yp) = (dir.join("x.npy"), dir.join("y.npy"));
    write_f64(&xp, &d.xs);
    write_f64(&yp, &d.ys);
    let (png, out) = (dir.join("o.png"), dir.join(format!("{agg}.npy")));
    let (w, h) = (W.to_string(), H.to_string());
    let mut args = vec![
        "render",
        "-q",
        "--x",
        xp.to_str().unwrap(),
        "--y",
        yp.to_str().unwrap(),
        "--width",
        &w,
        "--height",
        &h,
        "--x-range",
        "0,13",
        "--y-range",
        "0,7",
        "--agg",
        agg,
        "-o",
        png.to_str().unwrap(),
        "--agg-out",
        out.to_str().unwrap(),
    ];
    if let Some(value) = value {
        args.extend(["--value", value.to_str().unwrap()]);
    }
    args.extend_from_slice(extra);
    run_ok(&args);
    npy_parts(&std::fs::read(&out).unwrap())
}

#[test]
fn float_reductions_match_brute_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = data();
    let vp = dir.path().join("v.npy");
    write_f64(&vp, &d.vs);
    let groups = per_pixel(&d);
    assert!(groups.iter().all(|g| !g.is_empty()), "every pixel gets values on this grid");
    for name in ["sum", "mean", "var", "std", "min", "max", "first", "last"] {
        let (header, bytes) = render(dir.path(), &d, name, Some(&vp), &[]);
        assert!(header.contains("'<f8'") && header.contains("(7, 13)"), "{name}: {header}");
        let got: Vec<f64> =
            bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
        for (p, values) in groups.iter().enumerate() {
            let want = reference(name, values);
            let ok = if want.is_nan() {
                got[p].is_nan()
            } else {
                (got[p] - want).abs() <= 1e-12 * want.abs().max(1.0)
            };
            assert!(ok, "{name} pixel {p}: got {} want {want}", got[p]);
        }
    }
}

#[test]
fn count_any_and_count_cat_match_brute_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = data();
    let cp = dir.path().join("c.npy");
    write_u8(&cp, &d.cats);
    let mut counts = vec![0u32; W * H];
    let mut by_cat = vec![0u32; W * H * 5];
    for i in 0..d.xs.len() {
        let p = pixel(d.xs[i], d.ys[i]);
        counts[p] += 1;
        by_cat[p * 5 + d.cats[i] as usize] += 1;
    }
    let (header, bytes) = render(dir.path(), &d, "count-cat", Some(&cp), &[]);
    assert!(header.contains("'<u4'") && header.contains("(7, 13, 5)"), "{header}");
    let got: Vec<u32> = bytes.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(got, by_cat);
    let (header, bytes) = render(dir.path(), &d, "any", None, &[]);
    assert!(header.contains("'|b1'") && header.contains("(7, 13)"), "{header}");
    let want: Vec<u8> = counts.iter().map(|&c| u8::from(c > 0)).collect();
    assert_eq!(bytes, want);
}

/// count and any of a value column (Datashader's `count("v")`, `any("v")`) count only the
/// points whose value is not NaN: every 17th value here.
#[test]
fn count_and_any_of_a_value_column_skip_its_nan() {
    let dir = tempfile::tempdir().unwrap();
    let d = data();
    let vp = dir.path().join("v.npy");
    write_f64(&vp, &d.vs);
    let valid: Vec<u32> = per_pixel(&d).iter().map(|g| g.len() as u32).collect();
    let mut all = vec![0u32; W * H];
    for i in 0..d.xs.len() {
        all[pixel(d.xs[i], d.ys[i])] += 1;
    }
    assert!(valid.iter().zip(&all).any(|(v, a)| v < a), "some pixels hold NaN values");
    for extra in [&[][..], &["--tile", "3", "--threads", "2"]] {
        let (header, bytes) = render(dir.path(), &d, "count", Some(&vp), extra);
        assert!(header.contains("'<u4'"), "{header}");
        let got: Vec<u32> =
            bytes.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(got, valid);
    }
    // any: a pixel whose points all have NaN values is empty (one point of value NaN, alone)
    let mut lone = data();
    lone.xs.push(0.1);
    lone.ys.push(6.9);
    lone.vs.push(f64::NAN);
    lone.cats.push(0);
    for (i, x) in lone.xs.iter_mut().enumerate().take(3000) {
        if pixel(*x, lone.ys[i]) == pixel(0.1, 6.9) {
            *x = 12.9; // moved out of that pixel
        }
    }
    write_f64(&vp, &lone.vs);
    let (_, bytes) = render(dir.path(), &lone, "any", Some(&vp), &[]);
    let want: Vec<u8> = per_pixel(&lone).iter().map(|g| u8::from(!g.is_empty())).collect();
    assert_eq!(bytes, want);
    assert_eq!(bytes[pixel(0.1, 6.9)], 0, "a pixel of NaN values alone is empty");
}

#[test]
fn a_float_reduction_is_identical_for_every_tile_and_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = data();
    let vp = dir.path().join("v.npy");
    write_f64(&vp, &d.vs);
    let mut first: Option<(Vec<u8>, Vec<u8>)> = None;
    for (tile, threads) in [("1", "1"), ("3", "2"), ("256", "4")] {
        let (_, agg) = render(dir.path(), &d, "mean", Some(&vp), &["--tile", tile, "--threads", threads]);
        let png = std::fs::read(dir.path().join("o.png")).unwrap();
        match &first {
            None => first = Some((agg, png)),
            Some((a, p)) => {
                assert!(a == &agg && p == &png, "tile {tile}, {threads} threads");
            }
        }
    }
}

#[test]
fn value_reductions_need_a_value_column() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.npy");
    write_f64(&x, &[1.0, 2.0]);
    let out = run(&[
        "render",
        "--x",
        x.to_str().unwrap(),
        "--y",
        x.to_str().unwrap(),
        "--agg",
        "mean",
        "-o",
        dir.path().join("o.png").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--value"));
    let out = run(&[
        "render",
        "--x",
        x.to_str().unwrap(),
        "--y",
        x.to_str().unwrap(),
        "--agg",
        "median",
        "-o",
        dir.path().join("o.png").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown reduction"));
}
