#!/usr/bin/env bash
# Every test written in a source file is a test the binary runs: a test compiled out
# (#if 0, a stray #ifdef) or never linked is a failure here, not a silent absence.
# Reads TEST(Suite, Name) and RC_GTEST_PROP(Suite, Name, ...) from the sources and
# compares them with the binary's --gtest_list_tests.
#   test_registry.sh BINARY SOURCE...
set -u
if [[ $# -lt 2 ]]; then
  echo "usage: test_registry.sh BINARY SOURCE..." >&2
  exit 2
fi
binary=$1
shift
written=$(sed -nE 's/^[[:space:]]*(TEST|RC_GTEST_PROP)\(([A-Za-z0-9_]+),[[:space:]]*([A-Za-z0-9_]+).*/\2.\3/p' "$@" | sort -u)
listed=$("$binary" --gtest_list_tests | awk '/^[^ ]/ { suite = $1 } /^  / { print suite $1 }' | sort -u)
[[ -n $written ]] || { echo "FAIL: no test found in $*"; exit 1; }
missing=$(comm -23 <(echo "$written") <(echo "$listed"))
if [[ -n $missing ]]; then
  echo "FAIL: written in the sources but not in $(basename "$binary"):"
  echo "$missing" | sed 's/^/  /'
  exit 1
fi
echo "$(basename "$binary"): all $(echo "$written" | wc -l) tests written in the sources are registered"
