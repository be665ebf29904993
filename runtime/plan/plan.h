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
  std::span<const StrRef> str_list(Slice s) const { return str_lists_.subspan(s.first, s.count); }
  std::span<const uint32_t> u32_list(Slice s) const { return u32_lists_.subspan(s.first, s.count); }

  std::span<const Listener> listeners() const { return listeners_; }
  std::span<const Tls> tls() const { return tls_; }
  std::span<const Upstream> upstreams() const { return upstreams_; }
  std::span<const Server> servers() const { return servers_; }
  std::span<const Cache> caches() const { return caches_; }
  std::span<const Site> sites() const { return sites_; }
  std::span<const Host> hosts() const { return hosts_; }
  std::span<const Node> nodes() const { return nodes_; }
  std::span<const Candidate> candidates(Slice s) const { return candidates_.subspan(s.first, s.count); }
  std::span<const Route> routes() const { return routes_; }
  std::span<const GlobSegment> glob_segments() const { return glob_segments_; }
  std::span<const ValueTest> value_tests() const { return value_tests_; }
  std::span<const HeaderOp> header_ops() const { return header_ops_; }
  std::span<const CachePolicy> cache_policies() const { return cache_policies_; }
  std::span<const CacheValid> cache_valids() const { return cache_valids_; }
  std::span<const Migration> migrations() const { return migrations_; }
  std::span<const MovePattern> move_patterns() const { return move_patterns_; }
  std::span<const ShiftStep> shift_steps() const { return shift_steps_; }

  // Derived at load time, indexed like the records they belong to.
  const re2::RE2* route_regex(uint32_t route) const { return route_regex_[route].get(); }
  const re2::RE2* test_regex(uint32_t test) const { return test_regex_[test].get(); }
  const re2::RE2* move_regex(uint32_t move) const { return move_regex_[move].get(); }
  // The site a host selects: exact, then the longest wildcard suffix, then the default.
  uint32_t exact_host(std::string_view host) const;
  uint32_t wildcard_host(std::string_view suffix) const;  // ".example.com"
  uint32_t default_site() const { return default_site_; }
  // Does any regex route of the site match the path? One RE2::Set pass.
  bool any_regex_matches(uint32_t site, std::string_view path) const;

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
  std::span<const Candidate> candidates_;
  std::span<const Route> routes_;
  std::span<const GlobSegment> glob_segments_;
  std::span<const ValueTest> value_tests_;
  std::span<const HeaderOp> header_ops_;
  std::span<const CachePolicy> cache_policies_;
  std::span<const CacheValid> cache_valids_;
  std::span<const Migration> migrations_;
  std::span<const MovePattern> move_patterns_;
  std::span<const ShiftStep> shift_steps_;

  std::vector<std::unique_ptr<re2::RE2>> route_regex_, test_regex_, move_regex_;
  struct SiteSet;
  std::vector<std::unique_ptr<SiteSet>> site_sets_;
  std::unordered_map<std::string_view, uint32_t> exact_hosts_, wildcard_hosts_;
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
