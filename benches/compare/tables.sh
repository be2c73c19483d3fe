#!/bin/sh
# Read speed of the table formats against .npy: renders 10^8 float32 points at 20000^2 from
# .npy, Parquet (snappy, 1M-row groups), Arrow IPC (uncompressed, 1M-row batches) and CSV,
# side by side in one run, printing wall time, CPU time and peak RSS of each.
#
#   benches/compare/tables.sh [DIR] [POINTS]     # default DIR=/tmp/gigaplot-bench-tables, 10^8 points
#
# The tables are written once by the ignored test `write_bench_tables` (the Rust parquet,
# arrow and csv writers) from `gigaplot generate`'s x.npy and y.npy; set NO_CSV=1 to skip CSV.
set -eu
dir=${1:-/tmp/gigaplot-bench-tables}
points=${2:-100000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${GIGAPLOT:-$root/target/release/gigaplot}
mkdir -p "$dir"
[ -x "$bin" ] || (cd "$root" && cargo build --release)
[ -f "$dir/x.npy" ] || "$bin" generate -q --points "$points" --out "$dir"
if [ ! -f "$dir/pts.parquet" ]; then
    csv=1; [ -n "${NO_CSV:-}" ] && csv=
    (cd "$root" && GIGAPLOT_BENCH_DIR="$dir" GIGAPLOT_BENCH_CSV=$csv \
        cargo test --release --test cli write_bench_tables -- --ignored --exact topics::tables::write_bench_tables)
fi
common="--width 20000 --height 20000 --memory 256MiB -q --bare"
run() {
    name=$1; shift
    # Cold-ish and warm: the second of two runs is reported (page cache warm for all).
    "$bin" render "$@" $common -o "$dir/out-$name.png" >/dev/null 2>&1 || true
    /usr/bin/time -f "$name: %e s wall, %U+%S s CPU, %M KB peak RSS" "$bin" render "$@" $common -o "$dir/out-$name.png"
}
ls -l "$dir"
run npy --x "$dir/x.npy" --y "$dir/y.npy"
run parquet "$dir/pts.parquet" --x x --y y
run arrow "$dir/pts.arrow" --x x --y y
[ -f "$dir/pts.csv" ] && run csv "$dir/pts.csv" --x x --y y
for f in parquet arrow csv; do
    [ -f "$dir/out-$f.png" ] && { cmp -s "$dir/out-npy.png" "$dir/out-$f.png" && echo "$f: same PNG as npy" || echo "$f: PNG DIFFERS"; }
done
