#pragma once
// Inside the functional engine (functional.h states the semantics):
// error statistics against the reference, top-1 and accuracy.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/engines/functional/tensor.h"
#include "sim/workload/workload.h"

namespace mixpim::sim::functional_detail {

// ---------------------------------------------------------------------------------------
// Comparison.
struct ErrorStats {
  int64_t max_abs = 0;
  double rms = 0;
  int64_t mismatches = 0;
};

ErrorStats compare(const Tensor& got, const Tensor& want);

double rms_of(const Tensor& t);

// One value throughout (all zeros, say): such a reference checks nothing.
bool degenerate(const Tensor& t);

// Images whose reference maximum is shared by two or more outputs: their top-1 is ambiguous.
int tied_images(const Tensor& t);

// Index of image n's first maximum.
int64_t top1(const Tensor& t, int n);

// Fraction of images whose arg-max (first maximum) is the label.
double accuracy(const Tensor& t, const std::vector<int64_t>& labels);

// Class labels, one per input, within the final layer's outputs.
std::vector<int64_t> load_labels(const std::string& path, const Network& network, int batch);

// Fraction of images whose arg-max (first maximum) agrees.
double top1_agreement(const Tensor& got, const Tensor& want);

}  // namespace mixpim::sim::functional_detail
