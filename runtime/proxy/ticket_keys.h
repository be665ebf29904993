// TLS session tickets' keys, one ring for the whole gateway: every worker and every
// `tls` block, and every plan a reload brings, encrypt with the same current key, so a
// client resumes on whichever worker its next connection reaches and after a reload.
// Resumption is by tickets, not a session cache: a cache would be per process, and
// tickets cost the server no memory per client.
//
// Two sources:
//   - random keys, made at start and rotated every `[tls] ticket_key_rotation`
//     (default 1h) on the main thread: the newest encrypts, the kTicketKeysKept - 1
//     before it still decrypt (a ticket they open is renewed with the newest), so a
//     ticket lives at most kTicketKeysKept rotations and a key stolen later opens
//     nothing older (forward secrecy of resumed sessions);
//   - `[tls] ticket_key_file`: the keys of a whole fleet, as nginx's
//     ssl_session_ticket_key reads them (80 bytes each: a 16-byte name, a 32-byte
//     HMAC-SHA256 key, a 32-byte AES-256 key; the first encrypts, the others decrypt).
//     Read at start and at each reload; rotating them is the operator's (write the
//     file with a new first key, keep the old ones after it, reload every replica).
// Clients are told a ticket lifetime no longer than the keys that can open it last.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace banyan::proxy {

inline constexpr size_t kTicketKeysKept = 3;
inline constexpr size_t kTicketKeyFileRecord = 80;
inline constexpr size_t kTicketKeyFileMax = 64;  // keys in a file, at most

struct TicketKey {
  std::array<unsigned char, 16> name{};
  std::array<unsigned char, 32> hmac{}, aes{};
};

class TicketKeys {
 public:
  // `file` empty: random keys rotated every `rotate_ms`.
  TicketKeys(std::string file, int64_t rotate_ms) : file_(std::move(file)), rotate_ms_(rotate_ms) {}

  // At start and at each reload (main thread): reads the file, or makes the first
  // random key. "" or why not (a reload keeps the keys it had).
  std::string load();
  // Main thread, when due_ms() has come: a new random key.
  void tick(int64_t steady_now_ms);
  // When tick() next has something to do (steady ms); INT64_MAX for a file's keys.
  int64_t due_ms() const { return file_.empty() ? rotated_at_ms_ + rotate_ms_ : INT64_MAX; }
  // On each context of a plan: the ticket callback, and the lifetime clients are told.
  void install(SSL_CTX* ctx) const;

  bool from_file() const { return !file_.empty(); }
  // The ring's key names, newest first (for tests and the admin's view).
  std::vector<std::array<unsigned char, 16>> names() const;
  uint64_t rotations() const { return rotations_.load(std::memory_order_relaxed); }

 private:
  using Ring = std::vector<TicketKey>;  // [0] encrypts
  static int callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                      int encrypt);

  std::string file_;
  int64_t rotate_ms_;
  int64_t rotated_at_ms_ = 0;
  std::atomic<std::shared_ptr<const Ring>> ring_;
  std::atomic<uint64_t> rotations_{0};
};

}  // namespace banyan::proxy
