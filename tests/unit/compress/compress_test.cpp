// Negotiation (RFC 9110 12.5.3 Accept-Encoding; nginx's and Traefik's response rules)
// and the streaming encoders, whose output is decoded by the libraries' own one-shot
// decoders (zlib's uncompress path via inflate, Brotli's BrotliDecoderDecompress).
#include <brotli/decode.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "runtime/compress/encoder.h"
#include "runtime/compress/negotiate.h"

namespace banyan::test {
namespace {

using compress::Coding;

Coding choose(uint8_t route, std::vector<std::string_view> accept) {
  std::vector<plan::HeaderField> fields{{"Host", "x"}};
  for (auto a : accept) fields.push_back({"Accept-Encoding", a});
  return compress::choose_coding(route, fields);
}

constexpr uint8_t kBoth = compress::kRouteGzip | compress::kRouteBrotli;

TEST_CASE("compress: Accept-Encoding picks the client's preferred coding among the route's") {
  CHECK(choose(kBoth, {}) == Coding::None);
  CHECK(choose(kBoth, {"gzip"}) == Coding::Gzip);
  CHECK(choose(kBoth, {"x-gzip"}) == Coding::Gzip);
  CHECK(choose(kBoth, {"GZip"}) == Coding::Gzip);
  CHECK(choose(kBoth, {"gzip, deflate, br"}) == Coding::Brotli);  // a tie: Brotli
  CHECK(choose(kBoth, {"gzip;q=1.0, br;q=0.9"}) == Coding::Gzip);
  CHECK(choose(kBoth, {"br;q=0, gzip"}) == Coding::Gzip);
  CHECK(choose(kBoth, {"gzip;q=0"}) == Coding::None);
  CHECK(choose(kBoth, {"gzip ; q=0.001"}) == Coding::Gzip);
  CHECK(choose(kBoth, {"*"}) == Coding::Brotli);
  CHECK(choose(kBoth, {"*;q=0.5, br;q=0"}) == Coding::Gzip);
  CHECK(choose(kBoth, {"*;q=0"}) == Coding::None);
  CHECK(choose(kBoth, {"identity"}) == Coding::None);
  CHECK(choose(kBoth, {"deflate"}) == Coding::None);
  CHECK(choose(kBoth, {"gzip", "br"}) == Coding::Brotli);  // two fields are one list
  CHECK(choose(compress::kRouteGzip, {"br"}) == Coding::None);
  CHECK(choose(compress::kRouteGzip, {"gzip, br"}) == Coding::Gzip);
  CHECK(choose(compress::kRouteBrotli, {"gzip"}) == Coding::None);
  CHECK(choose(0, {"gzip, br"}) == Coding::None);
  // Malformed q-values make the element void, never a guess.
  for (std::string_view bad : {"gzip;q=2", "gzip;q=1.5", "gzip;q=", "gzip;q=0.12345", "gzip;q=x", "gzip;q=1.001"})
    CHECK(choose(kBoth, {bad}) == Coding::None);
}

bool eligible(int status, std::vector<plan::HeaderField> fields, bool has_length = false, uint64_t length = 0) {
  return compress::eligible_response(status, fields, has_length, length);
}

TEST_CASE("compress: which responses are eligible") {
  const plan::HeaderField html{"Content-Type", "text/html; charset=utf-8"};
  CHECK(eligible(200, {html}));
  CHECK(eligible(404, {html}));
  CHECK(eligible(403, {html}));
  CHECK_FALSE(eligible(206, {html}));
  CHECK_FALSE(eligible(500, {html}));
  CHECK_FALSE(eligible(200, {}));  // no type: unknown content
  CHECK(eligible(200, {html}, true, compress::kMinCompressBytes));
  CHECK_FALSE(eligible(200, {html}, true, compress::kMinCompressBytes - 1));
  for (std::string_view t : {"application/json", "application/ld+json", "application/atom+xml", "image/svg+xml",
                             "TEXT/CSS", "application/javascript", "text/plain;charset=us-ascii"})
    CHECK(eligible(200, {{"content-type", t}}));
  for (std::string_view t : {"image/png", "application/octet-stream", "text/event-stream", "application/zip",
                             "video/mp4", "font/woff2", "application/gzip"})
    CHECK_FALSE(eligible(200, {{"content-type", t}}));
  CHECK_FALSE(eligible(200, {html, {"Content-Encoding", "gzip"}}));
  CHECK(eligible(200, {html, {"Content-Encoding", "identity"}}));
  CHECK_FALSE(eligible(200, {html, {"Content-Range", "bytes 0-9/100"}}));
  CHECK_FALSE(eligible(200, {html, {"Cache-Control", "public, No-Transform"}}));
  CHECK(eligible(200, {html, {"Cache-Control", "public, max-age=60"}}));
  CHECK_FALSE(eligible(200, {html, {"Content-Type", "image/png"}}));  // two types
}

std::string gunzip(const std::string& in) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int r = Z_OK;
  while (r == Z_OK) {
    char buf[65536];
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    r = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  CHECK(r == Z_STREAM_END);
  CHECK(z.avail_in == 0);  // nothing after the gzip member
  inflateEnd(&z);
  return out;
}

std::string unbrotli(const std::string& in, size_t size) {
  std::string out(size + 1, '\0');
  size_t got = out.size();
  REQUIRE(BrotliDecoderDecompress(in.size(), reinterpret_cast<const uint8_t*>(in.data()), &got,
                                  reinterpret_cast<uint8_t*>(out.data())) == BROTLI_DECODER_RESULT_SUCCESS);
  out.resize(got);
  return out;
}

// `body` fed in random pieces through an encoder leased from `pool`.
std::string encode(compress::EncoderPool& pool, Coding c, const std::string& body, std::mt19937& rng) {
  auto e = pool.take(c);
  REQUIRE(e);
  std::string out;
  for (size_t at = 0; at < body.size();) {
    size_t n = std::min(body.size() - at, static_cast<size_t>(rng() % 40000));
    REQUIRE(e->update(std::string_view(body).substr(at, n), false));
    out += e->output();
    e->clear_output();
    at += n;
  }
  REQUIRE(e->update({}, true));
  out += e->output();
  return out;
}

TEST_CASE("compress: streamed gzip and Brotli decode to the input, with encoders reused from the pool") {
  std::mt19937 rng(7);
  compress::EncoderPool pool;
  for (int round = 0; round < 12; ++round) {
    // Text-like (repetitive) and random (incompressible) bodies, empty to 300 KB.
    size_t size = round == 0 ? 0 : rng() % 300000;
    std::string body(size, '\0');
    for (size_t i = 0; i < size; ++i)
      body[i] = round % 2 ? static_cast<char>(rng()) : "<p>gallery image </p>\n"[i % 22];
    std::string gz = encode(pool, Coding::Gzip, body, rng);
    CHECK(gunzip(gz) == body);
    std::string br = encode(pool, Coding::Brotli, body, rng);
    CHECK(unbrotli(br, body.size()) == body);
    if (round % 2 == 0 && size > 10000) {
      CHECK(gz.size() < size / 5);
      CHECK(br.size() < size / 5);
    }
  }
}

TEST_CASE("compress: an encoder returned mid-body starts clean for the next one") {
  compress::EncoderPool pool;
  {
    auto e = pool.take(Coding::Gzip);
    REQUIRE(e);
    REQUIRE(e->update(std::string(5000, 'x'), false));  // abandoned: the client went away
  }
  {
    auto e = pool.take(Coding::Brotli);
    REQUIRE(e);
    REQUIRE(e->update(std::string(5000, 'y'), false));
  }
  std::mt19937 rng(1);
  CHECK(gunzip(encode(pool, Coding::Gzip, "hello, gallery", rng)) == "hello, gallery");
  CHECK(unbrotli(encode(pool, Coding::Brotli, "hello, gallery", rng), 14) == "hello, gallery");
}

}  // namespace
}  // namespace banyan::test
