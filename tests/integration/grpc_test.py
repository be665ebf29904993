#!/usr/bin/env python3
"""gRPC through the real gateway: a grpcio server (Debian's python3-grpcio) behind an
upstream with `protocol h2c`, a grpcio client on a listener that takes HTTP/2 with
prior knowledge. Unary, server-streaming, client-streaming and bidirectional calls
(the bidirectional one in lock step: each request waits for the answer to the one
before, which only a gateway that streams both ways at once lets through), metadata
and trailers passed through, an upstream that fails mid-stream, a deadline the
gateway enforces from grpc-timeout, an upstream that is down (the gateway's own gRPC
error, trailers-only), and grpc_status and grpc_message in the access log, grpc_status in /metrics.

usage: grpc_test.py BANYAN BANYAN_ORIGIN
"""
import queue
import socket
import sys
import threading
import time
from concurrent import futures

try:
    import grpc
    import h2.config
    import h2.connection
    import h2.events
except ImportError:  # Debian's python3-grpcio and python3-h2, under an interpreter that is not Debian's own
    sys.path.append("/usr/lib/python3/dist-packages")
    import grpc
    import h2.config
    import h2.connection
    import h2.events

from harness import WAIT, Harness, check, expect_eq, free_port, metric

SERVICE = "test.Echo"


def serve(healthy=True):
    """A grpcio server on a free port with the test service (bytes in, bytes out); an
    unhealthy one fails Flaky with UNAVAILABLE."""
    def unary(req, ctx):
        ctx.set_trailing_metadata((("x-trailer", "t1"),))
        md = dict(ctx.invocation_metadata())
        return b"echo:" + req + b" via=" + md.get("via", "-").encode()

    def server_stream(req, ctx):
        for i in range(5):
            yield b"%d:" % i + req

    def client_stream(it, ctx):
        return b"|".join(it)

    def bidi(it, ctx):
        for m in it:
            yield b"re:" + m

    def flaky(req, ctx):
        if not healthy:
            ctx.abort(grpc.StatusCode.UNAVAILABLE, "this replica is failing")
        return b"fine"

    def fail_mid(req, ctx):
        yield b"one"
        yield b"two"
        ctx.abort(grpc.StatusCode.DATA_LOSS, "lost it mid-stream")

    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
        "FailMid": grpc.unary_stream_rpc_method_handler(fail_mid),
        "Flaky": grpc.unary_unary_rpc_method_handler(flaky),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def main():
    with Harness(sys.argv) as h:
        server, grpc_port = serve()
        sick, sick_port = serve(healthy=False)
        down_port = free_port()  # nothing listens there
        # An upstream that takes connections and never answers: the call's deadline is
        # then the gateway's alone (a gRPC server would enforce grpc-timeout itself).
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        held = []

        def accept_and_hold():
            while True:
                try:
                    conn, _ = silent.accept()
                except OSError:
                    return
                held.append(conn)
        threading.Thread(target=accept_and_hold, daemon=True).start()
        port = free_port()
        gw = h.gateway(f"""
listen http :80
upstream greeter {{
  server "127.0.0.1:{grpc_port}"
  protocol h2c
}}
upstream gone {{
  server "127.0.0.1:{down_port}"
  protocol h2c
}}
upstream pair {{
  server "127.0.0.1:{sick_port}"
  server "127.0.0.1:{grpc_port}"
  protocol h2c
  fail 2 within 10s cooldown 60s
}}
upstream silent {{
  server "127.0.0.1:{silent.getsockname()[1]}"
  protocol h2c
}}
site "grpc.test" {{
  route /test.Down/** {{ to gone }}
  route /test.Silent/** {{ to silent }}
  route = /test.Echo/Flaky {{ to pair }}
  route / {{ to greeter }}
}}
""", listen={":80": port}, extra="[http2]\nprior_knowledge = [\":80\"]\n")
        channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.default_authority", "grpc.test")])

        def call(kind, name):
            return getattr(channel, kind)(f"/{SERVICE}/{name}")

        def unary():
            resp, c = call("unary_unary", "Unary").with_call(b"hello", timeout=WAIT)
            expect_eq(resp, b"echo:hello via=2 banyan", "a unary call, the upstream seeing Via")
            expect_eq(dict(c.trailing_metadata()).get("x-trailer"), "t1", "trailing metadata passed through")
            expect_eq(c.code(), grpc.StatusCode.OK, "status")

        def server_streaming():
            got = list(call("unary_stream", "ServerStream")(b"s", timeout=WAIT))
            expect_eq(got, [b"0:s", b"1:s", b"2:s", b"3:s", b"4:s"], "five messages down")

        def client_streaming():
            resp = call("stream_unary", "ClientStream")(iter([b"a", b"b", b"c"]), timeout=WAIT)
            expect_eq(resp, b"a|b|c", "three messages up, one answer")

        def bidirectional_in_lock_step():
            # Each request is sent only after the answer to the one before arrived: a
            # gateway that held the request stream until its end would stall here.
            answers = queue.Queue()
            requests = queue.Queue()

            def gen():
                for i in range(5):
                    yield b"m%d" % i
                    answers.get(timeout=5)  # the answer to it, before the next one
            got = []
            for r in call("stream_stream", "Bidi")(gen(), timeout=WAIT):
                got.append(r)
                answers.put(r)
            expect_eq(got, [b"re:m0", b"re:m1", b"re:m2", b"re:m3", b"re:m4"], "interleaved both ways")

        def failure_mid_stream():
            got = []
            try:
                for r in call("unary_stream", "FailMid")(b"x", timeout=WAIT):
                    got.append(r)
                raise AssertionError("the call should have failed")
            except grpc.RpcError as e:
                expect_eq((e.code(), e.details()), (grpc.StatusCode.DATA_LOSS, "lost it mid-stream"),
                          "the upstream's status, from its trailers")
            expect_eq(got, [b"one", b"two"], "the messages before the failure")

        def deadline_enforced_by_the_gateway():
            # A call with grpc-timeout 200m and no deadline of the client's own (raw
            # frames: a gRPC library would also time out itself, at the same moment), to
            # an upstream that never answers: the gateway answers DEADLINE_EXCEEDED
            # itself, trailers-only.
            sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
            conn.initiate_connection()
            conn.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":path", "/test.Silent/Call"),
                                  (":authority", "grpc.test"), ("content-type", "application/grpc"),
                                  ("te", "trailers"), ("grpc-timeout", "200m")])
            conn.send_data(1, b"\x00\x00\x00\x00\x01x", end_stream=True)
            sock.sendall(conn.data_to_send())
            t = time.monotonic()
            head = None
            while head is None:
                data = sock.recv(65536)
                check(data, "the gateway answered before closing")
                for e in conn.receive_data(data):
                    if isinstance(e, h2.events.ResponseReceived):
                        head = dict(e.headers)
                sock.sendall(conn.data_to_send())
            elapsed = time.monotonic() - t
            sock.close()
            expect_eq((head.get(":status"), head.get("grpc-status")), ("200", "4"),
                      "trailers-only DEADLINE_EXCEEDED from the gateway")
            check(elapsed < 5.0, f"the deadline ended the call, not the read timeout ({elapsed:.2f}s)")
            lines = gw.access_log(where=lambda l: l.get("path") == "/test.Silent/Call")
            expect_eq(lines[0].get("grpc_status"), 4, "DEADLINE_EXCEEDED in the access log")
            # The gateway's answer, not the server's own (a gRPC server honours grpc-timeout too).
            check("did not answer within 200 ms" in lines[0].get("error", ""), f"the gateway's deadline: {lines[0]}")

        def upstream_down():
            try:
                channel.unary_unary("/test.Down/Unary")(b"x", timeout=WAIT)
                raise AssertionError("the call should have failed")
            except grpc.RpcError as e:
                expect_eq(e.code(), grpc.StatusCode.UNAVAILABLE, "an upstream that refuses connections")
                check("request id" in e.details() and "127.0.0.1" not in e.details(),
                      f"the gateway's message, no address: {e.details()}")

        def grpc_errors_count_for_passive_health():
            # HTTP 200 with grpc-status 14 from one replica: a failure all the same. After
            # two, round robin skips it for the cool-down and every call succeeds.
            results = []
            for _ in range(8):
                try:
                    results.append(call("unary_unary", "Flaky")(b"x", timeout=WAIT))
                except grpc.RpcError as e:
                    results.append(e.code())
            expect_eq(results.count(grpc.StatusCode.UNAVAILABLE), 2, f"two failures before the skip: {results}")
            check(results[-4:] == [b"fine"] * 4, f"then only the healthy replica: {results}")
            gw.wait_stderr("failure(s); last: grpc-status 14")

        def logged_and_counted():
            lines = gw.access_log(where=lambda l: l.get("path") == f"/{SERVICE}/FailMid")
            expect_eq((lines[0]["status"], lines[0].get("grpc_status"), lines[0]["protocol"]), (200, 15, "HTTP/2.0"),
                      "the access log: HTTP 200, grpc_status 15 (DATA_LOSS)")
            expect_eq(lines[0].get("grpc_message"), "lost it mid-stream", "the server's grpc-message in the access log")
            down = gw.access_log(where=lambda l: l.get("path") == "/test.Down/Unary")
            check(down and down[0].get("grpc_status") == 14 and down[0].get("grpc_message")
                  and "\n" not in down[0]["grpc_message"], f"the gateway's own grpc-message in the access log: {down}")
            text = gw.metrics()
            check((metric(text, 'banyan_grpc_calls_total{code="0"}') or 0) >= 4, "OK calls counted")
            expect_eq(metric(text, 'banyan_grpc_calls_total{code="15"}'), 1, "DATA_LOSS counted")
            expect_eq(metric(text, 'banyan_grpc_calls_total{code="14"}'), 3, "UNAVAILABLE counted (one down, two flaky)")

        h.case("unary, with metadata and trailers", unary)
        h.case("server streaming", server_streaming)
        h.case("client streaming", client_streaming)
        h.case("bidirectional, in lock step", bidirectional_in_lock_step)
        h.case("an upstream that fails mid-stream", failure_mid_stream)
        h.case("grpc-timeout enforced by the gateway", deadline_enforced_by_the_gateway)
        h.case("an upstream that is down: UNAVAILABLE", upstream_down)
        h.case("gRPC errors count for passive health", grpc_errors_count_for_passive_health)
        h.case("access log and metrics", logged_and_counted)
        channel.close()
        server.stop(0)
        sick.stop(0)
        silent.close()


if __name__ == "__main__":
    main()
