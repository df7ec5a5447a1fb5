#!/usr/bin/python3
"""Story: Expect: 100-continue works through the proxy.

The client sends only the head, waits for "100 Continue" (from the backend via the
proxy, or from the proxy itself), then sends the body; the final answer follows.
A request the proxy answers itself (no service) gets its final status without the
client having to send the body.
"""
import json
import os
import time

import pftest
from pftest import PROXY, build_request, curl

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            Url "^/echo"
            @BACKEND@
        End
    End
"""


def head_only(method, target, headers):
    return build_request(method, target, "x.test", headers)


class ExpectContinue(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, BACKEND=pftest.be_block(self.be))

    def test_content_length_body(self):
        body = os.urandom(100000)
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(head_only("POST", "/echo", [("Content-Length", str(len(body))),
                                                ("Expect", "100-continue")]))
            interim = c.read_interim(3.0)
            self.assertEqual(interim.status, 100)
            c.send(body)
            r = c.read_response()
        self.assertEqual(r.status, 200)
        info = json.loads(r.body)
        self.assertEqual((info["body_length"], info["body_sha256"]),
                         (len(body), pftest.sha256(body)))

    def test_chunked_body(self):
        body = os.urandom(50000)
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(head_only("POST", "/echo",
                             [("Transfer-Encoding", "chunked"), ("Expect", "100-continue")]))
            self.assertEqual(c.read_interim(3.0).status, 100)
            c.send(pftest.chunked(body))
            r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(r.body)["body_sha256"], pftest.sha256(body))

    def test_keepalive_after_expect(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(head_only("POST", "/echo", [("Content-Length", "5"),
                                                ("Expect", "100-continue")]))
            self.assertEqual(c.read_interim(3.0).status, 100)
            c.send(b"hello")
            r = c.read_response()
            self.assertEqual(json.loads(r.body)["body"], "hello")
            self.assertEqual(r.interim, [], "a second 100 Continue arrived")
            c.send(build_request("GET", "/echo/2", "x.test"))
            r2 = c.read_response()
            self.assertEqual(r2.status, 200)
            self.assertEqual(json.loads(r2.body)["target"], "/echo/2")

    def test_curl_gets_100_without_waiting(self):
        # curl waits up to --expect100-timeout for the 100 before sending anyway;
        # finishing well below it shows the 100 came through.
        up = self.write("up.bin", os.urandom(2 << 20))
        t0 = time.monotonic()
        cp = curl("-H", "Expect: 100-continue", "--expect100-timeout", "8",
                  "--data-binary", "@" + up, "http://127.0.0.1:%d/echo" % self.port,
                  max_time=30)
        elapsed = time.monotonic() - t0
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(json.loads(cp.stdout)["body_sha256"], pftest.sha256_file(up))
        self.assertLess(elapsed, pftest.slow(5.0), "no 100 Continue reached curl (it waited %.1fs)" % elapsed)

    def test_local_answer_without_body(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(head_only("POST", "/no-service", [("Content-Length", "100000"),
                                                      ("Expect", "100-continue")]))
            r = c.read_response(timeout=3.0)
            self.assertEqual(r.status, 503)
        self.assertBackendSawNothing(self.be)


if __name__ == "__main__":
    pftest.main()
