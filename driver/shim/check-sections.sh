#!/usr/bin/env bash
# check-sections.sh OBJECT: the source driver's object may keep writable state only
# in bbsrc_data and bbsrc_bss, the two sections the shim puts back before each run.
# Anything else (thread-local data, a section the build did not rename) would carry
# state from one run into the next; name it and fail.
set -euo pipefail
if [[ $# -ne 1 || ! -f $1 ]]; then
  echo "usage: check-sections.sh OBJECT" >&2
  exit 2
fi
leftover=$(readelf -SW "$1" | sed -nE 's/^ *\[ *[0-9]+\] +([^ ]+) .*/\1/p' |
  grep -E '^\.(data|bss|tdata|tbss)' | grep -Ev '^\.data\.rel\.ro' || true)
if [[ -n $leftover ]]; then
  echo "check-sections.sh: $1 keeps state in $(tr '\n' ' ' <<<"$leftover")which the shim cannot reset between runs" >&2
  exit 1
fi
