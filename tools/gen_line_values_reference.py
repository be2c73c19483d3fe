#!/usr/bin/env python3
"""Writes tests/data/datashader/line_value_aggregates.json: Datashader's reference aggregates
for gigaplot's value reductions along lines (src/render/line_values_tests.rs).

Run with the Datashader venv (see tools/gen_shade_reference.py), from the repository root:

    /tmp/dsvenv/bin/python tools/gen_line_values_reference.py tests/data/datashader

Each case draws ONE polyline with `Canvas.line(df, 'x', 'y', agg=..., line_width=...)` where
the value column `v` holds NaNs, negatives and repeats, and the category column `c` is
`i % 3`. Reductions: sum, mean, var, std, min, max, first, last, count_cat (width 0) and
sum, mean, max, any, count_cat (anti-aliased; min, first, last once). Aggregates are written in gigaplot's
image order (row 0 = top = y max); for count_cat the index is `pixel * 3 + category`.
"""

import math
import sys

import datashader as ds
import numpy as np
import pandas as pd

import fixture_json

NAN = float("nan")
W, H = 37, 23
CATEGORIES = 3


def random_walk(seed, n, xr, yr):
    rng = np.random.default_rng(seed)
    return list(rng.uniform(xr[0], xr[1], n)), list(rng.uniform(yr[0], yr[1], n))


def values(n, seed):
    """Values with NaNs, negatives and repeats: deterministic per case."""
    rng = np.random.default_rng(seed)
    v = np.round(rng.uniform(-5.0, 20.0, n), 3)
    v[::7] = NAN
    v[3::11] = 2.5
    return list(v)


def geometries():
    full = ((0.0, 37.0), (0.0, 23.0))
    odd = ((-1.3, 2.9), (10.0, 10.7))
    return [
        ("leave_and_reenter", full, (
            [1.5, 20.2, 45.0, 30.1, 18.0, -6.0, 3.3, 10.0, 36.9, 0.2],
            [1.5, 10.7, 12.0, 22.9, 30.0, 12.5, 2.2, -1.0, 22.8, 11.0])),
        ("overlapping_back_and_forth", full, (
            [2.0, 33.0, 3.0, 34.0, 2.5, 33.5, 20.0, 20.0, 20.0],
            [3.5, 19.5, 3.5, 19.0, 4.0, 20.0, 1.0, 22.0, 1.0])),
        ("nan_breaks_and_points", full, (
            [2.0, 10.0, NAN, 12.0, 20.0, 20.0, NAN, 25.0, NAN, 30.0, 30.0, 33.0, NAN, NAN, 4.0, 4.0],
            [2.0, 8.0, 5.0, 9.0, 3.0, 3.0, 7.0, 15.0, 1.0, 18.0, 18.0, 21.0, 3.0, 4.0, 20.0, 20.0])),
        ("on_the_max_bounds", full, (
            [0.0, 37.0, 37.0, 0.0, 0.0], [0.0, 0.0, 23.0, 23.0, 0.0])),
        ("random_polyline", full, random_walk(2, 24, (-4.0, 41.0), (-3.0, 26.0))),
        ("odd_ranges_random", odd, random_walk(1, 16, (-1.6, 3.2), (9.95, 10.75))),
        ("fully_outside", full, ([-5.0, -2.0, 50.0, 60.0], [3.0, 40.0, 40.0, -3.0])),
        ("single_vertex", full, ([3.0], [4.0])),
    ]


WIDTH0 = ["sum", "mean", "var", "std", "min", "max", "first", "last", "count_cat"]
ANTIALIASED = ["sum", "mean", "max", "any", "count_cat"]
# Datashader's antialiased min, first and last keep the largest value * coverage, like max:
# checked on the drawing where segments overlap most.
ANTIALIASED_LIKE_MAX = ["min", "first", "last"]


def cases():
    out = []
    for k, (name, ranges, (xs, ys)) in enumerate(geometries()):
        vs = values(len(xs), 10 + k)
        for reduction in WIDTH0:
            out.append((name, ranges, xs, ys, vs, 0.0, reduction))
        for lw in (0.6, 1.5) if name == "nan_breaks_and_points" else (1.5,) if name != "odd_ranges_random" else ():
            for reduction in ANTIALIASED:
                out.append((name, ranges, xs, ys, vs, lw, reduction))
        if name == "overlapping_back_and_forth":
            for reduction in ANTIALIASED_LIKE_MAX:
                out.append((name, ranges, xs, ys, vs, 1.5, reduction))
    # Every value NaN: float aggregates stay empty.
    _, ranges, (xs, ys) = geometries()[0][0], geometries()[0][1], geometries()[0][2]
    for lw in (0.0, 1.5):
        for reduction in ("sum", "max", "mean"):
            out.append(("all_values_nan", ranges, xs, ys, [NAN] * len(xs), lw, reduction))
    return out


def aggregate(xr, yr, xs, ys, vs, lw, reduction):
    cvs = ds.Canvas(plot_width=W, plot_height=H, x_range=xr, y_range=yr)
    cats = [i % CATEGORIES for i in range(len(xs))]
    df = pd.DataFrame({"x": xs, "y": ys, "v": vs,
                       "c": pd.Categorical(cats, categories=list(range(CATEGORIES)))})
    if reduction == "count_cat":
        agg = ds.count_cat("c")
    elif reduction == "any":
        agg = ds.any()
    else:
        agg = getattr(ds, reduction)("v")
    a = cvs.line(df, "x", "y", agg=agg, line_width=lw)
    return np.asarray(a.values)[::-1], a.dtype


def main():
    records = []
    for name, (xr, yr), xs, ys, vs, lw, reduction in cases():
        values, dtype = aggregate(xr, yr, xs, ys, vs, lw, reduction)
        flat = np.asarray(values, dtype=np.float64).ravel()
        integer = dtype.kind in "ub"
        pairs = [(i, float(v)) for i, v in enumerate(flat)
                 if (v != 0 if integer else not math.isnan(v))]
        records.append({
            "name": name,
            "x_range": xr,
            "y_range": yr,
            "xs": xs,
            "ys": ys,
            "vs": vs,
            "line_width": lw,
            "reduction": reduction,
            "dtype": str(dtype),
            "expected": pairs,
        })
    fixture_json.write(sys.argv[1], "line_value_aggregates.json", {
        "about": "Datashader's Canvas.line(df, 'x', 'y', agg=..., line_width=...) of one polyline "
                 "with the value column vs and the category column i % categories. line_width 0 "
                 "= Bresenham, > 0 = anti-aliased. reduction: Datashader's name (count_cat of the "
                 "category column). dtype: Datashader's aggregate dtype. expected: the non-empty "
                 "cells as [index, value], the index in image order (row 0 = top = y max), "
                 "pixel * categories + category for count_cat; the others are 0 (uint32) or NaN.",
        "generator": "tools/gen_line_values_reference.py",
        "versions": fixture_json.versions(ds, np, pd),
        "width": W,
        "height": H,
        "categories": CATEGORIES,
        "cases": records,
    })


if __name__ == "__main__":
    main()
