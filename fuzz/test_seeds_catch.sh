#!/usr/bin/env bash
# A seeded bug is caught by the seed corpus itself: replayed with the mutation, at
# least one seed breaks the invariant the bug exists to trip.
#   test_seeds_catch.sh BALLOON_REPRO MUTANT INVARIANT SEEDS_DIR
set -u
if [[ $# -ne 4 || ! -d $4 ]]; then
  echo "usage: test_seeds_catch.sh BALLOON_REPRO MUTANT INVARIANT SEEDS_DIR" >&2
  exit 2
fi
repro=$1 mutant=$2 id=$3 seeds=$4
for seed in "$seeds"/*; do
  if "$repro" --quiet --mutant "$mutant" --expect "$id" "$seed" >/dev/null 2>&1; then
    echo "test_seeds_catch: $(basename "$seed") catches $mutant as $id"
    exit 0
  fi
done
echo "FAIL: no seed in $seeds breaks $id with mutant $mutant" >&2
exit 1
