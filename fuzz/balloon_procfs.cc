// Fuzz target: the two text paths that set a target. Byte 0 chooses the path and the
// writer (bit 0: the writer lacks CAP_SYS_ADMIN; bit 1: the xenstore memory/target
// watch instead of a /proc/xen/balloon write); the remaining bytes are what is
// written, and their count is the write's count. They sit at the very end of a heap
// block of exactly that size, so a parser that reads past `count` (as the original
// does with its 64-byte stack buffer) is an AddressSanitizer error here.
//
// Beyond memory safety it checks the write's contract: -EPERM without the
// capability, -EBADMSG for at most 1 byte, -EFBIG above 64, else the count; the
// target changes, and work is scheduled, only on success.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "fuzz/harness.h"
#include "run/bare.h"
#include "run/codec.h"
#include "sim/sim.h"

namespace {

using namespace balloonbench;

// The contract's clauses are the failure's detail, and so its key: the text says which
// clause broke, not the values, so that every input breaking one clause groups together.
// The input is raw bytes, not a run, so the reproduce line rebuilds the file from hex.
[[noreturn]] void contract_broken(const char* clause, long rc, std::size_t count,
                                  std::span<const std::uint8_t> input) {
  Failure failure;
  failure.kind = FailureKind::proc_write_contract;
  failure.detail = clause;
  failure.variant = fuzz::variant();
  failure.mutation = fuzz::mutation();
  std::string env = std::string("BALLOON_VARIANT=") + variant_name(failure.variant);
  if (failure.mutation != Mutation::none)
    env += std::string(" BALLOON_MUTANT=") + mutation_name(failure.mutation);
  failure.reproduce =
      "echo " + to_hex(input) + " | xxd -r -p >input && " + env + " balloon_procfs_replay input";
  std::fprintf(stderr, "the write returned %ld for %zu bytes\n", rc, count);
  fuzz::report_and_abort(failure);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  balloonbench::fuzz::init_from_env();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return -1;
  const bool capable = (data[0] & 1U) == 0;
  const bool xenstore = (data[0] & 2U) != 0;
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

  if (xenstore) {
    core.watch_target(text);
    return 0;
  }
  const long rc = core.balloon_write(text);
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
  if (rc != expected) contract_broken("unexpected return value", rc, count, {data, size});
  if (rc < 0 && (core.target_pages() != before || sim.work_pending())) {
    contract_broken("a refused write changed the target", rc, count, {data, size});
  }
  if (rc > 0 && !sim.work_pending())
    contract_broken("an accepted write scheduled no work", rc, count, {data, size});
  return 0;
}
