#pragma once
// Inside the PE allocator (allocation.cpp, allocation_reference.cpp): a layer's time as the
// allocator computes it, from its PE count (the array part) and where its first PE falls in a
// tile (the tile part). Inline: the allocator evaluates these for every PE count and offset.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/compiler/adc.h"
#include "sim/compiler/allocation.h"
#include "sim/compiler/work_model.h"

namespace mixpim::sim::allocation_detail {

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

constexpr double kNever = std::numeric_limits<double>::infinity();

// The crossbar and ADC part of a layer's time: it depends on the PE count, not on where the
// PEs are.
struct ArrayTime {
  int64_t replication = 0;
  double ns = 0;
};

inline ArrayTime array_time(const LayerMapping& m, int64_t pes, int adc_bits,
                            const ArchConfig& arch) {
  // As many copies as the PEs hold, less those that shorten nothing (same MVMs per copy).
  const int64_t fit = std::min(m.mvms, pes * arch.pe.crossbars / m.arrays());
  const int64_t mvms_per_copy = ceil_div(m.mvms, fit);
  const int64_t copies = ceil_div(m.mvms, mvms_per_copy);
  // The work model's read step (work_model.h, read_step_ns): the array read, the busiest PE's
  // conversions and shift-adds, overlapped behind a sample-and-hold.
  const auto reads = static_cast<double>(mvms_per_copy * m.input_cycles);
  const int64_t columns = m.busiest_pe_columns(arch.pe.crossbars, copies, pes);
  return {copies, reads * read_step_ns(arch, columns, adc_bits, m.max_read_groups())};
}

// The busiest tile's share of PEs [first_pe, first_pe + pes) and the routers serving the tiles
// they span, as tile_shares() and the work model count them.
struct Spread {
  double busiest_share = 1;
  double routers = 1;
};

inline Spread spread(int64_t first_pe, int64_t pes, const ArchConfig& arch) {
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

inline double tile_time(const TileWork& w, const Spread& s) {
  return std::max(
      {w.digital_ns * s.busiest_share, w.buffer_ns * s.busiest_share, w.noc_ns / s.routers});
}

inline LayerTime combine(const ArrayTime& array, const LayerWork& work, const Spread& s) {
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

// The cheapest end position (the fewest PEs among equals).
inline int64_t best_end(const std::vector<double>& cost) {
  int64_t end = -1;
  for (size_t b = 0; b < cost.size(); ++b) {
    if (cost[b] != kNever && (end < 0 || cost[b] < cost[static_cast<size_t>(end)])) {
      end = static_cast<int64_t>(b);
    }
  }
  return end;
}

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

// The least slowest stage of any placement of `times` (consecutive layers from PE 0) within
// `budget` PEs (allocation_stage.cpp).
double least_slowest_stage(const std::vector<LayerTimes>& times,
                           const std::vector<int64_t>& min_pes, const std::vector<int64_t>& max_pes,
                           int64_t budget, int64_t per_tile);

}  // namespace mixpim::sim::allocation_detail
