#!/usr/bin/python3
"""Story: spoofed forwarding headers never reach the backend; the proxy adds its own.

By default (no HeadRemove needed) X-Forwarded-For/-Proto/-Host/-Port, X-Real-IP,
Forwarded, X-Client-IP and True-Client-IP sent by the client are dropped, in any
letter case and however often repeated; then pinfold adds X-Forwarded-For: <peer>,
X-Forwarded-Proto: http and X-Forwarded-Port: <listener port>.
`StripForwarded 0` (a trusted upstream) keeps the client's values.
A listener `HeadRemove "X-Forwarded-For"` (the Home Assistant docs' config) must
not remove the proxy's own X-Forwarded-For (Pound 4.23 does; see FACTS.md).
"""
import json

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
    ListenHTTP
        Address 127.0.0.1
        Port @TRUST_PORT@
        StripForwarded 0
        Service
            @BACKEND@
        End
    End
    ListenHTTP
        Address 127.0.0.1
        Port @HR_PORT@
        HeadRemove "X-Forwarded-For"
        Service
            @BACKEND@
        End
    End
"""

SPOOF = [
    ("X-Forwarded-For", "6.6.6.1"),
    ("x-forwarded-for", "6.6.6.2"),
    ("X-FORWARDED-FOR", "6.6.6.7, 6.6.6.17"),
    ("X-Forwarded-Proto", "spoofproto"),
    ("X-Forwarded-Host", "evil-host.test"),
    ("X-Forwarded-Port", "6661"),
    ("X-Real-IP", "6.6.6.3"),
    ("Forwarded", "for=6.6.6.4;proto=https;host=evil-fwd.test"),
    ("X-Client-IP", "6.6.6.5"),
    ("True-Client-IP", "6.6.6.6"),
    ("x-real-ip", "6.6.6.8"),
]
SPOOF_MARKERS = [b"6.6.6.", b"spoofproto", b"evil-host", b"6661", b"evil-fwd"]
STRIPPED_NAMES = ["x-real-ip", "forwarded", "x-client-ip", "true-client-ip", "x-forwarded-host"]


class Spoofed(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()
        self.trust_port = pftest.free_port()
        self.hr_port = pftest.free_port()
        self.pf = self.pinfold(CFG, listen=[(PROXY, self.port), (PROXY, self.trust_port),
                                            (PROXY, self.hr_port)],
                               PORT=self.port, TRUST_PORT=self.trust_port, HR_PORT=self.hr_port,
                               BACKEND=pftest.be_block(self.be))

    def seen(self):
        reqs = pftest.seen_requests(self.be)
        self.assertTrue(reqs, "backend saw no request")
        return reqs

    def assert_proxy_headers_only(self, req, port):
        self.assertEqual(req.named("X-Forwarded-For"), ["127.0.0.1"], req.headers)
        self.assertEqual(req.named("X-Forwarded-Proto"), ["http"], req.headers)
        self.assertEqual(req.named("X-Forwarded-Port"), [str(port)], req.headers)
        for n in STRIPPED_NAMES:
            self.assertNotIn(n, req.names(), req.headers)

    def test_spoofed_headers_dropped_raw_bytes(self):
        headers = SPOOF + [("X-Innocent", "6-6-6-keep"), ("Accept", "*/*")]
        r = pftest.request(PROXY, self.port, build_request("GET", "/echo", "x.test", headers))
        self.assertEqual(r.status, 200)
        raw = self.be.raw_bytes()
        for m in SPOOF_MARKERS:
            self.assertNotIn(m, raw, "spoofed value %r reached the backend:\n%r" % (m, raw))
        self.assertIn(b"\r\nX-Innocent: 6-6-6-keep\r\n", raw)
        reqs = self.seen()
        self.assertEqual(len(reqs), 1)
        self.assert_proxy_headers_only(reqs[0], self.port)

    def test_every_request_on_a_keepalive_connection(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            for i in range(3):
                c.send(build_request("GET", "/echo/%d" % i, "x.test", SPOOF))
                self.assertEqual(c.read_response().status, 200)
        raw = self.be.raw_bytes()
        for m in SPOOF_MARKERS:
            self.assertNotIn(m, raw)
        reqs = self.seen()
        self.assertEqual([q.target for q in reqs], ["/echo/0", "/echo/1", "/echo/2"])
        for q in reqs:
            self.assert_proxy_headers_only(q, self.port)

    def test_curl_spoof_dropped(self):
        args = []
        for n, v in SPOOF:
            args += ["-H", "%s: %s" % (n, v)]
        cp = curl(*args, "http://127.0.0.1:%d/echo" % self.port)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        info = json.loads(cp.stdout)
        names = [n.lower() for n, _ in info["headers"]]
        self.assertEqual([v for n, v in info["headers"] if n.lower() == "x-forwarded-for"],
                         ["127.0.0.1"])
        for n in STRIPPED_NAMES:
            self.assertNotIn(n, names)
        for m in SPOOF_MARKERS:
            self.assertNotIn(m, self.be.raw_bytes())

    def test_post_with_body_spoof_dropped(self):
        body = b"x=1&forwarded=not-a-header"
        r = pftest.request(PROXY, self.port,
                           build_request("POST", "/echo", "x.test", SPOOF, body=body))
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(r.body)["body"], body.decode())
        self.assert_proxy_headers_only(self.seen()[0], self.port)

    def test_strip_forwarded_0_keeps_client_values(self):
        r = pftest.request(PROXY, self.trust_port, build_request("GET", "/echo", "x.test", SPOOF))
        self.assertEqual(r.status, 200)
        req = self.seen()[0]
        xff = ", ".join(req.named("X-Forwarded-For"))
        self.assertIn("6.6.6.1", xff, req.headers)
        self.assertIn("127.0.0.1", xff, "the proxy still adds its own peer address")
        self.assertIn("6.6.6.3", req.named("X-Real-IP"))
        self.assertTrue(any("6.6.6.4" in v for v in req.named("Forwarded")), req.headers)
        self.assertIn("6.6.6.5", req.named("X-Client-IP"))
        self.assertIn("6.6.6.6", req.named("True-Client-IP"))

    def test_headremove_xff_keeps_proxys_own(self):
        r = pftest.request(PROXY, self.hr_port, build_request("GET", "/echo", "x.test", SPOOF))
        self.assertEqual(r.status, 200)
        for m in SPOOF_MARKERS:
            self.assertNotIn(m, self.be.raw_bytes())
        self.assert_proxy_headers_only(self.seen()[0], self.hr_port)


if __name__ == "__main__":
    pftest.main()
