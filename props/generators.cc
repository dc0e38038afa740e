#include "props/generators.h"

#include "driver/env.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

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

// A large guest's size, 4096 to 785,920 pfns, as the encoding holds it: octave
// 2048 * 2^s (s from 1 to 7) and a step t of it (docs/encoding.md); the last octave
// holds 2 GiB exactly, where 2.6.18's minimum_target() changes slope.
rc::Gen<std::uint64_t> gen_large_pfns() {
  return rc::gen::apply(
      [](unsigned octave, std::uint64_t step) {
        return large_guest_pfns(kFormatVersion, octave, step);
      },
      in_closed<unsigned>(1, 7), in_closed<std::uint64_t>(0, 1023));
}

// How many pfns Xen populated: any number for a small guest; for a large one, all
// but at most 4096, as for a guest that booted with most of its memory, so that it
// can balloon down past minimum_target() while booting costs little.
rc::Gen<std::uint64_t> gen_nr_pages(std::uint64_t max_pfn) {
  if (max_pfn <= kLargeGuestPfns) return in_closed<std::uint64_t>(0, max_pfn);
  return in_closed<std::uint64_t>(max_pfn > kLargeWindow ? max_pfn - kLargeWindow : 0, max_pfn);
}

// The encoding's windows for a large guest (docs/encoding.md): highmem within 4096
// pfns of the top, at most 8192 host frames of each kind.
std::uint64_t low_floor(std::uint64_t max_pfn) {
  return max_pfn <= kLargeGuestPfns || max_pfn <= kLargeWindow + 1 ? 1 : max_pfn - kLargeWindow;
}
std::uint64_t host_max(std::uint64_t max_pfn) {
  return max_pfn <= kLargeGuestPfns ? max_pfn : 2 * kLargeWindow;
}

}  // namespace

rc::Gen<Config> gen_config() {
  return rc::gen::mapcat(
      rc::gen::weightedOneOf<std::uint64_t>({{12, in_closed<std::uint64_t>(16, 256)},
                                             {6, in_closed<std::uint64_t>(257, 1100)},
                                             {2, in_closed<std::uint64_t>(1101, 2048)},
                                             {1, gen_large_pfns()}}),
      [](std::uint64_t max_pfn) {
        return rc::gen::mapcat(gen_nr_pages(max_pfn), [=](std::uint64_t nr_pages) {
          return rc::gen::build<Config>(
              rc::gen::set(&Config::max_pfn, rc::gen::just(max_pfn)),
              rc::gen::set(&Config::nr_pages, rc::gen::just(nr_pages)),
              rc::gen::set(&Config::max_low_pfn,
                           rc::gen::weightedOneOf<std::uint64_t>(
                               {{3, rc::gen::just(max_pfn)},
                                {1, in_closed<std::uint64_t>(low_floor(max_pfn), max_pfn)}})),
              rc::gen::set(&Config::auto_translated,
                           rc::gen::weightedOneOf<bool>(
                               {{3, rc::gen::just(false)}, {1, rc::gen::just(true)}})),
              rc::gen::set(&Config::max_pages,
                           in_closed<std::uint64_t>(nr_pages, max_pfn <= kLargeGuestPfns
                                                                  ? 2 * max_pfn
                                                                  : nr_pages + 2 * kLargeWindow)),
              rc::gen::set(&Config::host_free, in_closed<std::uint64_t>(0, host_max(max_pfn))),
              rc::gen::set(&Config::host_other, in_closed<std::uint64_t>(0, host_max(max_pfn))),
              rc::gen::set(&Config::contract_breaks, rc::gen::just(false)),
              rc::gen::set(&Config::memory_hotplug,
                           rc::gen::weightedOneOf<bool>(
                               {{3, rc::gen::just(false)}, {1, rc::gen::just(true)}})));
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
      [](std::uint64_t value, unsigned base, bool upper_x, unsigned suffix, bool newline) {
        // T, P and E are suffixes to Linux's memparse only: 2.6.18's stops before them.
        static constexpr const char* kSuffixes[] = {"",  "K", "M", "G", "k", "m", "g",
                                                    "T", "P", "E", "t", "p", "e"};
        static constexpr unsigned kShifts[] = {0, 10, 20, 30, 10, 20, 30, 0, 0, 0, 0, 0, 0};
        // After a hex number an E is one more digit, not a suffix.
        if (base == 16 && (suffix == 9 || suffix == 12)) suffix -= 2;
        ProcText out;
        out.text = format_number(value, base);
        if (base == 16 && upper_x) out.text[1] = 'X';
        out.used = out.text.size() + (kShifts[suffix] != 0 ? 1 : 0);
        out.text += std::string(kSuffixes[suffix]) + (newline ? "\n" : "");
        out.bytes = value << kShifts[suffix];
        return out;
      },
      rc::gen::weightedOneOf<std::uint64_t>(
          {{4, in_closed<std::uint64_t>(0, 1U << 24)},
           {1, in_closed<std::uint64_t>(0, std::uint64_t{1} << 40)}}),
      rc::gen::element(10U, 16U, 8U), rc::gen::arbitrary<bool>(),
      rc::gen::weightedOneOf<unsigned>(
          {{6, in_closed<unsigned>(0, 6)}, {1, in_closed<unsigned>(7, 12)}}),
      rc::gen::arbitrary<bool>());
  // A 0x that no hex digit follows: an octal 0, the x unread.
  const auto bare_x =
      rc::gen::map(rc::gen::element<std::string>("0x", "0X", "0xg", "0x\n"), [](std::string text) {
        return ProcText{std::move(text), 0, 1};
      });
  // Runts and over-long writes, refused before any parsing.
  const auto refused = rc::gen::map(
      rc::gen::oneOf(in_closed<std::size_t>(0, 1), in_closed<std::size_t>(65, kMaxProcWriteBytes)),
      [](std::size_t length) {
        return ProcText{std::string(length, '7'), 0, 0};
      });
  return rc::gen::weightedOneOf<ProcText>({{12, number}, {1, bare_x}, {2, refused}});
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
  // Leading space of any kind the kernel's isspace() knows (0xA0 included), which
  // xenbus_scanf skips.
  const auto space =
      rc::gen::container<std::string>(rc::gen::element(' ', '\t', '\n', '\v', '\f', '\r', '\xa0'));
  const auto number = rc::gen::apply(
      [](std::uint64_t kib, const std::string& spaces, unsigned tail) {
        static constexpr const char* kTails[] = {"", "\n", "kB", " junk"};
        return XenstoreText{spaces + std::to_string(kib) + kTails[tail], kib};
      },
      in_closed<std::uint64_t>(0, 99999999), rc::gen::resize(2, space), in_closed<unsigned>(0, 3));
  const auto junk = rc::gen::map(rc::gen::element<std::string>("", "abc", "-4", "  ", "kB", "+12"),
                                 [](std::string text) {
                                   return XenstoreText{std::move(text), std::nullopt};
                                 });
  return rc::gen::weightedOneOf<XenstoreText>({{5, number}, {1, junk}});
}

// What root writes to max_schedule_delay or max_retry_count: a small number in any
// base kstrtoul reads, with or without a newline, or something it refuses.
rc::Gen<std::string> gen_knob_text() {
  const auto number = rc::gen::apply(
      [](std::uint64_t value, unsigned base, bool plus, bool upper_x, bool newline) {
        std::string text = format_number(value, base);
        if (base == 16 && upper_x) text[1] = 'X';
        return (plus ? "+" : "") + text + (newline ? "\n" : "");
      },
      in_closed<std::uint64_t>(0, 40), rc::gen::element(10U, 16U, 8U), rc::gen::arbitrary<bool>(),
      rc::gen::arbitrary<bool>(), rc::gen::arbitrary<bool>());
  const auto refused = rc::gen::element<std::string>("", "\n", "-1", "4 ", "four", "+", "0x", "0xg",
                                                     "99999999999999999999");
  return rc::gen::weightedOneOf<std::string>({{5, number}, {1, refused}});
}

// The boundaries a uniform draw rarely hits (single events, as the encoding holds
// them): a target at, one or two off, or a batch (511 to 513 pages) off where the guest
// booted; Xen's cap exactly at the guest's holdings, set or landing mid-hypercall;
// the first and the 64th allocation failing; a populate cut to 0, 1, 511 or 512
// extents; a /proc write of the guest's size in KiB cut or padded with spaces to 0 or
// 1 byte (refused: too short), 2 (the shortest taken), 63 or 64 (the buffer's last
// sizes) or 65 bytes (refused: too long).
rc::Gen<Event> gen_boundary_event(const Config& config) {
  using namespace events;
  const std::uint64_t booted = std::min(config.nr_pages, config.max_pfn);
  const std::uint64_t most =
      config.max_pfn <= kLargeGuestPfns ? 2 * config.max_pfn : booted + kLargeWindow;
  const auto around = [booted, most](std::int64_t offset) {
    const std::int64_t at = static_cast<std::int64_t>(booted) + offset;
    return static_cast<std::uint64_t>(
        std::clamp<std::int64_t>(at, 0, static_cast<std::int64_t>(most)));
  };
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::elementOf(
                       std::vector<std::int64_t>{-513, -512, -511, -2, -1, 0, 1, 2, 511, 512, 513}),
                   [around](std::int64_t offset) { return set_target(around(offset)); }),
      rc::gen::just(set_max_pages(booted)),
      rc::gen::just(in_flight(InFlightAction::set_max_pages, booted)),
      rc::gen::just(alloc_fail(0, 1)), rc::gen::just(alloc_fail(63, 1)),
      rc::gen::map(rc::gen::elementOf(std::vector<std::uint64_t>{0, 1, 511, 512}), populate_limit),
      rc::gen::map(rc::gen::elementOf(std::vector<std::size_t>{0, 1, 2, 63, 64, 65}),
                   [booted](std::size_t length) {
                     std::string text = std::to_string(booted * 4) + "K";
                     if (text.size() > length) text.resize(length);
                     text.resize(length, ' ');
                     return proc_write(text, true);
                   }));
}

rc::Gen<Event> gen_event(const Config& config) {
  using namespace events;
  const std::uint64_t pages = 2 * config.max_pfn;
  // A large guest's targets stay within 4096 pages of where it booted, its cap within
  // 8192 above, and the host moves at most 8192 frames at a time (the encoding's
  // windows), so that a step moves a few batches, as on a small guest.
  const bool large = config.max_pfn > kLargeGuestPfns;
  const std::uint64_t near = config.nr_pages;
  const TargetWindow window = large_guest_target_window(near);
  const auto page_count =
      large ? in_closed<std::uint64_t>(window.lo, window.hi) : in_closed<std::uint64_t>(0, pages);
  const auto host_count = large ? in_closed<std::uint64_t>(0, 2 * kLargeWindow) : page_count;
  const auto cap_count =
      large ? in_closed<std::uint64_t>(near, near + 2 * kLargeWindow) : page_count;
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
      // A backend borrowing as many pages as the guest booted with in its balloon: the
      // boundary where the balloon runs empty under the backend.
      {1, rc::gen::just(alloc_empty(std::min<std::uint64_t>(
              kMaxAllocEmpty, config.max_pfn - std::min(config.nr_pages, config.max_pfn))))},
      {1, rc::gen::map(in_closed<std::uint64_t>(0, 255), free_empty)},
      {1, rc::gen::map(in_closed<std::uint64_t>(0, 255), release_driver_page)},
      {5, rc::gen::just(run_work())},
      {4, rc::gen::map(jiffies, tick)},
      {2, rc::gen::map(host_count, host_take)},
      {2, rc::gen::map(host_count, host_free)},
      {1, rc::gen::map(cap_count, set_max_pages)},
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
      // Linux's driver (variant mainline): its back-off knobs and its memory outlook.
      {1, rc::gen::apply(
              [](unsigned knob, std::string text) {
                return sysfs_knob(static_cast<BackoffKnob>(knob), std::move(text));
              },
              in_closed<unsigned>(0, kBackoffKnobs - 1), gen_knob_text())},
      {1, rc::gen::map(in_closed<std::uint64_t>(0, config.max_pfn), mem_pressure)},
      {1, rc::gen::just(online_memory())},
      {3, gen_boundary_event(config)},
  });
}

rc::Gen<std::vector<Event>> gen_boundary_pair(const Config& config) {
  using namespace events;
  const std::uint64_t booted = std::min(config.nr_pages, config.max_pfn);
  // A balloon-down of `pages` whose allocation of its first or last page fails.
  const auto down = [booted](std::uint64_t pages, bool last) {
    return std::vector<Event>{alloc_fail(last ? pages - 1 : 0, 1),
                              set_target(booted > pages ? booted - pages : 0)};
  };
  // A backend borrowing `pages` whose first or last allocation fails.
  const auto borrow = [](std::uint64_t pages, bool last) {
    return std::vector<Event>{alloc_fail(last ? pages - 1 : 0, 1), alloc_empty(pages)};
  };
  const std::vector<std::uint64_t> sizes{1, 2, 63, 64};
  return rc::gen::apply(
      [down, borrow](bool backend, std::uint64_t pages, bool last) {
        return backend ? borrow(pages, last) : down(pages, last);
      },
      rc::gen::arbitrary<bool>(), rc::gen::elementOf(sizes), rc::gen::arbitrary<bool>());
}

rc::Gen<std::vector<Event>> gen_borrow_and_return(const Config& config) {
  using namespace events;
  const std::uint64_t balloon = config.max_pfn - std::min(config.nr_pages, config.max_pfn);
  const std::vector<std::uint64_t> past{1, 2, 63, 64};
  return rc::gen::map(rc::gen::elementOf(past), [balloon](std::uint64_t more) {
    return std::vector<Event>{alloc_empty(std::min(kMaxAllocEmpty, balloon + more)), free_empty(0)};
  });
}

rc::Gen<std::vector<Event>> gen_refusal(const Config& config) {
  using namespace events;
  const std::uint64_t booted = std::min(config.nr_pages, config.max_pfn);
  // What meets the refusal: a backend borrowing, a balloon-down, or whatever decrease
  // the run makes next.
  const auto follower = rc::gen::weightedOneOf<std::vector<Event>>({
      {3, rc::gen::map(in_closed<std::uint64_t>(1, 64),
                       [](std::uint64_t pages) { return std::vector<Event>{alloc_empty(pages)}; })},
      {1, rc::gen::map(in_closed<std::uint64_t>(1, 600),
                       [booted](std::uint64_t pages) {
                         return std::vector<Event>{set_target(booted > pages ? booted - pages : 0)};
                       })},
      {1, rc::gen::just(std::vector<Event>{})},
  });
  return rc::gen::apply(
      [](std::uint64_t passed, std::uint64_t error, const std::vector<Event>& after) {
        // Only a borrowing's decreases are of one page each: an answer of 1 would cut
        // any other short before the refusal came.
        const bool borrowing = !after.empty() && after.front().kind == EventKind::alloc_empty;
        std::vector<Event> out(borrowing ? passed : 0, decrease_short(1));
        out.push_back(decrease_error(error));
        out.insert(out.end(), after.begin(), after.end());
        return out;
      },
      in_closed<std::uint64_t>(0, 3), rc::gen::elementOf(populate_errnos()), follower);
}

rc::Gen<std::vector<Event>> gen_events(const Config& config) {
  // RapidCheck's size bounds the length; the cap keeps even a nightly run's largest
  // lists inside the encoding's 256 events. Most chunks are one event; one in 24 is a
  // boundary pair and one a borrowing given back (with contract_breaks, one in 27 each,
  // and 3 in 27 are refusals).
  const rc::Gen<std::vector<Event>> chunk = rc::gen::weightedOneOf<std::vector<Event>>(
      {{22, rc::gen::map(gen_event(config), [](Event event) { return std::vector<Event>{event}; })},
       {1, gen_boundary_pair(config)},
       {1, gen_borrow_and_return(config)},
       {config.contract_breaks ? 3U : 0U, gen_refusal(config)}});
  return rc::gen::withSize([chunk](int size) {
    const int length = std::min(size, 200);
    return rc::gen::map(
        rc::gen::resize(length, rc::gen::container<std::vector<std::vector<Event>>>(chunk)),
        [length](const std::vector<std::vector<Event>>& chunks) {
          std::vector<Event> out;
          for (const std::vector<Event>& events : chunks) {
            for (const Event& event : events) {
              if (out.size() < static_cast<std::size_t>(length)) out.push_back(event);
            }
          }
          return out;
        });
  });
}

}  // namespace props
}  // namespace balloonbench
