#pragma once
// One network layer of the compiled program, executed output row by output row (a "row group":
// the MVMs, or digital operations, that make one row of the output feature map; one group for
// vector outputs). Its SC_THREAD waits for the input rows the group needs, for room in its
// consumers' buffers (back-pressure), and for its own pipeline slot; then it reserves, once,
// every unit the group uses (the PEs' crossbars and ADC banks, the tile-buffer ports, the tile
// digital units, the NoC links), counts the group's events in the modules, and declares the
// output row ready when the last unit finishes. One SystemC wait per group at most.
//
// Contention off: the layer holds its own copy of every unit at the analytic rates, so a
// group takes exactly stage time / rows, and the layer starts and ends where the analytic
// schedule says (producers' start + the rows its kernel needs; producers' end + one row).
// Contention on: units are shared between the layers placed on them, rows move through
// finite buffers with their real windows (kernel, stride, padding), and the analog pipeline
// has its fill; each group still takes at least stage time / rows, so the analytic latency is
// a lower bound.

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "chip.h"
#include "noc.h"
#include "pe.h"
#include "row_buffer.h"
#include "sim/action_counts.h"
#include "sim/workload.h"
#include "tile.h"

namespace mixpim::hw {

class LayerStage;

// Input rows of a layer from one producer.
struct InputEdge {
  int producer = sim::kNetworkInput;
  LayerStage* producer_stage = nullptr;  // null for the network input
  RowBuffer* rows = nullptr;
  int64_t producer_rows = 1;
  const sim::Layer* consumer = nullptr;  // the layer reading this input
  sim::Shape producer_output;            // the shape it reads
  enum class Window { kAll, kSame, kKernel } window = Window::kAll;
  int kernel = 1, stride = 1, pad = 0;
  bool crosses_noc = false;
  Noc::Plan plan;
  int64_t flits = 0;      // per inference
  int64_t flit_hops = 0;  // per inference (counted as router.flit_hop)

  // Producer rows output row `row` needs: sim::rows_needed, the analytic engine's rule.
  int64_t need(int64_t row) const;
  int64_t release(int64_t row, int64_t rows) const;  // producer rows free after `row`
};

// What a layer does per inference (its share per row group is total / rows, exactly split).
struct LayerProgram {
  int index = 0;
  std::string name;
  sim::LayerType type = sim::LayerType::kRelu;
  int mapping = -1;
  int first_tile = 0, last_tile = 0;
  // Share of the layer's digital work and buffer traffic done in each of its tiles (its PEs
  // there over all its PEs: sim/analytic.h, tile_shares).
  std::vector<double> tile_shares;
  double busiest_share() const { return *std::max_element(tile_shares.begin(), tile_shares.end()); }
  int64_t rows = 1;  // output rows = row groups
  std::unique_ptr<PeGroup> pe;
  int64_t mvms = 0, kept_outputs = 0, input_bytes_per_mvm = 0, row_blocks = 0, spans = 0;
  int64_t write_cells = 0;        // arrays rewritten per inference (not resident)
  int64_t buffer_read_bytes = 0;  // tile buffer
  int64_t buffer_write_bytes = 0;
  DigitalUnit unit = DigitalUnit::kShiftAdd;
  int64_t unit_ops = 0;  // tile digital operations
  std::map<std::string, double> bounds_ns;
  double time_ns = 0;
  std::string bound;
  std::vector<InputEdge> inputs;
  std::vector<RowBuffer*> outputs;
};

struct StageOptions {
  bool contention = true;
  bool pipelined = true;  // layer-pipelined and resident; else one layer after another
  double clock_ghz = 1;
};

class LayerStage : public sc_core::sc_module {
 public:
  LayerStage(sc_core::sc_module_name name, LayerProgram& program, Chip& chip, LayerStage* previous,
             const StageOptions& options, int64_t* events);

  bool done() const { return done_; }
  double start_ns() const { return start_ns_; }
  double end_ns() const { return end_ns_; }
  double busy_ns() const { return busy_ns_; }  // union of its row groups' service times
  const LayerProgram& program() const { return program_; }
  const sim::ActionCounts& counts() const { return counts_; }
  // Nanoseconds lost per cause: input (waiting for producers' rows or the previous layer),
  // backpressure (consumers' buffers full), and the unit that finished a group late beyond the
  // layer's own stage time (adc, crossbar, tile_buffer, digital, noc).
  const std::map<std::string, double>& stall_ns() const { return stall_ns_; }
  sc_core::sc_event& done_event() { return done_event_; }

 private:
  void run();
  void wait_for_inputs(int64_t row);
  double execute(int64_t row, double issue);  // reserves units, counts; returns completion
  void count(int64_t row);

  LayerProgram& program_;
  Chip& chip_;
  LayerStage* previous_;
  StageOptions options_;
  int64_t* events_;
  sim::ActionCounts counts_;
  std::map<std::string, double> stall_ns_;
  bool done_ = false;
  double start_ns_ = 0, end_ns_ = 0, busy_ns_ = 0;
  double floor_free_ns_ = 0;
  double next_issue_ns_ = 0;
  double lag_ns_ = 0;  // completion of the last group beyond its stage-time slot
  sc_core::sc_event done_event_;
};

// Exact share of `total` for group `index` of `groups`: the shares sum to `total`.
inline int64_t group_share(int64_t total, int64_t index, int64_t groups) {
  return total * (index + 1) / groups - total * index / groups;
}

}  // namespace mixpim::hw
