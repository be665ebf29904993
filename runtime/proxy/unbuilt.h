// The routes language's statements this runtime does not carry out yet. A plan that
// uses one loads, and the gateway says so in the note it logs at start-up and at each
// reload (prepare_generation), instead of skipping the statement in silence. The
// language reference (grammar/README.md) marks each where it describes it, with a
// `> **Not built yet:** \`STATEMENT\`` note; tests/docs_examples_test.cpp keeps the two
// lists the same. Today the list is empty: the gateway carries out every statement.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "runtime/plan/plan.h"

namespace banyan::proxy {

struct Unbuilt {
  std::string_view statement;          // as the reference names it: "shadow"
  std::string_view instead;            // what the gateway does with it: "no copy is sent"
  size_t (*uses)(const plan::Plan&);   // how often a plan uses it (0: not at all)
};

inline constexpr std::array<Unbuilt, 0> kUnbuilt{};

}  // namespace banyan::proxy
