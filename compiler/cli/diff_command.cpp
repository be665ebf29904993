// `banyanc diff OLD NEW`: both files checked (each may be REV:PATH, read from git), or
// read back from a compiled plan's sources, then compiler/diff/ finds the requests
// whose outcome changes. Exit 0: no change
// that --fail-on counts; 1: some; 2: usage, I/O, or a file with errors.
#include <iostream>
#include <memory>
#include <set>

#include "compiler/check_pipeline.h"
#include "compiler/cli/commands.h"
#include "compiler/cli/time_arg.h"
#include "compiler/diag/render.h"
#include "compiler/diff/render_diff.h"
#include "compiler/diff/route_diff.h"
#include "compiler/plan_sources.h"
#include "compiler/source/git_file_reader.h"
#include "runtime/plan/plan.h"

namespace banyan::cli {
namespace {

constexpr const char* kDiffUsage =
    "usage: banyanc diff [--format text|json|markdown] [--fail-on KINDS] [--at TIME] OLD NEW\n"
    "  OLD, NEW   routes files or compiled plans, or REV:PATH for a file as git revision REV holds it\n"
    "             (main:routes/app.routes)\n"
    "  --fail-on  which changes exit 1, comma-separated: destination split upstream tls policy route uncertain,\n"
    "             or any (the default) or none\n"
    "  --at       the time migrations' shares are shown at: a timestamp, now (the default), +1h, -30m\n";

struct Side {
  std::string spec, path;
  std::unique_ptr<source::FileReader> reader;
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  CheckResult result;
};

// A compiled plan: its routes sources, parsed again (compiler/plan_sources.h).
int load_plan(Side& s, std::string bytes) {
  plan::LoadResult loaded = plan::load_plan(bytes);
  if (!loaded.plan) {
    std::cerr << "banyanc diff: '" << s.spec << "': invalid plan: " << loaded.error << "\n";
    return 2;
  }
  std::string error;
  if (parse_plan_sources(*loaded.plan, s.sm, s.sink, s.result.ast, error)) return 0;
  std::cerr << diag::render_text(s.sink.all(), s.sm) << "banyanc diff: '" << s.spec << "' is a plan whose " << error << "\n";
  return 2;
}

// 0: checked clean (a routes file) or read back (a plan); 2: unreadable, or errors (printed).
int load(Side& s) {
  std::string revision;
  if (source::split_git_spec(s.spec, revision, s.path)) {
    s.reader = std::make_unique<source::GitFileReader>(revision);
  } else {
    s.path = s.spec;
    s.reader = std::make_unique<source::DiskFileReader>();
  }
  std::string error;
  if (auto bytes = s.reader->read(s.path, plan::kMaxPlanBytes, error);
      bytes && bytes->compare(0, sizeof plan::kMagic, plan::kMagic, sizeof plan::kMagic) == 0)
    return load_plan(s, std::move(*bytes));
  s.result = check_file(s.path, s.sm, s.sink, *s.reader);
  if (!s.result.read_ok || s.sink.error_count() > 0) {
    std::vector<diag::Diagnostic> errors;
    for (const auto& d : s.sink.all()) {
      if (d.severity == diag::Severity::Error) errors.push_back(d);
    }
    std::cerr << diag::render_text(errors, s.sm);
    if (s.result.read_ok)
      std::cerr << "banyanc diff: '" << s.spec << "' has errors (" << diag::summary_line(s.sink)
                << "); a diff is only sound between files that check clean\n";
    return 2;
  }
  return 0;
}

bool parse_fail_on(const std::string& text, std::set<std::string>& out) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string word = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    bool known = word == "any" || word == "none" || word == "uncertain";
    for (auto k : diff::kAllKinds) known = known || word == diff::kind_name(k);
    if (!known) {
      std::cerr << "banyanc diff: --fail-on takes destination, split, upstream, tls, policy, route, uncertain, any "
                   "or none, not '"
                << word << "'\n";
      return false;
    }
    if (word == "any") {
      for (auto k : diff::kAllKinds) out.insert(std::string(diff::kind_name(k)));
      out.insert("uncertain");
    } else if (word != "none") {
      out.insert(word);
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return true;
}

}  // namespace

int diff_command(const std::vector<std::string>& args) {
  std::string format = "text", at = "now";
  std::set<std::string> fail_on;
  bool fail_on_given = false;
  std::vector<std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "--format" && has_value) {
      format = args[++i];
    } else if (a == "--fail-on" && has_value) {
      fail_on_given = true;
      if (!parse_fail_on(args[++i], fail_on)) return 2;
    } else if (a == "--at" && has_value) {
      at = args[++i];
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "banyanc diff: unknown option '" << a << "'\n" << kDiffUsage;
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (format != "text" && format != "json" && format != "markdown") {
    std::cerr << "banyanc diff: --format takes text, json or markdown, not '" << format << "'\n";
    return 2;
  }
  if (files.size() != 2) {
    std::cerr << kDiffUsage;
    return 2;
  }
  if (!fail_on_given) parse_fail_on("any", fail_on);
  diff::DiffOptions options;
  std::string error;
  auto now = parse_time_arg(at, clock_now_ms(), error);
  if (!now) {
    std::cerr << "banyanc diff: --at " << error << "\n";
    return 2;
  }
  options.now_ms = *now;
  Side before, after;
  before.spec = files[0];
  after.spec = files[1];
  if (int rc = load(before)) return rc;
  if (int rc = load(after)) return rc;
  diff::DiffResult d = diff::diff_files(before.result.ast, after.result.ast, options);
  std::cout << (format == "json" ? diff::render_json(d) : format == "markdown" ? diff::render_markdown(d) : diff::render_text(d));
  bool fail = fail_on.count("uncertain") && !d.uncertain.empty();
  for (const auto& c : d.changes) {
    for (auto k : c.kinds) fail = fail || fail_on.count(std::string(diff::kind_name(k)));
  }
  return fail ? 1 : 0;
}

}  // namespace banyan::cli
