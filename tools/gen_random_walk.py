#!/usr/bin/env python3
"""Writes tests/data/random_walk/: the random-walk polylines the whole-canvas line tests draw
(src/render/whole_canvas_tests.rs, tests/cli/line_values.rs, tests/cli/aa_lines.rs).

    target/pyenv/bin/python tools/gen_random_walk.py tests/data/random_walk   # numpy

3,000 vertices on a 0..10 canvas, from a 64-bit LCG (Knuth's MMIX constants, the top 31 bits
as a float in [0, 1)): steps of at most 0.5 clamped to -1..11 (excursions out of the canvas),
a jump anywhere in -2..12 every 37th vertex (segments crossing many tiles and bands), and a
NaN x (a break in the line) every 211th vertex.

- x.npy, y.npy, v.npy (float64), c.npy (int32): the walk of seed 0x2545f491 with its values
  (NaN every 13th vertex, else a multiple of 1/8 in -10..30: negatives and repeats) and
  categories ((i / 7) % 4), drawn by every line reduction;
- aa_x.npy, aa_y.npy (float64): the walk of seed 0x9e3779b9, whose breaks are doubled at
  every other one (two NaN vertices in a row), drawn anti-aliased.
"""
import math
import os
import sys

import numpy as np

N = 3000
MASK = (1 << 64) - 1


def lcg(seed):
    """The tests' generator: next() in [0, 1) with 31 bits."""
    state = seed

    def next_value():
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) & MASK
        return (state >> 33) / float(1 << 31)

    return next_value


def round_half_away(a):
    """Rust's f64::round: halves away from zero (Python's round() goes to even), and the sign
    kept (-0.25 gives -0.0)."""
    t = float(math.trunc(a))
    if abs(a - t) >= 0.5:
        t += math.copysign(1.0, a)
    return math.copysign(t, a)


def walk(seed, with_values, is_break):
    next_value = lcg(seed)
    xs, ys, vs = [], [], []
    x, y = 5.0, 5.0
    for i in range(N):
        if with_values:
            vs.append(math.nan if i % 13 == 0 else round_half_away((next_value() * 40.0 - 10.0) * 8.0) / 8.0)
        if is_break(i):
            xs.append(math.nan)
            ys.append(1.0)
            continue
        if i % 37 == 0:
            x = next_value() * 14.0 - 2.0
            y = next_value() * 14.0 - 2.0
        else:
            x = min(max(x + next_value() - 0.5, -1.0), 11.0)
            y = min(max(y + next_value() - 0.5, -1.0), 11.0)
        xs.append(x)
        ys.append(y)
    return xs, ys, vs


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    save = lambda name, values, dtype: np.save(os.path.join(out_dir, name), np.array(values, dtype=dtype))
    xs, ys, vs = walk(0x2545F491, True, lambda i: i % 211 == 0)
    save("x.npy", xs, "<f8")
    save("y.npy", ys, "<f8")
    save("v.npy", vs, "<f8")
    save("c.npy", [(i // 7) % 4 for i in range(N)], "<i4")
    xs, ys, _ = walk(0x9E3779B9, False, lambda i: i % 211 == 0 or (i % 211 == 1 and i % 2 == 0))
    save("aa_x.npy", xs, "<f8")
    save("aa_y.npy", ys, "<f8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/random_walk")
