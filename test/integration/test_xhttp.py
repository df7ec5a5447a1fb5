#!/usr/bin/python3
"""Story: xHTTP method classes (Pound's); a method outside the class -> 405/501, never forwarded.

  0: GET POST HEAD
  1: + PUT PATCH DELETE
  2: + LOCK UNLOCK PROPFIND PROPPATCH SEARCH MKCOL MOVE COPY OPTIONS TRACE
       MKACTIVITY CHECKOUT MERGE REPORT
  3: + SUBSCRIBE UNSUBSCRIBE NOTIFY BPROPFIND BPROPPATCH POLL BMOVE BCOPY BDELETE (CONNECT)
"""
import pftest
from pftest import PROXY, build_request

CLASSES = [
    ["GET", "POST", "HEAD"],
    ["PUT", "PATCH", "DELETE"],
    ["LOCK", "UNLOCK", "PROPFIND", "PROPPATCH", "SEARCH", "MKCOL", "MOVE", "COPY", "OPTIONS",
     "TRACE", "MKACTIVITY", "CHECKOUT", "MERGE", "REPORT"],
    ["SUBSCRIBE", "UNSUBSCRIBE", "NOTIFY", "BPROPFIND", "BPROPPATCH", "POLL", "BMOVE", "BCOPY",
     "BDELETE"],
]

LISTENER = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT%d@
        xHTTP %d
        Service
            @BACKEND@
        End
    End
"""


class XHttp(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.ports = [pftest.free_port() for _ in CLASSES]
        text = "".join(LISTENER % (i, i) for i in range(len(CLASSES)))
        subst = {"PORT%d" % i: p for i, p in enumerate(self.ports)}
        self.pf = self.pinfold(text, listen=[(PROXY, p) for p in self.ports],
                               BACKEND=pftest.be_block(self.be), **subst)

    def send(self, port, method, target):
        body = b"payload" if method in ("POST", "PUT", "PATCH") else None
        return pftest.request(PROXY, port, build_request(method, target, "x.test", body=body),
                              method=method)

    def test_each_class(self):
        problems = []
        for level, port in enumerate(self.ports):
            for cls, methods in enumerate(CLASSES):
                for m in methods:
                    target = "/m/%d/%s" % (level, m)
                    r = self.send(port, m, target)
                    if cls <= level:
                        if r.status != 200 or r.header("X-Backend") != "rec":
                            problems.append("xHTTP %d: %s should be forwarded, got %s"
                                            % (level, m, r.status))
                    elif r.status not in (405, 501):
                        problems.append("xHTTP %d: %s should get 405/501, got %s"
                                        % (level, m, r.status))
        seen = {(e["method"], e["target"]) for e in self.be.requests()}
        for level in range(len(self.ports)):
            for cls, methods in enumerate(CLASSES):
                for m in methods:
                    fwd = (m, "/m/%d/%s" % (level, m)) in seen
                    if cls > level and fwd:
                        problems.append("xHTTP %d: %s reached the backend" % (level, m))
                    if cls <= level and not fwd:
                        problems.append("xHTTP %d: %s did not reach the backend" % (level, m))
        self.assertEqual(problems, [])

    def test_unknown_method_never_forwarded(self):
        for port in self.ports:
            r = self.send(port, "BREW", "/coffee")
            self.assertIn(r.status, (405, 501), r)
        self.assertBackendSawNothing(self.be)

    def test_connect_never_forwarded_below_class_3(self):
        for port in self.ports[:3]:
            r = pftest.request(PROXY, port, b"CONNECT 127.0.0.2:443 HTTP/1.1\r\n"
                               b"Host: 127.0.0.2:443\r\n\r\n", method="CONNECT")
            self.assertIn(r.status, (400, 405, 501), r)
        self.assertBackendSawNothing(self.be)

    def test_rejected_body_not_forwarded_and_next_request_ok(self):
        # PUT with a body on an xHTTP 0 listener; the body must not leak and must
        # not be parsed as the next request.
        smuggled = build_request("GET", "/smuggled", "x.test")
        with pftest.HttpConn(PROXY, self.ports[0]) as c:
            c.send(build_request("PUT", "/m/put", "x.test", body=smuggled))
            r = c.read_response()
            self.assertIn(r.status, (405, 501))
            if r.framing != "close" and not r.has_token("Connection", "close"):
                c.send(build_request("GET", "/after", "x.test"))
                try:
                    r2 = c.read_response()
                    self.assertEqual(r2.status, 200)
                except EOFError:
                    pass  # closing after a rejected request is fine too
        self.assertNotIn("/smuggled", self.be.targets())
        self.assertNotIn("/m/put", self.be.targets())


if __name__ == "__main__":
    pftest.main()
