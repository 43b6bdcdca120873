#pragma once
// Event counts keyed by (component, action), e.g. ("xbar", "activate"). Both engines
// produce them; energy is always counts x energy-per-event from the technology table.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace mixpim::sim {

class ActionCounts {
 public:
  using Key = std::pair<std::string, std::string>;

  void add(std::string_view component, std::string_view action, int64_t count) {
    counts_[Key(component, action)] += count;
  }
  int64_t get(std::string_view component, std::string_view action) const {
    auto it = counts_.find(Key(component, action));
    return it == counts_.end() ? 0 : it->second;
  }
  void merge(const ActionCounts& other) {
    for (const auto& [key, count] : other.counts_) counts_[key] += count;
  }
  const std::map<Key, int64_t>& entries() const { return counts_; }
  bool operator==(const ActionCounts& other) const { return counts_ == other.counts_; }

 private:
  std::map<Key, int64_t> counts_;  // ordered: reports list actions deterministically
};

}  // namespace mixpim::sim
