// banyan: the gateway. `banyan run --config gateway.toml` serves the plan the
// configuration names; `banyan run FILE.routes|FILE.plan [--listen A=B]...` is the
// development form, with the configuration given as flags.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "runtime/certs_command.h"
#include "runtime/check_command.h"
#include "runtime/config/config.h"
#include "runtime/migrations_command.h"
#include "runtime/plan/format.h"
#include "runtime/proxy/gateway.h"
#include "runtime/version.h"

namespace {

constexpr const char* kUsage =
    "usage: banyan run --config gateway.toml\n"
    "       banyan run FILE.routes|FILE.plan [--listen PLAN_ADDRESS=BIND]... [--admin ADDRESS] [--workers N]\n"
    "                  [--upstream NAME=HOST:PORT[,HOST:PORT...]]...\n"
    "       banyan migrations [--admin ADDRESS | --config gateway.toml] [list | pause|resume|rollback|promote NAME]\n"
    "       banyan check --config gateway.toml [FILE.plan|FILE.routes]   check without serving (exit 0, 1, 2)\n"
    "       banyan certs [--ca-dir DIR] [--new-ca] [--force] FILE.routes   development certificates from a local CA\n"
    "       banyan --version\n"
    "  --listen :80=127.0.0.1:8080   bind the plan's listener ':80' to 127.0.0.1:8080 (default: as the plan says)\n"
    "The configuration file's keys are described in docs/gateway-config.md.\n";

// A TOML basic string: quotes and backslashes escaped, control characters as \uXXXX
// (a path may hold any byte but NUL).
std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned char>(c));
      out += esc;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// `banyan run`'s arguments, as given.
struct RunFlags {
  std::string config_path, plan_path, admin, workers;
  std::vector<std::pair<std::string, std::string>> listen, upstreams;
};

// Reads `run`'s arguments into `f`; on a mistake, says it and returns false.
bool parse_run_flags(const std::vector<std::string>& args, RunFlags& f) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) {
        std::cerr << "banyan: " << a << " needs a value\n" << kUsage;
        return false;
      }
      out = args[++i];
      return true;
    };
    auto pair = [&](std::vector<std::pair<std::string, std::string>>& out) {
      std::string v;
      if (!value(v)) return false;
      size_t eq = v.find('=');
      if (eq == std::string::npos) {
        std::cerr << "banyan: " << a << " takes NAME=VALUE, not '" << v << "'\n";
        return false;
      }
      out.emplace_back(v.substr(0, eq), v.substr(eq + 1));
      return true;
    };
    bool ok = true;
    if (a == "--config") {
      ok = value(f.config_path);
    } else if (a == "--listen") {
      ok = pair(f.listen);
    } else if (a == "--upstream") {
      ok = pair(f.upstreams);
    } else if (a == "--admin") {
      ok = value(f.admin);
    } else if (a == "--workers") {
      ok = value(f.workers);
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "banyan: unknown option '" << a << "'\n" << kUsage;
      return false;
    } else if (f.plan_path.empty()) {
      f.plan_path = a;
    } else {
      std::cerr << "banyan: one plan at a time ('" << f.plan_path << "' and '" << a << "')\n";
      return false;
    }
    if (!ok) return false;
  }
  if (f.config_path.empty() == f.plan_path.empty()) {
    std::cerr << "banyan: give either --config FILE or a plan, not " << (f.config_path.empty() ? "neither" : "both")
              << "\n" << kUsage;
    return false;
  }
  if (!f.config_path.empty() && (!f.listen.empty() || !f.upstreams.empty() || !f.admin.empty() || !f.workers.empty())) {
    std::cerr << "banyan: with --config, the file says everything; put --listen/--admin/--workers/--upstream in it\n";
    return false;
  }
  // --workers goes into the configuration unquoted (a TOML integer): anything but
  // digits would be read as TOML (`two` as a misspelt boolean) and reported as such.
  if (f.workers.find_first_not_of("0123456789") != std::string::npos) {
    std::cerr << "banyan: --workers takes a number of worker threads, not '" << f.workers << "'\n";
    return false;
  }
  return true;
}

// The development form: the flags become a configuration, checked by the same reader
// as a file. Returns 0, or the exit status of a mistake it has reported.
int config_from_flags(const RunFlags& f, banyan::config::LoadedConfig& loaded) {
  std::string toml = "plan = " + toml_string(std::filesystem::absolute(f.plan_path).string()) + "\n";
  if (!f.workers.empty()) toml += "workers = " + f.workers + "\n";
  if (!f.admin.empty()) toml += "[admin]\naddress = " + toml_string(f.admin) + "\n";
  for (const auto& [name, servers] : f.upstreams) {
    toml += "[upstreams." + toml_string(name) + "]\nservers = [";
    size_t start = 0;
    while (start <= servers.size()) {
      size_t comma = servers.find(',', start);
      if (comma == std::string::npos) comma = servers.size();
      toml += (start ? ", " : "") + toml_string(servers.substr(start, comma - start));
      start = comma + 1;
    }
    toml += "]\n";
  }
  // Listeners not named keep the plan's own address.
  banyan::proxy::PlanLoad pl = banyan::proxy::load_plan_or_routes(f.plan_path);
  if (!pl.plan) {
    std::cerr << pl.diagnostics << "banyan: " << pl.error << "\n";
    return 1;
  }
  for (const auto& [from, to] : f.listen) {
    bool known = false;
    for (const auto& l : pl.plan->listeners()) known = known || pl.plan->str(l.address) == from;
    if (!known) {
      std::cerr << "banyan: --listen " << from << ": the plan has no listener '" << from << "'\n";
      return 2;
    }
  }
  toml += "[listen]\n";
  for (const auto& l : pl.plan->listeners()) {
    std::string addr(pl.plan->str(l.address)), bind = addr;
    for (const auto& [from, to] : f.listen)
      if (from == addr) bind = to;
    toml += toml_string(addr) + " = " + toml_string(bind) + "\n";
  }
  loaded = banyan::config::parse_config(toml, "(command line)");
  return 0;
}

int run_command(const std::vector<std::string>& args) {
  RunFlags flags;
  if (!parse_run_flags(args, flags)) return 2;
  banyan::config::LoadedConfig loaded;
  if (!flags.config_path.empty()) {
    loaded = banyan::config::load_config(flags.config_path);
  } else if (int status = config_from_flags(flags, loaded)) {
    return status;
  }
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << banyan::config::render(e) << "\n";
    return 2;
  }
  banyan::proxy::Gateway gateway(std::move(*loaded.config), flags.config_path.empty() ? "(command line)" : flags.config_path);
  return gateway.run();
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::cout << "banyan " << banyan::kReleaseVersion << " (reads plan format " << banyan::plan::kMinVersion << ".."
              << banyan::plan::kFormatVersion << ")\n";
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "run") return run_command(rest);
  if (args[0] == "check") return banyan::check_command(rest);
  if (args[0] == "certs") return banyan::certs_command(rest);
  if (args[0] == "migrations") return banyan::migrations_command(rest);
  std::cerr << "banyan: unknown command '" << args[0] << "'\n" << kUsage;
  return 2;
}
