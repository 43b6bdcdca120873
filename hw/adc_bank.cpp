#include "adc_bank.h"

namespace mixpim::hw {

AdcBank::AdcBank(const sim::AdcConfig& config, int64_t busiest_pe_columns) {
  const int64_t slots = (busiest_pe_columns + config.count - 1) / config.count;
  ns_per_read_ = static_cast<double>(slots) * 1000.0 / config.sample_rate_msps;
}

}  // namespace mixpim::hw
