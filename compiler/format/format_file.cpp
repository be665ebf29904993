// The formatter's single pass over tokens (see format_file.h for the layout rules).
#include "compiler/format/format_file.h"

namespace banyan::format {
namespace {

using Kind = parse::SyntaxToken::Kind;

class Printer {
 public:
  std::string out;

  void token(const parse::SyntaxToken& t, const parse::SyntaxToken* next_code) {
    switch (t.kind) {
      case Kind::Comment: comment(t); return;
      case Kind::CloseBrace: close(t); return;
      case Kind::OpenBrace:
        out += " {";
        ++depth_;
        last_ = Last::Open;
        // `{}`: an empty block stays on one line.
        if (next_code && next_code->kind == Kind::CloseBrace) empty_block_ = true;
        break;
      case Kind::Comma:
        out += ",";
        last_ = Last::Code;
        break;
      case Kind::Code:
        if (t.starts_statement || last_ == Last::None || last_ == Last::Open || last_ == Last::LineDone) {
          begin_line(t.line);
        } else {
          out += " ";
        }
        out.append(t.text);
        last_ = Last::Code;
        break;
    }
    end_line_ = t.end_line;
  }

  void finish() {
    if (last_ != Last::LineDone && last_ != Last::None) out += '\n';
  }

 private:
  enum class Last { None, Code, Open, Close, LineDone };

  void newline_if_needed() {
    if (last_ == Last::Code || last_ == Last::Open || last_ == Last::Close) out += '\n';
  }

  // Start a line for a statement or an own-line comment, keeping one blank line
  // where the source had one or more.
  void begin_line(uint32_t line) {
    newline_if_needed();
    if (last_ != Last::None && last_ != Last::Open && !after_open_line_ && line > end_line_ + 1) out += '\n';
    after_open_line_ = false;
    out.append(static_cast<size_t>(depth_) * 2, ' ');
  }

  void comment(const parse::SyntaxToken& t) {
    if ((last_ == Last::Code || last_ == Last::Open || last_ == Last::Close) && t.line == end_line_) {
      out += " ";
      out.append(t.text);
      out += '\n';
      after_open_line_ = last_ == Last::Open;
      last_ = Last::LineDone;
      end_line_ = t.end_line;
      return;
    }
    begin_line(t.line);
    out.append(t.text);
    out += '\n';
    last_ = Last::LineDone;
    end_line_ = t.end_line;
  }

  void close(const parse::SyntaxToken& t) {
    if (depth_ > 0) --depth_;
    if (empty_block_ && last_ == Last::Open) {
      out += "}";
    } else {
      newline_if_needed();
      out.append(static_cast<size_t>(depth_) * 2, ' ');
      out += "}";
    }
    empty_block_ = false;
    after_open_line_ = false;
    last_ = Last::Close;
    end_line_ = t.end_line;
  }

  int depth_ = 0;
  uint32_t end_line_ = 0;
  Last last_ = Last::None;
  bool empty_block_ = false;
  bool after_open_line_ = false;  // the line just ended is a block's '{' line
};

}  // namespace

std::string format_tokens(const std::vector<parse::SyntaxToken>& tokens) {
  Printer p;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const parse::SyntaxToken* next_code = nullptr;
    for (size_t j = i + 1; j < tokens.size(); ++j) {
      if (tokens[j].kind != Kind::Comment) {
        next_code = &tokens[j];
        break;
      }
      break;  // a comment in between: the block is not empty on one line
    }
    p.token(tokens[i], next_code);
  }
  p.finish();
  return p.out;
}

}  // namespace banyan::format
