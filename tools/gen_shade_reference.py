#!/usr/bin/env python3
"""Writes tests/data/datashader/shade_counts.json: RGBA bytes that Datashader itself produced.

For a few uint32 count aggregates (zeros, ones, a range up to 10^6 that takes the
65,536-bin histogram path of eq_hist, a single non-zero value, all zeros, large counts with a
small range, and a 1000-pixel heavy-tailed one), it runs
`datashader.transfer_functions.shade(agg, cmap=..., how=...)` for every `how` and for the
colormaps `datashader` (the default ['lightblue', 'darkblue']), `viridis` (the 256 hex
colours of matplotlib's table, as tools/gen_colormaps.py rounds them) and `fire`
(colorcet.fire), and dumps the image bytes (R, G, B, A per pixel, in the aggregate's
order) as hex strings. gigaplot's unit tests (src/shade/shader.rs) shade the same counts and
compare bytes.

numpy builds with AVX-512 dispatch compute log1p and pow with SVML, which may differ from
the C library in the last bit; run this with those targets disabled so that numpy uses the
C library, like gigaplot (and numpy on most CPUs):

    python3 -m venv /tmp/dsvenv
    /tmp/dsvenv/bin/pip install datashader==0.19.1 numpy==2.4.6 matplotlib==3.11.2 colorcet==3.2.1
    NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL" \
        /tmp/dsvenv/bin/python tools/gen_shade_reference.py tests/data/datashader

(For the vectors committed, the output is the same with and without the variable; the
SVML differences show up in rarer cases, see tools/gen_shade_fuzz.py.)
"""

import sys

import colorcet
import datashader
import datashader.transfer_functions as tf
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


def small_aggregates():
    """The 7 x 5 aggregates, each a (name, array) pair."""
    mixed = np.array([
        [0, 1, 1, 2, 0, 3, 0],
        [1, 0, 4, 7, 1, 0, 9],
        [2, 12, 0, 1, 30, 5, 0],
        [0, 1, 2, 3, 4, 5, 6],
        [40, 0, 1, 0, 2, 1, 0],
    ], dtype=np.uint32)
    wide = np.array([
        [0, 1, 1, 2, 0, 1_000_000, 0],
        [65_535, 65_536, 65_537, 70_000, 1, 0, 15],
        [16, 17, 31, 32, 999_999, 500_000, 0],
        [0, 1, 3, 250_000, 123_456, 7, 7],
        [400, 0, 1, 0, 2, 65_534, 0],
    ], dtype=np.uint32)
    single = np.where(mixed > 0, 5, 0).astype(np.uint32)
    zeros = np.zeros((5, 7), dtype=np.uint32)
    offset = np.where(mixed > 0, 100_000 + mixed * 7, 0).astype(np.uint32)
    return [("mixed", mixed), ("wide", wide), ("single", single), ("zeros", zeros),
            ("offset", offset)]


def big_aggregate():
    """25 x 40 heavy-tailed counts up to a few million, a third of them zero."""
    rng = np.random.default_rng(20240607)
    values = np.floor(rng.pareto(0.6, size=(25, 40))).astype(np.uint64)
    values = np.minimum(values, 4_000_000).astype(np.uint32)
    values[rng.random((25, 40)) < 0.33] = 0
    return ("big", values)


def shade_bytes(agg, cmap, how):
    """The RGBA bytes Datashader makes, pixel after pixel."""
    arr = xr.DataArray(agg, dims=["y", "x"])
    img = tf.shade(arr, cmap=cmap, how=how)
    return np.ascontiguousarray(img.data).view(np.uint8).reshape(-1).tobytes()


def main():
    aggs = small_aggregates() + [big_aggregate()]
    cases = []
    for name, agg in aggs:
        cmaps = ["datashader", "viridis"] if name == "big" else list(CMAPS)
        for how in HOWS:
            for cmap in cmaps:
                data = shade_bytes(agg, CMAPS[cmap], how)
                cases.append({"aggregate": name, "how": how, "cmap": cmap, "rgba": data.hex()})
    fixture_json.write(sys.argv[1], "shade_counts.json", {
        "about": "Datashader's tf.shade(agg, cmap=..., how=...) of uint32 count aggregates: the "
                 "counts row-major, the RGBA bytes of every pixel in the same order as hex. cmap "
                 "is gigaplot's name of the colormap.",
        "generator": "tools/gen_shade_reference.py",
        "versions": fixture_json.versions(datashader, np, matplotlib, colorcet),
        "aggregates": [{"name": name, "counts": agg.reshape(-1)} for name, agg in aggs],
        "cases": cases,
    })


if __name__ == "__main__":
    main()
