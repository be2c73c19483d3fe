#!/usr/bin/env python3
"""Writes tests/data/datashader/shade_cmap_ranges.json: Datashader's tf.shade with parts of
colormaps and lists of colours, as Datashader users pass them.

gigaplot spells a colormap range `NAME:LO[:HI]` and a list of colours `C1,C2,...`
(src/shade/colormap.rs). Each case here gives that spelling (`cmap`) and the Python list
Datashader was given for it: a range of a 256-colour table is the slice
`table[int(LO * 256):int(HI * 256)]` (so `fire:0.2` is `colorcet.fire[51:]`, the
`fire[40:]` idiom of Datashader users); a range of a shorter list first spreads it to 256
colours by linear interpolation in RGB, each channel rounded half up (`spread_to_256`, the
same arithmetic as gigaplot's); a list of colours is passed as it is. The counts are the
aggregates of tools/gen_shade_reference.py; gigaplot's unit test (src/shade/colormap.rs)
shades them with `Colormap::parse(cmap)` and compares the RGBA bytes.

    python3 -m venv /tmp/dsvenv
    /tmp/dsvenv/bin/pip install datashader==0.19.1 numpy==2.4.6 matplotlib==3.11.2 colorcet==3.2.1
    NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL" \\
        /tmp/dsvenv/bin/python tools/gen_cmap_range_reference.py tests/data/datashader
"""

import math
import sys

import colorcet
import datashader
import matplotlib
import matplotlib.colors as mcolors
import numpy as np

import fixture_json
from gen_shade_reference import HOWS, big_aggregate, shade_bytes, small_aggregates

TABLES = {
    "fire": list(colorcet.fire),
    "viridis": [mcolors.to_hex(c) for c in matplotlib.colormaps["viridis"].colors],
    "inferno": [mcolors.to_hex(c) for c in matplotlib.colormaps["inferno"].colors],
}
SHORT = {
    "gray": [(0, 0, 0), (255, 255, 255)],
    "datashader": [(173, 216, 230), (0, 0, 139)],
}


def spread_to_256(colors):
    """gigaplot's spread of a short list to 256 colours, as hex."""
    last = len(colors) - 1
    out = []
    for i in range(256):
        t = i * last / 255.0
        k = min(math.floor(t), max(last - 1, 0))
        f = t - k
        k1 = min(k + 1, last)
        rgb = [math.floor(colors[k][c] + (colors[k1][c] - colors[k][c]) * f + 0.5) for c in range(3)]
        out.append("#%02x%02x%02x" % tuple(rgb))
    return out


def ranged(name, lo, hi=1.0):
    """The list Datashader gets for gigaplot's NAME:LO[:HI]."""
    reverse = name.endswith("_r")
    base = name[:-2] if reverse else name
    colors = TABLES[base] if base in TABLES else spread_to_256(SHORT[base][::-1] if reverse else SHORT[base])
    if reverse and base in TABLES:
        colors = colors[::-1]
    return colors[int(lo * 256):int(hi * 256)]


CASES = [
    ("fire:0.2", ranged("fire", 0.2)),
    ("fire:0.2:1.0", ranged("fire", 0.2, 1.0)),
    ("fire:0.15:0.85", ranged("fire", 0.15, 0.85)),
    ("fire_r:0.3", ranged("fire_r", 0.3)),
    ("viridis:0.1:0.9", ranged("viridis", 0.1, 0.9)),
    ("inferno:0.25", ranged("inferno", 0.25)),
    ("gray:0.2", ranged("gray", 0.2)),
    ("datashader:0.3:0.8", ranged("datashader", 0.3, 0.8)),
    ("#add8e6,#00008b", ["#add8e6", "#00008b"]),
    ("red,#00ff00,blue", ["red", "#00ff00", "blue"]),
    ("black,orange,white", ["black", "orange", "white"]),
]


# The 1000-pixel aggregate only with these, to keep the file small.
BIG_CMAPS = ("fire:0.2", "viridis:0.1:0.9", "#add8e6,#00008b")


def main():
    aggs = [a for a in small_aggregates() if a[0] in ("mixed", "wide", "offset")] + [big_aggregate()]
    cases = []
    for name, agg in aggs:
        for how in HOWS:
            for cmap, colors in CASES:
                if name == "big" and cmap not in BIG_CMAPS:
                    continue
                data = shade_bytes(agg, colors, how)
                cases.append({"aggregate": name, "how": how, "cmap": cmap, "rgba": data.hex()})
    fixture_json.write(sys.argv[1], "shade_cmap_ranges.json", {
        "about": "Datashader's tf.shade(agg, cmap=LIST, how=...) of uint32 count aggregates, where "
                 "LIST is what a Datashader user passes for gigaplot's colormap spelling cmap "
                 "(NAME:LO[:HI] is the slice table[int(LO*256):int(HI*256)], a list of colours is "
                 "itself; see the generator's doc): the counts row-major, the RGBA bytes of every "
                 "pixel in the same order as hex.",
        "generator": "tools/gen_cmap_range_reference.py",
        "versions": fixture_json.versions(datashader, np, matplotlib, colorcet),
        "lists": [{"cmap": cmap, "colors": colors} for cmap, colors in CASES],
        "aggregates": [{"name": name, "counts": agg.reshape(-1)} for name, agg in aggs],
        "cases": cases,
    })


if __name__ == "__main__":
    main()
