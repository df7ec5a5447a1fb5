#!/usr/bin/python3
"""Story: only what a service is for gets through - the "only /api/ for one host" recipe.

For the host api.example.test only /api/ is served (anything else is 404 from pinfold,
without touching the backend); on /api/ only GET and POST (`Not Method`) - other methods
are 405 even though the listener's xHTTP allows them; Home Assistant's admin-only paths are
403 everywhere.  Each refusal is a "filter" refused line; the allowed requests arrive as sent.
"""
import pftest
from accessctl import get_from, refused_lines

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        xHTTP 1
        # Home Assistant's panels that have no business outside the house
        Service "no-admin"
            Path -re "^/(config|developer-tools|hassio)(/|$)"
            Error 403
        End
        # the recipe: only /api/ for one service
        Service "api-only"
            Host "api.example.test"
            Not Path -beg "/api/"
            Error 404
        End
        Service "api-methods"
            Host "api.example.test"
            Not Method -re "^(GET|POST)$"
            Error 405
        End
        Service "api"
            Host "api.example.test"
            @BACKEND@
        End
        Service "everything-else"
            @BACKEND@
        End
    End
"""


class UrlFilter(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, BACKEND=pftest.be_block(self.be))

    def req(self, method, target, vhost="api.example.test", body=None):
        return get_from("127.0.0.80", self.port, target, vhost=vhost, method=method, body=body)

    def test_only_api_paths(self):
        mark = self.be.mark()
        for target in ("/", "/lovelace", "/auth/authorize", "/apix", "/API/states"):
            self.assertEqual(self.req("GET", target).status, 404, target)
        self.assertEqual(self.be.requests_since(mark), [])
        self.assertEqual(self.req("GET", "/api/states").status, 200)
        self.assertEqual(self.req("POST", "/api/services/light/turn_on", body=b"{}").status, 200)
        self.assertEqual([e["target"] for e in self.be.requests_since(mark)],
                         ["/api/states", "/api/services/light/turn_on"])
        # the other host is not restricted to /api/
        self.assertEqual(self.req("GET", "/lovelace", vhost="ha.example.test").status, 200)

    def test_methods(self):
        mark = self.be.mark()
        for m in ("PUT", "DELETE", "PATCH"):   # allowed by xHTTP 1, not by the service
            r = self.req(m, "/api/states", body=b"x")
            self.assertEqual(r.status, 405, m)
        self.assertEqual(self.be.requests_since(mark), [])
        # methods above the listener's xHTTP are 501 before any service
        self.assertEqual(self.req("PROPFIND", "/api/states").status, 501)
        lines = [x for x in refused_lines(self.pf) if x[0] == "127.0.0.80"]
        self.assertIn(("127.0.0.80", "PUT /api/states HTTP/1.1", "405", "filter"), lines)
        pftest.wait_until(lambda: any(x[3] == "method" for x in refused_lines(self.pf)), 3,
                          what="the 501 refused line")

    def test_admin_paths_forbidden(self):
        mark = self.be.mark()
        for target in ("/config", "/config/users", "/developer-tools/state", "/hassio/"):
            self.assertEqual(self.req("GET", target, vhost="ha.example.test").status, 403,
                             target)
        self.assertEqual(self.be.requests_since(mark), [])
        self.assertEqual(self.req("GET", "/configuration.yaml.bak",
                                  vhost="ha.example.test").status, 200)


if __name__ == "__main__":
    pftest.main()
