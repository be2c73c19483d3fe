#!/bin/bash
# The command-line cases the README's Performance section quotes, timed with GNU time (wall
# seconds and peak RSS) and each PNG's md5 (the first 12 hex digits), binaries alternating
# within a round so that two builds meet the same machine state.
#
#   BINS="old-gigaplot new-gigaplot" REPS=3 DATA=/path benches/cli_cases.sh CASE...
#
# DATA holds p1e8/{x,y,c}.npy and p1e9/{x,y}.npy: `gigaplot generate --points 100000000
# --out DATA/p1e8` (and 1000000000 into p1e9), c.npy a uint8 column of 10^8 category codes
# (e.g. numpy's `np.arange(n) % 5`). Outputs go to /dev/shm. Cases:
#   b20k8   count, 10^8 points @ 20000^2 (issue 14's floor target)
#   b2k8    count, 10^8 @ 2000^2          b2k9   count, 10^9 @ 2000^2
#   b10k9   count, 10^9 @ 10000^2         cc2k8  count-cat, 10^8 @ 2000^2
#   mean2k8 mean of x, 10^8 @ 2000^2      max20k8 max of x, 10^8 @ 20000^2
#   mean4k8 mean of x, 10^8 @ 4000^2 (8 bands at the default budget)
# Eq-hist, --bare, range -17,17 (mean2k8: -10,10). EXTRA adds flags (e.g. --timings).
set -u
BINS=${BINS:?give BINS, the binaries to compare}
REPS=${REPS:-3}
DATA=${DATA:-.}
for case in "$@"; do
  for _ in $(seq "$REPS"); do
    for b in $BINS; do
      out=/dev/shm/cli-case-$(basename "$b").png
      common=(--bare --how eq-hist -o "$out")
      r=(--x-range=-17,17 --y-range=-17,17)
      p8=(--x "$DATA/p1e8/x.npy" --y "$DATA/p1e8/y.npy")
      p9=(--x "$DATA/p1e9/x.npy" --y "$DATA/p1e9/y.npy")
      case $case in
        b20k8) args=("${p8[@]}" --width 20000 --height 20000 "${r[@]}") ;;
        b2k8) args=("${p8[@]}" --width 2000 --height 2000 "${r[@]}") ;;
        b2k9) args=("${p9[@]}" --width 2000 --height 2000 "${r[@]}") ;;
        b10k9) args=("${p9[@]}" --width 10000 --height 10000 "${r[@]}") ;;
        cc2k8) args=("${p8[@]}" --agg count-cat --value "$DATA/p1e8/c.npy" --width 2000 --height 2000 "${r[@]}") ;;
        mean2k8) args=("${p8[@]}" --agg mean --value "$DATA/p1e8/x.npy" --width 2000 --height 2000 --x-range=-10,10 --y-range=-10,10) ;;
        mean4k8) args=("${p8[@]}" --agg mean --value "$DATA/p1e8/x.npy" --width 4000 --height 4000 "${r[@]}") ;;
        max20k8) args=("${p8[@]}" --agg max --value "$DATA/p1e8/x.npy" --width 20000 --height 20000 "${r[@]}") ;;
        *) echo "unknown case $case" >&2; exit 2 ;;
      esac
      # shellcheck disable=SC2086 # EXTRA is split on purpose
      /usr/bin/time -f "$case $(basename "$b") %e s %M KB" "$b" render -q "${args[@]}" "${common[@]}" ${EXTRA:-} 2>&1 | tail -1
      md5sum "$out" | cut -c1-12
    done
  done
done
