// Finishing a migration: classify the routes it acts on by their samples (all moved,
// some moved, none), edit the text of the files that declare them (the root or an
// included file) by source ranges, format each edited file, check, and prove the
// result with the diff against the files as they were.
#include "compiler/diff/finish_migration.h"

#include <algorithm>
#include <map>

#include "compiler/analysis/samples.h"
#include "compiler/check_pipeline.h"
#include "compiler/diag/render.h"
#include "compiler/diff/outcome.h"
#include "compiler/diff/render_diff.h"
#include "compiler/diff/route_diff.h"
#include "compiler/format/format_file.h"
#include "compiler/parse/parse_file.h"

namespace banyan::diff {
namespace {

// The edited files as rewritten, every other file as the reader has it.
class OverlayReader : public source::FileReader {
 public:
  OverlayReader(source::FileReader& base, const std::vector<FinishedFile>& files) : base_(base), files_(files) {}
  std::optional<std::string> read(const std::string& path, size_t max_bytes, std::string& error) override {
    for (const auto& f : files_)
      if (f.path == path) return f.text.size() > max_bytes ? f.text.substr(0, max_bytes + 1) : f.text;
    return base_.read(path, max_bytes, error);
  }
  std::string canonical(const std::string& path) override { return base_.canonical(path); }

 private:
  source::FileReader& base_;
  const std::vector<FinishedFile>& files_;
};

struct Edit {
  uint32_t begin, end;
  std::string text;
};
// Each file's edits, by the file they apply to.
using Edits = std::map<source::FileId, std::vector<Edit>>;

// A statement's text to delete, [begin, end), widened to the `# banyan:allow` lines
// just above it and an annotation after its `}`: they are about it alone, and one left
// behind would silence nothing (B0801 or B0802). The line break after it goes too.
std::pair<uint32_t, uint32_t> with_annotations(std::string_view text, uint32_t begin, uint32_t end) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (end < text.size() && blank(text[end])) ++end;
  if (text.substr(end).starts_with("# banyan:allow")) end = std::min(text.size(), text.find('\n', end));
  if (end < text.size() && text[end] == '\n') ++end;
  for (;;) {  // while the line above holds only an annotation
    size_t line = begin;
    while (line > 0 && blank(text[line - 1])) --line;
    if (line == 0 || text[line - 1] != '\n') break;
    size_t above_end = line - 1;  // its '\n'
    size_t above = above_end == 0 ? 0 : text.rfind('\n', above_end - 1);
    above = above == std::string_view::npos || above_end == 0 ? 0 : above + 1;
    size_t first = above;
    while (first < above_end && blank(text[first])) ++first;
    if (!text.substr(first, above_end - first).starts_with("# banyan:allow")) break;
    begin = static_cast<uint32_t>(above);
  }
  return {begin, static_cast<uint32_t>(end)};
}

std::string slice(const source::SourceManager& sm, source::SourceRange r) {
  return std::string(sm.file(r.file).text().substr(r.begin, r.end - r.begin));
}

// Each edited file with its edits applied, in the formatter's layout (comments kept);
// false, with `error`, if one no longer parses (a bug: nothing is written).
bool rewrite(const source::SourceManager& sm, Edits& edits, std::vector<FinishedFile>& out, std::string& error) {
  for (auto& [file, list] : edits) {
    std::stable_sort(list.begin(), list.end(), [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
    std::string edited(sm.file(file).text());
    for (const auto& e : list) edited.replace(e.begin, e.end - e.begin, e.text);
    source::SourceManager fsm;
    diag::DiagnosticSink fsink;
    const std::string& path = sm.file(file).path();
    parse::ParsedFile parsed = parse::parse_file(fsm.file(fsm.add(path, edited)), fsink, {});
    if (!parsed.syntax_ok) {
      error = "the rewritten " + path + " does not parse (a bug; nothing was written):\n" + diag::render_text(fsink.all(), fsm);
      return false;
    }
    out.push_back({path, format::format_tokens(parsed.tokens)});
  }
  return true;
}

}  // namespace

FinishResult finish_migration(const std::string& path, const std::string& name, source::FileReader& reader,
                              int64_t now_ms) {
  FinishResult out;
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  CheckResult checked = check_file(path, sm, sink, reader);
  if (!checked.read_ok || sink.error_count() > 0) {
    out.status = 2;
    out.error = diag::render_text(sink.all(), sm);
    return out;
  }
  const ast::File& file = checked.ast;
  auto mit = std::find_if(file.migrations.begin(), file.migrations.end(),
                          [&](const ast::Migration& m) { return m.name.text == name; });
  if (mit == file.migrations.end()) {
    out.status = 1;
    out.error = "no migration named \"" + name + "\" in " + path;
    return out;
  }
  const ast::Migration& mig = *mit;
  const size_t mi = static_cast<size_t>(mit - file.migrations.begin());
  auto refuse = [&](std::string why) {
    out.status = 1;
    out.files.clear();
    out.error = std::move(why);
    return out;
  };
  FileModel model(file);
  Edits edits;

  for (size_t s = 0; s < file.sites.size(); ++s) {
    if (mig.on_host && model.site_for_host(mig.on_host->text) != s) continue;
    const auto& site_rules = model.model().sites[s];
    analysis::SiteRules with_moved = site_rules;
    for (const auto& r : model.model().moved[mi]) with_moved.rules.push_back(r);
    analysis::SiteVocabulary vocab(with_moved);
    const std::string host = mig.on_host ? mig.on_host->text : site_rules.sample_host;
    // The requests that stand for every request of this site (samples.h): each rule's
    // samples, the moved patterns' included.
    std::vector<analysis::Request> requests;
    for (const auto& r : with_moved.rules) {
      auto samples = analysis::request_samples(r, nullptr, host, vocab);
      if (!samples.complete)
        return refuse("which requests the migration moves is not proven (regexes or a budget, at " +
                      (r.route ? route_words(*r.route) : r.pattern) + "); finish it by hand");
      for (auto& q : samples.requests) requests.push_back(std::move(q));
    }
    for (const auto& rule : site_rules.rules) {
      const ast::Route& route = *rule.route;
      if (route.action.kind != ast::ActionKind::Proxy || route.action.upstream.text != mig.from.text) continue;
      size_t moved = 0, kept = 0;
      std::vector<bool> pattern_used(mig.paths.size(), false);
      for (auto& q : requests) {
        auto winners = model.index(s).winners(q);
        if (winners.empty() || winners.front() != &rule) continue;  // another route takes it
        bool any = false;
        for (size_t p = 0; p < model.model().moved[mi].size(); ++p) {
          if (analysis::path_matches(model.model().moved[mi][p], q.path)) {
            any = true;
            for (size_t k = 0; k < mig.paths.size(); ++k) pattern_used[k] = pattern_used[k] || mig.paths[k].pattern == model.model().moved[mi][p].pattern;
          }
        }
        (any ? moved : kept)++;
      }
      if (moved == 0) continue;
      auto& in_route_file = edits[route.range.file];
      if (kept == 0) {
        in_route_file.push_back({route.action.upstream.range.begin, route.action.upstream.range.end, mig.to.text});
        continue;
      }
      // A copy of the route for each moved pattern that takes some of its requests.
      std::string whole = slice(sm, route.range);
      for (size_t k = 0; k < mig.paths.size(); ++k) {
        if (!pattern_used[k]) continue;
        std::string copy = whole;
        uint32_t base = route.range.begin;
        auto up = route.action.upstream.range, pm = route.path.range;
        // Replace the later range first, so the earlier one's offsets hold.
        copy.replace(up.begin - base, up.end - up.begin, mig.to.text);
        copy.replace(pm.begin - base, pm.end - pm.begin, slice(sm, mig.paths[k].range));
        in_route_file.push_back({route.range.begin, route.range.begin, copy + "\n"});
      }
    }
  }
  std::string_view text = sm.file(mig.range.file).text();
  auto [begin, end] = with_annotations(text, mig.range.begin, mig.range.end);
  edits[mig.range.file].push_back({begin, end, ""});

  // The formatter's layout, then the whole check on the result.
  std::string error;
  if (!rewrite(sm, edits, out.files, error)) return refuse(std::move(error));
  OverlayReader overlay(reader, out.files);
  source::SourceManager nsm;
  diag::DiagnosticSink nsink;
  CheckResult after = check_file(path, nsm, nsink, overlay);
  if (!after.read_ok || nsink.error_count() > 0)
    return refuse("the rewritten files do not check clean, so nothing was written:\n" + diag::render_text(nsink.all(), nsm));

  // The proof: every change is a moved request that now goes to the new upstream.
  DiffOptions options;
  options.now_ms = now_ms;
  DiffResult d = diff_files(file, after.ast, options);
  if (!d.uncertain.empty()) return refuse("the diff of before and after is not proven:\n" + render_text(d));
  const std::string tag = "; migration \"" + name + "\"";
  bool unknown_progress = false;
  for (const auto& c : d.changes) {
    // Finished (100% now, by its `start`): only the split goes. Without a `start` the
    // gateway's progress is unknown here: the moved requests change destination.
    bool finished = c.before.starts_with(mig.to.text + " -> at 100%") && c.before.ends_with(tag);
    bool running = c.before.starts_with(mig.from.text + " -> " + mig.to.text + ":") && c.before.ends_with(tag);
    if (running && mig.start)
      return refuse("\"" + name + "\" is not at 100% now (" + c.before + "); finish it once it is");
    unknown_progress = unknown_progress || running;
    bool moved = finished || running;
    bool ok = moved && c.after == mig.to.text &&
              std::none_of(c.kinds.begin(), c.kinds.end(), [](ChangeKind k) { return k == ChangeKind::Policy; });
    if (!ok) {
      return refuse("finishing would change more than the moved requests' side, so nothing was written:\n" +
                    render_text(d));
    }
  }
  out.proof = summary(d);
  if (unknown_progress)
    out.proof += " (the migration has no `start`, so banyanc cannot see the gateway's progress: finish it only once "
                 "`banyan migrations list` shows it at 100%)";
  return out;
}

}  // namespace banyan::diff
