// `banyanc migrate finish NAME FILE [--stdout]`: rewrite FILE and the files it includes
// that declare the migration or the routes it moves, with the migration turned into
// plain routes (compiler/diff/finish_migration.h), proven by the diff first.
// Exit 0: written (or printed); 1: refused, with the reason; 2: usage, I/O or errors.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "compiler/cli/commands.h"
#include "compiler/cli/time_arg.h"
#include "compiler/diff/finish_migration.h"

namespace banyan::cli {
namespace {

// Every file written beside itself first, then each renamed over the original: a
// failure while writing leaves every file as it was (and no temporary file behind).
// Renames within a directory do not fail in practice; one that did would leave the
// files before it rewritten, and says which.
bool write_all(const std::vector<diff::FinishedFile>& files) {
  auto tmp = [](const diff::FinishedFile& f) { return f.path + ".banyanc-migrate.tmp"; };
  for (const auto& f : files) {
    std::ofstream out(tmp(f), std::ios::binary | std::ios::trunc);
    out << f.text;
    if (!out.flush()) {
      std::cerr << "banyanc migrate finish: cannot write '" << tmp(f) << "'; no file was changed\n";
      for (const auto& g : files) std::filesystem::remove(tmp(g));
      return false;
    }
  }
  for (const auto& f : files) {
    std::error_code ec;
    std::filesystem::rename(tmp(f), f.path, ec);
    if (ec) {
      std::cerr << "banyanc migrate finish: cannot write '" << f.path << "': " << ec.message() << "\n";
      return false;
    }
    std::cerr << "banyanc migrate finish: rewrote " << f.path << "\n";
  }
  return true;
}

}  // namespace

int migrate_command(const std::vector<std::string>& args) {
  constexpr const char* kUsage = "usage: banyanc migrate finish NAME FILE.routes [--stdout]\n";
  bool to_stdout = false;
  std::vector<std::string> words;
  for (const auto& a : args) {
    if (a == "--stdout") to_stdout = true;
    else if (!a.empty() && a[0] == '-') {
      std::cerr << "banyanc migrate: unknown option '" << a << "'\n" << kUsage;
      return 2;
    } else words.push_back(a);
  }
  if (words.size() != 3 || words[0] != "finish") {
    std::cerr << kUsage;
    return 2;
  }
  source::DiskFileReader reader;
  diff::FinishResult r = diff::finish_migration(words[2], words[1], reader, clock_now_ms());
  if (r.status != 0) {
    std::cerr << r.error << (r.error.ends_with('\n') ? "" : "\n");
    if (r.status == 1) std::cerr << "banyanc migrate finish: no file was changed\n";
    return r.status;
  }
  if (to_stdout) {
    // One file as it is; several each after a comment naming it.
    for (const auto& f : r.files) std::cout << (r.files.size() > 1 ? "# " + f.path + "\n" : "") << f.text;
  } else if (!write_all(r.files)) {
    return 2;
  }
  std::cerr << "banyanc migrate finish: \"" << words[1] << "\" is now plain routes to its new upstream; proven by the diff: "
            << r.proof << ", each a moved request now on the new upstream\n";
  return 0;
}

}  // namespace banyan::cli
