#!/usr/bin/python3
"""Story: HealthCheck "GET /health" catches a backend that accepts connections but fails.

On every Alive tick each backend with a HealthCheck gets a real HTTP/1.1 request.  A
backend whose /health answers 500 is marked dead within about Alive seconds and gets no
more requests (503 when none is left); when /health answers 200 again it is back.  A
backend that accepts the connection and never answers is dead after its TimeOut.  A
BackEnd's own HealthCheck (here HEAD with a 2xx class) overrides the Service's.  The
probe requests the backend sees are well-formed.  An HTTPS backend (nginx with ssl)
is checked over TLS, with the ServerName as SNI and Host.
"""
import signal
import time

import pftest
from pftest import PROXY, get

ALIVE = 1

CFG = """
    Alive @ALIVE@
    TimeOut 1
    ConnTO 1
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            Host "h.test"
            HealthCheck "GET /health" 200
            @A@
            @B@
        End
        Service
            Host "own.test"
            HealthCheck "GET /health"
            @C@
        End
    End
"""


class HealthHttp(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.a = self.backend("a")
        self.b = self.backend("b")
        self.c = self.backend("c")
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, ALIVE=ALIVE, A=pftest.be_block(self.a),
                               B=pftest.be_block(self.b),
                               C=pftest.be_block(self.c, 'HealthCheck "HEAD /status/204" 2xx'))

    def wait_log(self, text, timeout):
        pftest.wait_until(lambda: text in self.pf.stderr(), timeout, interval=0.1,
                          what="log line %r" % text)

    def spread(self, n, vhost="h.test"):
        names = {}
        for i in range(n):
            r = get(PROXY, self.port, "/r%d" % i, vhost=vhost)
            key = r.header("X-Backend") if r.status == 200 else r.status
            names[key] = names.get(key, 0) + 1
        return names

    def test_500_marks_dead_then_200_revives(self):
        self.a.set_health(500)
        t0 = time.monotonic()
        self.wait_log("backend %s is dead (health check got 500)" % self.a.addr, ALIVE * 3 + 2)
        self.assertLess(time.monotonic() - t0, pftest.slow(ALIVE * 3 + 2))
        self.assertEqual(self.spread(20), {"b": 20})
        # the dead one is still checked, and only the HTTP check brings it back
        self.a.set_health(200)
        self.wait_log("backend %s is alive again" % self.a.addr, ALIVE * 3 + 2)
        pftest.wait_until(lambda: "a" in self.spread(10), 5, what="requests reach a again")

    def test_all_failing_is_503(self):
        self.a.set_health(503)
        self.b.set_health(404)
        self.wait_log("backend %s is dead (health check got 503)" % self.a.addr, ALIVE * 3 + 2)
        self.wait_log("backend %s is dead (health check got 404)" % self.b.addr, ALIVE * 3 + 2)
        mark_a, mark_b = self.a.mark(), self.b.mark()
        t0 = time.monotonic()
        self.assertEqual(get(PROXY, self.port, "/x", vhost="h.test").status, 503)
        self.assertLess(time.monotonic() - t0, pftest.slow(1.0))
        # nothing but health checks reached them
        for be, mark in ((self.a, mark_a), (self.b, mark_b)):
            self.assertEqual({e["target"] for e in be.requests_since(mark)} - {"/health"},
                             set())

    def test_never_answering_is_dead_after_timeout(self):
        self.a.set_health("hang")
        self.wait_log("backend %s is dead (health check timed out)" % self.a.addr,
                      ALIVE * 3 + 1 + 3)
        self.assertEqual(self.spread(10), {"b": 10})
        self.a.set_health(200)
        self.wait_log("backend %s is alive again" % self.a.addr, ALIVE * 3 + 3)

    def test_probe_requests_are_well_formed(self):
        pftest.wait_until(lambda: len([e for e in self.a.journal("head")
                                       if e["target"] == "/health"]) >= 2,
                          ALIVE * 4 + 2, what="two health checks at backend a")
        want = ("GET /health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
                "User-Agent: pinfold\r\nAccept: */*\r\n\r\n" % self.a.addr).encode()
        probes = [d for _, d in self.a.conn_files() if d.startswith(b"GET /health ")]
        self.assertGreaterEqual(len(probes), 2)
        for d in probes:
            self.assertEqual(d, want)  # one request per connection, nothing after it
        # the BackEnd's own HealthCheck replaced the Service's
        pftest.wait_until(lambda: any(e["target"] == "/status/204" and e["method"] == "HEAD"
                                      for e in self.c.journal("head")),
                          ALIVE * 4 + 2, what="HEAD /status/204 at backend c")
        self.assertNotIn("/health", self.c.targets())
        self.assertEqual(self.spread(5, "own.test"), {"c": 5})
        self.assertNotIn("is dead", self.pf.stderr())

    def test_reload_follows_the_new_healthcheck(self):
        """SIGHUP with checks in flight: the new configuration's check is the one sent."""
        pftest.wait_until(lambda: "/health" in self.a.targets(), ALIVE * 4 + 2,
                          what="a first health check")
        for i in range(5):
            text = pftest.cfg(CFG, PORT=self.port, ALIVE=ALIVE, A=pftest.be_block(self.a),
                              B=pftest.be_block(self.b),
                              C=pftest.be_block(self.c, 'HealthCheck "GET /status/20%d" 20%d'
                                                % (i, i)))
            with open(self.pf.cfg_path, "w") as f:
                f.write(text.replace('"GET /health" 200', '"GET /status/200?gen=%d"' % i))
            self.pf.signal(signal.SIGHUP)
            pftest.wait_until(lambda: self.pf.stderr().count("configuration reloaded") > i, 5,
                              what="reload %d" % i)
            time.sleep(0.3)  # reload again while the next checks may be in flight
        mark = self.a.mark()
        pftest.wait_until(lambda: any(e["target"] == "/status/200?gen=4"
                                      for e in self.a.requests_since(mark)),
                          ALIVE * 4 + 2, what="the reloaded HealthCheck at backend a")
        pftest.wait_until(lambda: "/status/204" in self.c.targets(), ALIVE * 4 + 2,
                          what="the reloaded HealthCheck at backend c")
        self.assertNotIn("is dead", self.pf.stderr())
        self.assertEqual(get(PROXY, self.port, "/ok", vhost="h.test").status, 200)

    def test_killed_backend_with_healthcheck(self):
        # connect refused: dead at the next tick even with no request going there
        self.a.kill()
        self.wait_log("backend %s is dead (health check could not connect" % self.a.addr,
                      ALIVE * 3 + 2)
        self.assertEqual(self.spread(10), {"b": 10})
        self.a.start()
        self.wait_log("backend %s is alive again" % self.a.addr, ALIVE * 3 + 2)


TLS_CFG = """
    Alive 1
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            Host "good.test"
            HealthCheck "GET /small.txt"
            BackEnd
                Address 127.0.0.3
                Port @NGX@
                HTTPS
                CAFile "@CA@"
                ServerName "lan.test"
            End
        End
        Service
            Host "bad.test"
            HealthCheck "GET /missing.txt" 2xx
            BackEnd
                Address 127.0.0.3
                Port @NGX2@
                HTTPS
                CAFile "@CA@"
                ServerName "lan.test"
            End
        End
    End
"""


class HealthHttps(pftest.TestCase):
    @classmethod
    def setUpClass(cls):
        pftest.require_tls()

    def test_https_backend_checked_over_tls(self):
        ca = pftest.CA(self.dir, "LAN CA")
        cert = ca.issue("lan.test", ["lan.test", "IP:127.0.0.3"])
        files = {"small.txt": b"fine\n"}
        good = self.nginx(files, ssl_cert=cert.chain, ssl_key=cert.key)
        bad = self.nginx(files, ssl_cert=cert.chain, ssl_key=cert.key)
        port = pftest.free_port()
        pf = self.pinfold(TLS_CFG, PORT=port, NGX=good.port, NGX2=bad.port, CA=ca.cert)
        dead = "backend 127.0.0.3:%d is dead (health check got 404)" % bad.port
        pftest.wait_until(lambda: dead in pf.stderr(), 6, interval=0.1, what=dead)
        pftest.wait_until(lambda: good.access_log().count('"GET /small.txt HTTP/1.1" 200') >= 2,
                          6, what="two TLS health checks at the good backend")
        log = good.access_log()
        self.assertIn("sni=lan.test proto=TLS", log)
        self.assertNotIn("127.0.0.3:%d is dead" % good.port, pf.stderr())
        self.assertEqual(get(PROXY, port, "/small.txt", vhost="good.test").status, 200)
        self.assertEqual(get(PROXY, port, "/small.txt", vhost="bad.test").status, 503)


if __name__ == "__main__":
    pftest.main(needs=["healthcheck"])
