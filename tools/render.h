// Renderings of a replayed run for people and scripts: JSON (verdict and trace) and
// an SVG timeline over virtual time of the target, the effective target,
// current_pages and the balloon, with short or failed hypercalls marked.
#pragma once

#include <string>
#include <string_view>

#include "run/event.h"
#include "run/trace.h"
#include "run/world.h"

namespace balloonbench {

// "clean", "violation: <first violation>", or "expected crash: <why>".
std::string verdict_text(const RunResult& result);

// One JSON object (no trailing newline) describing a replayed run.
std::string run_json(const std::string& input, const Run& run, const WorldOptions& options,
                     const RunResult& result, const Trace& trace, const std::string& reproduce);

// A standalone SVG document.
std::string timeline_svg(const std::string& title, const Trace& trace, const RunResult& result);

}  // namespace balloonbench
