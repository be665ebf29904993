// `banyanc check` and `banyanc dump-ast`: run the pipeline, print diagnostics.
#include <iostream>

#include "compiler/ast/dump_ast.h"
#include "compiler/check_pipeline.h"
#include "compiler/cli/commands.h"
#include "compiler/diag/render.h"

namespace banyan::cli {

int check_command(const std::vector<std::string>& args) {
  std::string format = "text";
  bool werror = false;
  std::vector<std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--werror") {
      werror = true;
    } else if (a == "--format" && i + 1 < args.size()) {
      format = args[++i];
    } else if (a.rfind("--format=", 0) == 0) {
      format = a.substr(9);
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "banyanc check: unknown option '" << a << "'\n";
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (format != "text" && format != "json" && format != "sarif") {
    std::cerr << "banyanc check: --format takes text, json or sarif, not '" << format << "'\n";
    return 2;
  }
  if (files.empty()) {
    std::cerr << "banyanc check: no files given\nusage: banyanc check [--format text|json|sarif] [--werror] FILE...\n";
    return 2;
  }

  source::SourceManager sm;
  diag::DiagnosticSink sink;
  source::DiskFileReader reader;
  bool io_error = false;
  for (const auto& f : files) {
    if (!check_file(f, sm, sink, reader).read_ok) io_error = true;
  }

  if (format == "json") std::cout << diag::render_json(sink.all(), sm);
  else if (format == "sarif") std::cout << diag::render_sarif(sink.all(), sm);
  else std::cerr << diag::render_text(sink.all(), sm);

  if (format == "text" && !sink.all().empty())
    std::cerr << diag::summary_line(sink) << "\n";
  if (io_error) return 2;
  return sink.error_count() > 0 || (werror && sink.warning_count() > 0) ? 1 : 0;
}

int dump_ast_command(const std::vector<std::string>& args) {
  bool positions = true;
  std::string file;
  for (const auto& a : args) {
    if (a == "--no-positions") positions = false;
    else if (file.empty() && !a.empty() && a[0] != '-') file = a;
    else {
      std::cerr << "usage: banyanc dump-ast [--no-positions] FILE\n";
      return 2;
    }
  }
  if (file.empty()) {
    std::cerr << "usage: banyanc dump-ast [--no-positions] FILE\n";
    return 2;
  }
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  source::DiskFileReader reader;
  CheckResult r = check_file(file, sm, sink, reader);
  std::cerr << diag::render_text(sink.all(), sm);
  if (!r.read_ok) return 2;
  std::cout << ast::dump_ast(r.ast, positions ? &sm : nullptr);
  return sink.error_count() > 0 ? 1 : 0;
}

}  // namespace banyan::cli
