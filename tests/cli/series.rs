//! Several series through the command line: `--glyph lines` with 2-D (N, K) arrays (C and
//! Fortran order, a shared 1-D x) and `--series K` draws K separate lines, equal to the sum
//! of K single-line renders, byte-identical whatever the tile, thread count and band split;
//! anti-aliased lines of several series; `gigaplot info` on 2-D arrays; bounded memory for
//! many long series.

use std::path::{Path, PathBuf};

use crate::common::*;
use gigaplot::npy::{encode_header_in_order, NpyHeader};
use gigaplot::DType;

const W: u32 = 400;
const H: u32 = 300;
const N: usize = 3000;
const K: usize = 5;

/// Writes an f64 array of `shape` from `values` given in memory order.
fn write_array(path: &Path, shape: &[usize], fortran: bool, values: &[f64]) {
    let mut bytes = encode_header_in_order(DType::F64, shape, fortran);
    bytes.extend_from_slice(bytemuck::cast_slice(values));
    std::fs::write(path, bytes).unwrap();
}

/// K random walks over a shared time axis, with NaN breaks and jumps off the canvas;
/// returns (t, ys) with ys[k][r].
fn data() -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut state = 0x5eed_1234u64;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let t: Vec<f64> = (0..N).map(|r| r as f64 / N as f64 * 10.0).collect();
    let ys = (0..K)
        .map(|k| {
            let mut level = 2.0 + k as f64;
            (0..N)
                .map(|r| {
                    level = (level + (next() - 0.5) * 0.4).clamp(-1.0, 11.0);
                    match (r + 7 * k) % 401 {
                        0 => f64::NAN,
                        13 => level + 20.0,
                        _ => level,
                    }
                })
                .collect()
        })
        .collect();
    (t, ys)
}

/// `gigaplot render --glyph lines` of `x`, `y` with `extra` flags, writing `name`.png and
/// `name`.npy in `dir`; returns (PNG bytes, aggregate bytes after the header).
fn render(dir: &Path, name: &str, x: &Path, y: &Path, extra: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let (png, agg) = (dir.join(format!("{name}.png")), dir.join(format!("{name}.npy")));
    let mut args = vec![
        "render",
        "-q",
        "--bare",
        "--glyph",
        "lines",
        "--width",
        "400",
        "--height",
        "300",
        "--x-range",
        "0,10",
        "--y-range",
        "0,10",
    ];
    let (xs, ys, ps, aggs) = (path(x), path(y), path(&png), path(&agg));
    args.extend(["--x", &xs, "--y", &ys, "-o", &ps, "--agg-out", &aggs]);
    args.extend(extra);
    run_ok(&args);
    let bytes = std::fs::read(&agg).unwrap();
    let header = NpyHeader::parse(&bytes).unwrap();
    assert_eq!(header.shape, vec![H as usize, W as usize]);
    (std::fs::read(&png).unwrap(), bytes[header.data_offset..].to_vec())
}

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn u32s(bytes: &[u8]) -> Vec<u32> {
    bytes.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect()
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
}

/// The input files of every layout of the same K series.
struct Files {
    t: PathBuf,
    /// C-order (N, K) x (t repeated) and y.
    xc: PathBuf,
    yc: PathBuf,
    /// Fortran-order (N, K) x and y.
    xf: PathBuf,
    yf: PathBuf,
    /// K series back to back, 1-D.
    x1: PathBuf,
    y1: PathBuf,
    /// Series k alone, 1-D.
    single: Vec<PathBuf>,
}

fn files(dir: &Path) -> Files {
    let (t, ys) = data();
    let p = |name: &str| dir.join(name);
    let files = Files {
        t: p("t.npy"),
        xc: p("xc.npy"),
        yc: p("yc.npy"),
        xf: p("xf.npy"),
        yf: p("yf.npy"),
        x1: p("x1.npy"),
        y1: p("y1.npy"),
        single: (0..K).map(|k| p(&format!("input{k}.npy"))).collect(),
    };
    write_f64(&files.t, &t);
    let xc: Vec<f64> = t.iter().flat_map(|&v| [v; K]).collect();
    let yc: Vec<f64> = (0..N).flat_map(|r| ys.iter().map(move |y| y[r])).collect();
    let x_back: Vec<f64> = (0..K).flat_map(|_| t.iter().copied()).collect();
    let y_back: Vec<f64> = ys.concat();
    write_array(&files.xc, &[N, K], false, &xc);
    write_array(&files.yc, &[N, K], false, &yc);
    write_array(&files.xf, &[N, K], true, &x_back);
    write_array(&files.yf, &[N, K], true, &y_back);
    write_f64(&files.x1, &x_back);
    write_f64(&files.y1, &y_back);
    for (k, y) in ys.iter().enumerate() {
        write_f64(&files.single[k], y);
    }
    files
}

const SPLITS: [[&str; 6]; 3] = [
    ["--tile", "400", "--threads", "1", "--memory", "1GiB"],
    ["--tile", "64", "--threads", "2", "--memory", "84206080"],
    ["--tile", "33", "--threads", "3", "--memory", "105007600"],
];

#[test]
fn every_layout_draws_the_sum_of_the_single_lines_for_every_split() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    let mut want = vec![0u32; (W * H) as usize];
    for (k, y) in f.single.iter().enumerate() {
        let (_, agg) = render(dir.path(), &format!("single{k}"), &f.t, y, &[]);
        for (w, c) in want.iter_mut().zip(u32s(&agg)) {
            *w += c;
        }
    }
    assert!(want.iter().filter(|&&c| c > 1).count() > 1000, "series overlap somewhere");
    let k = K.to_string();
    let layouts: [(&str, &Path, &Path, &[&str]); 6] = [
        ("C order", &f.xc, &f.yc, &[]),
        ("Fortran order", &f.xf, &f.yf, &[]),
        ("shared x, C-order y", &f.t, &f.yc, &[]),
        ("shared x, Fortran-order y", &f.t, &f.yf, &[]),
        ("--series", &f.x1, &f.y1, &["--series", &k]),
        ("shared x, --series", &f.t, &f.y1, &["--series", &k]),
    ];
    let mut png_ref: Option<Vec<u8>> = None;
    for (name, x, y, flags) in layouts {
        for split in SPLITS {
            let extra: Vec<&str> = flags.iter().chain(split.iter()).copied().collect();
            let (png, agg) = render(dir.path(), "multi", x, y, &extra);
            assert!(u32s(&agg) == want, "{name} {split:?}: counts differ from the sum of single lines");
            match &png_ref {
                None => png_ref = Some(png),
                Some(r) => assert!(r == &png, "{name} {split:?}: PNG differs"),
            }
        }
    }
}

#[test]
fn anti_aliased_series_are_identical_for_every_split() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    let mut sum = vec![f32::NAN; (W * H) as usize];
    for (k, y) in f.single.iter().enumerate() {
        let (_, agg) = render(dir.path(), &format!("single{k}"), &f.t, y, &["--line-width", "1.5"]);
        for (s, c) in sum.iter_mut().zip(f32s(&agg)) {
            if !c.is_nan() {
                *s = if s.is_nan() { c } else { *s + c };
            }
        }
    }
    let k = K.to_string();
    // Fortran order and --series read series after series, as Datashader: identical bytes.
    // C order reads row by row: the same coverage summed in another order.
    let layouts: [(&str, &Path, &Path, &[&str]); 3] = [
        ("Fortran order", &f.xf, &f.yf, &[]),
        ("--series", &f.x1, &f.y1, &["--series", &k]),
        ("C order", &f.xc, &f.yc, &[]),
    ];
    let mut series_major: Option<Vec<u8>> = None;
    for (name, x, y, flags) in layouts {
        let mut first: Option<(Vec<u8>, Vec<u8>)> = None;
        for split in SPLITS {
            let extra: Vec<&str> =
                flags.iter().chain(split.iter()).chain(&["--line-width", "1.5"]).copied().collect();
            let out = render(dir.path(), "aa", x, y, &extra);
            match &first {
                None => first = Some(out),
                Some(r) => assert!(r == &out, "{name} {split:?}: output differs between splits"),
            }
        }
        let (_, agg) = first.unwrap();
        let got = f32s(&agg);
        for (i, (&g, &s)) in got.iter().zip(&sum).enumerate() {
            assert!(
                g.is_nan() == s.is_nan() && (g.is_nan() || (g - s).abs() <= 1e-5 * s.abs().max(1.0)),
                "{name}: pixel {i}: {g} vs {s}"
            );
        }
        if name != "C order" {
            match &series_major {
                None => series_major = Some(agg),
                Some(r) => assert!(r == &agg, "{name}: differs from Fortran order"),
            }
        }
    }
}

#[test]
fn info_shows_the_shape_and_order_of_2_d_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let (c, f) = (dir.path().join("c.npy"), dir.path().join("f.npy"));
    write_array(&c, &[3, 2], false, &[1.0, 10.0, 2.0, 20.0, 3.0, f64::NAN]);
    write_array(&f, &[3, 2], true, &[1.0, 2.0, 3.0, 10.0, 20.0, f64::NAN]);
    for (p, order) in [(&c, "C"), (&f, "Fortran")] {
        let out = run_ok(&["info", p.to_str().unwrap()]);
        let text = String::from_utf8(out.stdout).unwrap();
        let d = p.display();
        assert_eq!(
            text,
            format!(
                "{d}: 2-D float64 array of shape (3, 2), {order} order: 2 columns of 3 values (--glyph lines \
                 draws one line per column)\n\
                 {d}:0: dtype float64, 3 values, min 1, max 3, 0 NaN, 0 infinite\n\
                 {d}:1: dtype float64, 3 values, min 10, max 20, 1 NaN, 0 infinite\n"
            )
        );
    }
}

#[test]
fn many_long_series_render_in_bounded_memory() {
    // 10^6 rows x 16 series (C order, 128 MB of f64) over a shared time axis, on a
    // 20000 x 8000 canvas with a 128 MiB budget.
    let (n, k) = (1_000_000usize, 16usize);
    let dir = tempfile::tempdir().unwrap();
    let (tp, yp) = (dir.path().join("t.npy"), dir.path().join("y.npy"));
    write_f64(&tp, &(0..n).map(|i| i as f64).collect::<Vec<f64>>());
    // Written row by row: the child's peak RSS as wait4 reports it includes this
    // process's peak (the child starts as a copy of it), so nothing large is held here.
    {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&yp).unwrap());
        out.write_all(&encode_header_in_order(DType::F64, &[n, k], false)).unwrap();
        let mut state = 11u64;
        let mut levels = vec![0.0f64; k];
        for _ in 0..n {
            for (j, level) in levels.iter_mut().enumerate() {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                *level += ((state >> 40) as f64 / (1u64 << 24) as f64 - 0.5) * 0.02;
                out.write_all(&(*level + j as f64).to_le_bytes()).unwrap();
            }
        }
        out.flush().unwrap();
    }
    let png = dir.path().join("series.png");
    let started = std::time::Instant::now();
    let (status, peak) = run_measuring_rss(
        std::process::Command::new(bin())
            .args(["render", "-q", "--glyph", "lines", "--x"])
            .arg(&tp)
            .arg("--y")
            .arg(&yp)
            .args(["--width", "20000", "--height", "8000", "--memory", "128MiB", "--scratch-dir"])
            .arg(dir.path())
            .arg("-o")
            .arg(&png),
    );
    assert!(status.success());
    eprintln!(
        "peak RSS of 16 series x 10^6 rows on 20000 x 8000: {} MB in {:.1} s",
        peak / 1_000_000,
        started.elapsed().as_secs_f64()
    );
    assert!(peak < 160_000_000, "peak RSS {} MB", peak / 1_000_000);
}

fn f64s(bytes: &[u8]) -> Vec<f64> {
    bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}

/// Folds `b` into `a` pixel by pixel as Datashader combines per-line aggregates: NaN is
/// empty, otherwise `op`.
fn combine(a: &mut [f64], b: &[f64], op: fn(f64, f64) -> f64) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x = match (x.is_nan(), y.is_nan()) {
            (_, true) => *x,
            (true, false) => y,
            (false, false) => op(*x, y),
        };
    }
}

/// Value reductions along several series read `--value` laid out like the series (C order,
/// Fortran order, back to back, or one value per row shared by every series): `sum` and
/// `max` equal those of the K single lines combined (small integer values, so sums are exact
/// in any order), byte-identical for every split.
#[test]
fn values_along_several_series_equal_the_single_lines_combined() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    let value = |k: usize, r: usize| ((r * 3 + k * 5) % 17) as f64 - 4.0;
    let p = |name: &str| dir.path().join(name);
    let (vc, vf, v1, vshared) = (p("vc.npy"), p("vf.npy"), p("v1.npy"), p("vshared.npy"));
    let back: Vec<f64> = (0..K).flat_map(|k| (0..N).map(move |r| value(k, r))).collect();
    let rows: Vec<f64> = (0..N).flat_map(|r| (0..K).map(move |k| value(k, r))).collect();
    write_array(&vc, &[N, K], false, &rows);
    write_array(&vf, &[N, K], true, &back);
    write_f64(&v1, &back);
    write_f64(&vshared, &(0..N).map(|r| value(0, r)).collect::<Vec<f64>>());
    let k = K.to_string();
    for (agg, op) in [("sum", (|a, b| a + b) as fn(f64, f64) -> f64), ("max", f64::max)] {
        for (name, x, y, v, flags) in [
            ("C order", &f.xc, &f.yc, &vc, &[][..]),
            ("Fortran order", &f.xf, &f.yf, &vf, &[][..]),
            ("--series", &f.x1, &f.y1, &v1, &["--series", &k][..]),
            ("shared values", &f.t, &f.yc, &vshared, &[][..]),
        ] {
            let shared = name == "shared values";
            let mut want = vec![f64::NAN; (W * H) as usize];
            for (s, y_single) in f.single.iter().enumerate() {
                let v_single = p(&format!("single-value{s}.npy"));
                write_f64(
                    &v_single,
                    &(0..N).map(|r| value(if shared { 0 } else { s }, r)).collect::<Vec<_>>(),
                );
                let extra = ["--agg", agg, "--value", &path(&v_single)];
                let (_, agg_bytes) = render(dir.path(), "single", &f.t, y_single, &extra);
                combine(&mut want, &f64s(&agg_bytes), op);
            }
            assert!(want.iter().filter(|v| !v.is_nan()).count() > 1000);
            let mut png_ref: Option<Vec<u8>> = None;
            for split in SPLITS {
                let vs = path(v);
                let extra: Vec<&str> = ["--agg", agg, "--value", &vs]
                    .iter()
                    .copied()
                    .chain(flags.iter().copied())
                    .chain(split)
                    .collect();
                let (png, agg_bytes) = render(dir.path(), "multi", x, y, &extra);
                let got = f64s(&agg_bytes);
                let diff: Vec<(usize, f64, f64)> = got
                    .iter()
                    .zip(&want)
                    .enumerate()
                    .filter(|(_, (a, b))| !(a.to_bits() == b.to_bits() || a == b))
                    .map(|(i, (a, b))| (i, *a, *b))
                    .collect();
                assert!(
                    diff.is_empty(),
                    "{agg} {name} {split:?}: differs from the single lines combined: {} pixels, {:?}",
                    diff.len(),
                    &diff[..diff.len().min(5)]
                );
                match &png_ref {
                    None => png_ref = Some(png),
                    Some(r) => assert!(r == &png, "{agg} {name} {split:?}: PNG differs"),
                }
            }
        }
    }
}
