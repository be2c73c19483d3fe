#!/bin/sh
# Every kind of pyramid against the --bare render of its finest level (issue 15: a pyramid
# takes at most 1.5x its bare render): count, mean, max --how linear, count-cat, lines,
# --spread 2 count and a raster, each as --bare PNG, XYZ pyramid and DZI, RUNS rounds
# alternating (every kind's bare, XYZ, DZI in turn, then the next round), medians printed
# as a Markdown table: each median's wall time with every run's, the CPU (user + sys) and
# peak RSS of the median run, and the ratios of the median wall and CPU times to bare's.
#
#   benches/pyramids.sh BIN DATA OUT
#
# BIN: a gigaplot binary (a release build). DATA: a directory with x.npy and y.npy (from
# `gigaplot generate`) and c.npy, raster.npy, wx.npy, wy.npy (from
# `python3 benches/pyramids_data.py DATA`). OUT: where outputs go (tmpfs, e.g. /dev/shm/x,
# so the file system's inode allocation is not timed; emptied before each run).
# Environment: SIZE (canvas side, default 8192), RUNS (default 3), RANGE (default -17,17),
# KINDS (a space-separated subset of: count mean max count-cat lines spread raster),
# LOG (every run's line is appended there too; default OUT/runs.txt).
set -eu
[ $# -eq 3 ] || { sed -n '2,17p' "$0"; exit 2; }
bin=$1 data=$2 out=$3
size=${SIZE:-8192} runs=${RUNS:-3} range=${RANGE:--17,17}
kinds=${KINDS:-count mean max count-cat lines spread raster}
mkdir -p "$out"
log=${LOG:-$out/runs.txt}
: >"$log"
points="--x $data/x.npy --y $data/y.npy --x-range=$range --y-range=$range"

# The render flags of a kind.
flags() {
    case $1 in
    count) echo "$points" ;;
    mean) echo "$points --agg mean --value $data/x.npy" ;;
    max) echo "$points --agg max --value $data/x.npy --how linear" ;;
    count-cat) echo "$points --agg count-cat --value $data/c.npy" ;;
    lines) echo "--x $data/wx.npy --y $data/wy.npy --x-range=$range --y-range=$range --glyph lines" ;;
    spread) echo "$points --spread 2" ;;
    raster) echo "--raster $data/raster.npy" ;;
    *) echo "unknown kind $1" >&2; exit 2 ;;
    esac
}

# One timed run: kind, mode (bare, xyz, dzi). Appends "kind mode wall cpu rss_mb" to $log.
one() {
    kind=$1 mode=$2
    rm -rf "$out/run"
    case $mode in
    bare) target="--bare -o $out/run.png" ;;
    xyz) target="--pyramid $out/run" ;;
    dzi) target="--pyramid $out/run --pyramid-format dzi" ;;
    esac
    # shellcheck disable=SC2046
    /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" \
        "$bin" render $(flags "$kind") --width "$size" --height "$size" -q $target
    read -r wall user sys rss <"$out/time.txt"
    cpu=$(echo "$user $sys" | awk '{printf "%.2f", $1 + $2}')
    line="$kind $mode $wall $cpu $((rss / 1000))"
    echo "$line" >>"$log"
    echo "$line" >&2
    rm -rf "$out/run" "$out/run.png"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for kind in $kinds; do
    # Warm the page cache: the inputs are read once before timing.
    "$bin" render $(flags "$kind") --width 256 --height 256 -q --bare -o "$out/warm.png"
done
round=1
while [ "$round" -le "$runs" ]; do
    for kind in $kinds; do
        for mode in bare xyz dzi; do one "$kind" "$mode"; done
    done
    round=$((round + 1))
done
rm -f "$out/warm.png" "$out/time.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# The table: medians of wall time (and the CPU and RSS of the median run), ratios to bare.
awk -v size="$size" -v runs="$runs" '
function median(kind, mode, what,   n, i, j, t, v) {
    n = count[kind, mode]
    for (i = 1; i <= n; i++) v[i] = (what == "cpu" ? cpu[kind, mode, i] : wall[kind, mode, i])
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((n + 1) / 2)]
}
function cell(kind, mode,   m, i, all) {
    m = median(kind, mode, "wall")
    for (i = 1; i <= count[kind, mode]; i++) {
        all = all (i > 1 ? ", " : "") wall[kind, mode, i]
        if (wall[kind, mode, i] == m) { c = cpu[kind, mode, i]; r = rss[kind, mode, i] }
    }
    return sprintf("%.2f s (%s; %s CPU-s, %d MB)", m, all, c, r)
}
{
    n = ++count[$1, $2]
    wall[$1, $2, n] = $3; cpu[$1, $2, n] = $4; rss[$1, $2, n] = $5
    if (!($1 in seen)) { seen[$1] = 1; order[++kinds] = $1 }
}
END {
    printf "| %d^2, median of %d | bare | XYZ | DZI | XYZ / bare: wall, CPU | DZI / bare: wall, CPU |\n", size, runs
    print "|---|---|---|---|---|---|"
    for (k = 1; k <= kinds; k++) {
        kind = order[k]
        b = median(kind, "bare", "wall"); bc = median(kind, "bare", "cpu")
        printf "| %s | %s | %s | %s | %.2fx, %.2fx | %.2fx, %.2fx |\n", kind, cell(kind, "bare"), cell(kind, "xyz"),
            cell(kind, "dzi"), median(kind, "xyz", "wall") / b, median(kind, "xyz", "cpu") / bc,
            median(kind, "dzi", "wall") / b, median(kind, "dzi", "cpu") / bc
    }
}' "$log"
