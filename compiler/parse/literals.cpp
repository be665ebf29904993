// String unquoting, and the compiler's layer over runtime/plan/units: the unit tables
// and range checks live there; an unknown unit gets its "did you mean" here.
#include "compiler/parse/literals.h"

#include <vector>

#include "compiler/diag/suggest.h"

namespace banyan::parse {
namespace {

std::string unit_error(std::string_view unit, std::string_view kind, const std::vector<std::string>& names) {
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) list += i + 1 == names.size() ? " or " : ", ";
    list += names[i];
  }
  std::string msg = "unknown " + std::string(kind) + " unit '" + std::string(unit) + "'";
  if (auto c = diag::closest(unit, names)) msg += "; did you mean '" + *c + "'?";
  else msg += "; use " + list;
  return msg;
}

}  // namespace

StringLiteral unquote(std::string_view token) {
  StringLiteral out;
  if (token.empty() || token.front() != '"') {
    out.value = std::string(token);
    return out;
  }
  out.closed = token.size() >= 2 && token.back() == '"';
  // A lone trailing quote after a backslash is an escaped quote, not the closing one.
  if (out.closed) {
    size_t backslashes = 0;
    for (size_t i = token.size() - 1; i > 1 && token[i - 1] == '\\'; --i) ++backslashes;
    if (backslashes % 2 == 1) out.closed = false;
  }
  std::string_view body = token.substr(1, token.size() - 1 - (out.closed ? 1 : 0));
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 >= body.size()) {
      out.value += c;
      continue;
    }
    char e = body[++i];
    switch (e) {
      case '"': out.value += '"'; break;
      case '\\': out.value += '\\'; break;
      case 'n': out.value += '\n'; break;
      case 't': out.value += '\t'; break;
      case '$': out.value += "\\$"; break;  // kept escaped: templates read it as a literal '$'
      default:
        if (out.bad_escape.empty()) {
          out.bad_escape = std::string("\\") + e;
          out.bad_escape_offset = static_cast<uint32_t>(i);  // +1 for the quote, -1 for the backslash
        }
        out.value += e;
    }
  }
  return out;
}

// The units error again, with "did you mean" when a unit name is close.
template <typename T>
Parsed<T> with_suggestion(Parsed<T> p, std::string_view text, std::string_view kind,
                          const std::vector<units::Unit>& table) {
  if (p.ok || !p.unknown_unit) return p;
  std::string_view number, unit;
  units::split_quantity(text, number, unit);
  return Parsed<T>::bad(unit_error(unit, kind, units::unit_names(table)), true);
}

Parsed<int64_t> parse_duration(std::string_view text) {
  return with_suggestion(units::parse_duration(text), text, "duration", units::duration_units());
}

Parsed<uint64_t> parse_size(std::string_view text) {
  return with_suggestion(units::parse_size(text), text, "size", units::size_units());
}

Parsed<uint32_t> parse_percent(std::string_view text) { return units::parse_percent(text); }

Parsed<int64_t> parse_int(std::string_view text) { return units::parse_int(text); }

}  // namespace banyan::parse
