#!/usr/bin/env python3
"""Writes tests/images/dynspread/: Datashader's own `tf.dynspread` of small renders, which
`gigaplot render --dynspread` must reproduce pixel for pixel (tests/spread_cli.rs).

Every case is a 50 x 42 canvas over x in [0, 50], y in [0, 42], so a point at
(column + 0.5, row_from_bottom + 0.5) lands in that pixel. For each case the script writes
`NAME.x.npy`, `NAME.y.npy` (and `NAME.v.npy` for a value or category column), and
`NAME.png`: `tf.dynspread(tf.shade(agg, how=HOW), threshold, max_px, shape).to_pil()`
(transparent background, so RGBA). `cases.txt` lists one case a line:

    NAME GLYPH AGG HOW SHAPE THRESHOLD MAX_PX PX BAND_PX

PX is the px Datashader spreads the whole image by (its first px whose
`_rgb_density(img, 2 * px)` exceeds the threshold, minus one); BAND_PX, comma-separated, is
the px that the same rule would choose for each band of 7 image rows taken alone (what a
per-band decision would do).

    /tmp/dsvenv/bin/python tools/gen_dynspread_reference.py tests/images/dynspread
"""

import os
import sys

import datashader as ds
import datashader.transfer_functions as tf
from datashader.colors import Sets1to3
from datashader.transfer_functions import _rgb_density
import numpy as np
import pandas as pd

W, H = 50, 42
BAND = 7


def pixel_points(pixels):
    """x, y of points at the centres of (column, image row from the top, repeat) pixels."""
    xs, ys = [], []
    for col, row, n in pixels:
        xs += [col + 0.5] * n
        ys += [H - 1 - row + 0.5] * n
    return np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)


def chosen_px(img_data, threshold, max_px):
    """The px of datashader's dynspread loop on a uint32 RGBA array."""
    px_ = 0
    for px in range(1, max_px + 1):
        px_ = px
        if _rgb_density(img_data, px * 2) > threshold:
            px_ -= 1
            break
    return px_


def sparse():
    """Isolated points on the canvas corners, on band (7-row) and tile (4-px) corners, and
    two pairs whose discs overlap in different colours (compositing order)."""
    pixels = [(0, 0, 1), (49, 0, 3), (0, 41, 2), (49, 41, 1),
              (3, 6, 4), (12, 7, 1), (20, 13, 2), (27, 14, 6), (40, 27, 1), (8, 28, 9),
              (30, 20, 1), (33, 21, 5), (15, 34, 7), (16, 37, 1)]
    return pixel_points(pixels)


def halves():
    """The top half a lattice of points 3 pixels apart, the bottom half a few isolated ones:
    the lattice decides px 1 for the whole canvas, bands of the bottom half alone 3."""
    pixels = [(c, r, 1 + (c * r) % 4) for r in range(0, 21, 3) for c in range(r % 2, W, 3)]
    pixels += [(5, 24, 1), (20, 25, 2), (44, 29, 3), (10, 33, 1), (30, 36, 4), (48, 40, 2),
               (2, 41, 1)]
    return pixel_points(pixels)


def lines_xy():
    """A few long polylines, NaN-separated, meeting and crossing band edges."""
    xs = [1.5, 48.5, 48.5, np.nan, 3.5, 25.5, 46.5, np.nan, 10.5, 10.5, np.nan, 2.5, 40.5]
    ys = [40.5, 35.5, 2.5, np.nan, 3.5, 20.5, 6.5, np.nan, 1.5, 30.5, np.nan, 27.5, 27.5]
    return np.array(xs), np.array(ys)


def cases():
    """(name, glyph, agg, how, shape, threshold, max_px, x, y, v)."""
    sx, sy = sparse()
    hx, hy = halves()
    lx, ly = lines_xy()
    # mean: some pixels hold only NaN values and stay empty
    mv = np.array([float(i % 5) if i % 4 != 3 else np.nan for i in range(len(sx))])
    # count-cat: three categories, the overlapping pairs in different ones
    cv = np.array([i % 3 for i in range(len(sx))], dtype=np.int64)
    return [
        ("sparse", "points", "count", "eq_hist", "circle", 0.5, 3, sx, sy, None),
        ("sparse_max2", "points", "count", "linear", "square", 0.5, 2, sx, sy, None),
        ("halves", "points", "count", "linear", "square", 0.5, 3, hx, hy, None),
        ("halves_any", "points", "any", "eq_hist", "circle", 0.9, 4, hx, hy, None),
        ("mean", "points", "mean", "eq_hist", "circle", 0.5, 3, sx, sy, mv),
        ("countcat", "points", "count-cat", "eq_hist", "circle", 0.5, 3, sx, sy, cv),
        ("lines", "lines", "count", "eq_hist", "circle", 1.0, 2, lx, ly, None),
    ]


def aggregate(glyph, agg, x, y, v):
    cvs = ds.Canvas(plot_width=W, plot_height=H, x_range=(0, W), y_range=(0, H))
    df = pd.DataFrame({"x": x, "y": y})
    if agg == "count-cat":
        df["v"] = pd.Categorical(v)
        reduction = ds.count_cat("v")
    elif agg == "mean":
        df["v"] = v
        reduction = ds.mean("v")
    else:
        reduction = {"count": ds.count(), "any": ds.any()}[agg]
    if glyph == "lines":
        return cvs.line(df, "x", "y", agg=reduction)
    return cvs.points(df, "x", "y", agg=reduction)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    lines = []
    for name, glyph, agg, how, shape, threshold, max_px, x, y, v in cases():
        a = aggregate(glyph, agg, x, y, v)
        if agg == "count-cat":
            img = tf.shade(a, color_key=Sets1to3[:int(v.max()) + 1], how=how)
        else:
            img = tf.shade(a, how=how)
        spread = tf.dynspread(img, threshold=threshold, max_px=max_px, shape=shape)
        spread.to_pil().save(os.path.join(out_dir, f"{name}.png"))
        px = chosen_px(img.data, threshold, max_px)
        assert np.array_equal(tf.spread(img, px, shape=shape).data if px else img.data, spread.data)
        # image rows from the top are array rows from the bottom
        top_down = np.flipud(img.data)
        bands = [chosen_px(np.ascontiguousarray(np.flipud(top_down[r:r + BAND])), threshold, max_px)
                 for r in range(0, H, BAND)]
        np.save(os.path.join(out_dir, f"{name}.x.npy"), x)
        np.save(os.path.join(out_dir, f"{name}.y.npy"), y)
        if v is not None:
            np.save(os.path.join(out_dir, f"{name}.v.npy"), v)
        agg_flag = agg.replace("_", "-")
        lines.append(f"{name} {glyph} {agg_flag} {how.replace('_', '-')} {shape} {threshold} {max_px} "
                     f"{px} {','.join(map(str, bands))}")
    with open(os.path.join(out_dir, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/images/dynspread")
