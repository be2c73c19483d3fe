#!/bin/sh
# Renders the pictures of README's "Reductions" section from the embedded data, with the
# commands the README gives: the three 800 x 600 figures (count, mean, count-cat) and the
# small ones (docs/images/agg-*.png), one per value reduction. Needs python3 with numpy (for the value columns) and
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
np.save('$work/quadrant.npy', (x > 0).astype(np.uint8) + 2 * (y > 0).astype(np.uint8))
"
gp=target/release/gigaplot
$gp render --x data/x.npy --y data/y.npy --width 800 --height 600 --cmap fire:0.2 \
    --background black --title "500,000 points, count" --xlabel x --ylabel y --colorbar \
    -o docs/images/count-figure.png
$gp render --x data/x.npy --y data/y.npy --agg mean --value "$work/r.npy" --width 800 --height 600 \
    --cmap viridis --background black --title "mean of r = hypot(x, y)" --xlabel x --ylabel y \
    -o docs/images/mean-figure.png
$gp render --x data/x.npy --y data/y.npy --agg count-cat --value "$work/quadrant.npy" \
    --labels SW,SE,NW,NE --width 800 --height 600 --background black \
    --title "count-cat by quadrant" --xlabel x --ylabel y -o docs/images/count-cat-figure.png
for agg in any sum min max var std first last; do
    case $agg in
        first | last) value="--value=$work/row.npy" title="$agg row index" ;;
        any) value="" title="any" ;; # any reads no value column
        *) value="--value=$work/r.npy" title="$agg of r" ;;
    esac
    # shellcheck disable=SC2086 # $value is one flag or none
    $gp render --x data/x.npy --y data/y.npy --x-range=-12,13 --y-range=-12,13 \
        --agg "$agg" $value --width 240 --height 240 --cmap viridis --background black \
        --title="$title" --compression small -o "docs/images/agg-$agg.png"
done
