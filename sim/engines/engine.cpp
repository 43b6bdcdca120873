#include "sim/engines/engine.h"

namespace mixpim::sim {

const std::vector<std::string_view>& engine_names() {
  static const std::vector<std::string_view> names = {"analytic", "cycle", "functional"};
  return names;
}

void EngineRegistry::add(EngineEntry entry) {
  if (find(entry.name) != nullptr) throw std::logic_error("engine registered twice: " + entry.name);
  entries_.push_back(std::move(entry));
}

const EngineEntry* EngineRegistry::find(std::string_view name) const {
  for (const EngineEntry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string EngineRegistry::names_text() const {
  std::string text;
  for (const EngineEntry& e : entries_) text += (text.empty() ? "" : ", ") + e.name;
  return text;
}

std::string EngineRegistry::help_text() const {
  std::string text;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (i > 0) text += entries_.size() > 2 ? ", " : " ";
    if (i > 0 && i + 1 == entries_.size()) text += "or ";
    text += entries_[i].name + " (" + entries_[i].description + ")";
  }
  return text;
}

}  // namespace mixpim::sim
