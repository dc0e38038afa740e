#!/usr/bin/env bash
# A replay with --keep-going goes on past an input that breaks the core: the regression
# first aborts its child, the clean seed after it still runs, and the replay counts one
# crash and exits 1. Without --keep-going the same replay stops at the regression.
#   test_keep_going.sh ROOT REPLAY_EXECUTABLE
set -u
root=$1 replay=$2
crash=$root/corpus/regressions/rearm-latches-on-a-zero-populate
clean=$root/corpus/balloon_events/allocation-failures
out=$(BALLOON_VARIANT=legacy "$replay" --keep-going "$crash" "$clean" 2>&1)
status=$?
[[ $status -eq 1 ]] || { echo "FAIL: --keep-going exited $status, not 1:"; echo "$out"; exit 1; }
grep -qxF "$crash: crashed" <<<"$out" || { echo "FAIL: the regression was not counted:"; echo "$out"; exit 1; }
grep -qF "running $clean " <<<"$out" || { echo "FAIL: the replay stopped at the crash:"; echo "$out"; exit 1; }
grep -qxF 'ran 2 inputs, 0 rejected, 1 crashed' <<<"$out" || { echo "FAIL: wrong summary:"; echo "$out"; exit 1; }
# The seed after the regression is clean on legacy on its own.
BALLOON_VARIANT=legacy "$replay" "$clean" >/dev/null 2>&1 || { echo "FAIL: $clean is not clean on legacy"; exit 1; }
# Without --keep-going the replay aborts at the regression and goes no further.
out=$(BALLOON_VARIANT=legacy "$replay" "$crash" "$clean" 2>&1)
status=$?
((status > 128)) || { echo "FAIL: without --keep-going the replay exited $status, not by a signal:"; echo "$out"; exit 1; }
grep -qF "running $crash " <<<"$out" || { echo "FAIL: the regression did not run:"; echo "$out"; exit 1; }
grep -qF "running $clean " <<<"$out" && { echo "FAIL: without --keep-going the replay went on"; exit 1; }
echo "keep-going: the regression crashed, the seed after it ran, exit 1"
