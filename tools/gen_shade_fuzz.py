#!/usr/bin/env python3
"""Writes random aggregates shaded by Datashader to a binary file for the ignored test
`shade::shader::fuzz::datashader_fuzz_file` (a wider check than
tests/data/datashader/shade_counts.json).

Per case, little-endian: u32 n, u8 how (0 eq_hist, 1 linear, 2 log, 3 cbrt), u8 cmap
(0 datashader default, 1 viridis, 2 fire), n u32 counts, then 4n bytes of RGBA.

    NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL" \\
        /tmp/dsvenv/bin/python tools/gen_shade_fuzz.py /tmp/fuzz.bin
    GIGAPLOT_SHADE_FUZZ=/tmp/fuzz.bin cargo test --lib shade::shader::fuzz -- --ignored

Without NPY_DISABLE_CPU_FEATURES, numpy on an AVX-512 CPU uses SVML for log1p and pow,
which differ from the C library in the last bit on some inputs (log1p(2), 27 ** (1/3)...),
and a few pixels of `log` and `cbrt` cases then differ by one unit.
"""

import struct
import sys

import colorcet
import datashader.transfer_functions as tf
import matplotlib
import matplotlib.colors as mcolors
import numpy as np
import xarray as xr

HOWS = ["eq_hist", "linear", "log", "cbrt"]
CMAPS = [
    ["lightblue", "darkblue"],
    [mcolors.to_hex(c) for c in matplotlib.colormaps["viridis"].colors],
    list(colorcet.fire),
]


def random_aggregate(rng, kind):
    """One random uint32 aggregate of a few hundred pixels; `kind` picks the distribution."""
    h, w = rng.integers(1, 60, size=2)
    if kind == 0:
        a = rng.integers(0, 10, size=(h, w))
    elif kind == 1:
        a = np.floor(rng.pareto(rng.uniform(0.3, 2), size=(h, w)))
    elif kind == 2:
        a = rng.integers(0, 70000, size=(h, w))
    elif kind == 3:
        a = rng.integers(0, 2**32, size=(h, w), dtype=np.uint64)
    elif kind == 4:
        a = rng.integers(65530, 65545, size=(h, w))
    else:
        a = np.floor(np.exp(rng.uniform(0, 21, size=(h, w))))
    a = np.minimum(a, 2**32 - 1).astype(np.uint32)
    a[rng.random((h, w)) < rng.uniform(0, 0.8)] = 0
    return a


def main():
    rng = np.random.default_rng(1)
    with open(sys.argv[1], "wb") as out:
        for k in range(60):
            a = random_aggregate(rng, k % 6)
            for hi, how in enumerate(HOWS):
                for ci, cmap in enumerate(CMAPS):
                    img = tf.shade(xr.DataArray(a, dims=["y", "x"]), cmap=cmap, how=how)
                    rgba = np.ascontiguousarray(img.data).view(np.uint8).reshape(-1)
                    out.write(struct.pack("<IBB", a.size, hi, ci))
                    out.write(a.reshape(-1).astype("<u4").tobytes())
                    out.write(rgba.tobytes())


if __name__ == "__main__":
    main()
