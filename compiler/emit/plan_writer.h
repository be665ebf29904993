// The plan's records as the emitter collects them, section by section, and the bytes
// they become (runtime/plan/format.h): header, section table, sections, checksum.
// Strings are interned, so each distinct text is stored once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/plan/format.h"

namespace banyan::emit {

class PlanWriter {
 public:
  plan::StrRef str(std::string_view s);
  plan::Slice strs(const std::vector<std::string>& v);
  plan::Slice u32s(const std::vector<uint32_t>& v);

  std::vector<plan::StrRef> str_lists;
  std::vector<uint32_t> u32_lists;
  std::vector<plan::Listener> listeners;
  std::vector<plan::Tls> tls;
  std::vector<plan::Upstream> upstreams;
  std::vector<plan::Server> servers;
  std::vector<plan::Cache> caches;
  std::vector<plan::Site> sites;
  std::vector<plan::Host> hosts;
  std::vector<plan::Node> nodes;
  std::vector<plan::NodeKey> node_keys;
  std::vector<plan::Entry> entries;
  std::vector<plan::ChildSlot> child_slots;
  std::vector<plan::CaptureRef> captures;
  std::vector<plan::Route> routes;
  std::vector<plan::GlobSegment> glob_segments;
  std::vector<plan::ValueTest> value_tests;
  std::vector<plan::HeaderOp> header_ops;
  std::vector<plan::CachePolicy> cache_policies;
  std::vector<plan::CacheValid> cache_valids;
  std::vector<plan::Migration> migrations;
  std::vector<plan::MovePattern> move_patterns;
  std::vector<plan::ShiftStep> shift_steps;
  std::vector<plan::SourceFile> sources;

  // The plan's bytes, with `sha` as the sources' SHA-256.
  std::string finish(const uint8_t (&sha)[32]);

 private:
  // Heterogeneous lookup: interning a view does not build a std::string unless the
  // text is new (10,000 routes intern about 100,000 texts).
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::string strings_;
  std::unordered_map<std::string, plan::StrRef, Hash, std::equal_to<>> interned_;
};

}  // namespace banyan::emit
