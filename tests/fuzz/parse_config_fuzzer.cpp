// libFuzzer target: any bytes as the gateway's TOML configuration. Parsing returns a
// configuration or errors, never throws out, never crashes; every error renders.
// (toml++ itself is the system's uninstrumented library: the sanitizers watch our
// code around it.)
#include <cstdint>
#include <string_view>

#include "runtime/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  banyan::config::LoadedConfig c = banyan::config::parse_config(text, "fuzz/gateway.toml");
  for (const auto& e : c.errors) (void)banyan::config::render(e);
  if (!c.config && c.errors.empty()) __builtin_trap();  // neither a config nor a reason
  return 0;
}
