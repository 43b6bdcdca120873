#pragma once
// The compiler's work model: everything an engine needs to run one inference of a mapped
// network, built once (build_work_model) and consumed by both engines. The analytic engine
// (analytic.h) takes its counts and bounds and adds a closed-form row schedule; the cycle engine
// (hw/cycle_engine.h) executes it read step by read step and must count the same work.
//
// Units of work:
// - A weight layer runs `slots` MVM slots per inference: in slot s, copy c computes output pixel
//   s x copies + c (copies work on neighbouring pixels, so output rows complete in order). A
//   slot is `input_cycles` read steps: each applies one input bit-slice to every array of the
//   layer's PEs at once (with passes > 1, each read step reads the layer's arrays in `passes`
//   turns). The last slot may leave copies idle.
// - A digital layer (ReLU, pooling, add, flatten, global pooling) works output row by row.
// - Rows move between layers through edges; an edge's bytes and NoC flits are split over the
//   producer's rows and, for the NoC, over (source tile, destination tile) pairs, by split_share.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/compiler/action_counts.h"
#include "sim/compiler/activity.h"
#include "sim/compiler/adc.h"
#include "sim/config/arch_config.h"
#include "sim/compiler/mapping.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

// Part `index` of `total` split into `parts` near-equal integer parts; the parts sum to `total`.
inline int64_t split_share(int64_t total, int64_t index, int64_t parts) {
  return total * (index + 1) / parts - total * index / parts;
}

// NoC geometry (XY routing on a mesh of routers, `tiles_per_router` tiles per router). Tile -1
// is the global buffer, at router 0.
int noc_router(int tile, const NocConfig& noc);
// Routers a flit passes from one tile to another: none on the same tile, else the Manhattan
// distance plus the source router.
int64_t noc_hops(int from_tile, int to_tile, const NocConfig& noc);

// Flits of one transfer between two tile ranges, spread over every (source tile, destination
// tile) pair by split_share and gathered per router pair (a route). Same-tile pairs stay local.
struct NocRoute {
  int from_router = 0, to_router = 0;
  int64_t routers = 0;              // routers each flit passes (noc_hops)
  std::vector<int64_t> pair_flits;  // per tile pair on this route, per inference
  int64_t flits() const;
  // Flits of producer row `row` of `rows` on this route (each pair's flits split over rows).
  int64_t row_flits(int64_t row, int64_t rows) const;
};
struct NocTransfer {
  int64_t flits = 0;  // ceil(bytes x 8 / flit bits), per inference
  std::vector<NocRoute> routes;
  int64_t flit_hops() const;  // sum over routes of flits x routers: router.flit_hop
};
NocTransfer noc_transfer(int64_t bytes, int from_first, int from_last, int to_first, int to_last,
                         const NocConfig& noc);

// One input of a layer: the rows of one producer (or of the network input).
struct EdgeWork {
  int producer = kNetworkInput;
  int64_t producer_rows = 1;
  int64_t bytes = 0;      // per inference, at the bits the producer's output is stored with
  int64_t row_bytes = 0;  // ceil(bytes / producer rows)
  // Producer rows consumer row r needs before it can start (rows_needed), and the producer rows
  // it no longer needs once row r is done, both non-decreasing, the last equal to producer_rows.
  std::vector<int64_t> need, release;
  bool crosses_noc = false;  // producer and consumer on different tiles (or the global buffer)
  NocTransfer transfer;
  bool buffered = true;  // held in the consumer's tile buffer (ReLU and flatten pass rows on)
  // Rows the edge can hold (layer-pipelined only; 0 = unbounded): its share of the consumer's
  // tile buffers, raised to deadlock_rows when smaller (then listed in clamped_edges).
  int64_t capacity_rows = 0;
  // Fewest rows that keep the pipeline from deadlocking: the most producer rows the consumer
  // must have received but not released before it can make a row, over every path from the
  // producer (a residual's skip edge must hold the rows its main branch takes to fill).
  int64_t deadlock_rows = 1;
};

// One PE of a weight layer: the arrays it holds, gathered per copy of the layer. Arrays are
// placed in the order (copy, row block, column array), as many per PE as spreading them evenly
// over the layer's PEs gives, at most pe.crossbars (LayerMapping::busiest_pe_columns).
struct PeArrays {
  struct Part {
    int64_t copy = 0;
    int64_t arrays = 0;
    int64_t cells = 0;        // active cells read per read step (block rows x used columns)
    int64_t dac_rows = 0;     // rows driven per read step
    int64_t columns = 0;      // conversions per read step (used columns x row groups)
    int64_t input_bytes = 0;  // inputs per MVM: ceil(block rows x activation bits / 8) per array
  };
  std::vector<Part> parts;  // by copy, ascending
  // PEs this one stands for: PEs doing the same work in every slot of the layer (the same
  // step() for the slots' active copies) are identical pipelines fed the same read steps, so the
  // cycle engine simulates one and counts its work `count` times.
  int64_t count = 1;
  // The PE's work in one read step of a slot where copies [0, active_copies) have an MVM.
  Part step(int64_t active_copies) const;
};

// The PE work of a weight layer: every PE receives every slot (its copies idle when the slot
// has no MVM for them).
struct PeWork {
  int64_t copies = 1, slots = 0, input_cycles = 1, passes = 1;
  int64_t mvms = 0;            // per inference, all copies
  int64_t pixels_per_row = 1;  // output pixels per output row
  // Per MVM of one copy.
  int64_t gemm_rows = 0, used_columns = 0, row_blocks = 0, column_arrays = 0;
  int64_t array_spans = 0;        // channel spans over one copy's arrays (partial sums per MVM)
  int64_t array_input_bytes = 0;  // each array's input register bytes per MVM, summed
  int64_t kept_outputs = 0;
  int64_t input_bytes_per_mvm = 0;  // one row block's inputs at the activation bits, summed
  int64_t busiest_pe_columns = 0;   // columns the busiest PE's ADCs convert per read step
  int64_t reprogram_cells = 0;      // cells written per inference (arrays not resident)
  // Service time of one read step (all passes), per stage of the PE pipeline.
  double read_ns = 0;       // DACs + array read
  double adc_ns = 0;        // the busiest PE's ADC bank: ceil(columns / ADCs) conversions
  double shift_add_ns = 0;  // the busiest PE's shift-add units
  bool sample_hold = true;
  int adc_bits = 0;  // the layer's conversions (LayerAdc::bits)
  // Data-aware runs (sim/compiler/activity.h): the fractions of DAC drives, cell reads and conversions
  // that happen; each PE takes its share read step by read step (ActiveShare).
  ActiveFractions active;
  bool data_aware = false;
  // The PEs holding arrays, one per class of identical PEs (PeArrays::count; a layer larger than
  // the chip: one PE standing for all of them, reading in `passes` turns).
  std::vector<PeArrays> pes;
  int64_t pe_count() const;  // PEs represented
  // Output pixels finished after slot s (s + 1 slots, capped at mvms).
  int64_t pixels_done(int64_t slot) const;
  // Copies with an MVM in slot s.
  int64_t active_copies(int64_t slot) const;
};

enum class TileUnit { kShiftAdd, kActivation, kPool, kNone };
std::string_view to_string(TileUnit unit);

struct LayerProgram {
  int layer = 0;  // index into Network::layers
  std::string name;
  LayerType type = LayerType::kRelu;
  int mapping = -1;  // index into NetworkMapping::layers for weight layers
  int first_tile = 0, last_tile = 0;
  // Share of the layer's digital work and buffer traffic done in each tile it spans (its PEs
  // there over all its PEs; non-weight layers run where their first producer's outputs are).
  std::vector<double> tile_shares;
  double busiest_share() const;
  // Reads and writes the tile buffer: weight layers (inputs in, outputs out), pooling and add.
  // ReLU is applied as rows leave the PEs; flatten and concat are views.
  bool uses_tile_buffer() const {
    return has_pe || unit == TileUnit::kPool || type == LayerType::kAdd;
  }
  int64_t rows = 1;          // output rows (row groups of digital layers)
  int64_t output_bytes = 0;  // per inference, as stored for its consumers
  ActionCounts counts;       // per inference, in closed form (the analytic engine's counts)
  LayerAdc adc;              // weight layers
  int64_t macs = 0;
  // Tile work: the digital unit the layer uses, its operations and the tile-buffer traffic.
  TileUnit unit = TileUnit::kNone;
  int64_t unit_ops = 0;
  int64_t buffer_read_bytes = 0, buffer_write_bytes = 0;
  bool has_pe = false;
  PeWork pe;
  std::vector<EdgeWork> inputs;
  // Lower bounds on the layer's time per inference; time_ns is their maximum, `bound` names it.
  std::map<std::string, double> bounds_ns;
  double time_ns = 0;
  std::string bound;
};

struct WorkModel {
  std::vector<LayerProgram> layers;  // every network layer, in order
  ActionCounts io_counts;            // network input/output traffic and reprogramming
  int64_t input_bytes = 0, final_bytes = 0;
  NocTransfer output_transfer;  // the last layer's output to the global buffer
  bool pipelined = true;        // layer-pipelined and resident: layers overlap row by row
  bool resident = true;
  int64_t reprogram_rounds = 0;
  int tiles_used = 0;
  // Edges whose tile-buffer share was below their deadlock-free size, as "producer->consumer:
  // needs N bytes (R rows), share M bytes".
  std::vector<std::string> clamped_edges;
};

// With `activity`, the weight layers it lists run at their measured activity (data-aware
// counts and, with pe.adc.skip_zero_blocks, ADC time); without, every row is driven and every
// column converted in every cycle (the data-independent worst case).
WorkModel build_work_model(const Network& network, const PrecisionProfile& profile,
                           const ArchConfig& arch, const NetworkMapping& mapping,
                           const Activity* activity = nullptr);

// Sizes the edges of a layer-pipelined program (EdgeWork::deadlock_rows, capacity_rows,
// WorkModel::clamped_edges) so that it cannot deadlock: each edge holds at least the rows its
// consumer's windows need beyond what it released, over every path from the edge's producer,
// and a dataflow run of one inference without time (every unit fires as soon as its inputs are
// in and its outputs fit) must finish; where it stops, the full edges whose consumer waits for
// another input grow. Larger buffers never deadlock a dataflow program that runs with smaller
// ones (Kahn process networks with blocking reads and writes). Layer by layer: unbounded.
void size_edge_buffers(WorkModel& model, const ArchConfig& arch);

// Units of one kind in a tile (tile.shift_add_units, activation_units, pool_units); a tile with
// no pool or shift-add units does that work on its activation units.
int tile_units(const ArchConfig& arch, TileUnit unit);

// Time of one shift-add pass over `columns` column samples on a PE's units.
double shift_add_ns_per_read(const ArchConfig& arch, int64_t columns);

// Time per read step of a PE pipeline whose busiest PE converts `columns` columns at `bits`
// when it streams, its arrays read in `read_groups` row groups one after another
// (LayerMapping::max_read_groups): with a sample-and-hold the slowest of the array reads,
// conversions and shift-adds; without one the array waits for its conversions (reads + ADC),
// then the shift-add. The allocator's cost model and the analytic bounds use it.
double read_step_ns(const ArchConfig& arch, int64_t columns, int bits, int64_t read_groups);

}  // namespace mixpim::sim
