// `banyanc compile`, `explain` and `route`: the plan side of the compiler. explain and
// route read a plan file or, for convenience, a routes file compiled in memory; both
// then work on the loaded plan, as the runtime would.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "compiler/analysis/route_model.h"
#include "compiler/compile.h"
#include "compiler/cli/commands.h"
#include "compiler/explain/explain.h"
#include "compiler/diag/render.h"
#include "compiler/emit/emit_plan.h"
#include "runtime/plan/plan.h"

namespace banyan::cli {
namespace {

// Checks and compiles a routes file; prints diagnostics. Returns 0, 1 or 2.
int compile_routes(const std::string& path, std::string& bytes) {
  CompileOutcome r = banyan::compile_routes(path);
  std::cerr << r.diagnostics;
  bytes = std::move(r.bytes);
  return r.status;
}

bool read_all(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

int load_plan_or_routes(const std::string& path, std::unique_ptr<plan::Plan>& out, const char* command) {
  std::string bytes, error;
  if (!read_all(path, bytes, error)) {
    std::cerr << "banyanc " << command << ": " << error << "\n";
    return 2;
  }
  if (bytes.compare(0, sizeof plan::kMagic, plan::kMagic, sizeof plan::kMagic) != 0) {
    if (int rc = compile_routes(path, bytes)) return rc;  // a routes file
  }
  plan::LoadResult r = plan::load_plan(bytes);
  if (!r.plan) {
    std::cerr << "banyanc " << command << ": " << path << ": invalid plan: " << r.error << "\n";
    return 1;
  }
  out = std::move(r.plan);
  return 0;
}

}  // namespace

int compile_command(const std::vector<std::string>& args) {
  std::string input, output;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "-o" || args[i] == "--output") && i + 1 < args.size()) {
      output = args[++i];
    } else if (!args[i].empty() && args[i][0] != '-' && input.empty()) {
      input = args[i];
    } else {
      std::cerr << "usage: banyanc compile FILE.routes -o FILE.plan\n";
      return 2;
    }
  }
  if (input.empty() || output.empty()) {
    std::cerr << "usage: banyanc compile FILE.routes -o FILE.plan\n";
    return 2;
  }
  std::error_code same_ec;
  if (std::filesystem::equivalent(input, output, same_ec)) {
    std::cerr << "banyanc compile: the output '" << output << "' is the routes file itself; name a .plan file\n";
    return 2;
  }
  std::string bytes;
  if (int rc = compile_routes(input, bytes)) return rc;
  // Write beside the target and rename: a gateway watching the file never sees half.
  std::string tmp = output + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      std::cerr << "banyanc compile: cannot write '" << tmp << "'\n";
      return 2;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, output, ec);
  if (ec) {
    std::cerr << "banyanc compile: cannot write '" << output << "': " << ec.message() << "\n";
    return 2;
  }
  return 0;
}

int explain_command(const std::vector<std::string>& args) {
  std::string format = "text", file;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--format" && i + 1 < args.size()) {
      format = args[++i];
    } else if (!args[i].empty() && args[i][0] != '-' && file.empty()) {
      file = args[i];
    } else {
      file.clear();
      break;
    }
  }
  if (file.empty() || (format != "text" && format != "dot")) {
    std::cerr << "usage: banyanc explain [--format text|dot] FILE.plan|FILE.routes\n";
    return 2;
  }
  std::unique_ptr<plan::Plan> p;
  if (int rc = load_plan_or_routes(file, p, "explain")) return rc;
  std::cout << (format == "dot" ? explain::explain_dot(*p) : explain::explain_text(*p));
  return 0;
}

int route_command(const std::vector<std::string>& args) {
  constexpr const char* kRouteUsage =
      "usage: banyanc route FILE.plan|FILE.routes METHOD URL [-H 'Name: value']... [--client-ip ADDR] [--at TIME]\n";
  std::vector<std::string> positional;
  explain::RouteQuery q;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-H" && i + 1 < args.size()) {
      const std::string& h = args[++i];
      size_t colon = h.find(':');
      if (colon == std::string::npos || colon == 0) {
        std::cerr << "banyanc route: a header is written 'Name: value', not '" << h << "'\n";
        return 2;
      }
      size_t v = h.find_first_not_of(" \t", colon + 1);
      q.headers.emplace_back(h.substr(0, colon), v == std::string::npos ? "" : h.substr(v));
    } else if (a == "--client-ip" && i + 1 < args.size()) {
      q.client_ip = args[++i];
    } else if (a == "--at" && i + 1 < args.size()) {
      q.at = args[++i];
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "banyanc route: unknown option '" << a << "'\n" << kRouteUsage;
      return 2;
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 3) {
    std::cerr << kRouteUsage;
    return 2;
  }
  q.method = positional[1];
  q.url = positional[2];
  std::unique_ptr<plan::Plan> p;
  if (int rc = load_plan_or_routes(positional[0], p, "route")) return rc;
  if (q.at.empty()) {
    q.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  std::string out, error;
  int rc = explain::explain_route(*p, q, out, error);
  if (rc == 2) {
    std::cerr << "banyanc route: " << error << "\n" << kRouteUsage;
    return 2;
  }
  std::cout << out;
  return rc;
}

}  // namespace banyan::cli
