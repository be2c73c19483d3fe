#!/usr/bin/env python3
"""Writes tests/data/datashader/line_aggregates.json: Datashader's reference aggregates for
gigaplot's line glyph tests (src/glyph/lines/tests.rs, src/glyph/series.rs).

Run with the Datashader venv (see tools/gen_shade_reference.py), from the repository root:

    /tmp/dsvenv/bin/python tools/gen_line_reference.py tests/data/datashader

Each case draws one or more polylines with `Canvas.line` and records the input vertices,
the canvas, the line width, the reduction and the resulting aggregate. Aggregates are
written in gigaplot's image order (row 0 = top = y max), i.e. Datashader's rows flipped.
Empty pixels of float aggregates are NaN, as in Datashader; only the other pixels are
written. Values of float32 aggregates are written as the shortest text of the float32 (read
back as a double).
"""

import math
import sys

import datashader as ds
import numpy as np
import pandas as pd

import fixture_json

NAN = float("nan")
W, H = 37, 23


def random_walk(seed, n, xr, yr):
    rng = np.random.default_rng(seed)
    xs = rng.uniform(xr[0], xr[1], n)
    ys = rng.uniform(yr[0], yr[1], n)
    return list(xs), list(ys)


def cases():
    """(name, x_range, y_range, width, height, series [(xs, ys)], line_width, reduction)."""
    full = ((0.0, 37.0), (0.0, 23.0))
    odd = ((-1.3, 2.9), (10.0, 10.7))
    geo = []
    geo.append(("diagonal_crossing_edges", full, [([-3.0, 40.0], [-2.0, 25.0])]))
    geo.append(("steep_crossing_edges", full, [([5.5, 30.2], [-4.0, 27.0])]))
    geo.append(("leave_and_reenter", full, [(
        [1.5, 20.2, 45.0, 30.1, 18.0, -6.0, 3.3, 10.0],
        [1.5, 10.7, 12.0, 22.9, 30.0, 12.5, 2.2, -1.0])]))
    geo.append(("horizontal_vertical", full, [(
        [2.0, 33.0, 33.0, 2.0, 2.0], [3.5, 3.5, 20.5, 20.5, 3.5])]))
    geo.append(("on_the_max_bounds", full, [(
        [0.0, 37.0, 37.0, 0.0, 0.0], [0.0, 0.0, 23.0, 23.0, 0.0])]))
    geo.append(("reverse_directions", full, [(
        [30.0, 4.0, 29.0, 3.0, 20.0, 20.5, 35.0, 1.0],
        [2.0, 7.0, 19.0, 14.0, 1.0, 22.0, 21.5, 0.5])]))
    geo.append(("ties_both_ways", full, [(
        [1.5, 5.5, 1.5, 9.5, 1.5, 1.5, 5.5, 9.5, 13.5],
        [1.5, 3.5, 5.5, 7.5, 5.5, 13.5, 15.5, 11.5, 13.5])]))
    geo.append(("nan_breaks_and_points", full, [(
        [2.0, 10.0, NAN, 12.0, 20.0, 20.0, NAN, 25.0, NAN, 30.0, 30.0, 33.0, NAN, NAN, 4.0, 4.0],
        [2.0, 8.0, 5.0, 9.0, 3.0, 3.0, 7.0, 15.0, 1.0, 18.0, 18.0, 21.0, 3.0, 4.0, 20.0, 20.0])]))
    geo.append(("nan_in_one_coordinate", full, [(
        [1.0, 9.0, 15.0, NAN, 21.0, 29.0],
        [1.0, 9.0, NAN, 9.0, 15.0, 19.0])]))
    geo.append(("fully_outside_segments", full, [(
        [-5.0, -2.0, 10.0, 50.0, 60.0, 12.0, 12.0],
        [3.0, 40.0, 40.0, 10.0, -3.0, -2.0, 11.0])]))
    geo.append(("duplicated_vertices", full, [(
        [3.0, 3.0, 3.0, 11.0, 11.0, 11.2, 20.0, 20.0],
        [3.0, 3.0, 3.0, 9.0, 9.0, 9.1, 2.0, 2.0])]))
    geo.append(("odd_ranges_random", odd, [random_walk(1, 40, (-1.6, 3.2), (9.95, 10.75))]))
    geo.append(("random_polyline", full, [random_walk(2, 60, (-4.0, 41.0), (-3.0, 26.0))]))
    geo.append(("two_series", full, [
        ([2.0, 12.0, 30.0], [2.0, 20.0, 4.0]),
        ([30.5, 18.0, 5.0], [4.5, 19.0, 21.0]),
    ]))
    # Several series of equal length, as 2-D (N, K) arrays or --series K read them.
    geo.append(("three_series_nan", full, [
        ([1.0, 9.0, NAN, 15.0, 30.0, 36.5], [2.0, 20.0, 5.0, 7.0, 21.0, 1.0]),
        ([35.0, 20.0, 10.0, -4.0, 3.0, 3.0], [2.5, 2.5, 18.0, 12.0, 22.0, NAN]),
        ([5.0, 5.0, 30.0, NAN, NAN, 12.0], [1.0, 22.0, 11.0, 4.0, 4.0, 9.0]),
    ]))
    # One time axis shared by several y columns: cvs.line(df, x='x0', y=['y0', ...], axis=0).
    t = [float(i) * 3.1 - 1.0 for i in range(14)]
    rng = np.random.default_rng(7)
    ys = [list(rng.uniform(-2.0, 25.0, len(t))) for _ in range(4)]
    ys[1][5] = NAN
    ys[3][0] = NAN
    geo.append(("shared_x_time_series", full, [(t, y) for y in ys]))
    out = []
    for name, (xr, yr), series in geo:
        out.append((name, xr, yr, series, 0.0, "count"))
    # Log x axis: Datashader clips linearly in data space, then maps through log10.
    # (Width 0 only: its anti-aliased clamp uses round((xmax - xmin) * sx), wrong on log.)
    out.append(("log_x_axis", (1.0, 1000.0), (0.0, 23.0), [(
        [0.5, 3.0, 40.0, 999.0, 1000.0, 1500.0, 7.0, 2.0],
        [1.0, 20.0, 3.0, 22.0, 11.0, 5.0, 24.0, 0.5])], 0.0, "count"))
    aa = ["diagonal_crossing_edges", "leave_and_reenter", "horizontal_vertical",
          "on_the_max_bounds", "reverse_directions", "nan_breaks_and_points",
          "duplicated_vertices", "odd_ranges_random", "random_polyline", "two_series",
          "three_series_nan", "shared_x_time_series"]
    by_name = {g[0]: g for g in geo}
    for lw in (0.5, 1.0, 1.5, 2.5):
        # Widths 1.0 and 2.5 on the busiest drawings add little but bytes.
        for name in aa:
            if lw in (1.0, 2.5) and name in ("random_polyline", "odd_ranges_random"):
                continue
            _, (xr, yr), series = by_name[name]
            out.append((name, xr, yr, series, lw, "count"))
    for name in ("leave_and_reenter", "random_polyline", "two_series"):
        _, (xr, yr), series = by_name[name]
        out.append((name, xr, yr, series, 1.5, "sum"))
        out.append((name, xr, yr, series, 1.5, "count_max"))
    return out


def frame(series):
    n = max(len(xs) for xs, _ in series)
    data = {}
    for k, (xs, ys) in enumerate(series):
        pad = [NAN] * (n - len(xs))
        data[f"x{k}"] = list(xs) + pad
        data[f"y{k}"] = list(ys) + pad
    # Sum reads the value of the segment's first vertex: use 1 + 0.25 * vertex index.
    data["v"] = [1.0 + 0.25 * i for i in range(n)]
    return pd.DataFrame(data)


def aggregate(name, xr, yr, series, lw, reduction):
    x_axis_type = "log" if name.startswith("log_x") else "linear"
    cvs = ds.Canvas(plot_width=W, plot_height=H, x_range=xr, y_range=yr,
                    x_axis_type=x_axis_type)
    df = frame(series)
    agg = {"count": ds.count(), "sum": ds.sum("v"),
           "count_max": ds.count(self_intersect=False)}[reduction]
    if len(series) == 1:
        x, y = "x0", "y0"
    elif name.startswith("shared_x"):
        x, y = "x0", [f"y{k}" for k in range(len(series))]
    else:
        x = [f"x{k}" for k in range(len(series))]
        y = [f"y{k}" for k in range(len(series))]
    a = cvs.line(df, x, y, agg=agg, line_width=lw)
    return a.values[::-1], a.dtype


def main():
    records = []
    for name, xr, yr, series, lw, reduction in cases():
        values, dtype = aggregate(name, xr, yr, series, lw, reduction)
        f32 = dtype == np.float32
        flat = np.asarray(values, dtype=np.float64).ravel()
        empty = 0.0 if lw == 0 else NAN
        pairs = [(i, float(v)) for i, v in enumerate(flat)
                 if not (v == empty or (math.isnan(v) and math.isnan(empty)))]
        if f32:
            pairs = [(i, float(str(np.float32(v)))) for i, v in pairs]
        records.append({
            "name": name,
            "x_range": xr,
            "x_log": name.startswith("log_x"),
            "y_range": yr,
            "width": W,
            "height": H,
            "series": [{"xs": xs, "ys": ys} for xs, ys in series],
            "line_width": lw,
            "reduction": reduction,
            "float32": bool(f32),
            "expected": pairs,
        })
    fixture_json.write(sys.argv[1], "line_aggregates.json", {
        "about": "Datashader's Canvas.line aggregates. series: one polyline (xs, ys) each, never "
                 "joined. line_width 0 = Bresenham, > 0 = anti-aliased. reduction: count, sum of "
                 "the value 1 + 0.25 * vertex index, or count_max (count(self_intersect=False)). "
                 "float32: Datashader's aggregate is float32. expected: the non-empty pixels as "
                 "[image-order index (row 0 = top = y max), value]; every other pixel is 0 "
                 "(width 0, uint32 counts) or NaN (float aggregates).",
        "generator": "tools/gen_line_reference.py",
        "versions": fixture_json.versions(ds, np, pd),
        "cases": records,
    })


if __name__ == "__main__":
    main()
