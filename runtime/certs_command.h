// `banyan certs [--ca-dir DIR] [--new-ca] [--force] FILE.routes`: development
// certificates, as mkcert makes them. A local CA is made once (kept in DIR, by default
// $BANYAN_CA_DIR or ~/.local/share/banyan/ca; reused, never overwritten without
// --new-ca), and for each `tls` block of the routes file that a site serves, a key and
// a certificate for that site's hosts, signed by the CA, are written where the block's
// `certificate` and `key` name them. A certificate already there that this CA issued
// for the same hosts, valid for 30 days more, is kept; one this CA did not issue, or a
// key file without its certificate, is replaced only with --force. Certificates last
// 825 days at most (the CA ten years).
// Prints how to trust the CA. Exit 0 done, 1 refused or failed, 2 usage or an
// unreadable routes file.
#pragma once

#include <string>
#include <vector>

namespace banyan {

int certs_command(const std::vector<std::string>& args);

}  // namespace banyan
