// The routes sources a plan carries (format 3's Sources section): written by the
// emitter, read back by `banyanc diff` and by a gateway reloading a plan file, so a
// plan can be compared with a routes file or another plan as exactly as two routes
// files are. The sources are parsed again, not checked again: the plan is the proof
// that they checked clean when it was compiled (certificates are not read).
#pragma once

#include <cstdint>
#include <string>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/source/source_file.h"
#include "runtime/plan/plan.h"

namespace banyan {

// SHA-256 of every file's text in load order: the plan header's source_sha256.
void sources_sha256(const source::SourceManager& sm, uint8_t (&out)[32]);

// The plan's sources parsed into `out` (files into `sm`, syntax errors into `sink`).
// False with `error` when the texts do not hash to the header's source_sha256, or
// when they no longer parse (a plan from a banyanc whose language differs).
bool parse_plan_sources(const plan::Plan& p, source::SourceManager& sm, diag::DiagnosticSink& sink, ast::File& out,
                        std::string& error);

}  // namespace banyan
