// Inline annotations that silence a warning on one construct, with a reason:
//
//   route ~ "^/a/(x|y)+z$" {   # banyan:allow B0406 "ids and names never share a path"
//
// A trailing annotation covers the statement its line belongs to (with its block); an
// annotation on a line of its own covers the next statement. Only warnings can be
// silenced: an error means the plan would be undefined or wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/diag/diagnostic.h"
#include "compiler/parse/parse_file.h"
#include "compiler/source/source_file.h"

namespace banyan::parse {

struct Annotation {
  source::SourceRange range;  // the comment
  std::vector<diag::Code> codes;
  std::string reason;
  source::SourceRange scope;  // the statement it covers
};

// What opens an annotation comment ("# banyan:allow ..."). A file whose text does not
// hold it has none, and is read without its token list (parse_file's Layout::Skip).
constexpr std::string_view annotation_marker() { return "banyan:allow"; }

// The well-formed annotations among a file's comments; malformed ones are reported.
std::vector<Annotation> find_annotations(const source::SourceFile& file, const std::vector<SyntaxToken>& tokens,
                                         diag::DiagnosticSink& sink);

// Drops the warnings the annotations cover; reports annotations that covered none.
void apply_annotations(const std::vector<Annotation>& annotations, diag::DiagnosticSink& sink);

}  // namespace banyan::parse
