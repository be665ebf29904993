// A plan's routes sources: their hash (the emitter's and the reader's one
// definition) and the parse of them back into an AST, through an in-memory reader
// that holds each file under the path banyanc read it from (so includes resolve as
// they did when the plan was compiled).
#include "compiler/plan_sources.h"

#include <openssl/evp.h>

#include <cstring>

#include "compiler/parse/load_routes.h"
#include "compiler/source/file_reader.h"

namespace banyan {

void sources_sha256(const source::SourceManager& sm, uint8_t (&out)[32]) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (source::FileId id = 1; id <= sm.size(); ++id) {
    std::string_view text = sm.file(id).text();
    EVP_DigestUpdate(ctx, text.data(), text.size());
  }
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, out, &len);
  EVP_MD_CTX_free(ctx);
}

bool parse_plan_sources(const plan::Plan& p, source::SourceManager& sm, diag::DiagnosticSink& sink, ast::File& out,
                        std::string& error) {
  if (p.sources().empty()) {
    error = "routes sources are not in it (it was emitted from routes held in memory, not from a file)";
    return false;
  }
  source::MemoryFileReader reader;
  for (const plan::SourceFile& f : p.sources()) reader.add(std::string(p.str(f.path)), std::string(p.str(f.text)));
  const std::string root(p.str(p.sources()[0].path));
  parse::LoadResult loaded = parse::load_routes(root, sm, sink, reader);
  uint8_t sha[32] = {};
  sources_sha256(sm, sha);
  if (sm.size() != p.sources().size() || std::memcmp(sha, p.header().source_sha256, sizeof sha) != 0) {
    error = "routes sources do not match the source sha256 in its header (the plan was altered)";
    return false;
  }
  if (!loaded.read_ok || !loaded.syntax_ok || sink.error_count() > 0) {
    error = "routes sources no longer parse (it was compiled by a banyanc whose language differs): recompile it";
    return false;
  }
  out = std::move(loaded.ast);
  return true;
}

}  // namespace banyan
