// Parse tree -> Banyan AST. Checks what the grammar leaves to words and literals:
// units, ranges, option words, path and host patterns, addresses, $variables, and
// settings given twice. Tolerates trees that ANTLR repaired after syntax errors.
#pragma once

#include "RoutesParser.h"
#include "compiler/ast/ast.h"
#include "compiler/parse/reader_context.h"

namespace banyan::parse {

ast::File build_ast(RoutesParser::FileContext* tree, ReaderContext& ctx);

}  // namespace banyan::parse
