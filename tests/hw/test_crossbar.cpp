// Crossbar module: timing is input slices x read latency per request, served in order;
// counts follow active rows/columns.
#include <gtest/gtest.h>

#include <systemc>
#include <vector>

#include "hw/crossbar.h"

namespace mixpim::hw {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

struct Source : sc_core::sc_module {
  sc_core::sc_fifo_out<MvmRequest> out;
  std::vector<MvmRequest> requests;
  explicit Source(sc_core::sc_module_name name) : sc_module(name) {
    SC_HAS_PROCESS(Source);
    SC_THREAD(run);
  }
  void run() {
    for (const MvmRequest& r : requests) out.write(r);
  }
};

struct Sink : sc_core::sc_module {
  sc_core::sc_fifo_in<MvmRequest> in;
  std::vector<std::pair<int64_t, sc_time>> finished;
  explicit Sink(sc_core::sc_module_name name) : sc_module(name) {
    SC_HAS_PROCESS(Sink);
    SC_THREAD(run);
  }
  void run() {
    while (true) {
      MvmRequest r = in.read();
      finished.emplace_back(r.id, sc_core::sc_time_stamp());
    }
  }
};

TEST(Crossbar, RequestsTakeInputCyclesTimesReadLatencyAndCountActiveRowsAndColumns) {
  Source source("source");
  Sink sink("sink");
  Crossbar xbar("xbar", 128, 128, sc_time(100, SC_NS));
  sc_core::sc_fifo<MvmRequest> to_xbar(4), from_xbar(4);
  source.out(to_xbar);
  xbar.request(to_xbar);
  xbar.done(from_xbar);
  sink.in(from_xbar);
  // 16-bit inputs with 1-bit DACs take 16 reads; 8-bit take 8; 4-bit take 4.
  source.requests = {{1, 128, 128, 16}, {2, 100, 64, 8}, {3, 27, 10, 4}};

  sc_core::sc_start();

  ASSERT_EQ(sink.finished.size(), 3u);
  EXPECT_EQ(sink.finished[0], std::make_pair(int64_t{1}, sc_time(1600, SC_NS)));
  EXPECT_EQ(sink.finished[1], std::make_pair(int64_t{2}, sc_time(2400, SC_NS)));
  EXPECT_EQ(sink.finished[2], std::make_pair(int64_t{3}, sc_time(2800, SC_NS)));
  EXPECT_EQ(xbar.counts().get("xbar", "activate"), 16 + 8 + 4);
  EXPECT_EQ(xbar.counts().get("xbar", "row_cycles"), 128 * 16 + 100 * 8 + 27 * 4);
  EXPECT_EQ(xbar.counts().get("xbar", "column_cycles"), 128 * 16 + 64 * 8 + 10 * 4);
}

TEST(Crossbar, ImpossibleRequestIsReportedAsError) {
  Source source("source");
  Sink sink("sink");
  Crossbar xbar("xbar", 64, 64, sc_time(10, SC_NS));
  sc_core::sc_fifo<MvmRequest> to_xbar(4), from_xbar(4);
  source.out(to_xbar);
  xbar.request(to_xbar);
  xbar.done(from_xbar);
  sink.in(from_xbar);
  source.requests = {{7, 65, 8, 1}};  // more active rows than the array has
  sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_THROW);
  EXPECT_THROW(sc_core::sc_start(), sc_core::sc_report);
  EXPECT_TRUE(sink.finished.empty());
}

}  // namespace
}  // namespace mixpim::hw
