// Helpers for data-driven tests: find files in the source tree, read them, run the
// pipeline on text held in memory.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
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

// Runs the whole check pipeline on `text` as the file `name` (a relative name), as if
// it were in tests/fixtures/: the files it names (certificates, keys, includes) are
// read from there, so `certificate "certs/example.pem"` finds the test certificate.
struct Checked {
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  CheckResult result;
};
void check_text(Checked& out, const std::string& name, const std::string& text, const CheckOptions& options = {});
// The same with several files in memory (`files` by the names includes use), from `root`.
void check_files(Checked& out, const std::string& root, const std::map<std::string, std::string>& files,
                 const CheckOptions& options = {});
// Runs it on a file on disk, with its includes.
void check_disk_file(Checked& out, const std::string& path, const CheckOptions& options = {});
// Unix time of a "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" date (UTC); nullopt if malformed.
std::optional<int64_t> parse_utc(const std::string& text);

}  // namespace banyan::test
