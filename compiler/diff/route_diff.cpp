// The diff of two routes files: host classes, then per class the requests that stand
// for every request (both files' rules and moved paths, one vocabulary), each one's
// outcome in both files, and the differing ones grouped by how they change.
#include "compiler/diff/route_diff.h"

#include <algorithm>
#include <map>
#include <set>

#include "compiler/analysis/regex_sample.h"
#include "compiler/analysis/samples.h"
#include "compiler/ast/dump_ast.h"
#include "compiler/diff/outcome.h"

namespace banyan::diff {
namespace {

constexpr const char* kOtherHost = "unnamed-host.invalid";  // a host no site names: `default`

// Hosts whose requests are routed alike: same site in each file, and not the `on` host
// of a migration (that host is its own class).
struct HostClass {
  std::string host;                // the representative, sent as the request's Host
  std::vector<std::string> shown;  // every name of the class as written: "*.x.com", "shop.x.com"
  size_t before = SIZE_MAX, after = SIZE_MAX;
};

std::vector<HostClass> host_classes(const FileModel& a, const FileModel& b) {
  std::set<std::string> exact, on;
  std::vector<std::string> wildcards;
  for (const FileModel* f : {&a, &b}) {
    for (const auto& s : f->file().sites) {
      for (const auto& h : s.hosts) {
        if (h.is_default) continue;
        if (h.host.starts_with("*.")) wildcards.push_back(h.host);
        else exact.insert(h.host);
      }
    }
    for (const auto& m : f->file().migrations) {
      if (m.on_host) on.insert(m.on_host->text);
    }
  }
  std::vector<std::pair<std::string, std::string>> samples;  // (host, shown)
  for (const auto& h : exact) samples.emplace_back(h, h);
  for (const auto& h : on) {
    if (!exact.count(h)) samples.emplace_back(h, h);
  }
  std::sort(wildcards.begin(), wildcards.end());
  wildcards.erase(std::unique(wildcards.begin(), wildcards.end()), wildcards.end());
  for (const auto& w : wildcards) {
    // A label under the wildcard that names no host of its own.
    for (int i = 0;; ++i) {
      std::string h = (i == 0 ? std::string("www") : "www" + std::to_string(i)) + w.substr(1);
      if (!exact.count(h) && !on.count(h)) {
        samples.emplace_back(h, w);
        break;
      }
    }
  }
  samples.emplace_back(kOtherHost, "any other host");
  std::vector<HostClass> out;
  std::map<std::pair<size_t, size_t>, size_t> by_sites;
  for (const auto& [host, shown] : samples) {
    size_t x = a.site_for_host(host), y = b.site_for_host(host);
    if (x == SIZE_MAX && y == SIZE_MAX) continue;  // 404 on both sides
    if (!on.count(host)) {
      auto [it, fresh] = by_sites.try_emplace({x, y}, out.size());
      if (!fresh) {
        out[it->second].shown.push_back(shown);
        continue;
      }
    }
    out.push_back({host, {shown}, x, y});
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::vector<std::string> lines_after_first(const std::string& dump) {
  std::vector<std::string> out;
  size_t pos = dump.find('\n');
  while (pos != std::string::npos && pos + 1 < dump.size()) {
    size_t end = dump.find('\n', pos + 1);
    std::string line = dump.substr(pos + 1, end - pos - 1);
    size_t indent = line.find_first_not_of(' ');
    if (indent != std::string::npos) out.push_back(line.substr(indent));
    pos = end;
  }
  return out;
}

// "- x" for what only `before` has, "+ y" for what only `after` has, in order.
std::vector<std::string> item_diff(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  std::vector<std::string> out;
  for (const auto& s : before) {
    if (std::find(after.begin(), after.end(), s) == after.end()) out.push_back("- " + s);
  }
  for (const auto& s : after) {
    if (std::find(before.begin(), before.end(), s) == before.end()) out.push_back("+ " + s);
  }
  return out;
}

std::string site_dump(const ast::File& f, size_t site) {
  if (site == SIZE_MAX) return "none";
  std::string out;
  for (const auto& r : f.sites[site].routes) out += ast::dump_route(r);
  return out;
}

bool proxies_to_any(const ast::Site& site, const std::set<std::string>& upstreams) {
  return std::any_of(site.routes.begin(), site.routes.end(), [&](const ast::Route& r) {
    return r.action.kind == ast::ActionKind::Proxy && upstreams.count(r.action.upstream.text);
  });
}

const ast::Tls* tls_of(const ast::File& f, size_t site) {
  if (site == SIZE_MAX || !f.sites[site].tls) return nullptr;
  for (const auto& t : f.tls) {
    if (t.name.text == f.sites[site].tls->text) return &t;
  }
  return nullptr;
}

std::string moved_words(const ast::File& f, const std::string& migration) {
  for (const auto& m : f.migrations) {
    if (m.name.text != migration) continue;
    std::vector<std::string> paths;
    for (const auto& p : m.paths) paths.push_back(p.kind == ast::PathKind::Regex ? "~ \"" + p.pattern + "\"" : p.pattern);
    return join(paths, ", ");
  }
  return "";
}

class Differ {
 public:
  Differ(const ast::File& a, const ast::File& b, const DiffOptions& o) : a_(a), b_(b), o_(o) {}

  DiffResult run() {
    // The `from` upstreams of the migrations that differ between the files.
    auto collect = [&](const ast::File& x, const ast::File& y) {
      for (const auto& m : x.migrations) {
        bool same = std::any_of(y.migrations.begin(), y.migrations.end(), [&](const ast::Migration& n) {
          return ast::dump_migration(n) == ast::dump_migration(m);
        });
        if (!same) changed_from_.insert(m.from.text);
      }
    };
    collect(a_.file(), b_.file());
    collect(b_.file(), a_.file());
    for (const HostClass& c : host_classes(a_, b_)) {
      tls(c);
      requests(c);
    }
    upstreams();
    std::stable_sort(out_.changes.begin(), out_.changes.end(), [](const Change& x, const Change& y) {
      if (x.kind != y.kind) return x.kind > y.kind;
      return std::tie(x.hosts, x.requests) < std::tie(y.hosts, y.requests);
    });
    return std::move(out_);
  }

 private:
  void requests(const HostClass& c) {
    // The same routes and migrations on both sides: every request's outcome is the same
    // function of it, regexes or not.
    // With changed migrations, only a site with a route to one of their `from`
    // upstreams can see a different split.
    if (site_dump(a_.file(), c.before) == site_dump(b_.file(), c.after) &&
        (c.before == SIZE_MAX || !proxies_to_any(a_.file().sites[c.before], changed_from_)))
      return;
    // Every rule of both sides, each marked changed (no rule of the other side has
    // the same dump) or not; moved paths count as changed when their migration is.
    analysis::SiteRules all;
    std::vector<bool> changed;
    std::vector<std::string> other_routes[2], other_migrations[2];
    for (int side = 0; side < 2; ++side) {
      const FileModel& f = side == 0 ? b_ : a_;  // the other side of `side`
      size_t site = side == 0 ? c.after : c.before;
      if (site != SIZE_MAX) {
        for (const auto& r : f.file().sites[site].routes) other_routes[side].push_back(ast::dump_route(r));
      }
      for (const auto& m : f.file().migrations) other_migrations[side].push_back(ast::dump_migration(m));
    }
    auto take = [](std::vector<std::string>& pool, const std::string& dump) {
      auto it = std::find(pool.begin(), pool.end(), dump);
      if (it == pool.end()) return false;
      pool.erase(it);
      return true;
    };
    for (int side = 0; side < 2; ++side) {
      const FileModel& f = side == 0 ? a_ : b_;
      size_t site = side == 0 ? c.before : c.after;
      if (site != SIZE_MAX) {
        for (const auto& r : f.model().sites[site].rules) {
          if (!r.usable) continue;
          all.rules.push_back(r);
          changed.push_back(!take(other_routes[side], ast::dump_route(*r.route)));
        }
      }
      for (size_t m = 0; m < f.model().moved.size(); ++m) {
        const auto& pool = other_migrations[side];
        bool same = std::find(pool.begin(), pool.end(), ast::dump_migration(f.file().migrations[m])) != pool.end();
        for (const auto& r : f.model().moved[m]) {
          all.rules.push_back(r);
          changed.push_back(!same);
        }
      }
    }
    analysis::SiteVocabulary vocab(all);
    std::vector<analysis::Request> tries;
    std::vector<bool> complete_rule(all.rules.size(), true);
    for (size_t i = 0; i < all.rules.size(); ++i) {
      const auto& r = all.rules[i];
      auto s = analysis::request_samples(r, nullptr, c.host, vocab);
      complete_rule[i] = s.complete;
      // A regex's edges: each quantifier at its bounds and one past them, with the
      // headers of the rule's first sample, so `[0-9]+` against `[0-9]{1,4}` meets
      // a five-digit path.
      if (r.cls == analysis::PathClass::Regex && !s.requests.empty()) {
        for (const auto& b : analysis::regex_boundary_samples(r.pattern)) {
          analysis::Request q = s.requests.front();
          q.path = b.starts_with('/') ? b : "/" + b;
          tries.push_back(std::move(q));
        }
      }
      for (auto& q : s.requests) tries.push_back(std::move(q));
    }
    // Which incomplete rules leave the answer unproven: a changed one, or an unchanged
    // one that some changed rule may share a path with. Every path a rule matches
    // starts with its literal prefix (route_model.h), so two rules whose prefixes are
    // not one a prefix of the other share no path; a request only unchanged rules can
    // match has the same winner, hence the same outcome, on both sides.
    auto may_meet = [](const analysis::Rule& x, const analysis::Rule& y) {
      return x.literal.starts_with(y.literal) || y.literal.starts_with(x.literal);
    };
    // The requests a changed rule shares with each rule that may meet it: with `= /a`
    // removed, `GET /a` goes to 404 but `GET /a` with `X-A: 1` to the glob `/*` that
    // wants that header; a moved prefix's requests that a glob takes are split only
    // if that glob proxies to the migration's `from`. (The ambiguity check's pair
    // samples: requests both rules match.) Bounded: past DiffOptions::max_pairs the answer
    // says it hit a budget.
    size_t pairs = 0;
    for (size_t i = 0; i < all.rules.size(); ++i) {
      if (!changed[i]) continue;
      for (size_t j = 0; j < all.rules.size(); ++j) {
        const auto& other = all.rules[j];
        if (j == i || !may_meet(all.rules[i], other)) continue;
        if (++pairs > o_.max_pairs) {
          complete_rule[i] = false;
          break;
        }
        auto s = analysis::request_samples(all.rules[i], &other, c.host, vocab);
        complete_rule[i] = complete_rule[i] && s.complete;
        for (auto& q : s.requests) tries.push_back(std::move(q));
      }
    }
    std::vector<std::string> unproven;
    for (size_t i = 0; i < all.rules.size(); ++i) {
      if (complete_rule[i]) continue;
      bool matters = changed[i];
      for (size_t j = 0; j < all.rules.size() && !matters; ++j) matters = changed[j] && may_meet(all.rules[i], all.rules[j]);
      if (!matters) continue;
      const auto& r = all.rules[i];
      if (r.cls == analysis::PathClass::Regex) unproven.push_back("~ \"" + r.pattern + "\"");
      for (const auto& t : r.tests) {
        if (t.match == ast::ValueMatchKind::Regex) unproven.push_back(t.name + " ~ \"" + t.value + "\"");
      }
      if (r.cls != analysis::PathClass::Regex && r.tests.empty()) unproven.push_back("");
    }
    bool complete = unproven.empty();
    // Requests no route takes, where there are any: a fresh segment; a path of fresh
    // segments one deeper than every glob (`/x` can be a parameter route's), which no
    // exact route, no glob without `**` (a glob matches as many segments as it has) and
    // no prefix but `/` takes; the root, which `/:id/**` does not take. Each also with a
    // method no route lists, which routes limited to methods refuse.
    size_t deepest = 0;
    for (const auto& r : all.rules) {
      if (r.cls == analysis::PathClass::Glob) deepest = std::max(deepest, r.glob.size());
    }
    std::string deep;
    for (size_t k = 0; k <= deepest; ++k) deep += "/" + vocab.fresh_segment();
    for (const std::string& path : {"/" + vocab.fresh_segment(), deep, std::string("/")}) {
      for (const std::string& method : {std::string("GET"), vocab.unlisted_method()}) {
        analysis::Request unmatched;
        unmatched.host = c.host;
        unmatched.method = method;
        unmatched.path = path;
        tries.push_back(std::move(unmatched));
      }
    }
    std::set<std::string> seen;
    std::string hosts = join(c.shown, ", ");
    for (const auto& q : tries) {
      if (!seen.insert(q.describe()).second) continue;
      ++out_.requests_tried;
      compare(q, hosts, complete);
    }
    if (!complete) {
      std::sort(unproven.begin(), unproven.end());
      unproven.erase(std::unique(unproven.begin(), unproven.end()), unproven.end());
      if (!unproven.empty() && unproven.front().empty()) unproven.erase(unproven.begin());
      if (unproven.empty()) {  // a budget of samples.cpp, or a value no free neighbour was found for
        out_.uncertain.push_back("on " + hosts +
                                 ": the sample requests hit a budget, so the search is not exhaustive; a change may "
                                 "be missing from this list");
      } else {
        out_.uncertain.push_back("on " + hosts + ": regexes (" + join(unproven, ", ") +
                                 ") keep the search from being exhaustive; requests they match may change without "
                                 "being listed");
      }
    }
  }

  void compare(const analysis::Request& q, const std::string& hosts, bool complete) {
    Outcome x = outcome_of(a_, q, o_.now_ms), y = outcome_of(b_, q, o_.now_ms);
    std::vector<std::string> details;
    std::vector<ChangeKind> kinds;
    if (x.destination != y.destination) kinds.push_back(ChangeKind::Destination);
    if (x.split != y.split) kinds.push_back(ChangeKind::Split);
    if (x.policy != y.policy) {
      kinds.push_back(ChangeKind::Policy);
      details = item_diff(x.policy, y.policy);
    }
    if (x.route_text != y.route_text) {
      kinds.push_back(ChangeKind::Route);
      details.insert(details.begin(), "route " + (x.route_text.empty() ? "none" : x.route_text) + " -> " +
                                          (y.route_text.empty() ? "none" : y.route_text));
    }
    if (kinds.empty()) return;
    std::string key = hosts + '\0' + x.route_text + '\0' + y.route_text + '\0' + x.where() + '\0' + y.where() + '\0' +
                      join(details, "\n");
    auto [it, fresh] = groups_.try_emplace(key, out_.changes.size());
    if (!fresh) return;
    Change ch;
    ch.kinds = kinds;
    ch.kind = *std::max_element(kinds.begin(), kinds.end());
    ch.hosts = hosts;
    const Outcome& named = y.route ? y : x;
    ch.requests = named.route_text.empty() ? "every request" : named.route_text;
    if (x.route && y.route && x.route_text != y.route_text) ch.requests += " (was " + x.route_text + ")";
    if (x.split != y.split) {
      const std::string& mig = y.migration.empty() ? x.migration : y.migration;
      const ast::File& f = y.migration.empty() ? a_.file() : b_.file();
      ch.requests += " moved by \"" + mig + "\" (" + moved_words(f, mig) + ")";
    }
    ch.before = x.where();
    ch.after = y.where();
    ch.details = std::move(details);
    ch.example = q;
    ch.has_example = true;
    ch.certain = complete;
    out_.changes.push_back(std::move(ch));
  }

  void tls(const HostClass& c) {
    const ast::Tls* x = tls_of(a_.file(), c.before);
    const ast::Tls* y = tls_of(b_.file(), c.after);
    auto lines = [](const ast::Tls* t) { return t ? lines_after_first(ast::dump_tls(*t)) : std::vector<std::string>{}; };
    auto lx = lines(x), ly = lines(y);
    if (lx == ly) return;
    Change ch;
    ch.kind = ChangeKind::Tls;
    ch.kinds = {ChangeKind::Tls};
    ch.hosts = join(c.shown, ", ");
    ch.requests = "every request over https";
    ch.before = x ? "tls " + x->name.text : "no tls";
    ch.after = y ? "tls " + y->name.text : "no tls";
    ch.details = item_diff(lx, ly);
    out_.changes.push_back(std::move(ch));
  }

  void upstreams() {
    for (const auto& u : a_.file().upstreams) {
      for (const auto& v : b_.file().upstreams) {
        if (u.name.text != v.name.text) continue;
        auto lu = lines_after_first(ast::dump_upstream(u)), lv = lines_after_first(ast::dump_upstream(v));
        if (lu == lv) continue;
        Change ch;
        ch.kind = ChangeKind::Upstream;
        ch.kinds = {ChangeKind::Upstream};
        ch.requests = "every request proxied to " + u.name.text;
        ch.before = ch.after = "upstream " + u.name.text;
        ch.details = item_diff(lu, lv);
        out_.changes.push_back(std::move(ch));
      }
    }
  }

  FileModel a_, b_;
  const DiffOptions& o_;
  DiffResult out_;
  std::map<std::string, size_t> groups_;
  std::set<std::string> changed_from_;
};

}  // namespace

std::string_view kind_name(ChangeKind k) {
  switch (k) {
    case ChangeKind::Destination: return "destination";
    case ChangeKind::Split: return "split";
    case ChangeKind::Upstream: return "upstream";
    case ChangeKind::Tls: return "tls";
    case ChangeKind::Policy: return "policy";
    case ChangeKind::Route: return "route";
  }
  return "?";
}

DiffResult diff_files(const ast::File& before, const ast::File& after, const DiffOptions& options) {
  return Differ(before, after, options).run();
}

std::string describe_outcome(const ast::File& file, const analysis::Request& req, const DiffOptions& options) {
  FileModel f(file);
  Outcome o = outcome_of(f, req, options.now_ms);
  std::string out = "route " + (o.route_text.empty() ? "none" : o.route_text) + "\n" + "goes  " + o.where() + "\n";
  for (const auto& p : o.policy) out += "      " + p + "\n";
  return out;
}

}  // namespace banyan::diff
