#!/usr/bin/env bash
# Installs every Debian package Banyan needs to build, test, fuzz and run its demo.
# Idempotent and quiet: when everything is present it prints nothing and touches nothing.
set -euo pipefail

packages=(
  # build
  cmake g++ make pkg-config
  # the routes language: ANTLR tool 4.7.2 (pulls in Java) and C++ runtime 4.9
  antlr4 libantlr4-runtime-dev
  # Debian's antlr4 CMake package links -luuid without depending on uuid-dev (seen on a
  # fresh debootstrap of bookworm: "cannot find -luuid")
  uuid-dev
  # libraries
  libboost1.74-dev libssl-dev libtomlplusplus-dev libre2-dev libxxhash-dev catch2 zlib1g-dev libbrotli-dev
  # banyanc's allocator (compiler/CMakeLists.txt)
  libmimalloc-dev
  # a shadow comparison reads JSON bodies (SAX only)
  nlohmann-json3-dev
  # HTTP/2 framing and HPACK (runtime/proxy/http2_session.cpp)
  libnghttp2-dev
  # fuzzing: clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # tests and demo: real clients, and tools the tests call
  curl openssl python3 diffutils
  # the TLS audit test (tests/integration/testssl_test.py)
  testssl.sh
  # HTTP/2 clients for the tests and the benchmark (nghttp, h2load), a client that can
  # send frames no polite client would (tests/integration/http2_test.py), and gRPC's
  # client and server (tests/integration/grpc_test.py)
  nghttp2-client python3-h2 python3-grpcio
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
# Package lists can be missing or stale on a fresh machine: refresh them once.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
