#!/usr/bin/env bash
# balloon-repro's command line: --save writes the canonical encoding once and never
# replaces a file; the saved run replays to the same verdict; --expect judges;
# bad command lines and unreadable inputs exit 2 with a message.
#   test_repro.sh BALLOON_REPRO CORPUS_DIR WORK_DIR
set -uo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: test_repro.sh BALLOON_REPRO CORPUS_DIR WORK_DIR" >&2
  exit 2
fi
repro=$1 corpus=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
# expect_status STATUS COMMAND...: run COMMAND, check its exit status, keep stderr.
expect_status() {
  local want=$1
  shift
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  [[ $got -eq $want ]] || fail "$* exited $got, expected $want: $(head -c 300 "$work/err")"
}

regression=$corpus/regressions/rearm-latches-on-a-zero-populate
# The verdict is still the run's: it breaks rearm on legacy.
expect_status 1 "$repro" --quiet --variant legacy --save "$work/saved" "$regression"
[[ -s $work/saved ]] || fail "--save wrote nothing"
cp "$work/saved" "$work/saved.copy"
# The saved run breaks the same invariant on legacy and nothing on fixed.
expect_status 0 "$repro" --quiet --variant legacy --expect rearm "$work/saved"
expect_status 0 "$repro" --quiet --expect no-violation "$work/saved"
expect_status 1 "$repro" --quiet --variant legacy --expect no-violation "$work/saved"
# A second save to the same name is refused and the file is left as it was.
expect_status 2 "$repro" --quiet --save "$work/saved" "$corpus/balloon_events/zero-populate"
grep -q "exists; not overwriting it" "$work/err" || fail "refusal does not say why: $(cat "$work/err")"
cmp -s "$work/saved" "$work/saved.copy" || fail "a refused --save changed the file"
ls -A "$work" | grep -q '\.tmp' && fail "--save left a temporary file behind"
# Bad command lines and inputs.
expect_status 2 "$repro" --variant sideways "$regression"
grep -q "sideways" "$work/err" || fail "an unknown variant is not named in the error"
expect_status 2 "$repro" --mutant no-such-bug "$regression"
expect_status 2 "$repro" --expect no-such-id "$regression"
expect_status 2 "$repro"
expect_status 2 "$repro" "$work/missing-file"
expect_status 2 "$repro" --save "$work/two" "$regression" "$regression"
expect_status 0 "$repro" --help
grep -q "usage: balloon-repro" "$work/out" || fail "--help prints no usage"
if ((failed)); then exit 1; fi
echo "balloon-repro: save, refusal to overwrite, expect and command-line errors behave"
