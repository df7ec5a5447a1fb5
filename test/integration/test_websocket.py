#!/usr/bin/python3
"""Story: WebSocket through the proxy with the real client (Debian's python3-websockets).

Home Assistant's UI lives on /api/websocket.  The backend greets first (as HA does
with auth_required), then echoes; several text and binary messages both ways,
one large, a ping, then a clean close with code 1000.
"""
import asyncio
import os
import socket

import websockets

import pftest
from pftest import PROXY

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            HeadRequire "^Host: ha.test"
            @BACKEND@
        End
    End
"""


async def session(port, host_header="ha.test"):
    # The URI names the virtual host (it becomes the Host header); the TCP connection
    # is made here, to the proxy on 127.0.0.1, and handed to the client.
    uri = "ws://%s:%d/ws" % (host_header, port)
    sock = socket.create_connection((PROXY, port), timeout=5)
    sock.setblocking(False)
    got = []
    async with websockets.connect(uri, sock=sock, open_timeout=5, close_timeout=5,
                                  max_size=None, compression=None, ping_interval=None) as ws:
        got.append(await asyncio.wait_for(ws.recv(), 5))
        sent = ["message %d %s" % (i, "x" * i) for i in range(10)]
        sent += [os.urandom(n) for n in (1, 125, 126, 65535, 65536, 300000)]
        for m in sent:
            await ws.send(m)
        for _ in sent:
            got.append(await asyncio.wait_for(ws.recv(), 10))
        pong = await ws.ping(b"are-you-there")
        await asyncio.wait_for(pong, 5)
        await ws.close(code=1000, reason="bye")
        return sent, got, ws.close_code


class WebSocket(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, BACKEND=pftest.be_block(self.be))

    def test_echo_both_ways_then_close(self):
        sent, got, code = asyncio.run(asyncio.wait_for(session(self.port), 40))
        self.assertEqual(got[0], "hello")
        self.assertEqual(got[1:], sent)
        self.assertEqual(code, 1000)
        closes = self.be.journal("ws-close")
        self.assertEqual(len(closes), 1)
        self.assertEqual(closes[0]["messages"], len(sent))
        self.assertTrue(closes[0]["payload"].startswith("03e8"))  # 1000, as sent by the client
        head = pftest.seen_requests(self.be)[0]
        self.assertTrue(any(v.lower() == "websocket" for v in head.named("Upgrade")), head)
        self.assertTrue(any("upgrade" in v.lower() for v in head.named("Connection")), head)

    def test_several_sessions_and_http_afterwards(self):
        async def many():
            return await asyncio.gather(*(session(self.port) for _ in range(4)))
        for sent, got, code in asyncio.run(asyncio.wait_for(many(), 60)):
            self.assertEqual(got[1:], sent)
            self.assertEqual(code, 1000)
        r = pftest.get(PROXY, self.port, "/echo", "ha.test")
        self.assertEqual(r.status, 200)

    def test_upgrade_refused_when_no_service(self):
        async def refused():
            try:
                await session(self.port, host_header="nope.test")
            except websockets.exceptions.InvalidStatusCode as e:
                return e.status_code
            return None
        self.assertEqual(asyncio.run(asyncio.wait_for(refused(), 20)), 503)
        self.assertBackendSawNothing(self.be)


if __name__ == "__main__":
    pftest.main()
