// Who the client is, behind load balancers (docs/gateway-config.md, "The client's
// address"): the immediate peer (the socket's, or a PROXY protocol header's source),
// and, when that peer is a trusted proxy, X-Forwarded-For read from the right, each
// trusted hop skipped, as nginx's realip module does with `real_ip_recursive on`.
//
// A pure function over the parsed fields: no allocation, no I/O. Cost: one scan of the
// fields, and a scan of the trusted ranges per hop.
#pragma once

#include <span>

#include <boost/asio/ip/address.hpp>

#include "runtime/config/cidr.h"
#include "runtime/plan/matcher.h"

namespace banyan::proxy {

// A socket's address as the configuration's ranges hold it (an IPv4 one v4-mapped).
config::IpAddress ip_of(const boost::asio::ip::address& a);

// The client's address: `peer` unless `peer` is in `trusted`; then the rightmost
// X-Forwarded-For entry that is not in `trusted` (all fields with that name, in order,
// form one list; empty elements are skipped), or the leftmost entry when every entry
// is trusted. An entry that is not an IP address (a name, "unknown", an address with a
// port) ends the walk: the last trusted hop that handed it over is the client then,
// since nothing to its left can be believed.
config::IpAddress client_address(const config::IpAddress& peer, std::span<const plan::HeaderField> fields,
                                 std::span<const config::Cidr> trusted);

}  // namespace banyan::proxy
