#include "adc_bank.h"

#include "sim/adc.h"

namespace mixpim::hw {

AdcBank::AdcBank(const sim::ArchConfig& arch, int64_t busiest_pe_columns, int bits)
    : ns_per_read_(sim::adc_read_ns(arch, busiest_pe_columns, bits)) {}

}  // namespace mixpim::hw
