#!/usr/bin/env python3
"""TLS session resumption by tickets through the real gateway, with Python's ssl module
as the client (it keeps the session a connection's tickets give and offers it again):

  a. a client resumes on every later connection, whichever of the 2 workers takes it;
  b. it still resumes after a reload (the keys outlive the plan's TLS contexts);
  c. two gateways given one `[tls] ticket_key_file` resume each other's sessions, and
     two without one do not (their random keys differ);
  d. `session_tickets = false` resumes nothing; a malformed key file stops the start;
  e. random keys rotate when the rotation is due (the main thread sleeps until then).

usage: tickets_test.py BANYAN BANYAN_ORIGIN
"""
import os
import socket
import ssl
import sys

from harness import Harness, check, expect_eq, free_port, metric, wait_until

CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "certs")
ROUTES = f"""listen https :443
tls com {{
  certificate "{CERTS}/example.pem"
  key "{CERTS}/example.key"
}}
site "example.com" {{
  tls com
  route / {{ respond 200 "hello\\n" }}
}}
"""


def client():
    ctx = ssl.create_default_context(cafile=os.path.join(CERTS, "example.pem"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def visit(ctx, port, session=None):
    """One request on a new connection; (the session to offer next time, whether this one resumed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="example.com", session=session) as t:
            t.sendall(b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := t.recv(4096):  # reading to the end also takes the tickets in
                data += chunk
            check(data.startswith(b"HTTP/1.1 200 "), f"the answer: {data[:100]!r}")
            return t.session, t.session_reused


def main():
    with Harness(sys.argv) as h:
        key_file = os.path.join(h.dir, "tickets.key")
        with open(key_file, "wb") as f:
            f.write(os.urandom(160))  # two keys, nginx's format: the first encrypts
        shared = f'[tls]\nticket_key_file = "{key_file}"\n'
        p1, p2, p3, p4, p5 = (free_port() for _ in range(5))
        gw = h.gateway(ROUTES, listen={":443": p1}, workers=2, name="gw")
        ctx = client()

        def every_later_connection_resumes():
            session, reused = visit(ctx, p1)
            check(not reused and session is not None, "the first connection is a full handshake that gives a ticket")
            resumed = [visit(ctx, p1, session)[1] for _ in range(12)]
            expect_eq(resumed, [True] * 12, "12 connections over 2 workers, each resumed")

        def a_reload_keeps_the_keys():
            session, _ = visit(ctx, p1)
            s, body = gw.admin("/reload", method="POST")
            expect_eq(s, 200, f"POST /reload: {body}")
            expect_eq(visit(ctx, p1, session)[1], True, "a session from before the reload resumes after it")

        def a_fleet_shares_the_key_file():
            a = h.gateway(ROUTES, listen={":443": p2}, extra=shared, name="a")
            b = h.gateway(ROUTES, listen={":443": p3}, extra=shared, name="b")
            session, _ = visit(ctx, p2)
            expect_eq(visit(ctx, p3, session)[1], True, "a session of replica a resumes on replica b")
            c = h.gateway(ROUTES, listen={":443": p4}, name="c")
            session, _ = visit(ctx, p1)
            expect_eq(visit(ctx, p4, session)[1], False, "without a shared file, another gateway's keys differ")
            del a, b, c

        def tickets_off_and_a_bad_file():
            off = h.gateway(ROUTES, listen={":443": p5}, extra="[tls]\nsession_tickets = false\n", name="off")
            session, _ = visit(ctx, p5)
            expect_eq(visit(ctx, p5, session)[1], False, "session_tickets = false: no resumption")
            bad = os.path.join(h.dir, "bad.key")
            with open(bad, "wb") as f:
                f.write(os.urandom(79))
            g = h.gateway(ROUTES, listen={":443": free_port()}, extra=f'[tls]\nticket_key_file = "{bad}"\n',
                          name="bad", expect_start=False)
            expect_eq(g.wait_exit("a malformed ticket key file"), 2, "exit status")
            check("must hold 1 to 64 keys of 80 bytes" in g.stderr(), f"the message: {g.stderr()[-500:]}")
            del off

        def keys_rotate_when_due():
            # `ticket_key_rotation = "1s"`: the main thread sleeps until each rotation is
            # due (not a poll) and makes a new key then; /metrics counts them.
            g = h.gateway(ROUTES, listen={":443": free_port()}, extra='[tls]\nticket_key_rotation = "1s"\n', name="rot")
            expect_eq(metric(g.metrics(), "banyan_tls_ticket_key_rotations_total"), 0, "no rotation at the start")
            wait_until(lambda: metric(g.metrics(), "banyan_tls_ticket_key_rotations_total") >= 2, "two rotations")
            check(metric(gw.metrics(), "banyan_tls_ticket_key_rotations_total") == 0,
                  "the hourly rotation of the first gateway has not come")
            del g

        h.case("every later connection resumes, on either worker", every_later_connection_resumes)
        h.case("random keys rotate when due, and only then", keys_rotate_when_due)
        h.case("a session resumes across a reload", a_reload_keeps_the_keys)
        h.case("replicas given one ticket key file resume each other's sessions", a_fleet_shares_the_key_file)
        h.case("session_tickets = false resumes nothing; a malformed key file stops the start", tickets_off_and_a_bad_file)


if __name__ == "__main__":
    main()
