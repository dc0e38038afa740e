// Variant `source`: a 2.6.18-xen style balloon.c, unmodified, compiled as C against
// the kernel shim (driver/shim/include) and driven through the kernel API it exports
// or registers. Built when CMake is given BALLOONBENCH_DRIVER_SOURCE (by default the
// project's own kernel-style driver, driver/kernel-c/balloon.c).
#pragma once

#include <memory>

#include "driver/driver.h"
#include "driver/env.h"

namespace balloonbench {

// Whether the built driver is judged by the rules from before the patch (it has a
// hard limit): detected from the source at configure time, or forced with
// BALLOONBENCH_DRIVER_KIND.
bool source_driver_pre_patch();
// The path of the balloon.c this build compiled.
const char* source_driver_path();

// The driver's file-scope and function-scope statics are put back to their boot
// values first. Only one may be alive at a time (the C file has one set of statics);
// throws std::logic_error otherwise.
std::unique_ptr<Driver> make_source_driver(Env& env);

}  // namespace balloonbench
