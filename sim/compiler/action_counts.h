#pragma once
// Event counts keyed by (component, action), e.g. ("xbar", "read_cell"). Both engines
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

 private:
  using ViewKey = std::pair<std::string_view, std::string_view>;
  // Orders Key and ViewKey alike (component, then action), so lookups need no strings: the
  // engines count per row group, and building two strings per call was the cycle engine's
  // largest cost (README, "Performance").
  struct KeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const std::string_view ac(a.first), bc(b.first);
      if (ac != bc) return ac < bc;
      return std::string_view(a.second) < std::string_view(b.second);
    }
  };

 public:
  // Ordered: reports list actions deterministically.
  using Map = std::map<Key, int64_t, KeyLess>;

  void add(std::string_view component, std::string_view action, int64_t count) {
    auto it = counts_.find(ViewKey(component, action));
    if (it == counts_.end()) {
      counts_.emplace(Key(component, action), count);
    } else {
      it->second += count;
    }
  }
  int64_t get(std::string_view component, std::string_view action) const {
    auto it = counts_.find(ViewKey(component, action));
    return it == counts_.end() ? 0 : it->second;
  }
  void merge(const ActionCounts& other) {
    for (const auto& [key, count] : other.counts_) counts_[key] += count;
  }
  const Map& entries() const { return counts_; }
  bool operator==(const ActionCounts& other) const { return counts_ == other.counts_; }

 private:
  Map counts_;
};

}  // namespace mixpim::sim
