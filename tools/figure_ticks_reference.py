"""Prints Matplotlib's major tick values and labels for the cases tested in src/figure/ticks.rs.

Run with a Python that has Matplotlib (3.10+):  python tools/figure_ticks_reference.py
nbins is what gigaplot computes from the axis length; the formatter sees the ticks and view.
"""
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator, ScalarFormatter, LogLocator, AutoMinorLocator

CASES = [(0.0, 1.0, 9), (-10.0, 10.0, 9), (0.001, 0.0013, 9), (-3.7, 12.2, 5),
         (1000.001, 1000.003, 9), (0.0, 1e7, 9), (0.0, 3e-6, 9), (-1.0, 1.0, 3), (0.0, 1.0, 2),
         (-0.3, 0.3, 9)]

for lo, hi, nbins in CASES:
    fig, ax = plt.subplots()
    ax.set_xlim(lo, hi)
    loc = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10])
    ax.xaxis.set_major_locator(loc)
    fmt = ScalarFormatter()
    ax.xaxis.set_major_formatter(fmt)
    ticks = loc.tick_values(lo, hi)
    labels = fmt.format_ticks(ticks)
    print(f"({lo!r}, {hi!r}, {nbins}): {list(map(float, ticks))}")
    print(f"   labels {labels} offset {fmt.get_offset()!r}")
    ax.xaxis.set_minor_locator(AutoMinorLocator())
    minor = ax.xaxis.get_minorticklocs()
    print(f"   minor {len(minor)} first {list(map(float, minor[:6]))}")
    plt.close(fig)

for lo, hi in [(1.0, 1e6), (1e-3, 1e9)]:
    fig, ax = plt.subplots()
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    print(f"log ({lo}, {hi}): {list(map(float, ax.xaxis.get_majorticklocs()))}")
    print(f"   labels {[t.get_text() for t in ax.xaxis.get_majorticklabels()]}")
    plt.close(fig)
