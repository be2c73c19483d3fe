//! Tests of the line glyph: Datashader's own aggregates, the closed-form Bresenham against
//! Datashader's loop, window invariance and the cost of drawing a window.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::bresenham::datashader_bresenham;
use super::datashader_cases::{cases, Case};
use super::thin::PLOT_START;
use super::*;
use crate::canvas::{Axis, Scale};

fn axis(range: (f64, f64), n: u32) -> Axis {
    Axis::new(crate::error::Field::XRange, range, n, Scale::Linear).unwrap()
}

fn whole(width: u32, height: u32) -> PixelWindow {
    PixelWindow { x0: 0, x1: width, y0: 0, y1: height }
}

/// Every raw segment of every series of a case, series by series.
fn raw_segments(case: &Case) -> Vec<Vec<RawSegment>> {
    case.series
        .iter()
        .map(|series| {
            let mut out = Vec::new();
            let mut line = Polyline::new();
            line.push(&series.xs, &series.ys, |s| out.push(s));
            line.finish(|s| out.push(s));
            out
        })
        .collect()
}

/// The aggregate gigaplot computes for a case, image order, as f64.
fn aggregate(case: &Case) -> Vec<f64> {
    let (w, h) = (case.width, case.height);
    let x_scale = if case.x_log { Scale::Log } else { Scale::Linear };
    let x = Axis::new(crate::error::Field::XRange, case.x_range, w, x_scale).unwrap();
    let y = axis(case.y_range, h);
    let n = (w * h) as usize;
    let series = raw_segments(case);
    if case.line_width == 0.0 {
        let mut agg = vec![0u32; n];
        for raw in series.iter().flatten() {
            if let Some(seg) = line_segment(raw, &x, &y) {
                draw(&seg, whole(w, h), |c, r, v| {
                    assert_eq!(v, 1.0);
                    agg[(r * w + c) as usize] += 1;
                });
            }
        }
        return agg.into_iter().map(f64::from).collect();
    }
    let overwrite = case.reduction == "count_max";
    let style = AaStyle { line_width: case.line_width, overwrite, width: w, height: h };
    let mut total = vec![f64::NAN; n];
    for segments in &series {
        // Per series for count_max (Datashader's 2-stage aggregation); one pass otherwise.
        let mut agg = if overwrite { vec![f64::NAN; n] } else { std::mem::take(&mut total) };
        for raw in segments {
            let Some(seg) = aa_segment(raw, &x, &y) else {
                continue;
            };
            let field = 1.0 + 0.25 * raw.index as f64;
            draw_aa(&seg, &style, whole(w, h), |c, r, value, prev| {
                let cell = &mut agg[(r * w + c) as usize];
                match case.reduction.as_str() {
                    "count" => *cell = f64::from(sum_into_f32(*cell as f32, value - prev)),
                    "sum" => *cell = sum_into(*cell, field * (value - prev)),
                    _ => {
                        assert_eq!(prev, 0.0);
                        if cell.is_nan() || value > *cell {
                            *cell = f64::from(value as f32);
                        }
                    }
                }
            });
        }
        if overwrite {
            for (t, a) in total.iter_mut().zip(&agg) {
                if !a.is_nan() {
                    *t = if t.is_nan() { *a } else { f64::from(*t as f32 + *a as f32) };
                }
            }
        } else {
            total = agg;
        }
    }
    total
}

/// Datashader's `agg[y, x] += delta` on a float32 aggregate initialised to NaN.
fn sum_into_f32(cell: f32, delta: f64) -> f32 {
    if cell.is_nan() {
        delta as f32
    } else {
        (f64::from(cell) + delta) as f32
    }
}

/// Datashader's `agg[y, x] += delta` on a float64 aggregate initialised to NaN.
fn sum_into(cell: f64, delta: f64) -> f64 {
    if cell.is_nan() {
        delta
    } else {
        cell + delta
    }
}

/// The reference as a dense image-order aggregate.
fn expected(case: &Case) -> Vec<f64> {
    let empty = if case.line_width == 0.0 { 0.0 } else { f64::NAN };
    let mut out = vec![empty; (case.width * case.height) as usize];
    for &(i, v) in &case.expected {
        out[i as usize] = v;
    }
    out
}

fn same(case: &Case, got: f64, want: f64) -> bool {
    if got.is_nan() || want.is_nan() {
        return got.is_nan() && want.is_nan();
    }
    if case.float32 {
        got as f32 == want as f32
    } else {
        (got - want).abs() <= 1e-12
    }
}

#[test]
fn datashader_reference_aggregates() {
    let mut failures = Vec::new();
    for case in cases() {
        let (got, want) = (aggregate(case), expected(case));
        let bad: Vec<usize> = (0..got.len()).filter(|&i| !same(case, got[i], want[i])).collect();
        if let Some(&i) = bad.first() {
            failures.push(format!(
                "{} width {} {}: {} pixels differ, first at column {} row {}: got {} want {}",
                case.name,
                case.line_width,
                case.reduction,
                bad.len(),
                i as u32 % case.width,
                i as u32 / case.width,
                got[i],
                want[i]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases().len(),
        failures.join("\n")
    );
    assert!(cases().len() >= 50);
    assert_eq!(cases().len(), 67);
}

#[test]
fn reference_cases_are_not_trivial() {
    for case in cases() {
        let lit = case.expected.len();
        assert!(lit > 0, "{} draws nothing", case.name);
    }
}

/// The closed-form walk against Datashader's loop for every small segment.
#[test]
fn bresenham_matches_datashader_loop() {
    let (w, h) = (13u32, 11u32);
    for x0 in 0..w {
        for y0 in 0..h {
            for x1 in 0..w {
                for y1 in 0..h {
                    for start in [false, true] {
                        let seg =
                            LineSegment { x0, y0: h - 1 - y0, x1, y1: h - 1 - y1, flags: u32::from(start) };
                        let mut got = Vec::new();
                        draw(&seg, whole(w, h), |x, r, _| got.push((i64::from(x), i64::from(h - 1 - r))));
                        let p = |x: u32, y: u32| (i64::from(x), i64::from(y));
                        let want = datashader_bresenham(p(x0, y0), p(x1, y1), start, true);
                        assert_eq!(got, want, "({x0},{y0}) -> ({x1},{y1}) start {start}");
                    }
                }
            }
        }
    }
}

/// A line segment between random pixels of a `w` x `h` canvas.
fn random_line(rng: &mut Pcg64, w: u32, h: u32) -> LineSegment {
    LineSegment {
        x0: rng.random_range(0..w),
        y0: rng.random_range(0..h),
        x1: rng.random_range(0..w),
        y1: rng.random_range(0..h),
        flags: rng.random_range(0..2),
    }
}

/// Draws with `draw_one` into every window of a `tw` x `th` grid overlapping rows
/// `rows` and stitches the result into a sorted pixel list.
fn stitched(
    w: u32,
    h: u32,
    tw: u32,
    th: u32,
    rows: (u32, u32),
    mut draw_one: impl FnMut(PixelWindow, &mut Vec<(u32, u32, u64)>),
) -> Vec<(u32, u32, u64)> {
    let mut out = Vec::new();
    let mut ty = rows.0 / th * th;
    while ty <= rows.1 && ty < h {
        let mut tx = 0;
        while tx < w {
            let window = PixelWindow { x0: tx, x1: (tx + tw).min(w), y0: ty, y1: (ty + th).min(h) };
            let before = out.len();
            draw_one(window, &mut out);
            for &(x, y, _) in &out[before..] {
                assert!(x >= window.x0 && x < window.x1 && y >= window.y0 && y < window.y1);
            }
            tx += tw;
        }
        ty += th;
    }
    out.sort_unstable();
    out
}

#[test]
fn width0_windows_stitch_to_the_whole_drawing() {
    let mut rng = Pcg64::seed_from_u64(7);
    for (w, h, tiles) in [
        (97u32, 61u32, vec![(1u32, 1u32), (7, 7), (64, 64), (1000, 1000), (5, 3), (1, 61)]),
        (20_000, 9_000, vec![(64, 64), (1000, 1000), (1000, 7)]),
    ] {
        for _ in 0..40 {
            let seg = random_line(&mut rng, w, h);
            let mut full = Vec::new();
            draw(&seg, whole(w, h), |x, y, v| full.push((x, y, v.to_bits())));
            let mut sorted = full.clone();
            sorted.sort_unstable();
            let rows = rows_spanned(&seg);
            for &(tw, th) in &tiles {
                let got = stitched(w, h, tw, th, rows, |win, out| {
                    draw(&seg, win, |x, y, v| out.push((x, y, v.to_bits())))
                });
                assert_eq!(got, sorted, "{seg:?} tiles {tw}x{th}");
            }
        }
    }
}

/// A random anti-aliased segment through `Polyline` on a `w` x `h` canvas, sometimes
/// leaving it.
fn random_aa_segments(rng: &mut Pcg64, w: u32, h: u32) -> Vec<AaSegment> {
    let (x, y) = (axis((0.0, 1.0), w), axis((0.0, 1.0), h));
    let xs: Vec<f64> = (0..6).map(|_| rng.random_range(-0.2..1.2)).collect();
    let ys: Vec<f64> = (0..6).map(|_| rng.random_range(-0.2..1.2)).collect();
    let mut out = Vec::new();
    let mut line = Polyline::new();
    line.push(&xs, &ys, |raw| out.extend(aa_segment(&raw, &x, &y)));
    line.finish(|raw| out.extend(aa_segment(&raw, &x, &y)));
    out
}

#[test]
fn anti_aliased_windows_stitch_to_the_whole_drawing() {
    let mut rng = Pcg64::seed_from_u64(11);
    for (w, h, tiles) in [
        (83u32, 59u32, vec![(1u32, 1u32), (7, 7), (64, 64), (1000, 1000), (3, 5)]),
        (3000, 2000, vec![(64, 64), (1000, 1000), (1000, 9)]),
    ] {
        for round in 0..12 {
            let overwrite = round % 2 == 0;
            let style =
                AaStyle { line_width: [0.5, 1.0, 2.5, 7.0][round % 4], overwrite, width: w, height: h };
            for seg in random_aa_segments(&mut rng, w, h) {
                let key = |v: f64, p: f64| v.to_bits() ^ p.to_bits().rotate_left(7);
                let mut full = Vec::new();
                draw_aa(&seg, &style, whole(w, h), |x, y, v, p| full.push((x, y, key(v, p))));
                full.sort_unstable();
                let Some(rows) = aa_rows_spanned(&seg, &style) else {
                    assert!(full.is_empty());
                    continue;
                };
                for &(x, y, _) in &full {
                    assert!(y >= rows.0 && y <= rows.1 && x < w);
                }
                for &(tw, th) in &tiles {
                    let got = stitched(w, h, tw, th, rows, |win, out| {
                        draw_aa(&seg, &style, win, |x, y, v, p| out.push((x, y, key(v, p))))
                    });
                    assert_eq!(got, full, "{seg:?} tiles {tw}x{th}");
                }
            }
        }
    }
}

#[test]
fn a_window_of_a_huge_segment_costs_its_pixels() {
    let n = 1_000_000u32;
    let seg = LineSegment { x0: 0, y0: n - 1, x1: n - 1, y1: 300_000, flags: PLOT_START };
    // A 64x64 window on the line, about 600k pixels from its start.
    let (x0, r0) = (600_000u32, 0u32);
    let mut row = 0u32;
    draw(&seg, PixelWindow { x0, x1: x0 + 1, y0: 0, y1: n }, |_, r, _| row = r);
    // The line rises 0.7 rows per column: about 45 rows over the window's 64 columns.
    let window = PixelWindow { x0: x0 - 10, x1: x0 + 54, y0: row - 50, y1: row + 14 };
    let before = steps();
    let mut plotted = 0;
    draw(&seg, window, |_, _, _| plotted += 1);
    let cost = steps() - before;
    assert_eq!(plotted, 64);
    assert!(cost <= 130, "{cost} steps");
    // A window the line misses costs nothing.
    let before = steps();
    draw(&seg, PixelWindow { x0: 0, x1: 64, y0: r0, y1: r0 + 64 }, |_, _, _| panic!("plotted"));
    assert_eq!(steps() - before, 0);
}

#[test]
fn a_window_of_a_huge_anti_aliased_segment_costs_its_pixels() {
    let n = 1_000_000u32;
    let style = AaStyle { line_width: 2.0, overwrite: false, width: n, height: n };
    let seg =
        AaSegment { x0: 0.0, y0: 0.0, x1: 999_999.0, y1: 700_000.3, xm: 0.0, ym: 0.0, flags: 3, pad: 0 };
    // Image row of the line at column 600_000.
    let row = n - 1 - (600_000.0 * 700_000.3 / 999_999.0f64).round() as u32;
    let window = PixelWindow { x0: 600_000, x1: 600_064, y0: row - 32, y1: row + 32 };
    let before = steps();
    let mut plotted = 0;
    draw_aa(&seg, &style, window, |_, _, _, _| plotted += 1);
    let cost = steps() - before;
    assert!(plotted >= 64 * 2, "{plotted} plotted");
    assert!(cost <= 64 * 6, "{cost} steps");
}

#[test]
fn polylines_in_chunks_match_one_pass_and_series_never_join() {
    let (x, y) = (axis((0.0, 10.0), 40), axis((0.0, 10.0), 30));
    let xs = [1.0, 9.0, 2.0, f64::NAN, 3.0, 8.0, 8.0, 1.0];
    let ys = [1.0, 2.0, 9.0, 4.0, 3.0, 8.0, 1.0, 5.0];
    let mut whole_line = Vec::new();
    segments_of_polyline(&xs, &ys, &x, &y, false, |_, s| whole_line.push(s));
    // Chunks overlapping by one vertex.
    let mut chunked = Vec::new();
    segments_of_polyline(&xs[..3], &ys[..3], &x, &y, false, |_, s| chunked.push(s));
    segments_of_polyline(&xs[2..6], &ys[2..6], &x, &y, true, |_, s| chunked.push(s));
    segments_of_polyline(&xs[5..], &ys[5..], &x, &y, true, |_, s| chunked.push(s));
    assert_eq!(chunked, whole_line);
    // The same through Polyline.
    let mut via = Vec::new();
    let mut line = Polyline::new();
    for (cx, cy) in xs.chunks(3).zip(ys.chunks(3)) {
        line.push(cx, cy, |raw| via.extend(line_segment(&raw, &x, &y)));
    }
    line.finish(|raw| via.extend(line_segment(&raw, &x, &y)));
    assert_eq!(via, whole_line);
    // Two series: the second starts its own run, so its first pixel is plotted.
    let mut two = Vec::new();
    line.push(&[1.0, 2.0], &[1.0, 1.0], |raw| two.extend(line_segment(&raw, &x, &y)));
    line.finish(|raw| two.extend(line_segment(&raw, &x, &y)));
    line.push(&[2.0, 3.0], &[1.0, 1.0], |raw| two.extend(line_segment(&raw, &x, &y)));
    line.finish(|raw| two.extend(line_segment(&raw, &x, &y)));
    assert_eq!(two.len(), 2);
    assert!(two.iter().all(|s| s.flags == PLOT_START));
}

#[test]
fn records_are_compact() {
    assert_eq!(std::mem::size_of::<LineSegment>(), 20);
    assert_eq!(std::mem::size_of::<AaSegment>(), 56);
}
