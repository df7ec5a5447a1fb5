#!/usr/bin/python3
"""Story: address lists decide who gets in, and only trusted proxies may say who the client is.

A listener-level `ACL "lan"` / `Not ACL "blocked"` answers 403 before routing (the backend
sees nothing, a refused line names the client); a Service `ACL` routes /admin to the backend
only for LAN addresses.  With `TrustedIP`, a request from a listed proxy keeps its
X-Forwarded-For (extended with the proxy's address) and the client it names is the one
ACLs and the log see; from anyone else, X-Forwarded-For & co are dropped and ignored.
"""
import socket

import pftest
from pftest import PROXY, build_request
from accessctl import SrcConn, get_from, refused_lines, wait_refused

CFG = """
    LogLevel 1
    ACL "lan"
        "127.0.0.0/28"
        "::1"
    End
    ACL "blocked"
        "127.0.0.13"
    End
    ACL "proxies"
        "127.0.0.20"
        "127.0.0.24/30"
    End
    ListenHTTP
        Address 127.0.0.1
        Port @GATE_PORT@
        ACL "lan"
        Not ACL "blocked"
        Service
            @BACKEND@
        End
    End
    ListenHTTP
        Address 127.0.0.1
        Port @SVC_PORT@
        Service "lan-admin"
            Path -beg "/admin"
            ACL "lan"
            @BACKEND@
        End
        Service "admin-elsewhere"
            Path -beg "/admin"
            Error 403
        End
        Service "public"
            @BACKEND@
        End
    End
    ListenHTTP
        Address 127.0.0.1
        Port @PROXIED_PORT@
        TrustedIP "proxies"
        ACL
            "198.51.100.0/24"
            "2001:db8:42::/48"
        End
        Service
            @BACKEND@
        End
    End
    ListenHTTP
        Address 127.0.0.1
        Port @STRIP_PORT@
        TrustedIP "proxies"
        Service
            @BACKEND@
        End
    End
"""

CFG6 = """
    ACL "v6home"
        "::1/128"
    End
    ListenHTTP
        Address ::1
        Port @PORT6@
        Not ACL "v6home"
        Service
            @BACKEND@
        End
    End
    ListenHTTP
        Address ::1
        Port @PORT6B@
        ACL "v6home"
        Service
            @BACKEND@
        End
    End
"""


class AclTrusted(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.ports = {k: pftest.free_port() for k in ("GATE_PORT", "SVC_PORT", "PROXIED_PORT",
                                                       "STRIP_PORT")}
        self.pf = self.pinfold(CFG, listen=[(PROXY, p) for p in self.ports.values()],
                               BACKEND=pftest.be_block(self.be), **self.ports)

    def test_listener_gate_answers_403_before_routing(self):
        port = self.ports["GATE_PORT"]
        r = get_from("127.0.0.5", port, "/gate/ok")
        self.assertEqual(r.status, 200)
        mark = self.be.mark()
        for src in ("127.0.0.30", "127.0.0.13"):   # outside "lan"; inside it but "blocked"
            r = get_from(src, port, "/gate/no")
            self.assertEqual(r.status, 403, src)
            self.assertIn(b"403 Forbidden", r.body)
        self.assertEqual(self.be.requests_since(mark), [])
        self.assertNotIn(b"/gate/no", self.be.raw_bytes())
        wait_refused(self.pf, lambda c, q, s, w: c == "127.0.0.30" and s == "403" and w == "acl"
                     and q == "GET /gate/no HTTP/1.1")
        wait_refused(self.pf, lambda c, q, s, w: c == "127.0.0.13" and w == "acl")

    def test_gate_keeps_a_keepalive_connection_usable(self):
        with SrcConn(PROXY, self.ports["GATE_PORT"], "127.0.0.30") as c:
            for i in range(3):
                c.send(build_request("GET", "/gate/ka%d" % i))
                self.assertEqual(c.read_response().status, 403)

    def test_service_acl_routes_admin_for_lan_only(self):
        port = self.ports["SVC_PORT"]
        r = get_from("127.0.0.5", port, "/admin/panel")
        self.assertEqual(r.status, 200)
        mark = self.be.mark()
        r = get_from("127.0.0.40", port, "/admin/panel")
        self.assertEqual(r.status, 403)
        self.assertEqual(self.be.requests_since(mark), [])
        wait_refused(self.pf, lambda c, q, s, w: c == "127.0.0.40" and w == "filter")
        r = get_from("127.0.0.40", port, "/public/page")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.be.targets()[-1], "/public/page")

    def seen_last(self):
        reqs = pftest.seen_requests(self.be)
        self.assertTrue(reqs)
        return reqs[-1]

    def test_trusted_proxy_names_the_client(self):
        port = self.ports["PROXIED_PORT"]
        r = get_from("127.0.0.20", port, "/via/proxy",
                     [("X-Forwarded-For", "198.51.100.7"), ("X-Forwarded-Proto", "https")])
        self.assertEqual(r.status, 200)
        seen = self.seen_last()
        self.assertEqual(seen.named("X-Forwarded-For"), ["198.51.100.7, 127.0.0.20"])
        self.assertEqual(seen.named("X-Forwarded-Proto"), ["https"])
        # the access log has the client, not the proxy
        pftest.wait_until(lambda: "198.51.100.7 GET /via/proxy HTTP/1.1" in self.pf.stderr(), 3,
                          what="log line with the real client")
        # a chain of trusted proxies is seen through; IPv6 clients too
        r = get_from("127.0.0.25", port, "/via/chain",
                     [("X-Forwarded-For", "2001:db8:42::9, 127.0.0.26")])
        self.assertEqual(r.status, 200)
        self.assertEqual(self.seen_last().named("X-Forwarded-For"),
                         ["2001:db8:42::9, 127.0.0.26, 127.0.0.25"])

    def test_trusted_proxy_client_outside_acl_is_refused(self):
        mark = self.be.mark()
        r = get_from("127.0.0.20", self.ports["PROXIED_PORT"], "/via/proxy-bad",
                     [("X-Forwarded-For", "192.0.2.66")])
        self.assertEqual(r.status, 403)
        self.assertEqual(self.be.requests_since(mark), [])
        wait_refused(self.pf, lambda c, q, s, w: c == "192.0.2.66" and w == "acl")
        self.assertFalse([x for x in refused_lines(self.pf) if x[0] == "127.0.0.20"])

    def test_untrusted_peer_cannot_claim_an_address(self):
        mark = self.be.mark()
        # it claims to be inside the ACL: it is judged as itself, and refused
        r = get_from("127.0.0.21", self.ports["PROXIED_PORT"], "/spoof",
                     [("X-Forwarded-For", "198.51.100.7"), ("X-Real-IP", "198.51.100.7")])
        self.assertEqual(r.status, 403)
        self.assertEqual(self.be.requests_since(mark), [])
        wait_refused(self.pf, lambda c, q, s, w: c == "127.0.0.21" and w == "acl")
        # and where it may pass, its forwarding headers are dropped
        r = get_from("127.0.0.21", self.ports["STRIP_PORT"], "/spoof2",
                     [("X-Forwarded-For", "198.51.100.7"), ("X-Real-IP", "6.6.6.6"),
                      ("Forwarded", "for=6.6.6.6")])
        self.assertEqual(r.status, 200)
        seen = self.seen_last()
        self.assertEqual(seen.named("X-Forwarded-For"), ["127.0.0.21"])
        self.assertEqual(seen.named("X-Real-IP"), [])
        self.assertEqual(seen.named("Forwarded"), [])
        self.assertNotIn(b"198.51.100.7", self.be.raw_bytes().split(b"/spoof2", 1)[1])

    def test_ipv6_listener_acls(self):
        if not pftest.has_ipv6_loopback():
            self.skipTest("no ::1")
        p6, p6b = pftest.free_port("::1"), pftest.free_port("::1")
        pf6 = self.pinfold(CFG6, listen=[("::1", p6), ("::1", p6b)], name="pinfold6",
                           PORT6=p6, PORT6B=p6b, BACKEND=pftest.be_block(self.be))
        r = pftest.get("::1", p6, "/v6-denied")
        self.assertEqual(r.status, 403)
        r = pftest.get("::1", p6b, "/v6-allowed")
        self.assertEqual(r.status, 200)
        wait_refused(pf6, lambda c, q, s, w: c == "::1" and w == "acl")
        with socket.create_connection(("::1", p6b), timeout=3):
            pass


if __name__ == "__main__":
    pftest.main()
