// What one routes file does with one request, as comparable data: the site a host
// reaches, the route that wins (through the checker's SiteIndex, the one definition
// of rank), where the request goes, the migration that splits it with its timeline,
// and the route's policies. route_diff.cpp compares two of these per sample request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/analysis/route_model.h"
#include "compiler/ast/ast.h"

namespace banyan::diff {

// A file with its route model and per-site indexes. Neither copied nor moved: the
// indexes point into the model.
class FileModel {
 public:
  explicit FileModel(const ast::File& file);
  FileModel(const FileModel&) = delete;
  FileModel& operator=(const FileModel&) = delete;

  const ast::File& file() const { return file_; }
  const analysis::RouteModel& model() const { return model_; }
  const analysis::SiteIndex& index(size_t site) const { return index_[site]; }
  // The site a request to `host` (lower-case) is served by, as the gateway chooses it:
  // an exact host, else the longest wildcard suffix, else `default`; SIZE_MAX: none.
  size_t site_for_host(const std::string& host) const;

  // A route's words and settings, computed once per route (a diff asks for them once
  // per sample request).
  struct RouteFacts {
    std::string words;
    std::vector<std::string> policy;
  };
  const RouteFacts& facts(const ast::Route& r) const;

 private:
  const ast::File& file_;
  analysis::RouteModel model_;
  std::vector<analysis::SiteIndex> index_;
  mutable std::unordered_map<const ast::Route*, RouteFacts> facts_;
};

struct Outcome {
  const ast::Route* route = nullptr;  // null: no site or no route
  std::string route_text;             // "GET /api/** (header \"X-Beta\")", "" when none
  std::string destination;            // "users", "redirect 301 \"https://...\"", "404 (no route)"
  std::string split;                  // "" or "users: 10% now, 50% from ..., by cookie \"session\""
  std::string migration;              // the splitting migration's name, or ""
  std::vector<std::string> policy;    // one item per setting: "rewrite \"/v1\"", "compress gzip"

  std::string where() const { return split.empty() ? destination : destination + " -> " + split; }
};

Outcome outcome_of(const FileModel& f, const analysis::Request& req, int64_t now_ms);

// A route's matcher in the language's words: "GET POST /api/** (header \"X-Beta\" = \"1\")".
std::string route_words(const ast::Route& r);
// A migration's split in words; with a `start`, as of now_ms ("50% now, 100% from T").
std::string split_words(const ast::Migration& m, int64_t now_ms);

}  // namespace banyan::diff
