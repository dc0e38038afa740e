// A structure-aware mutator for inputs in the run encoding (docs/encoding.md), which
// the balloon_events and balloon_diff targets give libFuzzer as
// LLVMFuzzerCustomMutator. Byte-level
// mutation of an encoded run mostly shifts every later event by a byte or garbles the
// configuration, and an empty or short input describes no run at all; this mutator
// decodes the input, changes the run as a run (inserts, replaces, deletes or repeats
// events, draws a new guest, or makes a whole new run of a guest and several draws of
// the boundaries, which an input of fewer than two events always becomes), and
// encodes it again, so that every input it writes is a valid run of the current
// format. The events it inserts weight the boundaries a
// uniform draw rarely hits, as the property generators do: targets at, one or two
// off, or a batch off where the guest booted, written as numbers or as the text of a
// /proc, xenstore or sysfs write; a cap at the guest's holdings; the first and the
// 64th allocation failing; populates cut to 0, 1, 511 or 512 extents; /proc writes of
// 0 to 2 and 63 to 65 bytes; and a few events that meet at a boundary only together
// (an allocation failing at the first or last page of a balloon-down or a borrowing;
// a backend borrowing the whole balloon while the target rises; the target falling
// with nothing available to give back).
#pragma once

#include <cstddef>
#include <cstdint>

namespace balloonbench::fuzz {

// libFuzzer's own byte-level mutation (LLVMFuzzerMutate), or nullptr for none.
using ByteMutator = std::size_t (*)(std::uint8_t* data, std::size_t size, std::size_t max_size);

// Mutates the input in data[0, size) in place, writing at most max_size bytes, and
// returns its new size. Every choice comes from `seed` (the same input and seed give
// the same output). Half the time, when `bytes` is not null, it hands the input to
// `bytes` instead, so that libFuzzer's own mutations and dictionary still apply.
std::size_t mutate_run(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed,
                       ByteMutator bytes);

}  // namespace balloonbench::fuzz
