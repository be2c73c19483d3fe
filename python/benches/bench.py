"""Benchmarks of the Python package, side by side with Datashader in one run.

1. out of core: gp.render of N np.memmap float32 points (default 10^8) to a 40000 x 40000
   PNG, in a fresh child process whose peak RSS (the whole Python process: interpreter,
   NumPy, the render) is read with getrusage; target under 400 MB.
2. in memory: cvs.points + shade + to_pil() for 10^7 points at 8000 x 8000, gigaplot and
   Datashader, each warmed up first (Datashader's JIT excluded), best of 3; target >= 3x.
3. by(c, sum(v)) (one pass per category) and count_cat(c) (one pass) of the same points with
   4 categories at 2000 x 2000, points and width-0 lines, against Datashader's ds.by.

Usage: python python/benches/bench.py [--points N] [--side PX] [--dir DIR]
           [--memory-points N] [--memory-dir DIR] [--skip-out-of-core] [--skip-by]
--dir and --memory-dir may hold x.npy and y.npy already (read only: the PNG goes to a
temporary directory); --memory-dir's columns are loaded into a pandas DataFrame.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

CHILD = r"""
import json, resource, sys, time
import numpy as np
import gigaplot as gp
x = np.load(sys.argv[1], mmap_mode="r")
y = np.load(sys.argv[2], mmap_mode="r")
side = int(sys.argv[4])
t = time.perf_counter()
summary = gp.render({"x": x, "y": y}, "x", "y", output=sys.argv[3], width=side, height=side,
                    x_range=(-10, 10), y_range=(-10, 10), how="log", cmap="inferno", bare=True)
took = time.perf_counter() - t
print(json.dumps({"seconds": took, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "plotted": summary["plotted"]}))
"""


def write_points(directory, n, seed=1, chunk=10_000_000):
    """x.npy and y.npy of n float32 normal points, written chunk by chunk (bounded memory)."""
    paths = [os.path.join(directory, f"{k}.npy") for k in "xy"]
    if all(os.path.exists(p) and np.load(p, mmap_mode="r").shape == (n,) for p in paths):
        return paths
    rng = np.random.default_rng(seed)
    maps = [np.lib.format.open_memmap(p, mode="w+", dtype=np.float32, shape=(n,)) for p in paths]
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        for m in maps:
            m[start:stop] = rng.standard_normal(stop - start, dtype=np.float32) * 3
    for m in maps:
        m.flush()
    del maps
    return paths


def out_of_core(directory, n, side):
    x, y = write_points(directory, n)
    with tempfile.TemporaryDirectory(prefix="gigaplot-bench-out-") as out_dir:
        out = os.path.join(out_dir, "big.png")
        done = subprocess.run([sys.executable, "-c", CHILD, x, y, out, str(side)], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        result = json.loads(done.stdout)
        result["png_mb"] = os.path.getsize(out) / 1e6
    return result


def best_of(runs, f):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def frame(n, directory=None):
    """n points: the x.npy and y.npy of `directory` (loaded), or normal float64 ones."""
    import pandas as pd

    if directory is not None:
        return pd.DataFrame({k: np.load(os.path.join(directory, f"{k}.npy"))[:n] for k in "xy"})
    rng = np.random.default_rng(2)
    return pd.DataFrame({"x": rng.standard_normal(n) * 3, "y": rng.standard_normal(n) * 3})


def in_memory(df, side):
    import datashader as ds
    import datashader.transfer_functions as tf
    import gigaplot as gp

    ranges = dict(x_range=(-10, 10), y_range=(-10, 10))

    def ours():
        gp.shade(gp.Canvas(side, side, **ranges).points(df, "x", "y"), how="eq_hist").to_pil()

    def theirs():
        tf.shade(ds.Canvas(side, side, **ranges).points(df, "x", "y"), how="eq_hist").to_pil()

    ours(), theirs()  # warm-up: imports, Datashader's JIT
    small = min(len(df), 1_000_000)
    same = np.array_equal(
        np.asarray(gp.shade(gp.Canvas(800, 800, **ranges).points(df.iloc[:small], "x", "y")).to_pil()),
        np.asarray(tf.shade(ds.Canvas(800, 800, **ranges).points(df.iloc[:small], "x", "y")).to_pil()))
    g, d = best_of(3, ours), best_of(3, theirs)
    return {"gigaplot_s": g, "datashader_s": d, "speedup": d / g, "same_pixels_at_800": same}


def by_categories(df, side, k=4):
    """Seconds of by(c, sum(v)) and count_cat(c), gigaplot and Datashader, points and lines."""
    import pandas as pd
    import datashader as ds
    import gigaplot as gp

    rng = np.random.default_rng(3)
    n = len(df)
    extra = dict(v=rng.standard_normal(n), c=pd.Categorical(rng.integers(0, k, n)))
    # lines along a random walk (segments of about 0.2 px), points as they are
    walk = pd.DataFrame({"x": np.cumsum(rng.standard_normal(n) * 0.002), "y": np.cumsum(rng.standard_normal(n) * 0.002)})
    frames = {"points": df.assign(**extra), "line": walk.assign(**extra)}
    ranges = dict(x_range=(-10, 10), y_range=(-10, 10))
    rows = []
    for glyph, df in frames.items():
        for name, ours_agg, theirs_agg in (("by(c, sum(v))", gp.by("c", gp.sum("v")), ds.by("c", ds.sum("v"))),
                                           ("count_cat(c)", gp.count_cat("c"), ds.count_cat("c"))):
            def ours():
                getattr(gp.Canvas(side, side, **ranges), glyph)(df, "x", "y", agg=ours_agg)

            def theirs():
                getattr(ds.Canvas(side, side, **ranges), glyph)(df, "x", "y", agg=theirs_agg)

            ours(), theirs()
            g, d = best_of(3, ours), best_of(3, theirs)
            rows.append((glyph, name, g, d))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=100_000_000)
    parser.add_argument("--side", type=int, default=40_000)
    parser.add_argument("--memory-points", type=int, default=10_000_000)
    parser.add_argument("--memory-side", type=int, default=8_000)
    parser.add_argument("--dir", default=None, help="where the memmap columns go (kept for reuse)")
    parser.add_argument("--memory-dir", default=None, help="x.npy and y.npy for the in-memory benchmarks")
    parser.add_argument("--skip-out-of-core", action="store_true")
    parser.add_argument("--skip-by", action="store_true")
    parser.add_argument("--by-side", type=int, default=2000)
    args = parser.parse_args()
    if not args.skip_out_of_core:
        directory = args.dir or tempfile.mkdtemp(prefix="gigaplot-bench-")
        os.makedirs(directory, exist_ok=True)
        r = out_of_core(directory, args.points, args.side)
        print(f"gp.render {args.points:,} memmap float32 points -> {args.side}^2 PNG: {r['seconds']:.1f} s, "
              f"peak RSS of the Python process {r['peak_rss_mb']:.0f} MB (target < 400), "
              f"PNG {r['png_mb']:.0f} MB, {r['plotted']:,} plotted", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    df = frame(args.memory_points, args.memory_dir)
    r = in_memory(df, args.memory_side)
    print(f"cvs.points + shade + to_pil, {args.memory_points:,} points at {args.memory_side}^2 (warm, best of 3): "
          f"gigaplot {r['gigaplot_s']:.2f} s, Datashader {r['datashader_s']:.2f} s, {r['speedup']:.1f}x "
          f"(target >= 3x); same pixels at 800^2: {r['same_pixels_at_800']}", flush=True)
    if not args.skip_by:
        for glyph, name, g, d in by_categories(df, args.by_side):
            print(f"{glyph} {name}, {len(df):,} rows, 4 categories at {args.by_side}^2 (warm, best of 3): "
                  f"gigaplot {g:.2f} s, Datashader {d:.2f} s, {d / g:.2f}x", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
