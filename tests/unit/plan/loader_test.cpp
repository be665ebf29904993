// The loader refuses every damaged plan by name: any flipped byte, any truncation, a
// newer format, and hostile plans whose checksum is right but whose records lie.
#include <catch2/catch.hpp>
#include <xxhash.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "compiler/emit/emit_plan.h"
#include "compiler/plan_sources.h"
#include "runtime/plan/matcher.h"
#include "runtime/plan/plan.h"
#include "tests/support/test_files.h"

namespace banyan::plan {
namespace {

std::string compile_example(const std::string& relative) {
  test::Checked c;
  test::check_disk_file(c, test::source_dir() + "/" + relative);
  REQUIRE(c.sink.error_count() == 0);
  return emit::emit_plan(c.result.ast, analysis::build_route_model(c.result.ast), c.sm);
}

// Recomputes the checksum after a test edits a plan on purpose, so the loader's
// other checks are reached. Written from docs/plan-format.md, not from the emitter.
void reseal(std::string& bytes) {
  uint64_t sum = XXH3_64bits(bytes.data() + 24, bytes.size() - 24);
  std::memcpy(bytes.data() + 16, &sum, 8);
}

template <typename T>
T* record(std::string& bytes, Section s, uint32_t i) {
  SectionEntry e;
  std::memcpy(&e, bytes.data() + sizeof(Header) + sizeof(SectionEntry) * static_cast<uint32_t>(s), sizeof e);
  REQUIRE(i < e.count);
  return reinterpret_cast<T*>(bytes.data() + e.offset + sizeof(T) * i);
}

}  // namespace

TEST_CASE("every example compiles to the same bytes twice and loads", "[plan]") {
  for (const char* f : {"examples/image-gallery/gallery.routes", "examples/image-gallery/migration.routes"}) {
    INFO(f);
    std::string a = compile_example(f), b = compile_example(f);
    CHECK(a == b);
    LoadResult r = load_plan(a);
    INFO(r.error);
    REQUIRE(r.plan);
    CHECK(r.plan->routes().size() == 3);
  }
}

TEST_CASE("a plan file is read once into the plan and verified the same way", "[plan]") {
  const std::string good = compile_example("examples/image-gallery/gallery.routes");
  std::string dir = std::filesystem::temp_directory_path() / ("banyan-plan-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  test::write_file(dir + "/good.plan", good);
  LoadResult r = load_plan_file(dir + "/good.plan");
  INFO(r.error);
  REQUIRE(r.plan);
  CHECK(r.plan->size_bytes() == good.size());
  test::write_file(dir + "/short.plan", good.substr(0, good.size() - 1));
  CHECK(load_plan_file(dir + "/short.plan").error.find("truncated") != std::string::npos);
  CHECK(load_plan_file(dir + "/missing.plan").error.find("cannot open") != std::string::npos);
  CHECK(load_plan_file(dir).error.find("not a regular file") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a plan with any one byte flipped is refused, with a message naming the problem", "[plan]") {
  const std::string good = compile_example("examples/image-gallery/migration.routes");
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    LoadResult r = load_plan(bad);
    INFO("byte " << i);
    REQUIRE_FALSE(r.plan);
    if (i < 8) CHECK(r.error.find("not a Banyan plan") != std::string::npos);
    else if (i < 12) CHECK(r.error.find("plan format version") != std::string::npos);
    else if (i < 16)
      CHECK(r.error.find("sections, format version " + std::to_string(kFormatVersion) + " has " + std::to_string(kSectionCount)) !=
            std::string::npos);
    else if (i >= 24 && i < 32) CHECK(r.error.find("the header says") != std::string::npos);
    else CHECK(r.error.find("checksum mismatch") != std::string::npos);
  }
}

TEST_CASE("a truncated plan is refused at every length", "[plan]") {
  const std::string good = compile_example("examples/image-gallery/gallery.routes");
  for (size_t n = 0; n < good.size(); ++n) {
    LoadResult r = load_plan(std::string_view(good).substr(0, n));
    INFO("length " << n);
    REQUIRE_FALSE(r.plan);
    CHECK((r.error.find("truncated") != std::string::npos || r.error.find("not a Banyan plan") != std::string::npos));
  }
}

TEST_CASE("a plan from a newer compiler is refused by version, not half-read", "[plan]") {
  std::string bytes = compile_example("examples/image-gallery/gallery.routes");
  uint32_t v = kFormatVersion + 1;
  std::memcpy(bytes.data() + 8, &v, 4);
  reseal(bytes);
  LoadResult r = load_plan(bytes);
  REQUIRE_FALSE(r.plan);
  CHECK(r.error.find("is newer than this build reads") != std::string::npos);
}

TEST_CASE("a plan from an older compiler is refused with a message that says to recompile", "[plan]") {
  std::string bytes = compile_example("examples/image-gallery/gallery.routes");
  uint32_t v = kMinVersion - 1;  // version 4: migrations without `compare_ignore`
  std::memcpy(bytes.data() + 8, &v, 4);
  reseal(bytes);
  LoadResult r = load_plan(bytes);
  REQUIRE_FALSE(r.plan);
  CHECK(r.error == "plan format version 4 is older than this build reads (5 to " + std::to_string(kFormatVersion) + "); recompile the routes");
}

TEST_CASE("a version 7 plan, whose nodes name nothing to fetch ahead, is read and routes as its version 8 form does", "[plan]") {
  const std::string v8 = compile_example("examples/image-gallery/gallery.routes");
  std::string v7 = v8;
  uint32_t version = 7;
  std::memcpy(v7.data() + 8, &version, 4);
  SectionEntry nodes;
  std::memcpy(&nodes, v7.data() + sizeof(Header) + sizeof(SectionEntry) * static_cast<uint32_t>(Section::Nodes), sizeof nodes);
  REQUIRE(nodes.count > 1);
  bool named = false;  // some node names another to fetch ahead in version 8
  for (uint32_t i = 0; i < nodes.count; ++i) {
    Node* n = record<Node>(v7, Section::Nodes, i);
    named = named || n->prefetch_node != i;
    n->prefetch_node = n->prefetch_entries = 0;  // version 7's padding
  }
  CHECK(named);
  reseal(v7);
  LoadResult old = load_plan(v7), now = load_plan(v8);
  INFO(old.error);
  REQUIRE(old.plan);
  REQUIRE(now.plan);
  for (const char* path : {"/", "/api/image", "/demo.Greeter/SayHello", "/nowhere/x"}) {
    RequestView req{"GET", "image-gallery.local", path, "", {}};
    MatchResult a, b;
    CHECK(match(*old.plan, req, a));  // every one of them is routed (the last by `/`)
    CHECK(match(*now.plan, req, b));
    CHECK(a.route == b.route);
    CHECK(a.captures[0].value == b.captures[0].value);
  }
  // The same zeros in a version 8 plan are a mistake.
  std::memcpy(v7.data() + 8, &kFormatVersion, 4);
  reseal(v7);
  CHECK(load_plan(v7).error.find("it names the wrong nodes to fetch ahead") != std::string::npos);
}

TEST_CASE("hostile plans with a valid checksum are refused by the record at fault", "[plan]") {
  const std::string good = compile_example("examples/image-gallery/migration.routes");
  auto refused = [&](auto&& edit) {
    std::string bytes = good;
    edit(bytes);
    reseal(bytes);
    LoadResult r = load_plan(bytes);
    REQUIRE_FALSE(r.plan);
    return r.error;
  };
  CHECK(refused([](std::string& b) { record<Route>(b, Section::Routes, 2)->upstream = 40; }) ==
        "route 2: upstream index 40 out of range (the plan has 3)");
  CHECK(refused([](std::string& b) { record<Route>(b, Section::Routes, 0)->pattern.offset = 0xFFFFFF00u; }) ==
        "route 0: a string reference points outside the string table");
  CHECK(refused([](std::string& b) { record<Route>(b, Section::Routes, 0)->path_kind = static_cast<PathKind>(9); }) ==
        "route 0: unknown kind 9");
  CHECK(refused([](std::string& b) { record<Route>(b, Section::Routes, 0)->literal.length -= 1; }) ==
        "route 0: its literal prefix does not fit its kind of path");
  CHECK(refused([](std::string& b) { record<Route>(b, Section::Routes, 2)->literal = record<Route>(b, Section::Routes, 0)->literal; })
            .find("route 2: its literal prefix does not fit") != std::string::npos);
  CHECK(refused([](std::string& b) { record<Entry>(b, Section::Entries, 0)->methods = kMethodGet; })
            .find("is listed with the wrong methods or flags") != std::string::npos);
  CHECK(refused([](std::string& b) {
          // A response header value of route 0 made to name an unknown variable.
          HeaderOp* op = record<HeaderOp>(b, Section::HeaderOps, 1);
          char* text = b.data() + reinterpret_cast<SectionEntry*>(b.data() + sizeof(Header))->offset + op->value.offset;
          text[0] = '$';
          text[1] = 'x';
        }).find("unknown variable '$x") != std::string::npos);
  CHECK(refused([](std::string& b) { record<Node>(b, Section::Nodes, 1)->resume += 1; }).find("does not continue it") !=
        std::string::npos);
  CHECK(refused([](std::string& b) { record<Node>(b, Section::Nodes, 0)->children.first = 0; }).starts_with("node 0: "));
  CHECK(refused([](std::string& b) { record<Node>(b, Section::Nodes, 1)->prefetch_node += 1; }) ==
        "node 1: it names the wrong nodes to fetch ahead");
  CHECK(refused([](std::string& b) { record<Node>(b, Section::Nodes, 1)->prefetch_entries += 1; }) ==
        "node 1: it names the wrong nodes to fetch ahead");
  CHECK(refused([](std::string& b) { record<Migration>(b, Section::Migrations, 0)->steps = {0, 1000}; }) ==
        "migration 0: a list reference points outside its section");
  CHECK(refused([](std::string& b) {
          SectionEntry* e = reinterpret_cast<SectionEntry*>(b.data() + sizeof(Header) + sizeof(SectionEntry) * 14);
          e->count += 1000;
        }) == "section 14 lies outside the plan or is misaligned");
  CHECK(refused([](std::string& b) {
          SectionEntry* e = reinterpret_cast<SectionEntry*>(b.data() + sizeof(Header) + sizeof(SectionEntry) * 12);
          e->record_size = 8;  // Entries: 16 bytes
        }).find("records of 8 bytes") != std::string::npos);
  CHECK(refused([](std::string& b) { record<SourceFile>(b, Section::Sources, 1)->text.length = 0xFFFFFF00u; }) ==
        "source 1: a string reference points outside the string table");
  // Hosts are looked up as requests send them before they are canonicalised: a name
  // with a capital letter or a port would take requests a canonical one does not.
  for (std::string_view change : {"I", ":8"}) {
    CAPTURE(change);
    CHECK(refused([&](std::string& b) {
            uint32_t i = 0;
            while (record<Host>(b, Section::Hosts, i)->kind != HostKind::Exact) ++i;
            const Host* h = record<Host>(b, Section::Hosts, i);
            REQUIRE(std::string_view(b).substr(reinterpret_cast<SectionEntry*>(b.data() + sizeof(Header))->offset +
                                               h->name.offset, h->name.length) == "image-gallery.local");
            char* text = b.data() + reinterpret_cast<SectionEntry*>(b.data() + sizeof(Header))->offset + h->name.offset;
            std::memcpy(text + h->name.length - change.size(), change.data(), change.size());
          }).find("' is not in canonical form (lower case, no port, no trailing dot)") != std::string::npos);
  }
}

TEST_CASE("a plan carries its routes sources: each file's path and text, the root first, hashed in its header", "[plan]") {
  LoadResult r = load_plan(compile_example("examples/image-gallery/migration.routes"));
  INFO(r.error);
  REQUIRE(r.plan);
  REQUIRE(r.plan->sources().size() == 2);
  const Plan& p = *r.plan;
  CHECK(p.str(p.sources()[0].path).ends_with("examples/image-gallery/migration.routes"));
  CHECK(p.str(p.sources()[1].path).ends_with("examples/image-gallery/gallery.routes"));
  CHECK(p.str(p.sources()[0].text) == test::read_file(test::source_dir() + "/examples/image-gallery/migration.routes"));
  CHECK(p.str(p.sources()[1].text) == test::read_file(test::source_dir() + "/examples/image-gallery/gallery.routes"));
}

TEST_CASE("a plan without routes sources loads (the runtime routes without them), and says so when its routes are asked for", "[plan]") {
  // As random_file's plans in plan_matcher_test, emitted from routes held in memory.
  std::string bytes = compile_example("examples/image-gallery/gallery.routes");
  reinterpret_cast<SectionEntry*>(bytes.data() + sizeof(Header) + sizeof(SectionEntry) * 24)->count = 0;
  reseal(bytes);
  LoadResult r = load_plan(bytes);
  INFO(r.error);
  REQUIRE(r.plan);
  CHECK(r.plan->sources().empty());
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  ast::File back;
  std::string error;
  CHECK_FALSE(parse_plan_sources(*r.plan, sm, sink, back, error));
  CHECK(error.starts_with("routes sources are not in it"));
}

TEST_CASE("a plan of several huge pages loads and routes as a small one does", "[plan]") {
  // Plans of 2 MiB and more are stored in huge pages where the kernel allows it
  // (loader.cpp, allocate): a different size class and alignment, checked here.
  std::string text = "upstream api {\n  server \"10.0.0.2:8080\"\n}\nsite \"api.example.com\" {\n";
  constexpr int kRoutes = 7000;
  for (int i = 0; i < kRoutes; ++i) text += "  route /r" + std::to_string(i) + "/:id {\n    method GET\n    to api\n  }\n";
  text += "}\n";
  test::Checked c;
  test::check_text(c, "big.routes", text);
  REQUIRE(c.sink.error_count() == 0);
  const std::string bytes = emit::emit_plan(c.result.ast, analysis::build_route_model(c.result.ast), c.sm);
  REQUIRE(bytes.size() >= (2u << 20));
  LoadResult r = load_plan(bytes);
  INFO(r.error);
  REQUIRE(r.plan);
  for (int i : {0, 1, 4095, kRoutes - 1}) {
    std::string path = "/r" + std::to_string(i) + "/7";
    RequestView req{"GET", "api.example.com", path, "", {}};
    MatchResult m;
    INFO(path);
    REQUIRE(match(*r.plan, req, m));
    CHECK(m.route == r.plan->sites()[m.site].routes.first + static_cast<uint32_t>(i));
  }
  RequestView other{"GET", "api.example.com", "/r7000/7", "", {}};
  MatchResult m;
  CHECK_FALSE(match(*r.plan, other, m));
}

}  // namespace banyan::plan
