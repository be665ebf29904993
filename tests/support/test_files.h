// Helpers for data-driven tests: find files in the source tree, read them, run the
// pipeline on text held in memory.
#pragma once

#include <string>
#include <vector>

#include "compiler/check_pipeline.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/source/source_file.h"

namespace banyan::test {

std::string source_dir();
// Every file under `dir` (relative to the source tree) ending in `ext`, sorted.
std::vector<std::string> files_under(const std::string& dir, const std::string& ext);
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);
// UPDATE_GOLDEN=1 in the environment rewrites golden files instead of comparing.
bool updating_golden();

// Runs the whole check pipeline on `text` as the file `name`.
struct Checked {
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  CheckResult result;
};
void check_text(Checked& out, const std::string& name, const std::string& text);
// Runs it on a file on disk, with its includes.
void check_disk_file(Checked& out, const std::string& path);
// Runs it on `text` as if it were the file `path` on disk: the files it names
// (includes, certificates) are read from disk around it.
void check_text_at(Checked& out, const std::string& path, const std::string& text);

// The ```routes blocks of a markdown file, each with the line it starts on.
std::vector<std::pair<int, std::string>> routes_blocks(const std::string& markdown);

}  // namespace banyan::test
