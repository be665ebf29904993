// One file's outcome for one request: host -> site (the reference's rule), the
// SiteIndex's winner, the migration that takes it (as the plan's split_of does: the
// route proxies to the migration's `from`, the `on` host is the request's, a moved
// pattern matches the path; the first such migration in the file), and the route's
// settings from its AST dump, so every setting the dump shows is compared.
#include "compiler/diff/outcome.h"

#include <algorithm>

#include "compiler/ast/dump_ast.h"
#include "compiler/diff/route_diff.h"
#include "migrations/schedule.h"

namespace banyan::diff {
namespace {

std::string quoted(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

std::string percent(uint32_t bp) {  // 150 -> "1.5%", 5 -> "0.05%"
  std::string s = std::to_string(bp / 100);
  if (uint32_t r = bp % 100) {
    s += "." + std::string(1, static_cast<char>('0' + r / 10));
    if (r % 10) s += static_cast<char>('0' + r % 10);
  }
  return s + "%";
}

std::string path_words(const ast::PathMatcher& p) {
  switch (p.kind) {
    case ast::PathKind::Exact: return "= " + p.pattern;
    case ast::PathKind::Regex: return "~ " + quoted(p.pattern);
    default: return p.pattern;
  }
}

// The route's settings other than its matcher and action, one item each; a nested
// block (cache) is one item.
std::vector<std::string> policy_items(const ast::Route& r) {
  std::vector<std::string> out;
  std::string dump = ast::dump_route(r);
  size_t pos = dump.find('\n');  // the `route` line itself
  while (pos != std::string::npos && pos + 1 < dump.size()) {
    size_t end = dump.find('\n', pos + 1);
    std::string line = dump.substr(pos + 1, end - pos - 1);
    pos = end;
    size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos) continue;
    std::string item = line.substr(indent);
    if (indent > 6 && !out.empty()) {  // inside a block: part of the item above
      out.back() += "; " + item;
      continue;
    }
    for (const char* skip : {"method", "header ", "cookie ", "query ", "action "}) {
      if (item.starts_with(skip)) item.clear();
    }
    if (!item.empty()) out.push_back(std::move(item));
  }
  return out;
}

std::string action_words(const ast::Action& a) {
  switch (a.kind) {
    case ast::ActionKind::Proxy: return a.upstream.text;
    case ast::ActionKind::Redirect: return "redirect " + std::to_string(a.status.value) + " " + quoted(a.target.text);
    case ast::ActionKind::Respond:
      return "respond " + std::to_string(a.status.value) + (a.target.text.empty() ? "" : " " + quoted(a.target.text));
    case ast::ActionKind::None: return "no action";
  }
  return "?";
}

bool migration_takes(const FileModel& f, size_t m, const std::string& upstream, const analysis::Request& req) {
  const ast::Migration& mig = f.file().migrations[m];
  if (mig.from.text != upstream) return false;
  if (mig.on_host && mig.on_host->text != req.host) return false;
  const auto& moved = f.model().moved[m];
  return std::any_of(moved.begin(), moved.end(), [&](const analysis::Rule& r) { return analysis::path_matches(r, req.path); });
}

// With a `start`, the schedule's share is 100% at `now_ms`, hence for ever (steps
// strictly increase); without one, banyanc cannot know the gateway's progress.
bool finished_at(const ast::Migration& m, int64_t now_ms) {
  if (!m.start || m.shift.empty()) return false;
  auto start = migrations::parse_timestamp(m.start->text);
  if (!start) return false;
  std::vector<migrations::Step> steps;
  for (const auto& s : m.shift) steps.push_back({s.percent.basis_points, s.duration ? s.duration->ms : 0, s.hold});
  int64_t begin = migrations::shift_begin(*start, m.shadow_percent ? m.shadow_percent->basis_points : 0,
                                          m.shadow_duration ? m.shadow_duration->ms : 0);
  return migrations::weight_at(steps, begin, now_ms) == 10000;
}

}  // namespace

FileModel::FileModel(const ast::File& file) : file_(file), model_(analysis::build_route_model(file)) {
  index_.reserve(model_.sites.size());
  for (const auto& s : model_.sites) index_.emplace_back(s);
}

size_t FileModel::site_for_host(const std::string& host) const {
  size_t wildcard = SIZE_MAX, best = 0, fallback = SIZE_MAX;
  for (size_t s = 0; s < file_.sites.size(); ++s) {
    for (const auto& h : file_.sites[s].hosts) {
      if (h.is_default) {
        if (fallback == SIZE_MAX) fallback = s;
      } else if (h.host == host) {
        return s;
      } else if (h.host.starts_with("*.") && host.size() > h.host.size() - 1 && host.ends_with(h.host.substr(1)) &&
                 h.host.size() > best) {
        wildcard = s;
        best = h.host.size();
      }
    }
  }
  return wildcard != SIZE_MAX ? wildcard : fallback;
}

const FileModel::RouteFacts& FileModel::facts(const ast::Route& r) const {
  auto [it, fresh] = facts_.try_emplace(&r);
  if (fresh) it->second = {route_words(r), policy_items(r)};
  return it->second;
}

std::string route_words(const ast::Route& r) {
  std::string out;
  for (const auto& m : r.methods) out += m.text + " ";
  out += path_words(r.path);
  std::string preds;
  for (const auto& p : r.predicates) {
    const char* kinds[] = {"header", "cookie", "query"};
    preds += (preds.empty() ? "" : ", ") + std::string(kinds[static_cast<int>(p.kind)]) + " " + quoted(p.name.text);
    if (p.match == ast::ValueMatchKind::Equals) preds += " = " + quoted(p.value.text);
    if (p.match == ast::ValueMatchKind::Prefix) preds += " prefix " + quoted(p.value.text);
    if (p.match == ast::ValueMatchKind::Regex) preds += " ~ " + quoted(p.value.text);
  }
  if (!preds.empty()) out += " (" + preds + ")";
  return out;
}

std::string split_words(const ast::Migration& m, int64_t now_ms) {
  std::vector<migrations::Step> steps;
  for (const auto& s : m.shift) steps.push_back({s.percent.basis_points, s.duration ? s.duration->ms : 0, s.hold});
  uint32_t shadow = m.shadow_percent ? m.shadow_percent->basis_points : 0;
  int64_t shadow_for = m.shadow_duration ? m.shadow_duration->ms : 0;
  std::optional<int64_t> start;
  if (m.start) start = migrations::parse_timestamp(m.start->text);
  int64_t origin = start ? *start : 0;
  int64_t begin = migrations::shift_begin(origin, shadow, shadow_for);
  auto when = [&](int64_t t) {
    return start ? migrations::format_timestamp(t) : "start+" + migrations::format_duration(t - origin);
  };
  std::string out = m.to.text + ": ";
  // The steps as change points: (time, share).
  std::vector<std::pair<int64_t, uint32_t>> points;
  int64_t t = begin;
  for (size_t k = 0; k < steps.size(); ++k) {
    if (points.empty() || points.back().second != steps[k].basis_points) points.emplace_back(t, steps[k].basis_points);
    if (steps[k].hold || k + 1 == steps.size()) break;
    t += std::max<int64_t>(steps[k].duration_ms, 0);
  }
  std::string shift;
  if (points.empty()) {
    shift = "0% (no shift)";
  } else if (start) {
    shift = percent(migrations::weight_at(steps, begin, now_ms)) + " now";
    for (const auto& [at, bp] : points) {
      if (at > now_ms) shift += ", " + percent(bp) + " from " + when(at);
    }
  } else {
    for (const auto& [at, bp] : points) shift += (shift.empty() ? "" : ", ") + percent(bp) + " from " + when(at);
  }
  out += shift;
  if (shadow) {
    std::string s = "shadow " + percent(shadow);
    if (shadow_for <= 0) s += " with no end";
    else if (!start) s += " until " + when(origin + shadow_for);
    else if (origin + shadow_for > now_ms) s += " until " + when(origin + shadow_for);
    else s.clear();  // over
    if (!s.empty()) out += "; " + s;
  }
  const char* buckets[] = {"cookie", "header", "query", "client_ip", "request_id"};
  out += "; bucket " + std::string(buckets[static_cast<int>(m.bucket)]) +
         (m.bucket_key.text.empty() ? "" : " " + quoted(m.bucket_key.text));
  if (m.testers) {
    out += std::string("; testers ") + (m.testers->cookie ? "cookie " : "header ") + quoted(m.testers->name.text) + " " +
           quoted(m.testers->value.text);
  }
  return out;
}

Outcome outcome_of(const FileModel& f, const analysis::Request& req, int64_t now_ms) {
  Outcome out;
  size_t site = f.site_for_host(req.host);
  if (site == SIZE_MAX) {
    out.destination = "404 (no site for this host)";
    return out;
  }
  auto winners = f.index(site).winners(req);
  if (winners.empty()) {
    out.destination = "404 (no route)";
    return out;
  }
  const ast::Route& r = *winners.front()->route;
  out.route = &r;
  const auto& facts = f.facts(r);
  out.route_text = facts.words;
  out.destination = action_words(r.action);
  out.policy = facts.policy;
  if (r.action.kind == ast::ActionKind::Proxy) {
    for (size_t m = 0; m < f.file().migrations.size(); ++m) {
      if (!migration_takes(f, m, r.action.upstream.text, req)) continue;
      const ast::Migration& mig = f.file().migrations[m];
      out.migration = mig.name.text;
      if (finished_at(mig, now_ms)) {
        // Every request it moves goes to the new upstream now and from now on: that is
        // where it goes; the migration is still there (it can be paused or rolled back).
        out.destination = mig.to.text;
        out.split = "at 100% (finished; still a migration, which can be rolled back); migration " + quoted(mig.name.text);
      } else {
        out.split = split_words(mig, now_ms) + "; migration " + quoted(mig.name.text);
      }
      break;
    }
  }
  return out;
}

}  // namespace banyan::diff
