// Sizing a layer-pipelined program's edge buffers so it cannot deadlock (size_edge_buffers,
// work_model.h).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/compiler/work_model.h"

namespace mixpim::sim {

namespace {

// A layer's units of work for buffer sizing: rows of a digital layer, slots of a weight layer.
struct Unit {
  int64_t last_row;     // the unit's last output row (its inputs' window)
  int64_t done_before;  // output rows complete before the unit (their inputs are released)
  int64_t done_after;   // output rows complete after it
};

std::vector<Unit> layer_units(const LayerProgram& p) {
  std::vector<Unit> units;
  if (!p.has_pe) {
    for (int64_t r = 0; r < p.rows; ++r) units.push_back({r, r, r + 1});
    return units;
  }
  const PeWork& w = p.pe;
  for (int64_t s = 0; s < w.slots; ++s) {
    const int64_t before = s == 0 ? 0 : w.pixels_done(s - 1) / w.pixels_per_row;
    const int64_t after = s + 1 == w.slots ? p.rows : w.pixels_done(s) / w.pixels_per_row;
    units.push_back({(w.pixels_done(s) - 1) / w.pixels_per_row, before, after});
  }
  return units;
}

// Runs one inference of the program as dataflow without time: a unit fires once its inputs'
// windows are in and its output rows fit in every consumer's edge. Returns true when every layer
// finishes; else `grow` lists edges (layer, input) to enlarge: full edges whose consumer holds
// all it needs from them and waits for another input (the lag between paths from a fork must
// be buffered on the shorter path).
bool runs_to_completion(const WorkModel& model, const std::vector<std::vector<Unit>>& units,
                        const std::vector<std::vector<int64_t>>& capacity,
                        std::vector<std::pair<size_t, size_t>>* grow) {
  const size_t n = model.layers.size();
  std::vector<std::vector<int64_t>> produced(n), released(n);
  std::vector<std::vector<std::pair<size_t, size_t>>> outputs(n + 1);  // [n]: the network input
  for (size_t l = 0; l < n; ++l) {
    const LayerProgram& p = model.layers[l];
    produced[l].assign(p.inputs.size(), 0);
    released[l].assign(p.inputs.size(), 0);
    for (size_t e = 0; e < p.inputs.size(); ++e) {
      const int q = p.inputs[e].producer;
      outputs[q == kNetworkInput ? n : static_cast<size_t>(q)].push_back({l, e});
    }
  }
  std::vector<size_t> next(n + 1, 0);
  // Room for `rows` more rows on every output edge of node `node`; else the first full edge.
  auto room = [&](size_t node, int64_t rows, std::pair<size_t, size_t>* full) {
    for (const auto& [l, e] : outputs[node]) {
      const int64_t c = capacity[l][e];
      if (c > 0 && produced[l][e] - released[l][e] + rows > c) {
        *full = {l, e};
        return false;
      }
    }
    return true;
  };
  auto inputs_ready = [&](size_t l, const Unit& u, size_t* waiting) {
    const LayerProgram& p = model.layers[l];
    for (size_t e = 0; e < p.inputs.size(); ++e) {
      if (produced[l][e] < p.inputs[e].need[static_cast<size_t>(u.last_row)]) {
        *waiting = e;
        return false;
      }
    }
    return true;
  };
  const int64_t input_rows = n == 0 ? 0 : [&] {
    for (const LayerProgram& p : model.layers)
      for (const EdgeWork& e : p.inputs)
        if (e.producer == kNetworkInput) return e.producer_rows;
    return int64_t{0};
  }();
  bool progress = true;
  while (progress) {
    progress = false;
    std::pair<size_t, size_t> full;
    while (static_cast<int64_t>(next[n]) < input_rows && room(n, 1, &full)) {
      for (const auto& [l, e] : outputs[n]) ++produced[l][e];
      ++next[n];
      progress = true;
    }
    for (size_t l = 0; l < n; ++l) {
      const LayerProgram& p = model.layers[l];
      size_t waiting = 0;
      while (next[l] < units[l].size()) {
        const Unit& u = units[l][next[l]];
        const int64_t rows = u.done_after - u.done_before;
        if (!inputs_ready(l, u, &waiting) || !room(l, rows, &full)) break;
        for (const auto& [c, e] : outputs[l]) produced[c][e] += rows;
        if (u.done_after > 0) {
          for (size_t e = 0; e < p.inputs.size(); ++e)
            released[l][e] = std::max(released[l][e],
                                      p.inputs[e].release[static_cast<size_t>(u.done_after - 1)]);
        }
        ++next[l];
        progress = true;
      }
    }
  }
  bool done = static_cast<int64_t>(next[n]) == input_rows;
  for (size_t l = 0; l < n; ++l) done = done && next[l] == units[l].size();
  if (done) return true;
  // Stuck: full edges whose consumer is not waiting on them.
  grow->clear();
  std::vector<std::pair<size_t, size_t>> blocking;
  auto consider = [&](size_t node, int64_t rows) {
    for (const auto& [l, e] : outputs[node]) {
      const int64_t c = capacity[l][e];
      if (c <= 0 || produced[l][e] - released[l][e] + rows <= c) continue;
      blocking.push_back({l, e});
      size_t waiting = 0;
      const bool consumer_waits_here = next[l] < units[l].size() &&
                                       !inputs_ready(l, units[l][next[l]], &waiting) &&
                                       waiting == e;
      if (!consumer_waits_here) grow->push_back({l, e});
    }
  };
  if (static_cast<int64_t>(next[n]) < input_rows) consider(n, 1);
  for (size_t l = 0; l < n; ++l) {
    if (next[l] >= units[l].size()) continue;
    const Unit& u = units[l][next[l]];
    size_t waiting = 0;
    if (inputs_ready(l, u, &waiting)) consider(l, u.done_after - u.done_before);
  }
  if (grow->empty()) *grow = blocking;
  return false;
}

}  // namespace

void size_edge_buffers(WorkModel& model, const ArchConfig& arch) {
  const size_t n = model.layers.size();
  model.clamped_edges.clear();
  if (!model.pipelined) {  // layer by layer: whole maps are staged, nothing bounds an edge
    for (LayerProgram& p : model.layers)
      for (EdgeWork& e : p.inputs) e.capacity_rows = 0;
    return;
  }
  // Deadlock-free edge sizes. A layer issues units of work: a digital layer row by row, a weight
  // layer slot by slot, and a slot may span output rows (copies work on neighbouring pixels), so
  // it needs the input window of its last row at once. depends[L][r]: rows of source S that must
  // exist before layer L can finish its row r, over every path from S. An edge S -> L must hold
  // what L's unit u needs from S minus what L released before u: the most over u.
  std::vector<std::vector<Unit>> units(n);
  std::vector<std::vector<int64_t>> finishing_row(n);  // last row of the unit that finishes row r
  for (size_t l = 0; l < n; ++l) {
    const LayerProgram& p = model.layers[l];
    units[l] = layer_units(p);
    for (const Unit& u : units[l])
      for (int64_t r = u.done_before; r < u.done_after; ++r) finishing_row[l].push_back(u.last_row);
  }
  for (int source = kNetworkInput; source < static_cast<int>(n); ++source) {
    std::vector<std::vector<int64_t>> depends(n);  // empty: L does not depend on the source
    for (size_t l = static_cast<size_t>(source + 1); l < n; ++l) {
      LayerProgram& p = model.layers[l];
      // Rows of the source that unit-row `row` (a last_row) of L needs, over every path.
      auto needs = [&](int64_t row) {
        int64_t most = 0;
        bool any = false;
        for (const EdgeWork& e : p.inputs) {
          const int64_t need = e.need[static_cast<size_t>(row)];
          if (e.producer == source) {
            most = std::max(most, need);
            any = true;
          } else if (e.producer != kNetworkInput &&
                     !depends[static_cast<size_t>(e.producer)].empty()) {
            most = std::max(
                most, depends[static_cast<size_t>(e.producer)][static_cast<size_t>(need - 1)]);
            any = true;
          }
        }
        return any ? most : int64_t{-1};
      };
      if (needs(p.rows - 1) < 0) continue;  // L does not depend on the source
      std::vector<int64_t>& d = depends[l];
      for (int64_t r = 0; r < p.rows; ++r)
        d.push_back(needs(finishing_row[l][static_cast<size_t>(r)]));
      for (EdgeWork& e : p.inputs) {
        if (e.producer != source) continue;
        int64_t most = 1;
        for (const Unit& u : units[l]) {
          const int64_t released =
              u.done_before == 0 ? 0 : e.release[static_cast<size_t>(u.done_before - 1)];
          most = std::max(most, needs(u.last_row) - released);
        }
        e.deadlock_rows = std::min(most, e.producer_rows);
      }
    }
  }

  // Paths from a fork that rejoin through other layers (a residual's shortcut convolution):
  // check the program runs with these sizes, enlarging edges where it would stop.
  {
    std::vector<std::vector<int64_t>> capacity(n);
    for (size_t l = 0; l < n; ++l)
      for (const EdgeWork& e : model.layers[l].inputs) capacity[l].push_back(e.deadlock_rows);
    std::vector<std::pair<size_t, size_t>> grow;
    while (!runs_to_completion(model, units, capacity, &grow)) {
      // Nothing full and still stuck: no buffer size helps (a model error, not an input's).
      if (grow.empty())
        throw std::logic_error("size_edge_buffers: the program stops with no edge full");
      for (const auto& [l, e] : grow) {
        EdgeWork& edge = model.layers[l].inputs[e];
        // At the producer's whole output an edge never blocks (0: unbounded).
        capacity[l][e] = capacity[l][e] + 1 >= edge.producer_rows ? 0 : capacity[l][e] + 1;
        edge.deadlock_rows = capacity[l][e] == 0 ? edge.producer_rows : capacity[l][e];
      }
    }
  }

  // Capacities: buffered edges share their consumer's tile buffers evenly, and are raised to
  // their deadlock-free size when the share is smaller.
  {
    int tiles = 1;  // the allocator's cost model places layers past the chip's tiles
    for (const LayerProgram& p : model.layers) tiles = std::max(tiles, p.last_tile + 1);
    std::vector<int> resident(static_cast<size_t>(tiles), 0);
    for (const LayerProgram& p : model.layers) {
      for (const EdgeWork& e : p.inputs) {
        if (!e.buffered) continue;
        for (int t = p.first_tile; t <= p.last_tile; ++t) ++resident[static_cast<size_t>(t)];
      }
    }
    for (LayerProgram& p : model.layers) {
      for (EdgeWork& e : p.inputs) {
        if (!e.buffered) {
          e.capacity_rows = e.deadlock_rows;
          continue;
        }
        double bytes = 0;
        for (int t = p.first_tile; t <= p.last_tile; ++t) {
          bytes += static_cast<double>(arch.tile.buffer.capacity_bytes) /
                   std::max(1, resident[static_cast<size_t>(t)]);
        }
        e.capacity_rows = std::min(e.producer_rows,
                                   static_cast<int64_t>(bytes / static_cast<double>(e.row_bytes)));
        if (e.capacity_rows < e.deadlock_rows) {
          const std::string from = e.producer == kNetworkInput
                                       ? "input"
                                       : model.layers[static_cast<size_t>(e.producer)].name;
          model.clamped_edges.push_back(from + "->" + p.name + ": needs " +
                                        std::to_string(e.deadlock_rows * e.row_bytes) + " bytes (" +
                                        std::to_string(e.deadlock_rows) + " rows), share " +
                                        std::to_string(static_cast<int64_t>(bytes)) + " bytes");
          e.capacity_rows = e.deadlock_rows;
        }
      }
    }
  }
}

}  // namespace mixpim::sim
