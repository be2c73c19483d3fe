#!/bin/sh
# Renders the small pictures of README's "Reductions" section (docs/images/agg-*.png) from the
# embedded data: one per value reduction. Needs python3 with numpy (for the value columns) and
# a release build (cargo build --release).
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -c "
import numpy as np
x, y = np.load('data/x.npy'), np.load('data/y.npy')
np.save('$work/r.npy', np.hypot(x, y).astype(np.float32))
np.save('$work/row.npy', np.arange(len(x), dtype=np.uint32))
"
for agg in any sum min max var std first last; do
    case $agg in
        first | last) value="--value=$work/row.npy" title="$agg row index" ;;
        any) value="" title="any" ;; # any reads no value column
        *) value="--value=$work/r.npy" title="$agg of r" ;;
    esac
    # shellcheck disable=SC2086 # $value is one flag or none
    target/release/gigaplot render --x data/x.npy --y data/y.npy --x-range=-12,13 --y-range=-12,13 \
        --agg "$agg" $value --width 240 --height 240 --cmap viridis --background black \
        --title="$title" --compression small -o "docs/images/agg-$agg.png"
done
