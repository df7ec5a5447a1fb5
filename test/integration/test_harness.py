#!/usr/bin/python3
"""The harness itself, without pinfold: recbackend and nginx do what the stories rely on.

If one of these fails, a story's verdict about pinfold cannot be trusted.
"""
import asyncio
import json
import os
import socket

import websockets

import pftest
from pftest import LAN, build_request, get


class Harness(pftest.TestCase):
    def test_recbackend_bodies_and_framing(self):
        be = self.backend()
        r = get(be.host, be.port, "/size/100000")
        self.assertEqual((r.framing, r.body), ("length", pftest.pattern_bytes(0, 100000)))
        r = get(be.host, be.port, "/chunked/300000")
        self.assertEqual(r.framing, "chunked")
        self.assertEqual(pftest.sha256(r.body), pftest.pattern_sha256(300000))
        r = get(be.host, be.port, "/close/5000")
        self.assertEqual((r.framing, len(r.body)), ("close", 5000))
        body = os.urandom(70001)
        r = pftest.request(be.host, be.port, build_request(
            "POST", "/echo", "h.test", [("Transfer-Encoding", "chunked")],
            body=pftest.chunked(body, ext=True, trailers=["X-T: 1"]), content_length=False))
        info = json.loads(r.body)
        self.assertEqual((info["body_sha256"], info["framing"], info["trailers"]),
                         (pftest.sha256(body), "chunked", [["X-T", "1"]]))
        r = get(be.host, be.port, "/headers", headers=[("X-A", "b")])
        self.assertEqual(r.body, b"GET /headers HTTP/1.1\r\nHost: test.invalid\r\nX-A: b\r\n\r\n")

    def test_recbackend_records_raw_bytes(self):
        be = self.backend()
        raw = build_request("GET", "/size/1", "h.test", [("X-Raw", "yes")])
        pftest.request(be.host, be.port, raw)
        self.assertEqual(be.raw_bytes(), raw)
        self.assertEqual([q.target for q in pftest.seen_requests(be)], ["/size/1"])
        with socket.create_connection((be.host, be.port), timeout=2):
            pass
        self.assertEqual(be.raw_bytes(), raw, "an empty connection adds no bytes")

    def test_recbackend_no_body_statuses_and_keepalive(self):
        be = self.backend()
        with pftest.HttpConn(be.host, be.port) as c:
            c.send(build_request("HEAD", "/size/10", "h.test")
                   + build_request("GET", "/status/204", "h.test")
                   + build_request("GET", "/status/304", "h.test")
                   + build_request("GET", "/size/3", "h.test"))
            self.assertEqual(c.read_response("HEAD").header("Content-Length"), "10")
            self.assertEqual(c.read_response().status, 204)
            self.assertEqual(c.read_response().status, 304)
            r = c.read_response()
            self.assertEqual((r.body, r.header("X-Req")), (pftest.pattern_bytes(0, 3), "4"))

    def test_recbackend_expect_and_delay(self):
        be = self.backend()
        with pftest.HttpConn(be.host, be.port) as c:
            c.send(build_request("POST", "/echo", "h.test",
                                 [("Content-Length", "3"), ("Expect", "100-continue")]))
            self.assertEqual(c.read_interim(2).status, 100)
            c.send(b"abc")
            self.assertEqual(json.loads(c.read_response().body)["body"], "abc")
        r = get(be.host, be.port, "/delay/200")
        self.assertEqual(r.body, b"delayed 200\n")

    def test_recbackend_raw_mode(self):
        resp = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello"
        path = self.write("raw.http", resp)
        be = self.backend(raw=path)
        with pftest.HttpConn(be.host, be.port) as c:
            c.send(build_request("GET", "/anything", "h.test"))
            self.assertEqual(c.read_all(3), resp)
            self.assertTrue(c.eof)

    def test_recbackend_websocket(self):
        be = self.backend()

        async def go():
            sock = socket.create_connection((be.host, be.port), timeout=5)
            sock.setblocking(False)
            async with websockets.connect("ws://h.test/ws", sock=sock, compression=None,
                                          ping_interval=None, open_timeout=5) as ws:
                hello = await ws.recv()
                await ws.send(b"\x00" * 70000)
                return hello, await ws.recv()
        hello, echo = asyncio.run(asyncio.wait_for(go(), 15))
        self.assertEqual((hello, echo), ("hello", b"\x00" * 70000))

    def test_recbackend_restart_same_port(self):
        be = self.backend()
        get(be.host, be.port, "/one")
        be.kill()
        be.start()
        get(be.host, be.port, "/two")
        self.assertEqual(be.targets(), ["/one", "/two"])

    def test_nginx_serves_and_accepts_put(self):
        n = self.nginx({"a.txt": b"hello"})
        self.assertEqual(get(n.host, n.port, "/a.txt").body, b"hello")
        up = self.write("up", os.urandom(100000))
        cp = pftest.curl("-T", up, "-H", "Transfer-Encoding: chunked", "-o", "/dev/null",
                         "-w", "%{http_code}", "http://%s:%d/dav/x/up.bin" % (n.host, n.port))
        self.assertEqual(cp.stdout, b"201", cp.stderr)
        self.assertEqual(pftest.sha256_file(up),
                         pftest.sha256_file(os.path.join(n.www, "dav", "x", "up.bin")))

    def test_free_ports_distinct_and_outside_ephemeral_range(self):
        lo, hi = pftest._port_range()
        ports = [pftest.free_port(LAN) for _ in range(20)]
        self.assertEqual(len(set(ports)), 20)
        self.assertTrue(all(lo <= p <= hi for p in ports))


if __name__ == "__main__":
    pftest.main()
