#!/usr/bin/python3
"""Story: plain HTTP is redirected (Pound's Redirect), and the backend never sees it.

Pound's rule: a Redirect URL without a path gets the request's path and query
appended (/lovelace/0?x=1 -> https://host/lovelace/0?x=1); a URL with a path is
used as it is.  The default code is 302; 301/303/307/308 can be given.
"""
import pftest
from pftest import PROXY, build_request, curl, get

CFG = """
    Alive 2
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            HeadRequire "^Host: app.example.test$"
            Redirect "https://app.example.test"
        End
        Service
            Url "^/moved301"
            Redirect 301 "https://new.example.test"
        End
        Service
            Url "^/see303"
            Redirect 303 "https://new.example.test"
        End
        Service
            Url "^/fixed"
            Redirect 307 "https://other.example.test/landing.html"
        End
        Service
            Url "^/p308"
            Redirect 308 "http://perm.example.test:8443"
        End
        Service
            @BACKEND@
        End
    End
"""


class Redirect(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, BACKEND=pftest.be_block(self.be))

    def location(self, target, vhost, method="GET", code=302):
        r = get(PROXY, self.port, target, vhost, method=method)
        self.assertEqual(r.status, code, r)
        return r.header("Location")

    def test_curl_path_and_query_appended(self):
        cp = curl("-o", "/dev/null", "-D", "-", "-H", "Host: app.example.test",
                  "http://127.0.0.1:%d/lovelace/0?x=1" % self.port)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        head = cp.stdout.decode("latin-1")
        self.assertRegex(head.splitlines()[0], r"^HTTP/1\.[01] 302\b")
        locs = [ln.split(":", 1)[1].strip() for ln in head.splitlines()
                if ln.lower().startswith("location:")]
        self.assertEqual(locs, ["https://app.example.test/lovelace/0?x=1"])
        self.assertBackendSawNothing(self.be)

    def test_root_path(self):
        self.assertEqual(self.location("/", "app.example.test"), "https://app.example.test/")
        self.assertBackendSawNothing(self.be)

    def test_codes(self):
        self.assertEqual(self.location("/moved301/a?b=c", "x.test", code=301),
                         "https://new.example.test/moved301/a?b=c")
        self.assertEqual(self.location("/see303", "x.test", code=303),
                         "https://new.example.test/see303")
        self.assertEqual(self.location("/p308/q", "x.test", code=308),
                         "http://perm.example.test:8443/p308/q")
        self.assertBackendSawNothing(self.be)

    def test_url_with_path_is_used_as_is(self):
        self.assertEqual(self.location("/fixed/deep/path?q=1", "x.test", code=307),
                         "https://other.example.test/landing.html")
        self.assertBackendSawNothing(self.be)

    def test_head_gets_redirect_without_body(self):
        r = get(PROXY, self.port, "/x?y", "app.example.test", method="HEAD")
        self.assertEqual(r.status, 302)
        self.assertEqual(r.header("Location"), "https://app.example.test/x?y")
        self.assertBackendSawNothing(self.be)

    def test_post_body_is_consumed_and_connection_reusable(self):
        # The redirect answers without reading the body itself; the proxy must skip the
        # body so the next request on this keep-alive connection is parsed correctly.
        body = b"A" * 70000
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(build_request("POST", "/form?z=9", "app.example.test", body=body))
            r = c.read_response()
            self.assertEqual(r.status, 302)
            self.assertEqual(r.header("Location"), "https://app.example.test/form?z=9")
            if not r.has_token("Connection", "close"):
                c.send(build_request("GET", "/again", "app.example.test"))
                r2 = c.read_response()
                self.assertEqual(r2.status, 302)
                self.assertEqual(r2.header("Location"), "https://app.example.test/again")
        self.assertBackendSawNothing(self.be)

    def test_other_requests_still_reach_backend(self):
        r = get(PROXY, self.port, "/echo", "ha.internal.test")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("X-Backend"), "rec")
        self.assertEqual(self.be.targets(), ["/echo"])


if __name__ == "__main__":
    pftest.main()
