#pragma once
// A mesh router with five output ports (east, west, north, south, and the local port that ejects
// to its tiles). Packets move hop by hop, store-and-forward: an output port takes the packet at
// the head of its queue, spends the router latency plus one cycle per `link_flits_per_cycle`
// flits on it, then hands it to the next router, which puts it in the queue of the port it
// leaves by (XY routing: first along the row, then along the column). A queue holds
// `buffer_packets` packets (the credits of the next router's input buffer): a full queue blocks
// the port upstream. The local port never blocks: the consumer reserved room for the row before
// its packets were sent (channels.h, RowQueue), so XY routing cannot deadlock.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <systemc>

#include "hw/channels.h"

namespace mixpim::hw {

struct RowDelivery;  // a row in flight: its queue, its index, the packets still to arrive

struct Packet {
  int64_t flits = 0;
  int dest_router = 0;
  int64_t* flit_hops = nullptr;  // where the flits passing each router are counted
  RowDelivery* row = nullptr;
};

// Accepts a packet (blocking while the queue it joins is full).
class PacketSinkIf : public virtual sc_core::sc_interface {
 public:
  virtual void accept(Packet* packet) = 0;
};

// Where packets leave the NoC: the row's queue gets the row once its last packet is in.
struct RowDelivery {
  RowQueueIf* queue = nullptr;
  int64_t row = 0;
  int64_t packets = 0;  // still in flight
};

class Ejector : public sc_core::sc_module, public PacketSinkIf {
 public:
  explicit Ejector(sc_core::sc_module_name name) : sc_module(name) {}
  void accept(Packet* packet) override;
};

class RouterPort : public sc_core::sc_module {
 public:
  sc_core::sc_port<PacketSinkIf> next;
  RouterPort(sc_core::sc_module_name name, double cycle_ns, int latency_cycles, int flits_per_cycle,
             int buffer_packets, Kernel* kernel);
  void put(Packet* packet);  // blocks while the queue is full
  StageStats stats;
  int64_t flits = 0;

 private:
  void run();
  double cycle_ns_;
  int latency_cycles_, flits_per_cycle_, capacity_;
  Kernel* kernel_;
  std::deque<Packet*> queue_;
  sc_core::sc_event pushed_, popped_;
};

class Router : public sc_core::sc_module, public PacketSinkIf {
 public:
  enum Port { kEast, kWest, kNorth, kSouth, kLocal, kPorts };
  Router(sc_core::sc_module_name name, int column, int row, int mesh_columns, double cycle_ns,
         int latency_cycles, int flits_per_cycle, int buffer_packets, Kernel* kernel);
  void accept(Packet* packet) override;  // joins the queue of the port XY routing picks
  RouterPort& port(int p) { return *ports_[static_cast<size_t>(p)]; }
  int column() const { return column_; }
  int row() const { return row_; }

 private:
  int column_, row_, mesh_columns_;
  std::unique_ptr<RouterPort> ports_[kPorts];
};

}  // namespace mixpim::hw
