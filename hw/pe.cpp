#include "pe.h"

#include <algorithm>

#include "dac_bank.h"
#include "registers.h"
#include "sample_hold.h"
#include "shift_add.h"
#include "sim/adc.h"

namespace mixpim::hw {

PeGroup::PeGroup(const sim::LayerMapping& mapping, const sim::ArchConfig& arch)
    : m_(mapping),
      arch_(arch),
      column_arrays_(static_cast<int64_t>(mapping.column_arrays.size())),
      arrays_placed_(mapping.arrays_placed()),
      read_ns_(arch.pe.crossbar.read_latency_ns),
      adc_(arch, mapping.busiest_pe_columns(arch.pe.crossbars),
           sim::layer_adc(mapping, arch).bits) {
  for (int r : m_.row_block_rows) input_bytes_per_mvm_ += (int64_t{r} * m_.activation_bits + 7) / 8;
  const int64_t mvms_per_copy = (m_.mvms + m_.replication - 1) / m_.replication * m_.passes;
  reads_per_copy_ = mvms_per_copy * m_.input_cycles;
}

void PeGroup::execute(int64_t mvms, sim::ActionCounts& counts) const {
  const int64_t cycles = m_.input_cycles;
  const int64_t columns = m_.used_columns();
  counts.add("xbar", "read_cell", mvms * cycles * m_.rows * columns);
  DacBank::convert(mvms, cycles, m_.rows, column_arrays_, counts);
  SampleHold::sample(mvms, cycles, m_.row_blocks(), columns, counts);
  AdcBank::convert(mvms, cycles, m_.row_blocks(), columns, counts);
  ShiftAdd::accumulate(mvms * cycles * m_.row_blocks() * columns, counts);
  sim::count_flip_correction(mvms, m_, arch_, counts);
  Registers::pe_inputs(mvms, column_arrays_, input_bytes_per_mvm_, counts);
}

PeGroup::Timing PeGroup::read_group(double issue_ns, double reads) {
  const double x = reads * read_ns_;
  const double a = reads * adc_.ns_per_read();
  const double first_read = std::min(read_ns_, x);
  const double last_conversion = std::min(adc_.ns_per_read(), a);
  const double x_start = std::max(issue_ns, crossbar_free_ns_);
  const double a_start = std::max(x_start + first_read, adc_free_ns_);
  const double end = std::max(a_start + a, x_start + x + last_conversion);
  crossbar_free_ns_ = std::max(x_start + x, end - last_conversion);
  adc_free_ns_ = end;
  return {end, crossbar_free_ns_};
}

}  // namespace mixpim::hw
