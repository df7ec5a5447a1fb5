#!/usr/bin/python3
"""Story: security headers on every response, and the backend's version banners gone.

`Rewrite response` (Pound's) in the listener adds HSTS, X-Frame-Options,
X-Content-Type-Options and Referrer-Policy and deletes Server and X-Powered-By from what
nginx answers; a service's own `Rewrite response` adds and deletes more for its responses
(Pound's order: the service's edits first, then the listener's, so the listener's SetHeader
has the last word).  The proxy's own pages (an Error service, a 404 for a bad request path) carry the
listener's headers too, and framing headers are never touched.
"""
import pftest
from pftest import PROXY

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Rewrite response
            SetHeader "Strict-Transport-Security: max-age=31536000; includeSubDomains"
            SetHeader "X-Frame-Options: SAMEORIGIN"
            SetHeader "X-Content-Type-Options: nosniff"
            SetHeader "Referrer-Policy: same-origin"
            DeleteHeader "^(Server|X-Powered-By):"
        End
        Service "embeddable"
            Path -beg "/embed/"
            Rewrite response
                SetHeader "Content-Security-Policy: frame-ancestors https://dash.example.test"
                DeleteHeader -beg "X-Frame-Options:"
            End
            @FILES@
        End
        Service "gone"
            Path -beg "/old/"
            Error 404
        End
        Service
            @FILES@
        End
    End
"""

SECURITY = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class ResponseHeaders(pftest.TestCase):
    def setUp(self):
        super().setUp()
        # nginx names itself and, here, a framework version: what a backend leaks
        self.files = self.nginx(files={"index.html": b"<h1>home</h1>\n",
                                       "embed/card.html": b"<p>card</p>\n"},
                                extra_http='add_header X-Powered-By "PHP/8.2.7";\n'
                                           '                    add_header X-Frame-Options '
                                           'ALLOWALL;')
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, FILES=pftest.be_block(self.files))

    def check_security(self, r, skip=()):
        for name, value in SECURITY.items():
            if name not in skip:
                self.assertEqual(r.headers_named(name), [value], (name, r.headers))

    def test_backend_response(self):
        direct = pftest.get(self.files.host, self.files.port, "/index.html")
        self.assertTrue(direct.header("Server").startswith("nginx"))
        self.assertEqual(direct.header("X-Powered-By"), "PHP/8.2.7")
        r = pftest.get(PROXY, self.port, "/index.html")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"<h1>home</h1>\n")
        self.assertEqual(r.headers_named("Server"), [])
        self.assertEqual(r.headers_named("X-Powered-By"), [])
        self.check_security(r)   # nginx's ALLOWALL replaced, not doubled
        self.assertEqual(r.header("Content-Length"), "14")
        # HEAD and 304 go through the same edits
        h = pftest.get(PROXY, self.port, "/index.html", method="HEAD")
        self.check_security(h)
        nm = pftest.get(PROXY, self.port, "/index.html",
                        headers=[("If-Modified-Since", direct.header("Last-Modified"))])
        self.assertEqual(nm.status, 304)
        self.assertEqual(nm.headers_named("Server"), [])

    def test_service_overrides(self):
        r = pftest.get(PROXY, self.port, "/embed/card.html")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers_named("Content-Security-Policy"),
                         ["frame-ancestors https://dash.example.test"])
        # the service's DeleteHeader removed nginx's; the listener's SetHeader still adds its own
        self.assertEqual(r.headers_named("X-Frame-Options"), ["SAMEORIGIN"])
        self.check_security(r)

    def test_proxy_pages(self):
        r = pftest.get(PROXY, self.port, "/old/page")
        self.assertEqual(r.status, 404)
        self.check_security(r)
        self.assertEqual(r.headers_named("Server"), [])
        bad = pftest.request(PROXY, self.port, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        self.assertEqual(bad.status, 400)
        self.check_security(bad)


if __name__ == "__main__":
    pftest.main()
