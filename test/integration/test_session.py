#!/usr/bin/python3
"""Story: session affinity (Pound's Session block) keeps a client on one backend.

Type IP: every request from one client address goes to the same one of three backends,
while other source addresses (127.0.0.11..20, the client socket bound to them) spread
over the backends.  Type COOKIE: the backend's Set-Cookie pins the cookie's value, and
later requests carrying that cookie go to it.  When the pinned backend dies, the client
is moved to another one and stays there.
"""
import pftest
from pftest import PROXY, build_request

CFG = """
    Alive 1
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            Host "ip.test"
            Session
                Type IP
                TTL 300
            End
            @IP1@
            @IP2@
            @IP3@
        End
        Service
            Host "ck.test"
            Session
                Type COOKIE
                ID "sid"
                TTL 300
            End
            @CK1@
            @CK2@
            @CK3@
        End
    End
"""


def request_from(source, port, target, host, headers=()):
    """One request on a new connection whose source address is `source`."""
    with pftest.HttpConn(PROXY, port, source=source) as c:
        c.send(build_request("GET", target, host, list(headers) + [("Connection", "close")]))
        return c.read_response(method="GET", timeout=5.0)


class Session(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.ip = [self.backend("ip%d" % i) for i in (1, 2, 3)]
        self.ck = [self.backend("ck%d" % i) for i in (1, 2, 3)]
        self.port = pftest.free_port()
        subst = {"IP%d" % (i + 1): pftest.be_block(b) for i, b in enumerate(self.ip)}
        subst.update({"CK%d" % (i + 1): pftest.be_block(b) for i, b in enumerate(self.ck)})
        self.pf = self.pinfold(CFG, PORT=self.port, **subst)

    def served_by(self, source, target, host="ip.test", headers=()):
        r = request_from(source, self.port, target, host, headers)
        self.assertEqual(r.status, 200, r)
        return r.header("X-Backend")

    def test_ip_affinity(self):
        first = self.served_by("127.0.0.1", "/a0")
        for i in range(1, 30):
            self.assertEqual(self.served_by("127.0.0.1", "/a%d" % i), first)
        # other client addresses: each sticks to its own backend; together they spread
        seen = set()
        for a in range(11, 21):
            src = "127.0.0.%d" % a
            mine = self.served_by(src, "/b")
            for _ in range(3):
                self.assertEqual(self.served_by(src, "/c"), mine, src)
            seen.add(mine)
        # all ten on one backend of three happens with p = 3 * 3**-10
        self.assertGreater(len(seen), 1, seen)

    def test_ip_repinned_when_backend_dies(self):
        first = self.served_by("127.0.0.3", "/x")
        dead = next(b for b in self.ip if b.name == first)
        dead.kill()
        moved = self.served_by("127.0.0.3", "/y")
        self.assertNotEqual(moved, first)
        for i in range(10):
            self.assertEqual(self.served_by("127.0.0.3", "/z%d" % i), moved)
        # the first backend comes back: the re-pinned session stays where it is
        dead.start()
        pftest.wait_until(lambda: "is alive again" in self.pf.stderr(), 6,
                          what="the killed backend revived by the Alive probe")
        for i in range(10):
            self.assertEqual(self.served_by("127.0.0.3", "/w%d" % i), moved)

    def test_cookie_affinity(self):
        owners = {}
        for n in range(6):
            value = "s%dXYZ" % n
            # no cookie yet: balanced; the backend's Set-Cookie pins the value to it
            r = request_from("127.0.0.1", self.port, "/cookie/sid/" + value, "ck.test")
            self.assertEqual(r.status, 200, r)
            self.assertIn("sid=" + value, r.header("Set-Cookie"))
            owners[value] = r.header("X-Backend")
        for value, owner in owners.items():
            for i in range(8):
                got = self.served_by("127.0.0.1", "/page%d" % i, "ck.test",
                                     [("Cookie", "theme=dark; sid=%s; lang=en" % value)])
                self.assertEqual(got, owner, value)
        # the cookie, not the address, decides: another source address, same backend
        value, owner = next(iter(owners.items()))
        self.assertEqual(self.served_by("127.0.0.7", "/other", "ck.test",
                                        [("Cookie", "sid=" + value)]), owner)
        # the pinned backend dies: the session moves to another and stays there
        dead = next(b for b in self.ck if b.name == owner)
        dead.kill()
        moved = self.served_by("127.0.0.1", "/after", "ck.test", [("Cookie", "sid=" + value)])
        self.assertNotEqual(moved, owner)
        for i in range(8):
            self.assertEqual(self.served_by("127.0.0.1", "/again%d" % i, "ck.test",
                                            [("Cookie", "sid=" + value)]), moved)

    def test_unknown_cookie_is_balanced(self):
        # a cookie nobody pinned is pinned by the request itself to the chosen backend
        got = self.served_by("127.0.0.1", "/n0", "ck.test", [("Cookie", "sid=fresh1")])
        for i in range(10):
            self.assertEqual(self.served_by("127.0.0.1", "/n%d" % i, "ck.test",
                                            [("Cookie", "sid=fresh1")]), got)


if __name__ == "__main__":
    pftest.main(needs=["session"])
