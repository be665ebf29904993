// `banyanc migrate finish NAME FILE [--stdout]`: rewrite FILE with the migration turned
// into plain routes (compiler/diff/finish_migration.h), proven by the diff first.
// Exit 0: written (or printed); 1: refused, with the reason; 2: usage, I/O or errors.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "compiler/cli/commands.h"
#include "compiler/cli/time_arg.h"
#include "compiler/diff/finish_migration.h"

namespace banyan::cli {

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
    if (r.status == 1) std::cerr << "banyanc migrate finish: " << words[2] << " was not changed\n";
    return r.status;
  }
  if (to_stdout) {
    std::cout << r.text;
  } else {
    std::string tmp = words[2] + ".banyanc-migrate.tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << r.text;
      if (!out.flush()) {
        std::cerr << "banyanc migrate finish: cannot write '" << tmp << "'\n";
        return 2;
      }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, words[2], ec);
    if (ec) {
      std::cerr << "banyanc migrate finish: cannot write '" << words[2] << "': " << ec.message() << "\n";
      return 2;
    }
  }
  std::cerr << "banyanc migrate finish: \"" << words[1] << "\" is now plain routes to its new upstream; proven by the diff: "
            << r.proof << ", each a moved request now on the new upstream\n";
  return 0;
}

}  // namespace banyan::cli
