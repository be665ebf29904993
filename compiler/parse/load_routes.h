// Loading a routes file with its includes: each file is parsed on its own, then its
// declarations are appended to the result in include order. Includes are resolved
// relative to the including file; cycles and depth are bounded.
#pragma once

#include <string>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/parse/annotations.h"
#include "compiler/parse/parse_file.h"
#include "compiler/source/file_reader.h"
#include "compiler/source/source_file.h"

namespace banyan::parse {

struct LoadResult {
  ast::File ast;
  bool read_ok = false;    // the root file could be read at all (else: exit 2)
  bool syntax_ok = false;  // every file lexed and parsed without error
  source::FileId root = source::kNoFile;  // the file named on the command line
  std::vector<Annotation> annotations;  // `# banyan:allow` comments of every file
};

LoadResult load_routes(const std::string& path, source::SourceManager& sm, diag::DiagnosticSink& sink,
                       source::FileReader& reader, const Limits& limits = {});

}  // namespace banyan::parse
