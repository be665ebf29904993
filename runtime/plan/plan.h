// A loaded plan: its bytes, verified once by load_plan(), with typed views of every
// section and what loading derives (compiled regexes, host tables). Immutable after
// loading; the runtime shares one between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/plan/format.h"
#include "runtime/plan/host_table.h"
#include "runtime/plan/regex_sets.h"

namespace re2 {
class RE2;
}

namespace banyan::plan {

class Plan {
 public:
  Plan();
  ~Plan();
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  const Header& header() const { return *static_cast<const Header*>(storage_.data); }
  size_t size_bytes() const { return size_; }

  std::string_view str(StrRef s) const { return {strings_ + s.offset, s.length}; }
  size_t strings_size() const { return strings_size_; }
  std::span<const StrRef> str_list(Slice s) const { return str_lists_.subspan(s.first, s.count); }
  std::span<const uint32_t> u32_list(Slice s) const { return u32_lists_.subspan(s.first, s.count); }
  std::span<const StrRef> str_lists() const { return str_lists_; }
  std::span<const uint32_t> u32_lists() const { return u32_lists_; }

  std::span<const Listener> listeners() const { return listeners_; }
  std::span<const Tls> tls() const { return tls_; }
  std::span<const Upstream> upstreams() const { return upstreams_; }
  std::span<const Server> servers() const { return servers_; }
  std::span<const Cache> caches() const { return caches_; }
  std::span<const Site> sites() const { return sites_; }
  std::span<const Host> hosts() const { return hosts_; }
  std::span<const Node> nodes() const { return nodes_; }
  std::span<const NodeKey> node_keys() const { return node_keys_; }  // node_keys()[i] is node i's
  std::span<const Entry> entries() const { return entries_; }
  std::span<const Entry> entries(Slice s) const { return entries_.subspan(s.first, s.count); }
  std::span<const ChildSlot> child_slots() const { return child_slots_; }
  std::span<const CaptureRef> capture_refs() const { return captures_; }
  std::span<const Route> routes() const { return routes_; }
  std::span<const GlobSegment> glob_segments() const { return glob_segments_; }
  std::span<const ValueTest> value_tests() const { return value_tests_; }
  std::span<const HeaderOp> header_ops() const { return header_ops_; }
  std::span<const CachePolicy> cache_policies() const { return cache_policies_; }
  std::span<const CacheValid> cache_valids() const { return cache_valids_; }
  std::span<const Migration> migrations() const { return migrations_; }
  std::span<const MovePattern> move_patterns() const { return move_patterns_; }
  std::span<const ShiftStep> shift_steps() const { return shift_steps_; }
  std::span<const SourceFile> sources() const { return sources_; }

  // Derived at load time, indexed like the records they belong to.
  const re2::RE2* route_regex(uint32_t route) const { return route_regex_[route].get(); }
  const re2::RE2* test_regex(uint32_t test) const { return test_regex_[test].get(); }
  const re2::RE2* move_regex(uint32_t move) const { return move_regex_[move].get(); }
  // The site a host selects: exact, then the longest wildcard suffix, then the default
  // (select_site.h). The name must be followed by 8 readable zero bytes (host_table.h).
  uint32_t exact_host(std::string_view host) const { return exact_hosts_.find_padded(host); }
  // The same for a host as the request sent it (not padded; kNone under 8 bytes).
  uint32_t exact_host_as_sent(std::string_view host) const { return exact_hosts_.find_unpadded(host); }
  uint32_t wildcard_host(std::string_view suffix) const { return wildcard_hosts_.find_padded(suffix); }  // ".example.com"
  uint32_t default_site() const { return default_site_; }
  // For the Regexes entry whose list starts at U32Lists[list]: the first of its routes
  // at or after position `from` of the list whose regex matches the path, as a
  // position; kNone when none does (regex_sets.h: O(log n) RE2::Set passes).
  uint32_t next_regex(uint32_t list, std::string_view path, uint32_t from) const;

 private:
  friend class PlanLoader;
  // The plan's bytes: page-aligned, filled once, read-only after verification.
  struct Storage {
    void* data = nullptr;
    size_t length = 0;
    ~Storage();
  } storage_;
  size_t size_ = 0;
  const char* strings_ = nullptr;
  size_t strings_size_ = 0;
  std::span<const StrRef> str_lists_;
  std::span<const uint32_t> u32_lists_;
  std::span<const Listener> listeners_;
  std::span<const Tls> tls_;
  std::span<const Upstream> upstreams_;
  std::span<const Server> servers_;
  std::span<const Cache> caches_;
  std::span<const Site> sites_;
  std::span<const Host> hosts_;
  std::span<const Node> nodes_;
  std::span<const NodeKey> node_keys_;
  std::span<const Entry> entries_;
  std::span<const ChildSlot> child_slots_;
  std::span<const CaptureRef> captures_;
  std::span<const Route> routes_;
  std::span<const GlobSegment> glob_segments_;
  std::span<const ValueTest> value_tests_;
  std::span<const HeaderOp> header_ops_;
  std::span<const CachePolicy> cache_policies_;
  std::span<const CacheValid> cache_valids_;
  std::span<const Migration> migrations_;
  std::span<const MovePattern> move_patterns_;
  std::span<const ShiftStep> shift_steps_;
  std::span<const SourceFile> sources_;

  std::vector<std::unique_ptr<re2::RE2>> route_regex_, test_regex_, move_regex_;
  // Each Regexes entry's set tree, by the first index of its list (sorted).
  std::vector<std::pair<uint32_t, RegexSetTree>> regex_runs_;
  HostTable exact_hosts_, wildcard_hosts_;
  uint32_t default_site_ = kNone;
};

struct LoadResult {
  std::unique_ptr<Plan> plan;  // null on error
  std::string error;           // what is wrong, in words, with the offending record
};

// Verifies everything (magic, version window, size, checksum, section bounds, every
// index, string reference, enum and budget; compiles the regexes) before returning a
// plan; never reads outside `bytes`.
LoadResult load_plan(std::string_view bytes);
// The same from a file, read once straight into the plan's storage (a reload touches
// the plan's memory once, not three times).
LoadResult load_plan_file(const std::string& path);

}  // namespace banyan::plan
