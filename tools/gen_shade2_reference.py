#!/usr/bin/env python3
"""Writes Datashader's own output for float aggregates, categorical aggregates, spread and
dynspread, which gigaplot's unit tests must reproduce, to three files of tests/data/datashader/:
shade_floats.json (src/shade/float.rs), shade_categories.json (src/shade/category.rs) and
spread_dynspread.json (src/shade/spread.rs).

- Float aggregates (float64, NaN = empty) shaded with `tf.shade(agg, cmap, how)` for every
  `how` and the colormaps datashader, viridis and fire (as tools/gen_shade_reference.py).
  Values are written in their shortest round-trip form, NaN as "NaN".
- Categorical aggregates (uint32, shape (H, W, C)) shaded with `tf.shade(agg, color_key,
  how, alpha, min_alpha)`, stored C-interleaved.
- RGBA images spread with `tf.spread(img, px, shape)` and `tf.dynspread(img, threshold,
  max_px, shape)`, with the densities `_rgb_density(img, 2 * px)` it decides from.

Like tools/gen_shade_reference.py, run with numpy's AVX-512 targets disabled so that log1p
and pow come from the C library:

    NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL" \
        /tmp/dsvenv/bin/python tools/gen_shade2_reference.py tests/data/datashader
"""

import sys

import colorcet
import datashader
import datashader.transfer_functions as tf
from datashader.transfer_functions import _rgb_density
from datashader.colors import Sets1to3
import matplotlib
import matplotlib.colors as mcolors
import numpy as np
import xarray as xr

import fixture_json

HOWS = ["eq_hist", "linear", "log", "cbrt"]

CMAPS = {
    "datashader": ["lightblue", "darkblue"],
    "viridis": [mcolors.to_hex(c) for c in matplotlib.colormaps["viridis"].colors],
    "fire": list(colorcet.fire),
}


def float_aggregates():
    """(name, float64 2-D array) pairs, NaN for empty pixels."""
    nan = np.nan
    mixed = np.array([
        [nan, 1.5, 0.25, -3.0, nan, 7.125],
        [2.0, nan, 1e-3, 100.0, 55.5, nan],
        [-0.5, -0.5, nan, 3.3, 0.1, 0.2],
        [nan, 12.0, 9.75, nan, 1.0, -2.75],
    ])
    wide = np.array([
        [nan, 1e-9, -1e6, 3.5e5, nan, 1e6],
        [0.0, nan, 123456.789, -7.0, 2.0, nan],
        [1e-3, 999999.5, nan, -999999.0, 0.5, 42.0],
    ])
    single = np.where(np.isnan(mixed), nan, 4.5)
    allnan = np.full((3, 4), nan)
    ints = np.array([[nan, 3, 7, -2], [5, nan, 5, 1000], [65535, 70000, nan, 0]], dtype=float)
    rng = np.random.default_rng(20240611)
    big = rng.lognormal(0.0, 2.0, size=(20, 30)) - 3.0
    big[rng.random((20, 30)) < 0.3] = nan
    return [("mixed", mixed), ("wide", wide), ("single", single), ("allnan", allnan),
            ("ints", ints), ("big", big)]


def category_aggregates():
    """(name, uint32 (H, W, C) array) pairs."""
    rng = np.random.default_rng(77)
    out = []
    # 3 categories, many zeros and single-category pixels
    a = rng.integers(0, 6, size=(5, 7, 3)).astype(np.uint32)
    a[rng.random((5, 7, 3)) < 0.5] = 0
    a[0, 0] = [0, 0, 0]
    a[0, 1] = [4, 0, 0]
    a[0, 2] = [0, 9, 0]
    a[0, 3] = [0, 0, 1]
    out.append(("three", a))
    # 5 categories, no empty pixel, baseline 0 (integer eq-hist path)
    b = rng.integers(0, 20, size=(4, 6, 5)).astype(np.uint32)
    b[:, :, 0] = np.maximum(b[:, :, 0], 1)
    b[1, 1] = [0, 3, 0, 0, 0]
    out.append(("five_full", b))
    # 4 categories, every count >= 2 (baseline 2)
    c = (rng.integers(2, 9, size=(3, 5, 4))).astype(np.uint32)
    c[0, 0] = [2, 2, 2, 2]
    out.append(("baseline", c))
    # 12 categories, sparse, a few large totals (ptp > 65535 for eq-hist bins)
    d = np.zeros((6, 8, 12), dtype=np.uint32)
    for _ in range(60):
        y, x, k = rng.integers(0, 6), rng.integers(0, 8), rng.integers(0, 12)
        d[y, x, k] += int(rng.integers(1, 50))
    d[5, 7, 3] = 40000
    d[5, 6, 4] = 30000
    d[5, 6, 9] = 50000
    out.append(("twelve", d))
    # all empty
    out.append(("empty", np.zeros((2, 3, 3), dtype=np.uint32)))
    # 4 categories, no empty pixel, totals spread wide (integer binned path)
    e = rng.integers(1, 4, size=(3, 4, 4)).astype(np.uint32)
    e[0, 0, 0] = 100000
    e[2, 3, 1] = 60000
    e[1, 2] = [0, 0, 7, 0]
    out.append(("wide_full", e))
    return out


CATEGORY_KEYS = {
    "sets": None,  # Datashader's default Sets1to3
    "custom": ["red", "#00ff00", "blue", "gold", "black", "white", "#123456", "pink",
               "orange", "purple", "teal", "gray"],
}

CATEGORY_ALPHAS = [(255, 40), (200, 0)]


def shade_bytes(img):
    """Image bytes R, G, B, A per pixel."""
    return np.ascontiguousarray(img.data).view(np.uint8).reshape(-1).tobytes()


def shade_float(agg, cmap, how):
    arr = xr.DataArray(agg, dims=["y", "x"])
    return shade_bytes(tf.shade(arr, cmap=cmap, how=how))


def shade_category(agg, key, how, alpha, min_alpha):
    h, w, c = agg.shape
    arr = xr.DataArray(agg, dims=["y", "x", "cat"],
                       coords={"cat": [f"c{i}" for i in range(c)]})
    color_key = Sets1to3 if key is None else key[:c]
    return shade_bytes(tf.shade(arr, color_key=color_key, how=how, alpha=alpha,
                                min_alpha=min_alpha))


def spread_images():
    """(name, uint32 (H, W) RGBA image) pairs."""
    rng = np.random.default_rng(5)
    out = []
    for name, h, w, p in [("sparse", 9, 11, 0.1), ("half", 8, 10, 0.5), ("dense", 7, 9, 0.9),
                          ("lonely", 12, 13, 0.02)]:
        rgba = rng.integers(0, 256, size=(h, w, 4)).astype(np.uint8)
        lit = rng.random((h, w)) < p
        rgba[..., 3] = np.where(lit, rng.integers(1, 256, size=(h, w)), 0)
        # some transparent pixels keep a colour, some are all zero
        rgba[~lit & (rng.random((h, w)) < 0.5)] = 0
        # a few opaque pixels
        rgba[lit & (rng.random((h, w)) < 0.3), 3] = 255
        out.append((name, rgba))
    return out


def density_images():
    """(name, height, width, [(y, x, alpha)]) larger and sparser images for dynspread; the
    RGB of a lit pixel is (3x, 5y, x + y) mod 256, the rest transparent black."""
    rng = np.random.default_rng(11)
    out = []
    for name, h, w, p in [("d003", 40, 50, 0.003), ("d01", 40, 50, 0.01), ("d03", 30, 35, 0.03),
                          ("d08", 30, 35, 0.08)]:
        lit = np.argwhere(rng.random((h, w)) < p)
        pixels = [(int(y), int(x), int(rng.integers(1, 256))) for y, x in lit]
        out.append((name, h, w, pixels))
    # clusters: pairs of pixels 3 apart, far from each other
    pixels = [(y, x, 255) for y in range(2, 40, 9) for x in range(1, 48, 11)]
    pixels += [(y, x + 3, 128) for y, x, _ in pixels[::2]]
    out.append(("pairs", 40, 50, sorted(pixels)))
    return out


def density_rgba(h, w, pixels):
    rgba = np.zeros((h, w, 4), dtype=np.uint8)
    for y, x, a in pixels:
        rgba[y, x] = [(3 * x) % 256, (5 * y) % 256, (x + y) % 256, a]
    return rgba


def image_of(rgba):
    h, w, _ = rgba.shape
    data = np.ascontiguousarray(rgba).view(np.uint32).reshape(h, w)
    return tf.Image(data, dims=["y", "x"])


def main():
    out = sys.argv[1]
    made = {
        "generator": "tools/gen_shade2_reference.py",
        "versions": fixture_json.versions(datashader, np, matplotlib, colorcet),
    }

    floats = float_aggregates()
    fixture_json.write(out, "shade_floats.json", {
        "about": "Datashader's tf.shade(agg, cmap=..., how=...) of float64 aggregates (NaN = "
                 "empty): the values row-major, the RGBA bytes of every pixel in the same order "
                 "as hex. cmap is gigaplot's name of the colormap.",
        **made,
        "aggregates": [{"name": name, "width": agg.shape[1], "values": agg.reshape(-1)}
                       for name, agg in floats],
        "cases": [{"aggregate": name, "how": how, "cmap": cmap,
                   "rgba": shade_float(agg, CMAPS[cmap], how).hex()}
                  for name, agg in floats for how in HOWS for cmap in CMAPS],
    })

    cats = category_aggregates()
    cases = []
    for name, agg in cats:
        for key_name, key in CATEGORY_KEYS.items():
            for how in HOWS:
                for alpha, min_alpha in CATEGORY_ALPHAS:
                    data = shade_category(agg, key, how, alpha, min_alpha)
                    cases.append({"aggregate": name, "color_key": key_name, "how": how,
                                  "alpha": alpha, "min_alpha": min_alpha, "rgba": data.hex()})
    fixture_json.write(out, "shade_categories.json", {
        "about": "Datashader's tf.shade(agg, color_key=..., how=..., alpha=..., min_alpha=...) "
                 "of uint32 categorical aggregates (height, width, categories): the counts "
                 "C-interleaved, the RGBA bytes of every pixel row-major as hex. color_key "
                 "'sets' is Datashader's default Sets1to3; 'custom' is " + ",".join(
                     CATEGORY_KEYS["custom"]) + ", cut to the number of categories.",
        **made,
        "aggregates": [{"name": name, "width": agg.shape[1], "categories": agg.shape[2],
                        "counts": agg.reshape(-1)} for name, agg in cats],
        "cases": cases,
    })

    images = spread_images()
    spread_cases = []
    for name, rgba in images:
        for px in [1, 2, 3]:
            for shape in ["circle", "square"]:
                data = shade_bytes(tf.spread(image_of(rgba), px=px, shape=shape))
                spread_cases.append({"image": name, "px": px, "shape": shape, "rgba": data.hex()})
    dens_images = density_images()
    images = images + [(name, density_rgba(h, w, px)) for name, h, w, px in dens_images]
    densities = []
    dyn_cases = []
    for name, rgba in images:
        img = image_of(rgba)
        densities.append({"image": name,
                          "densities": [_rgb_density(img.data, 2 * px) for px in range(1, 5)]})
        for threshold in [0.0, 0.3, 0.5, 0.9, 1.0]:
            for max_px in [0, 1, 3, 4]:
                for shape in ["circle", "square"]:
                    res = tf.dynspread(img, threshold=threshold, max_px=max_px, shape=shape)
                    data = shade_bytes(res)
                    chosen = [px for px in range(0, max_px + 1)
                              if shade_bytes(tf.spread(img, px=px, shape=shape)) == data]
                    assert chosen, (name, threshold, max_px, shape)
                    dyn_cases.append({"image": name, "threshold": threshold, "max_px": max_px,
                                      "shape": shape, "px": chosen[0]})
    fixture_json.write(out, "spread_dynspread.json", {
        "about": "Datashader's tf.spread(img, px, shape) and tf.dynspread(img, threshold, max_px, "
                 "shape) of RGBA images (row-major, R, G, B, A bytes as hex). density_images are "
                 "larger sparse images given by their lit pixels [y, x, alpha], RGB (3x, 5y, x + y) "
                 "mod 256, the rest transparent black. densities are _rgb_density(img, 2 * px) for "
                 "px = 1..4 of every image; a dynspread case names the px whose tf.spread output "
                 "equals the dynspread output (the smallest if several do).",
        **made,
        "images": [{"name": name, "width": rgba.shape[1], "rgba": rgba.tobytes().hex()}
                   for name, rgba in images[:len(images) - len(dens_images)]],
        "spread_cases": spread_cases,
        "density_images": [{"name": name, "height": h, "width": w, "lit": pixels}
                           for name, h, w, pixels in dens_images],
        "densities": densities,
        "dynspread_cases": dyn_cases,
    })


if __name__ == "__main__":
    main()
