#include "allocation.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "adc.h"
#include "analytic.h"
#include "memory_guard.h"
#include "work_model.h"

namespace mixpim::sim {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

constexpr double kNever = std::numeric_limits<double>::infinity();

double bound_or_zero(const LayerProgram& perf, const char* name) {
  const auto it = perf.bounds_ns.find(name);
  return it == perf.bounds_ns.end() ? 0.0 : it->second;
}

TileWork tile_work(const LayerProgram& perf) {
  return {bound_or_zero(perf, "digital"), bound_or_zero(perf, "buffer"),
          bound_or_zero(perf, "noc")};
}

// The crossbar and ADC part of a layer's time: it depends on the PE count, not on where the
// PEs are.
struct ArrayTime {
  int64_t replication = 0;
  double ns = 0;
};

ArrayTime array_time(const LayerMapping& m, int64_t pes, int adc_bits, const ArchConfig& arch) {
  // As many copies as the PEs hold, less those that shorten nothing (same MVMs per copy).
  const int64_t fit = std::min(m.mvms, pes * arch.pe.crossbars / m.arrays());
  const int64_t mvms_per_copy = ceil_div(m.mvms, fit);
  const int64_t copies = ceil_div(m.mvms, mvms_per_copy);
  // The work model's read step (work_model.h, read_step_ns): the array read, the busiest PE's
  // conversions and shift-adds, overlapped behind a sample-and-hold.
  const auto reads = static_cast<double>(mvms_per_copy * m.input_cycles);
  const int64_t columns = m.busiest_pe_columns(arch.pe.crossbars, copies, pes);
  return {copies, reads * read_step_ns(arch, columns, adc_bits)};
}

// The busiest tile's share of PEs [first_pe, first_pe + pes) and the routers serving the tiles
// they span, as tile_shares() and the work model count them.
struct Spread {
  double busiest_share = 1;
  double routers = 1;
};

Spread spread(int64_t first_pe, int64_t pes, const ArchConfig& arch) {
  const int64_t per_tile = arch.tile.pes;
  const int64_t first_tile = first_pe / per_tile, last_tile = (first_pe + pes - 1) / per_tile;
  int64_t busiest = 0;
  if (first_tile == last_tile) {
    busiest = pes;
  } else {
    busiest =
        std::max((first_tile + 1) * per_tile - first_pe, first_pe + pes - last_tile * per_tile);
    if (last_tile - first_tile > 1) busiest = per_tile;
  }
  const auto tiles = static_cast<double>(last_tile - first_tile + 1);
  return {static_cast<double>(busiest) / static_cast<double>(pes),
          std::ceil(tiles / arch.chip.noc.tiles_per_router)};
}

double tile_time(const TileWork& w, const Spread& s) {
  return std::max(
      {w.digital_ns * s.busiest_share, w.buffer_ns * s.busiest_share, w.noc_ns / s.routers});
}

LayerTime combine(const ArrayTime& array, const LayerWork& work, const Spread& s) {
  LayerTime t;
  t.replication = array.replication;
  const double own = std::max(array.ns, tile_time(work.own, s));
  t.stage_ns = own;
  t.sequential_ns = own;
  for (const TileWork& follower : work.followers) {
    const double ns = tile_time(follower, s);
    t.stage_ns = std::max(t.stage_ns, ns);
    t.sequential_ns += ns;
  }
  return t;
}

// Times of one layer for every PE count it may take, from each offset inside a tile, stored
// by offset so that the program's inner loop over PE counts reads memory in order.
struct LayerOptions {
  int64_t min_pes = 0, max_pes = 0;
  int per_tile = 1;
  std::vector<int64_t> replication;                // [pes - min_pes]
  std::vector<std::vector<double>> stage_ns;       // [offset][pes - min_pes]
  std::vector<std::vector<double>> sequential_ns;  // [offset][pes - min_pes]
};

LayerOptions layer_options(const LayerMapping& m, const LayerWork& work, int64_t max_pes,
                           const ArchConfig& arch) {
  LayerOptions o;
  o.per_tile = arch.tile.pes;
  o.min_pes = ceil_div(m.arrays(), arch.pe.crossbars);
  o.max_pes = max_pes;
  o.stage_ns.resize(static_cast<size_t>(o.per_tile));
  o.sequential_ns.resize(static_cast<size_t>(o.per_tile));
  std::vector<std::vector<LayerTime>> times(static_cast<size_t>(o.per_tile));  // undominated
  const int adc_bits = layer_adc(m, arch).bits;  // the same for every PE count
  for (int64_t pes = o.min_pes; pes <= max_pes; ++pes) {
    const ArrayTime array = array_time(m, pes, adc_bits, arch);
    o.replication.push_back(array.replication);
    for (size_t offset = 0; offset < times.size(); ++offset) {
      const LayerTime t = combine(array, work, spread(static_cast<int64_t>(offset), pes, arch));
      times[offset].push_back(t);
      // A tile's worth fewer PEs from the same offset, no slower, dominates this option: the
      // layers after it keep their offsets and have more room. Dropping dominated options keeps
      // the program exact and skips the PEs that shorten nothing.
      const int64_t fewer = pes - o.min_pes - o.per_tile;
      const bool dominated =
          fewer >= 0 && times[offset][static_cast<size_t>(fewer)].stage_ns <= t.stage_ns &&
          times[offset][static_cast<size_t>(fewer)].sequential_ns <= t.sequential_ns;
      o.stage_ns[offset].push_back(dominated ? kNever : t.stage_ns);
      o.sequential_ns[offset].push_back(dominated ? kNever : t.sequential_ns);
    }
  }
  return o;
}

// One pass of the dynamic program over PE positions; cost[b] is the best objective of the
// layers so far ending at PE b. kSlowestStage: the objective is the slowest stage; otherwise
// the sum of sequential times, over options whose stage is within `stage_cap`. Returns, for
// every layer and end position, where the layer starts.
template <bool kSlowestStage>
std::vector<std::vector<int64_t>> run_program(const std::vector<LayerOptions>& options,
                                              int64_t budget, double stage_cap,
                                              std::vector<double>& cost) {
  std::vector<std::vector<int64_t>> previous(options.size());
  cost.assign(static_cast<size_t>(budget) + 1, kNever);
  cost[0] = 0;
  std::vector<double> next;
  int64_t later_least = 0;  // PEs the layers after k need at least
  for (const LayerOptions& o : options) later_least += o.min_pes;
  for (size_t k = 0; k < options.size(); ++k) {
    const LayerOptions& o = options[k];
    later_least -= o.min_pes;
    const int64_t room = budget - later_least;  // where layer k must end by
    next.assign(cost.size(), kNever);
    std::vector<int64_t>& from = previous[k];
    from.assign(cost.size(), -1);
    for (int64_t b = 0; b + o.min_pes <= room; ++b) {
      const double before = cost[static_cast<size_t>(b)];
      if (before == kNever) continue;
      const auto offset = static_cast<size_t>(b % o.per_tile);
      const double* stage = o.stage_ns[offset].data();
      const double* sequential = o.sequential_ns[offset].data();
      const int64_t count = std::min(o.max_pes, room - b) - o.min_pes + 1;
      double* out = next.data() + b + o.min_pes;
      int64_t* out_from = from.data() + b + o.min_pes;
      for (int64_t i = 0; i < count; ++i) {
        double c = 0;
        if constexpr (kSlowestStage) {
          c = std::max(before, stage[i]);
        } else {
          if (stage[i] > stage_cap) continue;
          c = before + sequential[i];
        }
        if (c < out[i]) {
          out[i] = c;
          out_from[i] = b;
        }
      }
    }
    cost.swap(next);
  }
  return previous;
}

// The cheapest end position (the fewest PEs among equals).
int64_t best_end(const std::vector<double>& cost) {
  int64_t end = -1;
  for (size_t b = 0; b < cost.size(); ++b) {
    if (cost[b] != kNever && (end < 0 || cost[b] < cost[static_cast<size_t>(end)])) {
      end = static_cast<int64_t>(b);
    }
  }
  return end;
}

// ---- The allocator (allocate_pes). It returns the reference's placement (the same PE counts,
// first PEs and copies) without running the reference's program over every position and PE
// count; tests/unit/test_allocation.cpp compares the two placement for placement.
//
// Why the answer is the reference's. The reference keeps the least objective, then the fewest
// PEs, and at each end position the earliest start among equals. The program below visits a
// subset of the reference's (position, option) pairs in the same order with the same
// comparisons and arithmetic, so it returns the reference's placement as long as the subset
// holds that placement (cost and back pointers along it are then the same, and nothing it
// visits beats them). It drops three kinds of pairs, none on the reference's placement:
// 1. Dominated positions: layers so far ending at PE b' < b, b' = b (mod PEs per tile), at no
//    more cost than at b. A layer's time depends only on its PE count and its first PE's offset
//    in a tile, so the rest of a placement through b, moved a whole number of tiles earlier,
//    follows b' at the same cost: a placement through b is never the reference's (it would
//    have one at no more cost on fewer PEs).
// 2. Pairs outside the band: positions e after layer k where a lower bound of the cost to
//    reach e plus a lower bound of the cost from e on exceeds an upper bound of the optimum.
//    The bounds relax each layer's time to the lower convex hull of its least time over
//    offsets; on a convex relaxation the least cost of a PE total is the inf-convolution of the
//    hulls (their slopes merged), a valid lower bound of every placement. The upper bound is a
//    placement found in a narrow band first: if it costs no more than that band's threshold it
//    is optimal; otherwise the band is redrawn at its cost.
// 3. The slowest-stage pass (layer-pipelined) needs only the least slowest stage, not a
//    placement: it is the least S for which PE positions can be reached with every stage
//    within S, found by bisection over the doubles, where reachability keeps per offset in a
//    tile only the earliest end (by 1., enough).
// What remains grows with the PEs times the layers (times, per layer, evaluated once per PE
// count and offset) plus the band's positions times its width.

// The band and bound tests compare sums of one placement's times, added in another order, with
// a margin far above their rounding.
constexpr double kBoundMargin = 1e-9;

// One layer's times for every PE count it may take, the array part computed once per count.
class LayerTimes {
 public:
  LayerTimes(const LayerMapping& m, const LayerWork& work, int64_t min_pes, int64_t max_pes,
             const ArchConfig& arch)
      : work_(work), arch_(arch), per_tile_(arch.tile.pes), min_pes_(min_pes), max_pes_(max_pes) {
    const int adc_bits = layer_adc(m, arch).bits;
    int64_t copies = -1, per_pe = -1;
    ArrayTime cached;
    for (int64_t pes = min_pes; pes <= max_pes; ++pes) {
      // The array part changes only when the copies or the arrays per PE do.
      const int64_t fit = std::min(m.mvms, pes * arch.pe.crossbars / m.arrays());
      const int64_t now_copies = ceil_div(m.mvms, ceil_div(m.mvms, fit));
      const int64_t now_per_pe =
          std::min<int64_t>(arch.pe.crossbars, ceil_div(m.arrays() * now_copies, pes));
      if (now_copies != copies || now_per_pe != per_pe) {
        copies = now_copies;
        per_pe = now_per_pe;
        cached = array_time(m, pes, adc_bits, arch);
      }
      array_.push_back(cached);
    }
  }
  int64_t min_pes() const { return min_pes_; }
  int64_t max_pes() const { return max_pes_; }
  int64_t replication(int64_t pes) const {
    return array_[static_cast<size_t>(pes - min_pes_)].replication;
  }
  LayerTime at(int64_t offset, int64_t pes) const {
    return combine(array_[static_cast<size_t>(pes - min_pes_)], work_, spread(offset, pes, arch_));
  }
  // at(offset, pes) for every offset in a tile, into out[offset]. Offsets whose busiest tile
  // share and routers are the same share one evaluation (past two tiles' worth of PEs, every
  // offset has one of two).
  void at_every_offset(int64_t pes, LayerTime* out) const {
    const ArrayTime& array = array_[static_cast<size_t>(pes - min_pes_)];
    if ((pes - 1) / per_tile_ >= 2) {
      // Every offset spans three tiles or more: the busiest tile is full, and offsets from
      // `wrap` on span one tile more (perhaps one router more).
      const int64_t wrap = per_tile_ - (pes - 1) % per_tile_;
      const LayerTime before = combine(array, work_, spread(0, pes, arch_));
      std::fill(out, out + wrap, before);
      if (wrap < per_tile_)
        std::fill(out + wrap, out + per_tile_, combine(array, work_, spread(wrap, pes, arch_)));
      return;
    }
    Spread last{-1, -1};
    for (int64_t offset = 0; offset < per_tile_; ++offset) {
      const Spread s = spread(offset, pes, arch_);
      if (s.busiest_share == last.busiest_share && s.routers == last.routers) {
        out[offset] = out[offset - 1];
      } else {
        out[offset] = combine(array, work_, s);
        last = s;
      }
    }
  }
  // The reference's option set: a tile's worth fewer PEs from the same offset, no slower in
  // either time, excludes an option.
  bool excluded(int64_t offset, int64_t pes, const LayerTime& t) const {
    if (pes - per_tile_ < min_pes_) return false;
    const LayerTime fewer = at(offset, pes - per_tile_);
    return fewer.stage_ns <= t.stage_ns && fewer.sequential_ns <= t.sequential_ns;
  }

 private:
  const LayerWork& work_;
  const ArchConfig& arch_;
  int64_t per_tile_, min_pes_, max_pes_;
  std::vector<ArrayTime> array_;  // [pes - min_pes]
};

// ---- The least slowest stage (3. above).

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
double least_slowest_stage(const std::vector<StageRecords>& records,
                           const std::vector<int64_t>& min_pes, const std::vector<int64_t>& max_pes,
                           int64_t budget, double low, double high) {
  auto fits = [&](double cap) { return stages_fit(records, min_pes, max_pes, budget, cap); };
  const double at_low = fits(low);
  if (at_low >= 0) return at_low;
  const double at_high = fits(high);
  if (at_high < 0) throw std::logic_error("allocate_pes: no placement within the stage bound");
  return least_fitting(low, at_high, fits);
}

// ---- The bounds (2. above).

// A convex piecewise-linear function of a PE count: `value` at `start`, then segments of
// `length` PEs and a slope, slopes rising.
struct Convex {
  int64_t start = 0;
  double value = 0;
  std::vector<std::pair<double, int64_t>> segments;  // (slope, length)
  int64_t end() const {
    int64_t e = start;
    for (const auto& s : segments) e += s.second;
    return e;
  }
};

// The lower convex hull of f over [first, first + f.size()), f infinite where not allowed.
Convex lower_hull(const std::vector<double>& f, int64_t first) {
  std::vector<int64_t> hull;  // indices into f
  for (int64_t i = 0; i < static_cast<int64_t>(f.size()); ++i) {
    if (f[static_cast<size_t>(i)] == kNever) continue;
    while (hull.size() >= 2) {
      const int64_t a = hull[hull.size() - 2], b = hull.back();
      // b lies on or above the chord from a to i: drop it.
      const double cross =
          (f[static_cast<size_t>(b)] - f[static_cast<size_t>(a)]) * static_cast<double>(i - a) -
          (f[static_cast<size_t>(i)] - f[static_cast<size_t>(a)]) * static_cast<double>(b - a);
      if (cross < 0) break;
      hull.pop_back();
    }
    hull.push_back(i);
  }
  Convex c;
  if (hull.empty()) return c;
  c.start = first + hull.front();
  c.value = f[static_cast<size_t>(hull.front())];
  for (size_t j = 1; j < hull.size(); ++j) {
    const int64_t length = hull[j] - hull[j - 1];
    c.segments.emplace_back(
        (f[static_cast<size_t>(hull[j])] - f[static_cast<size_t>(hull[j - 1])]) /
            static_cast<double>(length),
        length);
  }
  return c;
}

// The inf-convolution of two convex functions: the least sum of the two at a total.
Convex inf_convolution(const Convex& a, const Convex& b) {
  Convex c;
  c.start = a.start + b.start;
  c.value = a.value + b.value;
  c.segments.resize(a.segments.size() + b.segments.size());
  std::merge(a.segments.begin(), a.segments.end(), b.segments.begin(), b.segments.end(),
             c.segments.begin());
  return c;
}

// f at every integer 0..budget (infinite outside its domain).
std::vector<double> evaluate(const Convex& f, int64_t budget) {
  std::vector<double> out(static_cast<size_t>(budget) + 1, kNever);
  int64_t x = f.start;
  double v = f.value;
  if (x <= budget) out[static_cast<size_t>(x)] = v;
  for (const auto& [slope, length] : f.segments) {
    for (int64_t i = 1; i <= length && x + i <= budget; ++i)
      out[static_cast<size_t>(x + i)] = v + slope * static_cast<double>(i);
    x += length;
    v += slope * static_cast<double>(length);
    if (x > budget) break;
  }
  return out;
}

// ---- The program (1. and 2. above).

struct Band {
  int64_t low = 0, high = -1;  // positions [low, high]; empty when high < low
};

// The reference's second pass restricted to `bands` (one per layer, of end positions) and to
// states whose cost plus `to_go` (a lower bound of the rest) stays within `threshold`. Returns
// back pointers; `cost` as the reference's.
std::vector<std::vector<int64_t>> banded_program(const std::vector<LayerTimes>& times,
                                                 int64_t budget, double stage_cap,
                                                 const std::vector<Band>& bands,
                                                 const std::vector<std::vector<double>>& to_go,
                                                 double threshold, int64_t per_tile,
                                                 std::vector<double>& cost) {
  std::vector<std::vector<int64_t>> previous(times.size());
  cost.assign(static_cast<size_t>(budget) + 1, kNever);
  cost[0] = 0;
  std::vector<double> next;
  std::vector<double> least_at_offset(static_cast<size_t>(per_tile));
  int64_t later_least = 0;
  for (const LayerTimes& t : times) later_least += t.min_pes();
  Band from_band{0, 0};
  for (size_t k = 0; k < times.size(); ++k) {
    const LayerTimes& t = times[k];
    later_least -= t.min_pes();
    const int64_t room = budget - later_least;
    const Band& band = bands[k];
    next.assign(cost.size(), kNever);
    std::vector<int64_t>& from = previous[k];
    from.assign(cost.size(), -1);
    std::fill(least_at_offset.begin(), least_at_offset.end(), kNever);
    // Positions before the band are not reached (their cost is infinite): start the dominance
    // scan at the band.
    for (int64_t b = from_band.low; b <= from_band.high && b + t.min_pes() <= room; ++b) {
      const double before = cost[static_cast<size_t>(b)];
      const auto offset = static_cast<size_t>(b % per_tile);
      if (!(before < least_at_offset[offset])) continue;  // unreached or dominated
      least_at_offset[offset] = before;
      const std::vector<double>& rest = to_go[k];
      const int64_t first = std::max(t.min_pes(), band.low - b);
      const int64_t last = std::min({t.max_pes(), room - b, band.high - b});
      for (int64_t pes = first; pes <= last; ++pes) {
        const LayerTime lt = t.at(static_cast<int64_t>(offset), pes);
        if (lt.stage_ns > stage_cap) continue;
        const double c = before + lt.sequential_ns;
        const int64_t end = b + pes;
        if (!(c < next[static_cast<size_t>(end)])) continue;
        if (c + rest[static_cast<size_t>(end)] > threshold) continue;
        if (t.excluded(static_cast<int64_t>(offset), pes, lt)) continue;
        next[static_cast<size_t>(end)] = c;
        from[static_cast<size_t>(end)] = b;
      }
    }
    cost.swap(next);
    from_band = band;
  }
  return previous;
}

}  // namespace

std::vector<LayerWork> layer_work(const Network& network, const PrecisionProfile& profile,
                                  const ArchConfig& arch, const NetworkMapping& mapping) {
  // Every layer on a tile (and so a router) of its own, one PE share: the engine's digital,
  // buffer and NoC bounds are then the work of one tile and one router, and every input
  // crosses the NoC.
  NetworkMapping alone = mapping;
  alone.resident = true;
  for (size_t k = 0; k < alone.layers.size(); ++k) {
    LayerMapping& m = alone.layers[k];
    m.replication = 1;
    m.passes = 1;
    m.pes = 0;
    m.first_pe = 0;
    m.first_tile = m.last_tile = static_cast<int>(k);
  }
  const WorkModel perf = build_work_model(network, profile, arch, alone);
  std::vector<int> owner(network.layers.size(), -1);  // index into mapping.layers
  std::vector<LayerWork> work(mapping.layers.size());
  for (size_t i = 0; i < network.layers.size(); ++i) {
    const LayerProgram& l = perf.layers[i];
    if (l.mapping >= 0) {
      owner[i] = l.mapping;
      work[static_cast<size_t>(l.mapping)].own = tile_work(l);
      continue;
    }
    const Layer& layer = network.layers[i];
    const int producer = layer.producers.empty() ? kNetworkInput : layer.producers.front();
    if (producer == kNetworkInput || owner[static_cast<size_t>(producer)] < 0) continue;
    owner[i] = owner[static_cast<size_t>(producer)];
    work[static_cast<size_t>(owner[i])].followers.push_back(tile_work(l));
  }
  return work;
}

LayerTime layer_time(const LayerMapping& m, const LayerWork& work, int64_t first_pe, int64_t pes,
                     const ArchConfig& arch) {
  return combine(array_time(m, pes, layer_adc(m, arch).bits, arch), work,
                 spread(first_pe, pes, arch));
}

int64_t allocate_pes_reference(const std::vector<LayerMapping*>& layers,
                               const std::vector<const LayerWork*>& work, int64_t pe_budget,
                               MappingMode mode, const ArchConfig& arch) {
  std::vector<LayerOptions> options;
  int64_t least = 0;
  for (const LayerMapping* m : layers) least += ceil_div(m->arrays(), arch.pe.crossbars);
  // Memory, before allocating: per layer a PE count's replication and two times per offset in
  // a tile, for every PE count it may take; the program's cost and back-pointer arrays.
  // Every layer may take from its least PEs up to what the others' least leave: budget - least
  // + 1 counts.
  const double counts = static_cast<double>(std::max<int64_t>(0, pe_budget - least + 1));
  const double bytes =
      static_cast<double>(layers.size()) * counts * (8.0 + 16.0 * arch.tile.pes) +
      static_cast<double>(layers.size() + 2) * static_cast<double>(pe_budget + 1) * 8;
  check_memory(bytes,
               "the PE allocator for " + std::to_string(pe_budget) + " PEs (" +
                   std::to_string(arch.chip.tiles) + " tiles x " + std::to_string(arch.tile.pes) +
                   " PEs) and " + std::to_string(layers.size()) + " layers",
               key_location(arch, {"tile", "pes"}), "tile.pes",
               "use fewer PEs per tile or fewer tiles (chip.tiles), or raise the limit");
  for (size_t k = 0; k < layers.size(); ++k) {
    const int64_t own_least = ceil_div(layers[k]->arrays(), arch.pe.crossbars);
    options.push_back(layer_options(*layers[k], *work[k], pe_budget - (least - own_least), arch));
  }

  std::vector<double> cost;
  double stage_cap = kNever;
  if (mode == MappingMode::kLayerPipelined) {
    // Throughput first: the least slowest stage any placement reaches...
    run_program<true>(options, pe_budget, kNever, cost);
    stage_cap = cost[static_cast<size_t>(best_end(cost))];
  }
  // ...then the least total time at that stage time.
  const std::vector<std::vector<int64_t>> previous =
      run_program<false>(options, pe_budget, stage_cap, cost);
  const int64_t used = best_end(cost);

  int64_t end = used;
  for (size_t k = layers.size(); k-- > 0;) {
    LayerMapping& m = *layers[k];
    const int64_t first = previous[k][static_cast<size_t>(end)];
    m.pes = end - first;
    m.replication = options[k].replication[static_cast<size_t>(m.pes - options[k].min_pes)];
    m.first_pe = first;
    m.first_tile = static_cast<int>(first / arch.tile.pes);
    m.last_tile = static_cast<int>((end - 1) / arch.tile.pes);
    end = first;
  }
  return used;
}

int64_t allocate_pes(const std::vector<LayerMapping*>& layers,
                     const std::vector<const LayerWork*>& work, int64_t pe_budget, MappingMode mode,
                     const ArchConfig& arch) {
  const int64_t per_tile = arch.tile.pes;
  const size_t n = layers.size();
  std::vector<int64_t> min_pes, max_pes;
  int64_t least = 0;
  for (const LayerMapping* m : layers) {
    min_pes.push_back(ceil_div(m->arrays(), arch.pe.crossbars));
    least += min_pes.back();
  }
  for (int64_t own_least : min_pes) max_pes.push_back(pe_budget - (least - own_least));
  // Memory, before allocating: per layer the array time of every PE count it may take, its
  // stage records (at worst one per PE count and offset in a tile, 16 bytes, twice for the
  // lists' growth, and a list per
  // pair of offsets), two bounds and the back pointers per position; the cost arrays.
  const double counts = static_cast<double>(std::max<int64_t>(0, pe_budget - least + 1));
  const double positions = static_cast<double>(pe_budget + 1);
  const double bytes = static_cast<double>(n) *
                           (counts * (16.0 + 32.0 * per_tile) +
                            static_cast<double>(per_tile) * per_tile * 24.0 + positions * 24.0) +
                       4 * positions * 8;
  check_memory(bytes,
               "the PE allocator for " + std::to_string(pe_budget) + " PEs (" +
                   std::to_string(arch.chip.tiles) + " tiles x " + std::to_string(per_tile) +
                   " PEs) and " + std::to_string(n) + " layers",
               key_location(arch, {"tile", "pes"}), "tile.pes",
               "use fewer PEs per tile or fewer tiles (chip.tiles), or raise the limit");

  std::vector<LayerTimes> times;
  times.reserve(n);
  for (size_t k = 0; k < n; ++k)
    times.emplace_back(*layers[k], *work[k], min_pes[k], max_pes[k], arch);

  double stage_cap = kNever;
  if (mode == MappingMode::kLayerPipelined) {
    // Throughput first: the least slowest stage any placement reaches.
    // Bounds first, from each layer's best and worst offsets; then the placements between.
    std::vector<StageEnvelope> envelopes;
    for (size_t k = 0; k < n; ++k) envelopes.push_back(stage_envelope(times[k], per_tile));
    const double low = balanced_stage(envelopes, false, min_pes, pe_budget);
    const double high = balanced_stage(envelopes, true, min_pes, pe_budget);
    envelopes.clear();
    std::vector<StageRecords> records;
    for (size_t k = 0; k < n; ++k) records.push_back(stage_records(times[k], per_tile, low, high));
    stage_cap = least_slowest_stage(records, min_pes, max_pes, pe_budget, low, high);
  }

  // ...then the least total time at that stage time. Each layer's least time per PE count over
  // the offsets, relaxed to its lower convex hull; `reach[k]` bounds the cost of layers 0..k
  // ending at a position, `to_go[k]` that of layers k+1.. from it (within the budget).
  std::vector<Convex> hulls;
  std::vector<LayerTime> by_offset(static_cast<size_t>(per_tile));
  for (size_t k = 0; k < n; ++k) {
    std::vector<double> f(static_cast<size_t>(max_pes[k] - min_pes[k] + 1), kNever);
    for (int64_t pes = min_pes[k]; pes <= max_pes[k]; ++pes) {
      double& least_ns = f[static_cast<size_t>(pes - min_pes[k])];
      times[k].at_every_offset(pes, by_offset.data());
      for (const LayerTime& t : by_offset)
        if (t.stage_ns <= stage_cap) least_ns = std::min(least_ns, t.sequential_ns);
    }
    hulls.push_back(lower_hull(f, min_pes[k]));
  }
  std::vector<std::vector<double>> reach(n), to_go(n);
  Convex sum = hulls[0];
  reach[0] = evaluate(sum, pe_budget);
  for (size_t k = 1; k < n; ++k) {
    sum = inf_convolution(sum, hulls[k]);
    reach[k] = evaluate(sum, pe_budget);
  }
  // to_go[k][e]: the least of the later layers' hull sum over totals up to budget - e.
  to_go[n - 1].assign(static_cast<size_t>(pe_budget) + 1, 0.0);
  Convex later;
  for (size_t k = n - 1; k-- > 0;) {
    later = k == n - 2 ? hulls[k + 1] : inf_convolution(hulls[k + 1], later);
    const std::vector<double> at_total = evaluate(later, pe_budget);
    std::vector<double>& out = to_go[k];
    out.assign(static_cast<size_t>(pe_budget) + 1, kNever);
    double best = kNever;
    for (int64_t total = 0; total <= pe_budget; ++total) {
      best = std::min(best, at_total[static_cast<size_t>(total)]);
      out[static_cast<size_t>(pe_budget - total)] = best;
    }
  }
  double lower = kNever;  // of the optimum
  for (double v : reach[n - 1]) lower = std::min(lower, v);

  // The band at a threshold: the positions whose two bounds sum within it.
  auto bands_at = [&](double threshold) {
    std::vector<Band> bands(n);
    for (size_t k = 0; k < n; ++k) {
      Band& band = bands[k];
      for (int64_t e = 0; e <= pe_budget; ++e) {
        if (reach[k][static_cast<size_t>(e)] + to_go[k][static_cast<size_t>(e)] > threshold)
          continue;
        if (band.high < band.low) band.low = e;
        band.high = e;
      }
    }
    return bands;
  };
  std::vector<double> cost;
  std::vector<std::vector<int64_t>> previous;
  int64_t used = -1;
  double threshold = lower * (1 + 1e-6);
  for (;;) {
    const double with_margin = threshold * (1 + kBoundMargin);
    previous = banded_program(times, pe_budget, stage_cap, bands_at(with_margin), to_go,
                              with_margin, per_tile, cost);
    used = best_end(cost);
    if (used < 0) {  // nothing within the band: widen it
      threshold = lower + (threshold - lower) * 16;
      continue;
    }
    const double found = cost[static_cast<size_t>(used)];
    if (found <= threshold) break;  // no placement outside the band costs less
    threshold = found;              // a placement costs `found`: the optimum is within that band
  }

  int64_t end = used;
  for (size_t k = n; k-- > 0;) {
    LayerMapping& m = *layers[k];
    const int64_t first = previous[k][static_cast<size_t>(end)];
    m.pes = end - first;
    m.replication = times[k].replication(m.pes);
    m.first_pe = first;
    m.first_tile = static_cast<int>(first / per_tile);
    m.last_tile = static_cast<int>((end - 1) / per_tile);
    end = first;
  }
  return used;
}

}  // namespace mixpim::sim
