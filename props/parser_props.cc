// Properties of the text paths that set a target: /proc/xen/balloon, the xenstore
// watch and the two sysfs stores. Numbers are generated first and written as text
// (decimal, hex or octal, with or without a K, M or G suffix), so the expected page
// count comes from arithmetic, not from a second parser. Arbitrary bytes go through
// the writes from the end of an exact-size heap block, so any read past `count` is an
// AddressSanitizer error. Where the target set is checked, the guest has nothing
// populated: its current target is 0, so minimum_target()'s floor under the new
// target is 0 too, and the target is the number written.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "driver/parse.h"
#include "driver/xen-2.6.18/balloon.h"
#include "props/generators.h"
#include "run/bare.h"
#include "sim/sim.h"

namespace balloonbench::props {
namespace {

// A 16-pfn guest with nothing populated: no floor under its first target.
Config unfloored_guest() {
  Config config = tiny_guest();
  config.nr_pages = 0;
  return config;
}

enum class Path { proc, target_kb, target };

// Writes `text` through one path from the end of an exact-size heap block.
long write_exact(BareCore& bare, const std::string& text, Path path = Path::proc) {
  const std::unique_ptr<char[]> block(new char[text.size()]);
  if (!text.empty()) std::memcpy(block.get(), text.data(), text.size());
  const std::string_view written(block.get(), text.size());
  switch (path) {
    case Path::proc:
      return bare.core.balloon_write(written);
    case Path::target_kb:
      return bare.core.store_target_kb(written);
    case Path::target:
      return bare.core.store_target(written);
  }
  return 0;
}

}  // namespace

RC_GTEST_PROP(Parsers, NumbersInAnyBaseWithAnySuffixParseToTheirPageCount, ()) {
  const ProcText written = *gen_proc_text();
  // RC_PRE and RC_ASSERT evaluate both sides of && and ||: decide first.
  const bool accepted = written.text.size() >= 2 && written.text.size() <= kProcWriteBuffer;
  RC_PRE(accepted);
  BareCore bare(unfloored_guest());
  RC_ASSERT(write_exact(bare, written.text) == static_cast<long>(written.text.size()));
  RC_ASSERT(bare.core.target_pages() == written.bytes >> kPageShift);
}

RC_GTEST_PROP(Parsers, RuntsAreBadMessagesAndLongWritesTooBig, ()) {
  const std::size_t length =
      *rc::gen::oneOf(rc::gen::inRange<std::size_t>(0, 2), rc::gen::inRange<std::size_t>(65, 4096));
  const std::string text = *rc::gen::container<std::string>(length, rc::gen::arbitrary<char>());
  BareCore bare;
  RC_ASSERT(write_exact(bare, text) == (length <= 1 ? -kEbadmsg : -kEfbig));
  RC_ASSERT(bare.core.target_pages() == 8U);
  RC_ASSERT(!bare.sim.work_pending());
}

RC_GTEST_PROP(Parsers, WritersWithoutTheCapabilityAreRefused, (const std::string& text)) {
  BareCore bare;
  bare.sim.set_capable(false);
  RC_ASSERT(write_exact(bare, text) == -kEperm);
  RC_ASSERT(bare.core.target_pages() == 8U);
}

RC_GTEST_PROP(Parsers, ArbitraryBytesNeverCrashOrReadPastCount, (const std::string& text)) {
  BareCore bare;
  const long rc = write_exact(bare, text);
  if (text.size() <= 1) {
    RC_ASSERT(rc == -kEbadmsg);
  } else if (text.size() > kProcWriteBuffer) {
    RC_ASSERT(rc == -kEfbig);
  } else {
    RC_ASSERT(rc == static_cast<long>(text.size()));
    RC_ASSERT(bare.sim.work_pending());
  }
}

RC_GTEST_PROP(Parsers, XenstoreKibTruncateToPages, ()) {
  const XenstoreText written = *gen_xenstore_text();
  BareCore bare(unfloored_guest());
  const std::unique_ptr<char[]> block(new char[written.text.size() + 1]);
  std::memcpy(block.get(), written.text.c_str(), written.text.size() + 1);
  bare.core.watch_target(std::string_view(block.get(), written.text.size()));
  if (written.kib) {
    RC_ASSERT(bare.core.target_pages() == *written.kib / 4);
    RC_ASSERT(bare.sim.work_pending());
  } else {
    RC_ASSERT(bare.core.target_pages() == 0U);
    RC_ASSERT(!bare.sim.work_pending());
  }
}

RC_GTEST_PROP(Parsers, SysfsStoresSetTheirPageCount, ()) {
  const bool kib = *rc::gen::arbitrary<bool>();
  const SysfsText written = kib ? *gen_sysfs_target_kb_text() : *gen_sysfs_target_text();
  BareCore bare(unfloored_guest());
  const long rc = write_exact(bare, written.text, kib ? Path::target_kb : Path::target);
  if (written.text.size() <= 1) {
    RC_ASSERT(rc == -kEbadmsg);
    RC_ASSERT(bare.core.target_pages() == 0U);
    RC_ASSERT(!bare.sim.work_pending());
  } else {
    RC_ASSERT(rc == static_cast<long>(written.text.size()));
    RC_ASSERT(bare.core.target_pages() == written.pages);
    RC_ASSERT(bare.sim.work_pending());
  }
}

RC_GTEST_PROP(Parsers, SysfsStoresNeverReadPastCountAndRefuseOnlyRuntsAndNonAdmins,
              (const std::string& text, bool kib, bool capable)) {
  BareCore bare;
  bare.sim.set_capable(capable);
  const long rc = write_exact(bare, text, kib ? Path::target_kb : Path::target);
  if (!capable) {
    RC_ASSERT(rc == -kEperm);
  } else if (text.size() <= 1) {
    RC_ASSERT(rc == -kEbadmsg);
  } else {
    RC_ASSERT(rc == static_cast<long>(text.size()));
    RC_ASSERT(bare.sim.work_pending());
  }
  if (rc < 0) RC_ASSERT(bare.core.target_pages() == 8U);
}

RC_GTEST_PROP(Parsers, MemparseStopsWhereTheNumberStops, (const std::string& tail)) {
  // A number, a suffix, then anything that does not begin with a digit of that base
  // or a suffix letter: the tail changes nothing.
  const ProcText written = *gen_proc_text();
  const bool number =
      written.text.size() >= 2 && written.text.size() <= 40 && written.text.back() != '\n';
  RC_PRE(number);
  const bool stops = !tail.empty() && std::string("0123456789abcdefABCDEFxXkKmMgG").find(tail[0]) ==
                                          std::string::npos;
  RC_PRE(stops);
  std::size_t end = 0;
  const std::uint64_t bytes = memparse(written.text + tail, end);
  RC_ASSERT(bytes == written.bytes);
  RC_ASSERT(end == written.used);
}

RC_GTEST_PROP(Parsers, ExplicitBasesReadTheirDigits, ()) {
  // simple_strtoull as the kernel shim offers it to a source driver, which may name a
  // base: the digits of that base, after a 0x or 0X the kernel skips in base 16, up
  // to the first byte that is not one.
  const unsigned base = *rc::gen::element(8U, 10U, 16U);
  const std::uint64_t value = *rc::gen::arbitrary<std::uint64_t>();
  std::string text = format_number(value, base);  // "0x..." in base 16, "0..." in 8
  if (base == 16) {
    const std::string prefix = *rc::gen::element<std::string>("", "0x", "0X");
    text = prefix + text.substr(2);
  }
  const std::string stop = *rc::gen::element<std::string>("", "\n", " 12", "g", "K");
  std::size_t end = 0;
  RC_ASSERT(simple_strtoull(text + stop, end, base) == value);
  RC_ASSERT(end == text.size());
}

}  // namespace balloonbench::props
