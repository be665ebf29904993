#!/usr/bin/env python3
"""greeter.py - the demo's gRPC service and a client for it (Debian's python3-grpcio).

  python3 demo/greeter.py serve 127.0.0.1:9021
      a gRPC server (HTTP/2 with prior knowledge, as gRPC servers are) with the service
      demo.Greeter: SayHello (unary) and Count (server streaming); messages are UTF-8
      text, no .proto needed (generic handlers, bytes in and out).
  python3 demo/greeter.py call HOST:PORT [NAME] [--ca CA.pem] [--connect ADDR:PORT]
      calls SayHello, then Count, through the gateway: over TLS with --ca (the gateway's
      https listener, ALPN h2; --connect names where HOST really is), else in clear text.
"""
import argparse
import sys
import time
from concurrent import futures

try:
    import grpc
except ImportError:  # Debian's python3-grpcio, under an interpreter that is not Debian's own
    sys.path.append("/usr/lib/python3/dist-packages")
    import grpc

SERVICE = "demo.Greeter"


def server(address):
    """A started grpc.Server on `address` ("127.0.0.1:0" picks a port); returns (server, port)."""
    def say_hello(req, ctx):
        via = dict(ctx.invocation_metadata()).get("via", "-")
        return f"hello, {req.decode()}, from greeter (via: {via})".encode()

    def count(req, ctx):
        for i in range(1, int(req.decode() or "3") + 1):
            yield str(i).encode()

    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "SayHello": grpc.unary_unary_rpc_method_handler(say_hello),
        "Count": grpc.unary_stream_rpc_method_handler(count),
    })
    s = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    s.add_generic_rpc_handlers((handler,))
    port = s.add_insecure_port(address)
    s.start()
    return s, port


def channel(target, ca=None, connect=None):
    host = target.rsplit(":", 1)[0]
    if ca is None:
        return grpc.insecure_channel(connect or target, options=[("grpc.default_authority", host)])
    with open(ca, "rb") as f:
        creds = grpc.ssl_channel_credentials(root_certificates=f.read())
    return grpc.secure_channel(connect or target, creds, options=[("grpc.ssl_target_name_override", host),
                                                                  ("grpc.default_authority", host)])


def main(argv):
    p = argparse.ArgumentParser(description="the demo's gRPC service, and a client for it")
    cmd = p.add_subparsers(dest="cmd", required=True)
    serve = cmd.add_parser("serve", help="run the service")
    serve.add_argument("address", nargs="?", default="127.0.0.1:9021")
    call = cmd.add_parser("call", help="call SayHello and Count through the gateway")
    call.add_argument("target", help="HOST:PORT, the name the gateway's site answers")
    call.add_argument("name", nargs="?", default="world")
    call.add_argument("--ca", help="over TLS, trusting this CA (the https listener)")
    call.add_argument("--connect", help="ADDR:PORT where HOST really is")
    a = p.parse_args(argv[1:])
    if a.cmd == "serve":
        s, port = server(a.address)
        print(f"greeter (gRPC, h2c) listening on port {port}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            s.stop(0)
        return 0
    with channel(a.target, a.ca, a.connect) as ch:
        print(ch.unary_unary(f"/{SERVICE}/SayHello")(a.name.encode(), timeout=10).decode())
        print("count:", " ".join(m.decode() for m in ch.unary_stream(f"/{SERVICE}/Count")(b"3", timeout=10)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
