#!/usr/bin/python3
"""Story: a request no service matches gets Pound's error (503), and nothing is forwarded."""
import time

import pftest
from pftest import PROXY, build_request, curl, get

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            Url "^/only/"
            HeadRequire "^Host: known.test$"
            @BACKEND@
        End
    End
"""


class NoService(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, BACKEND=pftest.be_block(self.be))

    def test_503_and_backend_saw_nothing(self):
        for target, vhost in (("/other", "known.test"), ("/only/x", "unknown.test"),
                              ("/", "known.test")):
            t0 = time.monotonic()
            r = get(PROXY, self.port, target, vhost)
            self.assertEqual(r.status, 503, (target, vhost, r))
            self.assertLess(time.monotonic() - t0, pftest.slow(1.0), "no-service answer must be immediate")
        self.assertBackendSawNothing(self.be)

    def test_body_of_unmatched_request_not_forwarded(self):
        secret = b"do-not-forward-" * 1000
        r = pftest.request(PROXY, self.port, build_request("POST", "/nope", "known.test",
                                                           body=secret))
        self.assertEqual(r.status, 503)
        self.assertBackendSawNothing(self.be)

    def test_curl_sees_503_then_a_match_works(self):
        cp = curl("-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: known.test",
                  "http://127.0.0.1:%d/missing" % self.port)
        self.assertEqual(cp.stdout, b"503", cp.stderr)
        self.assertBackendSawNothing(self.be)
        r = get(PROXY, self.port, "/only/yes", "known.test")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.be.targets(), ["/only/yes"])

    def test_error_response_is_well_framed(self):
        # Two requests on one connection: the 503 must carry a length (or close),
        # so the next response is parsed from a clean stream.
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(build_request("GET", "/nope", "known.test"))
            r = c.read_response()
            self.assertEqual(r.status, 503)
            if r.framing != "close" and not r.has_token("Connection", "close"):
                c.send(build_request("GET", "/only/next", "known.test"))
                r2 = c.read_response()
                self.assertEqual(r2.status, 200)


if __name__ == "__main__":
    pftest.main()
