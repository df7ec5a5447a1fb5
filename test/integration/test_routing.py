#!/usr/bin/python3
"""Story: one listener routes by Host and by URL to different backends.

recbackends on 127.0.0.2 (the LAN host) and nginx on 127.0.0.3 (files).
Listener services are tried in order, then the global ones; the first match wins.
"""
import pftest
from pftest import PROXY, curl, get

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service "files"
            Host "files.home.test"
            @NGINX@
        End
        Service "api"
            HeadRequire "^Host: ha.home.test(:[0-9]+)?$"
            Url "^/api/"
            @A@
        End
        Service "ha"
            HeadRequire "^Host: ha.home.test(:[0-9]+)?$"
            @B@
        End
        Service "css"
            Path "[.]css$"
            @C@
        End
    End
    Service "global"
        Url "^/global/"
        @D@
    End
"""

HELLO = b"hello from nginx on 127.0.0.3\n"


class Routing(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.ngx = self.nginx({"hello.txt": HELLO})
        self.a = self.backend("A")
        self.b = self.backend("B")
        self.c = self.backend("C")
        self.d = self.backend("D")
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, NGINX=pftest.be_block(self.ngx),
                               A=pftest.be_block(self.a), B=pftest.be_block(self.b),
                               C=pftest.be_block(self.c), D=pftest.be_block(self.d))
        self.recs = [self.a, self.b, self.c, self.d]

    def test_host_to_nginx(self):
        r = get(PROXY, self.port, "/hello.txt", "files.home.test")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, HELLO)
        self.ngx.wait_log("GET /hello.txt HTTP/1.1")
        self.assertBackendSawNothing(*self.recs)

    def test_host_match_ignores_case(self):
        # Pound 4: Host is a case-insensitive exact match by default.
        r = get(PROXY, self.port, "/hello.txt", "FILES.Home.TEST")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, HELLO)
        self.assertBackendSawNothing(*self.recs)

    def test_host_and_url(self):
        r = get(PROXY, self.port, "/api/states", "ha.home.test")
        self.assertEqual((r.status, r.header("X-Backend")), (200, "A"))
        r = get(PROXY, self.port, "/lovelace/0", "ha.home.test:443")
        self.assertEqual((r.status, r.header("X-Backend")), (200, "B"))
        self.assertEqual(self.a.targets(), ["/api/states"])
        self.assertEqual(self.b.targets(), ["/lovelace/0"])
        self.assertBackendSawNothing(self.c, self.d)
        self.assertEqual(self.ngx.access_log(), "")

    def test_path_ignores_query(self):
        r = get(PROXY, self.port, "/theme.css?v=3", "anything.test")
        self.assertEqual((r.status, r.header("X-Backend")), (200, "C"))
        self.assertEqual(self.c.targets(), ["/theme.css?v=3"])

    def test_global_service_after_listener_ones(self):
        r = get(PROXY, self.port, "/global/x", "anything.test")
        self.assertEqual((r.status, r.header("X-Backend")), (200, "D"))
        # the listener's own services come first: ha.home.test wins over the global one
        r = get(PROXY, self.port, "/global/y", "ha.home.test")
        self.assertEqual((r.status, r.header("X-Backend")), (200, "B"))
        self.assertEqual(self.d.targets(), ["/global/x"])

    def test_curl_routes(self):
        for vhost, path, want in (("ha.home.test", "/api/config", "A"),
                                  ("ha.home.test", "/", "B"),
                                  ("x.test", "/a/b.css", "C")):
            cp = curl("-o", "/dev/null", "-D", "-", "-H", "Host: " + vhost,
                      "http://127.0.0.1:%d%s" % (self.port, path))
            self.assertEqual(cp.returncode, 0, cp.stderr)
            self.assertIn(b"\r\nx-backend: " + want.lower().encode() + b"\r\n",
                          cp.stdout.lower(), cp.stdout)

    def test_unmatched_goes_nowhere(self):
        r = get(PROXY, self.port, "/theme.css.map", "unknown.test")
        self.assertEqual(r.status, 503)
        self.assertBackendSawNothing(*self.recs)
        self.assertEqual(self.ngx.access_log(), "")


if __name__ == "__main__":
    pftest.main()
