#include "hw/pe.h"

namespace mixpim::hw {

Pe::Pe(sc_core::sc_module_name name, const sim::PeArrays& arrays, const sim::PeWork& work,
       const sim::ArchConfig& arch, LayerCounters* counters, LayerState* layer, LayerTiming* timing,
       Kernel* kernel)
    : sc_module(name),
      sample_hold_("sample_hold", 1),
      adc_out_("adc_out", 1),
      converted_("converted", 1),
      crossbar_("crossbar", arrays, work, arch.pe.dac.bits, arch.pe.crossbar.weight_flipping,
                counters, layer, &state_, timing, kernel),
      adc_("adc", arrays, work, arch, counters, &state_, kernel),
      shift_add_("shift_add", arrays, work, arch, timing != nullptr, counters, &state_, kernel) {
  crossbar_.in(in);
  crossbar_.out(sample_hold_);
  crossbar_.converted(converted_);
  adc_.in(sample_hold_);
  adc_.out(adc_out_);
  adc_.converted(converted_);
  shift_add_.in(adc_out_);
  shift_add_.out(out);
}

}  // namespace mixpim::hw
