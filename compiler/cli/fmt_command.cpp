// `banyanc fmt`: format files in place, print them (--stdout), or check them and
// show a unified diff of what would change (--check). Exit 0: formatted (or
// rewritten); 1: --check found a file not formatted; 2: a syntax error, a usage or an
// I/O error, so CI can tell "run fmt" from "this does not parse".
#include <filesystem>
#include <fstream>
#include <iostream>

#include "compiler/cli/commands.h"
#include "compiler/diag/render.h"
#include "compiler/format/format_file.h"
#include "compiler/format/line_diff.h"
#include "compiler/parse/parse_file.h"
#include "compiler/source/file_reader.h"

namespace banyan::cli {
namespace {

bool write_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".banyanc-fmt.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << text;
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
  return !ec;
}

}  // namespace

int fmt_command(const std::vector<std::string>& args) {
  bool check = false, to_stdout = false;
  std::vector<std::string> files;
  for (const auto& a : args) {
    if (a == "--check") check = true;
    else if (a == "--stdout") to_stdout = true;
    else if (!a.empty() && a[0] == '-') {
      std::cerr << "banyanc fmt: unknown option '" << a << "'\nusage: banyanc fmt [--check | --stdout] FILE...\n";
      return 2;
    } else files.push_back(a);
  }
  if (files.empty() || (check && to_stdout)) {
    std::cerr << "usage: banyanc fmt [--check | --stdout] FILE...\n";
    return 2;
  }
  int status = 0;
  source::DiskFileReader reader;
  parse::Limits limits;
  for (const auto& path : files) {
    std::string error;
    auto text = reader.read(path, limits.max_file_bytes, error);
    if (!text) {
      std::cerr << "banyanc fmt: cannot read '" << path << "': " << error << "\n";
      return 2;
    }
    source::SourceManager sm;
    diag::DiagnosticSink sink;
    source::FileId id = sm.add(path, *text);
    parse::ParsedFile parsed = parse::parse_file(sm.file(id), sink, limits);
    if (!parsed.syntax_ok) {
      std::cerr << diag::render_text(sink.all(), sm) << "banyanc fmt: " << path
                << " has syntax errors; fix them before formatting\n";
      status = 2;  // an error, as for `check` with a file it cannot read: 1 means only "not formatted"
      continue;
    }
    std::string formatted = format::format_tokens(parsed.tokens);
    if (to_stdout) {
      std::cout << formatted;
    } else if (check) {
      if (formatted != *text) {
        std::cout << format::unified_diff(*text, formatted, path, path + " (formatted)");
        status = std::max(status, 1);
      }
    } else if (formatted != *text && !write_atomically(path, formatted)) {
      std::cerr << "banyanc fmt: cannot write '" << path << "'\n";
      return 2;
    }
  }
  return status;
}

}  // namespace banyan::cli
