#!/usr/bin/python3
"""Story: slow clients cannot hold the proxy (slowhttptest from Debian, on loopback).

1. Slowloris: 1,000 connections from 127.0.0.1 that send a header line every 2 s and never
   finish their head.  Each is answered 408 and closed when its head is not complete
   `Client` (5) seconds after its first byte, so all are gone a few seconds after the
   attack stops growing; a normal client (from 127.0.0.9) is served all along.
2. Slow read: 1,000 connections that ask for a 256 KiB file three times each and read it
   32 bytes every 5 s through a tiny TCP window.  pinfold buffers at most a pool buffer or
   two per connection, so memory stays small; the normal client is served all along.
3. The same slowloris with `MaxConnsPerIP 50`: the attacker gets 50 connections, the rest
   are closed at accept; the normal client does not notice.

Every phase is bounded (slowhttptest -l, and a timeout around it).  The numbers each
phase saw are printed as "slowhttptest:" lines.  On a loaded machine (PFTEST_SLOW) the
attacker itself opens its connections more slowly: the Client timeout and the length of
each attack stretch with the factor, so that the attack still holds its thousand
connections at once before the head deadline cuts them.
"""
import csv
import os
import re
import resource
import subprocess
import sys
import threading
import time

import pftest
from pftest import PROXY
from accessctl import SrcConn, has_tool, refused_lines

CLIENT = max(5, round(pftest.slow(5)))     # the Client timeout, whole seconds

CFG = """
    LogLevel 0
    MaxConnections 4000
    @PERIP@
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Client @CLIENT@
        Service
            @FILES@
        End
    End
"""

BIG = 256 * 1024


class Normal(threading.Thread):
    """A client (from 127.0.0.9) asking for the page every 0.25 s: its results and latency."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.ok = 0
        self.failed = []
        self.worst = 0.0

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                with SrcConn(PROXY, self.port, "127.0.0.9", timeout=5) as c:
                    c.send(pftest.build_request("GET", "/index.html"))
                    r = c.read_response(timeout=5)
                if r.status == 200 and r.body == b"home\n":
                    self.ok += 1
                else:
                    self.failed.append(r.status)
            except (OSError, EOFError, TimeoutError, ValueError) as e:
                self.failed.append(repr(e))
            self.worst = max(self.worst, time.monotonic() - t0)
            self.stop.wait(0.25)


def client_conns(pid, port):
    """pinfold's client connections: its sockets on the listener's port but the listener.
    (Counting all its descriptors would also count what it keeps on purpose after the
    attack: pooled splice pipes and idle backend connections.)"""
    return pftest.tcp_conns(port, pid)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmHWM:"):
                return int(ln.split()[1])
    return -1


class SlowClients(pftest.TestCase):
    def setUp(self):
        super().setUp()
        if not has_tool("slowhttptest"):
            self.skipTest("slowhttptest is not installed (Debian: slowhttptest)")
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < 4096:
            self.skipTest("RLIMIT_NOFILE hard limit %d is too low for 1,000 connections" % hard)
        # slowhttptest (a child) needs an fd per connection
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536) if hard > 0 else 65536,
                                                    hard))
        self.files = self.nginx(files={"index.html": b"home\n", "big.bin": b"b" * BIG},
                                workers=2)

    def start(self, perip=""):
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, PERIP=perip, CLIENT=CLIENT,
                               FILES=pftest.be_block(self.files))
        # the harness's own readiness probe may still be open on pinfold's side for a moment
        pftest.wait_until(lambda: client_conns(self.pf.pid, self.port) == 0, 5,
                          what="no client connection before the attack")

    def attack(self, name, args, length):
        """Run slowhttptest with a normal client beside it; the CSV rows and the client."""
        normal = Normal(self.port)
        normal.start()
        prefix = os.path.join(self.dir, name)
        cmd = ["slowhttptest", "-g", "-o", prefix, "-p", "3", "-l", str(length)] + args
        try:
            cp = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                errors="replace", timeout=length + pftest.slow(60))
        finally:
            normal.stop.set()
            normal.join(timeout=10)
        self.assertFalse(normal.is_alive())
        with open(prefix + ".csv") as f:
            rows = [{k: int(v) for k, v in r.items()} for r in csv.DictReader(f)]
        self.assertTrue(rows, cp.stdout[-2000:] + cp.stderr[-2000:])
        ended = re.sub(r"\x1b\[[0-9;]*m", "",
                       "".join(ln for ln in cp.stdout.splitlines() if "Exit status" in ln))
        return rows, normal, ended

    def report(self, name, rows, normal, ended, extra=""):
        peak = max(r["Connected"] for r in rows)
        last = rows[-1]
        sys.stderr.write("\nslowhttptest: %s: %d s, peak %d connected, at the end %d connected / "
                         "%d closed / %d pending; slowhttptest's own probe available in %d/%d "
                         "samples; normal client %d ok, %d failed, worst %.0f ms%s; %s\n"
                         % (name, last["Seconds"], peak, last["Connected"], last["Closed"],
                            last["Pending"], sum(1 for r in rows if r["Service Available"]),
                            len(rows), normal.ok, len(normal.failed), normal.worst * 1000,
                            extra, ended.strip()))
        return peak

    def drained(self, timeout=15):
        n = []
        pftest.wait_until(lambda: n.append(client_conns(self.pf.pid, self.port)) or n[-1] == 0,
                          timeout, what="pinfold's client connections to close")

    def check_normal(self, normal):
        self.assertEqual(normal.failed, [], "the normal client was refused or timed out")
        self.assertGreater(normal.ok, 10)
        self.assertLess(normal.worst, pftest.slow(5.0))   # generous: sanitizer builds are slow
        self.assertTrue(self.pf.running())

    def test_slowloris_1000(self):
        self.start()
        rows, normal, ended = self.attack(
            "slowloris", ["-H", "-c", "1000", "-r", "500", "-i", "2", "-x", "24", "-t", "GET",
                          "-u", "http://127.0.0.1:%d/index.html" % self.port], CLIENT * 4)
        peak = self.report("slowloris", rows, normal, ended)
        self.check_normal(normal)
        self.assertGreaterEqual(peak, 900)   # the attack really held that many at once
        # every one was cut by the head deadline, long before the attack's time was up
        self.assertIn("No open connections left", ended)
        self.assertLess(rows[-1]["Seconds"], CLIENT * 3)
        self.drained()
        timeouts = [x for x in refused_lines(self.pf) if x[3] == "timeout"]
        self.assertGreaterEqual(len(timeouts), 900)

    def test_slow_read_1000(self):
        self.start()
        rows, normal, ended = self.attack(
            "slowread", ["-X", "-c", "1000", "-r", "250", "-w", "512", "-y", "1024", "-n", "5",
                         "-z", "32", "-k", "3",
                         "-u", "http://127.0.0.1:%d/big.bin" % self.port], 20)
        hwm = rss_kib(self.pf.pid)
        peak = self.report("slow read", rows, normal, ended, ", pinfold peak RSS %d KiB" % hwm)
        self.check_normal(normal)
        self.assertGreaterEqual(peak, 900)
        # buffers are 16 KiB from a pool: a thousand slow readers stay far from 1000 x 768 KiB
        self.assertLess(hwm, 96 * 1024)
        self.drained(30)

    def test_slowloris_capped_per_address(self):
        self.start("MaxConnsPerIP 50")
        rows, normal, ended = self.attack(
            "slowloris-capped", ["-H", "-c", "1000", "-r", "500", "-i", "2", "-x", "24",
                                 "-u", "http://127.0.0.1:%d/index.html" % self.port],
            CLIENT * 2)
        capped = [x for x in refused_lines(self.pf) if x[3] == "connlimit"]
        peak = self.report("slowloris, MaxConnsPerIP 50", rows, normal, ended,
                           ", %d connections refused at accept" % len(capped))
        self.check_normal(normal)
        self.assertGreaterEqual(len(capped), 500)
        self.assertTrue(all(x[0] == "127.0.0.1" for x in capped))
        self.drained()


if __name__ == "__main__":
    pftest.main()
