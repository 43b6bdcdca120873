#include "analytic.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mixpim::sim {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t kept_count(const std::vector<bool>& mask) {
  return std::count(mask.begin(), mask.end(), true);
}

int64_t spatial(const Shape& shape) { return shape.size() == 3 ? shape[1] * shape[2] : 1; }

// Router of a tile on the (concentrated) mesh, as (column, row).
std::pair<int, int> router_of(int tile, const NocConfig& noc) {
  const int router = tile / noc.tiles_per_router;
  return {router % noc.mesh_columns, router / noc.mesh_columns};
}

// Routers a flit passes between two tiles: none on the same tile, else the Manhattan
// distance plus the source router (XY routing). Tile -1 is the global buffer at router 0.
int64_t hops(int from_tile, int to_tile, const NocConfig& noc) {
  if (from_tile == to_tile) return 0;
  const auto [fx, fy] = from_tile < 0 ? std::make_pair(0, 0) : router_of(from_tile, noc);
  const auto [tx, ty] = to_tile < 0 ? std::make_pair(0, 0) : router_of(to_tile, noc);
  return std::abs(fx - tx) + std::abs(fy - ty) + 1;
}

// Flit-hops of `flits` spread evenly over every (source tile, destination tile) pair.
int64_t flit_hops(int64_t flits, int from_first, int from_last, int to_first, int to_last,
                  const NocConfig& noc) {
  int64_t total_hops = 0, pairs = 0;
  for (int f = from_first; f <= from_last; ++f) {
    for (int t = to_first; t <= to_last; ++t) {
      total_hops += hops(f, t, noc);
      ++pairs;
    }
  }
  return pairs == 0 ? 0 : ceil_div(flits * total_hops, pairs);
}

}  // namespace

int64_t output_rows(const Shape& shape) { return shape.size() == 3 && shape[1] > 0 ? shape[1] : 1; }

int64_t rows_needed(const Layer& consumer, const Shape& producer_output, int64_t row) {
  const int64_t produced = output_rows(producer_output);
  const int64_t rows = output_rows(consumer.output_shape);
  if (row >= rows - 1 || producer_output.size() != 3 || consumer.output_shape.size() != 3)
    return produced;
  switch (consumer.type) {
    case LayerType::kConv2d:
    case LayerType::kMaxPool:
    case LayerType::kAvgPool: {
      // Rows up to the window's last (the first row waits for a whole kernel's worth).
      const int64_t last = row * consumer.stride_h - consumer.pad_h + consumer.kernel_h;
      return std::min(produced, std::max<int64_t>(consumer.kernel_h, last));
    }
    case LayerType::kRelu:
    case LayerType::kAdd:
      return std::min(produced, row + 1);
    default:
      return produced;  // linear, global pooling and flatten need the whole input
  }
}

namespace {}  // namespace

ActionCounts PerformanceResult::total_counts() const {
  ActionCounts total = io_counts;
  for (const LayerPerformance& l : layers) total.merge(l.counts);
  return total;
}

int64_t PerformanceResult::macs() const {
  int64_t total = 0;
  for (const LayerPerformance& l : layers) total += l.macs;
  return total;
}

std::vector<double> tile_shares(const LayerMapping& m, int pes_per_tile) {
  const int first = m.first_tile, last = std::max(m.first_tile, m.last_tile);
  std::vector<double> shares(static_cast<size_t>(last - first + 1), 0.0);
  if (m.pes <= 0) {
    shares.assign(shares.size(), 1.0 / static_cast<double>(shares.size()));
    return shares;
  }
  const int64_t begin = m.first_pe, end = m.first_pe + m.pes;
  for (int t = first; t <= last; ++t) {
    const int64_t lo = std::max<int64_t>(begin, int64_t{t} * pes_per_tile);
    const int64_t hi = std::min<int64_t>(end, int64_t{t + 1} * pes_per_tile);
    shares[static_cast<size_t>(t - first)] =
        hi > lo ? static_cast<double>(hi - lo) / static_cast<double>(m.pes) : 0.0;
  }
  return shares;
}

std::vector<int> output_bits(const Network& network, const PrecisionProfile& profile) {
  const size_t n = network.layers.size();
  std::vector<int> bits(n, 0);
  for (size_t i = n; i-- > 0;) {
    int widest = 0;
    for (size_t c = i + 1; c < n; ++c) {
      const Layer& consumer = network.layers[c];
      if (std::find(consumer.producers.begin(), consumer.producers.end(), static_cast<int>(i)) ==
          consumer.producers.end()) {
        continue;
      }
      widest =
          std::max(widest, consumer.has_weights() ? profile.layers[c].activation_bits : bits[c]);
    }
    bits[i] = widest == 0 ? kBaselineBits : widest;
  }
  return bits;
}

PerformanceResult analyze(const Network& network, const PrecisionProfile& profile,
                          const ArchConfig& arch, const NetworkMapping& mapping) {
  const std::vector<std::vector<bool>> masks = output_channel_masks(network, profile);
  const std::vector<int> out_bits = output_bits(network, profile);
  const double clock_ghz = arch.clock_mhz / 1000.0;
  const NocConfig& noc = arch.chip.noc;
  PerformanceResult result;
  result.tiles_used = mapping.tiles_used;

  std::vector<int> mapping_of(network.layers.size(), -1);
  for (size_t k = 0; k < mapping.layers.size(); ++k)
    mapping_of[mapping.layers[k].layer] = static_cast<int>(k);

  // Bytes of a layer's kept output at the bits it is stored with.
  auto output_bytes = [&](int i) {
    const Layer& l = network.layers[i];
    return ceil_div(kept_count(masks[i]) * spatial(l.output_shape) * out_bits[i], 8);
  };
  // First weight layer reading the network input sets the input's bits.
  int input_bits = kBaselineBits;
  for (size_t i = 0; i < network.layers.size(); ++i) {
    const Layer& l = network.layers[i];
    if (l.has_weights() &&
        std::find(l.producers.begin(), l.producers.end(), kNetworkInput) != l.producers.end()) {
      input_bits = profile.layers[i].activation_bits;
      break;
    }
  }
  const int64_t input_elements = network.input_shape[0] * spatial(network.input_shape);
  const int64_t input_bytes = ceil_div(input_elements * input_bits, 8);

  for (size_t idx = 0; idx < network.layers.size(); ++idx) {
    const int i = static_cast<int>(idx);
    const Layer& layer = network.layers[idx];
    LayerPerformance perf;
    perf.layer = i;
    perf.name = layer.name;
    perf.type = layer.type;
    perf.mapping = mapping_of[idx];
    ActionCounts& c = perf.counts;
    const int64_t out_elements = kept_count(masks[idx]) * spatial(layer.output_shape);
    const int producer = layer.producers.empty() ? kNetworkInput : layer.producers.front();

    if (perf.mapping >= 0) {
      const LayerMapping& m = mapping.layers[perf.mapping];
      perf.first_tile = m.first_tile;
      perf.last_tile = std::max(m.first_tile, m.last_tile);
      perf.tile_shares = tile_shares(m, arch.tile.pes);
      perf.adc = layer_adc(m, arch);
      const int64_t M = m.mvms, I = m.input_cycles, B = m.row_blocks();
      const auto A = static_cast<int64_t>(m.column_arrays.size());
      int64_t spans = 0;
      for (const ColumnArray& a : m.column_arrays) spans += static_cast<int64_t>(a.spans.size());
      int64_t input_bytes_per_mvm = 0;  // one row block's inputs, summed over blocks
      for (int r : m.row_block_rows)
        input_bytes_per_mvm += ceil_div(int64_t{r} * m.activation_bits, 8);
      const int64_t conversions = M * I * B * m.used_columns();
      perf.macs = M * m.rows * m.kept_outputs;
      c.add("xbar", "read_cell", M * I * m.rows * m.used_columns());
      c.add("dac", "convert", M * I * m.rows * A);
      c.add("sample_hold", "sample", conversions);
      c.add("adc", "convert", conversions);
      c.add("shift_add", "op", conversions);
      count_flip_correction(M, m, arch, c);
      c.add("output_register", "access_byte", 2 * conversions);  // a 16-bit accumulate per S+A
      c.add("input_register", "access_byte",
            2 * M * A * input_bytes_per_mvm);  // written, then read
      c.add("tile_buffer", "read_byte", M * input_bytes_per_mvm);
      // Inputs broadcast to the arrays, 16-bit partial sums back to the tile.
      c.add("tile_bus", "byte", M * input_bytes_per_mvm + 2 * M * B * spans);
      c.add("tile_shift_add", "op", M * (B * spans - m.kept_outputs));
      c.add("tile_output_register", "access_byte", 2 * M * m.kept_outputs);
      c.add("tile_buffer", "write_byte", output_bytes(i));
      if (!mapping.resident) c.add("reprogram", "write_cell", m.active_cells() * m.replication);

      // Time: every copy runs ceil(M / copies) MVMs (x passes), each I reads. A read takes the
      // array's read latency, or longer when a PE's ADCs cannot convert its columns in time.
      const int64_t mvms_per_copy = ceil_div(M, m.replication) * m.passes;
      const double read_ns = arch.pe.crossbar.read_latency_ns;
      const int64_t columns = m.busiest_pe_columns(arch.pe.crossbars);
      const double adc_ns = adc_read_ns(arch, columns, perf.adc.bits);
      perf.bounds_ns["crossbar"] = static_cast<double>(mvms_per_copy * I) * read_ns;
      perf.bounds_ns["adc"] = static_cast<double>(mvms_per_copy * I) * adc_ns;
      const double busiest = *std::max_element(perf.tile_shares.begin(), perf.tile_shares.end());
      perf.bounds_ns["digital"] = static_cast<double>(c.get("tile_shift_add", "op")) * busiest /
                                  (arch.tile.shift_add_units * clock_ghz);
    } else {
      perf.first_tile = producer == kNetworkInput ? 0 : result.layers[producer].first_tile;
      perf.last_tile = producer == kNetworkInput ? 0 : result.layers[producer].last_tile;
      perf.tile_shares = producer == kNetworkInput ? std::vector<double>{1.0}
                                                   : result.layers[producer].tile_shares;
      // The busiest tile's share of the work bounds the layer (1 / tiles when spread evenly).
      const double tiles =
          1.0 / *std::max_element(perf.tile_shares.begin(), perf.tile_shares.end());
      const int64_t in_bytes = producer == kNetworkInput ? input_bytes : output_bytes(producer);
      switch (layer.type) {
        case LayerType::kRelu:  // applied as outputs leave the tile: no buffer traffic (ISAAC)
          c.add("activation_unit", "op", out_elements);
          perf.bounds_ns["digital"] =
              static_cast<double>(out_elements) / (arch.tile.activation_units * tiles * clock_ghz);
          break;
        case LayerType::kMaxPool:
        case LayerType::kAvgPool:
        case LayerType::kGlobalAvgPool: {
          const int64_t ops = layer.type == LayerType::kGlobalAvgPool
                                  ? kept_count(masks[idx]) * spatial(layer.input_shape)
                                  : out_elements * layer.kernel_area();
          c.add("pool_unit", "op", ops);
          c.add("tile_buffer", "read_byte", in_bytes);
          c.add("tile_buffer", "write_byte", output_bytes(i));
          perf.bounds_ns["digital"] =
              static_cast<double>(ops) / (arch.tile.pool_units * tiles * clock_ghz);
          break;
        }
        case LayerType::kAdd: {
          c.add("tile_shift_add", "op", out_elements);
          int64_t read = 0;
          for (int p : layer.producers) read += p == kNetworkInput ? input_bytes : output_bytes(p);
          c.add("tile_buffer", "read_byte", read);
          c.add("tile_buffer", "write_byte", output_bytes(i));
          perf.bounds_ns["digital"] =
              static_cast<double>(out_elements) / (arch.tile.shift_add_units * tiles * clock_ghz);
          break;
        }
        default:  // flatten: a change of view, no work
          break;
      }
    }

    // Inputs arriving from other tiles (or from the global buffer) cross the NoC.
    int64_t flits_in = 0;
    for (int p : layer.producers) {
      const int from_first = p == kNetworkInput ? -1 : result.layers[p].first_tile;
      const int from_last = p == kNetworkInput ? -1 : result.layers[p].last_tile;
      if (from_first == perf.first_tile && from_last == perf.last_tile) continue;
      const int64_t bytes = p == kNetworkInput ? input_bytes : output_bytes(p);
      const int64_t flits = ceil_div(bytes * 8, noc.flit_bits);
      flits_in += flits;
      c.add("router", "flit_hop",
            flit_hops(flits, from_first, from_last, perf.first_tile, perf.last_tile, noc));
    }
    const double tiles = perf.last_tile - perf.first_tile + 1;
    const double routers = std::ceil(tiles / noc.tiles_per_router);
    const double busiest = *std::max_element(perf.tile_shares.begin(), perf.tile_shares.end());
    if (flits_in > 0) {
      perf.bounds_ns["noc"] =
          static_cast<double>(flits_in) / (routers * noc.link_flits_per_cycle * clock_ghz);
    }
    const int64_t buffer_bytes =
        c.get("tile_buffer", "read_byte") + c.get("tile_buffer", "write_byte");
    if (buffer_bytes > 0) {
      perf.bounds_ns["buffer"] = static_cast<double>(buffer_bytes) * busiest /
                                 (arch.tile.buffer.bandwidth_bytes_per_cycle * clock_ghz);
    }
    for (const auto& [name, ns] : perf.bounds_ns) {
      if (perf.bound.empty() || ns > perf.time_ns) {
        perf.time_ns = ns;
        perf.bound = name;
      }
    }
    result.layers.push_back(std::move(perf));
  }

  // Network input from the global buffer; the final output back to it (and DRAM if modelled).
  const int last = static_cast<int>(network.layers.size()) - 1;
  const int64_t final_bytes = ceil_div(
      kept_count(masks[last]) * spatial(network.layers[last].output_shape) * kBaselineBits, 8);
  result.io_counts.add("global_buffer", "read_byte", input_bytes);
  result.io_counts.add("global_buffer", "write_byte", final_bytes);
  result.io_counts.add(
      "router", "flit_hop",
      flit_hops(ceil_div(final_bytes * 8, noc.flit_bits), result.layers[last].first_tile,
                result.layers[last].last_tile, -1, -1, noc));
  if (arch.chip.dram.enabled) {
    result.io_counts.add("dram", "byte", input_bytes + final_bytes);
    // Rewritten weights come from DRAM: part of reprogramming (amortised over a batch).
    if (!mapping.resident) {
      result.io_counts.add(
          "reprogram", "dram_byte",
          ceil_div(mapping.reprogram_cell_writes * arch.pe.crossbar.bits_per_cell, 8));
    }
  }

  // Schedule. Resident + layer-pipelined: layers work output row by output row, each row
  // taking stage time / rows; row r starts when the layer's previous row is done and its
  // producers have made the rows its window needs (rows_needed). A layer fed by a slower
  // producer so follows that producer's pace. Otherwise layers run one after another.
  const bool pipelined = mapping.mode == MappingMode::kLayerPipelined && mapping.resident;
  double latency = 0, slowest = 0;
  std::vector<std::vector<double>> row_done(result.layers.size());  // completion of each output row
  for (size_t i = 0; i < result.layers.size(); ++i) {
    LayerPerformance& l = result.layers[i];
    const Layer& layer = network.layers[i];
    if (pipelined) {
      const int64_t rows = output_rows(layer.output_shape);
      const double per_row = l.time_ns / static_cast<double>(rows);
      std::vector<double>& done = row_done[i];
      done.resize(static_cast<size_t>(rows));
      double previous = 0;
      for (int64_t r = 0; r < rows; ++r) {
        double issue = previous;
        for (int p : layer.producers) {
          if (p == kNetworkInput) continue;  // the input image waits in the global buffer
          const int64_t need = rows_needed(layer, network.layers[p].output_shape, r);
          issue = std::max(issue, row_done[p][static_cast<size_t>(need - 1)]);
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
  if (!mapping.resident) {
    // Arrays are programmed row by row, all arrays in parallel: one round per segment and one
    // per extra pass of a layer larger than the chip.
    result.reprogram_rounds = static_cast<int64_t>(mapping.segments.size());
    for (const LayerMapping& m : mapping.layers) result.reprogram_rounds += m.passes - 1;
  }
  result.latency_ns = latency;
  result.interval_ns = pipelined ? slowest : latency;
  return result;
}

}  // namespace mixpim::sim
