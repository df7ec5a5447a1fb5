#!/usr/bin/python3
"""Story: Priority weights the choice among alive backends; Emergency serves when all are dead.

Pound: "the share of requests a backend handles is Pi / S(P)" (weighted random).
The Emergency backend is used only while every regular backend is dead, and no longer
once one is back (after `Alive`).
"""
import time

import pftest
from pftest import PROXY, build_request, get

ALIVE = 1
N = 200

CFG = """
    Alive @ALIVE@
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            Url "^/weighted/"
            @HI@
            @LO@
        End
        Service
            Url "^/emerg/"
            @REG@
            @EMERG@
        End
    End
"""


class PriorityEmergency(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.hi = self.backend("hi")
        self.lo = self.backend("lo")
        self.reg = self.backend("regular")
        self.em = self.backend("emergency")
        self.port = pftest.free_port()
        self.pf = self.pinfold(
            CFG, PORT=self.port, ALIVE=ALIVE,
            HI=pftest.be_block(self.hi, "Priority 9"), LO=pftest.be_block(self.lo, "Priority 1"),
            REG=pftest.be_block(self.reg), EMERG=pftest.be_block(self.em, kind="Emergency"))

    def count(self, prefix, n):
        names = {}
        for i in range(n):
            # a new connection each time, so every request is a fresh choice
            r = pftest.request(PROXY, self.port, build_request(
                "GET", "%s%d" % (prefix, i), "x.test", [("Connection", "close")]))
            self.assertEqual(r.status, 200)
            names[r.header("X-Backend")] = names.get(r.header("X-Backend"), 0) + 1
        return names

    def test_priority_weights(self):
        c = self.count("/weighted/", N)
        hi, lo = c.get("hi", 0), c.get("lo", 0)
        self.assertEqual(hi + lo, N, c)
        # expected 180 : 20; these bounds fail by chance with p < 1e-5
        self.assertGreaterEqual(hi, 150, c)
        self.assertGreaterEqual(lo, 5, c)

    def test_dead_high_priority_all_to_low(self):
        self.hi.kill()
        c = self.count("/weighted/dead", 30)
        self.assertEqual(c, {"lo": 30})

    def test_emergency_only_when_all_dead(self):
        c = self.count("/emerg/a", 20)
        self.assertEqual(c, {"regular": 20})
        self.assertBackendSawNothing(self.em)
        self.reg.kill()
        t0 = time.monotonic()
        r = get(PROXY, self.port, "/emerg/b")
        self.assertEqual((r.status, r.header("X-Backend")), (200, "emergency"))
        self.assertLess(time.monotonic() - t0, pftest.slow(1.0))
        self.assertEqual(self.count("/emerg/c", 10), {"emergency": 10})
        self.reg.start()
        pftest.wait_until(
            lambda: (pftest.try_get(PROXY, self.port, "/emerg/d") or r).header("X-Backend")
            == "regular",
            ALIVE * 3 + 3, interval=0.1, what="regular backend back after Alive")
        self.assertEqual(self.count("/emerg/e", 10), {"regular": 10})


if __name__ == "__main__":
    pftest.main()
