"""by('c', R('v')) of 10^7 float32 points in a pandas DataFrame, 20 categories (a pandas
categorical), 2000 x 2000, ranges given: the call's wall and CPU time, a checksum and the NaN
count of the aggregate, and the process's peak RSS, REPS times (default 3).

Usage: python python/benches/by_one_pass.py [mean|sum|max|min|count|...]
"""
import os
import resource
import sys
import time

import numpy as np
import pandas as pd

import gigaplot as gp

n = 10**7
rng = np.random.default_rng(7)
x = (rng.standard_normal(n) * 3).astype(np.float32)
y = (rng.standard_normal(n) * 3).astype(np.float32)
v = rng.standard_normal(n).astype(np.float32)
c = pd.Categorical.from_codes(rng.integers(0, 20, n).astype(np.int8), [f"k{i}" for i in range(20)])
df = pd.DataFrame({"x": x, "y": y, "v": v, "c": c})
red = sys.argv[1] if len(sys.argv) > 1 else "mean"
agg = gp.by("c", getattr(gp, red)("v"))
cvs = gp.Canvas(2000, 2000, (-10, 10), (-10, 10))
for _ in range(int(os.environ.get("REPS", "3"))):
    r0 = resource.getrusage(resource.RUSAGE_SELF); t = time.perf_counter()
    out = cvs.points(df, "x", "y", agg=agg)
    took = time.perf_counter() - t; r1 = resource.getrusage(resource.RUSAGE_SELF)
    a = np.asarray(out)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(f"{red}: {took:.2f} s wall, {cpu:.2f} s CPU, sum {np.nansum(a):.6f}, nan {int(np.isnan(a).sum())}, peak {r1.ru_maxrss/1024:.0f} MB", flush=True)
    del out, a
