// The hand-written routes lexer (token_scanner.h). Each branch is the longest match
// among the grammar's rules that can start with that character, ties going to the
// rule written first, as ANTLR's lexer decides. The keywords come from the generated
// lexer's vocabulary, so the grammar stays their one source.
#include "compiler/parse/token_scanner.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <vector>
#include <unordered_map>

#include "RoutesLexer.h"

namespace banyan::parse {
namespace {

using Type = size_t;

// Longer than every keyword (the longest, remove_response_header, has 22 bytes):
// a word longer than this is an IDENT without a lookup. literals() checks it.
constexpr size_t kMaxKeyword = 32;

// The parser's literal tokens ('site', '{', ...) by their text.
struct Literals {
  std::vector<std::string> texts;
  std::unordered_map<std::string_view, Type> words;  // the keywords (views into texts), all shaped like IDENT
  std::array<Type, 128> punctuation{};          // '{' '}' ',' '=' '~'; 0: none
};

const Literals& literals() {
  static const Literals table = [] {
    Literals t;
    antlr4::ANTLRInputStream empty("");
    RoutesLexer lexer(&empty);
    const antlr4::dfa::Vocabulary& v = lexer.getVocabulary();
    t.texts.reserve(v.getMaxTokenType() + 1);  // no reallocation: the map's keys point into it
    for (Type type = 1; type <= v.getMaxTokenType(); ++type) {
      std::string name = v.getLiteralName(type);  // quoted: "'site'"
      if (name.size() < 3) continue;
      std::string text = name.substr(1, name.size() - 2);
      bool word = std::all_of(text.begin(), text.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
      if (word && text.size() <= kMaxKeyword) {
        t.words.emplace(t.texts.emplace_back(std::move(text)), type);
      } else if (text.size() == 1 && static_cast<unsigned char>(text[0]) < 128) {
        t.punctuation[static_cast<unsigned char>(text[0])] = type;
      } else {
        std::abort();  // a literal the scanner does not know how to match: teach match_at()
      }
    }
    return t;
  }();
  return table;
}

bool digit(char32_t c) { return c >= '0' && c <= '9'; }
bool letter(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool ident_start(char32_t c) { return letter(c) || c == '_'; }
bool ident_part(char32_t c) { return ident_start(c) || digit(c) || c == '-'; }
bool hex_or_colon(char32_t c) {
  return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

// Lengths of the rules' matches at `s`'s start; 0 when the rule does not match.
size_t digits(std::u32string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && digit(s[j])) ++j;
  return j - i;
}

// DIGITS ('.' DIGITS)? then `tail`: PERCENT ('%') and QUANTITY ([a-zA-Z]+).
template <typename Tail>
size_t number_then(std::u32string_view s, Tail tail) {
  size_t j = digits(s, 0);
  if (j == 0) return 0;
  if (j + 1 < s.size() && s[j] == '.' && digit(s[j + 1])) j += 1 + digits(s, j + 1);
  size_t t = tail(s, j);
  return t == 0 ? 0 : j + t;
}

size_t percent(std::u32string_view s) {
  return number_then(s, [](std::u32string_view x, size_t j) -> size_t { return j < x.size() && x[j] == '%'; });
}

size_t quantity(std::u32string_view s) {
  return number_then(s, [](std::u32string_view x, size_t j) {
    size_t k = j;
    while (k < x.size() && letter(x[k])) ++k;
    return k - j;
  });
}

// ADDRESS: (DIGITS '.' DIGITS '.' DIGITS '.' DIGITS | '[' [0-9a-fA-F:.]+ ']')? ':' DIGITS
size_t address(std::u32string_view s) {
  size_t j = 0;
  if (!s.empty() && digit(s[0])) {
    for (int part = 0; part < 4; ++part) {
      if (part > 0) {
        if (j >= s.size() || s[j] != '.') return 0;
        ++j;
      }
      size_t d = digits(s, j);
      if (d == 0) return 0;
      j += d;
    }
  } else if (!s.empty() && s[0] == '[') {
    j = 1;
    while (j < s.size() && hex_or_colon(s[j])) ++j;
    if (j == 1 || j >= s.size() || s[j] != ']') return 0;
    ++j;
  }
  if (j >= s.size() || s[j] != ':') return 0;
  size_t d = digits(s, j + 1);
  return d == 0 ? 0 : j + 1 + d;
}

// TLS_VERSION: 'TLS' 'v'? '1' ('.' [0-3])?
size_t tls_version(std::u32string_view s) {
  if (s.substr(0, 3) != U"TLS") return 0;
  size_t j = 3;
  if (j < s.size() && s[j] == 'v') ++j;
  if (j >= s.size() || s[j] != '1') return 0;
  ++j;
  if (j + 1 < s.size() && s[j] == '.' && s[j + 1] >= '0' && s[j + 1] <= '3') j += 2;
  return j;
}

// The body of STRING: '"' ( ~["\\\r\n] | '\\' ~[\r\n] )*, then whether '"' closes it.
size_t string_body(std::u32string_view s, bool& closed) {
  size_t j = 1;
  while (j < s.size()) {
    char32_t c = s[j];
    if (c == '"' || c == '\r' || c == '\n') break;
    if (c == '\\') {
      if (j + 1 >= s.size() || s[j + 1] == '\r' || s[j + 1] == '\n') break;
      j += 2;
      continue;
    }
    ++j;
  }
  closed = j < s.size() && s[j] == '"';
  return closed ? j + 1 : j;
}

bool path_char(char32_t c) {
  switch (c) {
    case ' ': case '\t': case '\r': case '\n': case '{': case '}': case '"': case '#': case ',': return false;
    default: return true;
  }
}

}  // namespace

CodePoints::CodePoints(std::string_view utf8) {
  if (utf8.starts_with("\xef\xbb\xbf")) utf8.remove_prefix(3);
  _data.resize(utf8.size());  // at most one code point per byte
  size_t n = 0;
  for (size_t i = 0; i < utf8.size();) {
    const auto b = static_cast<unsigned char>(utf8[i]);
    if (b < 0x80) {
      _data[n++] = b;
      ++i;
      continue;
    }
    // A lead byte's length; what follows it is continuation bytes (valid UTF-8), but
    // an input that breaks the promise still never reads past its end.
    const size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
    char32_t cp = b & (0x7F >> len);
    for (size_t k = 1; k < len && i + k < utf8.size(); ++k) cp = cp << 6 | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    _data[n++] = cp;
    i += len;
  }
  _data.resize(n);
}

TokenScanner::Match TokenScanner::match_at() const {
  const std::u32string_view s = text_.substr(at_);
  const char32_t c = s[0];
  const Literals& lit = literals();
  const Match bad{RoutesLexer::BAD_CHAR, 1, 2};  // BAD_CHAR: -> channel(2)
  if (ident_start(c)) {
    size_t n = 1;
    while (n < s.size() && ident_part(s[n])) ++n;
    // TLS_VERSION comes before IDENT: it wins a tie, and can be longer ("TLSv1.2").
    if (c == 'T') {
      if (size_t t = tls_version(s); t >= n) return {RoutesLexer::TLS_VERSION, t};
    }
    if (n <= kMaxKeyword) {  // each keyword is a whole IDENT-shaped word
      char word[kMaxKeyword];
      for (size_t i = 0; i < n; ++i) word[i] = static_cast<char>(s[i]);
      if (auto it = lit.words.find({word, n}); it != lit.words.end()) return {it->second, n};
    }
    return {RoutesLexer::IDENT, n};
  }
  if (digit(c)) {
    // PERCENT, QUANTITY, INT and ADDRESS, in the grammar's order for ties.
    Match best{RoutesLexer::PERCENT, percent(s)};
    for (Match m : {Match{RoutesLexer::QUANTITY, quantity(s)}, Match{RoutesLexer::INT, digits(s, 0)},
                    Match{RoutesLexer::ADDRESS, address(s)}}) {
      if (m.length > best.length) best = m;
    }
    return best;
  }
  switch (c) {
    case '"': {
      bool closed = false;
      return {RoutesLexer::STRING, string_body(s, closed)};  // unclosed: UNTERMINATED_STRING -> type(STRING)
    }
    case '[':
    case ':':
      if (size_t n = address(s)) return {RoutesLexer::ADDRESS, n};
      return bad;
    case '>':
    case '<': return {RoutesLexer::COMPARATOR, s.size() > 1 && s[1] == '=' ? 2u : 1u};
    case '+':
    case '-': return {RoutesLexer::SIGN, 1};
    case '/': {
      size_t n = 1;
      while (n < s.size() && path_char(s[n])) ++n;
      return {RoutesLexer::PATH, n};
    }
    case '$': {
      if (s.size() < 2 || !ident_start(s[1])) return bad;
      size_t n = 2;
      while (n < s.size() && (ident_start(s[n]) || digit(s[n]))) ++n;
      return {RoutesLexer::VARIABLE, n};
    }
    case '#': {
      size_t n = 1;
      while (n < s.size() && s[n] != '\r' && s[n] != '\n') ++n;
      return {RoutesLexer::COMMENT, n, antlr4::Token::HIDDEN_CHANNEL};
    }
    default: break;
  }
  if (c < 128 && lit.punctuation[c] != 0) return {lit.punctuation[c], 1};
  return bad;
}

void TokenScanner::advance(size_t n) {
  for (size_t end = at_ + n; at_ < end; ++at_) {
    if (text_[at_] == '\n') {
      ++line_;
      column_ = 0;
    } else {
      ++column_;
    }
  }
}

std::unique_ptr<antlr4::CommonToken> TokenScanner::next() {
  // WS: [ \t\r\n]+ -> skip
  while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\r' || text_[at_] == '\n'))
    advance(1);
  const size_t line = line_, column = column_, start = at_;
  if (at_ >= text_.size()) {
    return getTokenFactory()->create({this, &input_}, antlr4::Token::EOF, "", antlr4::Token::DEFAULT_CHANNEL, at_,
                                     at_ - 1, line, column);
  }
  Match m = match_at();
  advance(m.length);
  return getTokenFactory()->create({this, &input_}, m.type, "", m.channel, start, at_ - 1, line, column);
}

// BufferedTokenStream::fetch, as ANTLR 4.9 writes it, less the cast.
size_t ScannedTokenStream::fetch(size_t n) {
  if (_fetchedEOF) return 0;
  for (size_t i = 0; i < n; ++i) {
    std::unique_ptr<antlr4::CommonToken> t = scanner_.next();
    t->setTokenIndex(_tokens.size());
    const bool eof = t->getType() == antlr4::Token::EOF;
    _tokens.push_back(std::move(t));
    if (eof) {
      _fetchedEOF = true;
      return i + 1;
    }
  }
  return n;
}

}  // namespace banyan::parse
