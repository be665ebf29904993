// `banyanc compile`, `explain` and `route`: the plan side of the compiler. explain and
// route read a plan file or, for convenience, a routes file compiled in memory; both
// then work on the loaded plan, as the runtime would.
#include <cctype>
#include <optional>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "compiler/analysis/route_model.h"
#include "compiler/compile.h"
#include "compiler/cli/commands.h"
#include "compiler/cli/time_arg.h"
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

namespace {

constexpr const char* kRouteUsage =
    "usage: banyanc route FILE.plan|FILE.routes METHOD URL [-H 'Name: value']... [--client-ip ADDR] [--at TIME]\n"
    "       banyanc route FILE.plan|FILE.routes --batch FILE|-   (one request a line: METHOD URL [options], or a\n"
    "                                                             line of the gateway's JSON access log)\n"
    "  TIME: a timestamp (2026-03-01T09:00:00Z), now, or an offset from now (+1h, -30m, +1d2h)\n";

// The options of one request (after the file, on the command line or a batch line)
// into `q` and the positional words into `positional`. false: `error` says why.
bool parse_query(const std::vector<std::string>& args, size_t from, explain::RouteQuery& q,
                 std::vector<std::string>& positional, std::string& batch, std::string& error) {
  for (size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "-H" && has_value) {
      const std::string& h = args[++i];
      size_t colon = h.find(':');
      if (colon == std::string::npos || colon == 0) {
        error = "a header is written 'Name: value', not '" + h + "'";
        return false;
      }
      size_t v = h.find_first_not_of(" \t", colon + 1);
      q.headers.emplace_back(h.substr(0, colon), v == std::string::npos ? "" : h.substr(v));
    } else if (a == "--client-ip" && has_value) {
      q.client_ip = args[++i];
    } else if (a == "--at" && has_value) {
      q.at = args[++i];
    } else if (a == "--batch" && has_value) {
      batch = args[++i];
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      error = "unknown option '" + a + "'" + (has_value ? "" : " (or a missing value)");
      return false;
    } else {
      positional.push_back(a);
    }
  }
  return true;
}

// `a 'b c' "d e" f` -> {a, b c, d e, f}: batch lines quote as a shell would (no escapes).
bool shell_words(const std::string& line, std::vector<std::string>& out, std::string& error) {
  std::string cur;
  char quote = 0;
  bool any = false;
  for (char c : line) {
    if (quote) {
      if (c == quote) quote = 0;
      else cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      any = true;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      if (any) out.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (quote) {
    error = std::string("an unclosed ") + quote;
    return false;
  }
  if (any) out.push_back(cur);
  return true;
}

// The string value of "key" in one JSON object line (the access log's own escapes:
// \" \\ \n \t \uXXXX below 0x80); nullopt when absent or malformed.
std::optional<std::string> json_field(const std::string& line, const std::string& key) {
  std::string needle = "\"" + key + "\":\"";
  size_t at = line.find(needle);
  if (at == std::string::npos) return std::nullopt;
  std::string out;
  for (size_t i = at + needle.size(); i < line.size(); ++i) {
    char c = line[i];
    if (c == '"') return out;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == line.size()) return std::nullopt;
    switch (line[i]) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'u': {
        if (i + 4 >= line.size()) return std::nullopt;
        unsigned v = 0;
        for (size_t k = 1; k <= 4; ++k) {
          char h = line[i + k];
          if (!std::isxdigit(static_cast<unsigned char>(h))) return std::nullopt;
          v = v * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (h | 0x20) - 'a' + 10);
        }
        if (v >= 0x80) return std::nullopt;
        out += static_cast<char>(v);
        i += 4;
        break;
      }
      default: out += line[i];
    }
  }
  return std::nullopt;
}

// One request, answered into `out`: 0 matched, 1 no route, 2 malformed (`error`).
int answer(const plan::Plan& p, explain::RouteQuery q, int64_t now_ms, std::string& out, std::string& error) {
  auto t = parse_time_arg(q.at.empty() ? "now" : q.at, now_ms, error);
  if (!t) {
    error = "--at " + error;
    return 2;
  }
  q.at.clear();
  q.now_ms = *t;
  return explain::explain_route(p, q, out, error);
}

// Budget: a batch line longer than this is refused (a request head the gateway
// accepts is far shorter; see runtime/http's limits).
constexpr size_t kMaxBatchLine = 64 * 1024;

// One line of at most `max` bytes into `line` (the rest of a longer one skipped, and
// `too_long` set); false at the end of the input.
bool read_line(std::istream& in, std::string& line, size_t max, bool& too_long) {
  line.clear();
  too_long = false;
  int c;
  bool any = false;
  while ((c = in.get()) != EOF) {
    any = true;
    if (c == '\n') return true;
    if (line.size() < max) line += static_cast<char>(c);
    else too_long = true;
  }
  return any;
}

int route_batch(const plan::Plan& p, const std::string& file, int64_t now_ms) {
  std::ifstream disk;
  if (file != "-") {
    disk.open(file);
    if (!disk) {
      std::cerr << "banyanc route: cannot open '" << file << "'\n";
      return 2;
    }
  }
  std::istream& in = file == "-" ? std::cin : disk;
  std::string line;
  size_t number = 0, answered = 0, unmatched = 0, malformed = 0;
  bool too_long = false;
  while (read_line(in, line, kMaxBatchLine, too_long)) {
    ++number;
    if (too_long) {
      ++malformed;
      std::cout << "line " << number << ": error: longer than " << kMaxBatchLine / 1024 << " KiB\n\n";
      continue;
    }
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    explain::RouteQuery q;
    std::string error, out, batch;
    std::vector<std::string> words, positional;
    bool ok = true;
    if (line[first] == '{') {  // the access log: method, host, path (with its query), client
      auto method = json_field(line, "method"), host = json_field(line, "host"), path = json_field(line, "path");
      ok = method && host && path;
      if (ok) {
        positional = {*method, "http://" + *host + *path};
        if (auto client = json_field(line, "client")) {  // "10.0.0.1:5000" or "[::1]:5000"
          std::string ip = client->substr(0, client->rfind(':'));
          if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
          q.client_ip = ip;
        }
      } else {
        error = "a JSON line needs string fields \"method\", \"host\" and \"path\"";
      }
    } else {
      ok = shell_words(line, words, error) && parse_query(words, 0, q, positional, batch, error);
      if (ok && (positional.size() != 2 || !batch.empty())) {
        error = "a line is METHOD URL [-H 'Name: value']... [--client-ip ADDR] [--at TIME]";
        ok = false;
      }
    }
    int rc = 2;
    if (ok) {
      q.method = positional[0];
      q.url = positional[1];
      rc = answer(p, q, now_ms, out, error);
    }
    if (rc == 2) {
      ++malformed;
      std::cout << "line " << number << ": error: " << error << "\n\n";
      continue;
    }
    ++answered;
    if (rc == 1) ++unmatched;
    std::cout << "line " << number << ":\n" << out << "\n";
  }
  std::cout << answered << " request(s) answered, " << unmatched << " without a route, " << malformed
            << " malformed line(s)\n";
  return malformed ? 2 : unmatched ? 1 : 0;
}

}  // namespace

int route_command(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  explain::RouteQuery q;
  std::string batch, error;
  if (!parse_query(args, 0, q, positional, batch, error)) {
    std::cerr << "banyanc route: " << error << "\n" << kRouteUsage;
    return 2;
  }
  if (batch.empty() ? positional.size() != 3 : positional.size() != 1) {
    std::cerr << kRouteUsage;
    return 2;
  }
  std::unique_ptr<plan::Plan> p;
  if (int rc = load_plan_or_routes(positional[0], p, "route")) return rc;
  int64_t now_ms = clock_now_ms();
  if (!batch.empty()) return route_batch(*p, batch, now_ms);
  q.method = positional[1];
  q.url = positional[2];
  std::string out;
  int rc = answer(*p, q, now_ms, out, error);
  if (rc == 2) {
    std::cerr << "banyanc route: " << error << "\n" << kRouteUsage;
    return 2;
  }
  std::cout << out;
  return rc;
}

}  // namespace banyan::cli
