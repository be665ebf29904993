// The decision-tree lookup (matcher.h). Host -> site (select_site.h), then one depth-first walk of the
// site's tree without a stack: a node's `resume` says where its parent's entries
// continue, and the path offset of a node is recomputed on the way up (the '/' before
// the segment it consumed), so the walk needs no memory of its own.
//
// The bound. A node is entered only from its parent: through the literal child for
// the next segment (once, before the parent's entries are scanned) or through the
// parent's entry for a Param or Rest child (once, since the scan position only grows:
// coming back up resumes after that entry). The root is entered once, so by induction
// every node is entered at most once per lookup, and each entry of an entered node is
// tested at most once: a lookup costs at most the site's nodes and entries, however
// hostile the tree (the loader checks `resume`, one parent per node and parents
// before children; `steps` is checked against the node count anyway). Tighter: a node
// at depth d is entered only if its edges agree with the path's first d segments (a
// literal edge has the segment as its label, a Param edge a non-empty segment), so
// the walk enters the nodes of the routes whose pattern fits the path's prefix, one
// literal and one parameter branch per level at most: on tables shaped like REST
// APIs, about one node per segment plus the parameter branches that fail a level
// later. tests/unit/plan/tree_bound_test.cpp pins both.
#include "runtime/plan/matcher.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstring>

#include "runtime/plan/child_table.h"
#include "runtime/plan/route_tests.h"
#include "runtime/plan/select_site.h"
#include "runtime/plan/swar.h"

namespace banyan::plan {
namespace {

using swar::load8;

// A path segment as the walk compares it: where it ends, and its first kNodeHead
// bytes zero-padded, as NodeKey::head holds a label's.
struct Segment {
  size_t off = std::string_view::npos;  // the '/' before it
  size_t end = 0;                       // the '/' after it, or the path's end
  uint64_t head = 0;
};

// The segment after the '/' at `off`, eight bytes at a time: the word at its start
// (zero past the path's end) gives its head and, for a segment shorter than eight
// bytes, its end. Near the path's end the word is the path's last eight bytes
// shifted down, so no read leaves the path and no byte is copied one at a time (a
// byte-wise copy into a stack word costs a store-forwarding stall, measured at a
// tenth of a lookup).
[[gnu::always_inline]] inline void read_segment(std::string_view path, size_t off, Segment& s) {
  const char* p = path.data();
  const size_t n = path.size(), from = off + 1;
  uint64_t word = 0;
  if (from + 8 <= n) {
    word = load8(p + from);
  } else if (from >= n) {  // an empty last segment ("/a/")
    word = 0;
  } else if (n >= 8) {
    word = load8(p + n - 8) >> (8 * (from + 8 - n));
  } else {
    for (size_t i = n; i-- > from;) word = word << 8 | static_cast<unsigned char>(p[i]);
  }
  size_t e;
  if (uint64_t m = swar::bytes_equal(word, '/')) {
    e = from + swar::first(m);
  } else if (from + 8 >= n) {
    e = n;
  } else {  // eight bytes or more
    e = from + 8;
    while (true) {
      if (e + 8 > n) {
        uint64_t m = e < n ? swar::bytes_equal(load8(p + n - 8) >> (8 * (e + 8 - n)), '/') : 0;
        e = m ? e + swar::first(m) : n;
        break;
      }
      if (uint64_t m = swar::bytes_equal(load8(p + e), '/')) {
        e += swar::first(m);
        break;
      }
      e += 8;
    }
  }
  const size_t len = e - from;
  s.off = off;
  s.end = e;
  s.head = len >= 8 ? word : word & ((uint64_t{1} << (8 * len)) - 1);
}

bool label_is(const Plan& plan, const NodeKey& k, std::string_view seg, uint64_t head) {
  if (k.label.length != seg.size() || k.head != head) return false;
  if (seg.size() <= kNodeHead) return true;
  const char* label = plan.str(k.label).data();
  if (seg.size() <= 16) return load8(label + seg.size() - 8) == load8(seg.data() + seg.size() - 8);  // overlaps the head
  return std::memcmp(label + kNodeHead, seg.data() + kNodeHead, seg.size() - kNodeHead) == 0;
}

// The literal child of `n` whose label is `seg`, or kNone: the one child's key kept
// in the node, or one probe of the node's perfect hash.
uint32_t child_of(const Plan& plan, const Node& n, std::string_view seg, uint64_t head) {
  const auto keys = plan.node_keys();
  if (n.table.present) {
    const ChildTable& t = n.table;
    const uint64_t h = label_hash(seg, head, t.seed);
    const uint32_t d = plan.u32_lists()[t.displacements + table_bucket(h, t.bucket_bits)];
    const ChildSlot& slot = plan.child_slots()[t.slots + table_slot(h, d, t.slot_bits)];
    if (slot.head != head || slot.length != seg.size()) return kNone;  // a free slot has no length
    return seg.size() <= kNodeHead || label_is(plan, keys[slot.node], seg, head) ? slot.node : kNone;
  }
  // One child (kMaxScannedChildren): its key is in the node.
  if (n.only_head != head || n.only_length != seg.size()) return kNone;
  return seg.size() <= kNodeHead || label_is(plan, keys[n.children.first], seg, head) ? n.children.first : kNone;
}

// Offsets of the '/' before each consumed segment are kept for this many levels (the
// way back up, and a glob's captures); deeper ones are found again by a backward scan.
inline constexpr uint32_t kTracked = 32;

class Walk {
 public:
  Walk(const Plan& plan, const RequestView& req, std::string_view host, bool host_ok, MatchResult& out)
      : plan_(plan), req_(req), path_(req.path), host_(host), host_ok_(host_ok),
        method_(method_bit(req.method)), out_(out) {}

  uint32_t steps() const { return steps_; }

  bool run(uint32_t root) {
    if (path_.empty() || path_[0] != '/') return regexes_only(root);
    const auto nodes = plan_.nodes();
    const auto entries = plan_.entries();
    const uint32_t limit = static_cast<uint32_t>(nodes.size());
    uint32_t at = root, steps = 0;
    size_t off = 0;  // the path's first `off` bytes are the text of the node at `at`
    while (true) {
      // Enter `at`, then its literal children as far as the path names them.
      while (true) {
        if (++steps > limit) return false;  // cannot happen on a verified plan
        const Node& n = nodes[at];
        // Its entries are usually wanted next, and are in another array: fetch them
        // while the child lookup's reads are under way.
        __builtin_prefetch(entries.data() + n.entries.first);
        if (off >= path_.size() || n.children.count == 0) break;
        segment(off);
        uint32_t c = child_of(plan_, n, slice(off + 1, seg_.end), seg_.head);
        if (c == kNone) break;
        off = down(off);
        at = c;
      }
      steps_ = steps;
      {  // No literal child goes further: the entries are next, and often the node one
         // of them enters and its entries (format.h, Node::prefetch_node).
        const Node& n = nodes[at];
        __builtin_prefetch(nodes.data() + n.prefetch_node);
        __builtin_prefetch(entries.data() + n.prefetch_entries);
      }
      // The entries of `at`, then of each parent from where it left off, until one
      // matches or descends into a Param or Rest child.
      uint32_t next = 0;
      while (true) {
        const Node& n = nodes[at];
        uint32_t into = kNone;
        for (; next < n.entries.count; ++next) {
          const Entry& e = entries[n.entries.first + next];
          if (e.test != EntryTest::Subtree) {
            if (try_entry(e, off)) return true;
            continue;
          }
          if (e.aux == static_cast<uint32_t>(NodeKind::Param)) {  // one more non-empty segment
            if (off >= path_.size() || segment(off).end == off + 1) continue;
            off = down(off);
          }
          into = e.target;
          break;
        }
        if (into != kNone) {
          at = into;
          break;
        }
        if (n.parent == kNone) return false;
        if (n.kind != NodeKind::Rest) off = up(off);
        next = n.resume;
        at = n.parent;
      }
    }
  }

 private:
  const Segment& segment(size_t off) {
    if (off != seg_.off) read_segment(path_, off, seg_);
    return seg_;
  }

  // Into the segment after `off` (read by segment()); returns the new offset.
  size_t down(size_t off) {
    if (depth_ < kTracked) starts_[depth_] = static_cast<uint32_t>(off);
    ++depth_;
    return seg_.end;
  }

  // Back out of the segment that ends at `off`; returns the offset of its '/'.
  size_t up(size_t off) {
    --depth_;
    return depth_ < kTracked ? starts_[depth_] : path_.rfind('/', off - 1);
  }

  // A path that does not start with '/' (never a normalised one) can only match a
  // regex, and those that can are the root's.
  bool regexes_only(uint32_t root) {
    const Node& n = plan_.nodes()[root];
    for (const Entry& e : plan_.entries(n.entries))
      if ((e.test == EntryTest::Regex || e.test == EntryTest::Regexes) && try_entry(e, 0)) return true;
    return false;
  }

  bool try_entry(const Entry& e, size_t off) {
    if (!(e.methods & method_)) return false;
    switch (e.test) {
      case EntryTest::Exact:
        if (path_.size() != e.aux) return false;
        break;
      case EntryTest::Prefix:
        if (path_.size() < e.aux) return false;
        break;
      case EntryTest::End:
        if (off != path_.size()) return false;
        break;
      case EntryTest::Rest: break;
      case EntryTest::Glob:
        if (!glob_ok(plan_, plan_.routes()[e.target].glob, path_, nullptr)) return false;
        break;
      case EntryTest::Regex:
        if (!RE2::PartialMatch(re2::StringPiece(path_.data(), path_.size()), *plan_.route_regex(e.target)))
          return false;
        break;
      case EntryTest::Regexes: return try_regexes(e);
      case EntryTest::Subtree: return false;
    }
    if (e.flags != 0) {
      const Route& r = plan_.routes()[e.target];
      if ((e.flags & kEntryOtherMethods) && method_ == kMethodOther && !methods_ok(plan_, r, req_.method)) return false;
      if ((e.flags & kEntryTests) && !tests_ok(plan_, r, req_)) return false;
      if ((e.flags & kEntrySplits) && host_ok_) out_.migration = split_of(plan_, r, host_, path_);
    }
    out_.route = e.target;
    captures(e, off);
    return true;
  }

  // A run of regex routes, in rank order: the site's RE2::Set tree names the next one
  // that matches, and its predicates decide.
  bool try_regexes(const Entry& e) {
    auto routes = plan_.u32_list({e.target, e.aux});
    for (uint32_t i = plan_.next_regex(e.target, path_, 0); i != kNone; i = plan_.next_regex(e.target, path_, i + 1)) {
      const Route& r = plan_.routes()[routes[i]];
      if (!methods_ok(plan_, r, req_.method) || !tests_ok(plan_, r, req_)) continue;
      out_.route = routes[i];
      if (r.splits.count > 0 && host_ok_) out_.migration = split_of(plan_, r, host_, path_);
      return true;
    }
    return false;
  }

  void captures(const Entry& e, size_t off) {
    out_.capture_count = 0;
    switch (e.test) {
      case EntryTest::Prefix: {  // the rest of the path after the prefix, for `rewrite .../**`
        std::string_view rest = path_.substr(e.aux);
        if (rest.starts_with('/')) rest.remove_prefix(1);
        out_.captures[0] = {"**", rest};
        out_.capture_count = 1;
        return;
      }
      case EntryTest::Glob: glob_ok(plan_, plan_.routes()[e.target].glob, path_, &out_); return;
      case EntryTest::End:
      case EntryTest::Rest: break;
      default: return;
    }
    // A glob won through the tree: each capture is a segment the walk consumed
    // (format.h, CaptureRef), or the rest of the path after them.
    const uint32_t k = std::min<uint32_t>(e.captures, kMaxCaptures + 1);
    const CaptureRef* caps = plan_.capture_refs().data() + e.aux;
    out_.capture_count = k;
    if (depth_ < kTracked) {
      // Every consumed segment's '/' is tracked, and the end of the last one is `off`:
      // segment i is the bytes between starts_[i] + 1 and starts_[i + 1] (the loader
      // checked that a capture names a segment the walk consumed).
      starts_[depth_] = static_cast<uint32_t>(off);
      const uint32_t* starts = starts_;
      for (uint32_t j = 0; j < k; ++j) {
        const CaptureRef& c = caps[j];
        const size_t start = c.segment == kRestSegment ? off : starts[c.segment];
        const size_t end = c.segment == kRestSegment ? path_.size() : starts[c.segment + 1];
        out_.captures[j] = {plan_.str(c.name), start < end ? slice(start + 1, end) : std::string_view()};
      }
      return;
    }
    for (uint32_t j = 0; j < k; ++j) {
      std::string_view value;
      if (caps[j].segment == kRestSegment) {
        if (off < path_.size()) value = slice(off + 1, path_.size());
      } else {
        size_t start = slash(caps[j].segment), end = caps[j].segment + 1 < depth_ ? slash(caps[j].segment + 1) : off;
        value = slice(start + 1, end);
      }
      out_.captures[j] = {plan_.str(caps[j].name), value};
    }
  }

  // Bytes [from, to) of the path, which the walk knows lie inside it (substr would
  // check again, on every segment).
  std::string_view slice(size_t from, size_t to) const { return {path_.data() + from, to - from}; }

  // The offset of the '/' before the path's segment `i` (one the walk consumed).
  size_t slash(uint32_t i) const {
    if (i < kTracked) return starts_[i];
    size_t at = 0;
    for (uint32_t k = 0; k < i; ++k) at = path_.find('/', at + 1);
    return at;
  }

  const Plan& plan_;
  const RequestView& req_;
  const std::string_view path_;
  const std::string_view host_;
  const bool host_ok_;
  const uint16_t method_;
  MatchResult& out_;
  uint32_t steps_ = 0;
  uint32_t depth_ = 0;  // segments consumed to reach the current node
  // Written as each segment is consumed, read only for segments consumed: not zeroed
  // (zeroing it was a fifth of a lookup, in a store-forwarding stall).
  uint32_t starts_[kTracked];
  Segment seg_;
};

}  // namespace

bool match(const Plan& plan, const RequestView& req, MatchResult& out) {
  // The host is canonicalised once: for the site, and for a migration's `on` host.
  char buf[kHostBuffer];
  HostChoice host = choose_site(plan, req.host, buf);
  out.site = host.site;
  out.route = out.migration = kNone;
  out.capture_count = 0;
  out.steps = 0;
  if (out.site == kNone) return false;
  Walk walk(plan, req, host.canonical, host.host_ok, out);
  bool found = walk.run(plan.sites()[out.site].root_node);
  out.steps = walk.steps();
  if (found) return true;
  out.route = out.migration = kNone;
  out.capture_count = 0;
  return false;
}

}  // namespace banyan::plan
