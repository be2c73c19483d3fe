#!/bin/sh
# Renders the README's pictures that come from the embedded data or `gigaplot generate`, with
# the very commands the README gives beside them (a release build first: cargo build
# --release). The pictures of the Reductions section: tools/reduction_gallery.sh; the others
# (lines, series, rasters) come with the Python that makes their data in the README itself.
set -eu
cd "$(dirname "$0")/.."
gp=target/release/gigaplot
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The top picture: the README's first command, whose output it is, byte for byte
# (tests/cli/visible.rs checks it).
$gp render --x data/x.npy --y data/y.npy --width 1200 --height 900 --cmap fire:0.2 --background black \
    -o docs/images/points-fire.png
# Spreading: 300 generated points.
$gp generate -q --points 300 -o "$work/pts300"
$gp render --x "$work/pts300/x.npy" --y "$work/pts300/y.npy" --width 600 --height 400 --spread 3 \
    --title "300 points, --spread 3" -o docs/images/spread-figure.png
$gp render --x "$work/pts300/x.npy" --y "$work/pts300/y.npy" --width 600 --height 400 --dynspread \
    --dynspread-max 4 --title "300 points, --dynspread" -o docs/images/dynspread-figure.png
