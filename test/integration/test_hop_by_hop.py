#!/usr/bin/python3
"""Story: hop-by-hop headers are not forwarded (RFC 9110 7.6.1), either way.

Connection and the headers it names, Keep-Alive, TE, Trailer, Proxy-* stay on
their hop; end-to-end headers pass.
"""
import pftest
from pftest import PROXY, build_request

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            @BACKEND@
        End
    End
"""

HOP = [
    ("Connection", "keep-alive, X-Hop-One, x-hop-two"),
    ("X-Hop-One", "hop1-value"),
    ("X-Hop-Two", "hop2-value"),
    ("Keep-Alive", "timeout=5, max=1000"),
    ("TE", "trailers, deflate;q=0.5"),
    ("Trailer", "X-Checksum"),
    ("Proxy-Authorization", "Basic cHJveHk6c2VjcmV0"),
    ("Proxy-Connection", "keep-alive"),
    ("X-End-To-End", "keep-me"),
]
MUST_NOT = ["x-hop-one", "x-hop-two", "keep-alive", "te", "trailer", "proxy-authorization",
            "proxy-connection"]


class HopByHop(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, BACKEND=pftest.be_block(self.be))

    def test_request_hop_headers_dropped(self):
        r = pftest.request(PROXY, self.port, build_request("GET", "/echo", "x.test", HOP))
        self.assertEqual(r.status, 200)
        reqs = pftest.seen_requests(self.be)
        self.assertEqual(len(reqs), 1)
        q = reqs[0]
        for n in MUST_NOT:
            self.assertNotIn(n, q.names(), "%s was forwarded: %r" % (n, q.headers))
        for v in q.named("Connection"):
            self.assertNotIn("hop", v.lower(), "client's Connection list was forwarded")
        raw = self.be.raw_bytes()
        for marker in (b"hop1-value", b"hop2-value", b"cHJveHk6c2VjcmV0", b"X-Checksum",
                       b"deflate;q=0.5", b"max=1000"):
            self.assertNotIn(marker, raw)
        self.assertEqual(q.named("X-End-To-End"), ["keep-me"])

    def test_hop_headers_with_chunked_body(self):
        body = pftest.chunked(b"z" * 5000)
        r = pftest.request(PROXY, self.port, build_request(
            "POST", "/echo", "x.test", HOP + [("Transfer-Encoding", "chunked")], body=body,
            content_length=False))
        self.assertEqual(r.status, 200)
        q = pftest.seen_requests(self.be)[0]
        self.assertEqual(q.body, b"z" * 5000)
        for n in MUST_NOT:
            self.assertNotIn(n, q.names())

    def test_response_hop_headers_dropped(self):
        r = pftest.request(PROXY, self.port, build_request("GET", "/hop", "x.test"))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"hop\n")
        names = [n.lower() for n, _ in r.headers]
        for n in ("x-resp-hop", "keep-alive", "proxy-authenticate", "proxy-connection",
                  "trailer"):
            self.assertNotIn(n, names, "response hop-by-hop %s forwarded: %r" % (n, r.headers))
        for v in r.headers_named("Connection"):
            self.assertNotIn("x-resp-hop", v.lower())
        self.assertEqual(r.headers_named("X-End-To-End"), ["kept"])


if __name__ == "__main__":
    pftest.main()
