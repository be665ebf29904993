// Checks each site's decision tree: shape (one parent per node, parents before
// children, the `resume` of every child), keys (labels, heads, order, perfect
// hashes that find every child), and entries (each route of the site, placed where
// its kind and literal prefix say, with the methods, flags and captures it has).
// Nodes are visited in index order; a node's children all come after it, so each is
// reached (and given its site) before it is checked.
#include "runtime/plan/verify_tree.h"

#include <algorithm>
#include <cstring>

#include "runtime/plan/child_table.h"

namespace banyan::plan {
namespace {

class TreeCheck {
 public:
  explicit TreeCheck(const Plan& p) : p_(p), owner_(p.nodes().size(), kNone), glob_(p.nodes().size(), false) {}

  std::string run() {
    const auto nodes = p_.nodes();
    if (p_.node_keys().size() != nodes.size()) return "the tree has " + std::to_string(nodes.size()) + " nodes but " +
                                                      std::to_string(p_.node_keys().size()) + " node keys";
    for (size_t s = 0; s < p_.sites().size(); ++s) {
      uint32_t root = p_.sites()[s].root_node;
      const Node& n = nodes[root];
      if (owner_[root] != kNone || n.parent != kNone || n.kind != NodeKind::Root)
        return "site " + std::to_string(s) + ": its tree root is shared or not a root";
      owner_[root] = static_cast<uint32_t>(s);
    }
    for (uint32_t i = 0; i < nodes.size(); ++i)
      if (!node(i)) return error_;
    return "";
  }

 private:
  bool fail(uint32_t node, const std::string& what) {
    error_ = "node " + std::to_string(node) + ": " + what;
    return false;
  }

  bool node(uint32_t i) {
    const Node& n = p_.nodes()[i];
    const NodeKey& key = p_.node_keys()[i];
    if (owner_[i] == kNone) return fail(i, "not reachable from any site's root");
    if (static_cast<uint8_t>(n.kind) > static_cast<uint8_t>(NodeKind::Rest)) return fail(i, "unknown kind");
    if (uint64_t{n.children.first} + n.children.count > p_.nodes().size() ||
        uint64_t{n.entries.first} + n.entries.count > p_.entries().size())
      return fail(i, "a reference points outside its section");
    if (uint64_t{key.label.offset} + key.label.length > p_.strings_size()) return fail(i, "its label points outside the string table");
    if (n.kind != NodeKind::Literal && (key.label.length != 0 || key.head != 0)) return fail(i, "only a literal node has a label");
    if (n.kind == NodeKind::Rest && n.children.count > 0) return fail(i, "a `**` node has children");
    if (std::any_of(std::begin(n.pad), std::end(n.pad), [](uint8_t b) { return b != 0; }))
      return fail(i, "its padding is not zero");
    const bool one = n.children.count == 1 && n.children.first < p_.nodes().size();
    if (n.only_head != (one ? p_.node_keys()[n.children.first].head : 0) ||
        n.only_length != (one ? p_.node_keys()[n.children.first].label.length : 0))
      return fail(i, "it keeps the wrong key for its one child");
    return children(i, n) && table(i, n) && entries(i, n) && prefetch(i, n);
  }

  // What the walk fetches ahead (format.h, Node::prefetch_node): the node the first
  // Subtree entry enters, else the node itself, and its first entry; zero before
  // version 8. (Its entries are checked, so their targets are in range.)
  bool prefetch(uint32_t i, const Node& n) {
    uint32_t node = 0, entries = 0;
    if (p_.header().version >= 8) {
      node = prefetch_node_of(p_.entries(n.entries), i);
      entries = p_.nodes()[node].entries.first;
    }
    if (n.prefetch_node != node || n.prefetch_entries != entries) return fail(i, "it names the wrong nodes to fetch ahead");
    return true;
  }

  bool children(uint32_t i, const Node& n) {
    std::string_view prev;
    for (uint32_t c = n.children.first; c < n.children.first + n.children.count; ++c) {
      const Node& child = p_.nodes()[c];
      if (c <= i || child.parent != i || owner_[c] != kNone || child.kind != NodeKind::Literal || child.resume != 0)
        return fail(i, "child " + std::to_string(c) + " does not continue it");
      const StrRef ref = p_.node_keys()[c].label;  // its own check comes later: read it only in bounds
      if (uint64_t{ref.offset} + ref.length > p_.strings_size()) return fail(i, "child " + std::to_string(c) + "'s label points outside the string table");
      std::string_view label = p_.str(ref);
      if (label_head(label) != p_.node_keys()[c].head) return fail(i, "child " + std::to_string(c) + " records the wrong head of its label");
      if (c > n.children.first && !(prev.size() < label.size() || (prev.size() == label.size() && prev < label)))
        return fail(i, "children not sorted by label, or a label twice");
      prev = label;
      owner_[c] = owner_[i];
      glob_[c] = glob_[i];
    }
    return true;
  }

  // A wide node's perfect hash finds every child where the lookup will look.
  bool table(uint32_t i, const Node& n) {
    const ChildTable& t = n.table;
    if ((t.present != 0) != (n.children.count > kMaxScannedChildren))
      return fail(i, "a table is kept for more than " + std::to_string(kMaxScannedChildren) + " children, and only then");
    if (!t.present) {
      if (t.seed || t.displacements || t.slots || t.bucket_bits || t.slot_bits || t.pad) return fail(i, "it has a table it does not use");
      return true;
    }
    const auto lists = p_.u32_lists();
    const auto slots = p_.child_slots();
    // Budget: 2^24 slots (8 million children) for one node; the matcher shifts by these.
    if (t.present != 1 || t.pad || t.bucket_bits > 24 || t.slot_bits > 24 ||
        uint64_t{t.displacements} + (uint64_t{1} << t.bucket_bits) > lists.size() ||
        uint64_t{t.slots} + (uint64_t{1} << t.slot_bits) > slots.size())
      return fail(i, "its child table is malformed");
    uint32_t used = 0;
    for (const ChildSlot& s : slots.subspan(t.slots, size_t{1} << t.slot_bits)) {
      if (s.node == kNone) {
        if (s.length != 0 || s.head != 0) return fail(i, "its child table has a free slot that is not empty");
        continue;
      }
      if (s.node < n.children.first || s.node >= n.children.first + n.children.count) return fail(i, "its child table names another node");
      const NodeKey& k = p_.node_keys()[s.node];
      if (s.head != k.head || s.length != k.label.length) return fail(i, "its child table records the wrong label for node " + std::to_string(s.node));
      ++used;
    }
    for (uint32_t c = n.children.first; c < n.children.first + n.children.count; ++c) {
      const NodeKey& k = p_.node_keys()[c];
      uint64_t h = label_hash(p_.str(k.label), k.head, t.seed);
      uint32_t d = lists[t.displacements + table_bucket(h, t.bucket_bits)];
      if (slots[t.slots + table_slot(h, d, t.slot_bits)].node != c) return fail(i, "its child table does not find child " + std::to_string(c));
    }
    if (used != n.children.count) return fail(i, "its child table lists a child twice");
    return true;
  }

  bool entries(uint32_t i, const Node& n) {
    for (uint32_t k = 0; k < n.entries.count; ++k) {
      const Entry& e = p_.entries()[n.entries.first + k];
      if (static_cast<uint8_t>(e.test) > static_cast<uint8_t>(EntryTest::Subtree)) return fail(i, "an entry of unknown kind");
      if (e.test == EntryTest::Subtree) {
        if (e.target <= i || e.target >= p_.nodes().size()) return fail(i, "a subtree entry points outside the tree");
        const Node& c = p_.nodes()[e.target];
        if (c.parent != i || owner_[e.target] != kNone || (c.kind != NodeKind::Param && c.kind != NodeKind::Rest) || c.resume != k + 1 ||
            e.aux != static_cast<uint32_t>(c.kind))
          return fail(i, "child " + std::to_string(e.target) + " does not continue it");
        owner_[e.target] = owner_[i];
        glob_[e.target] = true;
      } else if (e.test == EntryTest::Regexes) {
        if (e.aux == 0 || uint64_t{e.target} + e.aux > p_.u32_lists().size()) return fail(i, "a regex list points outside its section");
        for (uint32_t r : p_.u32_list({e.target, e.aux}))
          if (r >= p_.routes().size() || p_.routes()[r].site != owner_[i] || p_.routes()[r].path_kind != PathKind::Regex)
            return fail(i, "its regex list names a route that is not one of its site's regexes");
      } else if (!route_entry(i, n, e)) {
        return false;
      }
    }
    return true;
  }

  bool route_entry(uint32_t i, const Node& n, const Entry& e) {
    if (e.target >= p_.routes().size()) return fail(i, "route index " + std::to_string(e.target) + " out of range");
    const Route& r = p_.routes()[e.target];
    std::string who = "route " + std::to_string(e.target);
    if (r.site != owner_[i]) return fail(i, who + " is not one of its site's routes");
    if (e.methods != methods_of(r) || e.flags != flags_of(r)) return fail(i, who + " is listed with the wrong methods or flags");
    std::string_view literal = p_.str(r.literal);
    switch (e.test) {
      case EntryTest::Exact:
      case EntryTest::Prefix: {
        bool kind = e.test == EntryTest::Exact ? r.path_kind == PathKind::Exact
                                               : r.path_kind == PathKind::Prefix || r.path_kind == PathKind::Fallback;
        std::string text = glob_[i] ? "?" : text_of(i);
        if (!kind || e.aux != literal.size() || (literal != text && literal != text + "/"))
          return fail(i, who + " does not belong here");
        break;
      }
      case EntryTest::Regex: {
        bool here = literal.starts_with('/') ? !glob_[i] && text_of(i) == literal.substr(0, literal.rfind('/'))
                                             : n.kind == NodeKind::Root;
        if (r.path_kind != PathKind::Regex || !here) return fail(i, who + " does not belong here");
        break;
      }
      case EntryTest::Glob:
        if (r.path_kind != PathKind::Glob || (glob_[i] && n.kind != NodeKind::Rest)) return fail(i, who + " does not belong here");
        break;
      case EntryTest::End:
      case EntryTest::Rest: {
        bool place = e.test == EntryTest::Rest ? n.kind == NodeKind::Rest : glob_[i] && n.kind != NodeKind::Rest;
        if (r.path_kind != PathKind::Glob || !place || !glob_fits(i, r)) return fail(i, who + " does not belong here");
        if (!captures_fit(i, e)) return fail(i, who + " is listed with the wrong captures");
        break;
      }
      default: break;
    }
    return true;
  }

  // The nodes from the root down to `i` spell the route's glob: a literal node per
  // literal segment with its text, a Param node per `:param` or `*`, a Rest node for
  // a final `**`. So a glob the walk reaches matches the path by its own pattern too.
  bool glob_fits(uint32_t i, const Route& r) const {
    std::vector<uint32_t> chain;  // root excluded, top first
    for (uint32_t at = i; p_.nodes()[at].kind != NodeKind::Root; at = p_.nodes()[at].parent) chain.push_back(at);
    if (chain.size() != r.glob.count) return false;
    for (size_t d = 0; d < chain.size(); ++d) {
      const Node& n = p_.nodes()[chain[chain.size() - 1 - d]];
      const GlobSegment& g = p_.glob_segments()[r.glob.first + d];
      bool same = g.kind == SegmentKind::Literal
                      ? n.kind == NodeKind::Literal && p_.str(g.text) == p_.str(p_.node_keys()[chain[chain.size() - 1 - d]].label)
                      : g.kind == SegmentKind::DoubleStar ? n.kind == NodeKind::Rest
                                                          : n.kind == NodeKind::Param;
      if (!same) return false;
    }
    return true;
  }

  // The captures are the Param nodes on the way from the root, by the segment each
  // consumes, then `**` for a Rest node: what the walk reads them from.
  bool captures_fit(uint32_t i, const Entry& e) const {
    if (e.captures > kMaxCaptures + 1 || uint64_t{e.aux} + e.captures > p_.capture_refs().size()) return false;
    std::vector<uint32_t> want;  // segments, leaf first
    uint32_t depth = 0;
    for (uint32_t at = i; p_.nodes()[at].kind != NodeKind::Root; at = p_.nodes()[at].parent)
      depth += p_.nodes()[at].kind != NodeKind::Rest;
    for (uint32_t at = i, d = depth; p_.nodes()[at].kind != NodeKind::Root; at = p_.nodes()[at].parent) {
      if (p_.nodes()[at].kind == NodeKind::Rest) want.push_back(kRestSegment);
      else if (--d, p_.nodes()[at].kind == NodeKind::Param) want.push_back(d);
    }
    if (want.size() != e.captures) return false;
    for (uint32_t k = 0; k < e.captures; ++k) {
      const CaptureRef& c = p_.capture_refs()[e.aux + k];
      if (c.segment != want[e.captures - 1 - k] || uint64_t{c.name.offset} + c.name.length > p_.strings_size()) return false;
    }
    return true;
  }

  uint16_t methods_of(const Route& r) const {
    if (r.methods.count == 0) return kAnyMethod;
    uint16_t bits = 0;
    for (StrRef m : p_.str_list(r.methods)) bits |= method_bit(p_.str(m));
    return bits;
  }

  uint8_t flags_of(const Route& r) const {
    uint8_t f = 0;
    for (StrRef m : p_.str_list(r.methods))
      if (method_bit(p_.str(m)) == kMethodOther) f |= kEntryOtherMethods;
    if (r.tests.count > 0) f |= kEntryTests;
    if (r.splits.count > 0) f |= kEntrySplits;
    return f;
  }

  // The path text a literal-region node stands for: "/" and its labels, root first.
  std::string text_of(uint32_t i) const {
    std::string text;
    for (; p_.nodes()[i].kind != NodeKind::Root; i = p_.nodes()[i].parent)
      text.insert(0, "/" + std::string(p_.str(p_.node_keys()[i].label)));
    return text;
  }

  const Plan& p_;
  std::vector<uint32_t> owner_;  // each node's site, once reached
  std::vector<bool> glob_;       // below a Param or Rest node
  std::string error_;
};

}  // namespace

std::string verify_trees(const Plan& plan) { return TreeCheck(plan).run(); }

}  // namespace banyan::plan
