#include "compiler/parse/load_routes.h"

#include <catch2/catch.hpp>

#include "compiler/diag/render.h"

namespace banyan::parse {

TEST_CASE("included files add their declarations, resolved relative to the includer") {
  source::MemoryFileReader fs;
  fs.add("conf/main.routes", "include \"up/u.routes\"\nsite \"a.com\" { route / { to u } }\n");
  fs.add("conf/up/u.routes", "upstream u { server \"u:80\" }\n");
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  auto r = load_routes("conf/main.routes", sm, sink, fs);
  INFO(diag::render_text(sink.all(), sm));
  CHECK(sink.all().empty());
  CHECK(r.read_ok);
  REQUIRE(r.ast.upstreams.size() == 1);
  CHECK(sm.file(r.ast.upstreams[0].range.file).path() == "conf/up/u.routes");
}

TEST_CASE("a file included along two paths (a diamond) is read once") {
  source::MemoryFileReader fs;
  fs.add("a.routes", "include \"b.routes\"\ninclude \"c.routes\"\n");
  fs.add("b.routes", "include \"d.routes\"\n");
  fs.add("c.routes", "include \"d.routes\"\n");
  fs.add("d.routes", "upstream x { server \"x:80\" }\n");
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  auto r = load_routes("a.routes", sm, sink, fs);
  CHECK(sink.all().empty());
  CHECK(r.ast.upstreams.size() == 1);
  CHECK(sm.size() == 4);
}

TEST_CASE("a file over the size budget is reported as too large, not as unreadable") {
  source::MemoryFileReader fs;
  fs.add("big.routes", std::string(5000, '#'));
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  Limits limits;
  limits.max_file_bytes = 1000;
  auto r = load_routes("big.routes", sm, sink, fs, limits);
  CHECK(r.read_ok);
  CHECK_FALSE(r.syntax_ok);
  REQUIRE(sink.all().size() == 1);
  CHECK(sink.all()[0].code == diag::Code::InputTooLarge);
  CHECK(sm.file(1).text().size() == 1001);  // the reader stops one byte past the budget
}

TEST_CASE("a file that includes itself through another is an include cycle") {
  source::MemoryFileReader fs;
  fs.add("a.routes", "include \"b.routes\"\n");
  fs.add("b.routes", "include \"a.routes\"\n");
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  load_routes("a.routes", sm, sink, fs);
  REQUIRE(sink.all().size() == 1);
  CHECK(sink.all()[0].code == diag::Code::IncludeCycle);
  CHECK(sm.file(sink.all()[0].range.file).path() == "b.routes");
}

TEST_CASE("a missing include is reported at the include line and the root still loads") {
  source::MemoryFileReader fs;
  fs.add("a.routes", "include \"nope.routes\"\nupstream u { server \"u:80\" }\n");
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  auto r = load_routes("a.routes", sm, sink, fs);
  CHECK(r.read_ok);
  REQUIRE(sink.all().size() == 1);
  CHECK(sink.all()[0].code == diag::Code::IncludeFailed);
  CHECK(r.ast.upstreams.size() == 1);
}

TEST_CASE("include chains deeper than the budget stop with a diagnostic") {
  source::MemoryFileReader fs;
  for (int i = 0; i < 40; ++i) fs.add("f" + std::to_string(i) + ".routes", "include \"f" + std::to_string(i + 1) + ".routes\"\n");
  fs.add("f40.routes", "\n");
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  load_routes("f0.routes", sm, sink, fs);
  REQUIRE(sink.all().size() == 1);
  CHECK(sink.all()[0].code == diag::Code::InputTooLarge);
  CHECK(sm.size() == Limits{}.max_include_depth);
}

TEST_CASE("an unreadable root file is an I/O failure, not a diagnostic in some file") {
  source::MemoryFileReader fs;
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  auto r = load_routes("missing.routes", sm, sink, fs);
  CHECK_FALSE(r.read_ok);
  REQUIRE(sink.all().size() == 1);
  CHECK_FALSE(sink.all()[0].range.valid());
}

}  // namespace banyan::parse
