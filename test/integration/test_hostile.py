#!/usr/bin/python3
"""Story: hostile peers on plain HTTP get nothing they came for.

  * a request is never sent twice unless that is harmless: a reused backend connection that
    closes after reading a POST (no body, so it used to be "retryable") is a 502 and a log
    line, and the backend saw the POST once; a GET in the same spot is sent again and answered;
  * a pooled backend connection that talks out of turn (bytes after its response, or EOF)
    is dropped at once: the next client gets a real answer, never the stray bytes;
  * one meaning for Host: ADMIN.example., admin.example.:80 and admin.example route, match
    HeadRequire "Host:" and log the same way, and the backend gets the normalized Host;
    an invalid Host, or an absolute URI naming another host, is a 400;
  * forwarding and client-address fields of other proxies and CDNs (Proxy, X-Forwarded-Ssl,
    CF-Connecting-IP, ...) never reach the backend, StripForwarded 0 keeps them (not Proxy);
  * trailer fields of a chunked request are dropped, its body is kept (KeepTrailers 1 keeps them).

The misbehaving backends are small Python servers on 127.0.0.2 speaking real HTTP/1.1 over
real TCP; each records what it received.
"""
import socket
import threading
import time

import pftest
from pftest import LAN, PROXY, build_request


CFG = """
    LogLevel 3
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        xHTTP 1
        Service
            Host "admin.example"
            HeadRequire "^Host: admin\\.example$"
            @ADMIN@
        End
        Service
            URL "^/"
            @BACKEND@
        End
    End
    ListenHTTP
        Address 127.0.0.1
        Port @TRUST_PORT@
        StripForwarded 0
        KeepTrailers 1
        Service
            Host "rec.test"
            @ADMIN@
        End
        Service
            @BACKEND@
        End
    End
"""


class ScriptedBackend:
    """An HTTP/1.1 backend whose n-th request on a connection is answered by script(n, req, sock)
    (req: the head bytes).  Returns False to close the connection.  Records every request."""

    def __init__(self, script):
        self.script = script
        self.port = pftest.free_port(LAN)
        self.seen = []          # (connection number, request number, head)
        self.lock = threading.Lock()
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((LAN, self.port))
        self.srv.listen(64)
        self.srv.settimeout(0.2)
        self.stopping = False
        self.nconn = 0
        self.thread = threading.Thread(target=self.accept_loop, daemon=True)
        self.thread.start()

    @property
    def block(self):
        return "BackEnd\n Address %s\n Port %d\n End" % (LAN, self.port)

    def accept_loop(self):
        while not self.stopping:
            try:
                s, _ = self.srv.accept()
            except (socket.timeout, OSError):
                continue
            self.nconn += 1
            threading.Thread(target=self.serve, args=(s, self.nconn), daemon=True).start()

    def serve(self, s, cn):
        s.settimeout(pftest.slow(10))
        buf = b""
        n = 0
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = s.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                n += 1
                with self.lock:
                    self.seen.append((cn, n, head))
                if not self.script(n, head, s):
                    return
        except OSError:
            return
        finally:
            s.close()

    def methods(self):
        with self.lock:
            return [h.split(b" ", 1)[0].decode() for _, _, h in self.seen]

    def stop(self):
        self.stopping = True
        self.srv.close()
        self.thread.join(5)


def ok(body=b"ok"):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


class Hostile(pftest.TestCase):
    def start(self, script):
        self.sb = ScriptedBackend(script)
        self._others.append(self.sb)
        self.be = self.backend()
        self.port = pftest.free_port()
        self.trust_port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, TRUST_PORT=self.trust_port,
                               ADMIN=pftest.be_block(self.be), BACKEND=self.sb.block,
                               listen=[(PROXY, self.port), (PROXY, self.trust_port)])

    # -- never send a request twice unless safe
    def reused_then_closed(self, method):
        def script(n, head, s):
            if b" /first " in head:
                s.sendall(ok(b"first"))
                return True
            if n == 2:
                return False    # read the request, then close without a word
            s.sendall(ok(b"again"))
            return True
        self.start(script)
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(build_request("GET", "/first", "x.test"))
            self.assertEqual(c.read_response().body, b"first")
            # at once: the pooled connection is reused (and not yet suspected)
            c.send(build_request(method, "/second", "x.test",
                                 headers=[("Content-Length", "0")] if method != "GET" else []))
            return c.read_response(method)

    def test_post_on_a_reused_connection_that_closes_is_not_sent_twice(self):
        r = self.reused_then_closed("POST")
        self.assertEqual(r.status, 502, r)
        self.assertEqual(self.sb.methods().count("POST"), 1, self.sb.methods())
        pftest.wait_until(lambda: "not sent again" in self.pf.stderr(), 3,
                          what="a log line saying why the POST was not retried")
        self.assertIn("POST not sent again (not idempotent)", self.pf.stderr())

    def test_delete_is_not_retried_either(self):
        r = self.reused_then_closed("DELETE")
        self.assertEqual(r.status, 502, r)
        self.assertEqual(self.sb.methods().count("DELETE"), 1, self.sb.methods())

    def test_get_on_a_reused_connection_that_closes_is_retried(self):
        r = self.reused_then_closed("GET")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"again")

    # -- pooled connections that talk out of turn
    def test_stray_bytes_on_a_pooled_connection_never_reach_a_client(self):
        evil = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!"

        def script(n, head, s):
            if b"/first" in head:
                s.sendall(ok(b"first"))
                time.sleep(0.02)
                s.sendall(evil)  # more than its response, after it
                return True
            s.sendall(ok(b"real"))
            return True
        self.start(script)
        for i in range(5):
            with pftest.HttpConn(PROXY, self.port) as a:
                a.send(build_request("GET", "/first", "x.test"))
                self.assertEqual(a.read_response().body, b"first")
            time.sleep(0.05)  # the stray bytes are there, well inside any "trust" window
            with pftest.HttpConn(PROXY, self.port) as b:
                b.send(build_request("GET", "/next", "x.test"))
                r = b.read_response()
                self.assertEqual((r.status, r.body), (200, b"real"), "round %d" % i)

    def test_pooled_connection_closed_by_the_backend_is_not_used(self):
        def script(n, head, s):
            s.sendall(ok(b"once"))
            return False  # closes after every response, without saying so
        self.start(script)
        for i in range(3):
            with pftest.HttpConn(PROXY, self.port) as a:
                a.send(build_request("GET", "/a", "x.test"))
                self.assertEqual(a.read_response().body, b"once")
            time.sleep(0.05)
            with pftest.HttpConn(PROXY, self.port) as b:
                b.send(build_request("POST", "/b", "x.test", headers=[("Content-Length", "0")]))
                r = b.read_response("POST")
                self.assertEqual((r.status, r.body), (200, b"once"), "round %d" % i)
        self.assertNotIn("not sent again", self.pf.stderr())

    # -- one meaning for Host
    def test_host_spellings_are_one_host(self):
        self.start(lambda n, head, s: s.sendall(ok()) or True)
        for spelling in ("admin.example", "ADMIN.example.", "admin.example.:80",
                         "Admin.Example:80"):
            r = pftest.request(PROXY, self.port, build_request("GET", "/h", spelling))
            self.assertEqual(r.status, 200, spelling)
        seen = pftest.seen_requests(self.be)
        self.assertEqual(len(seen), 4, "every spelling routed to the Host service")
        self.assertEqual([r.named("Host") for r in seen], [["admin.example"]] * 4)
        self.assertEqual(len(self.sb.seen), 0)
        # the access log (vhost_combined) names the host one way
        pftest.wait_until(lambda: self.pf.stderr().count("admin.example ") >= 4, 3,
                          what="four log lines")
        self.assertNotIn("ADMIN", self.pf.stderr())
        self.assertNotIn("admin.example.", self.pf.stderr())

    def test_other_port_is_another_host(self):
        self.start(lambda n, head, s: s.sendall(ok(b"other")) or True)
        r = pftest.request(PROXY, self.port, build_request("GET", "/h", "admin.example:8080"))
        self.assertEqual(r.body, b"other")

    def test_absolute_form_same_host_and_bad_hosts(self):
        self.start(lambda n, head, s: s.sendall(ok(b"other")) or True)
        raw = b"GET http://admin.example:80/abs HTTP/1.1\r\nHost: ADMIN.example\r\n\r\n"
        self.assertEqual(pftest.request(PROXY, self.port, raw).status, 200)
        self.assertEqual([r.target for r in pftest.seen_requests(self.be)], ["/abs"])
        for raw in (b"GET http://other.example/ HTTP/1.1\r\nHost: admin.example\r\n\r\n",
                    b"GET http://admin.example:8080/ HTTP/1.1\r\nHost: admin.example\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: admin..example\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: admin.example:99999\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: user@admin.example\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: admin.example, evil.example\r\n\r\n"):
            self.assertEqual(pftest.request(PROXY, self.port, raw).status, 400, raw)
        self.assertEqual(len(pftest.seen_requests(self.be)), 1)
        self.assertEqual(len(self.sb.seen), 0)

    # -- the strip list
    LIARS = ["Proxy", "X-Forwarded-Ssl", "Front-End-Https", "X-Forwarded-Prefix",
             "X-Originating-IP", "X-Client-IP", "CF-Connecting-IP", "True-Client-IP",
             "X-Cluster-Client-IP", "Client-IP", "X-Forwarded-Scheme", "X-Forwarded-Server",
             "X-Url-Scheme", "X-Host", "X-Forwarded-Uri", "X-Original-URL", "X-Rewrite-URL",
             "Fastly-Client-IP", "X-Forwarded-Tls-Client-Cert", "X_Forwarded_Ssl"]

    def test_fields_that_let_a_client_lie_are_stripped(self):
        self.start(lambda n, head, s: s.sendall(ok()) or True)
        hdrs = [(n, "6.6.6.6") for n in self.LIARS] + [("X-Custom", "kept")]
        r = pftest.request(PROXY, self.port, build_request("GET", "/s", "admin.example",
                                                           headers=hdrs))
        self.assertEqual(r.status, 200)
        seen = pftest.seen_requests(self.be)[0]
        for n in self.LIARS:
            self.assertEqual(seen.named(n), [], n)
        self.assertEqual(seen.named("X-Custom"), ["kept"])

    def test_strip_forwarded_0_keeps_them_but_not_proxy(self):
        got = []

        def script(n, head, s):
            got.append(head)
            s.sendall(ok())
            return True
        self.start(script)
        hdrs = [("X-Forwarded-Ssl", "on"), ("CF-Connecting-IP", "203.0.113.9"), ("Proxy", "x")]
        r = pftest.request(PROXY, self.trust_port, build_request("GET", "/t", "x.test",
                                                                 headers=hdrs))
        self.assertEqual(r.status, 200)
        head = got[0].lower()
        self.assertIn(b"x-forwarded-ssl: on", head)
        self.assertIn(b"cf-connecting-ip: 203.0.113.9", head)
        self.assertNotIn(b"\r\nproxy:", head)

    # -- chunked trailers
    def test_request_trailers_are_dropped_body_kept(self):
        self.start(lambda n, head, s: s.sendall(ok()) or True)
        body = b"0123456789" * 50
        raw = build_request("POST", "/up", "admin.example",
                            headers=[("Transfer-Encoding", "chunked")]) + \
            pftest.chunked(body, trailers=["X-Forwarded-For: 6.6.6.6",
                                           "Host: evil.example"])
        r = pftest.request(PROXY, self.port, raw, method="POST")
        self.assertEqual(r.status, 200)
        raw_seen = self.be.raw_bytes()
        self.assertEqual(pftest.seen_requests(self.be)[0].body, body)
        self.assertNotIn(b"6.6.6.6", raw_seen)
        self.assertNotIn(b"evil.example", raw_seen)
        self.assertTrue(raw_seen.endswith(b"\r\n0\r\n\r\n"), raw_seen[-40:])

    def test_keep_trailers_forwards_them(self):
        self.start(lambda n, head, s: s.sendall(ok()) or True)
        raw = build_request("POST", "/up", "rec.test",
                            headers=[("Transfer-Encoding", "chunked")]) + \
            b"5\r\nhello\r\n0\r\nX-Digest: abc\r\n\r\n"
        r = pftest.request(PROXY, self.trust_port, raw, method="POST")
        self.assertEqual(r.status, 200)
        want = b"5\r\nhello\r\n0\r\nX-Digest: abc\r\n\r\n"
        self.assertTrue(self.be.raw_bytes().endswith(want), self.be.raw_bytes()[-60:])


if __name__ == "__main__":
    pftest.main()
