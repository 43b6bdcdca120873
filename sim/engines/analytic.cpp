#include "sim/engines/analytic.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/compiler/dataflow.h"

namespace mixpim::sim {

PerformanceResult analyze(const Network& network, const PrecisionProfile& profile,
                          const ArchConfig& arch, const NetworkMapping& mapping,
                          const Activity* activity) {
  return analyze(build_work_model(network, profile, arch, mapping, activity));
}

PerformanceResult analyze(const WorkModel& model) {
  PerformanceResult result;
  result.tiles_used = model.tiles_used;
  result.io_counts = model.io_counts;
  result.reprogram_rounds = model.reprogram_rounds;
  for (const LayerProgram& p : model.layers) {
    LayerPerformance perf;
    perf.layer = p.layer;
    perf.name = p.name;
    perf.type = p.type;
    perf.mapping = p.mapping;
    perf.counts = p.counts;
    perf.adc = p.adc;
    perf.macs = p.macs;
    perf.first_tile = p.first_tile;
    perf.last_tile = p.last_tile;
    perf.tile_shares = p.tile_shares;
    perf.bounds_ns = p.bounds_ns;
    perf.time_ns = p.time_ns;
    perf.bound = p.bound;
    result.layers.push_back(std::move(perf));
  }

  // Schedule. Resident + layer-pipelined: layers work output row by output row, each row
  // taking stage time / rows; row r starts when the layer's previous row is done and its
  // producers have made the rows its window needs (rows_needed). A layer fed by a slower
  // producer so follows that producer's pace. Otherwise layers run one after another.
  const bool pipelined = model.pipelined;
  double latency = 0, slowest = 0;
  std::vector<std::vector<double>> row_done(result.layers.size());  // completion of each output row
  for (size_t i = 0; i < result.layers.size(); ++i) {
    LayerPerformance& l = result.layers[i];
    if (pipelined) {
      const int64_t rows = model.layers[i].rows;
      const double per_row = l.time_ns / static_cast<double>(rows);
      std::vector<double>& done = row_done[i];
      done.resize(static_cast<size_t>(rows));
      double previous = 0;
      for (int64_t r = 0; r < rows; ++r) {
        double issue = previous;
        for (const EdgeWork& e : model.layers[i].inputs) {
          if (e.producer == kNetworkInput) continue;  // the input image waits in the global buffer
          const int64_t need = e.need[static_cast<size_t>(r)];
          issue = std::max(
              issue, row_done[static_cast<size_t>(e.producer)][static_cast<size_t>(need - 1)]);
        }
        if (r == 0) l.start_ns = issue;
        previous = issue + per_row;
        done[static_cast<size_t>(r)] = previous;
      }
      l.end_ns = previous;
    } else {
      l.start_ns = latency;
      l.end_ns = latency + l.time_ns;
    }
    latency = std::max(latency, l.end_ns);
    slowest = std::max(slowest, l.time_ns);
  }
  result.latency_ns = latency;
  result.interval_ns = pipelined ? slowest : latency;
  return result;
}

}  // namespace mixpim::sim
