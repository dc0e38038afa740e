#!/usr/bin/env bash
# layers.sh must fire: on a copy of the sources, each wrong-way include below is
# added in turn and layers.sh must exit 1 naming that file; the untouched copy passes.
#   test_layers.sh ROOT WORKDIR
set -u
root=$1 work=$2
check=$root/tests/layers.sh
rm -rf "$work"
mkdir -p "$work"
copy() {
  rm -rf "$work/tree"
  mkdir -p "$work/tree"
  (cd "$root" && tar cf - driver sim run fuzz props tools bench tests) | (cd "$work/tree" && tar xf -)
}
copy
"$check" "$work/tree" >"$work/log" 2>&1 || { echo "FAIL: the untouched sources do not pass:"; cat "$work/log"; exit 1; }

status=0
while IFS='|' read -r file include; do
  copy
  if [[ $include == \<*\> ]]; then
    line="#include $include"
    include=${include#<}
    include=${include%>}
  else
    line="#include \"$include\""
  fi
  sed -i "0,/^#include/s@^#include@$line\n#include@" "$work/tree/$file"
  "$check" "$work/tree" >"$work/log" 2>&1
  rc=$?
  if [[ $rc -eq 1 ]] && grep -q "^$file: #include \"$include\"" "$work/log"; then
    echo "fires: $file including $include"
  else
    echo "FAIL: $file including $include gave exit $rc:"
    cat "$work/log"
    status=1
  fi
done <<'CASES'
sim/sim.h|run/event.h
sim/sim.cc|driver/xen-2.6.18/balloon.h
driver/env.h|sim/sim.h
driver/parse.cc|driver/xen-2.6.18/balloon.h
run/codec.h|tools/render.h
fuzz/harness.h|props/support.h
tools/render.h|fuzz/harness.h
run/world.cc|world.h
sim/sim.h|<run/world.h>
sim/config.cc|driver/../run/event.h
CASES
exit $status
