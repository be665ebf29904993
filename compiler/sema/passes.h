// The semantic passes over a loaded AST. Each pass lives in its own file, named after
// what it checks, and only reads the AST. The order they run in is check_file() in
// compiler/check_pipeline.cpp.
#pragma once

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"

namespace banyan::sema {

// Two upstreams, caches, tls blocks or migrations with one name; one host in two sites.
void check_duplicate_names(const ast::File& file, diag::DiagnosticSink& sink);

// Every `to`, `cache`, site `tls` and migration `from`/`to` names a declaration.
void resolve_names(const ast::File& file, diag::DiagnosticSink& sink);

}  // namespace banyan::sema
