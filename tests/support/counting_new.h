// Link tests/support/counting_new.cpp into a program to count its allocations: set
// `counting`, run the code under test, read `allocations`.
#pragma once

#include <atomic>

namespace banyan::testing {
extern std::atomic<bool> counting;
extern std::atomic<long> allocations;
}  // namespace banyan::testing
