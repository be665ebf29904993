// The release both binaries report with --version, beside the plan format they write
// (banyanc) or read (banyan): a plan from another release loads when its format
// version is in the reader's window (runtime/plan/format.h).
#pragma once

namespace banyan {

inline constexpr const char* kReleaseVersion = "0.14.0";

}  // namespace banyan
