#!/usr/bin/python3
"""Story: a killed backend -> 503 in under a second -> served again after `Alive` seconds.

A connect failure marks the backend dead and the next alive one is tried; with none
left the answer is 503 at once.  Every `Alive` seconds the dead ones are probed and
brought back when they accept, and not before: over several Alive ticks while it still
refuses connections, a dead backend stays dead (every answer 503, or the other backend).
"""
import time

import pftest
from pftest import PROXY, get

ALIVE = 1
DEAD_FOR = ALIVE * 3 + 1     # seconds a dead backend is watched staying dead

CFG = """
    Alive @ALIVE@
    ConnTO 2
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            Url "^/one/"
            @ONE@
        End
        Service
            Url "^/two/"
            @A@
            @B@
        End
    End
"""


class BackendDead(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.one = self.backend("one")
        self.a = self.backend("A")
        self.b = self.backend("B")
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, ALIVE=ALIVE, ONE=pftest.be_block(self.one),
                               A=pftest.be_block(self.a), B=pftest.be_block(self.b))

    def timed_get(self, target):
        t0 = time.monotonic()
        r = get(PROXY, self.port, target, timeout=5)
        return r, time.monotonic() - t0

    def test_killed_503_fast_then_back_after_alive(self):
        r, _ = self.timed_get("/one/warm")
        self.assertEqual(r.status, 200)
        self.one.kill()
        for i in range(3):
            r, dt = self.timed_get("/one/dead%d" % i)
            self.assertEqual(r.status, 503, r)
            self.assertLess(dt, pftest.slow(1.0), "503 took %.2fs" % dt)
        # several Alive ticks probe it and find nothing listening: still dead, every time
        codes = self.watch("/one/still-dead")
        self.assertEqual(set(codes), {503}, codes)
        self.assert_stayed_dead(self.one)
        self.one.start()       # same address and port
        t_back = time.monotonic()
        bound = ALIVE * 3 + 3

        def served():
            r = pftest.try_get(PROXY, self.port, "/one/back")
            return r is not None and r.status == 200 and r.header("X-Backend") == "one"
        pftest.wait_until(served, bound, interval=0.1,
                          what="backend to be used again (Alive %d)" % ALIVE)
        self.assertLess(time.monotonic() - t_back, pftest.slow(bound))
        self.assertIn("backend %s is alive again" % self.one.addr, self.pf.stderr())

    def assert_stayed_dead(self, be):
        """pinfold's log: `be` was declared dead once and never alive again (a revival the
        next request found dead would still answer 503, or the other backend)."""
        err = self.pf.stderr()
        self.assertEqual(err.count("backend %s is dead" % be.addr), 1, err)
        self.assertNotIn("backend %s is alive again" % be.addr, err)

    def watch(self, target):
        """The status of a request every 0.1 s for DEAD_FOR seconds (real time: the Alive
        ticks it spans are what is watched)."""
        codes = []
        end = time.monotonic() + DEAD_FOR
        while time.monotonic() < end:
            r = get(PROXY, self.port, target)
            codes.append((r.status, r.header("X-Backend")) if r.status == 200 else r.status)
            time.sleep(0.1)
        return codes

    def test_connect_failure_tries_next_backend(self):
        self.a.kill()
        seen = set()
        for i in range(20):
            r, dt = self.timed_get("/two/%d" % i)
            self.assertEqual(r.status, 200, "request %d failed over to nothing: %r" % (i, r))
            self.assertLess(dt, pftest.slow(1.0))
            seen.add(r.header("X-Backend"))
        self.assertEqual(seen, {"B"})
        # and A is not brought back by the Alive ticks while it refuses connections
        codes = self.watch("/two/later")
        self.assertEqual(set(codes), {(200, "B")}, codes)
        self.assertGreaterEqual(len(codes), 10)
        self.assert_stayed_dead(self.a)

    def test_all_dead_then_both_back(self):
        self.a.kill()
        self.b.kill()
        r, dt = self.timed_get("/two/x")
        self.assertEqual(r.status, 503)
        self.assertLess(dt, pftest.slow(1.0))
        self.a.start()
        self.b.start()
        pftest.wait_until(lambda: (pftest.try_get(PROXY, self.port, "/two/y") or r).status == 200,
                          ALIVE * 3 + 3, interval=0.1, what="a backend of /two/ back")
        # then both are in use again (each is picked with probability 1/2)
        names = set()
        deadline = time.monotonic() + pftest.slow(ALIVE * 3 + 5)
        while len(names) < 2 and time.monotonic() < deadline:
            names.add(get(PROXY, self.port, "/two/z").header("X-Backend"))
        self.assertEqual(names, {"A", "B"})


if __name__ == "__main__":
    pftest.main()
