#include "cycle_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "chip.h"
#include "global_buffer.h"
#include "layer_stage.h"
#include "pe.h"
#include "row_buffer.h"
#include "sim/atomic_file.h"
#include "sim/diagnostics.h"

namespace mixpim::hw {

namespace {

using sim::Layer;
using sim::LayerType;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t kept_count(const std::vector<bool>& mask) {
  return std::count(mask.begin(), mask.end(), true);
}
int64_t spatial(const sim::Shape& s) { return s.size() == 3 ? s[1] * s[2] : 1; }
int64_t rows_of(const sim::Shape& s) { return s.size() == 3 && s[1] > 0 ? s[1] : 1; }

InputEdge::Window window_of(const Layer& consumer, const sim::Shape& out) {
  if (out.size() != 3 || consumer.output_shape.size() != 3) return InputEdge::Window::kAll;
  switch (consumer.type) {
    case LayerType::kConv2d:
    case LayerType::kMaxPool:
    case LayerType::kAvgPool:
      return InputEdge::Window::kKernel;
    case LayerType::kRelu:
    case LayerType::kAdd:
      return InputEdge::Window::kSame;
    default:
      return InputEdge::Window::kAll;
  }
}

// Inputs held in the consumer's tile buffer (ReLU applies as outputs leave the PEs and flatten
// is a view: their rows pass through).
bool buffered(const Layer& consumer) {
  return consumer.type != LayerType::kRelu && consumer.type != LayerType::kFlatten;
}

// Most producer rows the consumer holds at once, whatever the timing: the buffer must hold
// them or the pipeline deadlocks.
int64_t window_rows(const InputEdge& in, int64_t rows) {
  int64_t most = 1, released = 0;
  for (int64_t r = 0; r < rows; ++r) {
    most = std::max(most, in.need(r) - released);
    released = in.release(r, rows);
  }
  return most;
}

double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return 0;
}

// Everything the simulation owns. Deliberately never destroyed: SystemC processes and
// modules live until the process exits (the kernel elaborates once per process).
struct Model {
  std::vector<LayerProgram> programs;
  std::vector<std::unique_ptr<RowBuffer>> buffers;
  std::unique_ptr<Chip> chip;
  std::vector<std::unique_ptr<LayerStage>> stages;
  int64_t events = 0;
};

bool g_ran = false;

void write_trace(const std::string& path, const sim::PerformanceResult& perf,
                 const std::vector<CycleLayerStats>& stats) {
  nlohmann::ordered_json events = nlohmann::ordered_json::array();
  events.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", 0}, {"args", {{"name", "chip"}}}});
  std::vector<bool> named;
  for (size_t i = 0; i < perf.layers.size(); ++i) {
    const sim::LayerPerformance& l = perf.layers[i];
    for (int t = l.first_tile; t <= l.last_tile; ++t) {
      if (named.size() <= static_cast<size_t>(t)) named.resize(static_cast<size_t>(t) + 1, false);
      if (!named[static_cast<size_t>(t)]) {
        named[static_cast<size_t>(t)] = true;
        events.push_back({{"name", "thread_name"},
                          {"ph", "M"},
                          {"pid", 0},
                          {"tid", t},
                          {"args", {{"name", "tile " + std::to_string(t)}}}});
      }
      events.push_back({{"name", l.name},
                        {"cat", std::string(sim::to_string(l.type))},
                        {"ph", "X"},
                        {"pid", 0},
                        {"tid", t},
                        {"ts", l.start_ns / 1000.0},
                        {"dur", (l.end_ns - l.start_ns) / 1000.0},
                        {"args", {{"busy_ns", stats[i].busy_ns}, {"bound", l.bound}}}});
    }
  }
  nlohmann::ordered_json trace = {{"traceEvents", events}, {"displayTimeUnit", "ns"}};
  sim::write_file_atomically(path, trace.dump() + "\n");
}

}  // namespace

CycleResult run_cycle(const sim::Network& network, const sim::PrecisionProfile& profile,
                      const sim::ArchConfig& arch, const sim::NetworkMapping& mapping,
                      const CycleOptions& options) {
  if (g_ran) throw std::logic_error("run_cycle: the SystemC kernel elaborates once per process");
  g_ran = true;
  const auto wall_start = std::chrono::steady_clock::now();
  const std::vector<std::vector<bool>> masks = sim::output_channel_masks(network, profile);
  const std::vector<int> out_bits = sim::output_bits(network, profile);
  const double clock_ghz = arch.clock_mhz / 1000.0;
  const sim::NocConfig& noc_config = arch.chip.noc;
  const bool pipelined = mapping.mode == sim::MappingMode::kLayerPipelined && mapping.resident;
  const size_t n = network.layers.size();

  auto* model = new Model();  // see Model
  model->chip = std::make_unique<Chip>("chip", arch);
  Chip& chip = *model->chip;
  std::vector<LayerProgram>& programs = model->programs;
  programs.resize(n);

  std::vector<int> mapping_of(n, -1);
  for (size_t k = 0; k < mapping.layers.size(); ++k)
    mapping_of[mapping.layers[k].layer] = static_cast<int>(k);
  auto output_bytes = [&](int i) {
    return ceil_div(kept_count(masks[i]) * spatial(network.layers[i].output_shape) * out_bits[i],
                    8);
  };
  int input_bits = sim::kBaselineBits;
  for (size_t i = 0; i < n; ++i) {
    const Layer& l = network.layers[i];
    if (l.has_weights() && std::find(l.producers.begin(), l.producers.end(), sim::kNetworkInput) !=
                               l.producers.end()) {
      input_bits = profile.layers[i].activation_bits;
      break;
    }
  }
  const int64_t input_bytes =
      ceil_div(network.input_shape[0] * spatial(network.input_shape) * input_bits, 8);

  // Compile: every layer's work, units and bounds (the same equations as sim/analytic.cpp).
  for (size_t idx = 0; idx < n; ++idx) {
    const int i = static_cast<int>(idx);
    const Layer& layer = network.layers[idx];
    LayerProgram& p = programs[idx];
    p.index = i;
    p.name = layer.name;
    p.type = layer.type;
    p.mapping = mapping_of[idx];
    p.rows = rows_of(layer.output_shape);
    const int64_t out_elements = kept_count(masks[idx]) * spatial(layer.output_shape);
    const int producer = layer.producers.empty() ? sim::kNetworkInput : layer.producers.front();
    if (p.mapping >= 0) {
      const sim::LayerMapping& m = mapping.layers[static_cast<size_t>(p.mapping)];
      p.first_tile = m.first_tile;
      p.last_tile = std::max(m.first_tile, m.last_tile);
      p.tile_shares = sim::tile_shares(m, arch.tile.pes);
      p.pe = std::make_unique<PeGroup>(m, arch);
      p.mvms = m.mvms;
      p.kept_outputs = m.kept_outputs;
      p.row_blocks = m.row_blocks();
      for (const sim::ColumnArray& a : m.column_arrays)
        p.spans += static_cast<int64_t>(a.spans.size());
      for (int r : m.row_block_rows)
        p.input_bytes_per_mvm += ceil_div(int64_t{r} * m.activation_bits, 8);
      p.buffer_read_bytes = p.mvms * p.input_bytes_per_mvm;
      p.buffer_write_bytes = output_bytes(i);
      p.unit = DigitalUnit::kShiftAdd;
      p.unit_ops = p.mvms * (p.row_blocks * p.spans - p.kept_outputs);
      if (!mapping.resident) p.write_cells = m.active_cells() * m.replication;
      p.bounds_ns["crossbar"] = p.pe->crossbar_bound_ns();
      p.bounds_ns["adc"] = p.pe->adc_bound_ns();
      p.bounds_ns["digital"] =
          chip.tile(p.first_tile).unit_ns(p.unit, static_cast<double>(p.unit_ops)) *
          p.busiest_share();
    } else {
      p.first_tile =
          producer == sim::kNetworkInput ? 0 : programs[static_cast<size_t>(producer)].first_tile;
      p.last_tile =
          producer == sim::kNetworkInput ? 0 : programs[static_cast<size_t>(producer)].last_tile;
      p.tile_shares = producer == sim::kNetworkInput
                          ? std::vector<double>{1.0}
                          : programs[static_cast<size_t>(producer)].tile_shares;
      const int64_t in_bytes =
          producer == sim::kNetworkInput ? input_bytes : output_bytes(producer);
      switch (layer.type) {
        case LayerType::kRelu:
          p.unit = DigitalUnit::kActivation;
          p.unit_ops = out_elements;
          break;
        case LayerType::kMaxPool:
        case LayerType::kAvgPool:
        case LayerType::kGlobalAvgPool:
          p.unit = DigitalUnit::kPool;
          p.unit_ops = layer.type == LayerType::kGlobalAvgPool
                           ? kept_count(masks[idx]) * spatial(layer.input_shape)
                           : out_elements * layer.kernel_area();
          p.buffer_read_bytes = in_bytes;
          p.buffer_write_bytes = output_bytes(i);
          break;
        case LayerType::kAdd:
          p.unit = DigitalUnit::kShiftAdd;
          p.unit_ops = out_elements;
          for (int q : layer.producers)
            p.buffer_read_bytes += q == sim::kNetworkInput ? input_bytes : output_bytes(q);
          p.buffer_write_bytes = output_bytes(i);
          break;
        default:
          break;
      }
      if (layer.type != LayerType::kFlatten) {
        p.bounds_ns["digital"] =
            chip.tile(p.first_tile).unit_ns(p.unit, static_cast<double>(p.unit_ops)) *
            p.busiest_share();
      }
    }
    // Inputs: one row buffer per (producer, consumer) edge; NoC transfers between tiles.
    int64_t flits_in = 0;
    for (int q : layer.producers) {
      InputEdge in;
      in.producer = q;
      const sim::Shape& out = q == sim::kNetworkInput
                                  ? network.input_shape
                                  : network.layers[static_cast<size_t>(q)].output_shape;
      in.producer_rows = rows_of(out);
      in.consumer = &layer;
      in.producer_output = out;
      in.window = window_of(layer, out);
      in.kernel = layer.kernel_h;
      in.stride = layer.stride_h;
      in.pad = layer.pad_h;
      const int from_first =
          q == sim::kNetworkInput ? -1 : programs[static_cast<size_t>(q)].first_tile;
      const int from_last =
          q == sim::kNetworkInput ? -1 : programs[static_cast<size_t>(q)].last_tile;
      if (!(from_first == p.first_tile && from_last == p.last_tile)) {
        const int64_t bytes = q == sim::kNetworkInput ? input_bytes : output_bytes(q);
        in.crosses_noc = true;
        in.flits = ceil_div(bytes * 8, noc_config.flit_bits);
        in.flit_hops =
            chip.noc().flit_hops(in.flits, from_first, from_last, p.first_tile, p.last_tile);
        in.plan = chip.noc().plan(from_first, from_last, p.first_tile, p.last_tile);
        flits_in += in.flits;
      }
      p.inputs.push_back(std::move(in));
    }
    const double tiles = p.last_tile - p.first_tile + 1;
    const double routers = std::ceil(tiles / noc_config.tiles_per_router);
    if (flits_in > 0) {
      p.bounds_ns["noc"] =
          static_cast<double>(flits_in) / (routers * noc_config.link_flits_per_cycle * clock_ghz);
    }
    const int64_t buffer_bytes = p.buffer_read_bytes + p.buffer_write_bytes;
    if (buffer_bytes > 0) {
      p.bounds_ns["buffer"] =
          chip.tile(p.first_tile).buffer().port_ns(static_cast<double>(buffer_bytes)) *
          p.busiest_share();
    }
    for (const auto& [name, ns] : p.bounds_ns) {
      if (p.bound.empty() || ns > p.time_ns) {
        p.time_ns = ns;
        p.bound = name;
      }
    }
  }

  // Row buffers. Inputs held in a tile buffer share its capacity evenly (contention on and
  // pipelined only: layer by layer, whole maps are staged and no capacity applies).
  CycleResult result;
  result.contention = options.contention;
  const bool finite = options.contention && pipelined;
  for (const LayerProgram& p : programs) {
    if (!buffered(network.layers[static_cast<size_t>(p.index)])) continue;
    for (const InputEdge& in : p.inputs) {
      if (in.producer == sim::kNetworkInput) continue;
      for (int t = p.first_tile; t <= p.last_tile; ++t) chip.tile(t).buffer().add_resident_input();
    }
  }
  for (LayerProgram& p : programs) {
    for (InputEdge& in : p.inputs) {
      int64_t capacity = 0;
      if (finite && in.producer != sim::kNetworkInput &&
          buffered(network.layers[static_cast<size_t>(p.index)])) {
        double bytes = 0;
        for (int t = p.first_tile; t <= p.last_tile; ++t) {
          const TileBuffer& b = chip.tile(t).buffer();
          bytes += static_cast<double>(b.capacity_bytes()) / std::max(1, b.resident_inputs());
        }
        const int64_t row_bytes =
            std::max<int64_t>(1, ceil_div(output_bytes(in.producer), in.producer_rows));
        capacity = static_cast<int64_t>(bytes / static_cast<double>(row_bytes));
        const int64_t window = window_rows(in, p.rows);
        if (capacity < window) {
          const std::string producer = programs[static_cast<size_t>(in.producer)].name;
          result.clamped_buffers.push_back(producer + "->" + p.name);
          capacity = window;
        }
      } else if (finite && in.producer != sim::kNetworkInput) {
        // A pass-through layer (ReLU, flatten) holds only the rows its window needs (one for
        // ReLU; all of them for flatten, whose one output row is the whole map), so a full
        // buffer downstream stalls the layer that feeds it too, not only the pass-through.
        // (Capacity 1 for flatten deadlocked whenever its input had more than one row.)
        capacity = window_rows(in, p.rows);
      }
      const std::string from = in.producer == sim::kNetworkInput
                                   ? "input"
                                   : programs[static_cast<size_t>(in.producer)].name;
      model->buffers.push_back(std::make_unique<RowBuffer>(from + "->" + p.name, in.producer_rows,
                                                           capacity, &model->events));
      in.rows = model->buffers.back().get();
      if (in.producer == sim::kNetworkInput) {
        in.rows->produce_all(0);  // the input image waits in the global buffer
      } else {
        programs[static_cast<size_t>(in.producer)].outputs.push_back(in.rows);
      }
    }
  }

  // Stages, in network order; each knows its producers' stages and the previous layer.
  StageOptions stage_options;
  stage_options.contention = options.contention;
  stage_options.pipelined = pipelined;
  stage_options.clock_ghz = clock_ghz;
  for (size_t i = 0; i < n; ++i) {
    LayerStage* previous = i == 0 ? nullptr : model->stages.back().get();
    model->stages.push_back(std::make_unique<LayerStage>(("layer_" + std::to_string(i)).c_str(),
                                                         programs[i], chip, previous, stage_options,
                                                         &model->events));
  }
  for (LayerProgram& p : programs) {
    for (InputEdge& in : p.inputs) {
      if (in.producer != sim::kNetworkInput)
        in.producer_stage = model->stages[static_cast<size_t>(in.producer)].get();
    }
  }

  sc_core::sc_start();

  std::vector<std::string> stuck;
  for (const auto& s : model->stages) {
    if (!s->done()) stuck.push_back(s->program().name);
  }
  if (!stuck.empty()) {
    std::string names;
    for (const std::string& s : stuck) names += (names.empty() ? "" : ", ") + s;
    sim::Diagnostic d;
    d.where.origin = arch.files.empty() ? "architecture" : arch.files.front();
    d.key_path = "tile.buffer.capacity_bytes";
    d.message = "the layer-pipelined program deadlocks: tile buffers too small for the rows " +
                std::string("in flight; stuck layers: ") + names;
    throw sim::InputError({d});
  }

  // Collect: the same PerformanceResult as analyze().
  sim::PerformanceResult& perf = result.performance;
  perf.tiles_used = mapping.tiles_used;
  double latency = 0, slowest = 0;
  for (size_t i = 0; i < n; ++i) {
    const LayerStage& s = *model->stages[i];
    const LayerProgram& p = programs[i];
    sim::LayerPerformance l;
    l.layer = p.index;
    l.name = p.name;
    l.type = p.type;
    l.mapping = p.mapping;
    l.counts = s.counts();
    if (p.mapping >= 0) {
      const sim::LayerMapping& m = mapping.layers[static_cast<size_t>(p.mapping)];
      l.adc = sim::layer_adc(m, arch);
      l.macs = m.mvms * m.rows * m.kept_outputs;
    }
    l.first_tile = p.first_tile;
    l.last_tile = p.last_tile;
    l.tile_shares = p.tile_shares;
    l.bounds_ns = p.bounds_ns;
    l.bound = p.bound;
    l.time_ns = s.busy_ns();
    l.start_ns = s.start_ns();
    l.end_ns = s.end_ns();
    latency = std::max(latency, l.end_ns);
    slowest = std::max(slowest, l.time_ns);
    perf.layers.push_back(std::move(l));

    CycleLayerStats st;
    st.name = p.name;
    st.start_ns = s.start_ns();
    st.end_ns = s.end_ns();
    st.busy_ns = s.busy_ns();
    st.row_groups = p.rows;
    for (const auto& [cause, ns] : s.stall_ns()) {
      const int64_t cycles = std::llround(ns * clock_ghz);
      if (cycles != 0) st.stall_cycles[cause] = cycles;
    }
    result.layers.push_back(std::move(st));
    result.row_groups += p.rows;
  }
  const int last = static_cast<int>(n) - 1;
  const int64_t final_bytes = ceil_div(
      kept_count(masks[static_cast<size_t>(last)]) *
          spatial(network.layers[static_cast<size_t>(last)].output_shape) * sim::kBaselineBits,
      8);
  int64_t dram_weights = 0;
  if (!mapping.resident)
    dram_weights = ceil_div(mapping.reprogram_cell_writes * arch.pe.crossbar.bits_per_cell, 8);
  GlobalBuffer::transfer(input_bytes, final_bytes, arch.chip.dram.enabled, dram_weights,
                         perf.io_counts);
  perf.io_counts.add("router", "flit_hop",
                     chip.noc().flit_hops(ceil_div(final_bytes * 8, noc_config.flit_bits),
                                          programs[static_cast<size_t>(last)].first_tile,
                                          programs[static_cast<size_t>(last)].last_tile, -1, -1));
  if (!mapping.resident) {
    perf.reprogram_rounds = static_cast<int64_t>(mapping.segments.size());
    for (const sim::LayerMapping& m : mapping.layers) perf.reprogram_rounds += m.passes - 1;
  }
  perf.latency_ns = latency;
  perf.interval_ns = pipelined ? slowest : latency;

  // Utilisation of each component class over the inference (fraction of its capacity).
  const sim::ActionCounts total = perf.total_counts();
  if (latency > 0) {
    double crossbar_ns = 0;
    int64_t arrays = 0;
    for (const LayerProgram& p : programs) {
      if (!p.pe) continue;
      crossbar_ns += p.pe->crossbar_bound_ns() * static_cast<double>(p.pe->arrays_placed());
      arrays += p.pe->arrays_placed();
    }
    const double tiles = std::max(1, mapping.tiles_used);
    const double adcs = static_cast<double>(mapping.pes_used) * arch.pe.adc.count;
    const double routers = static_cast<double>(noc_config.mesh_columns) * noc_config.mesh_rows;
    auto fraction = [&](double used, double capacity) {
      return capacity > 0 ? used / capacity : 0.0;
    };
    result.utilization["crossbar"] = fraction(crossbar_ns, static_cast<double>(arrays) * latency);
    double conversion_ns = 0;  // ADC busy time: conversions at each layer's resolution
    for (const sim::LayerPerformance& l : perf.layers) {
      if (l.mapping < 0) continue;
      conversion_ns += static_cast<double>(l.counts.get("adc", "convert")) *
                       sim::adc_conversion_ns(arch, l.adc.bits);
    }
    result.utilization["adc"] = fraction(conversion_ns, adcs * latency);
    result.utilization["tile_buffer"] =
        fraction(static_cast<double>(total.get("tile_buffer", "read_byte") +
                                     total.get("tile_buffer", "write_byte")),
                 tiles * arch.tile.buffer.bandwidth_bytes_per_cycle * clock_ghz * latency);
    result.utilization["tile_shift_add"] =
        fraction(static_cast<double>(total.get("tile_shift_add", "op")),
                 tiles * arch.tile.shift_add_units * clock_ghz * latency);
    result.utilization["activation_unit"] =
        fraction(static_cast<double>(total.get("activation_unit", "op")),
                 tiles * arch.tile.activation_units * clock_ghz * latency);
    result.utilization["pool_unit"] = fraction(static_cast<double>(total.get("pool_unit", "op")),
                                               tiles * arch.tile.pool_units * clock_ghz * latency);
    // Mesh links and ejection ports: five per router.
    result.utilization["noc_link"] =
        fraction(static_cast<double>(total.get("router", "flit_hop")),
                 routers * 5 * noc_config.link_flits_per_cycle * clock_ghz * latency);
  }
  result.simulated_cycles = std::llround(latency * clock_ghz);
  result.kernel_events = model->events;
  if (!options.trace_path.empty()) write_trace(options.trace_path, perf, result.layers);
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  result.peak_rss_mib = peak_rss_mib();
  return result;
}

nlohmann::ordered_json cycle_extras_json(const CycleResult& r) {
  nlohmann::ordered_json j;
  j["contention"] = r.contention;
  j["simulated_cycles"] = r.simulated_cycles;
  j["kernel_events"] = r.kernel_events;
  j["row_groups"] = r.row_groups;
  j["utilization"] = r.utilization;
  j["clamped_buffers"] = r.clamped_buffers;
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const CycleLayerStats& l : r.layers) {
    nlohmann::ordered_json stalls = nlohmann::ordered_json::object();
    int64_t total = 0;
    for (const auto& [cause, cycles] : l.stall_cycles) {
      stalls[cause] = cycles;
      total += cycles;
    }
    layers.push_back({{"name", l.name},
                      {"start_ns", l.start_ns},
                      {"end_ns", l.end_ns},
                      {"busy_ns", l.busy_ns},
                      {"row_groups", l.row_groups},
                      {"stall_cycles_total", total},
                      {"stall_cycles", stalls}});
  }
  j["layers"] = layers;
  return j;
}

nlohmann::ordered_json cycle_host_json(const CycleResult& r) {
  const double wall = r.wall_seconds > 0 ? r.wall_seconds : 1e-9;
  return {{"wall_s", r.wall_seconds},
          {"peak_rss_mib", r.peak_rss_mib},
          {"simulated_cycles_per_s", static_cast<double>(r.simulated_cycles) / wall},
          {"kernel_events_per_s", static_cast<double>(r.kernel_events) / wall}};
}

}  // namespace mixpim::hw
