// The reason phrase HTTP/1.1 writes after a status code (RFC 9110 section 15): the
// standard one for the codes the gateway sends itself, a class word otherwise. A
// proxied response keeps its upstream's phrase.
#pragma once

#include <string_view>

namespace banyan::http {

std::string_view reason_phrase(int status);

}  // namespace banyan::http
