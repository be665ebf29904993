// The state directory's store: what is saved is what is loaded, a save replaces the
// file whole (no temporary file is left), a file that does not parse is an error and
// no records, and a missing file is no records and no error.
#include "runtime/proxy/state_store.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace banyan::proxy {
namespace {

std::filesystem::path fresh_dir() {
  auto d = std::filesystem::temp_directory_path() / ("banyan-state-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

TEST_CASE("migration records saved in a state directory load back the same, and replace the file whole", "[proxy]") {
  auto dir = fresh_dir();
  auto store = make_state_store(dir.string());
  std::string error;
  CHECK(store->load(error).empty());
  CHECK(error.empty());
  MigrationRecords r;
  r["extract \"api\" v2"] = {1764662400123, "rolled_back", 0, {{1764662401000, "rollback", "error_rate 12% > 1%"}}};
  r["reports"] = {-1, "paused", 2500, {{5, "pause", "asked"}, {6, "resume", "asked"}, {7, "pause", "again"}}};
  CHECK(store->save(r).empty());
  CHECK_FALSE(std::filesystem::exists(dir / "migrations.toml.tmp"));
  MigrationRecords back = make_state_store(dir.string())->load(error);
  CHECK(error.empty());
  REQUIRE(back.size() == 2);
  const MigrationRecord& a = back.at("extract \"api\" v2");
  CHECK(a.start_ms == 1764662400123);
  CHECK(a.mode == "rolled_back");
  REQUIRE(a.decisions.size() == 1);
  CHECK(a.decisions[0].reason == "error_rate 12% > 1%");
  const MigrationRecord& b = back.at("reports");
  CHECK(b.held_basis_points == 2500);
  REQUIRE(b.decisions.size() == 3);
  CHECK(b.decisions[2].action == "pause");
  std::filesystem::remove_all(dir);
}

TEST_CASE("a state file that does not parse is an error with its path, and gives no records", "[proxy]") {
  auto dir = fresh_dir();
  std::ofstream(dir / "migrations.toml") << "[migrations\nbroken = ";
  std::string error;
  CHECK(make_state_store(dir.string())->load(error).empty());
  CHECK(error.find("migrations.toml") != std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace banyan::proxy
