// banyanc: the Banyan routes compiler. Dispatches to a subcommand.
#include <iostream>
#include <string>
#include <vector>

#include "compiler/cli/commands.h"
#include "runtime/plan/format.h"
#include "runtime/version.h"

namespace {

constexpr const char* kUsage =
    "usage: banyanc <command> [options] FILE...\n"
    "\n"
    "commands:\n"
    "  check [--format text|json|sarif] [--werror] FILE...   report every mistake in routes files\n"
    "  fmt [--check | --stdout] FILE...                      rewrite files in the canonical layout\n"
    "  compile FILE.routes -o FILE.plan                      check, then write the compiled plan\n"
    "  explain [--format text|dot] FILE                      a plan (or a routes file's) with its decision tree\n"
    "  route FILE METHOD URL [-H 'Name: value']... [--client-ip ADDR] [--at TIME]\n"
    "                                                        which route a request takes, and why\n"
    "  diff [--format text|json|markdown] [--fail-on KINDS] OLD NEW\n"
    "                                                        which requests a change sends elsewhere (OLD may be REV:PATH)\n"
    "  migrate finish NAME FILE [--stdout]                   a migration at 100% becomes plain routes (proven by diff)\n"
    "  dump-ast [--no-positions] FILE                        print the syntax tree\n"
    "\n"
    "  --version                                             the release and the plan format it writes\n"
    "\n"
    "exit status: 0 clean, 1 errors found (unformatted with fmt --check; a change with diff), 2 usage or I/O\n"
    "error (and a syntax error for fmt; a file with errors for diff)\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::cout << "banyanc " << banyan::kReleaseVersion << " (writes plan format " << banyan::plan::kFormatVersion << ")\n";
    return 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "check") return banyan::cli::check_command(args);
    if (command == "fmt") return banyan::cli::fmt_command(args);
    if (command == "dump-ast") return banyan::cli::dump_ast_command(args);
    if (command == "compile") return banyan::cli::compile_command(args);
    if (command == "explain") return banyan::cli::explain_command(args);
    if (command == "route") return banyan::cli::route_command(args);
    if (command == "diff") return banyan::cli::diff_command(args);
    if (command == "migrate") return banyan::cli::migrate_command(args);
  } catch (const std::exception& e) {
    // Start-up code may throw (std::bad_alloc, filesystem errors): fail with a message.
    std::cerr << "banyanc: internal error: " << e.what() << "\n";
    return 2;
  }
  std::cerr << "banyanc: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
