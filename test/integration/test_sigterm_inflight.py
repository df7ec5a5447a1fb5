#!/usr/bin/python3
"""Story: SIGTERM stops accepting, lets in-flight requests finish (bounded), exits 0.

Also SIGINT does the same, and an idle keep-alive client does not hold the exit up.
"""
import signal
import time

import pftest
from pftest import PROXY, build_request

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            @BACKEND@
        End
    End
"""

DELAY_MS = 2500


class SigtermInflight(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, BACKEND=pftest.be_block(self.be))

    def inflight_then_signal(self, signo):
        c = pftest.HttpConn(PROXY, self.port, timeout=10)
        try:
            c.send(build_request("GET", "/delay/%d" % DELAY_MS, "x.test"))
            pftest.wait_until(lambda: self.be.journal("head"), 3, what="request at the backend")
            t0 = time.monotonic()
            self.pf.signal(signo)
            # stop accepting: new connections are refused once the signal is handled
            pftest.wait_until(lambda: not pftest.accepts(PROXY, self.port), 1.5,
                              what="listener closed after the signal")
            r = c.read_response(timeout=10)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b"delayed %d\n" % DELAY_MS)
            rc = self.pf.wait_exit(10)
            self.assertEqual(rc, 0, "exit status after finishing in-flight work")
            self.assertLess(time.monotonic() - t0, DELAY_MS / 1000.0 + pftest.slow(3.0))
        finally:
            c.close()

    def test_sigterm_lets_slow_request_finish(self):
        self.inflight_then_signal(signal.SIGTERM)

    def test_sigint_lets_slow_request_finish(self):
        self.inflight_then_signal(signal.SIGINT)

    def test_idle_keepalive_client_does_not_delay_exit(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(build_request("GET", "/size/10", "x.test"))
            self.assertEqual(c.read_response().status, 200)
            t0 = time.monotonic()
            self.pf.signal(signal.SIGTERM)
            rc = self.pf.wait_exit(10)
            self.assertEqual(rc, 0)
            self.assertLess(time.monotonic() - t0, pftest.slow(3.0),
                            "an idle keep-alive connection held the exit up")

    def test_sigterm_when_idle(self):
        t0 = time.monotonic()
        self.assertEqual(self.pf.stop(), 0)
        self.assertLess(time.monotonic() - t0, pftest.slow(2.0))


if __name__ == "__main__":
    pftest.main()
