#include "sim/compiler/work_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/compiler/dataflow.h"

namespace mixpim::sim {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t kept_count(const std::vector<bool>& mask) {
  return std::count(mask.begin(), mask.end(), true);
}

int64_t spatial(const Shape& shape) { return shape.size() == 3 ? shape[1] * shape[2] : 1; }

std::pair<int, int> router_position(int tile, const NocConfig& noc) {
  const int router = noc_router(tile, noc);
  return {router % noc.mesh_columns, router / noc.mesh_columns};
}

}  // namespace

int noc_router(int tile, const NocConfig& noc) {
  return tile < 0 ? 0 : tile / noc.tiles_per_router;
}

int64_t noc_hops(int from_tile, int to_tile, const NocConfig& noc) {
  if (from_tile == to_tile) return 0;
  const auto [fx, fy] = router_position(from_tile, noc);
  const auto [tx, ty] = router_position(to_tile, noc);
  return std::abs(fx - tx) + std::abs(fy - ty) + 1;
}

int64_t NocRoute::flits() const {
  int64_t total = 0;
  for (int64_t f : pair_flits) total += f;
  return total;
}

int64_t NocRoute::row_flits(int64_t row, int64_t rows) const {
  int64_t total = 0;
  for (int64_t f : pair_flits) total += split_share(f, row, rows);
  return total;
}

int64_t NocTransfer::flit_hops() const {
  int64_t total = 0;
  for (const NocRoute& r : routes) total += r.flits() * r.routers;
  return total;
}

NocTransfer noc_transfer(int64_t bytes, int from_first, int from_last, int to_first, int to_last,
                         const NocConfig& noc) {
  NocTransfer t;
  t.flits = ceil_div(bytes * 8, noc.flit_bits);
  const int64_t pairs = int64_t{from_last - from_first + 1} * (to_last - to_first + 1);
  int64_t pair = 0;
  for (int f = from_first; f <= from_last; ++f) {
    for (int d = to_first; d <= to_last; ++d, ++pair) {
      const int64_t hops = noc_hops(f, d, noc);
      if (hops == 0) continue;  // same tile: no NoC
      const int from_router = noc_router(f, noc), to_router = noc_router(d, noc);
      auto it = std::find_if(t.routes.begin(), t.routes.end(), [&](const NocRoute& r) {
        return r.from_router == from_router && r.to_router == to_router && r.routers == hops;
      });
      if (it == t.routes.end()) {
        t.routes.push_back({from_router, to_router, hops, {}});
        it = t.routes.end() - 1;
      }
      it->pair_flits.push_back(split_share(t.flits, pair, pairs));
    }
  }
  return t;
}

std::string_view to_string(TileUnit unit) {
  switch (unit) {
    case TileUnit::kShiftAdd:
      return "tile_shift_add";
    case TileUnit::kActivation:
      return "activation_unit";
    case TileUnit::kPool:
      return "pool_unit";
    default:
      return "none";
  }
}

int64_t PeWork::pixels_done(int64_t slot) const { return std::min(mvms, (slot + 1) * copies); }

int64_t PeWork::active_copies(int64_t slot) const {
  return std::max<int64_t>(0, std::min(copies, mvms - slot * copies));
}

PeArrays::Part PeArrays::step(int64_t active_copies) const {
  Part total;
  for (const Part& part : parts) {
    if (part.copy >= active_copies) break;
    total.arrays += part.arrays;
    total.cells += part.cells;
    total.dac_rows += part.dac_rows;
    total.columns += part.columns;
    total.input_bytes += part.input_bytes;
  }
  return total;
}

int64_t PeWork::pe_count() const {
  int64_t total = 0;
  for (const PeArrays& pe : pes) total += pe.count;
  return total;
}

double LayerProgram::busiest_share() const {
  return *std::max_element(tile_shares.begin(), tile_shares.end());
}

int tile_units(const ArchConfig& arch, TileUnit unit) {
  // A tile without pool or shift-add units (PUMA) pools and adds on its activation units, a
  // programmable vector unit; their time is modelled as if each kind of work had them alone.
  const auto or_activation = [&](int units) {
    return units > 0 ? units : arch.tile.activation_units;
  };
  switch (unit) {
    case TileUnit::kActivation:
      return arch.tile.activation_units;
    case TileUnit::kPool:
      return or_activation(arch.tile.pool_units);
    default:
      return or_activation(arch.tile.shift_add_units);
  }
}

double read_step_ns(const ArchConfig& arch, int64_t columns, int bits, int64_t read_groups) {
  const double read = arch.pe.crossbar.read_latency_ns * static_cast<double>(read_groups);
  const double adc = adc_read_ns(arch, columns, bits);
  const double shift_add = shift_add_ns_per_read(arch, columns);
  return arch.pe.sample_hold ? std::max({read, adc, shift_add}) : std::max(read + adc, shift_add);
}

double shift_add_ns_per_read(const ArchConfig& arch, int64_t columns) {
  const double per_cycle = arch.pe.shift_add_units * arch.pe.shift_add_ops_per_cycle;
  const double cycles = std::ceil(static_cast<double>(columns) / per_cycle - 1e-9);
  return cycles / (arch.clock_mhz / 1000.0);
}

WorkModel build_work_model(const Network& network, const PrecisionProfile& profile,
                           const ArchConfig& arch, const NetworkMapping& mapping,
                           const Activity* activity) {
  const std::vector<std::vector<bool>> masks = output_channel_masks(network, profile);
  const std::vector<int> out_bits = output_bits(network, profile);
  const double clock_ghz = arch.clock_mhz / 1000.0;
  const NocConfig& noc = arch.chip.noc;
  const size_t n = network.layers.size();
  WorkModel model;
  model.tiles_used = mapping.tiles_used;
  model.resident = mapping.resident;
  model.pipelined = mapping.mode == MappingMode::kLayerPipelined && mapping.resident;

  std::vector<int> mapping_of(n, -1);
  for (size_t k = 0; k < mapping.layers.size(); ++k)
    mapping_of[mapping.layers[k].layer] = static_cast<int>(k);

  auto output_bytes = [&](int i) {
    return ceil_div(kept_count(masks[i]) * spatial(network.layers[i].output_shape) * out_bits[i],
                    8);
  };
  // The first weight layer reading the network input sets the input's bits.
  int input_bits = kBaselineBits;
  for (size_t i = 0; i < n; ++i) {
    const Layer& l = network.layers[i];
    if (l.has_weights() &&
        std::find(l.producers.begin(), l.producers.end(), kNetworkInput) != l.producers.end()) {
      input_bits = profile.layers[i].activation_bits;
      break;
    }
  }
  model.input_bytes =
      ceil_div(network.input_shape[0] * spatial(network.input_shape) * input_bits, 8);

  for (size_t idx = 0; idx < n; ++idx) {
    const int i = static_cast<int>(idx);
    const Layer& layer = network.layers[idx];
    LayerProgram p;
    p.layer = i;
    p.name = layer.name;
    p.type = layer.type;
    p.mapping = mapping_of[idx];
    p.rows = output_rows(layer.output_shape);
    p.output_bytes = output_bytes(i);
    ActionCounts& c = p.counts;
    const int64_t out_elements = kept_count(masks[idx]) * spatial(layer.output_shape);
    const int producer = layer.producers.empty() ? kNetworkInput : layer.producers.front();
    auto in_bytes_of = [&](int q) {
      return q == kNetworkInput ? model.input_bytes : output_bytes(q);
    };

    if (p.mapping >= 0) {
      const LayerMapping& m = mapping.layers[static_cast<size_t>(p.mapping)];
      p.first_tile = m.first_tile;
      p.last_tile = std::max(m.first_tile, m.last_tile);
      p.tile_shares = tile_shares(m, arch.tile.pes);
      p.adc = layer_adc(m, arch);
      p.has_pe = true;
      PeWork& w = p.pe;
      w.mvms = m.mvms;
      w.slots = ceil_div(m.mvms, m.replication);
      w.copies = ceil_div(m.mvms, w.slots);  // copies that get an MVM at all
      w.passes = m.passes;
      w.input_cycles = m.input_cycles;
      w.pixels_per_row = layer.output_shape.size() == 3 ? layer.output_shape[2] : 1;
      w.gemm_rows = m.rows;
      w.used_columns = m.used_columns();
      w.row_blocks = m.row_blocks();
      w.column_arrays = static_cast<int64_t>(m.column_arrays.size());
      w.array_spans = m.array_spans();
      w.kept_outputs = m.kept_outputs;
      for (int r : m.row_block_rows)
        w.input_bytes_per_mvm += ceil_div(int64_t{r} * m.activation_bits, 8);
      const std::vector<LayerMapping::ArrayRef> array_list = m.array_list();
      for (const LayerMapping::ArrayRef& a : array_list)
        w.array_input_bytes +=
            ceil_div(int64_t{m.row_block_rows[a.row_block]} * m.activation_bits, 8);
      w.busiest_pe_columns = m.busiest_pe_columns(arch.pe.crossbars);
      // Row groups are read one after another (pe.crossbar.rows_per_read).
      w.read_ns = arch.pe.crossbar.read_latency_ns * static_cast<double>(m.max_read_groups()) *
                  static_cast<double>(m.passes);
      w.adc_ns =
          adc_read_ns(arch, w.busiest_pe_columns, p.adc.bits) * static_cast<double>(m.passes);
      w.shift_add_ns =
          shift_add_ns_per_read(arch, w.busiest_pe_columns) * static_cast<double>(m.passes);
      w.sample_hold = arch.pe.sample_hold;
      w.adc_bits = p.adc.bits;
      {
        // PE w holds arrays [w x per_pe, (w + 1) x per_pe) of the sequence (copy, row block,
        // column array); a layer in passes is one PE holding every array of its one copy.
        const int64_t copies = m.passes > 1 ? 1 : m.replication;
        const auto per_copy = static_cast<int64_t>(array_list.size());
        const int64_t total = copies * per_copy;
        const int64_t per_pe =
            m.passes > 1 ? total
                         : std::min<int64_t>(arch.pe.crossbars,
                                             ceil_div(total, std::max<int64_t>(1, m.pes)));
        w.pes.resize(static_cast<size_t>(ceil_div(total, per_pe)));
        for (int64_t j = 0; j < total; ++j) {
          const int64_t copy = j / per_copy;
          const LayerMapping::ArrayRef& array = array_list[static_cast<size_t>(j % per_copy)];
          PeArrays& pe = w.pes[static_cast<size_t>(j / per_pe)];
          if (pe.parts.empty() || pe.parts.back().copy != copy) pe.parts.push_back({copy});
          PeArrays::Part& part = pe.parts.back();
          const int64_t rows = m.row_block_rows[static_cast<size_t>(array.row_block)];
          const int64_t columns =
              m.column_arrays[static_cast<size_t>(array.column_array)].used_columns;
          part.arrays += 1;
          part.cells += rows * columns;
          part.dac_rows += rows;
          part.columns += columns * m.read_groups(array.row_block);  // once per row group
          part.input_bytes += ceil_div(rows * m.activation_bits, 8);
        }
        // Identical PEs: the same work with every copy active and in the last slot.
        const int64_t last = w.active_copies(w.slots - 1);
        auto same = [&](const PeArrays& a, const PeArrays& b) {
          for (int64_t active : {w.copies, last}) {
            const PeArrays::Part x = a.step(active), y = b.step(active);
            if (x.arrays != y.arrays || x.cells != y.cells || x.dac_rows != y.dac_rows ||
                x.columns != y.columns || x.input_bytes != y.input_bytes)
              return false;
          }
          return true;
        };
        std::vector<PeArrays> classes;
        for (const PeArrays& pe : w.pes) {
          auto it = std::find_if(classes.begin(), classes.end(),
                                 [&](const PeArrays& c) { return same(c, pe); });
          if (it == classes.end()) {
            classes.push_back(pe);
          } else {
            ++it->count;
          }
        }
        w.pes = std::move(classes);
      }

      // Sums over the arrays of one copy (row blocks x column arrays for a dense layer).
      const int64_t M = m.mvms, I = m.input_cycles;
      const int64_t conversions = M * I * m.conversions_per_cycle();
      p.macs = M * m.macs_per_mvm;
      c.add("xbar", "read_cell", M * I * m.active_cells());
      c.add("dac", "convert", M * I * m.array_rows());
      c.add("sample_hold", "sample", conversions);
      c.add("adc", "convert", conversions);
      c.add("shift_add", "op", conversions);
      count_flip_correction(M, m, arch, c);
      if (activity != nullptr) {
        if (const LayerActivity* measured = activity->find(layer.name)) {
          // Data-aware: the active share of the closed forms above (what the cycle engine's
          // per-layer ActiveShare gives step by step).
          w.data_aware = true;
          w.active = layer_fractions(*measured, m, arch);
          auto scale = [&](const char* component, const char* action, double fraction) {
            const int64_t all = c.get(component, action);
            c.add(component, action, active_events(all, fraction) - all);
          };
          scale("xbar", "read_cell", w.active.cell);
          scale("dac", "convert", w.active.dac);
          scale("sample_hold", "sample", w.active.conversion);
          scale("adc", "convert", w.active.conversion);
          if (arch.pe.crossbar.weight_flipping)
            scale("flip_correct", "subtract", w.active.conversion);
          // A read step's ADC time, on average: the busiest PE's share of conversions.
          w.adc_ns =
              adc_read_ns(arch,
                          static_cast<int64_t>(std::ceil(
                              w.active.conversion * static_cast<double>(w.busiest_pe_columns))),
                          p.adc.bits) *
              static_cast<double>(m.passes);
        }
      }
      c.add("output_register", "access_byte", 2 * conversions);  // a 16-bit accumulate per S+A
      c.add("input_register", "access_byte", 2 * M * w.array_input_bytes);  // write + read
      // Inputs broadcast to the arrays, 16-bit partial sums back to the tile.
      c.add("tile_bus", "byte", M * w.input_bytes_per_mvm + 2 * M * w.array_spans);
      c.add("tile_shift_add", "op", M * (w.array_spans - m.kept_outputs));
      c.add("tile_output_register", "access_byte", 2 * M * m.kept_outputs);
      if (!mapping.resident) {
        w.reprogram_cells = m.active_cells() * m.replication;
        c.add("reprogram", "write_cell", w.reprogram_cells);
      }
      p.unit = TileUnit::kShiftAdd;
      p.unit_ops = M * (w.array_spans - m.kept_outputs);
      p.buffer_read_bytes = M * w.input_bytes_per_mvm;
      p.buffer_write_bytes = p.output_bytes;

      const double steps = static_cast<double>(w.slots * I);
      p.bounds_ns["crossbar"] = steps * (w.sample_hold ? w.read_ns : w.read_ns + w.adc_ns);
      p.bounds_ns["adc"] = steps * w.adc_ns;
      p.bounds_ns["shift_add"] = steps * w.shift_add_ns;
    } else {
      const LayerProgram* from = producer == kNetworkInput ? nullptr : &model.layers[producer];
      p.first_tile = from == nullptr ? 0 : from->first_tile;
      p.last_tile = from == nullptr ? 0 : from->last_tile;
      p.tile_shares = from == nullptr ? std::vector<double>{1.0} : from->tile_shares;
      switch (layer.type) {
        case LayerType::kRelu:  // applied as outputs leave the tile: no buffer traffic (ISAAC)
          p.unit = TileUnit::kActivation;
          p.unit_ops = out_elements;
          break;
        case LayerType::kMaxPool:
        case LayerType::kAvgPool:
        case LayerType::kGlobalAvgPool:
          p.unit = TileUnit::kPool;
          p.unit_ops = layer.type == LayerType::kGlobalAvgPool
                           ? kept_count(masks[idx]) * spatial(layer.input_shape)
                           : out_elements * layer.kernel_area();
          p.buffer_read_bytes = in_bytes_of(producer);
          p.buffer_write_bytes = p.output_bytes;
          break;
        case LayerType::kAdd:
          p.unit = TileUnit::kShiftAdd;
          p.unit_ops = out_elements;
          for (int q : layer.producers) p.buffer_read_bytes += in_bytes_of(q);
          p.buffer_write_bytes = p.output_bytes;
          break;
        default:  // flatten and concat: changes of view, no work
          break;
      }
      if (p.unit != TileUnit::kNone) c.add(to_string(p.unit), "op", p.unit_ops);
    }
    if (p.uses_tile_buffer()) {
      c.add("tile_buffer", "read_byte", p.buffer_read_bytes);
      c.add("tile_buffer", "write_byte", p.buffer_write_bytes);
    }
    if (p.unit != TileUnit::kNone && p.type != LayerType::kFlatten) {
      p.bounds_ns["digital"] = static_cast<double>(p.unit_ops) * p.busiest_share() /
                               (tile_units(arch, p.unit) * clock_ghz);
    }

    // Inputs; those arriving from other tiles (or the global buffer) cross the NoC.
    int64_t flits_in = 0;
    for (int q : layer.producers) {
      EdgeWork e;
      e.producer = q;
      const Shape& out = q == kNetworkInput ? network.input_shape
                                            : network.layers[static_cast<size_t>(q)].output_shape;
      e.producer_rows = output_rows(out);
      e.bytes = in_bytes_of(q);
      e.row_bytes = std::max<int64_t>(1, ceil_div(e.bytes, e.producer_rows));
      for (int64_t r = 0; r < p.rows; ++r) {
        e.need.push_back(rows_needed(layer, out, r));
        e.release.push_back(rows_released(layer, out, r));
      }
      // ReLU, flatten and concat pass rows on (concat's consumer reads its producers' rows).
      e.buffered = layer.type != LayerType::kRelu && layer.type != LayerType::kFlatten &&
                   layer.type != LayerType::kConcat;
      const int from_first =
          q == kNetworkInput ? -1 : model.layers[static_cast<size_t>(q)].first_tile;
      const int from_last =
          q == kNetworkInput ? -1 : model.layers[static_cast<size_t>(q)].last_tile;
      if (!(from_first == p.first_tile && from_last == p.last_tile)) {
        e.crosses_noc = true;
        e.transfer = noc_transfer(e.bytes, from_first, from_last, p.first_tile, p.last_tile, noc);
        flits_in += e.transfer.flits;
        c.add("router", "flit_hop", e.transfer.flit_hops());
      }
      p.inputs.push_back(std::move(e));
    }
    const double tiles = p.last_tile - p.first_tile + 1;
    const double routers = std::ceil(tiles / noc.tiles_per_router);
    if (flits_in > 0) {
      p.bounds_ns["noc"] =
          static_cast<double>(flits_in) / (routers * noc.link_flits_per_cycle * clock_ghz);
    }
    const int64_t buffer_bytes = p.buffer_read_bytes + p.buffer_write_bytes;
    if (buffer_bytes > 0) {
      p.bounds_ns["buffer"] = static_cast<double>(buffer_bytes) * p.busiest_share() /
                              (arch.tile.buffer.bandwidth_bytes_per_cycle * clock_ghz);
    }
    for (const auto& [name, ns] : p.bounds_ns) {
      if (p.bound.empty() || ns > p.time_ns) {
        p.time_ns = ns;
        p.bound = name;
      }
    }
    model.layers.push_back(std::move(p));
  }

  // Network input from the global buffer; the final output back to it (and DRAM if modelled).
  const size_t last = n - 1;
  const LayerProgram& final_layer = model.layers[last];
  model.final_bytes = ceil_div(
      kept_count(masks[last]) * spatial(network.layers[last].output_shape) * kBaselineBits, 8);
  model.output_transfer =
      noc_transfer(model.final_bytes, final_layer.first_tile, final_layer.last_tile, -1, -1, noc);
  model.io_counts.add("global_buffer", "read_byte", model.input_bytes);
  model.io_counts.add("global_buffer", "write_byte", model.final_bytes);
  model.io_counts.add("router", "flit_hop", model.output_transfer.flit_hops());
  if (arch.chip.dram.enabled) {
    model.io_counts.add("dram", "byte", model.input_bytes + model.final_bytes);
    // Rewritten weights come from DRAM: part of reprogramming (amortised over a batch).
    if (!mapping.resident) {
      model.io_counts.add(
          "reprogram", "dram_byte",
          ceil_div(mapping.reprogram_cell_writes * arch.pe.crossbar.bits_per_cell, 8));
    }
  }
  if (!mapping.resident) {
    // Arrays are programmed row by row, all arrays in parallel: one round per segment and one
    // per extra pass of a layer larger than the chip.
    model.reprogram_rounds = static_cast<int64_t>(mapping.segments.size());
    for (const LayerMapping& m : mapping.layers) model.reprogram_rounds += m.passes - 1;
  }

  return model;
}

}  // namespace mixpim::sim
