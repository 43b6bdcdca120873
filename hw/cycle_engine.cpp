#include "hw/cycle_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "hw/channels.h"
#include "hw/digital_layer.h"
#include "hw/global_buffer.h"
#include "hw/noc.h"
#include "hw/pe_group.h"
#include "sim/util/atomic_file.h"
#include "sim/util/diagnostics.h"
#include "sim/util/memory_guard.h"
#include "sim/compiler/dataflow.h"
#include "sim/compiler/work_model.h"
#include "hw/tile.h"
#include "hw/tile_merge.h"

namespace mixpim::hw {

namespace {

double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return 0;
}

// One layer's modules and bookkeeping.
struct LayerModules {
  LayerCounters counters;
  LayerTiming timing;
  std::unique_ptr<LayerProgress> progress;
  std::vector<std::unique_ptr<RowQueue>> queues;  // one per input edge, program order
  std::unique_ptr<PeGroup> pes;
  std::unique_ptr<TileMerge> merge;
  std::unique_ptr<DigitalLayer> digital;
  RowProducer* producer() {
    return merge ? static_cast<RowProducer*>(merge.get())
                 : static_cast<RowProducer*>(digital.get());
  }
};

// Everything the simulation owns. Deliberately never destroyed: SystemC modules live until the
// process exits (the kernel elaborates once per process).
struct Model {
  sim::WorkModel work;
  Kernel kernel;
  std::unique_ptr<Noc> noc;
  std::vector<std::unique_ptr<Tile>> tiles;
  std::vector<LayerModules> layers;
  IoCounters io;
  std::unique_ptr<GlobalBuffer> global_buffer;
};

bool g_ran = false;

UnitStats unit(const std::string& name, const StageStats& s) {
  return {name, s.busy_ns, s.idle_ns, s.blocked_ns, s.peak_queue};
}

UnitStats server(const std::string& name, const FifoServer& s) {
  return {name, s.busy_ns(), 0, s.waited_ns(), s.peak_queue()};
}

// Counts of one layer per inference, from what its modules executed over the whole run.
sim::ActionCounts layer_counts(const sim::LayerProgram& p, const LayerCounters& c, bool flipping,
                               int64_t n) {
  sim::ActionCounts counts;
  auto add = [&](const char* component, const char* action, int64_t total) {
    if (total % n != 0)
      throw std::logic_error("cycle engine: " + p.name + " " + component + "." + action +
                             " is not a whole number per inference");
    counts.add(component, action, total / n);
  };
  if (p.has_pe) {
    add("xbar", "read_cell", c.read_cell);
    add("dac", "convert", c.dac_convert);
    add("sample_hold", "sample", c.sample);
    add("adc", "convert", c.adc_convert);
    add("shift_add", "op", c.shift_add);
    if (flipping) {
      add("flip_correct", "input_bit", c.flip_input_bit);
      add("flip_correct", "subtract", c.flip_subtract);
    }
    add("output_register", "access_byte", c.output_register);
    add("input_register", "access_byte", c.input_register);
    add("tile_bus", "byte", c.tile_bus);
    add("tile_shift_add", "op", c.tile_shift_add);
    add("tile_output_register", "access_byte", c.tile_output_register);
    if (p.pe.reprogram_cells > 0) add("reprogram", "write_cell", c.reprogram_cells);
  } else if (p.unit != sim::TileUnit::kNone) {
    add(std::string(sim::to_string(p.unit)).c_str(), "op", c.unit_ops);
  }
  if (p.uses_tile_buffer()) {
    add("tile_buffer", "read_byte", c.buffer_read);
    add("tile_buffer", "write_byte", c.buffer_write);
  }
  if (std::any_of(p.inputs.begin(), p.inputs.end(),
                  [](const sim::EdgeWork& e) { return e.crosses_noc; }))
    add("router", "flit_hop", c.flit_hops);
  return counts;
}

}  // namespace

CycleResult run_cycle(const sim::Network& network, const sim::PrecisionProfile& profile,
                      const sim::ArchConfig& arch, const sim::NetworkMapping& mapping,
                      const CycleOptions& options) {
  if (g_ran) throw std::logic_error("run_cycle: the SystemC kernel elaborates once per process");
  g_ran = true;
  const auto wall_start = std::chrono::steady_clock::now();
  sim::WorkModel compiled =
      sim::build_work_model(network, profile, arch, mapping, options.activity);
  sim::size_edge_buffers(compiled, arch);
  const bool tracing = !options.trace_path.empty();
  const size_t n = compiled.layers.size();
  const int64_t inferences =
      options.inferences > 0 ? options.inferences : (compiled.pipelined ? 4 : 1);
  const double clock_ghz = arch.clock_mhz / 1000.0;

  // Memory, before elaborating: every SystemC thread keeps a stack and its module's state
  // resident. Measured: VGG19 at 8 bits with --every-pe elaborates 5,670 more PE-stage threads
  // than by class (1,921 PEs against 31 pipelines) and peaks 51 MiB higher, 9.3 KiB a thread;
  // the estimate counts 16 KiB, room for deeper stacks. A trace keeps about 200 bytes per slice
  // (one JSON object) until it is written.
  {
    int64_t threads = 2 + 5 * int64_t{arch.chip.noc.mesh_columns} * arch.chip.noc.mesh_rows;
    int64_t slices = 0;
    for (const sim::LayerProgram& p : compiled.layers) {
      if (!p.has_pe) {
        threads += 1;
        slices += p.rows;
        continue;
      }
      const int64_t pipelines =
          options.merge_identical_pes ? static_cast<int64_t>(p.pe.pes.size()) : p.pe.pe_count();
      threads += 2 + 3 * pipelines;
      slices += 2 * p.pe.slots * p.pe.input_cycles;  // slots and stalls of the busiest PE
    }
    const double bytes = 16384.0 * static_cast<double>(threads) +
                         (tracing ? 200.0 * static_cast<double>(slices * inferences) : 0.0);
    sim::check_memory(
        bytes,
        "the cycle simulation (" + std::to_string(threads) + " SystemC threads" +
            (tracing ? ", a trace of about " + std::to_string(slices * inferences) + " slices"
                     : std::string()) +
            ")",
        sim::key_location(arch, {"chip", "tiles"}), "chip.tiles",
        options.merge_identical_pes
            ? "simulate a smaller chip (chip.tiles), fewer inferences, or no trace"
            : "drop --every-pe (identical PEs then share one pipeline), or simulate "
              "a smaller chip (chip.tiles)");
  }

  auto* model = new Model();  // see Model; allocated once the run is known to fit
  model->work = std::move(compiled);
  const sim::WorkModel& work = model->work;
  Kernel& kernel = model->kernel;
  kernel.tracing = tracing;

  model->noc = std::make_unique<Noc>("noc", arch.chip.noc, clock_ghz, &kernel);
  int tiles = 1;
  for (const sim::LayerProgram& p : work.layers) tiles = std::max(tiles, p.last_tile + 1);
  for (int t = 0; t < tiles; ++t)
    model->tiles.push_back(std::make_unique<Tile>(("tile_" + std::to_string(t)).c_str()));
  const int64_t input_rows = sim::output_rows(network.input_shape);
  model->global_buffer =
      std::make_unique<GlobalBuffer>("global_buffer", work, input_rows, work.layers.back().rows,
                                     inferences, arch.chip.dram.enabled, &model->io, &kernel);
  model->global_buffer->noc(*model->noc);

  // Modules, in network order.
  model->layers.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const sim::LayerProgram& p = work.layers[i];
    LayerModules& m = model->layers[i];
    const std::string base = "layer_" + std::to_string(i);
    m.progress = std::make_unique<LayerProgress>((base + "_progress").c_str(), &kernel);
    for (size_t e = 0; e < p.inputs.size(); ++e) {
      m.queues.push_back(std::make_unique<RowQueue>((base + "_in" + std::to_string(e)).c_str(),
                                                    work.pipelined ? p.inputs[e].capacity_rows : 0,
                                                    &kernel));
    }
    const int track = static_cast<int>(i);
    if (p.has_pe) {
      m.counters.dac_share.fraction = p.pe.active.dac;
      m.counters.cell_share.fraction = p.pe.active.cell;
      m.counters.conversion_share.fraction = p.pe.active.conversion;
      m.pes = std::make_unique<PeGroup>((base + "_pes").c_str(), p, arch, inferences,
                                        !options.merge_identical_pes, track, &m.counters, &m.timing,
                                        &kernel);
      m.merge = std::make_unique<TileMerge>((base + "_merge").c_str(), p, arch, &m.counters,
                                            &m.timing, &m.pes->state(), &kernel);
      for (size_t k = 0; k < m.pes->pes(); ++k) m.merge->from_pes(m.pes->partial_sums(k));
      for (auto& q : m.queues) m.pes->inputs(*q);
      for (int t = p.first_tile; t <= p.last_tile; ++t) {
        m.pes->buffer_ports(model->tiles[static_cast<size_t>(t)]->buffer_port);
        m.merge->buffer_ports(model->tiles[static_cast<size_t>(t)]->buffer_port);
        m.merge->units(model->tiles[static_cast<size_t>(t)]->shift_add);
      }
      m.merge->progress(*m.progress);
    } else {
      m.digital = std::make_unique<DigitalLayer>((base + "_digital").c_str(), p, arch, inferences,
                                                 track, &m.counters, &m.timing, &kernel);
      for (auto& q : m.queues) m.digital->inputs(*q);
      for (int t = p.first_tile; t <= p.last_tile; ++t) {
        Tile& tile = *model->tiles[static_cast<size_t>(t)];
        if (p.unit != sim::TileUnit::kNone) m.digital->units(tile.unit(p.unit));
        if (p.buffer_read_bytes + p.buffer_write_bytes > 0)
          m.digital->buffer_ports(tile.buffer_port);
      }
      m.digital->progress(*m.progress);
    }
    m.producer()->noc(*model->noc);
  }
  // Layer by layer: each layer waits for the one before it (the first for the last layer's
  // previous inference).
  if (!work.pipelined) {
    for (size_t i = 0; i < n; ++i) {
      LayerProgress& previous = *model->layers[i == 0 ? n - 1 : i - 1].progress;
      LayerModules& m = model->layers[i];
      if (m.pes) {
        m.pes->previous(previous);
      } else {
        m.digital->previous(previous);
      }
    }
  }
  // Edges: each consumer's queue bound to its producer (or the global buffer).
  for (size_t i = 0; i < n; ++i) {
    const sim::LayerProgram& p = work.layers[i];
    LayerModules& m = model->layers[i];
    for (size_t e = 0; e < p.inputs.size(); ++e) {
      const sim::EdgeWork& edge = p.inputs[e];
      RowProducer* from = edge.producer == sim::kNetworkInput
                              ? model->global_buffer.get()
                              : model->layers[static_cast<size_t>(edge.producer)].producer();
      from->consumers(*m.queues[e]);
      from->add_route(edge.crosses_noc ? &edge.transfer : nullptr, &m.counters.flit_hops);
    }
  }
  model->layers.back().producer()->consumers(model->global_buffer->arrivals);
  model->layers.back().producer()->add_route(&work.output_transfer, &model->io.flit_hops);

  sc_core::sc_start();

  CycleResult result;
  result.inferences = inferences;
  result.merge_identical_pes = options.merge_identical_pes;
  result.completed_ns = model->global_buffer->completed_ns;
  if (static_cast<int64_t>(result.completed_ns.size()) < inferences) {
    std::string stuck;
    for (size_t i = 0; i < n; ++i) {
      if (model->layers[i].timing.end_ns > 0) continue;
      stuck += (stuck.empty() ? "" : ", ") + work.layers[i].name + " [";
      for (size_t e = 0; e < work.layers[i].inputs.size(); ++e) {
        const RowQueue& q = *model->layers[i].queues[e];
        stuck += (e == 0 ? "" : " ") + std::string("in") + std::to_string(e) + ": ready " +
                 std::to_string(q.ready()) + " reserved " + std::to_string(q.reserved()) +
                 " released " + std::to_string(q.released()) + " of " +
                 std::to_string(q.capacity_rows());
      }
      stuck += "]";
    }
    throw std::logic_error(
        "cycle engine: the program stopped before its last inference (layers "
        "not finished: " +
        stuck + "); the compiler's buffer sizing missed a case");
  }

  // Collect: the same PerformanceResult as analyze(), counts per inference.
  sim::PerformanceResult& perf = result.performance;
  perf.tiles_used = work.tiles_used;
  perf.reprogram_rounds = work.reprogram_rounds;
  const bool flipping = arch.pe.crossbar.weight_flipping;
  for (size_t i = 0; i < n; ++i) {
    const sim::LayerProgram& p = work.layers[i];
    LayerModules& m = model->layers[i];
    sim::LayerPerformance l;
    l.layer = p.layer;
    l.name = p.name;
    l.type = p.type;
    l.mapping = p.mapping;
    l.counts = layer_counts(p, m.counters, flipping, inferences);
    l.adc = p.adc;
    l.macs = p.macs;
    l.first_tile = p.first_tile;
    l.last_tile = p.last_tile;
    l.tile_shares = p.tile_shares;
    l.bounds_ns = p.bounds_ns;
    l.bound = p.bound;
    l.start_ns = std::max(0.0, m.timing.start_ns);
    l.end_ns = m.timing.end_ns;
    l.time_ns = l.end_ns - l.start_ns;
    perf.layers.push_back(std::move(l));

    CycleLayerStats st;
    st.name = p.name;
    st.start_ns = perf.layers.back().start_ns;
    st.end_ns = m.timing.end_ns;
    st.busy_ns = m.timing.busy_ns;
    st.analytic_stage_ns = p.time_ns;
    for (const auto& [cause, ns] : m.timing.stall_ns) {
      const int64_t cycles = std::llround(ns * clock_ghz);
      if (cycles != 0) st.stall_cycles[cause] = cycles;
    }
    if (m.pes) {
      // The busiest PE's stages stand for the layer's (the others are no busier).
      const Pe& pe = m.pes->pe(m.pes->representative());
      const std::string of = " (pipeline " + std::to_string(m.pes->representative()) + " of " +
                             std::to_string(m.pes->pes()) + ")";
      st.units.push_back(unit("load", m.pes->load_stats()));
      st.units.push_back(unit("crossbar" + of, pe.crossbar_stats()));
      st.units.push_back(unit("adc" + of, pe.adc_stats()));
      st.units.push_back(unit("shift_add" + of, pe.shift_add_stats()));
      st.units.push_back(unit("merge", m.merge->stats));
      st.pes = p.pe.pe_count();
      st.pe_classes = static_cast<int64_t>(m.pes->pes());
      result.read_steps += m.counters.read_steps;  // as executed, whole run
      result.simulated_read_steps += m.counters.simulated_read_steps;
    } else {
      st.units.push_back(unit("rows", m.digital->stats));
    }
    for (size_t e = 0; e < p.inputs.size(); ++e) {
      const int q = p.inputs[e].producer;
      result.queue_peak_rows[(q == sim::kNetworkInput ? std::string("input")
                                                      : work.layers[static_cast<size_t>(q)].name) +
                             "->" + p.name] = m.queues[e]->peak_rows();
    }
    result.layers.push_back(std::move(st));
  }
  const IoCounters& io = model->io;
  auto per_inference = [&](int64_t total) { return total / inferences; };
  perf.io_counts.add("global_buffer", "read_byte", per_inference(io.read));
  perf.io_counts.add("global_buffer", "write_byte", per_inference(io.write));
  perf.io_counts.add("router", "flit_hop", per_inference(io.flit_hops));
  if (arch.chip.dram.enabled) {
    perf.io_counts.add("dram", "byte", per_inference(io.dram));
    if (!work.resident)
      perf.io_counts.add("reprogram", "dram_byte", per_inference(io.dram_weights));
  }
  perf.latency_ns = result.completed_ns.front();
  // Completions are not evenly spaced (layers on shared tiles interleave differently from one
  // inference to the next): the interval is their mean spacing.
  perf.interval_ns = inferences >= 2 ? (result.completed_ns.back() - result.completed_ns.front()) /
                                           static_cast<double>(inferences - 1)
                                     : perf.latency_ns;
  for (size_t t = 0; t < model->tiles.size(); ++t) {
    const Tile& tile = *model->tiles[t];
    const std::string name = "tile_" + std::to_string(t);
    if (tile.buffer_port.requests() > 0)
      result.shared_units.push_back(server(name + ".buffer_port", tile.buffer_port));
    if (tile.shift_add.requests() > 0)
      result.shared_units.push_back(server(name + ".shift_add", tile.shift_add));
    if (tile.activation.requests() > 0)
      result.shared_units.push_back(server(name + ".activation", tile.activation));
    if (tile.pool.requests() > 0) result.shared_units.push_back(server(name + ".pool", tile.pool));
  }
  int64_t flits = 0;
  result.shared_units.push_back(unit("noc.links", model->noc->link_stats(&flits)));
  result.clamped_buffers = work.clamped_edges;
  result.simulated_cycles = std::llround(result.completed_ns.back() * clock_ghz);
  result.kernel_events = kernel.events;
  result.delta_cycles = static_cast<int64_t>(sc_core::sc_delta_count());

  if (kernel.tracing) {
    std::ostringstream out;
    out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
    out << R"({"name":"process_name","ph":"M","pid":0,"args":{"name":"chip"}})";
    for (size_t i = 0; i < n; ++i) {
      // Layer names are the user's text: JSON-escaped.
      out << ",\n"
          << R"({"name":"thread_name","ph":"M","pid":0,"tid":)" << i << R"(,"args":{"name":)"
          << nlohmann::json(work.layers[i].name).dump() << "}}";
      out << ",\n"
          << R"({"name":"thread_name","ph":"M","pid":0,"tid":)" << 1000 + i << R"(,"args":{"name":)"
          << nlohmann::json(work.layers[i].name + " stalls").dump() << "}}";
    }
    const std::string slices = kernel.trace.str();
    if (!slices.empty()) out << ",\n" << slices;
    out << "\n]}\n";
    sim::write_file_atomically(options.trace_path, out.str());
  }
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  result.peak_rss_mib = peak_rss_mib();
  return result;
}

}  // namespace mixpim::hw
