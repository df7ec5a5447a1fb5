#!/usr/bin/python3
"""habackend.py - a Home Assistant-like backend for pinfold's tests, on aiohttp.

aiohttp (Debian python3-aiohttp) is the server library Home Assistant runs on, so the
framing, WebSocket heartbeat and streaming behaviour below are aiohttp's own.  What it
copies from Home Assistant (homeassistant/components/http/forwarded.py, websocket_api,
api.py, camera) is only the observable behaviour, written anew:

  * forwarded rules (use_x_forwarded_for with --trusted): X-Forwarded-For is taken only
    from a trusted proxy; from any other peer the request is refused (400); more than one
    X-Forwarded-For header is refused; the client is the right-most address that is not a
    trusted proxy; the scheme comes from X-Forwarded-Proto (one value, or one per hop).
  * /api/websocket   aiohttp WebSocketResponse(heartbeat=--heartbeat), "auth_required"
                     first, then {"type": "event", "n": i} every --event-interval s and an
                     echo of every text message;
  * /api/stream      text/event-stream, "ping" at once and every --ping s;
  * /api/camera_proxy_stream?frames=N&gap=S   multipart/x-mixed-replace JPEG-ish frames;
  * /api/services/slow?delay=S   answers after S seconds (a call whose connection closes is journalled "gone");
  * /api/hang        never answers (the head never comes);
  * /api/truncated   promises 100000 bytes, sends 1000 and drops the connection;
  * /api/upload      (POST) streams the body into sha256, answers {"bytes", "sha256"};
  * /api/whoami      what the forwarded rules decided: remote, scheme, the raw XFF;
  * /                a page whose script opens wss://HOST/api/websocket and writes what
                     it receives into the DOM (the Chromium story reads it).
Every request is appended to LOGDIR/requests.jsonl; "ready" appears when it listens.
"""
import argparse
import asyncio
import hashlib
import ipaddress
import json
import os
import signal

from aiohttp import WSMsgType, web

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>ha-like</title></head>
<body><p id="state">loading</p><p id="events">0</p><p id="opens">0</p><p id="closes">0</p>
<script>
var n = 0, opens = 0, closes = 0;
function set(id, v) { document.getElementById(id).textContent = String(v); }
var ws = new WebSocket("wss://" + location.host + "/api/websocket");
ws.onopen = function () { opens++; set("opens", opens); set("state", "open"); };
ws.onmessage = function (e) {
  var m = JSON.parse(e.data);
  if (m.type === "event") { n++; set("events", n); }
};
ws.onclose = function () { closes++; set("closes", closes); set("state", "closed"); };
</script></body></html>
"""


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.2")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--trusted", action="append", default=[],
                    help="trusted_proxies entry (address or network); none: XFF refused")
    ap.add_argument("--heartbeat", type=float, default=55.0)
    ap.add_argument("--ping", type=float, default=50.0)
    ap.add_argument("--event-interval", type=float, default=1.0)
    return ap.parse_args()


class Forwarded:
    """Home Assistant's forwarded rules (use_x_forwarded_for: true, trusted_proxies)."""

    def __init__(self, trusted):
        self.trusted = [ipaddress.ip_network(t, strict=False) for t in trusted]

    def is_trusted(self, ip):
        return any(ip in n for n in self.trusted)

    def decide(self, request):
        peer = ipaddress.ip_address(request.transport.get_extra_info("peername")[0])
        xffs = request.headers.getall("X-Forwarded-For", [])
        out = {"peer": str(peer), "remote": str(peer), "scheme": request.scheme,
               "xff": xffs, "hops": 0}
        if not xffs:
            return out
        if not self.is_trusted(peer):
            raise web.HTTPBadRequest(text="X-Forwarded-For from an untrusted proxy\n")
        if len(xffs) > 1:
            raise web.HTTPBadRequest(text="too many X-Forwarded-For headers\n")
        try:
            hops = [ipaddress.ip_address(a.strip()) for a in xffs[0].split(",")]
        except ValueError:
            raise web.HTTPBadRequest(text="invalid X-Forwarded-For\n")
        out["hops"] = len(hops)
        # right to left: the first address that is not a trusted proxy is the client
        idx = len(hops) - 1
        while idx > 0 and self.is_trusted(hops[idx]):
            idx -= 1
        out["remote"] = str(hops[idx])
        protos = request.headers.getall("X-Forwarded-Proto", [])
        if protos:
            if len(protos) > 1:
                raise web.HTTPBadRequest(text="too many X-Forwarded-Proto headers\n")
            plist = [p.strip() for p in protos[0].split(",")]
            if len(plist) != 1 and len(plist) != len(hops):
                raise web.HTTPBadRequest(text="X-Forwarded-Proto does not match\n")
            out["scheme"] = plist[0] if len(plist) == 1 else plist[idx]
        return out


def main():
    args = parse_args()
    os.makedirs(args.logdir, exist_ok=True)
    journal = open(os.path.join(args.logdir, "requests.jsonl"), "a", buffering=1)
    fwd = Forwarded(args.trusted)

    @web.middleware
    async def forwarded(request, handler):
        try:
            request["fwd"] = fwd.decide(request)
        except web.HTTPException as e:
            journal.write(json.dumps({"path": request.path, "refused": e.status,
                                      "xff": request.headers.getall("X-Forwarded-For", [])})
                          + "\n")
            raise
        journal.write(json.dumps({"path": request.path, "method": request.method,
                                  **request["fwd"]}) + "\n")
        return await handler(request)

    async def page(request):
        return web.Response(text=PAGE, content_type="text/html")

    async def whoami(request):
        return web.json_response(request["fwd"])

    async def websocket(request):
        ws = web.WebSocketResponse(heartbeat=args.heartbeat)
        await ws.prepare(request)
        await ws.send_json({"type": "auth_required", "ha_version": "test"})

        async def events():
            n = 0
            while not ws.closed:
                await asyncio.sleep(args.event_interval)
                n += 1
                try:
                    await ws.send_json({"type": "event", "n": n})
                except ConnectionError:
                    return

        task = asyncio.ensure_future(events())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await ws.send_str(msg.data)
        finally:
            task.cancel()
        return ws

    async def stream(request):
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        n = int(request.query.get("pings", "1000000"))
        for i in range(n):
            await resp.write(b"data: ping\n\n")
            if i + 1 < n:
                await asyncio.sleep(args.ping)
        await resp.write_eof()
        return resp

    async def mjpeg(request):
        frames = int(request.query.get("frames", "3"))
        gap = float(request.query.get("gap", "1"))
        resp = web.StreamResponse(headers={
            "Content-Type": "multipart/x-mixed-replace;boundary=frame"})
        await resp.prepare(request)
        for i in range(frames):
            jpeg = b"\xff\xd8" + (b"frame%d" % i) * 100 + b"\xff\xd9"
            await resp.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d"
                             b"\r\n\r\n%s\r\n" % (len(jpeg), jpeg))
            if i + 1 < frames:
                await asyncio.sleep(gap)
        await resp.write_eof()
        return resp

    async def slow(request):
        await request.read()
        end = asyncio.get_running_loop().time() + float(request.query.get("delay", "1"))
        while asyncio.get_running_loop().time() < end:
            await asyncio.sleep(0.05)
            t = request.transport
            if t is None or t.is_closing():
                # the peer (the proxy) closed the connection: say so, as HA would stop
                journal.write(json.dumps({"path": request.path, "gone": True}) + "\n")
                return web.Response(status=499)
        return web.json_response({"result": "done"})

    async def hang(request):
        await asyncio.sleep(3600)
        return web.Response(text="too late")

    async def truncated(request):
        # a backend that dies inside its body: Content-Length promises more than comes
        resp = web.StreamResponse(headers={"Content-Length": "100000"})
        await resp.prepare(request)
        await resp.write(b"x" * 1000)
        await asyncio.sleep(0.2)
        request.transport.abort()
        return resp

    async def upload(request):
        h = hashlib.sha256()
        total = 0
        async for chunk in request.content.iter_any():
            h.update(chunk)
            total += len(chunk)
        return web.json_response({"bytes": total, "sha256": h.hexdigest()})

    # HA's own limit on request bodies is its business; the test is pinfold's
    app = web.Application(middlewares=[forwarded], client_max_size=1 << 62)
    app.router.add_get("/", page)
    app.router.add_get("/api/whoami", whoami)
    app.router.add_get("/api/websocket", websocket)
    app.router.add_get("/api/stream", stream)
    app.router.add_get("/api/camera_proxy_stream", mjpeg)
    app.router.add_route("*", "/api/services/slow", slow)
    app.router.add_get("/api/hang", hang)
    app.router.add_post("/api/upload", upload)
    app.router.add_get("/api/truncated", truncated)

    async def run():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, args.host, args.port, shutdown_timeout=1.0)
        await site.start()
        open(os.path.join(args.logdir, "ready"), "w").close()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        await stop.wait()
        await runner.cleanup()

    asyncio.run(run())


if __name__ == "__main__":
    main()
