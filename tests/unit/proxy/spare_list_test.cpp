// A worker's spare buffers and field arrays (worker.h's SpareList): what steady use
// needs stays, whatever the concurrency; what a housekeeping tick saw unused all along
// goes back to the heap, so an idle worker holds none two ticks after a burst.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "runtime/proxy/worker.h"

namespace banyan::proxy {

TEST_CASE("spares steady use needs are kept, and those a whole tick left unused are freed", "[pool]") {
  SpareList<std::unique_ptr<int>> spare;
  CHECK_FALSE(spare.take());  // empty: the caller allocates
  // A burst: 100 in use at once, then all given back.
  std::vector<std::unique_ptr<int>> held;
  for (int i = 0; i < 100; ++i) held.push_back(std::make_unique<int>(i));
  for (auto& p : held) spare.give(std::move(p));
  held.clear();
  CHECK(spare.size() == 100);
  spare.trim();  // this tick needed all 100 at once: none is freed
  CHECK(spare.size() == 100);
  // Steady use of 30 at a time during a tick: 70 were never needed.
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 30; ++i) held.push_back(spare.take());
    for (auto& p : held) spare.give(std::move(p));
    held.clear();
  }
  spare.trim();
  CHECK(spare.size() == 30);
  // The same use the next tick: all 30 are needed, none freed, none allocated.
  for (int i = 0; i < 30; ++i) {
    held.push_back(spare.take());
    REQUIRE(held.back());
  }
  for (auto& p : held) spare.give(std::move(p));
  held.clear();
  spare.trim();
  CHECK(spare.size() == 30);
  // Idle ticks: the first frees what the last tick used but this one did not, the
  // second has nothing left to free.
  spare.trim();
  CHECK(spare.size() == 0);
  spare.trim();
  CHECK(spare.size() == 0);
}

}  // namespace banyan::proxy
