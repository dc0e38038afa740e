// The runs the fuzz targets skip (LLVMFuzzerTestOneInput returns -1): a large guest
// (more than 2,048 pfns) whose text write asks, as the text model reads it, for a
// target outside the window of kLargeWindow pages around where it booted, which the
// encoding reads its numeric targets in (large_guest_target_window, run/codec.h). A
// text target is the one field no window bounds: on a 2 GiB guest it balloons down
// 430,000 pages, about 350 ms under ASan, and a few such mutants took most of a
// campaign's time (docs/figures.md). Above the window is no cheaper: Linux's driver
// with memory hotplug adds the whole difference as new memory, a P2M entry and a
// balloon page per pfn. Inside the window a large guest still balloons up and down
// through every batch boundary. This file is left out of libFuzzer's coverage
// (fuzz/coverage-ignorelist.txt): libFuzzer 14 still keeps an input the target
// rejects when it reached new coverage, and the rule's own branches must not be that.
#pragma once

#include "run/event.h"
#include "run/host.h"
#include "run/text_model.h"

namespace balloonbench::fuzz {

// Whether `event`, in a run of `config`, is such a write, read under `rules`.
bool text_target_outside_window(const Config& config, const Event& event, TextRules rules);
// Whether any event of the run is.
bool text_target_outside_window(const Run& run, TextRules rules);
// Whether any guest's event of the host is, read under that guest's variant's rules.
bool text_target_outside_window(const HostRun& run);

}  // namespace balloonbench::fuzz
