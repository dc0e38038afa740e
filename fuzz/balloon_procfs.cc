// Fuzz target: every text file that sets a target or a knob. Byte 0 chooses the file
// and the writer: bit 0, the writer lacks CAP_SYS_ADMIN; bit 1, the xenstore
// memory/target watch; else bits 2-4: 1 the sysfs target_kb store, 2 sysfs target,
// 3 the max_schedule_delay knob, 4 max_retry_count, 5 no file but the number parser
// (below), anything else /proc/xen/balloon.
// The remaining bytes are what is written, and their count is the write's count. They
// sit at the very end of a heap block of exactly that size, so a parser that reads
// past `count` (as the original does with its 64-byte stack buffer) is an
// AddressSanitizer error here.
//
// A /proc write must keep its contract: -EPERM without the capability, -EBADMSG for at
// most 1 byte, -EFBIG above 64, else the count; the target changes, and work is
// scheduled, only on success. Every write must answer, and set the target or knob, as
// the kernel's parsing rules say (run/text_model.h, code of its own): the `text-write`
// invariant, which byte-level mutation tries on spellings the structured mutator of
// balloon_events does not write.
//
// Mode 5 calls simple_strtoull as the kernel shim gives it to a source driver, which
// may name any base: byte 1 is the base, the bytes after it up to a NUL the string.
// It must read what the kernel's does (the text model again), else the failure is of
// kind `kernel-library`. The drivers only ever ask for base 0.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "driver/parse.h"
#include "fuzz/harness.h"
#include "run/bare.h"
#include "run/codec.h"
#include "run/event.h"
#include "run/text_model.h"
#include "sim/sim.h"

namespace {

using namespace balloonbench;

// The input is raw bytes, not a run, so the reproduce line rebuilds the file from hex.
[[noreturn]] void report(Failure failure, std::span<const std::uint8_t> input) {
  failure.variant = fuzz::variant();
  failure.mutation = fuzz::mutation();
  std::string env = std::string("BALLOON_VARIANT=") + variant_name(failure.variant);
  if (failure.mutation != Mutation::none)
    env += std::string(" BALLOON_MUTANT=") + mutation_name(failure.mutation);
  failure.reproduce =
      "echo " + to_hex(input) + " | xxd -r -p >input && " + env + " balloon_procfs_replay input";
  fuzz::report_and_abort(failure);
}

// The contract's clauses are the failure's detail, and so its key: the text says which
// clause broke, not the values, so that every input breaking one clause groups together.
[[noreturn]] void contract_broken(const char* clause, long rc, std::size_t count,
                                  std::span<const std::uint8_t> input) {
  Failure failure;
  failure.kind = FailureKind::proc_write_contract;
  failure.detail = clause;
  std::fprintf(stderr, "the write returned %ld for %zu bytes\n", rc, count);
  report(std::move(failure), input);
}

[[noreturn]] void text_write_broken(std::string detail, std::span<const std::uint8_t> input) {
  Failure failure;
  failure.violation = Violation{InvariantId::text_write, Phase::event, 0, std::move(detail)};
  report(std::move(failure), input);
}

constexpr const char* kFileNames[] = {"/proc/xen/balloon", "memory/target", "sysfs target_kb",
                                      "sysfs target", "sysfs back-off knob"};

// Byte 0's bits 2-4, which name the file unless bit 1 names xenstore.
unsigned file_bits(std::uint8_t mode) { return (mode >> 2) & 7U; }
// Mode 5: no file, but simple_strtoull in a named base (judge_strtoull).
bool parser_mode(std::uint8_t mode) { return (mode & 2U) == 0 && file_bits(mode) == 5; }

// The file byte 0 names.
TextFile file_of(std::uint8_t mode) {
  if ((mode & 2U) != 0) return TextFile::xenstore;
  switch (file_bits(mode)) {
    case 1:
      return TextFile::sysfs_target_kb;
    case 2:
      return TextFile::sysfs_target;
    case 3:
    case 4:
      return TextFile::sysfs_knob;
    default:
      return TextFile::proc;
  }
}

// The write, through the driver's entry point for `file`; sysfs answers an empty write
// itself, without calling the store (as the world does).
long write_to(Driver& core, TextFile file, BackoffKnob knob, std::string_view text) {
  switch (file) {
    case TextFile::proc:
      return core.balloon_write(text);
    case TextFile::xenstore:
      core.watch_target(text);
      return 0;
    case TextFile::sysfs_target_kb:
      return text.empty() ? 0 : core.store_target_kb(text);
    case TextFile::sysfs_target:
      return text.empty() ? 0 : core.store_target(text);
    case TextFile::sysfs_knob:
      return text.empty() ? 0 : core.store_backoff_knob(knob, text);
  }
  return 0;
}

// Mode 5: byte 1 the base, then the string.
void judge_strtoull(std::span<const std::uint8_t> input) {
  const unsigned base = input.size() > 1 ? input[1] : 0U;
  const std::span<const std::uint8_t> rest = input.subspan(std::min<std::size_t>(input.size(), 2));
  // The string up to its first NUL, as C reads it, at the very end of a heap block of
  // its size: a parser that reads past it is an AddressSanitizer error.
  const std::size_t length =
      static_cast<std::size_t>(std::find(rest.begin(), rest.end(), 0) - rest.begin());
  const std::unique_ptr<char[]> copy(new char[length]);
  if (length > 0) std::memcpy(copy.get(), rest.data(), length);
  const std::string_view text(copy.get(), length);
  const std::string mismatch = fuzz::strtoull_mismatch(text, base, simple_strtoull);
  if (mismatch.empty()) return;
  Failure failure;
  failure.kind = FailureKind::kernel_library;
  failure.detail = "simple_strtoull reads another number than the kernel's";
  std::fprintf(stderr, "%s\n", mismatch.c_str());
  report(std::move(failure), input);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  balloonbench::fuzz::init_from_env();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return -1;
  const std::span<const std::uint8_t> input(data, size);
  if (parser_mode(data[0])) {
    judge_strtoull(input);
    return 0;
  }
  const bool capable = (data[0] & 1U) == 0;
  const TextFile file = file_of(data[0]);
  const BackoffKnob knob =
      file_bits(data[0]) == 4 ? BackoffKnob::max_retry_count : BackoffKnob::max_schedule_delay;
  const std::size_t count = size - 1;
  const std::unique_ptr<char[]> written(new char[count]);
  if (count > 0) std::memcpy(written.get(), data + 1, count);
  const std::string_view text(written.get(), count);

  // Nothing in these paths reaches Xen; a tiny guest keeps each input cheap.
  BareCore bare(tiny_guest(), fuzz::variant(), fuzz::mutation());
  Driver& core = bare.core;
  Sim& sim = bare.sim;
  sim.set_capable(capable);
  const std::uint64_t before = core.target_pages();
  const std::uint64_t reachable = core.current_pages() + core.balloon_low() + core.balloon_high();

  const long rc = write_to(core, file, knob, text);
  if (file == TextFile::proc) {
    long expected = static_cast<long>(count);
    if (!core.has(OptionalEntry::proc_file)) {
      // No /proc/xen/balloon in this driver (Linux's): nothing to open, nothing changes.
      constexpr long kEnoent = 2;
      expected = -kEnoent;
    } else if (!capable) {
      expected = -kEperm;
    } else if (count <= 1) {
      expected = -kEbadmsg;
    } else if (count > kProcWriteBuffer) {
      expected = -kEfbig;
    }
    if (rc != expected) contract_broken("unexpected return value", rc, count, input);
    if (rc < 0 && (core.target_pages() != before || sim.work_pending())) {
      contract_broken("a refused write changed the target", rc, count, input);
    }
    if (rc > 0 && !sim.work_pending())
      contract_broken("an accepted write scheduled no work", rc, count, input);
  }

  // What the kernel's parsing says the write answers and sets (the text model, as
  // Checker::text_written asks it). The comparisons stay here, not in a call to the
  // checker: the checker is left out of libFuzzer's coverage
  // (fuzz/coverage-ignorelist.txt), and these comparisons are what lead the search to
  // a write the driver reads wrong. With the checker's call instead,
  // fuzz.teeth.balloon_procfs.kib-read-as-bytes found nothing in its 20,000 runs.
  const TextRules rules = text_rules(fuzz::variant());
  const ExpectedWrite expected = expected_write(rules, file, text, capable);
  const std::string what = std::string(kFileNames[static_cast<unsigned>(file)]) + " write " +
                           quote_bytes(std::string(text));
  if (file != TextFile::xenstore && rc != expected.answer) {
    text_write_broken(what + " answered " + std::to_string(rc) + "; the kernel's parsing answers " +
                          std::to_string(expected.answer),
                      input);
  }
  if (file == TextFile::sysfs_knob) {
    const std::optional<ThreadState> thread = core.thread_state();
    if (!expected.value.has_value() || !thread.has_value()) return 0;
    const std::uint64_t stored = knob == BackoffKnob::max_schedule_delay
                                     ? thread->max_schedule_delay
                                     : thread->max_retry_count;
    if (stored != *expected.value) {
      text_write_broken(what + " stored " + std::to_string(stored) + " in " +
                            backoff_knob_name(knob) + "; the kernel's parsing gives " +
                            std::to_string(*expected.value),
                        input);
    }
    return 0;
  }
  const std::uint64_t want =
      expected_target(rules, expected, sim.config().max_pfn, before, reachable);
  if (core.target_pages() != want) {
    text_write_broken(what + " set target_pages=" + std::to_string(core.target_pages()) +
                          "; the kernel's parsing gives " + std::to_string(want),
                      input);
  }
  return 0;
}
