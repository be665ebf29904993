// banyan: the gateway. `banyan run --config gateway.toml` serves the plan the
// configuration names; `banyan run FILE.routes|FILE.plan [--listen A=B]...` is the
// development form, with the configuration given as flags.
#include <signal.h>

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

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
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
  if (args[0] == "check") return banyan::check_command({args.begin() + 1, args.end()});
  if (args[0] == "certs") return banyan::certs_command({args.begin() + 1, args.end()});
  if (args[0] == "migrations") return banyan::migrations_command({args.begin() + 1, args.end()});
  if (args[0] != "run") {
    std::cerr << "banyan: unknown command '" << args[0] << "'\n" << kUsage;
    return 2;
  }
  std::string config_path, plan_path, admin, workers;
  std::vector<std::pair<std::string, std::string>> listen, upstreams;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= args.size()) {
        std::cerr << "banyan: " << flag << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return args[++i];
    };
    auto pair = [&](const char* flag) {
      std::string v = value(flag);
      size_t eq = v.find('=');
      if (eq == std::string::npos) {
        std::cerr << "banyan: " << flag << " takes NAME=VALUE, not '" << v << "'\n";
        std::exit(2);
      }
      return std::make_pair(v.substr(0, eq), v.substr(eq + 1));
    };
    if (a == "--config") {
      config_path = value("--config");
    } else if (a == "--listen") {
      listen.push_back(pair("--listen"));
    } else if (a == "--upstream") {
      upstreams.push_back(pair("--upstream"));
    } else if (a == "--admin") {
      admin = value("--admin");
    } else if (a == "--workers") {
      workers = value("--workers");
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "banyan: unknown option '" << a << "'\n" << kUsage;
      return 2;
    } else if (plan_path.empty()) {
      plan_path = a;
    } else {
      std::cerr << "banyan: one plan at a time ('" << plan_path << "' and '" << a << "')\n";
      return 2;
    }
  }
  if (config_path.empty() == plan_path.empty()) {
    std::cerr << "banyan: give either --config FILE or a plan, not " << (config_path.empty() ? "neither" : "both") << "\n"
              << kUsage;
    return 2;
  }

  banyan::config::LoadedConfig loaded;
  if (!config_path.empty()) {
    if (!listen.empty() || !upstreams.empty() || !admin.empty() || !workers.empty()) {
      std::cerr << "banyan: with --config, the file says everything; put --listen/--admin/--workers/--upstream in it\n";
      return 2;
    }
    loaded = banyan::config::load_config(config_path);
  } else {
    // The development form: the flags become a configuration, checked by the same reader.
    // --workers goes in unquoted (a TOML integer): anything but digits would be read as
    // TOML (`two` as a misspelt boolean) and reported as such.
    if (!workers.empty() && workers.find_first_not_of("0123456789") != std::string::npos) {
      std::cerr << "banyan: --workers takes a number of worker threads, not '" << workers << "'\n";
      return 2;
    }
    std::string toml = "plan = " + toml_string(std::filesystem::absolute(plan_path).string()) + "\n";
    if (!workers.empty()) toml += "workers = " + workers + "\n";
    if (!admin.empty()) toml += "[admin]\naddress = " + toml_string(admin) + "\n";
    for (const auto& [name, servers] : upstreams) {
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
    banyan::proxy::PlanLoad pl = banyan::proxy::load_plan_or_routes(plan_path);
    if (!pl.plan) {
      std::cerr << pl.diagnostics << "banyan: " << pl.error << "\n";
      return 1;
    }
    toml += "[listen]\n";
    for (const auto& l : pl.plan->listeners()) {
      std::string addr(pl.plan->str(l.address)), bind = addr;
      for (const auto& [from, to] : listen)
        if (from == addr) bind = to;
      toml += toml_string(addr) + " = " + toml_string(bind) + "\n";
    }
    for (const auto& [from, to] : listen) {
      bool known = false;
      for (const auto& l : pl.plan->listeners()) known = known || pl.plan->str(l.address) == from;
      if (!known) {
        std::cerr << "banyan: --listen " << from << ": the plan has no listener '" << from << "'\n";
        return 2;
      }
    }
    loaded = banyan::config::parse_config(toml, "(command line)");
  }
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << banyan::config::render(e) << "\n";
    return 2;
  }
  banyan::proxy::Gateway gateway(std::move(*loaded.config), config_path.empty() ? "(command line)" : config_path);
  return gateway.run();
}
