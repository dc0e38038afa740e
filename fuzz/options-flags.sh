#!/usr/bin/env bash
# Prints the libFuzzer flags of a target's OSS-Fuzz style .options file, one per line
# (`max_len = 512` under [libfuzzer] becomes -max_len=512), leaving out each flag
# named by --drop. Nothing for a target without an .options file. Every script that
# runs a fuzz target passes these on, so the file is the one place they are chosen.
#   options-flags.sh TARGET [--drop NAME]...
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: options-flags.sh TARGET [--drop NAME]..." >&2
  exit 2
fi
file=$(dirname "$0")/$1.options
shift
drop=()
while [[ $# -gt 0 ]]; do
  [[ $1 == --drop && $# -ge 2 ]] || { echo "options-flags.sh: unknown argument '$1'" >&2; exit 2; }
  drop+=("$2")
  shift 2
done
[[ -f $file ]] || exit 0
sed -n '/^\[libfuzzer\]/,/^\[/{/^[a-z_]\+ *=/{s/ *= */=/;s/^/-/;p}}' "$file" |
  while IFS= read -r flag; do
    name=${flag%%=*}
    keep=1
    for d in ${drop[@]+"${drop[@]}"}; do [[ $name == "-$d" ]] && keep=0; done
    ((keep)) && echo "$flag"
  done
exit 0
