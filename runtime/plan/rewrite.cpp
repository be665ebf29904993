// `rewrite` targets: see rewrite.h.
#include "runtime/plan/rewrite.h"

namespace banyan::plan {
namespace {

const Capture* find(std::span<const Capture> captures, std::string_view name) {
  for (const Capture& c : captures)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace

bool rewrite_path(std::string_view target, std::span<const Capture> captures, std::string& out) {
  size_t start = out.size();
  size_t pos = 0;
  while (pos < target.size()) {
    size_t slash = target.find('/', pos + 1);
    std::string_view segment = target.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    std::string_view body = segment.substr(segment.starts_with('/') ? 1 : 0);
    if (body == "**") {
      const Capture* rest = find(captures, "**");
      if (!rest) return false;
      if (!rest->value.empty()) out.append("/").append(rest->value);
    } else if (body.starts_with(':')) {
      const Capture* c = find(captures, body.substr(1));
      if (!c) return false;
      out.append("/").append(c->value);
    } else {
      out.append(segment);
    }
    pos += segment.size();
  }
  if (out.size() == start) out.push_back('/');
  return true;
}

}  // namespace banyan::plan
