#include "props/generators.h"

#include "driver/env.h"

#include <algorithm>

#include "run/codec.h"

namespace balloonbench {

void showValue(const Event& event, std::ostream& os) { os << to_text(event); }
void showValue(const Config& config, std::ostream& os) { os << to_text(config); }

namespace props {
namespace {

template <class T>
rc::Gen<T> in_closed(T lo, T hi) {
  return rc::gen::inRange<T>(lo, hi + 1);
}

}  // namespace

rc::Gen<Config> gen_config() {
  return rc::gen::mapcat(
      rc::gen::weightedOneOf<std::uint64_t>({{6, in_closed<std::uint64_t>(16, 256)},
                                             {3, in_closed<std::uint64_t>(257, 1100)},
                                             {1, in_closed<std::uint64_t>(1101, 2048)}}),
      [](std::uint64_t max_pfn) {
        return rc::gen::mapcat(in_closed<std::uint64_t>(0, max_pfn), [=](std::uint64_t nr_pages) {
          return rc::gen::build<Config>(
              rc::gen::set(&Config::max_pfn, rc::gen::just(max_pfn)),
              rc::gen::set(&Config::nr_pages, rc::gen::just(nr_pages)),
              rc::gen::set(&Config::max_low_pfn, rc::gen::weightedOneOf<std::uint64_t>(
                                                     {{3, rc::gen::just(max_pfn)},
                                                      {1, in_closed<std::uint64_t>(1, max_pfn)}})),
              rc::gen::set(&Config::auto_translated,
                           rc::gen::weightedOneOf<bool>(
                               {{3, rc::gen::just(false)}, {1, rc::gen::just(true)}})),
              rc::gen::set(&Config::max_pages, in_closed<std::uint64_t>(nr_pages, 2 * max_pfn)),
              rc::gen::set(&Config::host_free, in_closed<std::uint64_t>(0, max_pfn)),
              rc::gen::set(&Config::host_other, in_closed<std::uint64_t>(0, max_pfn)),
              rc::gen::set(&Config::contract_breaks, rc::gen::just(false)));
        });
      });
}

std::string format_number(std::uint64_t value, unsigned base) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string digits;
  do {
    digits += kDigits[value % base];
    value /= base;
  } while (value != 0);
  std::reverse(digits.begin(), digits.end());
  if (base == 16) return "0x" + digits;
  if (base == 8) return "0" + digits;
  return digits;
}

rc::Gen<ProcText> gen_proc_text() {
  const auto number = rc::gen::apply(
      [](std::uint64_t value, unsigned base, unsigned suffix, bool newline) {
        static constexpr const char* kSuffixes[] = {"", "K", "M", "G", "k", "m", "g"};
        static constexpr unsigned kShifts[] = {0, 10, 20, 30, 10, 20, 30};
        ProcText out;
        out.text = format_number(value, base) + kSuffixes[suffix] + (newline ? "\n" : "");
        out.bytes = value << kShifts[suffix];
        return out;
      },
      rc::gen::weightedOneOf<std::uint64_t>(
          {{4, in_closed<std::uint64_t>(0, 1U << 24)},
           {1, in_closed<std::uint64_t>(0, std::uint64_t{1} << 40)}}),
      rc::gen::element(10U, 16U, 8U), in_closed<unsigned>(0, 6), rc::gen::arbitrary<bool>());
  // Runts and over-long writes, refused before any parsing.
  const auto refused = rc::gen::map(
      rc::gen::oneOf(in_closed<std::size_t>(0, 1), in_closed<std::size_t>(65, kMaxProcWriteBytes)),
      [](std::size_t length) {
        return ProcText{std::string(length, '7'), 0};
      });
  return rc::gen::weightedOneOf<ProcText>({{6, number}, {1, refused}});
}

namespace {

rc::Gen<SysfsText> gen_sysfs_runt() {
  return rc::gen::map(in_closed<std::size_t>(0, 1), [](std::size_t length) {
    return SysfsText{std::string(length, '7'), 0};
  });
}

}  // namespace

rc::Gen<SysfsText> gen_sysfs_target_kb_text() {
  const auto number = rc::gen::apply(
      [](std::uint64_t kib, unsigned base, unsigned tail) {
        static constexpr const char* kTails[] = {"", "\n", "K\n"};
        // KiB to bytes, then to pages; a K is not a suffix here.
        return SysfsText{format_number(kib, base) + kTails[tail], (kib << 10) >> kPageShift};
      },
      rc::gen::weightedOneOf<std::uint64_t>(
          {{4, in_closed<std::uint64_t>(0, 1U << 22)},
           {1, in_closed<std::uint64_t>(0, std::uint64_t{1} << 40)}}),
      rc::gen::element(10U, 16U, 8U), in_closed<unsigned>(0, 2));
  return rc::gen::weightedOneOf<SysfsText>({{6, number}, {1, gen_sysfs_runt()}});
}

rc::Gen<SysfsText> gen_sysfs_target_text() {
  const auto number = rc::gen::suchThat(gen_proc_text(), [](const ProcText& t) {
    return t.text.size() >= 2 && t.text.size() <= kMaxSysfsBytes;
  });
  const auto accepted = rc::gen::map(number, [](const ProcText& t) {
    return SysfsText{t.text, t.bytes >> kPageShift};
  });
  return rc::gen::weightedOneOf<SysfsText>({{6, accepted}, {1, gen_sysfs_runt()}});
}

rc::Gen<XenstoreText> gen_xenstore_text() {
  const auto number = rc::gen::apply(
      [](std::uint64_t kib, unsigned spaces, unsigned tail) {
        static constexpr const char* kTails[] = {"", "\n", "kB", " junk"};
        return XenstoreText{std::string(spaces, ' ') + std::to_string(kib) + kTails[tail], kib};
      },
      in_closed<std::uint64_t>(0, 99999999), in_closed<unsigned>(0, 2), in_closed<unsigned>(0, 3));
  const auto junk = rc::gen::map(rc::gen::element<std::string>("", "abc", "-4", "  ", "kB", "+12"),
                                 [](std::string text) {
                                   return XenstoreText{std::move(text), std::nullopt};
                                 });
  return rc::gen::weightedOneOf<XenstoreText>({{5, number}, {1, junk}});
}

rc::Gen<Event> gen_event(const Config& config) {
  using namespace events;
  const std::uint64_t pages = 2 * config.max_pfn;
  const auto page_count = in_closed<std::uint64_t>(0, pages);
  const auto jiffies = in_closed<std::uint64_t>(0, 4 * kHz);
  return rc::gen::weightedOneOf<Event>({
      {5, rc::gen::map(page_count, set_target)},
      {1, rc::gen::map(gen_xenstore_text(),
                       [](const XenstoreText& t) { return xenstore_target(t.text); })},
      {1, rc::gen::apply(
              [](const ProcText& t, bool capable) { return proc_write(t.text, capable); },
              gen_proc_text(),
              rc::gen::weightedOneOf<bool>({{4, rc::gen::just(true)}, {1, rc::gen::just(false)}}))},
      {1, rc::gen::apply(
              [](const SysfsText& t, bool capable) { return sysfs_target_kb(t.text, capable); },
              gen_sysfs_target_kb_text(),
              rc::gen::weightedOneOf<bool>({{4, rc::gen::just(true)}, {1, rc::gen::just(false)}}))},
      {1, rc::gen::apply(
              [](const SysfsText& t, bool capable) { return sysfs_target(t.text, capable); },
              gen_sysfs_target_text(),
              rc::gen::weightedOneOf<bool>({{4, rc::gen::just(true)}, {1, rc::gen::just(false)}}))},
      {1, rc::gen::just(proc_read())},
      {1, rc::gen::map(in_closed<std::int64_t>(-128, 127), driver_allowance)},
      {1, rc::gen::map(in_closed<std::uint64_t>(0, kMaxAllocEmpty), alloc_empty)},
      {1, rc::gen::map(in_closed<std::uint64_t>(0, 255), free_empty)},
      {1, rc::gen::map(in_closed<std::uint64_t>(0, 255), release_driver_page)},
      {5, rc::gen::just(run_work())},
      {4, rc::gen::map(jiffies, tick)},
      {2, rc::gen::map(page_count, host_take)},
      {2, rc::gen::map(page_count, host_free)},
      {1, rc::gen::map(page_count, set_max_pages)},
      {3, rc::gen::map(in_closed<std::uint64_t>(0, kFrameListEntries), populate_limit)},
      {1, rc::gen::map(rc::gen::elementOf(populate_errnos()), populate_error)},
      {2, rc::gen::apply(alloc_fail, in_closed<std::uint64_t>(0, 63),
                         in_closed<std::uint64_t>(1, 64))},
      {2, rc::gen::apply(
              [](unsigned action, std::uint64_t value) {
                return in_flight(static_cast<InFlightAction>(action), value);
              },
              in_closed<unsigned>(0, kInFlightActions - 1), page_count)},
      {1, rc::gen::map(jiffies, timer_late)},
      {1, rc::gen::map(jiffies, delay_work)},
  });
}

rc::Gen<std::vector<Event>> gen_events(const Config& config) {
  // RapidCheck's size bounds the length; the cap keeps even a nightly run's largest
  // lists inside the encoding's 256 events.
  const rc::Gen<Event> event = gen_event(config);
  return rc::gen::withSize([event](int size) {
    return rc::gen::resize(std::min(size, 200), rc::gen::container<std::vector<Event>>(event));
  });
}

}  // namespace props
}  // namespace balloonbench
