#!/usr/bin/env python3
"""Generate Datashader's `tf.shade` of count_cat along anti-aliased lines (a float32
(H, W, C) aggregate with NaN) for gigaplot's float categorical shader.

Writes tests/data/datashader/aa_category_shade.json, read by src/render/line_values_tests.rs.
Run with the Datashader venv (see tools/gen_shade_reference.py), from the repository root:

    /tmp/dsvenv/bin/python tools/gen_aa_category_shade_reference.py tests/data/datashader

The drawings are the anti-aliased count_cat cases of tools/gen_line_values_reference.py
(their aggregates are in tests/data/datashader/line_value_aggregates.json); each is shaded with every
`how` and Datashader's defaults (Sets1to3 colours, alpha 255, min_alpha 40). RGBA bytes are
written in gigaplot's image order (row 0 = top = y max) as hex.
"""

import os
import sys

import datashader as ds
import datashader.transfer_functions as tf
import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_json  # noqa: E402
import gen_line_values_reference as ref  # noqa: E402

HOWS = ["linear", "log", "cbrt", "eq_hist"]


def shaded(xr, yr, xs, ys, lw, how):
    cvs = ds.Canvas(plot_width=ref.W, plot_height=ref.H, x_range=xr, y_range=yr)
    cats = [i % ref.CATEGORIES for i in range(len(xs))]
    df = pd.DataFrame({"x": xs, "y": ys,
                       "c": pd.Categorical(cats, categories=list(range(ref.CATEGORIES)))})
    agg = cvs.line(df, "x", "y", agg=ds.count_cat("c"), line_width=lw)
    img = tf.shade(agg, how=how)
    rgba = np.asarray(img.values).view(np.uint8).reshape(ref.H, ref.W, 4)[::-1]
    return rgba.tobytes().hex()


def main():
    shades = []
    for name, (xr, yr), xs, ys, _vs, lw, reduction in ref.cases():
        if reduction != "count_cat" or lw == 0.0:
            continue
        for how in HOWS:
            shades.append({"drawing": name, "line_width": lw, "how": how,
                           "rgba": shaded(xr, yr, xs, ys, lw, how)})
    fixture_json.write(sys.argv[1], "aa_category_shade.json", {
        "about": "Datashader's tf.shade(agg, how=...) with its defaults (Sets1to3, alpha 255, "
                 "min_alpha 40) of the anti-aliased count_cat drawings of "
                 "line_value_aggregates.json (drawing name and line width): RGBA bytes as hex in "
                 "image order (row 0 = top).",
        "generator": "tools/gen_aa_category_shade_reference.py",
        "versions": fixture_json.versions(ds, np, pd),
        "shades": shades,
    })


if __name__ == "__main__":
    main()
