#!/usr/bin/env bash
# Regenerates the certificates and keys the tests and the example use: self-signed,
# EC P-256, and FOR TESTS AND DEMOS ONLY (their private keys are public, in git).
#
#   tests/fixtures/certs/          example.com and *.example.com, valid for 100 years;
#                                  example.org likewise; a second key, an encrypted
#                                  key, a DER copy; and two certificates with fixed
#                                  dates (all of 2000, all of 2100) for the expiry
#                                  checks, so those tests never depend on today
# (The image-gallery example's certificate is not made here: `banyan certs` makes it
# from a local CA, see examples/image-gallery/certs/README.md.)
#
# The tests read only the files' meaning (names, dates, which key matches), never
# their bytes, so regenerating them changes no test.
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=tests/fixtures/certs
work=$(mktemp -d "${TMPDIR:-/tmp}/banyan-certs.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$fixtures"

new_key() {  # new_key FILE
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

# self_signed KEY CERT CN SAN: valid from now for 36500 days.
self_signed() {
  openssl req -x509 -new -key "$1" -out "$2" -days 36500 -subj "/CN=$3" \
    -addext "subjectAltName=$4" -addext "basicConstraints=critical,CA:FALSE"
}

# dated KEY CERT START END SAN: fixed validity dates (YYYYMMDDHHMMSSZ). OpenSSL 3.0's
# `req` and `x509` only count days from now; `ca -selfsign` takes dates.
dated() {
  : >"$work/index.txt"
  echo 01 >"$work/serial"
  cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = fixture
[fixture]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = any
unique_subject = no
x509_extensions = ext
[any]
commonName = supplied
[ext]
subjectAltName = $5
basicConstraints = critical,CA:FALSE
EOF
  openssl req -new -key "$1" -subj "/CN=example.com" -out "$work/req.csr"
  openssl ca -batch -notext -selfsign -config "$work/ca.cnf" -keyfile "$1" -in "$work/req.csr" \
    -startdate "$3" -enddate "$4" -out "$2" 2>/dev/null
}

new_key "$fixtures/example.key"
self_signed "$fixtures/example.key" "$fixtures/example.pem" example.com "DNS:example.com,DNS:*.example.com"
openssl x509 -in "$fixtures/example.pem" -outform der -out "$fixtures/example.der"
self_signed "$fixtures/example.key" "$fixtures/example-org.pem" example.org "DNS:example.org,DNS:www.example.org"
new_key "$fixtures/other.key"
openssl pkey -in "$fixtures/example.key" -aes256 -passout pass:fixture -out "$fixtures/encrypted.key"
dated "$fixtures/example.key" "$fixtures/year-2000.pem" 20000101000000Z 20001231235959Z "DNS:example.com"
dated "$fixtures/example.key" "$fixtures/year-2100.pem" 21000101000000Z 21001231235959Z "DNS:example.com"


echo "wrote $fixtures"
