#!/usr/bin/python3
"""Story: client keep-alive; pipelined requests answered in order; backend connections reused.

Also: Connection: close and HTTP/1.0 end the connection after the response, and an
idle (or half-sent) client connection is closed by the Client timeout, measured to within
20 % of it (never early).  The timeout is 2 s times PFTEST_SLOW, so a loaded machine gets
the same relative margin.
"""
import json
import time

import pftest
from pftest import PROXY, build_request, curl, get

CLIENT = max(2, round(pftest.slow(2)))     # the Client timeout, whole seconds

CFG = """
    Client @CLIENT@
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            Url "^/(size|echo|chunked|status|close)"
            @BACKEND@
        End
    End
"""


class KeepAlive(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, CLIENT=CLIENT,
                               BACKEND=pftest.be_block(self.be))

    def test_sequential_requests_one_connection(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            for i in range(5):
                c.send(build_request("GET", "/size/%d" % (1000 + i), "x.test"))
                r = c.read_response()
                self.assertEqual(r.status, 200)
                self.assertEqual(r.body, pftest.pattern_bytes(0, 1000 + i))
                self.assertFalse(r.has_token("Connection", "close"), r)
        self.assertEqual(self.be.targets(), ["/size/%d" % (1000 + i) for i in range(5)])

    def test_backend_connection_reused(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            for i in range(5):
                c.send(build_request("GET", "/echo/%d" % i, "x.test"))
                self.assertEqual(c.read_response().status, 200)
        self.assertEqual(self.be.nconns_with_data(), 1,
                         "5 sequential keep-alive requests should use one backend connection")

    def close_wait_to_backend(self):
        """pinfold's sockets to the backend that the backend has closed (CLOSE_WAIT)."""
        host = "".join("%02X" % int(b) for b in reversed(self.be.host.split(".")))
        remote = "%s:%04X" % (host, self.be.port)
        with open("/proc/net/tcp") as f:
            return sum(1 for line in f if line.split()[2:4] == [remote, "08"])

    def test_pool_after_backend_restart(self):
        # Idle pooled backend connections are not in the poll set (poll() would visit
        # them on every call): a timer peeks at them, and so does taking one that sat
        # idle for a while.  A backend restart closes them all at once: they must not
        # linger, and the requests after it must be answered.
        conns = [pftest.HttpConn(PROXY, self.port) for _ in range(6)]
        try:
            for c in conns:
                c.send(build_request("GET", "/size/10", "x.test"))
            for c in conns:
                self.assertEqual(c.read_response().status, 200)
        finally:
            for c in conns:
                c.close()
        self.assertGreaterEqual(self.be.nconns_with_data(), 2, "no pooled connections to test")
        self.be.stop()
        self.be.start()
        pftest.wait_until(lambda: self.close_wait_to_backend() == 0, 4.0,
                          what="pooled connections the backend closed to be dropped")
        for i in range(4):
            self.assertEqual(get(PROXY, self.port, "/size/%d" % (i + 1)).status, 200)
        self.be.stop()
        self.be.start()
        # at once, before any timer: taking a pooled connection peeks at it
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(build_request("GET", "/size/5", "x.test"))
            self.assertEqual(c.read_response().status, 200)
            c.send(build_request("POST", "/echo", "x.test", body=b"abc"))
            self.assertEqual(c.read_response().status, 200)
        self.assertEqual(self.be.targets()[-2:], ["/size/5", "/echo"])

    def test_pipelined_in_order(self):
        reqs = (build_request("GET", "/size/100", "x.test")
                + build_request("POST", "/echo", "x.test", body=b"abc")
                + build_request("GET", "/chunked/5000", "x.test")
                + build_request("HEAD", "/size/7", "x.test")
                + build_request("GET", "/status/404", "x.test")
                + build_request("GET", "/size/3", "x.test"))
        with pftest.HttpConn(PROXY, self.port, timeout=10) as c:
            c.send(reqs)
            r1 = c.read_response()
            r2 = c.read_response()
            r3 = c.read_response()
            r4 = c.read_response("HEAD")
            r5 = c.read_response()
            r6 = c.read_response()
        self.assertEqual((r1.status, r1.body), (200, pftest.pattern_bytes(0, 100)))
        self.assertEqual(r2.status, 200)
        self.assertEqual(json.loads(r2.body)["body"], "abc")
        self.assertEqual((r3.status, r3.body), (200, pftest.pattern_bytes(0, 5000)))
        self.assertEqual((r4.status, r4.body, r4.header("Content-Length")), (200, b"", "7"))
        self.assertEqual(r5.status, 404)
        self.assertEqual((r6.status, r6.body), (200, pftest.pattern_bytes(0, 3)))

    def test_pipelined_with_local_answer_in_between(self):
        # The middle request matches no service: its 503 must come second, not first.
        with pftest.HttpConn(PROXY, self.port, timeout=10) as c:
            c.send(build_request("GET", "/size/10", "x.test")
                   + build_request("GET", "/nothing-here", "x.test")
                   + build_request("GET", "/size/20", "x.test"))
            r1 = c.read_response()
            r2 = c.read_response()
            if r2.has_token("Connection", "close"):
                return  # closing after an error is allowed; the order up to here was right
            r3 = c.read_response()
        self.assertEqual((r1.status, len(r1.body)), (200, 10))
        self.assertEqual(r2.status, 503)
        self.assertEqual((r3.status, len(r3.body)), (200, 20))

    def test_curl_reuses_connection(self):
        url = "http://127.0.0.1:%d" % self.port
        cp = curl("-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
                  "-w", "%{http_code} %{num_connects}\n",
                  url + "/size/10", url + "/echo", url + "/chunked/100")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout.decode().split("\n"), ["200 1", "200 0", "200 0", ""])

    def test_connection_close_from_client(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(build_request("GET", "/size/10", "x.test", [("Connection", "close")]))
            r = c.read_response()
            self.assertEqual(r.status, 200)
            self.assertTrue(c.closed_by_peer(3.0), "proxy kept the connection after close")

    def test_http10_closes(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(build_request("GET", "/size/10", "x.test", version="HTTP/1.0"))
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, pftest.pattern_bytes(0, 10)))
            self.assertTrue(c.closed_by_peer(3.0))

    def test_http10_keepalive(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            for i in range(2):
                c.send(build_request("GET", "/size/10", "x.test", [("Connection", "keep-alive")],
                                     version="HTTP/1.0"))
                r = c.read_response()
                self.assertEqual(r.status, 200)
                if not r.has_token("Connection", "keep-alive"):
                    self.assertTrue(c.closed_by_peer(3.0))
                    break

    def test_idle_then_reuse(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(build_request("GET", "/size/1", "x.test"))
            self.assertEqual(c.read_response().status, 200)
            time.sleep(CLIENT / 2)   # below Client
            c.send(build_request("GET", "/size/2", "x.test"))
            self.assertEqual(c.read_response().status, 200)

    def assert_closed_after_client_timeout(self, c, t0, what):
        """c is closed by pinfold (a 408 before is allowed) CLIENT s +- 20 % after t0."""
        data = c.read_all(CLIENT * 4)
        took = time.monotonic() - t0
        self.assertTrue(c.eof, "%s: not closed (Client %d)" % (what, CLIENT))
        if data:
            self.assertRegex(data, rb"^HTTP/1\.[01] 408 ")
        self.assertGreaterEqual(took, CLIENT * 0.8, "%s: closed after %.2f s, before Client %d"
                                % (what, took, CLIENT))
        self.assertLessEqual(took, CLIENT * 1.2, "%s: closed only after %.2f s (Client %d)"
                             % (what, took, CLIENT))

    def test_idle_client_closed_by_timeout(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            t0 = time.monotonic()
            self.assert_closed_after_client_timeout(c, t0, "an idle connection")

    def test_idle_after_a_response_closed_by_timeout(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(build_request("GET", "/size/1", "x.test"))
            self.assertEqual(c.read_response().status, 200)
            t0 = time.monotonic()
            self.assert_closed_after_client_timeout(c, t0, "idle after a response")

    def test_half_sent_head_closed_by_timeout(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            t0 = time.monotonic()
            c.send(b"GET /size/1 HTTP/1.1\r\nHost: x.test\r\nX-Slow: ")
            self.assert_closed_after_client_timeout(c, t0, "a half-sent head")
        self.assertBackendSawNothing(self.be)


    def test_first_connection_after_idle_is_served(self):
        # Regression: the clock was read after the accept callbacks ran, so the first
        # connection after an idle wait longer than Client got a deadline in the past
        # and was closed at once.
        self.assertEqual(get(PROXY, self.port, "/size/10").status, 200)
        time.sleep(CLIENT + 1)   # longer than Client, nothing else going on
        for i in range(3):
            self.assertEqual(get(PROXY, self.port, "/size/%d" % (20 + i)).status, 200)

if __name__ == "__main__":
    pftest.main()
