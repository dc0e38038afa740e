#!/usr/bin/env bash
# report.html in a real browser. A short nightly on legacy (its crashes are all known,
# so it exits 0) with a time-to-exposure measurement of legacy, on a copy of the corpus
# and an existing build with libFuzzer targets; then headless Chromium opens the page,
# dumps its DOM and takes a screenshot. It fails when the page logs anything to the
# console, or when the DOM lacks the crash section, a crash with its trace and timeline,
# the targets table or the time-to-exposure table. First a canary page that logs an
# error must be caught, so that a browser whose logging changed cannot pass unseen.
#   report_browser_test.sh SOURCE_DIR BUILD_DIR WORK_DIR
# Exit 77 (skipped) when no Chromium is installed; the screenshot is WORK_DIR/report.png.
set -uo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: report_browser_test.sh SOURCE_DIR BUILD_DIR WORK_DIR" >&2
  exit 2
fi
root=$1 build=$2 work=$3

browser=""
for name in chromium chromium-browser google-chrome-stable google-chrome; do
  if command -v "$name" >/dev/null 2>&1; then
    browser=$(command -v "$name")
    break
  fi
done
if [[ -z $browser ]]; then
  echo "SKIP: no Chromium on this machine (Debian package chromium; ci/deps installs it as root)"
  exit 77
fi

rm -rf "$work"
mkdir -p "$work"
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }

# One headless Chromium run on a page; its stderr, with the console, goes to $2.
chromium_run() {
  local page=$1 log=$2
  shift 2
  local flags=(--headless --disable-gpu --disable-dev-shm-usage --no-first-run
    --no-default-browser-check --disable-extensions --hide-scrollbars
    --user-data-dir="$work/profile" --enable-logging=stderr --v=0)
  # Chromium refuses to run as root inside its sandbox.
  ((EUID != 0)) || flags+=(--no-sandbox)
  # Its caches and settings stay in the test's directory too.
  HOME=$work/home timeout 120 "$browser" "${flags[@]}" "$@" "file://$page" 2>"$log"
}
# The lines of the page's console (Chromium logs each as "...:CONSOLE...] "text"").
console_lines() { grep -a 'CONSOLE' "$1"; }

printf '%s\n' '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>canary</title>' \
  '</head><body><script>console.error("balloonbench-canary")</script></body></html>' >"$work/canary.html"
chromium_run "$work/canary.html" "$work/canary.log" --dump-dom >"$work/canary.dom"
if ! console_lines "$work/canary.log" | grep -q balloonbench-canary; then
  echo "FAIL: a page that logs a console error went unseen; $browser's log:" >&2
  tail -n 20 "$work/canary.log" >&2
  exit 1
fi

cp -a "$root/corpus" "$work/corpus"
"$root/bench/tte.sh" "$build" "$work/tte.json" --seeds 1 --cap 300 --only legacy >"$work/tte.log" 2>&1 ||
  fail "bench/tte.sh failed: $(tail -n 5 "$work/tte.log")"
"$root/ci/nightly" --build-dir "$build" --corpus "$work/corpus" --out "$work/out" --seconds 10 \
  --jobs 2 --variant legacy --no-props --no-merge --target balloon_events \
  --tte-json "$work/tte.json" >"$work/nightly.log" 2>&1
status=$?
[[ $status -eq 0 ]] || fail "ci/nightly exited $status, expected 0: $(tail -n 5 "$work/nightly.log")"
page=$work/out/report.html
if [[ ! -s $page ]]; then
  fail "no report.html"
  exit 1
fi
# The page is one file that loads nothing: no script, stylesheet, image or frame from
# anywhere, and no address but the SVG namespace.
grep -Eq '<(script|link|img|iframe)\b| src=|@import|url\(' "$page" && fail "the page loads something"
grep -Eo 'https?://[^"]*' "$page" | grep -vxq 'http://www.w3.org/2000/svg' && fail "the page names an address"

chromium_run "$page" "$work/dom.log" --dump-dom >"$work/dom.html"
chromium_run "$page" "$work/screenshot.log" --screenshot="$work/report.png" --window-size=1200,1500
[[ -s $work/report.png ]] || fail "no screenshot: $(tail -n 3 "$work/screenshot.log")"
for log in "$work/dom.log" "$work/screenshot.log"; do
  if console_lines "$log" >"$work/console.txt"; then
    fail "the page logged to the console: $(head -n 5 "$work/console.txt")"
  fi
done

# What the browser built, read from the DOM it dumped.
dom() { grep -q -- "$1" "$work/dom.html" || fail "the DOM lacks $2"; }
dom '<section id="crashes">' "the crash section"
dom '<article class="crash known" id="crash-1">' "a known crash (legacy's are all known)"
dom '<code>invariant:' "an invariant's key"
dom '<pre class="command">' "a replay command"
dom '<details class="trace" open' "a crash's trace"
dom '<figure class="timeline">' "a crash's timeline"
dom '<svg xmlns="http://www.w3.org/2000/svg"' "the timeline's SVG"
dom '<section id="targets">' "the targets table"
dom '<td>balloon_events</td>' "the fuzzed target's row"
dom '<section id="time-to-exposure">' "the time-to-exposure table"
dom '<tr><td>legacy</td><td>empty</td>' "legacy's time to exposure"
grep -q 'article class="crash new"' "$work/dom.html" && fail "the page shows a new crash on legacy"

if ((failed)); then
  tail -n 20 "$work/nightly.log" >&2
  exit 1
fi
echo "report.html: $(grep -c '<article class="crash' "$work/dom.html") crash(es), no console output; screenshot $work/report.png"
