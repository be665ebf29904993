// banyanc's subcommands. Each takes its arguments (after the subcommand name) and
// returns the process exit code: 0 success, 1 findings, 2 usage or I/O error.
#pragma once

#include <string>
#include <vector>

namespace banyan::cli {

int check_command(const std::vector<std::string>& args);
int fmt_command(const std::vector<std::string>& args);
int dump_ast_command(const std::vector<std::string>& args);
int compile_command(const std::vector<std::string>& args);
int explain_command(const std::vector<std::string>& args);
int route_command(const std::vector<std::string>& args);
int diff_command(const std::vector<std::string>& args);
int migrate_command(const std::vector<std::string>& args);

}  // namespace banyan::cli
