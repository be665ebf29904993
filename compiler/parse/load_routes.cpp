// The include walk: depth-first, in the order includes are written, each file read
// once per path from the root (a cycle is an error, a diamond is fine).
#include "compiler/parse/load_routes.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace banyan::parse {
namespace {

template <typename T>
void append(std::vector<T>& to, std::vector<T>& from) {
  std::move(from.begin(), from.end(), std::back_inserter(to));
}

class Loader {
 public:
  Loader(source::SourceManager& sm, diag::DiagnosticSink& sink, source::FileReader& reader, const Limits& limits)
      : sm_(sm), sink_(sink), reader_(reader), limits_(limits) {}

  // `from` is the include statement that names this file (invalid for the root).
  // `written` is the path as the include statement spells it (the root: as given).
  bool load(const std::string& path, const std::string& written, source::SourceRange from, LoadResult& out) {
    if (sm_.size() >= limits_.max_files) {
      if (files_capped_) return false;
      files_capped_ = true;
      sink_.report(diag::Code::InputTooLarge, from,
                   "more than " + std::to_string(limits_.max_files) + " files are included; the limit is reached here");
      return false;
    }
    std::string error;
    auto text = reader_.read(path, limits_.max_file_bytes, error);
    if (!text) {
      std::string where = written == path ? "" : " (looked for " + path + ")";
      sink_.report(diag::Code::IncludeFailed, from, "cannot read '" + written + "'" + where + ": " + error);
      return false;
    }
    std::string canonical = reader_.canonical(path);
    source::FileId id = sm_.add(path, std::move(*text));
    if (out.root == source::kNoFile) out.root = id;
    const bool annotated = sm_.file(id).text().find(annotation_marker()) != std::string_view::npos;
    ParsedFile parsed = parse_file(sm_.file(id), sink_, limits_, annotated ? Layout::Keep : Layout::Skip);
    out.syntax_ok = out.syntax_ok && parsed.syntax_ok;
    for (auto& a : find_annotations(sm_.file(id), parsed.tokens, sink_)) out.annotations.push_back(std::move(a));

    stack_.push_back(canonical);
    loaded_.insert(canonical);
    ast::File& f = parsed.ast;
    for (const auto& inc : f.includes) {
      std::filesystem::path base = std::filesystem::path(path).parent_path();
      std::string target = std::filesystem::path(inc.path.text).is_absolute() ? inc.path.text : (base / inc.path.text).string();
      std::string target_canonical = reader_.canonical(target);
      if (std::find(stack_.begin(), stack_.end(), target_canonical) != stack_.end()) {
        sink_.report(diag::Code::IncludeCycle, inc.range, "'" + inc.path.text + "' includes itself through this line");
        continue;
      }
      // A file reached twice without a cycle (a diamond) is read once.
      if (loaded_.count(target_canonical)) continue;
      if (stack_.size() >= limits_.max_include_depth) {
        sink_.report(diag::Code::InputTooLarge, inc.range,
                     "includes nest deeper than " + std::to_string(limits_.max_include_depth) + " files");
        continue;
      }
      load(target, inc.path.text, inc.range, out);
    }
    stack_.pop_back();

    append(out.ast.includes, f.includes);
    append(out.ast.listens, f.listens);
    append(out.ast.tls, f.tls);
    append(out.ast.upstreams, f.upstreams);
    append(out.ast.caches, f.caches);
    append(out.ast.sites, f.sites);
    append(out.ast.migrations, f.migrations);
    return true;
  }

 private:
  source::SourceManager& sm_;
  diag::DiagnosticSink& sink_;
  source::FileReader& reader_;
  const Limits& limits_;
  std::vector<std::string> stack_;
  std::set<std::string> loaded_;
  bool files_capped_ = false;
};

}  // namespace

LoadResult load_routes(const std::string& path, source::SourceManager& sm, diag::DiagnosticSink& sink,
                       source::FileReader& reader, const Limits& limits) {
  LoadResult out;
  out.syntax_ok = true;
  out.read_ok = Loader(sm, sink, reader, limits).load(path, path, {}, out);
  if (!out.read_ok) out.syntax_ok = false;
  return out;
}

}  // namespace banyan::parse
