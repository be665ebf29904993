// ticket_keys.h: OpenSSL's ticket callback over a ring of keys swapped atomically.
#include "runtime/proxy/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "runtime/proxy/clock.h"

namespace banyan::proxy {
namespace {

// The TicketKeys of a context, for the callback (which has no argument of its own).
int ex_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool random_key(TicketKey& k) {
  return RAND_bytes(k.name.data(), static_cast<int>(k.name.size())) == 1 &&
         RAND_bytes(k.hmac.data(), static_cast<int>(k.hmac.size())) == 1 &&
         RAND_bytes(k.aes.data(), static_cast<int>(k.aes.size())) == 1;
}

}  // namespace

std::string TicketKeys::load() {
  auto ring = std::make_shared<Ring>();
  if (file_.empty()) {
    if (ring_.load()) return "";  // random keys live across reloads; tick() rotates them
    TicketKey k;
    if (!random_key(k)) return "cannot make a session ticket key: no randomness";
    ring->push_back(k);
    rotated_at_ms_ = steady_ms();
  } else {
    std::ifstream in(file_, std::ios::binary);
    if (!in) return "cannot read the ticket key file '" + file_ + "': " + std::strerror(errno);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.empty() || bytes.size() % kTicketKeyFileRecord != 0 || bytes.size() / kTicketKeyFileRecord > kTicketKeyFileMax)
      return "the ticket key file '" + file_ + "' has " + std::to_string(bytes.size()) + " bytes; it must hold 1 to " +
             std::to_string(kTicketKeyFileMax) + " keys of 80 bytes (openssl rand 80 > FILE)";
    for (size_t at = 0; at < bytes.size(); at += kTicketKeyFileRecord) {
      TicketKey k;
      std::memcpy(k.name.data(), bytes.data() + at, 16);
      std::memcpy(k.hmac.data(), bytes.data() + at + 16, 32);
      std::memcpy(k.aes.data(), bytes.data() + at + 48, 32);
      ring->push_back(k);
    }
  }
  ring_.store(std::move(ring));
  return "";
}

void TicketKeys::tick(int64_t steady_now_ms) {
  if (!file_.empty() || steady_now_ms - rotated_at_ms_ < rotate_ms_) return;
  auto old = ring_.load();
  auto ring = std::make_shared<Ring>();
  TicketKey k;
  if (!random_key(k)) return;  // tried again at the next tick
  ring->push_back(k);
  if (old)
    for (size_t i = 0; i < old->size() && ring->size() < kTicketKeysKept; ++i) ring->push_back((*old)[i]);
  ring_.store(std::move(ring));
  rotated_at_ms_ = steady_now_ms;
  rotations_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::array<unsigned char, 16>> TicketKeys::names() const {
  std::vector<std::array<unsigned char, 16>> out;
  if (auto ring = ring_.load())
    for (const TicketKey& k : *ring) out.push_back(k.name);
  return out;
}

void TicketKeys::install(SSL_CTX* ctx) const {
  SSL_CTX_set_ex_data(ctx, ex_index(), const_cast<TicketKeys*>(this));
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TicketKeys::callback);
  // A ticket opens while its key is in the ring: random keys, kTicketKeysKept - 1
  // rotations after the one that made it; a file's, until the operator drops them.
  const int64_t lifetime_s = file_.empty() ? std::max<int64_t>(1, rotate_ms_ * (kTicketKeysKept - 1) / 1000) : 7200;
  SSL_CTX_set_timeout(ctx, lifetime_s);
}

int TicketKeys::callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                         int encrypt) {
  // The context the handshake began on holds the ring (every context of every plan
  // holds the same one).
  auto* self = static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index()));
  std::shared_ptr<const Ring> ring = self ? self->ring_.load() : nullptr;
  if (!ring || ring->empty()) return encrypt ? -1 : 0;
  const TicketKey* key = nullptr;
  size_t index = 0;
  if (encrypt) {
    key = &ring->front();
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
    std::memcpy(name, key->name.data(), key->name.size());
  } else {
    for (; index < ring->size() && !key; ++index)
      if (std::memcmp(name, (*ring)[index].name.data(), 16) == 0) key = &(*ring)[index];
    if (!key) return 0;  // an unknown or retired key: a full handshake, and a new ticket
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key->hmac.data()), key->hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0), OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(mac, params) != 1) return -1;
  const int ok = encrypt ? EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes.data(), iv)
                         : EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes.data(), iv);
  if (ok != 1) return -1;
  return encrypt || index == 1 ? 1 : 2;  // 2: opened with an older key; OpenSSL issues a new ticket
}

}  // namespace banyan::proxy
