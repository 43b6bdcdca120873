// The allocator's first pass in layer-pipelined mode (allocation.cpp, point 3): the least
// slowest stage of any placement, without a placement. A stage time S fits if the layers can
// be placed with every stage within S; it is found by bisection over the doubles, where
// fitting keeps per offset in a tile only the earliest end the layers so far reach (a
// placement ending later at the same offset does no better).
#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "sim/compiler/allocation_time.h"

namespace mixpim::sim::allocation_detail {

namespace {
// ---- Stage records and the bisection.

// Per start offset and end offset in a tile, the PE counts at which the least stage so far
// falls: (pes, stage) with stage strictly falling.
struct StageRecords {
  int64_t per_tile = 1;
  // The records of list offset * per_tile + end offset are [begin[list], begin[list + 1]).
  std::vector<std::pair<int64_t, double>> records;
  std::vector<size_t> begin;

  // The fewest PEs from `offset` ending at `end_offset` with stage within `cap`, and that stage
  // (pes -1: none).
  std::pair<int64_t, double> fewest(int64_t offset, int64_t end_offset, double cap) const {
    const auto list = static_cast<size_t>(offset * per_tile + end_offset);
    const auto first = records.begin() + static_cast<std::ptrdiff_t>(begin[list]);
    const auto last = records.begin() + static_cast<std::ptrdiff_t>(begin[list + 1]);
    const auto it = std::partition_point(
        first, last, [&](const std::pair<int64_t, double>& x) { return x.second > cap; });
    return it == last ? std::pair<int64_t, double>{-1, 0.0} : *it;
  }
};

// Only stages within [low, high] are recorded, and a list ends at its first stage within low:
// for caps in [low, high] the fewest PEs are the same.
StageRecords stage_records(const LayerTimes& times, int64_t per_tile, double low, double high) {
  struct Record {
    size_t list;
    int64_t pes;
    double stage;
  };
  const auto lists = static_cast<size_t>(per_tile * per_tile);
  std::vector<Record> found;
  std::vector<double> least(lists, kNever);
  std::vector<LayerTime> by_offset(static_cast<size_t>(per_tile));
  for (int64_t pes = times.min_pes(); pes <= times.max_pes(); ++pes) {
    times.at_every_offset(pes, by_offset.data());
    for (int64_t offset = 0; offset < per_tile; ++offset) {
      const double stage = by_offset[static_cast<size_t>(offset)].stage_ns;
      const auto list = static_cast<size_t>(offset * per_tile + (offset + pes) % per_tile);
      if (stage < least[list]) {
        if (stage <= high && least[list] > low) found.push_back({list, pes, stage});
        least[list] = stage;
      }
    }
  }
  // Grouped by list, in order of PEs within each (a counting sort).
  StageRecords s;
  s.per_tile = per_tile;
  s.begin.assign(lists + 1, 0);
  for (const Record& r : found) ++s.begin[r.list + 1];
  for (size_t l = 0; l < lists; ++l) s.begin[l + 1] += s.begin[l];
  std::vector<size_t> at(s.begin.begin(), s.begin.end() - 1);
  s.records.resize(found.size());
  for (const Record& r : found) s.records[at[r.list]++] = {r.pes, r.stage};
  return s;
}

// Whether every layer can be placed with its stage within `cap`: per offset in a tile, the
// earliest end of the layers so far (and the slowest stage on the way there). Returns the
// slowest stage of a placement that fits, or -1.
double stages_fit(const std::vector<StageRecords>& records, const std::vector<int64_t>& min_pes,
                  const std::vector<int64_t>& max_pes, int64_t budget, double cap) {
  const int64_t per_tile = records.front().per_tile;
  constexpr int64_t kUnreached = std::numeric_limits<int64_t>::max();
  std::vector<int64_t> earliest(static_cast<size_t>(per_tile), kUnreached), next;
  std::vector<double> slowest(static_cast<size_t>(per_tile), 0.0), next_slowest;
  earliest[0] = 0;
  int64_t later_least = 0;
  for (int64_t least : min_pes) later_least += least;
  for (size_t k = 0; k < records.size(); ++k) {
    later_least -= min_pes[k];
    const int64_t room = budget - later_least;
    next.assign(earliest.size(), kUnreached);
    next_slowest.assign(earliest.size(), 0.0);
    bool any = false;
    for (int64_t offset = 0; offset < per_tile; ++offset) {
      const int64_t b = earliest[static_cast<size_t>(offset)];
      if (b == kUnreached) continue;
      for (int64_t end_offset = 0; end_offset < per_tile; ++end_offset) {
        const auto [pes, stage] = records[k].fewest(offset, end_offset, cap);
        if (pes < 0 || pes > max_pes[k] || b + pes > room) continue;
        const double path = std::max(slowest[static_cast<size_t>(offset)], stage);
        int64_t& e = next[static_cast<size_t>(end_offset)];
        double& e_slowest = next_slowest[static_cast<size_t>(end_offset)];
        if (b + pes < e || (b + pes == e && path < e_slowest)) {
          e = b + pes;
          e_slowest = path;
        }
        any = true;
      }
    }
    if (!any) return -1;
    earliest.swap(next);
    slowest.swap(next_slowest);
  }
  double fits = kNever;
  for (size_t r = 0; r < earliest.size(); ++r)
    if (earliest[r] != kUnreached) fits = std::min(fits, slowest[r]);
  return fits;
}

// Bisection over the doubles ordered as their bit patterns: the least x in (low, high] with
// fits(x), given fits(high) and not fits(low). `fits` may return a value y <= x with fits(y)
// (or a negative number for no), which lowers the upper end at once.
template <typename Fits>
double least_fitting(double low, double high, Fits fits) {
  auto bits = [](double x) {
    uint64_t u = 0;
    std::memcpy(&u, &x, sizeof u);
    return u;
  };
  auto value = [](uint64_t u) {
    double x = 0;
    std::memcpy(&x, &u, sizeof x);
    return x;
  };
  uint64_t below = bits(low), above = bits(high);
  while (above - below > 1) {
    const uint64_t middle = below + (above - below) / 2;
    const double y = fits(value(middle));
    if (y >= 0) {
      above = bits(y);
    } else {
      below = middle;
    }
  }
  return value(above);
}

// Per PE count, the least and the most stage of a layer over the offsets in a tile, each
// prefix-minimised over PE counts (so non-increasing): at least best[p] PEs reach a stage S
// from the best offset only if best[p] <= S; worst[p] <= S from every offset.
struct StageEnvelope {
  std::vector<double> best, worst;  // [pes - min_pes]
};

StageEnvelope stage_envelope(const LayerTimes& times, int64_t per_tile) {
  StageEnvelope e;
  std::vector<LayerTime> by_offset(static_cast<size_t>(per_tile));
  double best = kNever, worst = kNever;
  for (int64_t pes = times.min_pes(); pes <= times.max_pes(); ++pes) {
    times.at_every_offset(pes, by_offset.data());
    double least = kNever, most = 0;
    for (const LayerTime& t : by_offset) {
      least = std::min(least, t.stage_ns);
      most = std::max(most, t.stage_ns);
    }
    best = std::min(best, least);
    worst = std::min(worst, most);
    e.best.push_back(best);
    e.worst.push_back(worst);
  }
  return e;
}

// The least S at which the layers' fewest PEs with envelope (best or worst) within S sum within
// the budget. With `best` no placement has a slowest stage below it; with `worst` a placement
// (those PE counts, whatever their offsets) has its slowest stage within it.
double balanced_stage(const std::vector<StageEnvelope>& envelopes, bool worst,
                      const std::vector<int64_t>& min_pes, int64_t budget) {
  double most = 0;
  for (const StageEnvelope& e : envelopes)
    most = std::max(most, (worst ? e.worst : e.best).front());
  auto fits = [&](double cap) {
    int64_t total = 0;
    for (size_t k = 0; k < envelopes.size(); ++k) {
      const std::vector<double>& f = worst ? envelopes[k].worst : envelopes[k].best;
      const auto it = std::partition_point(f.begin(), f.end(), [&](double x) { return x > cap; });
      if (it == f.end()) return -1.0;
      total += min_pes[k] + (it - f.begin());
      if (total > budget) return -1.0;
    }
    return cap;
  };
  if (fits(0.0) >= 0) return 0.0;
  return least_fitting(0.0, most, fits);
}

// The least slowest stage: within [low, high] (low from balanced_stage with best, high with
// worst). Fitting changes only at a recorded stage, so the answer is one.
double least_recorded_stage(const std::vector<StageRecords>& records,
                            const std::vector<int64_t>& min_pes,
                            const std::vector<int64_t>& max_pes, int64_t budget, double low,
                            double high) {
  auto fits = [&](double cap) { return stages_fit(records, min_pes, max_pes, budget, cap); };
  const double at_low = fits(low);
  if (at_low >= 0) return at_low;
  const double at_high = fits(high);
  if (at_high < 0) throw std::logic_error("allocate_pes: no placement within the stage bound");
  return least_fitting(low, at_high, fits);
}
}  // namespace

double least_slowest_stage(const std::vector<LayerTimes>& times,
                           const std::vector<int64_t>& min_pes, const std::vector<int64_t>& max_pes,
                           int64_t budget, int64_t per_tile) {
  // Bounds first, from each layer's best and worst offsets; then the placements between.
  std::vector<StageEnvelope> envelopes;
  envelopes.reserve(times.size());
  for (const LayerTimes& t : times) envelopes.push_back(stage_envelope(t, per_tile));
  const double low = balanced_stage(envelopes, false, min_pes, budget);
  const double high = balanced_stage(envelopes, true, min_pes, budget);
  envelopes.clear();
  std::vector<StageRecords> records;
  records.reserve(times.size());
  for (const LayerTimes& t : times) records.push_back(stage_records(t, per_tile, low, high));
  return least_recorded_stage(records, min_pes, max_pes, budget, low, high);
}

}  // namespace mixpim::sim::allocation_detail
