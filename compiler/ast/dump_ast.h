// A stable, indented text dump of the AST, for golden tests and `banyanc dump-ast`.
// With a SourceManager each node carries @line:col; without, the dump compares two
// files' meaning regardless of layout (used by the formatter's round-trip test).
#pragma once

#include <string>

#include "compiler/ast/ast.h"
#include "compiler/source/source_file.h"

namespace banyan::ast {

std::string dump_ast(const File& file, const source::SourceManager* sm);

// One node's dump, without positions, indented as in the whole file's: `banyanc diff`
// compares routes, upstreams, tls blocks and migrations by these, so a setting added
// to the dump is compared too.
std::string dump_route(const Route& r);
std::string dump_upstream(const Upstream& u);
std::string dump_tls(const Tls& t);
std::string dump_migration(const Migration& m);

}  // namespace banyan::ast
