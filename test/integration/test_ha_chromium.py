#!/usr/bin/python3
"""Story: a real browser (Debian's headless Chromium) uses Home Assistant through pinfold.

The docs' config as written (HTTPS on its listener), habackend.py (aiohttp) behind it.
Chromium loads https://myhomeassistant.mydomain.com:PORT/ (the name mapped to 127.0.0.1
with --host-resolver-rules; the test CA is not in its store, so
--ignore-certificate-errors); the page's script opens wss://.../api/websocket and writes
what it receives into the DOM.  The test drives Chromium over its DevTools protocol
(--remote-debugging-port, python3-websockets) and reads the DOM with Runtime.evaluate:
  * the page loads (200 over TLS), the WebSocket opens and events arrive;
  * pinfold reloads (SIGHUP) and the same WebSocket keeps receiving events: one open,
    no close.
"""
import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request

import websockets

import hatest
import pftest
from hatest import HA, SLOW

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Browser:
    """Headless Chromium with a DevTools port, in its own process group."""

    def __init__(self, workdir, https_port):
        self.port = pftest.free_port()
        self.profile = os.path.join(workdir, "chromium-profile")
        self.cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--user-data-dir=" + self.profile, "--ignore-certificate-errors",
                    "--host-resolver-rules=MAP %s 127.0.0.1" % HA,
                    "--remote-debugging-address=127.0.0.1",
                    "--remote-debugging-port=%d" % self.port, "about:blank"]
        self.log = os.path.join(workdir, "chromium.log")
        self.proc = None

    def start(self):
        self.proc = pftest._spawn(self.cmd, self.log, self.log, start_new_session=True)
        pftest.wait_until(lambda: self.page_ws() is not None, 30 * SLOW,
                          what="Chromium's DevTools endpoint")
        return self

    def page_ws(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % self.port,
                                        timeout=1) as r:
                targets = json.load(r)
        except OSError:
            return None
        pages = [t for t in targets if t.get("type") == "page"]
        return pages[0]["webSocketDebuggerUrl"] if pages else None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


class Cdp:
    def __init__(self, ws):
        self.ws, self.id = ws, 0

    async def call(self, method, **params):
        self.id += 1
        my = self.id
        await self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            m = json.loads(await asyncio.wait_for(self.ws.recv(), 30 * SLOW))
            if m.get("id") == my:
                if "error" in m:
                    raise AssertionError("%s: %s" % (method, m["error"]))
                return m["result"]

    async def dom(self):
        r = await self.call("Runtime.evaluate", returnByValue=True, expression=(
            "JSON.stringify({state: document.getElementById('state') && "
            "document.getElementById('state').textContent,"
            "events: +(document.getElementById('events') || {}).textContent || 0,"
            "opens: +(document.getElementById('opens') || {}).textContent || 0,"
            "closes: +(document.getElementById('closes') || {}).textContent || 0})"))
        return json.loads(r["result"]["value"])

    async def wait_dom(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        d = None
        while time.monotonic() < deadline:
            d = await self.dom()
            if pred(d):
                return d
            await asyncio.sleep(0.1)
        raise AssertionError("timed out waiting for %s; the page says %s" % (what, d))


class HaChromium(hatest.HaCase):
    backend_kw = {"event_interval": 0.3}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.path.exists(CHROMIUM):
            raise pftest.unittest.SkipTest("chromium is not installed (test/deps.sh)")

    def test_page_websocket_events_survive_a_reload(self):
        self.start()
        browser = Browser(self.dir, self.https_port)
        self.addCleanup(browser.stop)
        browser.start()
        url = "https://%s:%d/" % (HA, self.https_port)

        async def story():
            async with websockets.connect(browser.page_ws(), max_size=None,
                                          open_timeout=30 * SLOW) as ws:
                cdp = Cdp(ws)
                await cdp.call("Page.enable")
                await cdp.call("Page.navigate", url=url)
                first = await cdp.wait_dom(lambda d: d["state"] == "open" and d["events"] >= 2,
                                           30 * SLOW, "the WebSocket open with events")
                self.pf.signal(signal.SIGHUP)
                pftest.wait_until(lambda: "configuration reloaded" in self.pf.stderr(), 10 * SLOW,
                                  what="pinfold's reload message")
                at_reload = (await cdp.dom())["events"]
                after = await cdp.wait_dom(lambda d: d["events"] >= at_reload + 3,
                                           20 * SLOW, "events after the reload")
                return first, after

        first, after = asyncio.run(story())
        self.assertEqual((after["opens"], after["closes"], after["state"]), (1, 0, "open"),
                         "the same WebSocket carried on through the reload")
        self.assertTrue(any(e.get("path") == "/api/websocket" and e.get("remote") == "127.0.0.1"
                            for e in self.ha.journal()),
                        "Home Assistant saw the browser's address via X-Forwarded-For")


if __name__ == "__main__":
    pftest.main()
