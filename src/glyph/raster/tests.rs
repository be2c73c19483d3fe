//! Tests of raster resampling: the geometry, every aggregate and upsampling, NaN cells,
//! band splits, and the memory a big raster takes.

use super::*;
use crate::canvas::Scale;
use crate::data::npy::encode_header;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `values` (rows x cols) as a `.npy` of `dtype` and returns its path.
fn write_grid(dir: &Path, name: &str, dtype: DType, rows: usize, cols: usize, values: &[f64]) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&encode_header(dtype, &[rows, cols])).unwrap();
    let bytes: Vec<u8> = match dtype {
        DType::F64 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        DType::U8 => values.iter().map(|&v| v as u8).collect(),
        DType::I16 => values.iter().flat_map(|&v| (v as i16).to_le_bytes()).collect(),
        _ => unreachable!(),
    };
    f.write_all(&bytes).unwrap();
    path
}

fn axis(name: crate::error::Field, lo: f64, hi: f64, n: u32) -> Axis {
    Axis::new(name, (lo, hi), n, Scale::Linear).unwrap()
}

/// A deterministic pseudo-random raster with about `nan_percent` NaN cells and few
/// distinct values (so modes have real ties and runs).
fn raster(rows: usize, cols: usize, seed: u64, nan_percent: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..rows * cols)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let r = state >> 33;
            if r % 100 < nan_percent {
                f64::NAN
            } else {
                ((r >> 8) % 7) as f64 * 1.25 - 3.0
            }
        })
        .collect()
}

// ---- The brute-force reference, written plainly from the module doc. ----

/// One axis's plain tap: cells to aggregate, or (cell, weight) pairs to interpolate.
enum Plain {
    Agg(Vec<usize>),
    Interp(Vec<(usize, f64)>),
}

#[allow(clippy::too_many_arguments)]
/// The plain tap of canvas bin `bin` on `axis` for `n` cells with centres `centre(k)`
/// covering `[lo, hi]`; `pos(p)` is the continuous cell coordinate of data point p.
fn plain_tap(
    axis: &Axis,
    bin: u32,
    n: usize,
    cell: f64,
    centre: &dyn Fn(usize) -> f64,
    pos: &dyn Fn(f64) -> f64,
    extent: (f64, f64),
    up: Upsample,
) -> Plain {
    let (lo, hi) = axis.range();
    let pixel = (hi - lo) / f64::from(axis.pixels());
    if pixel > cell {
        return Plain::Agg((0..n).filter(|&k| axis.bin(centre(k)) == Some(bin)).collect());
    }
    let p = axis.bin_center(bin);
    if p < extent.0 || p > extent.1 {
        return Plain::Agg(vec![]);
    }
    let last = (n - 1) as f64;
    match up {
        Upsample::Nearest => Plain::Agg(vec![pos(p).floor().max(0.0).min(last) as usize]),
        Upsample::Linear => {
            let u = (pos(p) - 0.5).max(0.0).min(last);
            let a = u.floor() as usize;
            if a as f64 == last {
                Plain::Interp(vec![(a, 1.0)])
            } else {
                Plain::Interp(vec![(a, 1.0 - (u - a as f64)), (a + 1, u - a as f64)])
            }
        }
    }
}

/// `sum w v` over the points when all of positive weight are non-NaN and differ, else
/// the weighted mean over the non-NaN points of positive weight (NaN if none).
fn plain_interp(points: &[(usize, f64)], value: &dyn Fn(usize) -> f64) -> f64 {
    let live: Vec<(f64, f64)> =
        points.iter().filter(|&&(k, w)| w > 0.0 && !value(k).is_nan()).map(|&(k, w)| (w, value(k))).collect();
    match live[..] {
        [] => f64::NAN,
        [(_, v)] => v,
        [(_, a), (_, b)] if a == b => a,
        _ => live.iter().map(|(w, v)| w * v).sum(),
    }
}

fn plain_aggregate(how: Downsample, values: &[f64]) -> f64 {
    let v: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    match how {
        Downsample::Mean => v.iter().sum::<f64>() / v.len() as f64,
        Downsample::Min => v.iter().copied().fold(f64::INFINITY, f64::min),
        Downsample::Max => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Downsample::First => v[0],
        Downsample::Last => v[v.len() - 1],
        Downsample::Mode => {
            let mut best = (0, f64::NAN);
            for &a in &v {
                let count = v.iter().filter(|&&b| b == a).count();
                if count > best.0 || (count == best.0 && a < best.1) {
                    best = (count, a);
                }
            }
            best.1
        }
    }
}

/// The whole canvas (image order) computed pixel by pixel from `values`.
fn reference(
    values: &[f64],
    (rows, cols): (usize, usize),
    place: &RasterPlacement,
    x: &Axis,
    y: &Axis,
    how: (Downsample, Upsample),
) -> Vec<f64> {
    let (x0, x1, y0, y1) = place.extent;
    let (cw, ch) = ((x1 - x0) / cols as f64, (y1 - y0) / rows as f64);
    let cx = |j: usize| x0 + (j as f64 + 0.5) * cw;
    let cy = |i: usize| match place.origin {
        Origin::Upper => y1 - (i as f64 + 0.5) * ch,
        Origin::Lower => y0 + (i as f64 + 0.5) * ch,
    };
    let px = |p: f64| (p - x0) / cw;
    let py = |p: f64| match place.origin {
        Origin::Upper => (y1 - p) / ch,
        Origin::Lower => (p - y0) / ch,
    };
    let v = |i: usize, j: usize| values[i * cols + j];
    let (w, h) = (x.pixels(), y.pixels());
    let mut out = Vec::new();
    for r in 0..h {
        let ty = plain_tap(y, h - 1 - r, rows, ch, &cy, &py, (y0, y1), how.1);
        for c in 0..w {
            let tx = plain_tap(x, c, cols, cw, &cx, &px, (x0, x1), how.1);
            let value = match (&ty, &tx) {
                (Plain::Agg(is), Plain::Agg(js)) => {
                    let cells: Vec<f64> = is.iter().flat_map(|&i| js.iter().map(move |&j| v(i, j))).collect();
                    plain_aggregate(how.0, &cells)
                }
                (Plain::Agg(is), Plain::Interp(pj)) => {
                    let cells: Vec<f64> = is.iter().map(|&i| plain_interp(pj, &|j| v(i, j))).collect();
                    plain_aggregate(how.0, &cells)
                }
                (Plain::Interp(pi), Plain::Agg(js)) => {
                    let cells: Vec<f64> = js.iter().map(|&j| plain_interp(pi, &|i| v(i, j))).collect();
                    plain_aggregate(how.0, &cells)
                }
                (Plain::Interp(pi), Plain::Interp(pj)) => {
                    plain_interp(pj, &|j| plain_interp(pi, &|i| v(i, j)))
                }
            };
            out.push(value);
        }
    }
    out
}

const DOWNS: [Downsample; 6] = [
    Downsample::Mean,
    Downsample::Min,
    Downsample::Max,
    Downsample::First,
    Downsample::Last,
    Downsample::Mode,
];

/// Asserts `got == want`: bit for bit, or within 1e-12 relative when mean or linear
/// produce computed values.
fn assert_close(got: &[f64], want: &[f64], how: (Downsample, Upsample), label: &str) {
    assert_eq!(got.len(), want.len());
    let exact = how.0 != Downsample::Mean && how.1 == Upsample::Nearest;
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = if g.is_nan() || w.is_nan() || exact {
            g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan())
        } else {
            (g - w).abs() <= 1e-12 * w.abs().max(1.0)
        };
        assert!(ok, "{label} {how:?}: pixel {k}: got {g}, want {w}");
    }
}

/// Geometries: (raster rows, cols, extent, x range, width, y range, height).
type Case = (usize, usize, (f64, f64, f64, f64), (f64, f64), u32, (f64, f64), u32);
const CASES: [Case; 7] = [
    // Down in both, non-integer ratios, extent partly off the canvas.
    (37, 53, (-1.0, 4.3, -2.0, 1.7), (0.0, 5.0), 11, (-1.0, 2.0), 7),
    // Up in both, canvas beyond the raster on every side.
    (5, 7, (0.0, 7.0, 0.0, 5.0), (-1.5, 8.25), 29, (-0.7, 5.9), 23),
    // Down in x, up in y; and the reverse.
    (6, 90, (0.0, 9.0, 0.0, 3.0), (0.5, 8.7), 13, (0.0, 3.0), 17),
    (80, 6, (0.0, 3.0, 0.0, 8.0), (-0.2, 3.0), 19, (1.0, 7.9), 9),
    // Exactly one cell per pixel, aligned and shifted by half a cell.
    (8, 10, (0.0, 10.0, 0.0, 8.0), (0.0, 10.0), 10, (0.0, 8.0), 8),
    (8, 10, (0.0, 10.0, 0.0, 8.0), (0.5, 10.5), 10, (-0.5, 7.5), 8),
    // The canvas entirely inside one cell region; and entirely off the raster.
    (3, 3, (0.0, 3.0, 0.0, 3.0), (1.1, 1.9), 5, (0.2, 2.8), 4),
];

#[test]
fn matches_the_brute_force_reference() {
    let dir = tempfile::tempdir().unwrap();
    for (n, &(rows, cols, extent, xr, w, yr, h)) in CASES.iter().enumerate() {
        let values = raster(rows, cols, n as u64, 15);
        let path = write_grid(dir.path(), &format!("c{n}.npy"), DType::F64, rows, cols, &values);
        let grid = Grid::open(&path).unwrap();
        let (x, y) = (
            axis(crate::error::Field::XRange, xr.0, xr.1, w),
            axis(crate::error::Field::YRange, yr.0, yr.1, h),
        );
        for origin in [Origin::Upper, Origin::Lower] {
            let place = RasterPlacement { extent, origin };
            for down in DOWNS {
                for up in [Upsample::Nearest, Upsample::Linear] {
                    let how = (down, up);
                    let want = reference(&values, (rows, cols), &place, &x, &y, how);
                    let mut got = vec![0.0; want.len()];
                    resample_band(&grid, &place, &x, &y, 0..h, how, &mut got).unwrap();
                    assert_close(&got, &want, how, &format!("case {n} {origin:?}"));
                    assert!(got.iter().any(|v| !v.is_nan()), "case {n} is all NaN");
                }
            }
        }
    }
}

#[test]
fn off_raster_canvas_is_all_nan() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_grid(dir.path(), "o.npy", DType::F64, 4, 4, &[1.0; 16]);
    let grid = Grid::open(&path).unwrap();
    let place = RasterPlacement { extent: (0.0, 4.0, 0.0, 4.0), origin: Origin::Upper };
    for (xr, w) in [((5.0, 9.0), 3), ((5.0, 9.0), 30)] {
        let x = axis(crate::error::Field::XRange, xr.0, xr.1, w);
        let mut out = vec![0.0; (w * 2) as usize];
        let how = (Downsample::Mean, Upsample::Linear);
        resample_band(
            &grid,
            &place,
            &x,
            &axis(crate::error::Field::YRange, 0.0, 4.0, 2),
            0..2,
            how,
            &mut out,
        )
        .unwrap();
        assert!(out.iter().all(|v| v.is_nan()));
    }
}

#[test]
fn small_cases_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    // Rows (top first): [1 2 3 4] / [5 NaN 7 8].
    let values = [1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN, 7.0, 8.0];
    let path = write_grid(dir.path(), "h.npy", DType::F64, 2, 4, &values);
    let grid = Grid::open(&path).unwrap();
    let place = RasterPlacement { extent: (0.0, 4.0, 0.0, 2.0), origin: Origin::Upper };
    let (x, y) =
        (axis(crate::error::Field::XRange, 0.0, 4.0, 2), axis(crate::error::Field::YRange, 0.0, 2.0, 1));
    let run = |how, y: &Axis, x: &Axis, place: &RasterPlacement| {
        let mut out = vec![0.0; (x.pixels() * y.pixels()) as usize];
        resample_band(&grid, place, x, y, 0..y.pixels(), how, &mut out).unwrap();
        out
    };
    let up = Upsample::Nearest;
    assert_eq!(run((Downsample::Mean, up), &y, &x, &place), [8.0 / 3.0, 22.0 / 4.0]);
    assert_eq!(run((Downsample::Min, up), &y, &x, &place), [1.0, 3.0]);
    assert_eq!(run((Downsample::Max, up), &y, &x, &place), [5.0, 8.0]);
    assert_eq!(run((Downsample::First, up), &y, &x, &place), [1.0, 3.0]);
    assert_eq!(run((Downsample::Last, up), &y, &x, &place), [5.0, 8.0]);
    // Origin lower puts row 0 at the bottom; first is still row 0 (memory order).
    let lower = RasterPlacement { origin: Origin::Lower, ..place };
    let y2 = axis(crate::error::Field::YRange, 0.0, 2.0, 2);
    let x4 = axis(crate::error::Field::XRange, 0.0, 4.0, 4);
    let flipped = run((Downsample::First, up), &y2, &x4, &lower);
    let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&flipped[..4]), bits(&[5.0, f64::NAN, 7.0, 8.0]));
    assert_eq!(flipped[4..], [1.0, 2.0, 3.0, 4.0]);
    // Linear, upsampled 2x in x on the top row: centres at 0.5, 1.5, ...
    let x8 = axis(crate::error::Field::XRange, 0.0, 4.0, 8);
    let top = run((Downsample::Mean, Upsample::Linear), &y2, &x8, &place);
    assert_eq!(top[..8], [1.0, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4.0]);
    // Bottom row: the NaN neighbour is ignored, its own pixels are NaN only at weight 1.
    assert_eq!(top[8..10], [5.0, 5.0]);
    assert_eq!(top[10..14], [5.0, 7.0, 7.0, 7.25]);
}

#[test]
fn modes_count_values_and_break_ties_low() {
    assert_eq!(mode_of(&mut vec![3.0, 1.0, 3.0, f64::NAN, 1.0, 2.0]), 1.0);
    assert_eq!(mode_of(&mut vec![3.0, 2.0, 3.0, f64::NAN, f64::NAN]), 3.0);
    assert!(mode_of(&mut vec![f64::NAN]).is_nan());
    assert!(mode_of(&mut vec![]).is_nan());
}

#[test]
fn integer_rasters_keep_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<f64> = (0..60).map(|k| f64::from((k * 37 % 11) as u8)).collect();
    let path = write_grid(dir.path(), "u.npy", DType::U8, 6, 10, &values);
    let grid = Grid::open(&path).unwrap();
    assert_eq!(grid.dtype(), DType::U8);
    let place = RasterPlacement { extent: (0.0, 10.0, 0.0, 6.0), origin: Origin::Upper };
    let (x, y) =
        (axis(crate::error::Field::XRange, 0.0, 10.0, 3), axis(crate::error::Field::YRange, 0.0, 6.0, 4));
    for down in DOWNS {
        let how = (down, Upsample::Nearest);
        let want = reference(&values, (6, 10), &place, &x, &y, how);
        let mut got = vec![0.0; 12];
        resample_band(&grid, &place, &x, &y, 0..4, how, &mut got).unwrap();
        assert_close(&got, &want, how, "u8");
    }
}

#[test]
fn any_split_into_bands_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    for (n, &(rows, cols, extent, xr, w, yr, h)) in CASES.iter().enumerate() {
        let values = raster(rows, cols, 100 + n as u64, 10);
        let path = write_grid(dir.path(), &format!("b{n}.npy"), DType::F64, rows, cols, &values);
        let grid = Grid::open(&path).unwrap();
        let (x, y) = (
            axis(crate::error::Field::XRange, xr.0, xr.1, w),
            axis(crate::error::Field::YRange, yr.0, yr.1, h),
        );
        for origin in [Origin::Upper, Origin::Lower] {
            let place = RasterPlacement { extent, origin };
            for how in [(Downsample::Mean, Upsample::Linear), (Downsample::Mode, Upsample::Nearest)] {
                let r = Resampler::new(&grid, &place, &x, &y, how).unwrap();
                let mut whole = vec![0.0; (w * h) as usize];
                r.band(0..h, &mut whole).unwrap();
                for band in 1..=h {
                    let mut pieces = Vec::new();
                    for start in (0..h).step_by(band as usize) {
                        let rows = start..(start + band).min(h);
                        let mut out = vec![0.0; rows.len() * w as usize];
                        r.band(rows, &mut out).unwrap();
                        pieces.extend(out);
                    }
                    let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&pieces), bits(&whole), "case {n} band {band}");
                }
            }
        }
    }
}

/// Several canvases resampled in one read of the raster (`resample_in_one_read`) are each
/// exactly the canvas resampled alone, bit for bit: every geometry, origin, downsampling
/// (but mode) and upsampling, with canvases coarser, finer, of one pixel and on log axes
/// read together.
/// A pixel's mean is its cells summed in raster memory order (rows ascending, then
/// columns), bit for bit, however many pixels share a raster row (several pixels' cells are
/// taken together, a k-th cell of each in turn): values of very different magnitudes, so
/// any other order gives other bits; canvases of 1 to 13 pixels across, uneven cells per
/// pixel; the band render and one read alike.
#[test]
fn means_sum_each_pixels_cells_in_memory_order() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, cols) = (23, 97);
    let values: Vec<f64> = raster(rows, cols, 5, 8)
        .iter()
        .enumerate()
        .map(|(k, v)| v * [1.0, 1e9, 3e-7, 7e15, 0.1][k % 5] + 0.3)
        .collect();
    let path = write_grid(dir.path(), "order.npy", DType::F64, rows, cols, &values);
    let grid = Grid::open(&path).unwrap();
    let extent = (0.0, cols as f64, 0.0, rows as f64);
    let how = (Downsample::Mean, Upsample::Nearest);
    for origin in [Origin::Upper, Origin::Lower] {
        let place = RasterPlacement { extent, origin };
        let cy = |i: usize| match origin {
            Origin::Upper => rows as f64 - (i as f64 + 0.5),
            Origin::Lower => i as f64 + 0.5,
        };
        let canvases: Vec<(Axis, Axis)> = [1, 2, 3, 4, 5, 7, 8, 9, 13]
            .into_iter()
            .map(|w| {
                let x = axis(crate::error::Field::XRange, 0.0, cols as f64, w);
                (x, axis(crate::error::Field::YRange, 0.0, rows as f64, 3))
            })
            .collect();
        let resamplers: Vec<Resampler> =
            canvases.iter().map(|(x, y)| Resampler::new(&grid, &place, x, y, how).unwrap()).collect();
        let together = resample_in_one_read(&resamplers, &crate::progress::NoProgress).unwrap();
        for (((x, y), r), streamed) in canvases.iter().zip(&resamplers).zip(&together) {
            let (w, h) = (x.pixels(), y.pixels());
            let mut want = Vec::new();
            for r in 0..h {
                let is: Vec<usize> = (0..rows).filter(|&i| y.bin(cy(i)) == Some(h - 1 - r)).collect();
                for c in 0..w {
                    let (mut sum, mut count) = (0.0f64, 0u64);
                    for &i in &is {
                        for j in (0..cols).filter(|&j| x.bin(j as f64 + 0.5) == Some(c)) {
                            let v = values[i * cols + j];
                            if !v.is_nan() {
                                sum += v;
                                count += 1;
                            }
                        }
                    }
                    want.push(if count == 0 { f64::NAN } else { sum / count as f64 });
                }
            }
            let mut alone = vec![0.0; want.len()];
            r.band(0..h, &mut alone).unwrap();
            let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&alone), bits(&want), "{w} pixels across, {origin:?}");
            assert_eq!(bits(streamed), bits(&want), "{w} pixels across, {origin:?}, one read");
        }
    }
}

#[test]
fn one_read_gives_every_canvas_its_own_resample() {
    let dir = tempfile::tempdir().unwrap();
    for (n, &(rows, cols, extent, xr, w, yr, h)) in CASES.iter().enumerate() {
        let values = raster(rows, cols, 200 + n as u64, 10);
        let path = write_grid(dir.path(), &format!("s{n}.npy"), DType::F64, rows, cols, &values);
        let grid = Grid::open(&path).unwrap();
        let log = |(lo, hi): (f64, f64), n| {
            let (lo, hi) = (lo.max(0.01), hi.max(0.02));
            Axis::new(crate::error::Field::XRange, (lo, hi), n, Scale::Log).unwrap()
        };
        let canvases = [
            (
                axis(crate::error::Field::XRange, xr.0, xr.1, w),
                axis(crate::error::Field::YRange, yr.0, yr.1, h),
            ),
            (
                axis(crate::error::Field::XRange, xr.0, xr.1, w.div_ceil(2)),
                axis(crate::error::Field::YRange, yr.0, yr.1, h.div_ceil(2)),
            ),
            (
                axis(crate::error::Field::XRange, xr.0, xr.1, 3 * w),
                axis(crate::error::Field::YRange, yr.0, yr.1, 2 * h + 1),
            ),
            (
                axis(crate::error::Field::XRange, xr.0, xr.1, 1),
                axis(crate::error::Field::YRange, yr.0, yr.1, 1),
            ),
            (log(xr, w + 3), log(yr, 2 * h)),
        ];
        for origin in [Origin::Upper, Origin::Lower] {
            let place = RasterPlacement { extent, origin };
            for down in DOWNS.into_iter().filter(|&d| d != Downsample::Mode) {
                for up in [Upsample::Nearest, Upsample::Linear] {
                    let how = (down, up);
                    let resamplers: Vec<Resampler> = canvases
                        .iter()
                        .map(|(x, y)| Resampler::new(&grid, &place, x, y, how).unwrap())
                        .collect();
                    let together = resample_in_one_read(&resamplers, &crate::progress::NoProgress).unwrap();
                    for (k, (r, got)) in resamplers.iter().zip(&together).enumerate() {
                        let mut alone = vec![0.0; r.width() * r.y.pixels() as usize];
                        r.band(0..r.y.pixels(), &mut alone).unwrap();
                        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                        assert_eq!(bits(got), bits(&alone), "case {n} canvas {k} {origin:?} {how:?}");
                    }
                }
            }
        }
        // Mode is not streamed: refused, not approximated.
        let (x, y) = &canvases[0];
        let mode = Resampler::new(
            &grid,
            &RasterPlacement { extent, origin: Origin::Upper },
            x,
            y,
            (Downsample::Mode, Upsample::Linear),
        )
        .unwrap();
        assert!(resample_in_one_read(&[mode], &crate::progress::NoProgress).is_err());
    }
}

#[test]
fn parses_methods_and_extents() {
    assert_eq!("upper".parse(), Ok(Origin::Upper));
    assert_eq!("lower".parse(), Ok(Origin::Lower));
    assert!("top".parse::<Origin>().unwrap_err().contains("upper or lower"));
    let names = ["mean", "min", "max", "first", "last", "mode"];
    for (name, how) in names.iter().zip(DOWNS) {
        assert_eq!(name.parse(), Ok(how));
    }
    assert!("sum".parse::<Downsample>().is_err());
    assert_eq!("nearest".parse(), Ok(Upsample::Nearest));
    assert_eq!("linear".parse(), Ok(Upsample::Linear));
    assert!("cubic".parse::<Upsample>().is_err());
    assert_eq!(parse_extent("0, 360,-90,90"), Ok((0.0, 360.0, -90.0, 90.0)));
    for bad in ["0,1,2", "0,1,2,3,4", "1,0,0,1", "0,1,1,1", "0,inf,0,1", "a,b,c,d", "0,1,nan,1"] {
        assert!(parse_extent(bad).is_err(), "{bad}");
    }
    assert_eq!(output_dtype((Downsample::Mean, Upsample::Nearest), DType::U8), DType::F64);
    assert_eq!(output_dtype((Downsample::Mode, Upsample::Linear), DType::U8), DType::F64);
    assert_eq!(output_dtype((Downsample::Mode, Upsample::Nearest), DType::U8), DType::U8);
    assert_eq!(output_dtype((Downsample::Max, Upsample::Nearest), DType::I16), DType::I16);
}

#[test]
fn bad_extents_and_bands_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_grid(dir.path(), "e.npy", DType::F64, 2, 2, &[0.0; 4]);
    let grid = Grid::open(&path).unwrap();
    let (x, y) =
        (axis(crate::error::Field::XRange, 0.0, 1.0, 4), axis(crate::error::Field::YRange, 0.0, 1.0, 4));
    let how = (Downsample::Mean, Upsample::Linear);
    let bad = RasterPlacement { extent: (1.0, 0.0, 0.0, 1.0), origin: Origin::Upper };
    let err = Resampler::new(&grid, &bad, &x, &y, how).unwrap_err().to_string();
    assert!(err.starts_with("extent: "), "{err}");
    let nan = RasterPlacement { extent: (0.0, 1.0, f64::NAN, 1.0), ..bad };
    assert!(Resampler::new(&grid, &nan, &x, &y, how).is_err());
    let r = Resampler::new(&grid, &RasterPlacement::unit_cells(&grid), &x, &y, how).unwrap();
    assert!(r.band(0..2, &mut [0.0; 7]).is_err());
    assert!(r.band(3..5, &mut [0.0; 8]).is_err());
    assert!(r.band(2..2, &mut []).is_ok());
}

/// Peak memory of band-by-band resampling of a 4000 x 8000 uint8 raster (32 MB mapped).
#[cfg(target_os = "linux")]
mod memory_tests {
    use super::super::*;
    use crate::canvas::Scale;
    use crate::data::npy::encode_header;
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    const ROWS: usize = 4000;
    const COLS: usize = 8000;

    /// A 4000 x 8000 uint8 raster with a smooth pattern, written to `dir`.
    fn big_raster(dir: &std::path::Path) -> Grid {
        let path = dir.join("big.npy");
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(&encode_header(DType::U8, &[ROWS, COLS])).unwrap();
        let mut row = vec![0u8; COLS];
        for i in 0..ROWS {
            for (j, v) in row.iter_mut().enumerate() {
                *v = ((i / 3 + j / 5) % 251) as u8;
            }
            f.write_all(&row).unwrap();
        }
        drop(f);
        Grid::open(&path).unwrap()
    }

    /// Resamples the canvas band by band (16 rows) while another thread samples the
    /// mapping's resident KiB; returns the peak and a checksum of the output.
    fn run(grid: &Grid, x: Axis, y: Axis, how: (Downsample, Upsample)) -> (u64, f64) {
        let place = RasterPlacement::unit_cells(grid);
        let r = Resampler::new(grid, &place, &x, &y, how).unwrap();
        let (done, peak) = (AtomicBool::new(false), AtomicU64::new(0));
        let mut sum = 0.0;
        std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    peak.fetch_max(grid.resident_kib(), Ordering::Relaxed);
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            });
            let (w, h) = (x.pixels() as usize, y.pixels());
            let mut out = vec![0.0; 16 * w];
            for start in (0..h).step_by(16) {
                let rows = start..(start + 16).min(h);
                let out = &mut out[..rows.len() * w];
                r.band(rows, out).unwrap();
                sum += out.iter().filter(|v| !v.is_nan()).sum::<f64>();
                // The kernel maps up to 64 KiB around each fault (fault-around): pages of rows
                // the next band reads may already be mapped, a bounded amount.
                assert!(grid.resident_kib() <= 1024, "{} KiB left mapped", grid.resident_kib());
            }
            done.store(true, Ordering::Relaxed);
        });
        (peak.into_inner(), sum)
    }

    /// At most a few raster rows per worker are ever mapped: far below the 32 MB raster.
    fn check(x: Axis, y: Axis, how: (Downsample, Upsample)) {
        let dir = tempfile::tempdir().unwrap();
        let grid = big_raster(dir.path());
        let clock = std::time::Instant::now();
        let (peak_kib, sum) = run(&grid, x, y, how);
        let seconds = clock.elapsed().as_secs_f64();
        let pixels = f64::from(x.pixels()) * f64::from(y.pixels());
        eprintln!(
            "{how:?} {}x{}: {seconds:.2} s, {:.0} Mpixel/s, {:.0} rows/s, peak mapped {peak_kib} KiB",
            x.pixels(),
            y.pixels(),
            pixels / seconds / 1e6,
            f64::from(y.pixels()) / seconds
        );
        assert!(sum > 0.0);
        // A few 64 KiB fault-around windows per task: well under 1 MiB of the 32 MB.
        assert!(peak_kib < 1024, "peak mapped {peak_kib} KiB");
    }

    #[test]
    fn downsampling_maps_a_few_rows_at_a_time() {
        let x = Axis::new(crate::error::Field::XRange, (0.0, COLS as f64), 2000, Scale::Linear).unwrap();
        let y = Axis::new(crate::error::Field::YRange, (0.0, ROWS as f64), 1000, Scale::Linear).unwrap();
        check(x, y, (Downsample::Mean, Upsample::Linear));
        check(x, y, (Downsample::Mode, Upsample::Linear));
    }

    /// A one-pixel canvas reads every raster row for its one pixel: the pages are released
    /// as it goes, not when the pixel is done.
    #[test]
    fn a_one_pixel_canvas_maps_a_few_rows_at_a_time() {
        let x = Axis::new(crate::error::Field::XRange, (0.0, COLS as f64), 1, Scale::Linear).unwrap();
        let y = Axis::new(crate::error::Field::YRange, (0.0, ROWS as f64), 1, Scale::Linear).unwrap();
        check(x, y, (Downsample::Mean, Upsample::Linear));
        check(x, y, (Downsample::Mode, Upsample::Linear));
    }

    /// Canvases resampled in one read map one batch of rows at a time, and give the values
    /// each canvas's own resample gives.
    #[test]
    fn one_read_maps_a_few_rows_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let grid = big_raster(dir.path());
        let place = RasterPlacement::unit_cells(&grid);
        let how = (Downsample::Mean, Upsample::Linear);
        let resamplers: Vec<Resampler> = [(1000, 500), (250, 125), (1, 1), (3, 2)]
            .iter()
            .map(|&(w, h)| {
                let x = Axis::new(crate::error::Field::XRange, (0.0, COLS as f64), w, Scale::Linear).unwrap();
                let y = Axis::new(crate::error::Field::YRange, (0.0, ROWS as f64), h, Scale::Linear).unwrap();
                Resampler::new(&grid, &place, &x, &y, how).unwrap()
            })
            .collect();
        let (done, peak) = (AtomicBool::new(false), AtomicU64::new(0));
        let together = std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    peak.fetch_max(grid.resident_kib(), Ordering::Relaxed);
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            });
            let together = resample_in_one_read(&resamplers, &crate::progress::NoProgress).unwrap();
            done.store(true, Ordering::Relaxed);
            together
        });
        // Each thread keeps up to 64 rows of 8000 bytes mapped, plus fault-around windows:
        // about 1 MiB with two threads, far below the 32 MB raster.
        let peak = peak.into_inner();
        assert!(peak < 2048, "peak mapped {peak} KiB");
        assert!(grid.resident_kib() <= 128, "{} KiB left mapped", grid.resident_kib());
        for (r, got) in resamplers.iter().zip(&together) {
            let mut alone = vec![0.0; got.len()];
            r.band(0..r.y.pixels(), &mut alone).unwrap();
            assert!(alone.iter().zip(got).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn upsampling_part_of_the_raster_maps_a_few_rows_at_a_time() {
        let x = Axis::new(crate::error::Field::XRange, (1000.0, 3000.0), 2500, Scale::Linear).unwrap();
        let y = Axis::new(crate::error::Field::YRange, (2000.0, 3000.0), 1250, Scale::Linear).unwrap();
        check(x, y, (Downsample::Mean, Upsample::Linear));
    }

    #[test]
    #[ignore = "slow in debug: 50 million pixels; run with --release --ignored"]
    fn upsampling_to_a_canvas_of_50_megapixels() {
        let x = Axis::new(crate::error::Field::XRange, (0.0, COLS as f64), 10_000, Scale::Linear).unwrap();
        let y = Axis::new(crate::error::Field::YRange, (0.0, ROWS as f64), 5_000, Scale::Linear).unwrap();
        check(x, y, (Downsample::Mean, Upsample::Linear));
        check(x, y, (Downsample::Mean, Upsample::Nearest));
    }
}
