#!/usr/bin/python3
"""Story: HeadRemove / AddHeader on a listener, HeadRequire / Header / HeadDeny in services.

As in Pound, HeadRemove, HeadRequire and HeadDeny take a regular expression matched
against the whole header line ("Name: value"); HeadRequire/Header match without
regard to case; HeadDeny makes a service skip requests that carry a matching header.
"""
import pftest
from pftest import PROXY, build_request

CFG = """
    @GLOBAL@
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        HeadRemove "^X-Secret"
        HeadRemove "^X-Debug: on$"
        AddHeader "X-Added-By: pinfold-test"
        Service
            HeadRequire "^X-Tenant: alpha$"
            @A@
        End
        Service
            Header "^X-Tenant: beta$"
            @B@
        End
        Service
            HeadDeny "^User-Agent: .*EvilBot"
            @C@
        End
    End
"""


class HeadDirectives(pftest.TestCase):
    def start(self, glob=""):
        self.a = self.backend("A")
        self.b = self.backend("B")
        self.c = self.backend("C")
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, GLOBAL=glob, A=pftest.be_block(self.a),
                               B=pftest.be_block(self.b), C=pftest.be_block(self.c))

    def send(self, headers, target="/echo"):
        return pftest.request(PROXY, self.port, build_request("GET", target, "x.test", headers))

    def test_headrequire_header_headdeny_routing(self):
        self.start()
        cases = [
            ([("X-Tenant", "alpha")], "A"),
            ([("X-Tenant", "alphabet")], "C"),       # whole line must match ($)
            ([("X-Tenant", "beta")], "B"),
            ([("x-tenant", "beta")], "B"),           # header patterns ignore case
            ([], "C"),
            ([("User-Agent", "Mozilla/5.0 EvilBot/1"), ("X-Tenant", "alpha")], "A"),
        ]
        for i, (hs, want) in enumerate(cases):
            r = self.send(hs, "/case/%d" % i)
            self.assertEqual((r.status, r.header("X-Backend")), (200, want), (hs, r))
        self.assertEqual(self.a.targets(), ["/case/0", "/case/5"])
        self.assertEqual(self.b.targets(), ["/case/2", "/case/3"])
        self.assertEqual(self.c.targets(), ["/case/1", "/case/4"])

    def test_headdeny_with_no_other_service_is_503(self):
        self.start()
        r = self.send([("User-Agent", "EvilBot/2.0")], "/evil")
        self.assertEqual(r.status, 503)
        self.assertBackendSawNothing(self.a, self.b, self.c)

    def test_headremove_whole_line_and_addheader(self):
        self.start()
        r = self.send([("X-Secret-Token", "s1-secret"), ("X-Secret", "s2-secret"),
                       ("X-Not-Secret", "visible"), ("X-Debug", "on"), ("X-Debug", "off"),
                       ("X-Added-By", "client-forged")])
        self.assertEqual(r.status, 200)
        raw = self.c.raw_bytes()
        self.assertNotIn(b"s1-secret", raw)
        self.assertNotIn(b"s2-secret", raw)
        q = pftest.seen_requests(self.c)[0]
        self.assertEqual(q.named("X-Not-Secret"), ["visible"])
        self.assertEqual(q.named("X-Debug"), ["off"], q.headers)
        self.assertIn("pinfold-test", q.named("X-Added-By"), q.headers)

    def test_headremove_ignorecase(self):
        self.start("IgnoreCase 1")
        r = self.send([("x-secret-lower", "s3-secret"), ("X-SECRET-UPPER", "s4-secret")])
        self.assertEqual(r.status, 200)
        raw = self.c.raw_bytes()
        self.assertNotIn(b"s3-secret", raw)
        self.assertNotIn(b"s4-secret", raw)


if __name__ == "__main__":
    pftest.main()
