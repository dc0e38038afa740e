#!/usr/bin/env bash
# The arrows between layers point down only. Every quoted #include names its folder
# (`#include "sim/sim.h"`), and each folder is one layer:
#   driver/  the boundary (env.h), kernel helpers, one subfolder per ported driver
#   sim/     the simulated host and guest; of driver/ it may see only driver/env.h
#   run/     events, encoding, world, checker, recorder, failures
#   engines  fuzz/ props/ tools/ bench/ tests/: each sees the layers, not each other
# A driver's subfolder sees the shared driver/ headers but no other driver; of the
# shared files only the registry, driver/drivers.cc, includes the drivers. Includes
# in angle brackets that name a layer folder count too, and no include may climb out
# with '..'.
#   layers.sh ROOT      exit 0 when every include points down, 1 naming each that
#                       does not, 2 for a bad command line
set -u
if [[ $# -ne 1 || ! -d $1 ]]; then
  echo "usage: layers.sh ROOT" >&2
  exit 2
fi
cd "$1" || exit 2

rank() {
  case $1 in
    driver) echo 0 ;;
    sim) echo 1 ;;
    run) echo 2 ;;
    fuzz | props | tools | bench | tests) echo 3 ;;
    *) echo -1 ;;
  esac
}

bad=0
checked=0
while IFS= read -r file; do
  from=${file%%/*}
  from_rank=$(rank "$from")
  ((from_rank >= 0)) || continue
  while IFS= read -r line; do
    included=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^">]*)[">].*/\1/' <<<"$line")
    # An angle-bracket include is ours only when it names a layer folder.
    if [[ $line =~ include[[:space:]]*\< ]] && ((
      $(rank "${included%%/*}") < 0)); then
      continue
    fi
    checked=$((checked + 1))
    to=${included%%/*}
    [[ $included == */* ]] || to=""
    to_rank=$(rank "$to")
    why=""
    if [[ $included == *..* ]]; then
      why="climbs out of its folder with '..'"
    elif ((to_rank < 0)); then
      why="names no layer folder"
    elif [[ $to != "$from" ]] && ((to_rank >= from_rank)); then
      why="$from/ may not include $to/ (a layer sees only the layers below it)"
    elif [[ $from == sim && $to == driver && $included != driver/env.h ]]; then
      why="sim/ sees only the boundary, driver/env.h"
    elif [[ $from == driver && $included == driver/*/* ]]; then
      own=$(cut -d/ -f2 <<<"$file")
      if [[ $file == driver/drivers.cc ]]; then
        :  # the registry makes every driver
      elif [[ $file != driver/*/* ]]; then
        why="the shared driver/ files may not include a driver's own files"
      elif [[ $included != driver/$own/* ]]; then
        why="one driver may not include another's files"
      fi
    fi
    if [[ -n $why ]]; then
      echo "$file: #include \"$included\": $why"
      bad=1
    fi
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$file")
done < <(find driver sim run fuzz props tools bench tests -type f \( -name '*.h' -o -name '*.cc' -o -name '*.hpp' -o -name '*.cpp' -o -name '*.inc' \) 2>/dev/null | sort)

if ((bad)); then
  exit 1
fi
echo "layers: $checked includes, every one points down"
