#pragma once
// The PEs holding one layer's arrays (every copy), executing its MVMs row group by row group.
// A PE applies its inputs bit-serially through the DACs (dac_bank.h), reads its crossbars (one
// analog read per input slice), latches the columns in the sample-and-hold (sample_hold.h),
// converts them with the shared ADC bank (adc_bank.h) and accumulates with per-column-group
// shifts (shift_add.h). Copies share the layer's MVMs evenly, so a row group of the layer costs
// every copy the same number of reads; the busiest PE's ADC bank sets the conversion time.
//
// Timing of a row group of n reads (read latency r, ADC time per read a), with the one-deep
// sample-and-hold between crossbar and ADCs: conversions start one read after the crossbar,
// the crossbar never runs more than one read ahead of the ADCs, so the group ends at
// max(start + r + n a, start + n r + a) and back-to-back groups overlap without bubbles.

#include <cstdint>

#include "adc_bank.h"
#include "sim/action_counts.h"
#include "sim/arch_config.h"
#include "sim/mapping.h"

namespace mixpim::hw {

class PeGroup {
 public:
  PeGroup(const sim::LayerMapping& mapping, const sim::ArchConfig& arch);

  // Counts every event of `mvms` MVMs (one row group): crossbar cells read, DAC conversions,
  // samples, ADC conversions, shift-adds and PE register traffic.
  void execute(int64_t mvms, sim::ActionCounts& counts) const;

  // Reads each copy performs per inference: ceil(MVMs / copies) x passes x input cycles.
  int64_t reads_per_copy() const { return reads_per_copy_; }
  double crossbar_bound_ns() const { return reads_per_copy_ * read_ns_; }
  double adc_bound_ns() const { return reads_per_copy_ * adc_.ns_per_read(); }
  double read_ns() const { return read_ns_; }
  double adc_ns_per_read() const { return adc_.ns_per_read(); }
  int64_t arrays_placed() const { return arrays_placed_; }

  struct Timing {
    double end_ns;            // last conversion of the group
    double crossbar_free_ns;  // when the crossbar may start the next group
  };
  // Times a row group of `reads` reads per copy issued at `issue_ns` (contention model).
  Timing read_group(double issue_ns, double reads);

 private:
  const sim::LayerMapping& m_;
  const sim::ArchConfig& arch_;
  int64_t column_arrays_ = 0;
  int64_t input_bytes_per_mvm_ = 0;
  int64_t reads_per_copy_ = 0;
  int64_t arrays_placed_ = 0;
  double read_ns_ = 0;
  AdcBank adc_;
  double crossbar_free_ns_ = 0;
  double adc_free_ns_ = 0;
};

}  // namespace mixpim::hw
