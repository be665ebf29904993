// `banyan migrations`: the admin API's /migrations from the command line, for an
// operator who would rather not write curl lines (runtime/proxy/migration_control.h).
#pragma once

#include <string>
#include <vector>

namespace banyan {

// args: what follows `migrations`. The process's exit status.
int migrations_command(const std::vector<std::string>& args);

}  // namespace banyan
