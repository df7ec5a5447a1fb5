#!/usr/bin/python3
"""Story: MaxConnections in a BackEnd caps the requests in flight to that backend.

Two backends with MaxConnections 1: while a slow request holds one, the next concurrent
request goes to the other; with both busy the client gets a quick 503 with Retry-After
(logged), not a wait.  A lone backend with MaxConnections 1: a second concurrent request
is answered 503 at once.  Kept-alive idle connections to a backend do not count: one
request after another all pass.
"""
import threading
import time

import pftest
from pftest import PROXY, get

SLOW_MS = 2500

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            Host "two.test"
            @A@
            @B@
        End
        Service
            Host "one.test"
            @C@
        End
    End
"""


class BackendLimits(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.a = self.backend("a")
        self.b = self.backend("b")
        self.c = self.backend("c")
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port,
                               A=pftest.be_block(self.a, "MaxConnections 1"),
                               B=pftest.be_block(self.b, "MaxConnections 1"),
                               C=pftest.be_block(self.c, "MaxConnections 1"))
        self.threads = []

    def tearDown(self):
        for t in self.threads:
            t.join(timeout=15)
        super().tearDown()

    def slow(self, vhost, target):
        """Start a slow request in the background; wait until a backend has its head."""
        out = {}

        def run():
            out["r"] = get(PROXY, self.port, target, vhost=vhost, timeout=10)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        self.threads.append(t)

        def arrived():
            return any(e["target"] == target for b in (self.a, self.b, self.c)
                       for e in b.journal("head"))
        pftest.wait_until(arrived, 5, what="slow request %s at a backend" % target)
        return t, out

    def test_full_backend_skipped_then_503(self):
        _, out1 = self.slow("two.test", "/delay/%d?first" % SLOW_MS)
        holder1 = "a" if any(e["target"].endswith("?first") for e in self.a.journal("head")) \
            else "b"
        # the other backend has room: every request in this window goes there
        for i in range(5):
            r = get(PROXY, self.port, "/quick%d" % i, vhost="two.test")
            self.assertEqual(r.status, 200)
            self.assertNotEqual(r.header("X-Backend"), holder1)
        # occupy the other one too: now both are at their cap
        _, out2 = self.slow("two.test", "/delay/%d?second" % SLOW_MS)
        t0 = time.monotonic()
        r = get(PROXY, self.port, "/refused", vhost="two.test")
        took = time.monotonic() - t0
        self.assertEqual(r.status, 503)
        self.assertLess(took, pftest.slow(1.0))
        self.assertEqual(r.header("Retry-After"), "1")
        for be in (self.a, self.b):
            self.assertNotIn("/refused", be.targets())
        self.assertIn("is at its MaxConnections", self.pf.stderr())
        for t in self.threads:
            t.join(timeout=10)
        self.assertEqual(out1["r"].status, 200)
        self.assertEqual(out2["r"].status, 200)
        # both free again
        self.assertEqual(get(PROXY, self.port, "/after", vhost="two.test").status, 200)

    def test_single_backend_503_fast(self):
        t, out = self.slow("one.test", "/delay/%d" % SLOW_MS)
        t0 = time.monotonic()
        r = get(PROXY, self.port, "/second", vhost="one.test")
        self.assertEqual(r.status, 503)
        self.assertLess(time.monotonic() - t0, pftest.slow(1.0))
        self.assertIsNotNone(r.header("Retry-After"))
        self.assertNotIn("/second", self.c.targets())
        t.join(timeout=10)
        self.assertEqual(out["r"].status, 200)
        self.assertEqual(get(PROXY, self.port, "/third", vhost="one.test").status, 200)

    def test_idle_keepalive_does_not_count(self):
        # one client connection, requests one after another: the pooled backend
        # connection between them is idle and must not hold the backend's one slot
        with pftest.HttpConn(PROXY, self.port) as c:
            for i in range(10):
                c.send(pftest.build_request("GET", "/seq%d" % i, "one.test"))
                r = c.read_response()
                self.assertEqual(r.status, 200, r)
        # and from separate connections
        for i in range(10):
            self.assertEqual(get(PROXY, self.port, "/sep%d" % i, vhost="one.test").status, 200)
        self.assertEqual(len(self.c.targets()), 20)


if __name__ == "__main__":
    pftest.main()
