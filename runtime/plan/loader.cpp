// Loading a plan: copy, verify every byte's meaning, derive the regex sets and host
// tables. Each check names what is wrong ("route 12: upstream index 40 out of range
// (the plan has 3 upstreams)"), so a damaged or hostile plan is refused in words.
#include <re2/re2.h>
#include <re2/set.h>
#include <sys/mman.h>
#include <xxhash.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "runtime/plan/plan.h"
#include "runtime/plan/select_site.h"
#include "runtime/plan/template.h"
#include "runtime/plan/verify_tree.h"

namespace banyan::plan {

namespace {
RE2::Options quiet() {
  RE2::Options opt;
  opt.set_log_errors(false);
  return opt;
}
}  // namespace

Plan::Plan() = default;
Plan::~Plan() = default;

Plan::Storage::~Storage() {
  if (!data) return;
  mprotect(data, length, PROT_READ | PROT_WRITE);  // free() writes into the block
  std::free(data);
}

uint32_t Plan::next_regex(uint32_t list, std::string_view path, uint32_t from) const {
  auto it = std::lower_bound(regex_runs_.begin(), regex_runs_.end(), list, [](const auto& run, uint32_t l) { return run.first < l; });
  return it == regex_runs_.end() || it->first != list ? kNone : it->second.next(path, from);
}

inline constexpr size_t kPage = 4096;
inline constexpr size_t kHugePage = 2u << 20;

// What a check is about ("route 12"), spelled out only when the check fails: a
// 100k-route plan is verified without building a string per record.
struct Where {
  const char* kind;
  size_t index;
  std::string str() const { return std::string(kind) + " " + std::to_string(index); }
};

class PlanLoader {
 public:
  explicit PlanLoader(Plan& p) : p_(p) {}

  // Copies `bytes` into the plan's storage, then verifies.
  bool run(std::string_view bytes) {
    if (!allocate(bytes.size())) return false;
    std::memcpy(p_.storage_.data, bytes.data(), bytes.size());
    return verify(bytes.size());
  }

  // Reads the file into the plan's storage, then verifies.
  bool run_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return fail("cannot open '" + path + "': " + std::strerror(errno));
    struct stat st;
    bool ok = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    if (!ok) {
      std::fclose(f);
      return fail("'" + path + "' is not a regular file");
    }
    size_t size = static_cast<size_t>(st.st_size);
    if (!allocate(size)) {
      std::fclose(f);
      return false;
    }
    size_t got = std::fread(p_.storage_.data, 1, size, f);
    std::fclose(f);
    if (got != size) return fail("cannot read '" + path + "': it changed while being read");
    return verify(size);
  }

  std::string error;

 private:
  // Page-aligned storage for `size` bytes, so it can be made read-only once verified.
  // (A plan this large usually gets fresh pages from the allocator on every load;
  // faulting them in is most of a cold load's cost, hence the madvise below.)
  bool allocate(size_t size) {
    if (size > kMaxPlanBytes) return fail("the plan is larger than the 1 GiB budget");
    // A plan of a huge page or more goes in huge pages where the kernel allows them
    // (transparent huge pages, "madvise" or "always"): a lookup's reads are scattered
    // over the plan, and with 4 KiB pages a large plan's lookups wait on the TLB too.
    const size_t align = size >= kHugePage ? kHugePage : kPage;
    size_t length = (size + align) / align * align;
    void* p = std::aligned_alloc(align, length);
    if (!p) return fail("cannot allocate memory for the plan");
    if (align == kHugePage) madvise(p, length, MADV_HUGEPAGE);
    // Fault the pages in with one call rather than one fault per page as the read
    // fills them (Linux 5.14 and later; older kernels fault them one by one).
    madvise(p, length, MADV_POPULATE_WRITE);
    p_.storage_.data = p;
    p_.storage_.length = length;
    return true;
  }

  bool verify(size_t size) {
    if (!verify_bytes(size)) return false;
    // From here on nothing writes the plan; a stray write would now fault.
    mprotect(p_.storage_.data, p_.storage_.length, PROT_READ);
    return true;
  }

  bool verify_bytes(size_t size) {
    std::string_view bytes(static_cast<const char*>(p_.storage_.data), size);
    if (bytes.size() < sizeof(Header)) return fail("truncated: " + std::to_string(bytes.size()) + " bytes is shorter than the 64-byte header");
    if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) return fail("not a Banyan plan (the file does not start with BANYANPL)");
    Header h;
    std::memcpy(&h, bytes.data(), sizeof h);
    if (h.version > kFormatVersion)
      return fail("plan format version " + std::to_string(h.version) + " is newer than this build reads (" +
                  std::to_string(kMinVersion) + " to " + std::to_string(kFormatVersion) + "); upgrade banyan or compile with a matching banyanc");
    if (h.version < kMinVersion)
      return fail("plan format version " + std::to_string(h.version) + " is older than this build reads (" +
                  std::to_string(kMinVersion) + " to " + std::to_string(kFormatVersion) + "); recompile the routes");
    if (h.file_size != bytes.size())
      return fail("truncated or padded: the header says " + std::to_string(h.file_size) + " bytes, the file has " + std::to_string(bytes.size()));
    uint64_t sum = XXH3_64bits(bytes.data() + kChecksumFrom, bytes.size() - kChecksumFrom);
    if (sum != h.checksum) return fail("checksum mismatch: the plan is corrupted (stored " + hex(h.checksum) + ", computed " + hex(sum) + ")");
    if (h.section_count != kSectionCount)
      return fail("header: " + std::to_string(h.section_count) + " sections, format version " + std::to_string(h.version) +
                  " has " + std::to_string(kSectionCount));

    p_.size_ = bytes.size();
    base_ = bytes.data();

    uint64_t table_end = sizeof(Header) + uint64_t{kSectionCount} * sizeof(SectionEntry);
    if (table_end > bytes.size()) return fail("truncated: the section table ends past the end of the plan");
    std::memcpy(table_, base_ + sizeof(Header), sizeof table_);
    for (uint32_t i = 0; i < kSectionCount; ++i) {
      const SectionEntry& e = table_[i];
      uint64_t end = uint64_t{e.offset} + uint64_t{e.count} * e.record_size;
      if (e.offset % 8 != 0 || e.offset < table_end || end > bytes.size())
        return fail("section " + std::to_string(i) + " lies outside the plan or is misaligned");
    }
    return sections() && strings_and_slices() && references() && tree() && derive();
  }

  template <typename T>
  bool section(Section s, std::span<const T>& out) {
    const SectionEntry& e = table_[static_cast<uint32_t>(s)];
    if (e.record_size != sizeof(T))
      return fail("section " + std::to_string(static_cast<uint32_t>(s)) + ": records of " + std::to_string(e.record_size) +
                  " bytes, expected " + std::to_string(sizeof(T)));
    out = {reinterpret_cast<const T*>(base_ + e.offset), e.count};
    return true;
  }

  bool sections() {
    std::span<const char> strings;
    if (!section(Section::Strings, strings)) return false;
    p_.strings_ = strings.data();
    p_.strings_size_ = strings_size_ = strings.size();
    return section(Section::StrLists, p_.str_lists_) && section(Section::U32Lists, p_.u32_lists_) &&
           section(Section::Listeners, p_.listeners_) && section(Section::Tls, p_.tls_) &&
           section(Section::Upstreams, p_.upstreams_) && section(Section::Servers, p_.servers_) &&
           section(Section::Caches, p_.caches_) && section(Section::Sites, p_.sites_) &&
           section(Section::Hosts, p_.hosts_) && section(Section::Nodes, p_.nodes_) &&
           section(Section::NodeKeys, p_.node_keys_) && section(Section::Entries, p_.entries_) &&
           section(Section::ChildSlots, p_.child_slots_) && section(Section::CaptureRefs, p_.captures_) &&
           section(Section::Routes, p_.routes_) && section(Section::GlobSegments, p_.glob_segments_) &&
           section(Section::ValueTests, p_.value_tests_) && section(Section::HeaderOps, p_.header_ops_) &&
           section(Section::CachePolicies, p_.cache_policies_) && section(Section::CacheValids, p_.cache_valids_) &&
           section(Section::Migrations, p_.migrations_) && section(Section::MovePatterns, p_.move_patterns_) &&
           section(Section::ShiftSteps, p_.shift_steps_) && section(Section::Sources, p_.sources_);
  }

  // Every StrRef of every record points into Strings; every Slice into its section.
  bool str(const StrRef& s, const Where& what) {
    if (uint64_t{s.offset} + s.length > strings_size_) return fail(what.str() + ": a string reference points outside the string table");
    return true;
  }
  bool slice(const Slice& s, size_t size, const Where& what) {
    if (uint64_t{s.first} + s.count > size) return fail(what.str() + ": a list reference points outside its section");
    return true;
  }
  bool index(uint32_t i, size_t size, const Where& what, const char* of, bool none_ok = false) {
    if (none_ok && i == kNone) return true;
    if (i >= size)
      return fail(what.str() + ": " + of + " index " + std::to_string(i) + " out of range (the plan has " + std::to_string(size) + ")");
    return true;
  }
  template <typename E>
  bool enum_ok(E v, E last, const Where& what) {
    if (static_cast<uint32_t>(v) > static_cast<uint32_t>(last)) return fail(what.str() + ": unknown kind " + std::to_string(static_cast<uint32_t>(v)));
    return true;
  }

  bool strings_and_slices() {
    for (size_t i = 0; i < p_.str_lists_.size(); ++i)
      if (!str(p_.str_lists_[i], Where{"string list", i})) return false;
    for (size_t i = 0; i < p_.listeners_.size(); ++i) {
      const Listener& l = p_.listeners_[i];
      Where w{"listener", i};
      if (!str(l.address, w) || !enum_ok(l.scheme, Scheme::Https, w)) return false;
    }
    for (size_t i = 0; i < p_.tls_.size(); ++i) {
      const Tls& t = p_.tls_[i];
      Where w{"tls", i};
      if (!str(t.name, w) || !str(t.certificate, w) || !str(t.key, w) || !str(t.ciphers, w) ||
          !enum_ok(t.min_version, TlsVersion::V1_3, w) || !enum_ok(t.max_version, TlsVersion::V1_3, w))
        return false;
    }
    for (size_t i = 0; i < p_.upstreams_.size(); ++i) {
      const Upstream& u = p_.upstreams_[i];
      Where w{"upstream", i};
      if (!str(u.name, w) || !slice(u.servers, p_.servers_.size(), w) || !enum_ok(u.balance, Balance::Hash, w) ||
          !enum_ok(u.hash_source, HashSource::ClientIp, w) || !enum_ok(u.protocol, Protocol::H2c, w) || !str(u.hash_key, w) || !str(u.sticky_cookie, w) ||
          !str(u.health_method, w) || !str(u.health_path, w) || !slice(u.health_expect, p_.u32_lists_.size(), w))
        return false;
      if (u.servers.count == 0) return fail(w.str() + ": no servers");
    }
    for (size_t i = 0; i < p_.servers_.size(); ++i)
      if (!str(p_.servers_[i].host, Where{"server", i})) return false;
    for (size_t i = 0; i < p_.caches_.size(); ++i)
      if (!str(p_.caches_[i].name, Where{"cache", i}) || !str(p_.caches_[i].disk_path, Where{"cache", i})) return false;
    for (size_t i = 0; i < p_.glob_segments_.size(); ++i) {
      Where w{"glob segment", i};
      if (!str(p_.glob_segments_[i].text, w) || !enum_ok(p_.glob_segments_[i].kind, SegmentKind::DoubleStar, w)) return false;
    }
    for (size_t i = 0; i < p_.value_tests_.size(); ++i) {
      const ValueTest& t = p_.value_tests_[i];
      Where w{"value test", i};
      if (!str(t.name, w) || !str(t.value, w) || !enum_ok(t.where, TestWhere::Query, w) || !enum_ok(t.match, TestMatch::Regex, w))
        return false;
    }
    for (size_t i = 0; i < p_.header_ops_.size(); ++i) {
      const HeaderOp& o = p_.header_ops_[i];
      Where w{"header operation", i};
      if (!str(o.name, w) || !str(o.value, w) || !enum_ok(o.kind, HeaderOpKind::Remove, w)) return false;
    }
    for (size_t i = 0; i < p_.cache_valids_.size(); ++i)
      if (!slice(p_.cache_valids_[i].statuses, p_.u32_lists_.size(), Where{"cache validity", i})) return false;
    for (size_t i = 0; i < p_.cache_policies_.size(); ++i) {
      const CachePolicy& c = p_.cache_policies_[i];
      Where w{"cache policy", i};
      if (!index(c.zone, p_.caches_.size(), w, "cache") || !slice(c.valid, p_.cache_valids_.size(), w) ||
          !slice(c.key, p_.str_lists_.size(), w))
        return false;
    }
    for (size_t i = 0; i < p_.move_patterns_.size(); ++i) {
      const MovePattern& m = p_.move_patterns_[i];
      Where w{"move pattern", i};
      if (!str(m.pattern, w) || !slice(m.glob, p_.glob_segments_.size(), w) || !enum_ok(m.kind, PathKind::Exact, w)) return false;
    }
    for (size_t i = 0; i < p_.migrations_.size(); ++i) {
      const Migration& m = p_.migrations_[i];
      Where w{"migration", i};
      if (!str(m.name, w) || !str(m.on_host, w) || !index(m.from, p_.upstreams_.size(), w, "upstream") ||
          !index(m.to, p_.upstreams_.size(), w, "upstream") || !slice(m.moves, p_.move_patterns_.size(), w) ||
          !slice(m.steps, p_.shift_steps_.size(), w) || !enum_ok(m.bucket, BucketSource::RequestId, w) ||
          !str(m.bucket_key, w) || !enum_ok(m.rollback_metric, Metric::Status5xxRate, w) ||
          !enum_ok(m.rollback_comparator, Comparator::LessEqual, w) || !enum_ok(m.testers, TestersSource::Cookie, w) ||
          !str(m.testers_name, w) || !str(m.testers_value, w) || !slice(m.compare_ignore, p_.str_lists_.size(), w))
        return false;
      if (m.shadow_basis_points > 10000) return fail(w.str() + ": shadow share above 100%");
      if ((m.compare & ~kCompareAll) || ((m.compare & kCompareJson) && !(m.compare & kCompareBody)))
        return fail(w.str() + ": unknown comparison bits " + std::to_string(m.compare));
    }
    for (size_t i = 0; i < p_.shift_steps_.size(); ++i) {
      const ShiftStep& s = p_.shift_steps_[i];
      if (s.basis_points > 10000 || s.duration_ms < 0) return fail("shift step " + std::to_string(i) + ": share above 100% or negative duration");
    }
    for (size_t i = 0; i < p_.sources_.size(); ++i)
      if (!str(p_.sources_[i].path, Where{"source", i}) || !str(p_.sources_[i].text, Where{"source", i})) return false;
    return true;
  }

  bool references() {
    const size_t nroutes = p_.routes_.size();
    for (size_t i = 0; i < p_.sites_.size(); ++i) {
      const Site& s = p_.sites_[i];
      Where w{"site", i};
      if (!slice(s.routes, nroutes, w) || !index(s.root_node, p_.nodes_.size(), w, "node") ||
          !index(s.tls, p_.tls_.size(), w, "tls", true) || !str(s.name, w))
        return false;
    }
    for (size_t i = 0; i < p_.hosts_.size(); ++i) {
      const Host& h = p_.hosts_[i];
      Where w{"host", i};
      if (!str(h.name, w) || !index(h.site, p_.sites_.size(), w, "site") || !enum_ok(h.kind, HostKind::Default, w)) return false;
    }
    for (size_t i = 0; i < nroutes; ++i) {
      const Route& r = p_.routes_[i];
      Where w{"route", i};
      if (!index(r.site, p_.sites_.size(), w, "site") || !enum_ok(r.path_kind, PathKind::Exact, w) ||
          !enum_ok(r.action, ActionKind::Respond, w) || !str(r.pattern, w) || !str(r.literal, w) ||
          !slice(r.glob, p_.glob_segments_.size(), w) || !slice(r.methods, p_.str_lists_.size(), w) ||
          !slice(r.tests, p_.value_tests_.size(), w) || !str(r.target, w) || !str(r.rewrite, w) ||
          !slice(r.request_headers, p_.header_ops_.size(), w) || !slice(r.response_headers, p_.header_ops_.size(), w) ||
          !index(r.cache_policy, p_.cache_policies_.size(), w, "cache policy", true) ||
          !slice(r.splits, p_.u32_lists_.size(), w) || !str(r.source.file, w))
        return false;
      // The matcher relies on these: an exact or prefix route's literal prefix is its
      // whole pattern, a path; the fallback's is empty.
      bool literal_ok = r.path_kind == PathKind::Exact || r.path_kind == PathKind::Prefix
                            ? r.pattern.length > 0 && p_.str(r.literal) == p_.str(r.pattern) && p_.str(r.pattern)[0] == '/'
                            : r.path_kind != PathKind::Fallback || r.literal.length == 0;
      if (!literal_ok) return fail(w.str() + ": its literal prefix does not fit its kind of path");
      if (r.action == ActionKind::Proxy && !index(r.upstream, p_.upstreams_.size(), w, "upstream")) return false;
      if (r.action != ActionKind::Proxy && (r.status < 100 || r.status > 599)) return fail(w.str() + ": status " + std::to_string(r.status) + " is not an HTTP status");
      if (r.path_kind == PathKind::Glob) {
        uint32_t captures = 0;
        for (const auto& g : p_.glob_segments_.subspan(r.glob.first, r.glob.count))
          captures += g.kind == SegmentKind::Param || g.kind == SegmentKind::Star;
        if (captures > kMaxCaptures) return fail(w.str() + ": more than " + std::to_string(kMaxCaptures) + " captured segments");
      }
      for (uint32_t m : p_.u32_list(r.splits))
        if (!index(m, p_.migrations_.size(), w, "migration")) return false;
      if (!templates(r, w)) return false;
    }
    return true;
  }

  // Every value a route expands per request parses, with the route's parameters.
  bool templates(const Route& r, const Where& w) {
    params_.clear();
    for (const GlobSegment& g : p_.glob_segments_.subspan(r.glob.first, r.glob.count))
      if (g.kind == SegmentKind::Param) params_.push_back(p_.str(g.text));
    auto parses = [&](StrRef s) {
      std::string error;
      if (parse_template(p_.str(s), params_, parts_, error)) return true;
      return fail(w.str() + ": " + error + " in '" + std::string(p_.str(s)) + "'");
    };
    if (r.action != ActionKind::Proxy && !parses(r.target)) return false;
    for (const Slice& ops : {r.request_headers, r.response_headers})
      for (const HeaderOp& o : p_.header_ops_.subspan(ops.first, ops.count))
        if (o.kind == HeaderOpKind::Set && !parses(o.value)) return false;
    if (r.cache_policy != kNone)
      for (StrRef k : p_.str_list(p_.cache_policies_[r.cache_policy].key))
        if (!parses(k)) return false;
    return true;
  }

  // The decision trees (verify_tree.h).
  bool tree() {
    std::string problem = verify_trees(p_);
    return problem.empty() || fail(std::move(problem));
  }

  std::unique_ptr<RE2> regex(std::string_view pattern, const Where& what) {
    auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), quiet());
    if (!re->ok()) {
      fail(what.str() + ": regex does not compile: " + re->error());
      return nullptr;
    }
    if (re->ProgramSize() > kMaxRegexProgramSize) {
      fail(what.str() + ": regex exceeds the program-size budget");
      return nullptr;
    }
    return re;
  }

  bool derive() {
    p_.route_regex_.resize(p_.routes_.size());
    for (size_t i = 0; i < p_.routes_.size(); ++i) {
      const Route& r = p_.routes_[i];
      if (r.path_kind == PathKind::Regex && !(p_.route_regex_[i] = regex(p_.str(r.pattern), Where{"route", i}))) return false;
    }
    p_.test_regex_.resize(p_.value_tests_.size());
    for (size_t i = 0; i < p_.value_tests_.size(); ++i) {
      const ValueTest& t = p_.value_tests_[i];
      if (t.match == TestMatch::Regex && !(p_.test_regex_[i] = regex(p_.str(t.value), Where{"value test", i}))) return false;
    }
    p_.move_regex_.resize(p_.move_patterns_.size());
    for (size_t i = 0; i < p_.move_patterns_.size(); ++i) {
      const MovePattern& m = p_.move_patterns_[i];
      if (m.kind == PathKind::Regex && !(p_.move_regex_[i] = regex(p_.str(m.pattern), Where{"move pattern", i}))) return false;
    }
    // Each run of regex routes the tree asks at once gets its RE2::Set tree.
    std::vector<const RE2*> run;
    for (size_t i = 0; i < p_.entries_.size(); ++i) {
      const Entry& e = p_.entries_[i];
      if (e.test != EntryTest::Regexes) continue;
      if (!p_.regex_runs_.empty() && p_.regex_runs_.back().first >= e.target) return fail("entry " + std::to_string(i) + ": regex lists out of order or shared");
      run.clear();
      for (uint32_t r : p_.u32_list({e.target, e.aux})) run.push_back(p_.route_regex_[r].get());
      RegexSetTree tree;
      std::string err;
      if (!tree.build(run, err)) return fail("entry " + std::to_string(i) + ": " + err);
      p_.regex_runs_.emplace_back(e.target, std::move(tree));
    }
    for (size_t i = 0; i < p_.hosts_.size(); ++i) {
      const Host& h = p_.hosts_[i];
      Where w{"host", i};
      if (h.kind == HostKind::Default) {
        if (p_.default_site_ != kNone) return fail(w.str() + ": a second default site");
        p_.default_site_ = h.site;
        continue;
      }
      // A request's host is looked up as it came before it is canonicalised
      // (select_site.h): a name that is not canonical would take hosts that are not.
      if (!is_canonical_host(p_.str(h.name)))
        return fail(w.str() + ": host '" + std::string(p_.str(h.name)) + "' is not in canonical form (lower case, no port, no trailing dot)");
      auto& table = h.kind == HostKind::Exact ? p_.exact_hosts_ : p_.wildcard_hosts_;
      if (!table.add(p_.str(h.name), h.site)) return fail(w.str() + ": host '" + std::string(p_.str(h.name)) + "' listed twice");
    }
    return true;
  }

  bool fail(std::string msg) {
    if (error.empty()) error = std::move(msg);
    return false;
  }
  static std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
  }

  Plan& p_;
  std::vector<std::string_view> params_;  // scratch for templates()
  std::vector<TemplatePart> parts_;
  const char* base_ = nullptr;
  size_t strings_size_ = 0;
  SectionEntry table_[kSectionCount] = {};
};

namespace {

template <typename Run>
LoadResult load_with(Run&& run) {
  LoadResult out;
  auto plan = std::make_unique<Plan>();
  PlanLoader loader(*plan);
  if (run(loader)) {
    out.plan = std::move(plan);
  } else {
    out.error = loader.error;
  }
  return out;
}

}  // namespace

LoadResult load_plan(std::string_view bytes) {
  return load_with([&](PlanLoader& l) { return l.run(bytes); });
}

LoadResult load_plan_file(const std::string& path) {
  return load_with([&](PlanLoader& l) { return l.run_file(path); });
}

}  // namespace banyan::plan
