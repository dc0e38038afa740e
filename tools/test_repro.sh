#!/usr/bin/env bash
# balloon-repro's command line: --save writes the canonical encoding once and never
# replaces a file; the saved run replays to the same verdict; --expect judges the
# first violation (from-name reads it off the file name); --json is one parseable
# object per input carrying the structured failure; --svg draws the run (legacy's
# hard limit only where latched, the same bytes each time);
# --list-invariants prints the catalogue; bad command lines and unreadable inputs exit
# 2 with a message.
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
# --expect judges the first violation: this run breaks rearm and then converge in the
# same step, so converge is not what it is expected to show.
latched=$corpus/regressions/rearm-latches-under-a-pending-timer-then-never-converges
expect_status 0 "$repro" --quiet --variant legacy --expect rearm "$latched"
expect_status 1 "$repro" --quiet --variant legacy --expect converge "$latched"
grep -q "expected converge first" "$work/err" || fail "--expect does not say what it wanted: $(cat "$work/err")"
expect_status 0 "$repro" --quiet --variant legacy --expect from-name "$latched"
cp "$latched" "$work/converge-misnamed"
expect_status 1 "$repro" --quiet --variant legacy --expect from-name "$work/converge-misnamed"
cp "$latched" "$work/no-such-id-here"
expect_status 2 "$repro" --quiet --variant legacy --expect from-name "$work/no-such-id-here"
# --list-invariants is the catalogue, one id a line.
expect_status 0 "$repro" --list-invariants
[[ $(head -n 1 "$work/out") == ledger && $(wc -l <"$work/out") -eq 13 ]] ||
  fail "--list-invariants printed: $(tr '\n' ' ' <"$work/out")"
grep -qx 'no-partial-return' "$work/out" || fail "--list-invariants lacks no-partial-return"
# --json: one object per input; the verdict carries the structured failure.
expect_status 1 "$repro" --json --variant legacy "$latched" "$regression"
[[ $(wc -l <"$work/out") -eq 2 ]] || fail "--json printed $(wc -l <"$work/out") lines for 2 inputs"
first=$(head -n 1 "$work/out" | jq -r '[.verdict.outcome, .verdict.failure.id, .verdict.failure.key, .variant] | join(" ")')
[[ $first == "violation rearm invariant:rearm legacy" ]] || fail "--json verdict reads: $first"
head -n 1 "$work/out" | jq -e '.trace | map(select(.kind == "violation")) | length == 2' >/dev/null ||
  fail "--json trace does not hold the two violations"
# Every --json object follows the documented schema (docs/schemas/run.schema.json), its
# invariant ids are the catalogue's, and the schema check itself fires on a bad one.
schema=$(dirname "$corpus")/docs/schemas/run.schema.json
validate=$(dirname "$corpus")/tests/validate_json.py
"$repro" --list-invariants >"$work/ids"
"$repro" --json --variant legacy "$corpus/regressions" "$corpus/balloon_events" >"$work/all.json" 2>/dev/null
[[ $? -le 1 ]] || fail "--json over the corpus could not replay it"
"$validate" "$schema" --ids "$work/ids" <"$work/all.json" >"$work/valid.log" ||
  fail "--json does not follow its schema: $(cat "$work/valid.log")"
# mainline's states carry its thread; the schema holds them too.
"$repro" --json --variant mainline "$corpus/balloon_events" >"$work/mainline.json" 2>/dev/null
[[ $? -le 1 ]] || fail "--json --variant mainline could not replay the corpus"
"$validate" "$schema" --ids "$work/ids" <"$work/mainline.json" >"$work/valid.log" ||
  fail "mainline's --json does not follow its schema: $(cat "$work/valid.log")"
jq -e 'select(.trace | any(.state.thread.state == "BP_EAGAIN"))' "$work/mainline.json" \
  >/dev/null || fail "no mainline state shows its thread backing off"
jq -e '.trace | all(.state == null or .state.thread == null)' <(head -n 1 "$work/all.json") \
  >/dev/null || fail "a legacy state carries a thread"
head -n 1 "$work/all.json" | jq -c '.verdict.outcome = "fine"' >"$work/bad.json"
"$validate" "$schema" <"$work/bad.json" >/dev/null && fail "the schema check accepts a bad outcome"
head -n 1 "$work/all.json" | jq -c '.verdict.violations[0].id = "no-such-invariant"' >"$work/bad.json"
"$validate" "$schema" --ids "$work/ids" <"$work/bad.json" >/dev/null &&
  fail "the schema check accepts an id outside the catalogue"
expect_status 0 "$repro" --json "$corpus/balloon_events/zero-populate"
jq -e '.verdict.outcome == "clean" and (.verdict | has("failure") | not)' "$work/out" >/dev/null ||
  fail "a clean run's --json: $(head -c 300 "$work/out")"
# --svg writes one standalone picture naming the violation.
expect_status 1 "$repro" --quiet --variant legacy --svg "$work/t.svg" "$latched"
head -c 5 "$work/t.svg" | grep -q '<svg' || fail "--svg did not write an SVG document"
xmllint --noout "$work/t.svg" 2>"$work/xml.err" || fail "--svg wrote malformed XML: $(head -n 3 "$work/xml.err")"
grep -q '>rearm</text>' "$work/t.svg" || fail "the SVG does not mark the violation"
grep -q 'class="line:hard limit"' "$work/t.svg" || fail "the SVG does not draw legacy's hard limit"
expect_status 1 "$repro" --quiet --variant legacy --svg "$work/t-again.svg" "$latched"
cmp -s "$work/t.svg" "$work/t-again.svg" || fail "the same run drew a different SVG"
expect_status 0 "$repro" --quiet --svg "$work/fixed.svg" "$latched"
xmllint --noout "$work/fixed.svg" 2>/dev/null || fail "--svg wrote malformed XML for a clean run"
grep -q 'class="line:hard limit"' "$work/fixed.svg" && fail "the SVG draws a hard limit for fixed"
expect_status 2 "$repro" --svg "$work/t2.svg" "$latched" "$regression"
# A host of several guests: told by its first byte, one trace per guest, the host's
# verdict first, its reproduce line, and a timeline with a block per guest.
host=$corpus/host-regressions/system-converge-legacy-guest-latched-in-a-shortage
expect_status 1 "$repro" --variant legacy --svg "$work/host.svg" "$host"
grep -q '^-- guest 1 (fixed)$' "$work/out" || fail "the host replay shows no trace of guest 1"
grep -q '^verdict: violation: host: system-converge' "$work/out" ||
  fail "the host replay's verdict reads: $(grep '^verdict' "$work/out")"
grep -q '^reproduce: balloon-repro --host --variant legacy --others fixed ' "$work/out" ||
  fail "the host replay prints no reproduce line"
xmllint --noout "$work/host.svg" 2>/dev/null || fail "--svg wrote malformed XML for a host"
[[ $(grep -c '<svg' "$work/host.svg") -eq 3 ]] || fail "the host's SVG does not hold one timeline per guest"
expect_status 0 "$repro" --quiet --host --variant fixed "$host"
expect_status 0 "$repro" --quiet --host --variant legacy --expect from-name "$host"
expect_status 1 "$repro" --quiet --host --variant legacy --expect rearm "$host"
grep -q "expected rearm first, got violation: host: system-converge" "$work/err" ||
  fail "--expect on a host does not say what came first: $(cat "$work/err")"
expect_status 2 "$repro" --host "$regression"
grep -q "not a host" "$work/err" || fail "--host on a run does not say why"
expect_status 2 "$repro" --json "$host"
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
