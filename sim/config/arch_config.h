#pragma once
// Architecture configuration: the validated, typed form of configs/arch/*.yaml.
// Loading is two-layered (raw located YAML tree -> validated struct): every problem in a
// preset, its bases and the --set overrides is reported at once with file, line and key.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/config/yaml_tree.h"

namespace mixpim::sim {

enum class SignedWeights { kOffset, kDifferential };
enum class AdcResolution { kFixed, kPerLayer, kExact };  // sim/compiler/adc.h
// Functional ADC model (sim/engines/functional.h): what the top code means, and how sums round.
enum class AdcFullScale { kExactBound, kClip };
enum class AdcRounding { kNearest, kFloor };
// How a conversion's time depends on its resolution (sim/compiler/adc.h, adc_conversion_ns).
enum class AdcConversionTime { kPerBit, kFixed };
enum class NocTopology { kMesh, kCmesh };
enum class MappingMode { kLayerPipelined, kLayerByLayer };
// How a dense layer's im2col rows fill row blocks (sim/compiler/mapping.cpp, map_layer).
enum class RowBlocks { kPacked, kPerKernelPosition };

std::string_view to_string(SignedWeights value);
std::string_view to_string(AdcResolution value);
std::string_view to_string(AdcFullScale value);
std::string_view to_string(AdcRounding value);
std::string_view to_string(AdcConversionTime value);
std::string_view to_string(NocTopology value);
std::string_view to_string(MappingMode value);
std::string_view to_string(RowBlocks value);

enum class VariationDistribution { kGaussian, kLognormal };
std::string_view to_string(VariationDistribution value);

// The analog cell and its wires, for the functional engine's non-ideal path (sim/engines/device.h).
// Every default is the ideal device: the functional engine then computes column sums as
// integers; `analog: true` (or any non-ideality) routes them through conductances.
struct DeviceConfig {
  bool analog = false;
  double g_on_us = 10;           // conductance of the highest level, microsiemens
  double on_off_ratio = 10;      // G_on / G_off
  double programming_sigma = 0;  // per programmed cell, relative to its level's conductance
  VariationDistribution programming_distribution = VariationDistribution::kGaussian;
  double read_noise_sigma = 0;                   // per cell and read, relative to its conductance
  double stuck_on_rate = 0, stuck_off_rate = 0;  // fractions of cells stuck at G_on / G_off
  double drift_nu = 0;                           // G(t) = G(t0) x (t / t0)^-nu
  double drift_t0_s = 1, read_time_s = 1;
  double wire_resistance_ohm = 0;  // per cell pitch, along rows and columns
  bool non_ideal() const {
    return analog || programming_sigma > 0 || read_noise_sigma > 0 || stuck_on_rate > 0 ||
           stuck_off_rate > 0 || drift_nu > 0 || wire_resistance_ohm > 0;
  }
};

struct CrossbarConfig {
  int rows = 0;
  int columns = 0;
  int bits_per_cell = 0;
  double read_latency_ns = 0;  // one analog read of the whole array (one input bit-cycle)
  SignedWeights signed_weights = SignedWeights::kOffset;
  // ISAAC's encoding (sim/compiler/adc.h): a column whose cells add up to more than half their maximum
  // stores complements, so column sums need one ADC bit fewer.
  bool weight_flipping = false;
  // Rows one read activates at most (0: all of them). A row block of r rows is then read in
  // ceil(r / rows_per_read) row groups, one after another, each group's columns sampled and
  // converted on their own and added by the shift-add units: fewer rows per conversion (a
  // smaller ADC range, less IR drop) for more reads and conversions.
  int rows_per_read = 0;
  DeviceConfig device;
};

struct DacConfig {
  int bits = 1;  // input bits applied per crossbar read (1 = bit-serial)
};

struct AdcConfig {
  int count = 0;  // ADCs per PE, shared by all crossbar columns through a column mux
  int bits = 0;   // resolution (fixed, per_layer: its cap; exact: where the rate is quoted)
  double sample_rate_msps = 0;  // at `bits`; a conversion's time scales with its bits (adc.h)
  AdcResolution resolution = AdcResolution::kFixed;
  // exact_bound: the range covers the largest column sum (rows x (2^cell bits - 1) x
  // (2^DAC bits - 1)); with fewer bits the low-order bits are dropped (step 2^(needed - bits)).
  // clip: one code per unit of sum, sums above 2^bits - 1 saturate.
  AdcFullScale full_scale = AdcFullScale::kExactBound;
  AdcRounding rounding = AdcRounding::kNearest;  // of sums between two codes (exact_bound)
  // per_bit: a successive-approximation converter decides one bit per step, so a b-bit
  // conversion takes b / bits of the time at sample_rate_msps; fixed: a flash or multi-level
  // sense amplifier compares against every level at once, the same time at any resolution.
  AdcConversionTime conversion_time = AdcConversionTime::kPerBit;
  // Functional engine, analog path (sim/engines/device.h): input-referred offset and Gaussian noise of
  // a conversion, in units of one column-sum step (one cell level x one input unit).
  double offset_lsb = 0, noise_lsb = 0;
  // Skip the conversions of a row block whose inputs are all zero in an input cycle (its
  // columns sum to 0): fewer conversions and less ADC time on sparse data (sim/compiler/activity.h).
  bool skip_zero_blocks = false;
};

struct PeConfig {
  int crossbars = 0;
  CrossbarConfig crossbar;
  DacConfig dac;
  AdcConfig adc;
  int shift_add_units = 0;
  // Column samples each shift-add unit absorbs per clock cycle: a read step's shift-adds take
  // ceil(columns / (units x this)) cycles (sim/compiler/work_model.h, shift_add_ns_per_read).
  double shift_add_ops_per_cycle = 1;
  // Sample-and-hold between the arrays and the ADCs: the next read may start while the ADCs
  // convert the held columns. Without it the array holds its outputs until they are converted.
  bool sample_hold = true;
  int input_register_bytes = 0;
  int output_register_bytes = 0;
  // Always-on units the model has no events for (a programmable core's control, instruction
  // memory, register file), by name: instances per PE. Their area and power come from the
  // technology table's fixed_components (sim/engines/energy_model.h, area_breakdown).
  std::map<std::string, int> fixed_components;
};

struct BufferConfig {
  int64_t capacity_bytes = 0;
  int bandwidth_bytes_per_cycle = 0;
};

struct TileConfig {
  int pes = 0;
  BufferConfig buffer;
  int output_register_bytes = 0;
  int bus_bits = 256;  // buffer-to-PE bus width (ISAAC: 384 wires)
  int activation_units = 0;
  int pool_units = 0;
  int shift_add_units = 0;
  std::map<std::string, int> fixed_components;  // as PeConfig's, instances per tile
};

struct NocConfig {
  NocTopology topology = NocTopology::kMesh;
  int mesh_columns = 0;  // routers per row
  int mesh_rows = 0;
  int tiles_per_router = 1;  // concentration (1 for a plain mesh)
  int flit_bits = 0;
  int link_flits_per_cycle = 1;
  int router_latency_cycles = 1;
  int router_ports = 5;  // 4 mesh directions + local (ISAAC: 8, cmesh with 4 tiles)
  // Cycle engine (hw/router.h): rows travel as packets of at most this many flits, store-and-
  // forward hop by hop; each router output queue holds `buffer_packets` packets (credits).
  // Modelling choices, not published figures (ISAAC states neither).
  int packet_flits = 16;
  int buffer_packets = 2;
};

struct DramConfig {
  bool enabled = false;  // count off-chip traffic for loading inputs and weights
  double bandwidth_gb_per_s = 0;
};

struct ChipConfig {
  int tiles = 0;
  // Off-chip links (ISAAC: 4 HyperTransport links) with the table's offchip_link area and
  // power, always on; 0: not modelled (their power would be charged whatever the network).
  int offchip_links = 0;
  NocConfig noc;
  BufferConfig global_buffer;
  DramConfig dram;
};

struct MappingConfig {
  MappingMode mode = MappingMode::kLayerPipelined;
  bool allow_reprogramming = false;   // time-multiplex arrays when the network does not fit
  bool split_channel_slices = false;  // may one channel's slices span two arrays
  // packed: a layer's rows fill blocks of pe.crossbar.rows one after another; per_kernel_position:
  // a k x k convolution with more rows than an array gives each kernel position its own blocks
  // (DNN+NeuroSim's novel mapping), so 64 input channels of a 3x3 layer take 9 blocks of 64
  // rows, not 5 of 128 (more conversions, the same cell reads).
  RowBlocks row_blocks = RowBlocks::kPacked;
};

struct ArchConfig {
  std::string name;
  std::string description;
  std::string tech;  // technology table name: configs/tech/<tech>.yaml
  double clock_mhz = 0;
  ChipConfig chip;
  TileConfig tile;
  PeConfig pe;
  MappingConfig mapping;

  std::vector<std::string> files;      // the preset first, then its bases
  std::vector<std::string> overrides;  // --set assignments, in order
  YamlNode resolved;  // merged tree after inheritance and overrides, for the config echo

  int64_t crossbars_total() const { return int64_t{chip.tiles} * tile.pes * pe.crossbars; }
};

// Loads a preset, following `base:` links (relative to the including file), then applies
// `overrides` ("pe.crossbar.rows=256"), then validates. Throws InputError with all problems.
ArchConfig load_arch_config(const std::string& path,
                            const std::vector<std::string>& overrides = {});

// Where a key of the resolved preset was set: its file position, or the --set override that
// set it; the preset file itself when the key is absent (a default).
SourceLocation key_location(const ArchConfig& arch, std::initializer_list<const char*> path);

// Validates an already-resolved tree (used by load_arch_config and by tests).
ArchConfig arch_config_from_yaml(const YamlNode& root);

}  // namespace mixpim::sim
