#!/usr/bin/env bash
# Same input, same trace, byte for byte, in separate processes and across builds:
# the corpus and N generated runs are replayed by balloon-repro --json (whose trace
# carries every hypercall's extents, so frames are compared, not only counts) twice
# in two processes, and, when a second build's balloon-repro is given, by that one too.
#   test_determinism.sh BALLOON_REPRO CORPUS_DIR WORK_DIR [N] [OTHER_BALLOON_REPRO]
# Exit 0 when every output agrees, 1 naming the first difference, 77 (skipped) when
# OTHER_BALLOON_REPRO is given but not built.
set -uo pipefail
if [[ $# -lt 3 || $# -gt 5 ]]; then
  echo "usage: test_determinism.sh BALLOON_REPRO CORPUS_DIR WORK_DIR [N] [OTHER_BALLOON_REPRO]" >&2
  exit 2
fi
repro=$1 corpus=$2 work=$3 count=${4:-300} other=${5:-}
if [[ -n $other && ! -x $other ]]; then
  echo "skipped: $other is not built (ci/test builds it)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work/generated"
# Runs from a seeded generator: the version byte, then 8 to 200 bytes of anything.
LC_ALL=C awk -v n="$count" -v dir="$work/generated" 'BEGIN {
  srand(20261129)
  for (i = 0; i < n; i++) {
    file = sprintf("%s/run-%04d", dir, i)
    printf "%c", 1 > file
    len = 8 + int(rand() * 193)
    for (j = 0; j < len; j++) printf "%c", int(rand() * 256) > file
    close(file)
  }
}'
inputs=("$corpus/balloon_events" "$corpus/regressions" "$work/generated")

status=0
replay_all() {  # replay_all REPRO OUT
  local variant
  for variant in fixed legacy; do
    "$1" --json --variant "$variant" "${inputs[@]}" >>"$2" 2>>"$2.err"
    [[ $? -le 1 ]] || { echo "FAIL: $1 could not replay the inputs: $(head -n 3 "$2.err")"; status=1; }
  done
}
compare() {  # compare A B WHAT
  if cmp -s "$1" "$2"; then
    echo "identical: $3 ($(wc -l <"$1") runs)"
  else
    echo "FAIL: $3 differ; first difference:"
    diff <(tr ',' '\n' <"$1") <(tr ',' '\n' <"$2") | head -n 8
    status=1
  fi
}
replay_all "$repro" "$work/first"
replay_all "$repro" "$work/second"
compare "$work/first" "$work/second" "two processes of $(basename "$(dirname "$(dirname "$repro")")")"
grep -q '"extents_answered":\[[0-9]' "$work/first" || { echo "FAIL: no trace shows a frame"; status=1; }
if [[ -n $other ]]; then
  replay_all "$other" "$work/other"
  compare "$work/first" "$work/other" "two builds ($repro, $other)"
fi
exit $status
