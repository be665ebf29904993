// Link tests/support/counting_new.cpp into a program to count its allocations: set
// `counting`, run the code under test, read `allocations`. A thread that serves the
// test (a fake origin) sets `not_counted` for itself.
#pragma once

#include <atomic>

namespace banyan::testing {
extern std::atomic<bool> counting;
extern std::atomic<long> allocations;
extern thread_local bool not_counted;
}  // namespace banyan::testing
