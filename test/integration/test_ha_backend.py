#!/usr/bin/python3
"""Story: Home Assistant as it really runs, behind the docs' config over HTTPS (fast set).

The backend is habackend.py (aiohttp, the server library Home Assistant runs on) with
Home Assistant's forwarded rules.  The config is the docs' Pound config as written
(hatest.seed_config); where a story needs a timeout short enough for every build's suite,
one global line is added and the test says so.  The same stories with Home Assistant's real
intervals and the config unchanged are in test_ha_slow.py (ctest label "slow").

  * waiting for the head and silence inside a body are different timeouts: with TimeOut 1
    an event stream with 2 s between pings and an MJPEG stream with 2 s between frames
    arrive whole; a backend that never answers is cut with 504 after TimeOut;
  * a body silent longer than StreamTimeOut is cut;
  * every cut is one line at LogLevel 0 (the docs' level) naming the client, the request
    line, the timeout that fired (TimeOut, StreamTimeOut, WSTimeOut, Grace) or the error
    (a backend dying inside its body), the bytes moved and the seconds it lived;
  * Home Assistant's trusted_proxies rule accepts what pinfold forwards: one
    X-Forwarded-For hop (the client's spoofed ones removed), scheme https; a Home Assistant
    that does not trust the proxy refuses it (400), which is why trusted_proxies is needed;
  * SIGTERM: a WebSocket and an idle keep-alive connection see their close at once, a 3 s
    service call gets its answer, the process is gone within 5 s; a call still running when
    Grace ends is cut with a "Grace" line;
  * a client that goes away (reset) during a slow call frees the backend connection at once;
  * a 64 MiB upload through TLS arrives intact (the 1 GiB one is in the slow set).
"""
import asyncio
import hashlib
import json
import signal
import socket
import ssl
import struct
import time

import websockets

import hatest
import pftest
from hatest import HA, SLOW, read_head, read_until_close, send_request



def with_globals(text, *lines):
    """The docs' config with global lines added after its Alive line (said in the test)."""
    return text.replace("Alive\t\t15\n", "Alive\t\t15\n" + "".join(l + "\n" for l in lines))


class Timeouts(hatest.HaCase):
    backend_kw = {"ping": 2.0}

    def test_seed_config_runs_and_has_loglevel_0(self):
        self.assertIn("LogLevel\t0", self.text)
        self.assertNotIn("TimeOut", self.text, "the docs' config sets no timeout")
        cp = pftest.run_pinfold(["-c", "-f", self.write("ha.cfg", self.text)])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)

    def test_head_wait_cut_with_504_and_a_line_at_loglevel_0(self):
        self.start(with_globals(self.text, "TimeOut 1"))
        s = self.tls()
        t0 = time.monotonic()
        send_request(s, "GET", "/api/hang")
        status, _, _ = read_head(s, t0 + 10 * SLOW)
        self.assertEqual(status, 504)
        self.assertLess(time.monotonic() - t0, 3 * SLOW)
        pftest.wait_until(self.cuts, 3 * SLOW, what="a cut line")
        m = self.cuts()[0]
        self.assertEqual(m.group(1, 2, 3, 4, 5),
                         ("127.0.0.1", "GET /api/hang HTTP/1.1", "TimeOut", "504", self.ha_addr()))
        self.assertGreaterEqual(float(m.group(8)), 0.9)

    def ha_addr(self):
        return "%s:%d" % (self.ha.host, self.ha.port)

    def test_stream_silent_longer_than_timeout_arrives_whole(self):
        # TimeOut 1 (added): pings come every 2 s, twice as long as the head may take
        self.start(with_globals(self.text, "TimeOut 1"))
        status, hdrs, body, _, took = self.stream("GET", "/api/stream?pings=3", 20)
        self.assertEqual(status, 200)
        self.assertEqual(hdrs.get("content-type"), "text/event-stream")
        self.assertEqual(body.count(b"data: ping"), 3, body)
        self.assertTrue(body.endswith(b"0\r\n\r\n"), "the stream ended by its last chunk")
        self.assertGreaterEqual(took, 3.5)
        self.assertEqual(self.cuts(), [])

    def test_mjpeg_with_gaps_longer_than_timeout(self):
        self.start(with_globals(self.text, "TimeOut 1"))
        status, hdrs, body, _, _ = self.stream("GET", "/api/camera_proxy_stream?frames=3&gap=2",
                                               20)
        self.assertEqual(status, 200)
        self.assertTrue(hdrs["content-type"].startswith("multipart/x-mixed-replace"))
        self.assertEqual(body.count(b"Content-Type: image/jpeg"), 3)
        self.assertIn(b"frame2", body)

    def test_body_silent_past_streamtimeout_is_cut_and_logged(self):
        self.start(with_globals(self.text, "TimeOut 1", "StreamTimeOut 1"))
        status, _, body, closed, _ = self.stream("GET", "/api/stream?pings=3", 10)
        self.assertEqual(status, 200)
        self.assertTrue(closed, "the client sees the connection drop")
        self.assertEqual(body.count(b"data: ping"), 1, body)
        pftest.wait_until(self.cuts, 3 * SLOW, what="a cut line")
        m = self.cuts()[0]
        self.assertEqual(m.group(1, 2, 3, 4), ("127.0.0.1", "GET /api/stream?pings=3 HTTP/1.1",
                                                "StreamTimeOut", "200"))
        self.assertGreater(int(m.group(6)), 0, "bytes sent to the client are counted")
        self.assertGreaterEqual(float(m.group(8)), 0.9)


class OtherCuts(hatest.HaCase):
    backend_kw = {"event_interval": 100000.0}

    def test_a_backend_dying_inside_its_body_is_logged(self):
        self.start()
        status, _, body, closed, _ = self.stream("GET", "/api/truncated", 10)
        self.assertEqual(status, 200)
        self.assertTrue(closed, "the client sees the connection drop")
        self.assertEqual(len(body), 1000)
        pftest.wait_until(self.cuts, 3 * SLOW, what="a cut line")
        m = self.cuts()[0]
        self.assertEqual(m.group(2, 3, 4, 6), ("GET /api/truncated HTTP/1.1", "backend-closed",
                                                "200", "1000"))

    def test_a_silent_websocket_past_wstimeout_is_logged(self):
        # WSTimeOut 1 (added); the backend's heartbeat (55 s) and events are far apart
        self.start(with_globals(self.text, "WSTimeOut 1"))
        ctx = ssl.create_default_context(cafile=self.ca.root.cert)

        async def story():
            sock = socket.create_connection((pftest.PROXY, self.https_port))
            ws = await websockets.connect("wss://%s:%d/api/websocket" % (HA, self.https_port),
                                          sock=sock, ssl=ctx, server_hostname=HA,
                                          open_timeout=10 * SLOW, ping_interval=None)
            await asyncio.wait_for(ws.recv(), 10 * SLOW)
            t0 = time.monotonic()
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 10 * SLOW)
            except websockets.ConnectionClosed:
                return time.monotonic() - t0

        took = asyncio.run(story())
        self.assertGreaterEqual(took, 0.9)
        self.assertLess(took, 4 * SLOW)
        pftest.wait_until(self.cuts, 3 * SLOW, what="a cut line")
        m = self.cuts()[0]
        self.assertEqual(m.group(2, 3, 4), ("GET /api/websocket HTTP/1.1", "WSTimeOut", "101"))
        self.assertGreater(int(m.group(6)), 0, "the bytes the tunnel carried are counted")


class Forwarding(hatest.HaCase):
    def test_one_xff_hop_spoofed_ones_removed(self):
        self.start()
        s = self.tls()
        send_request(s, "GET", "/api/whoami",
                     ["X-Forwarded-For: 6.6.6.6, 7.7.7.7", "X-Forwarded-Proto: http",
                      "Forwarded: for=8.8.8.8"])
        status, hdrs, rest = read_head(s, time.monotonic() + 10 * SLOW)
        self.assertEqual(status, 200, rest)
        n = int(hdrs["content-length"])
        body = rest
        while len(body) < n:
            body += s.recv(65536)
        who = json.loads(body)
        self.assertEqual(who["xff"], ["127.0.0.1"], "exactly one hop: the real client")
        self.assertEqual(who["hops"], 1)
        self.assertEqual(who["remote"], "127.0.0.1")
        self.assertEqual(who["scheme"], "https")


class UntrustedProxy(hatest.HaCase):
    backend_kw = {"trusted": ()}

    def test_home_assistant_refuses_a_proxy_it_does_not_trust(self):
        self.start()
        s = self.tls()
        send_request(s, "GET", "/api/whoami")
        status, _, _ = read_head(s, time.monotonic() + 10 * SLOW)
        self.assertEqual(status, 400, "Home Assistant's rule without trusted_proxies")
        self.assertEqual(self.ha.journal()[-1]["refused"], 400)


class FastRestart(hatest.HaCase):
    def test_sigterm_closes_tunnels_and_idle_at_once_and_finishes_the_call(self):
        self.start()
        ctx = ssl.create_default_context(cafile=self.ca.root.cert)
        idle = self.tls()
        send_request(idle, "GET", "/api/whoami")
        status, hdrs, rest = read_head(idle, time.monotonic() + 10 * SLOW)
        self.assertEqual(status, 200)
        body = rest
        while len(body) < int(hdrs["content-length"]):
            body += idle.recv(65536)
        call = self.tls()
        results = {}

        async def story():
            import socket
            sock = socket.create_connection((pftest.PROXY, self.https_port))
            ws = await websockets.connect("wss://%s:%d/api/websocket" % (HA, self.https_port),
                                          sock=sock, ssl=ctx, server_hostname=HA,
                                          open_timeout=10 * SLOW, ping_interval=None)
            first = json.loads(await asyncio.wait_for(ws.recv(), 10 * SLOW))
            results["first"] = first["type"]
            send_request(call, "POST", "/api/services/slow?delay=3", body=b"{}")
            await asyncio.sleep(0.5)  # the call is at the backend (not what is measured)
            t0 = time.monotonic()
            self.pf.signal(signal.SIGTERM)
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 10 * SLOW)
            except websockets.ConnectionClosed:
                results["ws_closed_after"] = time.monotonic() - t0
            return t0

        t0 = asyncio.run(story())
        got = read_until_close(idle, t0 + 10 * SLOW)
        results["idle_closed_after"] = got[-1][0] - t0 if got and got[-1][1] == b"" else None
        status, _, _ = read_head(call, t0 + 10 * SLOW)
        results["call"] = status
        rc = self.pf.wait_exit(10 * SLOW)
        gone = time.monotonic() - t0
        self.assertEqual(results["first"], "auth_required")
        self.assertEqual(results["call"], 200, "the in-flight call gets its answer")
        self.assertLess(results["ws_closed_after"], 2 * SLOW)
        self.assertIsNotNone(results["idle_closed_after"], "idle connection closed")
        self.assertLess(results["idle_closed_after"], 2 * SLOW)
        self.assertEqual(rc, 0)
        self.assertLess(gone, 5 * SLOW)
        self.assertRegex(self.pf.stderr(), r'cut 127\.0\.0\.1 "GET /api/websocket HTTP/1\.1" '
                                           r'shutdown status=101 ')


    def test_sigterm_closes_event_and_camera_streams_at_once(self):
        # an event stream and an MJPEG stream never end by themselves: a restart must not
        # wait the whole Grace (30 s) for them, and a call in flight still gets its answer
        self.start()
        streams = {}
        for name, target in (("events", "/api/stream"),
                             ("camera", "/api/camera_proxy_stream?frames=1000&gap=5")):
            s = self.tls()
            send_request(s, "GET", target)
            status, _, _ = read_head(s, time.monotonic() + 10 * SLOW)
            self.assertEqual(status, 200, name)
            streams[name] = s
        call = self.slow_call(2)
        t0 = time.monotonic()
        self.pf.signal(signal.SIGTERM)
        for name, s in streams.items():
            got = read_until_close(s, t0 + 10 * SLOW)
            self.assertTrue(got and got[-1][1] == b"", "%s stream closed" % name)
            self.assertLess(got[-1][0] - t0, 2 * SLOW, name)
        status, _, _ = read_head(call, t0 + 10 * SLOW)
        self.assertEqual(status, 200, "the in-flight call gets its answer")
        self.assertEqual(self.pf.wait_exit(10 * SLOW), 0)
        self.assertLess(time.monotonic() - t0, 5 * SLOW)
        why = {m.group(2): m.group(3) for m in self.cuts()}
        self.assertEqual(why.get("GET /api/stream HTTP/1.1"), "shutdown", self.pf.stderr())
        self.assertEqual(why.get("GET /api/camera_proxy_stream?frames=1000&gap=5 HTTP/1.1"),
                         "shutdown", self.pf.stderr())


class GraceOver(hatest.HaCase):
    def test_a_call_still_running_when_grace_ends_is_cut_and_logged(self):
        # Grace 1 (added): the call takes 10 s, far longer
        self.start(with_globals(self.text, "Grace 1"))
        s = self.slow_call(10)
        t0 = time.monotonic()
        self.pf.signal(signal.SIGTERM)
        self.assertEqual(self.pf.wait_exit(5 * SLOW), 0)
        self.assertLess(time.monotonic() - t0, 3 * SLOW)
        m = self.cuts()
        self.assertEqual(len(m), 1, self.pf.stderr())
        self.assertEqual(m[0].group(1, 2, 3, 4), ("127.0.0.1",
                                                  "POST /api/services/slow?delay=10 HTTP/1.1",
                                                  "Grace", "-"))
        self.assertEqual(m[0].group(7), "2", "the request body passed on is counted")


class ClientLeaves(hatest.HaCase):
    def test_a_client_that_leaves_a_slow_call_frees_the_backend_at_once(self):
        self.start()
        s = self.slow_call(30)
        # the browser tab is closed: a reset, not a half-close
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        t0 = time.monotonic()
        s.close()
        pftest.wait_until(lambda: any(e.get("gone") for e in self.ha.journal()),
                          3 * SLOW, what="the backend connection closed")
        self.assertLess(time.monotonic() - t0, 3 * SLOW)
        self.assertNotIn("cut ", self.pf.stderr(), "the client ended it, not pinfold")


class Upload(hatest.HaCase):
    def test_64_mib_upload_through_tls_arrives_intact(self):
        self.start()
        n = 64 << 20
        block = hashlib.sha256(b"seed").digest() * 2048  # 64 KiB, not all one byte
        h = hashlib.sha256()
        s = self.tls(timeout=60 * SLOW)
        s.sendall(("POST /api/upload HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n"
                   % (HA, n)).encode())
        for _ in range(n // len(block)):
            s.sendall(block)
            h.update(block)
        status, hdrs, rest = read_head(s, time.monotonic() + 60 * SLOW)
        self.assertEqual(status, 200)
        body = rest
        while len(body) < int(hdrs["content-length"]):
            body += s.recv(65536)
        self.assertEqual(json.loads(body), {"bytes": n, "sha256": h.hexdigest()})


if __name__ == "__main__":
    pftest.main()
