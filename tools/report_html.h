// The nightly's report as one static HTML page (report.html): per target the
// executions, speed, coverage and corpus growth; per distinct crash its key, what
// broke, whether it reproduces, the replay command, the first lines of its trace and
// its timeline as inline SVG; the properties; the time-to-exposure table when the run
// was given one; and a link to a coverage report when one is known. The page loads
// nothing: its style is inline and it has no script. Every text taken from a run is
// escaped; only the timelines, which tools/render.h draws and escapes itself, go in
// as they are.
#pragma once

#include <string>
#include <string_view>

#include "tools/render.h"
#include "tools/triage.h"

namespace balloonbench::triage {

// A path or relative address for an href: the characters an address may not hold
// as they are (space, quotes, <, >, #, %, ?, controls) percent-encoded, then escaped
// for HTML.
std::string href_of_path(std::string_view path);

// The whole page, a standalone HTML document.
std::string render_html(const Report& report);

}  // namespace balloonbench::triage
