// `banyanc fmt`: the one canonical layout of a routes file. Works from the token list
// of a file that parsed cleanly, so it can only change white space: every token and
// comment is kept, in order, with its text unchanged.
//
// The layout: one statement per line, two spaces per block level, single spaces
// between tokens, no space before ',', '{' at the end of its statement's line, '}'
// alone on its line, `{}` for an empty block. Comments stay where they were: on
// their own line (indented with the code) or after code on the same line. Blank
// lines between statements are kept, at most one in a row, never right after '{'
// or before '}'.
#pragma once

#include <string>
#include <vector>

#include "compiler/parse/parse_file.h"

namespace banyan::format {

std::string format_tokens(const std::vector<parse::SyntaxToken>& tokens);

}  // namespace banyan::format
