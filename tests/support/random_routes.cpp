#include "tests/support/random_routes.h"

#include <cctype>

namespace banyan::test {
namespace {

using analysis::Request;

std::string literal_path(std::mt19937& rng) {
  static const std::vector<std::string> segs{"a", "b", "users"};
  int n = std::uniform_int_distribution<int>(0, 3)(rng);
  std::string p;
  for (int i = 0; i < n; ++i) p += "/" + pick(rng, segs);
  if (p.empty() || chance(rng, 15)) p += "/";
  return p;
}

}  // namespace

ast::PathMatcher random_path(std::mt19937& rng) {
  static const std::vector<std::string> segs{"a", "b", "users", ":id", "*", "**"};
  static const std::vector<std::string> regexes{
      "^/a/[0-9]+$", "^/a/.*",     "^/users/[a-z]+", "\\.png$",         "^/(a|b)/x", "^/b",
      "/a",          "^/a/b$",     "[0-9]",          "^/users/.*\\.png$", "^/users/.*\\.jpg$", "^/a/(x|1)$"};
  ast::PathMatcher m;
  switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
    case 0:
      m.kind = ast::PathKind::Exact;
      m.pattern = literal_path(rng);
      break;
    case 1:
      m.kind = ast::PathKind::Prefix;
      m.pattern = literal_path(rng);
      break;
    case 2: {
      m.kind = ast::PathKind::Glob;
      int n = std::uniform_int_distribution<int>(1, 3)(rng);
      bool wild = false;
      for (int i = 0; i < n; ++i) {
        std::string s = pick(rng, segs);
        if (s == "**" && i + 1 < n) s = "*";
        if (i + 1 == n && !wild && s[0] != ':' && s[0] != '*') s = chance(rng, 50) ? "**" : ":p";
        if (s == ":id" || s == ":p") s += std::to_string(i);  // parameter names are unique
        wild = wild || s[0] == ':' || s[0] == '*';
        m.pattern += "/" + s;
      }
      break;
    }
    default:
      m.kind = ast::PathKind::Regex;
      m.pattern = pick(rng, regexes);
      break;
  }
  return m;
}

ast::Route random_route(std::mt19937& rng) {
  ast::Route r;
  r.path = random_path(rng);
  if (chance(rng, 30)) {
    r.methods.push_back({"GET", {}});
    if (chance(rng, 40)) r.methods.push_back({"POST", {}});
  }
  struct P {
    ast::Predicate::Kind kind;
    const char* name;
    ast::ValueMatchKind match;
    const char* value;
  };
  static const std::vector<P> preds{
      {ast::Predicate::Kind::Header, "X-A", ast::ValueMatchKind::Present, ""},
      {ast::Predicate::Kind::Header, "x-a", ast::ValueMatchKind::Equals, "1"},
      {ast::Predicate::Kind::Header, "X-A", ast::ValueMatchKind::Prefix, "1"},
      {ast::Predicate::Kind::Header, "X-A", ast::ValueMatchKind::Regex, "^2"},
      {ast::Predicate::Kind::Cookie, "s", ast::ValueMatchKind::Present, ""},
      {ast::Predicate::Kind::Cookie, "s", ast::ValueMatchKind::Equals, "v"},
      {ast::Predicate::Kind::Query, "q", ast::ValueMatchKind::Regex, "^[0-9]+$"},
  };
  int n = chance(rng, 60) ? 0 : std::uniform_int_distribution<int>(1, 2)(rng);
  for (int i = 0; i < n; ++i) {
    const P& p = pick(rng, preds);
    ast::Predicate pr;
    pr.kind = p.kind;
    pr.name.text = p.name;
    pr.match = p.match;
    pr.value.text = p.value;
    r.predicates.push_back(pr);
  }
  return r;
}

Request random_request(std::mt19937& rng) {
  static const std::vector<std::string> segs{"a", "b", "users", "x", "1", "img.png", "img.jpg", "2", "ab", "users2"};
  Request req;
  req.host = "example.com";
  req.method = pick(rng, std::vector<std::string>{"GET", "POST", "PUT"});
  int n = std::uniform_int_distribution<int>(0, 4)(rng);
  req.path.clear();
  for (int i = 0; i < n; ++i) req.path += "/" + pick(rng, segs);
  if (req.path.empty() || chance(rng, 15)) req.path += "/";
  // Names: the routes' own, in other cases, and near misses (one character more or
  // different), which must not match (only header names ignore case).
  static const std::vector<std::string> header_names{"X-A", "x-a", "X-a", "X-AA", "X_A", "X-"};
  static const std::vector<std::string> cookie_names{"s", "s", "S", "ss", "s_", "_s"};
  static const std::vector<std::string> query_names{"q", "q", "Q", "qq", "q_", "q%5B%5D"};
  std::string xa = pick(rng, std::vector<std::string>{"", "1", "12", "2", "zz"});
  if (!xa.empty()) req.headers.emplace_back(chance(rng, 70) ? pick(rng, header_names) : "X-A", xa);
  std::string s = pick(rng, std::vector<std::string>{"", "v", "w"});
  if (!s.empty()) req.cookies.emplace_back(chance(rng, 70) ? "s" : pick(rng, cookie_names), s);
  std::string q = pick(rng, std::vector<std::string>{"", "1", "a"});
  if (!q.empty()) req.query.emplace_back(chance(rng, 70) ? "q" : pick(rng, query_names), q);
  return req;
}

std::string unnormalised(std::mt19937& rng, const std::string& path) {
  std::string p = path;
  int edits = std::uniform_int_distribution<int>(1, 2)(rng);
  for (int e = 0; e < edits; ++e) {
    size_t at = std::uniform_int_distribution<size_t>(0, p.size())(rng);  // an insertion point
    size_t letter = p.find_first_not_of("/%.", at);
    size_t slash = p.find('/', at);
    switch (std::uniform_int_distribution<int>(0, 8)(rng)) {
      case 0:  // a letter percent-encoded, in either case of hex: decoded back
        if (letter != std::string::npos && p[letter] != '%') {
          static const char* hex = "0123456789ABCDEF";
          unsigned char c = static_cast<unsigned char>(p[letter]);
          std::string enc = {'%', hex[c >> 4], chance(rng, 50) ? hex[c & 15] : static_cast<char>(std::tolower(hex[c & 15]))};
          p.replace(letter, 1, enc);
        }
        break;
      case 1:  // a separator encoded: one segment, never two
        if (slash != std::string::npos && slash > 0) p.replace(slash, 1, chance(rng, 50) ? "%2F" : "%2f");
        break;
      case 2:  // an encoded dot-dot segment, resolved or refused
        p.insert(slash == std::string::npos ? p.size() : slash, chance(rng, 50) ? "/%2e%2e" : "/%2E%2E");
        break;
      case 3:  // case: paths are case-sensitive
        if (letter != std::string::npos) p[letter] = static_cast<char>(std::toupper(static_cast<unsigned char>(p[letter])));
        break;
      case 4:  // a doubled slash
        if (slash != std::string::npos) p.insert(slash, "/");
        break;
      case 5:  // a dot segment
        if (slash != std::string::npos) p.insert(slash, "/.");
        break;
      case 6:  // a segment and its dot-dot
        if (slash != std::string::npos) p.insert(slash, chance(rng, 50) ? "/x/.." : "/x/%2E.");
        break;
      case 7:  // the trailing slash toggled
        if (p.size() > 1 && p.back() == '/') p.pop_back();
        else p += '/';
        break;
      default:  // an encoded dot-dot behind an encoded slash: always refused
        p.insert(slash == std::string::npos ? p.size() : slash, "/..%2Fa");
        break;
    }
  }
  return p;
}

}  // namespace banyan::test
