#!/usr/bin/env bash
# balloon-swap exchanges two directories whole, and refuses when one is missing.
#   test_swap.sh BALLOON_SWAP WORK_DIR
set -euo pipefail
swap=$1 work=$2
rm -rf "$work"
mkdir -p "$work/a" "$work/b"
echo old >"$work/a/seed"
echo merged >"$work/b/seed"
echo new >"$work/b/found"
"$swap" "$work/a" "$work/b"
[[ $(cat "$work/a/seed") == merged && -f $work/a/found ]] || { echo "a did not receive b" >&2; exit 1; }
[[ $(cat "$work/b/seed") == old && ! -e $work/b/found ]] || { echo "b did not receive a" >&2; exit 1; }
if "$swap" "$work/a" "$work/missing" 2>/dev/null; then
  echo "swapping with a missing directory should fail" >&2
  exit 1
fi
[[ -f $work/a/found ]] || { echo "a failed swap changed a" >&2; exit 1; }
echo "balloon-swap exchanged the directories and refused a missing one"
