#include "sim/engines/functional.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "sim/compiler/adc.h"
#include "sim/config/yaml_tree.h"
#include "sim/engines/device.h"
#include "sim/engines/functional/adc_model.h"
#include "sim/engines/functional/compare.h"
#include "sim/engines/functional/data.h"
#include "sim/engines/functional/digital_units.h"
#include "sim/engines/functional/pim_layer.h"
#include "sim/engines/functional/reference.h"
#include "sim/engines/functional/tensor.h"
#include "sim/util/memory_guard.h"
#include "sim/util/npy.h"

namespace mixpim::sim {

using namespace functional_detail;  // the engine's internals (functional/)

int adc_bits_needed(const ArchConfig& arch) {
  return column_sum_bits(rows_per_array_read(arch), arch);
}

int64_t adc_convert(int64_t sum, const ArchConfig& arch, bool* clipped) {
  const AdcModel m = adc_model(arch.pe.adc.bits, adc_bits_needed(arch), arch.pe.adc);
  bool c = false;
  const int64_t out = m.lossless ? sum : convert(sum, m, c);
  if (clipped != nullptr) *clipped = c;
  return out;
}

void check_functional_memory(const Network& network, const FunctionalOptions& options) {
  // Every layer's output tensor for the batch (int64), for the reference and the end-to-end
  // pass, as if none were freed early.
  double elements = static_cast<double>(element_count(network.input_shape));
  for (const Layer& layer : network.layers)
    elements += static_cast<double>(element_count(layer.output_shape));
  const double bytes = elements * options.batch * 8.0 * (options.end_to_end ? 2 : 1);
  check_memory(bytes,
               "the functional engine's tensors for a batch of " + std::to_string(options.batch) +
                   " " + network.name + " inputs",
               SourceLocation{"--batch", 0, 0}, "",
               "use a smaller batch (the top-1 agreement converges long before)");
}

FunctionalResult run_functional(const Network& network, const PrecisionProfile& profile,
                                const ArchConfig& arch, const NetworkMapping& mapping,
                                const FunctionalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.batch < 1 || options.batch > (1 << 20)) {
    throw InputError(
        {{SourceLocation{"--batch", 0, 0}, "",
          "expected a batch size in [1, 1048576], got " + std::to_string(options.batch)}});
  }
  if (profile.layers.size() != network.layers.size()) {
    throw std::invalid_argument("functional: profile does not belong to network " + network.name);
  }
  check_functional_memory(network, options);
  if (arch.pe.crossbar.device.non_ideal() || arch.pe.adc.offset_lsb != 0 ||
      arch.pe.adc.noise_lsb > 0 || !options.faults.empty()) {
    // The analog path keeps one copy of a layer's drawn cells at a time: a float level per cell,
    // and its conductance in double where read noise or IR drop need it.
    const double per_cell = 4.0 + (arch.pe.crossbar.device.read_noise_sigma > 0 ||
                                           arch.pe.crossbar.device.wire_resistance_ohm > 0
                                       ? 8.0
                                       : 0.0);
    int64_t cells = 0;
    for (const LayerMapping& m : mapping.layers) cells = std::max(cells, m.active_cells());
    check_memory(static_cast<double>(cells) * per_cell,
                 "the functional engine's analog cells (" + std::to_string(cells) +
                     " of the largest layer's copy)",
                 key_location(arch, {"pe", "crossbar", "rows"}), "pe.crossbar",
                 "use a smaller network or switch the non-idealities off");
  }
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int batch = options.batch;
  const int layer_count = static_cast<int>(network.layers.size());
  std::vector<const LayerMapping*> layer_map(network.layers.size(), nullptr);
  for (const LayerMapping& m : mapping.layers) {
    if (m.layer < 0 || m.layer >= layer_count || network.layers[m.layer].name != m.name) {
      throw std::invalid_argument("functional: mapping does not belong to network " + network.name);
    }
    layer_map[m.layer] = &m;
  }
  for (int i = 0; i < layer_count; ++i) {
    if (network.layers[i].has_weights() && layer_map[i] == nullptr) {
      throw std::invalid_argument("functional: layer " + network.layers[i].name + " is not mapped");
    }
  }

  DataFiles files = load_data_files(options.data_map_path, network, profile, batch);
  const std::vector<int64_t> labels = options.labels_path.empty()
                                          ? std::vector<int64_t>{}
                                          : load_labels(options.labels_path, network, batch);
  const std::vector<std::vector<bool>> masks = output_channel_masks(network, profile);

  // Real weights: the model's, with --data files replacing weights or biases.
  std::map<int, LayerParameters> params;
  for (const auto& [name, p] : options.parameters) {
    const int index = network.index_of(name);
    if (index < 0 || !network.layers[index].has_weights()) {
      throw InputError(
          {{SourceLocation{options.parameters_source, 0, 0}, name,
            "parameters for a layer that is not a conv2d/linear layer of " + network.name}});
    }
    params[index] = p;
  }
  for (auto& [index, p] : files.parameters) {
    LayerParameters& target = params[index];
    if (!p.weights.empty()) {
      target.weights = std::move(p.weights);
      target.weight_shape = std::move(p.weight_shape);
    }
    if (!p.bias.empty()) target.bias = std::move(p.bias);
  }
  const bool real = !params.empty();
  if (real) {
    const std::string source =
        options.data_map_path.empty() ? options.parameters_source : options.data_map_path;
    Diagnostics problems;
    for (int i = 0; i < layer_count; ++i) {
      const Layer& layer = network.layers[i];
      if (!layer.has_weights()) continue;
      LayerParameters& p = params[i];
      if (files.weights.count(i) > 0) {
        problems.add(SourceLocation{source, 0, 0}, layer.name,
                     "integer weights in a run with float weights: give every conv2d/linear "
                     "layer float weights, or none");
      } else if (p.weights.empty()) {
        problems.add(SourceLocation{source, 0, 0}, layer.name,
                     "no float weights (a bias alone, or other layers' float weights): give "
                     "every conv2d/linear layer float weights, or none");
      } else if (p.weight_shape != weight_shape(layer) ||
                 p.weights.size() != static_cast<size_t>(element_count(weight_shape(layer)))) {
        problems.add(SourceLocation{source, 0, 0}, layer.name,
                     "float weights of shape " + to_string(p.weight_shape) + ", expected " +
                         to_string(weight_shape(layer)));
      }
      if (p.bias.empty()) p.bias.assign(static_cast<size_t>(layer.out_channels()), 0.0);
      if (p.bias.size() != static_cast<size_t>(layer.out_channels())) {
        problems.add(SourceLocation{source, 0, 0}, layer.name,
                     std::to_string(p.bias.size()) + " bias values, expected " +
                         std::to_string(layer.out_channels()));
      }
    }
    problems.throw_if_any();
  }

  // Last layer reading each tensor, so tensors can be freed early.
  std::vector<int> last_use(network.layers.size(), -1);
  int input_last_use = -1;
  int first_weight_bits = 8;
  bool have_first_bits = false;
  for (int i = 0; i < layer_count; ++i) {
    for (int p : network.layers[i].producers)
      (p == kNetworkInput ? input_last_use : last_use[p]) = i;
    if (network.layers[i].has_weights() && !have_first_bits) {
      first_weight_bits = profile.layers[i].activation_bits;
      have_first_bits = true;
    }
  }
  const int final_layer = layer_count - 1;

  FunctionalResult result;
  result.seed = options.seed;
  result.batch = batch;
  result.adc_bits = adc_built_bits(arch);
  result.adc_bits_needed = adc_bits_needed(arch);
  result.input_source = files.input ? files.input_path : "random";
  result.weight_files = files.weight_files;
  result.weights = real ? "real" : files.weights.empty() ? "random" : "integer";
  result.weights_source = options.parameters_source;
  result.fraction_bits = real ? kFractionBits : 0;
  result.final_layer = network.layers.empty() ? "" : network.layers.back().name;

  Tensor input = files.input
                     ? std::move(*files.input)
                     : random_input(network.input_shape, batch, first_weight_bits, options.seed);
  if (real && !files.input_fixed_point) {
    // Integer (or random) inputs are real values: to fixed point.
    for (int64_t& v : input.data) v *= int64_t{1} << kFractionBits;
  }
  std::vector<Tensor> ref(network.layers.size()), e2e(network.layers.size());
  auto ref_of = [&](int p) -> const Tensor& { return p == kNetworkInput ? input : ref[p]; };
  auto e2e_of = [&](int p) -> const Tensor& { return p == kNetworkInput ? input : e2e[p]; };
  bool exact = true;
  std::vector<PimLayer::AnalogArray> analog_arrays;  // every layer's drawn cells, in turn

  for (int i = 0; i < layer_count; ++i) {
    if (options.progress) options.progress(i, layer_count);
    const Layer& layer = network.layers[i];
    const int p0 = layer.producers.at(0);
    FunctionalLayerResult lr;
    lr.name = layer.name;
    lr.type = layer.type;
    Tensor iso;
    switch (layer.type) {
      case LayerType::kConv2d:
      case LayerType::kLinear: {
        const LayerPrecision& precision = profile.layers[i];
        const std::vector<bool> kept_in = input_mask(network, masks, i);
        std::vector<int> kept_inputs;
        for (size_t c = 0; c < kept_in.size(); ++c) {
          if (kept_in[c]) kept_inputs.push_back(static_cast<int>(c));
        }
        std::vector<double> scales;
        LayerWeights weights;
        if (real) {
          weights = quantize_weights(layer, precision, kept_in, params.at(i), scales);
        } else {
          auto from_file = files.weights.find(i);
          weights = from_file != files.weights.end()
                        ? std::move(from_file->second)
                        : random_weights(layer, precision, options.seed, i);
        }
        apply_pruning(layer, precision, kept_in, weights);
        const int bits = precision.activation_bits;
        lr.activation_bits = bits;
        const InputRange range = calibrate_input(ref_of(p0), bits);
        lr.input_shift = range.shift;
        lr.input_signed = range.is_signed;
        const Tensor x = requantize(ref_of(p0), range);
        ref[i] = layer.type == LayerType::kConv2d ? reference::conv2d(layer, x, weights, threads)
                                                  : reference::linear(layer, x, weights);
        const PimLayer pim(layer, *layer_map[i], kept_inputs, weights, arch, range.offset(),
                           threads, device_key({options.seed, static_cast<uint64_t>(i)}),
                           options.faults);
        AdcCounts counts, ignored;
        // The end-to-end input, where it differs from the isolated one, runs on the same draws
        // in the same pass (PimLayer::run).
        Tensor xe;
        if (options.end_to_end) xe = requantize(e2e_of(p0), range);
        const bool both = options.end_to_end && xe.data != x.data;
        std::vector<Tensor> outs =
            both ? pim.run({&x, &xe}, {&counts, &ignored}, threads, analog_arrays)
                 : pim.run({&x}, {&counts}, threads, analog_arrays);
        iso = std::move(outs[0]);
        lr.adc_conversions = pim.conversions(batch);
        lr.adc_clipped = counts.clipped;
        lr.flipped_columns = pim.flipped_columns();
        lr.adc_lossy = counts.lossy;
        lr.dac_drives = counts.dac_drives;
        lr.dac_active = counts.dac_active;
        lr.cell_reads = counts.cell_reads;
        lr.cell_active = counts.cell_active;
        lr.conversion_slots = counts.conversion_slots;
        lr.conversion_active = counts.conversion_active;
        lr.driven_inputs = counts.driven_inputs;
        lr.nonzero_inputs = counts.nonzero_inputs;
        lr.bit_ones = counts.bit_ones;
        if (options.end_to_end) e2e[i] = both ? std::move(outs[1]) : iso;
        if (real) {
          const LayerParameters& p = params.at(i);
          auto back = [&](const Tensor& t) {
            return rescale(layer, t, scales, p.bias, range.shift, precision.kept);
          };
          ref[i] = back(ref[i]);
          iso = back(iso);
          if (options.end_to_end) e2e[i] = back(e2e[i]);
        }
        break;
      }
      case LayerType::kRelu: {
        // The bound of a ReLU6 in fixed point (real weights only: raw integers have no scale).
        const int64_t top = real && layer.relu_max > 0
                                ? round_to_int64(std::ldexp(layer.relu_max, kFractionBits))
                                : std::numeric_limits<int64_t>::max();
        ref[i] = reference::relu(ref_of(p0), top);
        iso = digital::relu(ref_of(p0), top);
        if (options.end_to_end) e2e[i] = digital::relu(e2e_of(p0), top);
        break;
      }
      case LayerType::kAdd: {
        const int p1 = layer.producers.at(1);
        ref[i] = reference::add(ref_of(p0), ref_of(p1));
        iso = digital::add(ref_of(p0), ref_of(p1));
        if (options.end_to_end) e2e[i] = digital::add(e2e_of(p0), e2e_of(p1));
        break;
      }
      case LayerType::kMaxPool:
      case LayerType::kAvgPool: {
        const bool max_pool = layer.type == LayerType::kMaxPool;
        ref[i] = reference::pool(layer, ref_of(p0), max_pool);
        iso = digital::pool(layer, ref_of(p0), max_pool);
        if (options.end_to_end) e2e[i] = digital::pool(layer, e2e_of(p0), max_pool);
        break;
      }
      case LayerType::kGlobalAvgPool:
        ref[i] = reference::global_avgpool(layer, ref_of(p0));
        iso = digital::global_avgpool(layer, ref_of(p0));
        if (options.end_to_end) e2e[i] = digital::global_avgpool(layer, e2e_of(p0));
        break;
      case LayerType::kConcat: {
        // Channels side by side, image by image: exact, no arithmetic.
        auto concat = [&](const std::function<const Tensor&(int)>& of) {
          Tensor out = zeros(layer.output_shape, of(p0).batch);
          out.data.clear();
          for (int b = 0; b < out.batch; ++b) {
            for (int p : layer.producers) {
              const Tensor& t = of(p);
              const int64_t n = t.per_image();
              out.data.insert(out.data.end(), t.data.begin() + b * n, t.data.begin() + (b + 1) * n);
            }
          }
          return out;
        };
        ref[i] = concat([&](int p) -> const Tensor& { return ref_of(p); });
        iso = ref[i];
        if (options.end_to_end) e2e[i] = concat([&](int p) -> const Tensor& { return e2e_of(p); });
        break;
      }
      case LayerType::kFlatten:
        ref[i] = ref_of(p0);
        ref[i].shape = layer.output_shape;
        iso = ref[i];
        if (options.end_to_end) {
          e2e[i] = e2e_of(p0);
          e2e[i].shape = layer.output_shape;
        }
        break;
    }

    lr.outputs = static_cast<int64_t>(ref[i].data.size());
    const ErrorStats isolated = compare(iso, ref[i]);
    lr.max_abs_error = isolated.max_abs;
    lr.rms_error = isolated.rms;
    lr.mismatches = isolated.mismatches;
    lr.reference_rms = rms_of(ref[i]);
    lr.degenerate = degenerate(ref[i]);
    exact = exact && isolated.mismatches == 0;
    if (options.end_to_end) {
      const ErrorStats end_to_end = compare(e2e[i], ref[i]);
      lr.end_to_end_max_abs_error = end_to_end.max_abs;
      lr.end_to_end_rms_error = end_to_end.rms;
      exact = exact && end_to_end.mismatches == 0;
    }
    if (i == final_layer) {
      const int tied = tied_images(ref[i]);
      if (lr.degenerate) {
        result.top1_reported = false;
        result.top1_note = "the reference output of " + layer.name +
                           " is one value throughout: top-1 agreement would say nothing";
      } else if (tied > 0) {
        result.top1_reported = false;
        result.top1_note = std::to_string(tied) + " of " + std::to_string(batch) +
                           " images have a tied maximum in the reference output of " + layer.name +
                           ": their top-1 is ambiguous";
      }
      result.top1_agreement = top1_agreement(iso, ref[i]);
      if (options.end_to_end) result.end_to_end_top1_agreement = top1_agreement(e2e[i], ref[i]);
      if (!labels.empty()) {
        result.labels_path = options.labels_path;
        result.accuracy = accuracy(options.end_to_end ? e2e[i] : iso, labels);
        result.reference_accuracy = accuracy(ref[i], labels);
      }
      result.final_reference = ref[i].data;
      result.final_pim = options.end_to_end ? e2e[i].data : iso.data;
    }
    result.layers.push_back(std::move(lr));

    // Free what no later layer reads.
    for (int p : layer.producers) {
      if (p == kNetworkInput ? input_last_use == i : last_use[p] == i) {
        Tensor& r = p == kNetworkInput ? input : ref[p];
        Tensor& e = p == kNetworkInput ? input : e2e[p];
        r = Tensor();
        e = Tensor();
      }
    }
  }
  result.exact = exact;
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace mixpim::sim
