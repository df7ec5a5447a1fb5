#!/usr/bin/python3
"""Story: hostile TLS clients: a slowloris cannot hold the front door, scanner noise is one
line a minute, and with SNIHost a connection made for one name cannot ask for another.

ListenHTTPS with `Client 2`, so HandshakeTO and HeadTO are 2 s too (their default is the
listener's Client).  From 127.0.0.1, 1,000 connections start a handshake: half send a piece
of a ClientHello and stall, half trickle it one byte every 250 ms, which used to reset the
idle timer for ever.  Meanwhile:
  * a real client (curl from another address, 127.0.0.9) is served in under 2 s;
  * every one of the 1,000 is cut at the handshake deadline, the trickling ones included;
  * a finished handshake followed by a record trickled a byte at a time is cut at HeadTO;
  * with `MaxConnections 20`, twenty tricklers lock the door only until that deadline:
    a client that keeps knocking is served once their slots are freed;
  * `HandshakeSummary 1` (seconds; the default is 60, the test shortens it): at LogLevel 0
    the failures give one summary line (count, reasons, client addresses), written by the
    loop's timer without a new failure, and no line per failure; with LogLevel 2 and
    `LogHandshakes 1` each failure has its own line as well.
  * `SNIHost 1`: a request whose Host (normalized) is not the name SNI asked for gets 421,
    its own spellings of that name pass; without SNI only an address literal passes;
    without the directive nothing is compared.
Timing bounds are scaled by PFTEST_SLOW.
"""
import os
import resource
import selectors
import socket
import sys
import time

import pftest
from pftest import PROXY

NAME = "ha.test"
CLIENT_TO = 2
N = 1000
REAL_SRC = "127.0.0.9"

CFG = """
    Client @CLIENT@
    LogLevel @LEVEL@
    @EXTRA@
    ListenHTTPS
        Address 127.0.0.1
        Port @PORT@
        Cert "@CERT@"
        @LEXTRA@
        Service
            @BACKEND@
        End
    End
"""


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            return False
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    return True


class Slowloris(pftest.TestCase):
    @classmethod
    def setUpClass(cls):
        pftest.require_tls()
        # ours (the 1,000 sockets, curl) and pinfold's, which inherits the limit
        if not raise_fd_limit(2 * N + 512):
            raise SystemExit(pftest.SKIP_CODE)

    def start(self, level=0, extra="", lextra=""):
        self.ca = pftest.CA(self.dir, "Home CA")
        self.leaf = self.ca.issue(NAME, [NAME, "other.test"])
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, CERT=self.leaf.pem, CLIENT=CLIENT_TO,
                               LEVEL=level, EXTRA=extra, LEXTRA=lextra,
                               BACKEND=pftest.be_block(self.be))
        self.hello = pftest.client_hello(NAME)

    def open_many(self, n):
        socks = []
        for i in range(n):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect((PROXY, self.port))
            except BlockingIOError:
                pass
            socks.append(s)
        return socks

    def real_client(self):
        t0 = time.monotonic()
        cp = pftest.curl_https(self.port, "/good", NAME, self.ca.cert, "--interface", REAL_SRC,
                               "-o", "/dev/null", "-w", "%{http_code}", max_time=10)
        return cp.stdout.decode().strip(), time.monotonic() - t0

    def trickle(self, socks, until, stop_when_all_closed=True, t0=None):
        """Feed the ClientHello one byte per socket every 250 ms until `until`; returns
        {socket index: seconds after t0 (default: now) it was closed by the peer}."""
        sel = selectors.DefaultSelector()
        for i, s in enumerate(socks):
            sel.register(s, selectors.EVENT_READ, i)
        closed, sent = {}, [0] * len(socks)
        t0 = time.monotonic() if t0 is None else t0
        nxt = time.monotonic()
        while time.monotonic() < until:
            now = time.monotonic()
            if now >= nxt:
                for i, s in enumerate(socks):
                    if i in closed or sent[i] >= len(self.hello) - 1:
                        continue
                    try:
                        s.send(self.hello[sent[i]:sent[i] + 1])
                        sent[i] += 1
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:
                        closed[i] = now - t0
                        sel.unregister(s)
                nxt = now + 0.25
            for key, _ in sel.select(timeout=max(0.0, min(nxt - time.monotonic(), 0.1))):
                i = key.data
                try:
                    d = socks[i].recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    d = b""
                if not d:
                    closed[i] = time.monotonic() - t0
                    sel.unregister(socks[i])
            if stop_when_all_closed and len(closed) == len(socks):
                break
        sel.close()
        return closed

    def test_thousand_stalled_or_trickling_handshakes(self):
        self.start()
        t_open = time.monotonic()
        socks = self.open_many(N)
        try:
            time.sleep(0.2)  # connected (loopback); some bytes from each
            stalled = socks[:N // 2]
            for s in stalled:
                try:
                    s.send(self.hello[:20])
                except OSError:
                    pass
            t0 = time.monotonic()
            # the real client, from another address, while all of them hang on
            code, took = self.real_client()
            self.assertEqual(code, "200")
            self.assertLess(took, pftest.slow(2.0), "a real client waited %.2fs behind %d stalled "
                            "handshakes" % (took, N))
            print("real client served in %.3fs behind %d stalled handshakes" % (took, N),
                  file=sys.stderr)
            deadline = CLIENT_TO + pftest.slow(1.5)
            closed = self.trickle(socks, t0 + deadline + pftest.slow(1.0), t0=t_open)
            tricklers = range(N // 2, N)
            late = [i for i in tricklers if i not in closed]
            self.assertEqual(late, [], "%d trickling handshakes still open %.1fs after their "
                             "start (HandshakeTO %ds)" % (len(late), deadline + 1, CLIENT_TO))
            left = [i for i in range(N // 2) if i not in closed]
            self.assertEqual(left, [], "%d stalled handshakes still open" % len(left))
            print("cut between %.2fs and %.2fs after the connects" % (
                min(closed.values()), max(closed.values())), file=sys.stderr)
            early = [i for i, t in closed.items() if t < CLIENT_TO - 0.9]
            self.assertEqual(early, [], "cut before the deadline")
            code, took = self.real_client()
            self.assertEqual(code, "200")
        finally:
            for s in socks:
                s.close()
        self.assertTrue(self.pf.running())

    def test_max_connections_slots_freed_by_the_deadline(self):
        self.start(extra="MaxConnections 20")
        socks = self.open_many(20)
        try:
            time.sleep(0.2)
            t0 = time.monotonic()
            served = None
            give_up = t0 + CLIENT_TO + pftest.slow(4)
            while time.monotonic() < give_up:
                self.trickle(socks, time.monotonic() + 0.3, stop_when_all_closed=False)
                cp = pftest.curl_https(self.port, "/good", NAME, self.ca.cert, "--interface",
                                       REAL_SRC, "-o", "/dev/null", "-w", "%{http_code}",
                                       max_time=1)
                if cp.stdout.decode().strip() == "200":
                    served = time.monotonic() - t0
                    break
            self.assertIsNotNone(served, "twenty trickling handshakes kept MaxConnections 20 "
                                 "full for %.1fs" % (give_up - t0))
            self.assertLess(served, CLIENT_TO + pftest.slow(2.5))
        finally:
            for s in socks:
                s.close()

    def test_trickled_record_after_the_handshake_is_cut_at_head_to(self):
        # A finished handshake, then one TLS record trickled a byte at a time: nothing ever
        # decrypts, so no request head starts, and the first head's deadline still holds.
        self.start()
        ctx = pftest.tls_context(self.ca)
        c = pftest.HttpsConn(PROXY, self.port, NAME, ctx)
        raw = socket.socket(fileno=os.dup(c.sock.fileno()))
        try:
            raw.settimeout(0.25)
            t0 = time.monotonic()
            record = b"\x17\x03\x03\x40\x00" + os.urandom(0x4000)
            took = None
            for i in range(int((CLIENT_TO + pftest.slow(4)) / 0.25)):
                try:
                    raw.send(record[i:i + 1])
                    if raw.recv(100) == b"":
                        took = time.monotonic() - t0
                        break
                except socket.timeout:
                    continue
                except OSError:
                    took = time.monotonic() - t0
                    break
        finally:
            raw.close()
            c.close()
        self.assertIsNotNone(took, "a trickled record kept the connection open")
        self.assertGreater(took, CLIENT_TO - 0.6)
        self.assertLess(took, CLIENT_TO + pftest.slow(1.5))

    def wait_log(self, pred, what, timeout):
        pftest.wait_until(lambda: pred(self.pf.stderr()), timeout, what=what)

    def fail_handshakes(self, n, payload):
        """n connections that send payload and wait for pinfold to close them."""
        for i in range(n):
            s = socket.create_connection((PROXY, self.port), timeout=5)
            s.sendall(payload)
            try:
                s.recv(100)
            except OSError:
                pass
            s.close()

    def test_failures_are_one_summary_line(self):
        self.start(level=0, extra="HandshakeSummary 1")
        self.fail_handshakes(30, b"\x16\x03\x01\x00\x05garbage-not-tls")
        stalled = socket.create_connection((PROXY, self.port), timeout=5)
        stalled.sendall(self.hello[:30])
        try:
            # the summary comes from the timer: nothing new happens after the last failure
            self.wait_log(lambda e: "TLS handshakes failed" in e and "timed out" in e,
                          "summary lines for the garbage and the timed-out handshake",
                          CLIENT_TO + 4)  # wait_until stretches it
        finally:
            stalled.close()
        err = self.pf.stderr()
        lines = [ln for ln in err.splitlines() if "TLS handshake" in ln]
        self.assertNotIn("TLS handshake failed:", err, "a line per failure at LogLevel 0")
        self.assertLessEqual(len(lines), 3, lines)
        first = lines[0]
        self.assertRegex(first, r"(\d+) TLS handshakes failed in \d+ s; reasons: .*\(\d+\)")
        self.assertIn("clients: 127.0.0.1 (", first)
        # (pftest's readiness probe, a connection closed without a word, counts too)
        summary = " ".join(lines)
        self.assertRegex(summary, r"reasons: [^;]*\(30\)")  # the library's words for it
        self.assertIn("timed out (1)", summary)

    def test_one_line_each_when_asked(self):
        self.start(level=2, extra="HandshakeSummary 1\n    LogHandshakes 1")
        self.fail_handshakes(3, b"GET / HTTP/1.1\r\n\r\n")
        self.wait_log(lambda e: e.count("TLS handshake failed:") >= 3 and
                      "TLS handshakes failed in" in e, "three lines and a summary", 4)

    def sni_case(self, sni, host):
        ctx = pftest.tls_context(self.ca) if sni else pftest.tls_context(verify=False)
        c = pftest.HttpsConn(PROXY, self.port, sni, ctx)
        try:
            c.send(pftest.build_request("GET", "/sni", host))
            return c.read_response().status
        finally:
            c.close()

    def test_sni_host_must_match_when_asked(self):
        self.start(lextra="SNIHost 1")
        self.assertEqual(self.sni_case(NAME, NAME), 200)
        self.assertEqual(self.sni_case(NAME, "HA.test.:443"), 200)
        self.assertEqual(self.sni_case(NAME, "other.test"), 421)
        self.assertEqual(self.sni_case("other.test", NAME), 421)
        self.assertEqual(self.sni_case(NAME, NAME + ":8443"), 200)  # the name, not the port
        self.assertEqual(self.sni_case(None, "127.0.0.1"), 200)
        self.assertEqual(self.sni_case(None, NAME), 421)
        self.assertEqual(len(self.be.requests()), 4)

    def test_sni_host_not_compared_by_default(self):
        self.start()
        self.assertEqual(self.sni_case(NAME, "other.test"), 200)


if __name__ == "__main__":
    pftest.main()
