// The compiler's pipeline, as one list: load (parse with includes), then each
// semantic pass in order. Every pass runs even after errors, so one run reports
// every mistake; passes skip what earlier ones could not build.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/parse/parse_file.h"
#include "compiler/source/file_reader.h"
#include "compiler/source/source_file.h"

namespace banyan {
namespace analysis {
struct RouteModel;
}

struct CheckResult {
  CheckResult() = default;
  CheckResult(CheckResult&&) = default;  // the AST's records stay where they are
  CheckResult& operator=(CheckResult&&) = default;
  CheckResult(const CheckResult&) = delete;  // a copy's model would point into the original
  CheckResult& operator=(const CheckResult&) = delete;

  ast::File ast;
  // The routing model of `ast` (its rules point into it), built once for the passes
  // and for the plan's emitter. Null when the file could not be read.
  std::shared_ptr<const analysis::RouteModel> model;
  bool read_ok = false;    // false: the root file could not be read (an I/O error)
  bool syntax_ok = false;
};

struct CheckOptions {
  parse::Limits limits;
  std::optional<int64_t> now_unix;  // default: the clock; tests fix it
};

CheckResult check_file(const std::string& path, source::SourceManager& sm, diag::DiagnosticSink& sink,
                       source::FileReader& reader, const CheckOptions& options = {});

}  // namespace banyan
