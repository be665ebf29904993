// The diff's renderings. Text groups changes by host; JSON keeps every field; Markdown
// is the text's content as a list a code-review tool shows well.
#include "compiler/diff/render_diff.h"

#include <map>

#include "compiler/diag/render.h"

namespace banyan::diff {
namespace {

std::string kinds_words(const Change& c) {
  std::string out;
  for (auto k : c.kinds) out += (out.empty() ? "" : ", ") + std::string(kind_name(k));
  return out;
}

std::string heading(const Change& c) { return c.hosts.empty() ? "upstreams" : "on " + c.hosts; }

}  // namespace

std::string summary(const DiffResult& d) {
  if (d.changes.empty()) return d.uncertain.empty() ? "no change" : "no change found, but the search was not exhaustive";
  std::map<ChangeKind, size_t, std::greater<>> by;
  for (const auto& c : d.changes) ++by[c.kind];
  std::string parts;
  for (const auto& [k, n] : by) parts += (parts.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(kind_name(k));
  return std::to_string(d.changes.size()) + (d.changes.size() == 1 ? " change (" : " changes (") + parts + ")";
}

std::string render_text(const DiffResult& d) {
  std::string out, last;
  for (const auto& c : d.changes) {
    if (heading(c) != last) {
      last = heading(c);
      out += last + "\n";
    }
    out += "  " + c.requests + "  [" + kinds_words(c) + "]" + (c.certain ? "" : " (uncertain: regexes)") + "\n";
    if (c.before != c.after) out += "    " + c.before + "\n    -> " + c.after + "\n";
    for (const auto& s : c.details) out += "    " + s + "\n";
    if (c.has_example) out += "    e.g. " + c.example.describe() + "\n";
  }
  for (const auto& u : d.uncertain) out += "uncertain " + u + "\n";
  out += summary(d) + "; " + std::to_string(d.requests_tried) + " sample requests tried\n";
  return out;
}

std::string render_json(const DiffResult& d) {
  using diag::json_quote;
  std::string out = "{\n  \"changed\": " + std::string(d.changes.empty() ? "false" : "true") +
                    ",\n  \"certain\": " + (d.uncertain.empty() ? "true" : "false") +
                    ",\n  \"requests_tried\": " + std::to_string(d.requests_tried) + ",\n  \"changes\": [";
  for (size_t i = 0; i < d.changes.size(); ++i) {
    const Change& c = d.changes[i];
    out += i ? ",\n    {" : "\n    {";
    out += "\"kind\": " + json_quote(kind_name(c.kind)) + ", \"kinds\": [";
    for (size_t k = 0; k < c.kinds.size(); ++k) out += (k ? ", " : "") + json_quote(kind_name(c.kinds[k]));
    out += "], \"hosts\": " + json_quote(c.hosts) + ", \"requests\": " + json_quote(c.requests) +
           ", \"before\": " + json_quote(c.before) + ", \"after\": " + json_quote(c.after) + ", \"details\": [";
    for (size_t k = 0; k < c.details.size(); ++k) out += (k ? ", " : "") + json_quote(c.details[k]);
    out += "], \"certain\": " + std::string(c.certain ? "true" : "false");
    if (c.has_example) {
      const auto& e = c.example;
      out += ", \"example\": {\"method\": " + json_quote(e.method) + ", \"host\": " + json_quote(e.host) +
             ", \"path\": " + json_quote(e.path) + ", \"text\": " + json_quote(e.describe()) + "}";
    }
    out += "}";
  }
  out += d.changes.empty() ? "],\n" : "\n  ],\n";
  out += "  \"uncertain\": [";
  for (size_t i = 0; i < d.uncertain.size(); ++i) out += (i ? ", " : "") + json_quote(d.uncertain[i]);
  out += "],\n  \"summary\": " + json_quote(summary(d)) + "\n}\n";
  return out;
}

std::string render_markdown(const DiffResult& d) {
  std::string out = "### banyanc diff: " + summary(d) + "\n\n";
  if (d.changes.empty() && d.uncertain.empty()) return out + "No request goes elsewhere or is treated differently.\n";
  std::string last;
  for (const auto& c : d.changes) {
    if (heading(c) != last) {
      last = heading(c);
      out += (out.ends_with("\n\n") ? "" : "\n") + std::string("**") + last + "**\n\n";
    }
    out += "- `" + c.requests + "` *" + kinds_words(c) + "*" + (c.certain ? "" : " (uncertain: regexes)") + "  \n";
    if (c.before != c.after) out += "  `" + c.before + "` → `" + c.after + "`  \n";
    for (const auto& s : c.details) out += "  `" + s + "`  \n";
    if (c.has_example) out += "  e.g. `" + c.example.describe() + "`\n";
  }
  if (!d.uncertain.empty()) {
    out += "\n**Not proven**\n\n";
    for (const auto& u : d.uncertain) out += "- " + u + "\n";
  }
  return out;
}

}  // namespace banyan::diff
