// `banyan migrations [--admin HOST:PORT | --config FILE] [list | pause|resume|rollback|promote NAME]`:
// one HTTP/1.1 request to the admin address, its answer printed. Exit 0 when the
// gateway answered 200, 1 when it refused (an unknown migration or action), 2 when it
// could not be asked.
#include "runtime/migrations_command.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <iostream>

#include "runtime/config/config.h"

namespace banyan {
namespace {

constexpr const char* kUsage =
    "usage: banyan migrations [--admin HOST:PORT | --config gateway.toml] [list]\n"
    "       banyan migrations [--admin HOST:PORT | --config gateway.toml] pause|resume|rollback|promote NAME\n"
    "  the gateway's admin address: --admin, or the [admin] address of the configuration (default 127.0.0.1:9901)\n";

std::string encoded(const std::string& s) {  // a path segment: unreserved bytes as they are, the rest %XX
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The answer's status and body, or status 0 with `error` set.
int ask(const config::HostPort& admin, const std::string& request, std::string& body, std::string& error) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  std::string host = admin.host.empty() ? "127.0.0.1" : admin.host;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(admin.port).c_str(), &hints, &res); rc != 0) {
    error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return 0;
  }
  int fd = -1;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) {
    error = "cannot connect to the admin address " + config::to_string(admin) + " (is the gateway running?)";
    return 0;
  }
  timeval tv{10, 0};  // bounded: the admin answers at once or not at all
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string answer;
  if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  size_t head_end = answer.find("\r\n\r\n");
  if (answer.size() < 12 || head_end == std::string::npos) {
    error = "no answer from the admin address " + config::to_string(admin);
    return 0;
  }
  body = answer.substr(head_end + 4);
  return std::atoi(answer.c_str() + 9);
}

}  // namespace

int migrations_command(const std::vector<std::string>& args) {
  config::HostPort admin{"127.0.0.1", 9901};
  std::vector<std::string> words;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--admin" || args[i] == "--config") && i + 1 < args.size()) {
      if (args[i] == "--admin") {
        if (auto error = config::parse_host_port(args[++i], false, admin)) {
          std::cerr << "banyan: --admin: " << *error << "\n";
          return 2;
        }
      } else {
        config::LoadedConfig c = config::load_config(args[++i]);
        if (!c.config || !c.config->admin) {
          for (const auto& e : c.errors) std::cerr << config::render(e) << "\n";
          if (c.config) std::cerr << "banyan: " << args[i] << " has no [admin] address\n";
          return 2;
        }
        admin = *c.config->admin;
      }
    } else if (args[i] == "--help" || args[i] == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      words.push_back(args[i]);
    }
  }
  std::string method = "GET", path = "/migrations";
  if (words.size() == 2 && (words[0] == "pause" || words[0] == "resume" || words[0] == "rollback" || words[0] == "promote")) {
    method = "POST";
    path += "/" + encoded(words[1]) + "/" + words[0];
  } else if (!(words.empty() || (words.size() == 1 && words[0] == "list"))) {
    std::cerr << "banyan migrations: unexpected '" << words[0] << "'\n" << kUsage;
    return 2;
  }
  std::string body, error;
  int status = ask(admin, method + " " + path + " HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                   body, error);
  if (status == 0) {
    std::cerr << "banyan: " << error << "\n";
    return 2;
  }
  (status == 200 ? std::cout : std::cerr) << body;
  return status == 200 ? 0 : 1;
}

}  // namespace banyan
