//! Value reductions along lines through the command line (`--glyph lines --agg R --value
//! V`, issue #4): every reduction's `--agg-out` equals a brute-force whole-canvas drawing
//! with Datashader's append rules written out here, and the PNG and aggregate bytes are
//! the same whatever the tile size, thread count and band split, with NaN breaks, NaN
//! values, excursions out of the canvas and segments crossing many tiles and bands.

use std::path::Path;

use crate::common::*;
use gigaplot::canvas::{Axis, Scale};
use gigaplot::data::npy::{encode_header, NpyHeader};
use gigaplot::data::DType;
use gigaplot::glyph::lines::{aa_segment, draw, draw_aa, line_segment, AaStyle, PixelWindow, Polyline};

const W: u32 = 300;
const H: u32 = 200;

/// 40 MiB + 20 MiB per thread (2), plus 54 rows of two 300-pixel bands of 24-byte
/// accumulators: 48-row bands with 16-pixel tiles, 5 of them (3 for count-cat).
const SEVERAL_BANDS: &str = "84663680";

/// The tile, threads and memory of every render compared.
const SETUPS: [(&str, &str, &str); 3] =
    [("1000", "1", "1GiB"), ("16", "2", SEVERAL_BANDS), ("7", "2", "85000000")];

/// A random walk with NaN breaks, jumps across the canvas and excursions out of it, and
/// its values: NaN every 13th vertex, negatives, repeats.
fn inputs() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut state = 0x2545_f491u64;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let (mut xs, mut ys, mut vs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut x, mut y) = (5.0, 5.0);
    for i in 0..3_000 {
        let v = if i % 13 == 0 { f64::NAN } else { ((next() * 40.0 - 10.0) * 8.0).round() / 8.0 };
        vs.push(v);
        if i % 211 == 0 {
            xs.push(f64::NAN);
            ys.push(1.0);
            continue;
        }
        if i % 37 == 0 {
            (x, y) = (next() * 14.0 - 2.0, next() * 14.0 - 2.0);
        } else {
            x = (x + next() - 0.5).clamp(-1.0, 11.0);
            y = (y + next() - 0.5).clamp(-1.0, 11.0);
        }
        xs.push(x);
        ys.push(y);
    }
    (xs, ys, vs)
}

fn write_inputs(dir: &Path) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (xs, ys, vs) = inputs();
    write_f64(&dir.join("x.npy"), &xs);
    write_f64(&dir.join("y.npy"), &ys);
    write_f64(&dir.join("v.npy"), &vs);
    let cats: Vec<i32> = (0..xs.len() as i32).map(|i| (i / 7) % 4).collect();
    let mut bytes = encode_header(DType::I32, &[cats.len()]);
    bytes.extend_from_slice(bytemuck::cast_slice(&cats));
    std::fs::write(dir.join("c.npy"), bytes).unwrap();
    (xs, ys, vs)
}

/// Every pixel each segment plots over the whole canvas, in drawing order, with the index
/// of the segment's start vertex: width 0 (Bresenham), or anti-aliased as (pixel, aa, prev).
fn whole_canvas(xs: &[f64], ys: &[f64], line_width: f64, overwrite: bool) -> Vec<(usize, usize, f64, f64)> {
    let x = Axis::new(gigaplot::error::Field::XRange, (0.0, 10.0), W, Scale::Linear).unwrap();
    let y = Axis::new(gigaplot::error::Field::YRange, (0.0, 10.0), H, Scale::Linear).unwrap();
    let whole = PixelWindow { x0: 0, x1: W, y0: 0, y1: H };
    let mut raws = Vec::new();
    let mut line = Polyline::new();
    line.push(xs, ys, |r| raws.push(r));
    line.finish(|r| raws.push(r));
    let mut out = Vec::new();
    for raw in &raws {
        let i = raw.index as usize;
        if line_width == 0.0 {
            if let Some(seg) = line_segment(raw, &x, &y) {
                draw(&seg, whole, |c, r, _| out.push((i, (r * W + c) as usize, 1.0, 0.0)));
            }
        } else if let Some(seg) = aa_segment(raw, &x, &y) {
            let style = AaStyle { line_width, overwrite, width: W, height: H };
            draw_aa(&seg, &style, whole, |c, r, aa, prev| out.push((i, (r * W + c) as usize, aa, prev)));
        }
    }
    out
}

/// Datashader's width-0 appends of `reduction` applied to the whole-canvas drawing.
fn brute_force(reduction: &str, xs: &[f64], ys: &[f64], vs: &[f64]) -> Vec<f64> {
    let n = (W * H) as usize;
    let (mut agg, mut count, mut sum) = (vec![f64::NAN; n], vec![0u32; n], vec![0f64; n]);
    let mut m2 = vec![0f64; n];
    for (i, p, _, _) in whole_canvas(xs, ys, 0.0, false) {
        let v = vs[i];
        if v.is_nan() {
            continue;
        }
        let a = &mut agg[p];
        match reduction {
            "sum" => *a = if a.is_nan() { v } else { *a + v },
            "min" => *a = if a.is_nan() || v < *a { v } else { *a },
            "max" => *a = if a.is_nan() || v > *a { v } else { *a },
            "first" => *a = if a.is_nan() { v } else { *a },
            "last" => *a = v,
            _ => {
                // mean, var, std: Datashader's _sum_zero, count and m2.
                if count[p] > 0 {
                    let u1 = sum[p] / f64::from(count[p]);
                    let u = (sum[p] + v) / f64::from(count[p] + 1);
                    m2[p] += (v - u1) * (v - u);
                }
                sum[p] += v;
                count[p] += 1;
            }
        }
    }
    if matches!(reduction, "mean" | "var" | "std") {
        for p in 0..n {
            let c = f64::from(count[p]);
            agg[p] = match (count[p], reduction) {
                (0, _) => f64::NAN,
                (_, "mean") => sum[p] / c,
                (_, "var") => m2[p] / c,
                _ => (m2[p] / c).sqrt(),
            };
        }
    }
    agg
}

/// Datashader's anti-aliased appends of `reduction` (sum, max: one line) on the drawing.
fn brute_force_aa(reduction: &str, xs: &[f64], ys: &[f64], vs: &[f64], line_width: f64) -> Vec<f64> {
    let mut agg = vec![f64::NAN; (W * H) as usize];
    let overwrite = reduction != "sum";
    for (i, p, aa, prev) in whole_canvas(xs, ys, line_width, overwrite) {
        let a = &mut agg[p];
        match reduction {
            "sum" => {
                let value = vs[i] * (aa - prev);
                if !value.is_nan() {
                    *a = if a.is_nan() { value } else { *a + value };
                }
            }
            _ => {
                let value = vs[i] * aa;
                if !value.is_nan() && (a.is_nan() || value > *a) {
                    *a = value;
                }
            }
        }
    }
    agg
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
fn width0_aggregates_equal_the_brute_force_drawing_for_every_setup() {
    let dir = tempfile::tempdir().unwrap();
    let (xs, ys, vs) = write_inputs(dir.path());
    for reduction in ["sum", "mean", "var", "std", "min", "max", "first", "last"] {
        let want = brute_force(reduction, &xs, &ys, &vs);
        let mut seen = Vec::new();
        for setup in SETUPS {
            let (png, agg, bands) = render(dir.path(), reduction, "0", setup);
            assert_bits_equal(&floats(&agg), &want, &format!("{reduction} {setup:?}"));
            seen.push((png, agg, bands));
        }
        assert!(seen[1].2 >= 5 && seen[2].2 >= 2, "{reduction}: bands {} and {}", seen[1].2, seen[2].2);
        assert!(seen.iter().all(|s| s.0 == seen[0].0), "{reduction}: PNG differs between setups");
    }
}

#[test]
fn anti_aliased_aggregates_equal_the_brute_force_drawing_for_every_setup() {
    let dir = tempfile::tempdir().unwrap();
    let (xs, ys, vs) = write_inputs(dir.path());
    for (reduction, like) in [("sum", "sum"), ("max", "max"), ("min", "max"), ("last", "max")] {
        let want = brute_force_aa(like, &xs, &ys, &vs, 1.5);
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
    let (xs, ys, _) = write_inputs(dir.path());
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
    assert_eq!(total, whole_canvas(&xs, &ys, 0.0, false).len() as u64);
}

#[test]
fn unsupported_line_reductions_fail_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (x, y, v, png) = (path("x.npy"), path("y.npy"), path("v.npy"), path("e.png"));
    let base = ["render", "-q", "--glyph", "lines", "--x", &x, "--y", &y, "-o", &png];
    let cases: [(&[&str], &str); 4] = [
        (
            &["--line-width", "2", "--agg", "var", "--value", &v],
            "var along anti-aliased lines (--line-width > 0)",
        ),
        (
            &["--line-width", "2", "--agg", "std", "--value", &v],
            "std along anti-aliased lines (--line-width > 0)",
        ),
        (&["--agg", "sum"], "the sum reduction needs a value column"),
        (
            &[
                "--agg",
                "max",
                "--value",
                &v,
                "--pyramid",
                &path("pyr"),
                "--width",
                "801",
                "--x-range",
                "0,1",
                "--y-range",
                "0,1",
            ],
            "--width: pyramids of max need a width and height divisible by",
        ),
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

/// The categories of `write_inputs`' c.npy.
fn category(i: usize) -> usize {
    (i / 7) % 4
}

#[test]
fn anti_aliased_count_cat_planes_are_each_categorys_coverage_for_every_setup() {
    let dir = tempfile::tempdir().unwrap();
    let (xs, ys, _) = write_inputs(dir.path());
    // Plane k: the float32 coverage of the segments starting at a vertex of category k,
    // with the join corrections of the whole polyline, added in drawing order from NaN.
    let mut want = vec![f32::NAN; (W * H) as usize * 4];
    for (i, p, aa, prev) in whole_canvas(&xs, &ys, 1.5, false) {
        gigaplot::reduce::antialiased::add_coverage(&mut want[p * 4 + category(i)], aa - prev);
    }
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
