"""The extra inputs of benches/pyramids.sh, next to `gigaplot generate`'s x.npy and y.npy.

    python3 benches/pyramids_data.py DIR [RASTER_SIDE] [WALK_POINTS]

writes into DIR (skipping files that exist):
- c.npy: a uint8 category per point of DIR/x.npy and DIR/y.npy (4 categories: the quadrant
  of the point), for count-cat pyramids;
- raster.npy: a RASTER_SIDE^2 float32 raster (default 8192), a smooth field plus noise;
- wx.npy, wy.npy: a float32 random walk of WALK_POINTS vertices (default 10^7) inside
  -17..17, for line pyramids (the generated points are independent, so a line through them
  would cross the canvas at every segment).

Needs NumPy; works in chunks, so 10^9 points need little memory.
"""

import os
import sys

import numpy as np


def categories(d):
    out = os.path.join(d, "c.npy")
    if os.path.exists(out):
        return
    x = np.load(os.path.join(d, "x.npy"), mmap_mode="r")
    y = np.load(os.path.join(d, "y.npy"), mmap_mode="r")
    c = np.lib.format.open_memmap(out + ".tmp.npy", mode="w+", dtype=np.uint8, shape=x.shape)
    step = 1 << 24
    for i in range(0, len(x), step):
        c[i : i + step] = (x[i : i + step] > 0).astype(np.uint8) * 2 + (y[i : i + step] > 0)
    c.flush()
    del c
    os.replace(out + ".tmp.npy", out)


def raster(d, side):
    out = os.path.join(d, "raster.npy")
    if os.path.exists(out):
        return
    r = np.lib.format.open_memmap(out + ".tmp.npy", mode="w+", dtype=np.float32, shape=(side, side))
    rng = np.random.default_rng(7)
    u = np.linspace(0, 6 * np.pi, side, dtype=np.float32)
    step = 256
    for i in range(0, side, step):
        v = u[i : i + step, None]
        block = np.sin(v) * np.cos(u[None, :] * 0.7) + 0.1 * rng.standard_normal((len(v), side), np.float32)
        r[i : i + step] = block
    r.flush()
    del r
    os.replace(out + ".tmp.npy", out)


def walk(d, n):
    for name in ("wx", "wy"):
        out = os.path.join(d, name + ".npy")
        if os.path.exists(out):
            continue
        rng = np.random.default_rng(11 if name == "wx" else 13)
        steps = rng.standard_normal(n) * 0.002
        path = np.cumsum(steps)
        # Scaled so the walk spans most of -16..16, inside the -17..17 range.
        path = path / max(1e-9, np.abs(path).max()) * 16.0
        np.save(out + ".tmp.npy", path.astype(np.float32))
        os.replace(out + ".tmp.npy", out)


if __name__ == "__main__":
    d = sys.argv[1]
    side = int(sys.argv[2]) if len(sys.argv) > 2 else 8192
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000_000
    categories(d)
    raster(d, side)
    walk(d, n)
