// libFuzzer target: any bytes as a routes file, through the whole check pipeline
// and, when it parses, the formatter. Finds crashes, hangs, leaks and UB; asserts
// that formatting never loses a token.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "compiler/check_pipeline.h"
#include "compiler/diag/render.h"
#include "compiler/format/format_file.h"
#include "compiler/parse/parse_file.h"
#include "compiler/source/file_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  banyan::source::MemoryFileReader reader;
  reader.add("fuzz.routes", text);
  banyan::source::SourceManager sm;
  banyan::diag::DiagnosticSink sink;
  banyan::check_file("fuzz.routes", sm, sink, reader);
  // Rendering touches every range: an out-of-bounds one shows up here.
  (void)banyan::diag::render_text(sink.all(), sm);
  (void)banyan::diag::render_sarif(sink.all(), sm);

  banyan::source::SourceManager sm2;
  banyan::diag::DiagnosticSink sink2;
  auto id = sm2.add("fuzz.routes", text);
  auto parsed = banyan::parse::parse_file(sm2.file(id), sink2);
  if (parsed.syntax_ok) {
    std::string once = banyan::format::format_tokens(parsed.tokens);
    banyan::source::SourceManager sm3;
    banyan::diag::DiagnosticSink sink3;
    auto id3 = sm3.add("formatted.routes", once);
    auto reparsed = banyan::parse::parse_file(sm3.file(id3), sink3);
    // The formatter only moves white space: its output parses, to the same tokens.
    if (!reparsed.syntax_ok || banyan::format::format_tokens(reparsed.tokens) != once) std::abort();
  }
  return 0;
}
