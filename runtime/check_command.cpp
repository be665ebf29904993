// `banyan check`: the start-up checks of `banyan run --config`, run and reported.
#include "runtime/check_command.h"

#include <filesystem>
#include <iostream>

#include "runtime/config/config.h"
#include "runtime/proxy/generation.h"

namespace banyan {

int check_command(const std::vector<std::string>& args) {
  constexpr const char* kUsage = "usage: banyan check --config gateway.toml [FILE.plan|FILE.routes]\n";
  std::string config_path, plan_path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (!args[i].empty() && args[i][0] != '-' && plan_path.empty()) {
      plan_path = args[i];
    } else {
      std::cerr << "banyan check: unexpected '" << args[i] << "'\n" << kUsage;
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(config_path, ec)) {
    std::cerr << "banyan check: cannot read '" << config_path << "'\n";
    return 2;
  }
  config::LoadedConfig loaded = config::load_config(config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << config::render(e) << "\n";
    std::cerr << "banyan check: " << config_path << ": " << loaded.errors.size() << " error(s)\n";
    return 1;
  }
  config::GatewayConfig& cfg = *loaded.config;
  if (!plan_path.empty()) cfg.plan_path = std::filesystem::absolute(plan_path).string();
  if (!std::filesystem::is_regular_file(cfg.plan_path, ec)) {
    std::cerr << "banyan check: cannot read the plan '" << cfg.plan_path << "'\n";
    return 2;
  }
  proxy::PlanLoad pl = proxy::load_plan_or_routes(cfg.plan_path);
  std::cerr << pl.diagnostics;
  if (!pl.plan) {
    std::cerr << "banyan check: " << pl.error << "\n";
    return 1;
  }
  auto errors = config::check_against_plan(cfg, *pl.plan, config_path);
  for (const auto& e : errors) std::cerr << config::render(e) << "\n";
  if (!errors.empty()) {
    std::cerr << "banyan check: " << config_path << " and " << cfg.plan_path << " disagree: " << errors.size()
              << " error(s)\n";
    return 1;
  }
  std::cout << "banyan check: " << config_path << " and " << cfg.plan_path << " are consistent ("
            << pl.plan->listeners().size() << " listener(s), " << pl.plan->upstreams().size() << " upstream(s), "
            << pl.plan->routes().size() << " route(s))\n";
  return 0;
}

}  // namespace banyan
