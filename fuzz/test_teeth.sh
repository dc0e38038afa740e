#!/usr/bin/env bash
# teeth.sh reads failures as data. A fake fuzzer prints what a real one would (seeds,
# INITED, a crash report) and saves an artifact; teeth.sh must pass exactly when the
# first structured failure after INITED has the expected key, whatever the detail
# text says, and must fail on prose without the structured line, on another
# invariant, on a crash during the seeds, and on a clean run when a crash is expected.
#   test_teeth.sh TEETH_SH BALLOON_TRIAGE WORKDIR
set -u
teeth=$1 triage=$2 work=$3
rm -rf "$work"
mkdir -p "$work/seeds" "$work/bin/fuzz" "$work/bin/tools"
ln -s "$triage" "$work/bin/tools/balloon-triage"
echo x >"$work/seeds/one"

# The fake fuzzer prints $FAKE_LOG and, if $FAKE_CRASH is set, saves an artifact and
# exits 1, as libFuzzer does on a crash.
cat >"$work/bin/fuzz/fake-fuzzer" <<'FAKE'
#!/usr/bin/env bash
for arg in "$@"; do
  case $arg in -artifact_prefix=*) prefix=${arg#-artifact_prefix=} ;; esac
done
printf '%b' "$FAKE_LOG"
if [[ -n ${FAKE_CRASH:-} ]]; then
  echo crash >"${prefix}crash-0"
  exit 1
fi
exit 0
FAKE
chmod +x "$work/bin/fuzz/fake-fuzzer"

line() {  # a BALLOONBENCH-FAILURE line for invariant $1 with detail $2
  printf 'BALLOONBENCH-FAILURE {"kind":"invariant","key":"invariant:%s","id":"%s","phase":"event","event":3,"detail":"%s","variant":"legacy","mutation":null,"reproduce":"r"}\\n' "$1" "$1" "$2"
}
inited='#2\tINITED cov: 10 ft: 10 corp: 1/1b exec/s: 0 rss: 30Mb\n#40\tNEW cov: 12\n'

status=0
check() {  # check NAME EXPECTED_EXIT EXPECT LOG [crash]
  local name=$1 want=$2 expect=$3 log=$4 crash=${5:-}
  FAKE_LOG=$log FAKE_CRASH=$crash "$teeth" "$work/bin/fuzz/fake-fuzzer" "$expect" 100 "$work/seeds" \
    "$work/run" >"$work/$name.log" 2>&1
  local got=$?
  if [[ $got -eq $want ]]; then
    echo "ok: $name (exit $got)"
  else
    echo "FAIL: $name exited $got, expected $want:"
    cat "$work/$name.log"
    status=1
  fi
}

check expected-key 0 invariant:rearm "$inited$(line rearm 'the detail text may say anything at all')" crash
check reworded-detail 0 invariant:rearm "$inited$(line rearm 'rearm at event #9: a sentence rewritten')" crash
check prose-only 1 invariant:rearm "$inited==balloonbench== rearm at event #3: work returned with no timer\n" crash
check other-invariant 1 invariant:rearm "$inited$(line converge 'mentions rearm in its text')" crash
check crash-during-seeds 1 invariant:rearm "$(line rearm x)$inited" crash
check no-crash 1 invariant:rearm "$inited" ""
check clean-run 0 clean "$inited" ""
check clean-but-crashed 1 clean "$inited$(line rearm x)" crash
check sanitizer-kind 0 sanitizer:heap-buffer-overflow "${inited}SUMMARY: AddressSanitizer: heap-buffer-overflow x.cc:1 in f\n" crash
check sanitizer-other-kind 1 sanitizer:heap-buffer-overflow "${inited}SUMMARY: AddressSanitizer: stack-overflow x.cc:1 in f\n" crash
check leak-is-a-kind 0 sanitizer:leak "${inited}SUMMARY: AddressSanitizer: 24 byte(s) leaked in 1 allocation(s).\n" crash
exit $status
