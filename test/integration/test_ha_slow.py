#!/usr/bin/python3
"""Story (slow set): Home Assistant's real intervals through the docs' config, unchanged.

Not in every build's suite: each case waits as long as Home Assistant does (ctest label
"slow", registered with -DPINFOLD_SLOW_TESTS=ON; .ci/slow.sh runs the cases in parallel,
once per CI run).  The config is data/ha_pound_docs.cfg with only the substitutions
test_tls_seed003.py allows -- no timeout line added -- so these are pinfold's defaults:
  * an event stream silent for 55 s, twice, arrives whole (StreamTimeOut default 120 s);
  * an MJPEG stream with 20 s between frames arrives whole;
  * a WebSocket kept alive only by the server's 55 s heartbeats lives for over two
    minutes and still echoes (WSTimeOut 600 s);
  * a service call answered after 40 s gets its 200 (TimeOut default 60 s, Pound's 15
    would give 504);
  * a backend that accepts and never answers is cut with 504 after the 60 s TimeOut, one
    line at LogLevel 0;
  * a 1 GiB upload through TLS arrives intact (sha256 at the backend), no 413, and
    pinfold's peak RSS (VmHWM) grows by less than 8 MiB while it passes.
Run one case: test_ha_slow.py --binary build/pinfold HaSlowStream.test_...
"""
import asyncio
import hashlib
import json
import socket
import ssl
import time

import websockets

import hatest
import pftest
from hatest import HA, SLOW, read_head, send_request


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith(key + ":"):
                return int(ln.split()[1])  # kB
    raise AssertionError("no %s in /proc/%d/status" % (key, pid))


class HaSlowStream(hatest.HaCase):
    backend_kw = {"ping": 55.0}

    def test_event_stream_silent_55s_twice(self):
        self.start()
        status, _, body, _, took = self.stream("GET", "/api/stream?pings=3", 110 + 30 * SLOW)
        self.assertEqual(status, 200)
        self.assertEqual(body.count(b"data: ping"), 3, body)
        self.assertTrue(body.endswith(b"0\r\n\r\n"))
        self.assertGreaterEqual(took, 109)
        self.assertNotIn("cut ", self.pf.stderr())


class HaSlowOther(hatest.HaCase):
    backend_kw = {"heartbeat": 55.0, "event_interval": 100000.0}

    def test_mjpeg_with_20s_between_frames(self):
        self.start()
        status, _, body, _, took = self.stream("GET", "/api/camera_proxy_stream?frames=3&gap=20",
                                               40 + 30 * SLOW)
        self.assertEqual(status, 200)
        self.assertEqual(body.count(b"Content-Type: image/jpeg"), 3)
        self.assertGreaterEqual(took, 39)

    def test_websocket_kept_by_55s_heartbeats(self):
        self.start()
        ctx = ssl.create_default_context(cafile=self.ca.root.cert)

        async def story():
            sock = socket.create_connection((pftest.PROXY, self.https_port))
            async with websockets.connect("wss://%s:%d/api/websocket" % (HA, self.https_port),
                                          sock=sock, ssl=ctx, server_hostname=HA,
                                          open_timeout=10 * SLOW, ping_interval=None) as ws:
                first = json.loads(await asyncio.wait_for(ws.recv(), 10 * SLOW))
                t0 = time.monotonic()
                # nothing but the server's heartbeat pings (answered by the client library)
                try:
                    m = await asyncio.wait_for(ws.recv(), 125)
                    raise AssertionError("unexpected message %r" % m)
                except asyncio.TimeoutError:
                    pass
                await ws.send('{"id": 1, "type": "ping"}')
                echo = await asyncio.wait_for(ws.recv(), 10 * SLOW)
                return first, echo, time.monotonic() - t0

        first, echo, lived = asyncio.run(story())
        self.assertEqual(first["type"], "auth_required")
        self.assertEqual(json.loads(echo)["id"], 1)
        self.assertGreater(lived, 120)

    def test_service_call_answered_after_40s(self):
        self.start()
        s = self.tls(timeout=100 * SLOW)
        t0 = time.monotonic()
        send_request(s, "POST", "/api/services/slow?delay=40", body=b"{}")
        status, _, _ = read_head(s, t0 + 40 + 15 * SLOW)
        self.assertEqual(status, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 39.5)
        self.assertNotIn("cut ", self.pf.stderr())

    def test_backend_that_never_answers_is_cut_after_60s(self):
        self.start()
        s = self.tls(timeout=100 * SLOW)
        t0 = time.monotonic()
        send_request(s, "GET", "/api/hang")
        status, _, _ = read_head(s, t0 + 60 + 15 * SLOW)
        took = time.monotonic() - t0
        self.assertEqual(status, 504)
        self.assertGreaterEqual(took, 59.5)
        pftest.wait_until(lambda: "cut 127.0.0.1" in self.pf.stderr(), 5 * SLOW,
                          what="the cut line")
        self.assertRegex(self.pf.stderr(), r'cut 127\.0\.0\.1 "GET /api/hang HTTP/1\.1" TimeOut '
                                           r'status=504 .* secs=(59|6\d)\.\d')

    def test_1gib_upload_through_tls(self):
        self.start()
        pid = self.pf.pid
        n = 1 << 30
        block = hashlib.sha256(b"backup").digest() * 32768  # 1 MiB, not one repeated byte
        h = hashlib.sha256()
        s = self.tls(timeout=120 * SLOW)
        hwm0, rss0 = vm(pid, "VmHWM"), vm(pid, "VmRSS")
        t0 = time.monotonic()
        s.sendall(("POST /api/upload HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n"
                   "Content-Type: application/octet-stream\r\n\r\n" % (HA, n)).encode())
        for _ in range(n // len(block)):
            s.sendall(block)
            h.update(block)
        status, hdrs, rest = read_head(s, time.monotonic() + 120 * SLOW)
        took = time.monotonic() - t0
        self.assertEqual(status, 200)
        body = rest
        while len(body) < int(hdrs["content-length"]):
            body += s.recv(65536)
        self.assertEqual(json.loads(body), {"bytes": n, "sha256": h.hexdigest()})
        hwm1, rss1 = vm(pid, "VmHWM"), vm(pid, "VmRSS")
        print("1 GiB through TLS in %.1f s; pinfold VmHWM %d -> %d kB, VmRSS %d -> %d kB"
              % (took, hwm0, hwm1, rss0, rss1))
        self.assertLess(hwm1 - hwm0, 8 * 1024, "memory stays flat")


if __name__ == "__main__":
    pftest.main()
