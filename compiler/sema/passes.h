// The semantic passes over a loaded AST. Each pass lives in its own file, named after
// what it checks, and only reads the AST. The order they run in is check_file() in
// compiler/check_pipeline.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/source/file_reader.h"
#include "compiler/source/source_file.h"

namespace banyan::analysis {
struct RouteModel;
}

namespace banyan::sema {

// What every pass may read. Passes never write the AST.
struct Context {
  const ast::File& file;
  const analysis::RouteModel& model;  // `file`'s routes as rules (analysis/route_model.h)
  const source::SourceManager& sm;  // to find the file a declaration was written in
  source::FileReader& reader;       // for files the routes name (certificates, keys)
  int64_t now_unix = 0;             // "now" for certificate expiry (fixed in tests)
  source::FileId root = source::kNoFile;  // the file checked, as opposed to the files it includes
  bool syntax_ok = true;                  // false: some declarations or references were lost
  size_t errors_before = 0;               // errors in the sink before this file (one sink may serve several)
};

using Pass = void (*)(const Context& cx, diag::DiagnosticSink& sink);

// Two upstreams, caches, tls blocks or migrations with one name; one host in two sites.
void check_duplicate_names(const Context& cx, diag::DiagnosticSink& sink);

// Every `to`, `cache`, site `tls` and migration `from`/`to` names a declaration.
void resolve_names(const Context& cx, diag::DiagnosticSink& sink);

// TLS: certificate and key files (exist, parse, match), the hosts each certificate
// covers, its validity at `now_unix`, legacy protocol versions, and that https
// listeners, `redirect https` and hsts have what they need. Reads the files the tls
// blocks name through `reader`.
void check_tls(const Context& cx, diag::DiagnosticSink& sink);

// Zero timeouts and intervals, cache zones with no room or oversized entries.
void check_values(const Context& cx, diag::DiagnosticSink& sink);

// Cache policies: methods never cached, personalised responses, cached 5xx.
void check_caching(const Context& cx, diag::DiagnosticSink& sink);

// Routing: regexes compile, no two routes tie on a request, every route is reachable;
// then migrations against the same routes (moved paths go to `from` today, no two
// migrations move one request, schedules, shadowing opt-ins, rollback thresholds).
// Lives in compiler/analysis/ with the route model it builds.
void check_routing(const Context& cx, diag::DiagnosticSink& sink);

// Last, and only on a file with no errors: an upstream, cache zone or tls block of the
// checked file that nothing names. Not in included files (they may be shared), nor
// when no file has a site (a file of declarations for others to include).
void check_unused(const Context& cx, diag::DiagnosticSink& sink);

// Also only on a file with no errors: a migration whose schedule runs on the clock
// (a shadow or shift step with `for`) but names no `start`, so each replica would
// begin it when it first loads the plan.
void check_start(const Context& cx, diag::DiagnosticSink& sink);

}  // namespace banyan::sema
