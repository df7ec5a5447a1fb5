#!/usr/bin/python3
"""Story: SIGHUP reloads the configuration without dropping anything.

A bounded client loop runs through 20 reloads and sees no failed request; a
keep-alive connection opened before the reloads keeps working on the old
configuration; a changed service shows after the reload; a broken new
configuration is reported and the old one keeps running; a listener added by a
reload accepts, one removed stops accepting.
"""
import signal
import threading
import time

import pftest
from pftest import PROXY, get

CFG = """
    Alive 1
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            Url "^/gone"
            Error @CODE@
        End
        Service
            @BACKEND@
        End
    End
@EXTRA@
"""

EXTRA = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT2@
        Service
            @BACKEND@
        End
    End
"""


class Reload(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend("rec")
        self.port = pftest.free_port()
        self.port2 = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, CODE=403, BACKEND=pftest.be_block(self.be),
                               EXTRA="")

    def rewrite(self, code, extra=""):
        text = pftest.cfg(CFG, PORT=self.port, CODE=code, BACKEND=pftest.be_block(self.be),
                          EXTRA=pftest.cfg(extra, PORT2=self.port2,
                                           BACKEND=pftest.be_block(self.be)) if extra else "")
        with open(self.pf.cfg_path, "w") as f:
            f.write(text)

    def reloaded(self, n):
        return self.pf.stderr().count("configuration reloaded") >= n

    def test_twenty_reloads_no_failed_request(self):
        failures, done = [], [0]
        stop = threading.Event()

        def client():
            deadline = time.monotonic() + 30
            while not stop.is_set() and time.monotonic() < deadline and done[0] < 5000:
                try:
                    r = get(PROXY, self.port, "/x%d" % done[0], timeout=5)
                    if r.status != 200:
                        failures.append(r.status)
                except Exception as e:  # noqa: BLE001 - any failure counts
                    failures.append(repr(e))
                done[0] += 1

        t = threading.Thread(target=client)
        t.start()
        try:
            for i in range(20):
                # let the client make progress between reloads, however slow the machine
                before = done[0]
                pftest.wait_until(lambda: done[0] >= before + 3 or not t.is_alive(), 10,
                                  what="client progress before reload %d" % (i + 1))
                self.rewrite(403 if i % 2 else 404)
                self.pf.signal(signal.SIGHUP)
                pftest.wait_until(lambda: self.reloaded(i + 1), 5, what="reload %d" % (i + 1))
        finally:
            stop.set()
            t.join(40)
        self.assertFalse(t.is_alive(), "client loop did not stop")
        self.assertGreaterEqual(done[0], 60, "too few requests ran during the reloads")
        self.assertEqual(failures, [], "requests failed during reloads")

    def test_change_visible_old_connection_kept(self):
        c = pftest.HttpConn(PROXY, self.port)
        self.addCleanup(c.close)
        c.send(pftest.build_request("GET", "/before"))
        self.assertEqual(c.read_response().status, 200)
        self.assertEqual(get(PROXY, self.port, "/gone").status, 403)
        self.rewrite(404)
        self.pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: self.reloaded(1), 5, what="reload")
        self.assertEqual(get(PROXY, self.port, "/gone").status, 404)
        # the keep-alive connection opened before still works (on the config it started with)
        c.send(pftest.build_request("GET", "/gone"))
        self.assertEqual(c.read_response().status, 403)

    def test_broken_config_keeps_old(self):
        with open(self.pf.cfg_path, "a") as f:
            f.write("\nBogusDirective 1\n")
        self.pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: "still running the previous configuration" in self.pf.stderr(),
                          5, what="the reload error")
        self.assertRegex(self.pf.stderr(), r"pinfold\.cfg:\d+:\d+: unknown directive")
        self.assertTrue(self.pf.running())
        self.assertEqual(get(PROXY, self.port, "/gone").status, 403)
        self.assertEqual(get(PROXY, self.port, "/ok").status, 200)

    def test_listener_added_and_removed(self):
        self.assertFalse(pftest.accepts(PROXY, self.port2))
        self.rewrite(403, EXTRA)
        self.pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: self.reloaded(1), 5, what="reload")
        self.assertEqual(get(PROXY, self.port2, "/new").status, 200)
        self.rewrite(403)
        self.pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: self.reloaded(2), 5, what="second reload")
        pftest.wait_until(lambda: not pftest.accepts(PROXY, self.port2), 3,
                          what="removed listener to close")
        self.assertEqual(get(PROXY, self.port, "/still").status, 200)


if __name__ == "__main__":
    pftest.main()
