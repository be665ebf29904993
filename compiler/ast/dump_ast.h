// A stable, indented text dump of the AST, for golden tests and `banyanc dump-ast`.
// With a SourceManager each node carries @line:col; without, the dump compares two
// files' meaning regardless of layout (used by the formatter's round-trip test).
#pragma once

#include <string>

#include "compiler/ast/ast.h"
#include "compiler/source/source_file.h"

namespace banyan::ast {

std::string dump_ast(const File& file, const source::SourceManager* sm);

}  // namespace banyan::ast
