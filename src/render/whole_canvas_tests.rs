//! Whole renders against brute force: the aggregate of every line reduction (width 0 and
//! anti-aliased, count to std and count-cat) equals drawing every segment of a polyline on
//! the whole canvas at once with Datashader's append rules written out here, and a raster
//! equals one whole-canvas resampling, for several tile sizes, thread counts and band
//! splits. (The command-line tests then check that the binary equals the library.)

use crate::canvas::{parse_size, Axis, Scale};
use crate::data::npy::encode_header;
use crate::data::{DType, MemoryColumn, PointColumns};
use crate::error::Field;
use crate::glyph::lines::{aa_segment, draw, draw_aa, line_segment, AaStyle, PixelWindow, Polyline};
use crate::glyph::raster::{resample_band, Downsample, Origin, RasterPlacement, Upsample};
use crate::progress::NoProgress;
use crate::reduce::antialiased::add_coverage;
use crate::reduce::Reduction;
use crate::render::{render, render_raster, Glyph, RasterInput, RenderOptions};
use crate::sink::{AggregateArraySink, Sink};
use crate::test_data::load_npy;

const W: u32 = 300;
const H: u32 = 200;

/// Tile, threads and memory budget of every render compared: one tile and one band, then
/// bands of 48 to 160 rows (24- to 8-byte cells) with 16-pixel tiles, then of 42 to 140
/// rows with 7-pixel tiles: two bands at least for every reduction.
const SETUPS: [(u32, usize, &str); 3] = [(1000, 1, "1GiB"), (16, 2, "84663680"), (7, 2, "84586080")];

/// A random walk with NaN breaks, jumps across the canvas and excursions out of it, its
/// values (NaN every 13th vertex, negatives, repeats) and categories (0 to 3): the fixture
/// `tests/data/random_walk/` (`tools/gen_random_walk.py`), which the command-line tests draw too.
fn inputs() -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<i32>) {
    let f64s = |name: &str| load_npy::<f64>(&format!("random_walk/{name}.npy"), DType::F64);
    (f64s("x"), f64s("y"), f64s("v"), load_npy("random_walk/c.npy", DType::I32))
}

/// The category of the segment starting at vertex `i`.
fn category(i: usize) -> usize {
    (i / 7) % 4
}

/// Every pixel each segment plots over the whole canvas, in drawing order, with the index
/// of the segment's start vertex: width 0 (Bresenham), or anti-aliased as (pixel, aa, prev).
fn whole_canvas(xs: &[f64], ys: &[f64], line_width: f64, overwrite: bool) -> Vec<(usize, usize, f64, f64)> {
    let x = Axis::new(Field::XRange, (0.0, 10.0), W, Scale::Linear).unwrap();
    let y = Axis::new(Field::YRange, (0.0, 10.0), H, Scale::Linear).unwrap();
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

/// The aggregate bytes and band count of rendering `inputs()` as lines with `reduction`
/// (its value or category column) and `line_width` in `setup`.
fn aggregate(
    reduction: &str,
    line_width: f64,
    (tile, threads, memory): (u32, usize, &str),
) -> (Vec<u8>, u32) {
    let (xs, ys, vs, cats) = inputs();
    let points = PointColumns::from_sources(
        Box::new(MemoryColumn::new("x", xs)),
        Box::new(MemoryColumn::new("y", ys)),
    )
    .unwrap();
    let points = match reduction {
        "count" | "any" => points,
        "count-cat" => points.with_value(Box::new(MemoryColumn::new("c", cats))).unwrap(),
        _ => points.with_value(Box::new(MemoryColumn::new("v", vs))).unwrap(),
    };
    let options = RenderOptions {
        width: W,
        height: H,
        x_range: Some((0.0, 10.0)),
        y_range: Some((0.0, 10.0)),
        glyph: Glyph::Lines,
        line_width,
        reduction: reduction.parse::<Reduction>().unwrap(),
        tile,
        threads: Some(threads),
        memory_budget: parse_size(memory).unwrap(),
        ..RenderOptions::default()
    };
    let (sink, array) = AggregateArraySink::new();
    let report = render(&points, &options, vec![Box::new(sink) as Box<dyn Sink>], &NoProgress).unwrap();
    (array.take().unwrap().into_bytes(), report.plan.bands)
}

/// Little-endian values of an aggregate.
fn values<T: bytemuck::Pod>(bytes: &[u8]) -> Vec<T> {
    bytes.chunks_exact(std::mem::size_of::<T>()).map(bytemuck::pod_read_unaligned).collect()
}

/// Asserts `got` and `want` are the same bits, and that enough pixels were drawn.
fn assert_bits_equal(got: &[f64], want: &[f64], what: &str) {
    let lit = want.iter().filter(|v| !v.is_nan()).count();
    assert!(lit > 5_000, "{what}: only {lit} pixels drawn");
    let differ = got.iter().zip(want).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
    assert_eq!(differ, 0, "{what}: {differ} pixels differ");
}

#[test]
fn width0_line_aggregates_equal_the_brute_force_drawing_for_every_setup() {
    let (xs, ys, vs, _) = inputs();
    let mut counts = vec![0u32; (W * H) as usize];
    for (_, p, _, _) in whole_canvas(&xs, &ys, 0.0, false) {
        counts[p] += 1;
    }
    for setup in SETUPS {
        let (agg, _) = aggregate("count", 0.0, setup);
        assert!(values::<u32>(&agg) == counts, "count {setup:?}: counts differ");
    }
    for reduction in ["sum", "mean", "var", "std", "min", "max", "first", "last"] {
        let want = brute_force(reduction, &xs, &ys, &vs);
        for setup in SETUPS {
            let (agg, bands) = aggregate(reduction, 0.0, setup);
            assert_bits_equal(&values(&agg), &want, &format!("{reduction} {setup:?}"));
            assert!(setup.1 == 1 || bands >= 2, "{reduction} {setup:?}: {bands} bands");
        }
    }
}

#[test]
fn anti_aliased_line_aggregates_equal_the_brute_force_drawing_for_every_setup() {
    let (xs, ys, vs, _) = inputs();
    // count: the float32 coverage with the join corrections, added in drawing order from NaN.
    for line_width in [1.5, 0.6] {
        let mut want = vec![f32::NAN; (W * H) as usize];
        for (_, p, aa, prev) in whole_canvas(&xs, &ys, line_width, false) {
            add_coverage(&mut want[p], aa - prev);
        }
        assert!(want.iter().any(|v| !v.is_nan() && v.fract() != 0.0), "no join corrections");
        for setup in SETUPS {
            let got: Vec<f32> = values(&aggregate("count", line_width, setup).0);
            let differ = got.iter().zip(&want).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
            assert_eq!(differ, 0, "count width {line_width} {setup:?}: {differ} pixels differ");
        }
    }
    // min and last along one line are max (Datashader's _min_or_max and _last of one line).
    for (reduction, like) in [("sum", "sum"), ("max", "max"), ("min", "max"), ("last", "max")] {
        let want = brute_force_aa(like, &xs, &ys, &vs, 1.5);
        for setup in SETUPS {
            let (agg, bands) = aggregate(reduction, 1.5, setup);
            assert_bits_equal(&values(&agg), &want, &format!("{reduction} width 1.5 {setup:?}"));
            assert!(setup.1 == 1 || bands >= 2, "{setup:?}: {bands} bands");
        }
    }
    // count-cat: plane k is the coverage of the segments starting at a vertex of category k.
    let mut want = vec![f32::NAN; (W * H) as usize * 4];
    for (i, p, aa, prev) in whole_canvas(&xs, &ys, 1.5, false) {
        add_coverage(&mut want[p * 4 + category(i)], aa - prev);
    }
    for setup in SETUPS {
        let got: Vec<f32> = values(&aggregate("count-cat", 1.5, setup).0);
        let differ = got.iter().zip(&want).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
        assert_eq!(differ, 0, "count-cat {setup:?}: {differ} values differ");
    }
}

#[test]
fn raster_renders_equal_one_whole_canvas_resampling_for_every_setup() {
    let (rows, cols) = (300, 400);
    let mut bytes = encode_header(DType::F64, &[rows, cols]);
    for r in 0..rows {
        for c in 0..cols {
            let v =
                if (r * 7 + c * 3) % 101 == 0 { f64::NAN } else { ((r as f64) * 0.05).sin() * (c as f64) };
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.npy");
    std::fs::write(&path, bytes).unwrap();
    let grid = crate::data::grid::Grid::open(&path).unwrap();
    let placement = RasterPlacement { extent: (-2.0, 6.0, 1.0, 7.0), origin: Origin::Upper };
    for (w, h, how) in [
        (150u32, 110u32, (Downsample::Max, Upsample::Nearest)),
        (900, 700, (Downsample::Mean, Upsample::Linear)),
    ] {
        let x = Axis::new(Field::XRange, (-2.0, 6.0), w, Scale::Linear).unwrap();
        let y = Axis::new(Field::YRange, (1.0, 7.0), h, Scale::Linear).unwrap();
        let mut want = vec![0f64; (w * h) as usize];
        resample_band(&grid, &placement, &x, &y, 0..h, how, &mut want).unwrap();
        let want: Vec<u64> = want.iter().map(|v| v.to_bits()).collect();
        for (tile, threads, memory) in [(1000, 1, "1GiB"), (64, 2, "81MiB"), (37, 4, "121MiB")] {
            let options = RenderOptions {
                width: w,
                height: h,
                tile,
                threads: Some(threads),
                memory_budget: parse_size(memory).unwrap(),
                ..RenderOptions::default()
            };
            let input = RasterInput { grid: &grid, placement, how };
            let (sink, array) = AggregateArraySink::new();
            render_raster(&input, &options, vec![Box::new(sink) as Box<dyn Sink>], &NoProgress).unwrap();
            let got: Vec<u64> = values(&array.take().unwrap().into_bytes());
            assert!(got == want, "{w}x{h} tile {tile}: aggregate differs");
        }
    }
}
