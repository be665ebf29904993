// `banyan check --config gateway.toml [PLAN]`: what `banyan run` would refuse at
// start-up, without binding anything (nginx -t): the TOML, the plan it names (or
// PLAN, a plan or routes file, instead), and their agreement (listeners bound,
// upstream overrides and show_details naming the plan's). Exit 0 clean, 1 errors, 2
// usage or a file that cannot be read.
#pragma once

#include <string>
#include <vector>

namespace banyan {

int check_command(const std::vector<std::string>& args);

}  // namespace banyan
