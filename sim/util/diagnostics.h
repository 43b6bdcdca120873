#pragma once
// Located user-input errors. Loaders collect every problem they find in a file into one
// Diagnostics list and throw it once (InputError), so users fix a file in one pass.

#include <stdexcept>
#include <string>
#include <vector>

namespace mixpim::sim {

// Where a value came from: a file position (1-based line and column) or a command-line
// override (`origin` is then e.g. "--set pe.adc.bits=9" and line/column are 0).
struct SourceLocation {
  std::string origin;
  int line = 0;
  int column = 0;

  std::string to_string() const;  // "isaac.yaml:14:7", or origin alone when line is 0
};

struct Diagnostic {
  SourceLocation where;
  std::string key_path;  // "pe.adc.bits", "layers[3].kernel"; empty for whole-file errors
  std::string message;

  std::string to_string() const;  // "isaac.yaml:14:7: pe.adc.bits: expected ..."
};

// Thrown by every loader for bad user input; what() holds all messages, one per line.
class InputError : public std::runtime_error {
 public:
  explicit InputError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// Accumulates diagnostics; throw_if_any() raises them together.
class Diagnostics {
 public:
  void add(SourceLocation where, std::string key_path, std::string message);
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  const std::vector<Diagnostic>& list() const { return list_; }
  void throw_if_any() const;

 private:
  std::vector<Diagnostic> list_;
};

}  // namespace mixpim::sim
