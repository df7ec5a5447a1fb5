#!/usr/bin/python3
"""Story: a close-delimited response (no length, no chunking) arrives whole.

The proxy may pass it on close-delimited or re-frame it (chunked); either way the
client gets every byte and a correctly ended message.
"""
import os

import pftest
from pftest import PROXY, build_request, curl

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            @BACKEND@
        End
    End
"""


class CloseDelimited(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, BACKEND=pftest.be_block(self.be))

    def test_curl(self):
        out = os.path.join(self.dir, "out.bin")
        n = 3 * (1 << 20) + 11
        cp = curl("-o", out, "-w", "%{http_code}", "http://127.0.0.1:%d/close/%d" % (self.port, n),
                  max_time=30)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, b"200")
        self.assertEqual(os.path.getsize(out), n)
        self.assertEqual(pftest.sha256_file(out), pftest.pattern_sha256(n))

    def test_raw_http11(self):
        n = 200000
        with pftest.HttpConn(PROXY, self.port, timeout=10) as c:
            c.send(build_request("GET", "/close/%d" % n, "x.test"))
            r = c.read_response()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, pftest.pattern_bytes(0, n))
            if r.framing != "close" and not r.has_token("Connection", "close"):
                # re-framed: the client connection may live on
                c.send(build_request("GET", "/size/4", "x.test"))
                self.assertEqual(c.read_response().body, pftest.pattern_bytes(0, 4))

    def test_raw_http10(self):
        with pftest.HttpConn(PROXY, self.port, timeout=10) as c:
            c.send(build_request("GET", "/close/5000", "x.test", version="HTTP/1.0"))
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, pftest.pattern_bytes(0, 5000)))

    def test_empty(self):
        r = pftest.get(PROXY, self.port, "/close/0")
        self.assertEqual((r.status, r.body), (200, b""))


if __name__ == "__main__":
    pftest.main()
