// The routing pass: lowers the routes and migrations (compiling regexes once), runs
// the analyses of each site, reports what they found, then checks the migrations on
// the same model (check_migrations.cpp).
#include <re2/re2.h>

#include "compiler/analysis/analyses.h"
#include "compiler/analysis/check_migrations.h"
#include "compiler/analysis/regex_sample.h"
#include "compiler/sema/passes.h"

namespace banyan::sema {
namespace {

using analysis::PathClass;
using analysis::Rule;

class Reporter {
 public:
  Reporter(const Context& cx, diag::DiagnosticSink& sink) : cx_(cx), sink_(sink) {}

  // "line 8", or "other.routes:8" when `r` is in another file than `from`.
  std::string where(source::SourceRange r, source::SourceRange from) const {
    if (!r.valid()) return "?";
    const auto& f = cx_.sm.file(r.file);
    std::string line = std::to_string(f.line_col(r.begin).line);
    return r.file == from.file ? "line " + line : f.path() + ":" + line;
  }

  static std::string name(const Rule& r) {
    std::string p = r.cls == PathClass::Exact ? "= " + r.pattern : r.cls == PathClass::Regex ? "~ \"" + r.pattern + "\"" : r.pattern;
    return "route " + p;
  }

  static std::string rank(const Rule& r) {
    std::string out(analysis::class_name(r.cls));
    out += r.literal.empty() ? " with no literal prefix" : " '" + r.literal + "'";
    out += ", " + std::to_string(r.rank.predicates) + (r.rank.predicates == 1 ? " predicate" : " predicates") + " each";
    return out;
  }

  // Why `w` outranks `r`, in the order the rank compares.
  static std::string why(const Rule& w, const Rule& r) {
    if (w.rank.literal != r.rank.literal)
      return "its literal prefix '" + w.literal + "' is longer than '" + r.literal + "'";
    if (w.cls != r.cls)
      return "at the same literal prefix, " + std::string(analysis::class_name(w.cls)) + " beats " +
             std::string(analysis::class_name(r.cls));
    if (w.rank.shape != r.rank.shape) return "its segments after the literal prefix are more specific";
    return "it has more predicates (" + std::to_string(w.rank.predicates) + " against " +
           std::to_string(r.rank.predicates) + ")";
  }

  void regex_problem(const analysis::RegexProblem& p) {
    if (p.too_costly) {
      sink_.report(diag::Code::RegexTooCostly, p.range,
                   "regex compiles to " + std::to_string(p.program_size) + " instructions; the budget is " +
                       std::to_string(analysis::kMaxRegexProgramSize) +
                       " (simplify it: bounded repeats like {1,1000} and large classes multiply its size)");
      return;
    }
    std::string msg = p.error;
    if (!p.fragment.empty() && msg.ends_with(": " + p.fragment)) msg.resize(msg.size() - p.fragment.size() - 2);
    source::SourceRange at = inside_string(p.range, p.pattern, p.fragment);
    sink_.report(diag::Code::BadRegex, at,
                 "invalid regex: " + msg + (p.fragment.empty() ? "" : " at '" + p.fragment + "'"));
  }

  void conflict(const analysis::Conflict& c) {
    const Rule* first = c.a;
    const Rule* second = c.b;
    if (second->route->path.range.begin < first->route->path.range.begin && second->route->path.range.file == first->route->path.range.file)
      std::swap(first, second);
    source::SourceRange at = second->route->path.range;
    if (c.duplicate) {
      auto& d = sink_.report(diag::Code::DuplicateRoute, at,
                             name(*second) + " repeats the route on " + where(first->route->path.range, at) +
                                 ": same path and same predicates, so no request can choose between them");
      d.notes.push_back({first->route->path.range, "the first one is here; remove one, or merge them"});
      return;
    }
    if (c.certain) {
      auto& d = sink_.report(diag::Code::AmbiguousRoutes, at,
                             name(*second) + " and the route on " + where(first->route->path.range, at) +
                                 " both match `" + c.example.describe() + "` at equal rank (" + rank(*second) +
                                 "), and order in the file never decides");
      d.notes.push_back({first->route->path.range, "the other route; give one of them a predicate the other "
                                                   "lacks, or a more specific path"});
      return;
    }
    auto& d = sink_.report(diag::Code::RegexMayOverlap, at,
                           name(*second) + " may overlap the route on " + where(first->route->path.range, at) +
                               " at equal rank (" + rank(*second) +
                               "): no request matching both was found, and regexes keep Banyan from ruling one out");
    d.notes.push_back({first->route->path.range,
                       "the other route; if the two can never match one request, say why with `# banyan:allow B0406 "
                       "\"reason\"` on the route this warning points at"});
  }

  void unreachable(const analysis::Unreachable& u) {
    const Rule& r = *u.rule;
    source::SourceRange at = r.route->path.range;
    if (u.no_request) {
      sink_.report(u.certain ? diag::Code::ShadowedRoute : diag::Code::MaybeUnreachable, at,
                   name(r) + (u.certain ? " matches no request: its predicates contradict each other"
                                        : " may match no request: no request passing all its tests was found"));
      return;
    }
    std::string msg = u.certain ? name(r) + " is never chosen: more specific routes take every request it matches"
                                : name(r) + " may never be chosen: every request Banyan tried went to a more specific "
                                            "route (regexes keep the search from being exhaustive)";
    auto& d = sink_.report(u.certain ? diag::Code::ShadowedRoute : diag::Code::MaybeUnreachable, at, msg);
    for (const auto& [req, w] : u.taken_by) {
      d.notes.push_back({w->route->path.range, "`" + req.describe() + "` goes to this " +
                                                   std::string(analysis::class_name(w->cls)) + " route: " + why(*w, r)});
    }
  }

  void unanchored(const Rule& r) {
    source::SourceRange at = string_token(r.route->path.range);
    std::string example;
    for (const auto& s : analysis::regex_samples(r.pattern)) {
      if (analysis::path_matches(r, "/x" + s)) {
        example = " (`/x" + s + "` matches too)";
        break;
      }
    }
    auto& d = sink_.report(diag::Code::UnanchoredRegex, at,
                           "regex starts with '/' but not with '^', so it matches anywhere in the path" + example +
                               "; anchor it with '^' to match from the start");
    d.fixit = diag::FixIt{{at.file, at.begin + 1, at.begin + 1}, "^"};
  }

 private:
  // `~ "..."` -> the string token within it.
  source::SourceRange string_token(source::SourceRange r) const {
    if (!r.valid()) return r;
    std::string_view src = cx_.sm.file(r.file).text().substr(r.begin, r.end - r.begin);
    size_t q = src.find('"');
    return q == std::string_view::npos ? r : source::SourceRange{r.file, r.begin + static_cast<uint32_t>(q), r.end};
  }

  // The part of a string literal's source that holds `fragment` of its unescaped text.
  source::SourceRange inside_string(source::SourceRange lit, const std::string& text, const std::string& fragment) const {
    lit = string_token(lit);
    size_t pos = fragment.empty() ? std::string::npos : text.find(fragment);
    if (pos == std::string::npos || !lit.valid()) return lit;
    std::string_view src = cx_.sm.file(lit.file).text().substr(lit.begin, lit.end - lit.begin);
    // Walk the source after the opening quote; each escape is one unescaped byte.
    size_t raw = 1, cooked = 0;
    auto advance_to = [&](size_t target) {
      while (cooked < target && raw < src.size()) {
        raw += src[raw] == '\\' ? 2 : 1;
        ++cooked;
      }
      return static_cast<uint32_t>(std::min(raw, src.size()));
    };
    uint32_t b = advance_to(pos);
    uint32_t e = advance_to(pos + fragment.size());
    if (src.empty() || src[0] != '"' || e <= b) return lit;
    return {lit.file, lit.begin + b, lit.begin + e};
  }

  const Context& cx_;
  diag::DiagnosticSink& sink_;
};

}  // namespace

void check_routing(const Context& cx, diag::DiagnosticSink& sink) {
  Reporter report(cx, sink);
  const analysis::RouteModel& model = cx.model;
  for (const auto& p : model.problems) report.regex_problem(p);
  std::vector<analysis::SiteVocabulary> vocab;
  std::vector<analysis::SiteIndex> index;
  for (const auto& site : model.sites) {
    for (const auto& r : site.rules) {
      if (r.usable && r.cls == PathClass::Regex && !r.pattern.empty() && r.pattern[0] == '/') report.unanchored(r);
    }
    vocab.emplace_back(site);
    index.emplace_back(site);
    for (const auto& c : analysis::find_conflicts(site, vocab.back())) report.conflict(c);
    for (const auto& u : analysis::find_unreachable(site, index.back(), vocab.back()).unreachable) report.unreachable(u);
  }
  analysis::check_migrations(cx, model, vocab, index, sink);
}

}  // namespace banyan::sema
