#include "fuzz/run_mutator.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "driver/env.h"
#include "run/codec.h"

namespace balloonbench::fuzz {
namespace {

constexpr std::size_t kMaxTries = 8;
// A run of fewer events than this is replaced by a fresh one; so is one in kFreshOneIn.
constexpr std::size_t kFreshBelow = 2;
constexpr std::uint64_t kFreshOneIn = 10;

// SplitMix64 (Steele, Lea and Flood's generator, as Vigna's xoshiro family seeds
// itself): its output is the same everywhere, and a mutation starts it from libFuzzer's
// seed with one word of state, where std::mt19937_64 filled 312 words first (1.5% of
// the fuzzing time, docs/figures.md). The standard distributions' output differs
// between libraries, so every draw below is a remainder.
class Draw {
 public:
  explicit Draw(unsigned seed) : state_(seed) {}
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  bool one_in(std::uint64_t n) { return below(n) == 0; }
  template <class T>
  const T& pick(const std::vector<T>& values) {
    return values[below(values.size())];
  }

 private:
  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::uint64_t state_;
};

// Where a guest's page counts may lie, as the encoding reads them: a large guest's
// within its target window (large_guest_target_window), a small one's up to twice its
// pfns.
struct Pages {
  std::uint64_t booted;
  std::uint64_t lo = 0;
  std::uint64_t hi;

  explicit Pages(const Config& c) : booted(std::min(c.nr_pages, c.max_pfn)), hi(2 * c.max_pfn) {
    if (c.max_pfn > kDecodeMaxPfnVersion2) {
      const TargetWindow window = large_guest_target_window(c.nr_pages);
      lo = window.lo;
      hi = window.hi;
    }
  }

  std::uint64_t around(std::int64_t offset) const {
    const std::int64_t at = static_cast<std::int64_t>(booted) + offset;
    return static_cast<std::uint64_t>(
        std::clamp<std::int64_t>(at, static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi)));
  }
  std::uint64_t any(Draw& draw) const { return lo + draw.below(hi - lo + 1); }
};

// A target in pages: at, near or a batch off where the guest booted, or anywhere.
std::uint64_t boundary_target(const Pages& pages, Draw& draw) {
  static const std::vector<std::int64_t> kOffsets{-513, -512, -511, -2, -1, 0, 1, 2, 511, 512, 513};
  return draw.one_in(4) ? pages.any(draw) : pages.around(draw.pick(kOffsets));
}

// The same target as the text a writer would put in one of the files that take one.
Event target_text(std::uint64_t target_pages, Draw& draw) {
  using namespace events;
  const std::uint64_t kib = target_pages << (kPageShift - 10);
  const std::string newline = draw.one_in(2) ? "\n" : "";
  const bool capable = !draw.one_in(8);
  switch (draw.below(5)) {
    case 0:
      return xenstore_target(std::to_string(kib));
    case 1:
      return sysfs_target_kb(std::to_string(kib) + newline, capable);
    case 2:
      return sysfs_target(std::to_string(kib) + "K" + newline, capable);
    case 3:
      return sysfs_target(std::to_string(target_pages << kPageShift) + newline, capable);
    default:
      return proc_write(std::to_string(kib) + "K" + newline, capable);
  }
}

// A /proc write of the guest's size in KiB cut or padded to a boundary length: 0 or
// 1 byte (a runt), 2 (the shortest taken), 63 or 64 (the buffer's last sizes) or 65
// (too long).
Event proc_write_of_length(const Pages& pages, Draw& draw) {
  static const std::vector<std::size_t> kLengths{0, 1, 2, 63, 64, 65};
  const std::size_t length = draw.pick(kLengths);
  std::string text = std::to_string(pages.booted << (kPageShift - 10)) + "K";
  text.resize(length, ' ');
  return events::proc_write(text, true);
}

// One event the boundaries of `config` suggest.
Event boundary_event(const Config& config, Draw& draw) {
  using namespace events;
  const Pages pages(config);
  switch (draw.below(13)) {
    case 0:
    case 1:
      return set_target(boundary_target(pages, draw));
    case 2:
    case 3:
      return target_text(boundary_target(pages, draw), draw);
    case 4:
      return draw.one_in(2) ? set_max_pages(pages.booted)
                            : in_flight(InFlightAction::set_max_pages, pages.booted);
    case 5:
      return in_flight(InFlightAction::set_target, boundary_target(pages, draw));
    case 6:
      return draw.one_in(2) ? alloc_fail(0, 1) : alloc_fail(63, 1);
    case 7:
      return populate_limit(draw.pick(std::vector<std::uint64_t>{0, 1, 511, 512}));
    case 8:
      return proc_write_of_length(pages, draw);
    case 9:
      return draw.one_in(2) ? run_work() : tick(draw.below(4 * kHz + 1));
    case 10:
      return alloc_empty(std::min<std::uint64_t>(kMaxAllocEmpty, config.max_pfn - pages.booted));
    case 11:
      // Linux's outlook: everything the guest holds in use, or all but a page or two.
      return mem_pressure(pages.booted - std::min<std::uint64_t>(pages.booted, draw.below(3)));
    default:  // the rest of the host takes, or gives back, as many frames as the guest holds
      return draw.one_in(2) ? host_take(std::min(pages.booted, pages.hi))
                            : host_free(std::min(pages.booted, pages.hi));
  }
}

// A few events that meet at a boundary only together: a balloon-down or a backend's
// borrowing of 1, 2, 63 or 64 pages whose first or last allocation fails (as the
// property generators pair them), or a borrowing of a page or two more than the
// balloon holds, whose allocation fails there or which is followed by a free (Linux's
// driver gives Xen pages of its own for those the balloon lacks and wakes nobody; the
// free leaves that credit and must wake the thread); a backend borrowing the whole
// balloon while the target rises past what the guest holds, then giving the pages
// back; or the target falling while the guest's own use holds every page it has, or
// all but one or two (Linux's si_mem_available() at or near 0: nothing to give back).
std::vector<Event> boundary_sequence(const Config& config, Draw& draw) {
  using namespace events;
  const Pages pages(config);
  const std::uint64_t ballooned = config.max_pfn - pages.booted;
  if (draw.one_in(4)) {
    const std::uint64_t spare = std::min<std::uint64_t>(pages.booted, draw.below(3));
    return {mem_pressure(pages.booted - spare),
            set_target(pages.around(-1 - static_cast<std::int64_t>(draw.below(513)))), run_work(),
            tick(draw.below(kHz + 1))};
  }
  if (draw.one_in(4)) {
    return {alloc_empty(std::min(kMaxAllocEmpty, ballooned + 1 + draw.below(2))), free_empty(0)};
  }
  if (draw.one_in(3)) {
    return {alloc_empty(std::min(kMaxAllocEmpty, ballooned)),
            set_target(pages.around(1 + static_cast<std::int64_t>(draw.below(513)))), run_work(),
            free_empty(0)};
  }
  // A borrowing may also ask for a page or two more than the balloon holds, so that
  // the driver must find the rest elsewhere and its allocation fails there.
  const std::uint64_t count =
      std::min(kMaxAllocEmpty,
               draw.pick(std::vector<std::uint64_t>{1, 2, 63, 64, ballooned + 1, ballooned + 2}));
  const std::uint64_t skip = draw.one_in(2) ? count - 1 : 0;
  if (draw.one_in(2)) return {alloc_fail(skip, 1), alloc_empty(count)};
  return {alloc_fail(skip, 1), set_target(pages.booted > count ? pages.booted - count : 0)};
}

// Any event at all: a kind byte and argument bytes, read by the decoder after the
// configuration.
Event random_event(const Config& config, Draw& draw) {
  std::vector<std::uint8_t> bytes = encode(Run{config, {}});
  for (int i = 0; i < 12; ++i) bytes.push_back(static_cast<std::uint8_t>(draw.below(256)));
  const Run decoded = decode(bytes);
  return decoded.events.empty() ? events::run_work() : decoded.events.front();
}

// A guest large enough (64 to 128 MiB) for minimum_target() to let a target come
// below what it holds, booted with all but a few hundred of its pages: the guests
// that balloon down through a target. Random configuration bytes reach one rarely.
// No larger: a text target, which no window bounds, may move every page of a guest,
// and on one of a gigabyte such a run takes a second.
Config balloonable_guest(Config config, Draw& draw) {
  const std::uint64_t octave = kDecodeMaxPfnVersion2 << 3;  // 16,384 pfns, 64 MiB
  config.max_pfn = octave + draw.below(1024) * (octave >> 10);
  config.nr_pages = config.max_pfn - draw.below(600);
  config.max_low_pfn = config.max_pfn;
  config.max_pages = config.nr_pages + draw.below(2 * kLargeWindow + 1);
  config.host_free = draw.below(2 * kLargeWindow + 1);
  config.host_other = draw.below(2 * kLargeWindow + 1);
  return config;
}

// A new guest, from random configuration bytes read as version 3 reads them (so at
// most 1 GiB: a text target may move every page, and past that a run takes seconds;
// byte-level mutation and the seeds still reach the larger guests); a sixth of the
// time one that can balloon down, and a sixth of the time one with at most 64 pfns
// ballooned at boot, which one backend's borrowing can empty. The events it can still
// hold stay. None has memory hotplug, which version 3's bytes cannot say: drawing it
// here made fix-accounting-without-hotplug slower to expose; the seeds and the flags
// byte's mutations bring it.
void new_guest(Run& run, Draw& draw) {
  std::vector<std::uint8_t> bytes{kLargeGuestsVersion};
  for (int i = 0; i < 16; ++i) bytes.push_back(static_cast<std::uint8_t>(draw.below(256)));
  run.config = decode(bytes).config;
  const std::uint64_t kind = draw.below(6);
  Config chosen = run.config;
  if (kind == 1) chosen = balloonable_guest(run.config, draw);
  if (kind == 2)
    chosen.nr_pages = chosen.max_pfn - std::min(chosen.max_pfn, draw.below(kMaxAllocEmpty + 1));
  chosen.max_pages = std::max(chosen.max_pages, chosen.nr_pages);
  if (encodable(Run{chosen, {}}).empty()) run.config = chosen;
  std::erase_if(run.events, [&run](const Event& e) {
    return !encodable(Run{run.config, {e}}).empty();
  });
}

bool fits(const Run& run, const Event& event) {
  return encodable(Run{run.config, {event}}).empty();
}

// Inserts `sequence` at `at` when all of it fits the guest and the run has room.
void insert_sequence(Run& run, std::size_t at, const std::vector<Event>& sequence) {
  if (run.events.size() + sequence.size() <= kDecodeMaxEvents &&
      std::all_of(sequence.begin(), sequence.end(),
                  [&run](const Event& e) { return fits(run, e); })) {
    run.events.insert(run.events.begin() + static_cast<std::ptrdiff_t>(at), sequence.begin(),
                      sequence.end());
  }
}

// Appends events of the boundaries, or a few that meet at one, that fit the guest.
void append_boundaries(Run& run, Draw& draw) {
  if (draw.one_in(2)) {
    insert_sequence(run, run.events.size(), boundary_sequence(run.config, draw));
    return;
  }
  const Event event = boundary_event(run.config, draw);
  if (run.events.size() < kDecodeMaxEvents && fits(run, event)) run.events.push_back(event);
}

// A whole new run: a new guest and two to eight draws of the boundaries, as a property
// generator would make one. An empty corpus starts from an input of no events, where
// inserting one event at a time describes a run that meets a boundary only after many
// executions.
void fresh_run(Run& run, Draw& draw) {
  run.events.clear();
  new_guest(run, draw);
  const std::uint64_t draws = 2 + draw.below(7);
  for (std::uint64_t i = 0; i < draws; ++i) append_boundaries(run, draw);
}

void mutate_once(Run& run, Draw& draw) {
  std::vector<Event>& list = run.events;
  const std::size_t at = draw.below(list.size() + 1);
  switch (draw.below(10)) {
    case 0:
    case 1:
    case 2:
    case 3: {  // insert an event of the boundaries
      if (list.size() >= kDecodeMaxEvents) break;
      for (std::size_t i = 0; i < kMaxTries; ++i) {
        const Event event = boundary_event(run.config, draw);
        if (!fits(run, event)) continue;
        list.insert(list.begin() + static_cast<std::ptrdiff_t>(at), event);
        break;
      }
      break;
    }
    case 4:
    case 5:  // insert any event
      if (list.size() < kDecodeMaxEvents) {
        list.insert(list.begin() + static_cast<std::ptrdiff_t>(at), random_event(run.config, draw));
      }
      break;
    case 6:  // replace an event by one of the boundaries, or insert a few that meet at one
      if (draw.one_in(2)) {
        insert_sequence(run, at, boundary_sequence(run.config, draw));
        break;
      }
      if (!list.empty()) {
        const Event event = boundary_event(run.config, draw);
        if (fits(run, event)) list[draw.below(list.size())] = event;
      }
      break;
    case 7:  // delete an event
      if (!list.empty())
        list.erase(list.begin() + static_cast<std::ptrdiff_t>(draw.below(list.size())));
      break;
    case 8:  // repeat an event elsewhere
      if (!list.empty() && list.size() < kDecodeMaxEvents) {
        const Event event = list[draw.below(list.size())];
        list.insert(list.begin() + static_cast<std::ptrdiff_t>(at), event);
      }
      break;
    default:
      new_guest(run, draw);
      break;
  }
}

}  // namespace

std::size_t mutate_run(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed,
                       ByteMutator bytes) {
  Draw draw(seed);
  if (bytes != nullptr && draw.one_in(2)) return bytes(data, size, max_size);
  DecodeInfo info;
  Run run = decode({data, size}, &info);
  // Bytes of no known format describe no run: start from their guest, with no events.
  if (!info.known_version) run.events.clear();
  if (run.events.size() < kFreshBelow || draw.one_in(kFreshOneIn)) {
    fresh_run(run, draw);
  } else {
    const std::uint64_t rounds = 1 + draw.below(3);
    for (std::uint64_t i = 0; i < rounds; ++i) mutate_once(run, draw);
  }
  if (!encodable(run).empty()) return bytes != nullptr ? bytes(data, size, max_size) : size;
  std::vector<std::uint8_t> out = encode(run);
  while (out.size() > max_size && !run.events.empty()) {
    run.events.pop_back();
    out = encode(run);
  }
  if (out.size() > max_size) return bytes != nullptr ? bytes(data, size, max_size) : size;
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

}  // namespace balloonbench::fuzz
