#!/usr/bin/env bash
# The line a fuzz target prints before it aborts is the documented failure object:
# replaying a regression on legacy through the balloon_events harness prints exactly
# one BALLOONBENCH-FAILURE line, valid against docs/schemas/run.schema.json#/$defs/
# failure, naming the invariant the file's name starts with.
#   test_failure_line.sh ROOT REPLAY_EXECUTABLE WORK_DIR
set -u
root=$1 replay=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
file=$root/corpus/regressions/rearm-latches-on-a-zero-populate
BALLOON_VARIANT=legacy "$replay" "$file" >"$work/out" 2>&1
status=$?
[[ $status -ne 0 ]] || { echo "FAIL: the replay did not abort on a regression"; exit 1; }
grep -a '^BALLOONBENCH-FAILURE ' "$work/out" >"$work/lines"
[[ $(wc -l <"$work/lines") -eq 1 ]] || { echo "FAIL: expected one failure line:"; cat "$work/out"; exit 1; }
sed 's/^BALLOONBENCH-FAILURE //' "$work/lines" >"$work/failure.json"
"$root/tests/validate_json.py" "$root/docs/schemas/run.schema.json" --def failure <"$work/failure.json" ||
  exit 1
key=$(jq -r .key "$work/failure.json")
[[ $key == invariant:rearm ]] || { echo "FAIL: the failure line's key is $key"; exit 1; }
echo "failure line: $(cat "$work/failure.json")"
