#!/usr/bin/python3
"""Story: Home Assistant's WebSocket API (wss://) through the HTTPS listener.

The real client (Debian's python3-websockets) with an ssl context that trusts the test CA
and checks the name; pinfold terminates TLS and tunnels the upgraded connection to
recbackend in plain WebSocket.  The backend greets first ("hello", as HA's auth_required),
then echoes: text and binary messages, large ones (several TLS records each), a ping,
a clean close with 1000.  Several sessions at once, then plain HTTPS on the listener.
"""
import asyncio
import os
import socket

import websockets

import pftest
from pftest import PROXY

NAME = "ha.test"

CFG = """
    ListenHTTPS
        Address 127.0.0.1
        Port @PORT@
        Cert "@CERT@"
        Service
            HeadRequire "^Host: ha.test"
            @BACKEND@
        End
    End
"""


async def session(port, ctx, host=NAME, sizes=(1, 125, 126, 65535, 65536, 300000, 1 << 20)):
    sock = socket.create_connection((PROXY, port), timeout=5)
    sock.setblocking(False)
    got = []
    async with websockets.connect("wss://%s:%d/api/websocket" % (host, port), sock=sock,
                                  ssl=ctx, server_hostname=host, open_timeout=5,
                                  close_timeout=5, max_size=None, compression=None,
                                  ping_interval=None) as ws:
        got.append(await asyncio.wait_for(ws.recv(), 5))
        sent = ["message %d %s" % (i, "x" * i) for i in range(10)]
        sent += [os.urandom(n) for n in sizes]
        for m in sent:
            await ws.send(m)
        for _ in sent:
            got.append(await asyncio.wait_for(ws.recv(), 15))
        pong = await ws.ping(b"are-you-there")
        await asyncio.wait_for(pong, 5)
        await ws.close(code=1000, reason="bye")
        return sent, got, ws.close_code


class TlsWebSocket(pftest.TestCase):
    @classmethod
    def setUpClass(cls):
        pftest.require_tls()

    def setUp(self):
        super().setUp()
        self.ca = pftest.CA(self.dir, "Home CA")
        self.leaf = self.ca.issue(NAME)
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, CERT=self.leaf.pem,
                               BACKEND=pftest.be_block(self.be))
        self.ctx = pftest.tls_context(self.ca)

    def test_wss_echo_both_ways_then_close(self):
        sent, got, code = asyncio.run(asyncio.wait_for(session(self.port, self.ctx), 60))
        self.assertEqual(got[0], "hello")
        self.assertEqual(got[1:], sent)
        self.assertEqual(code, 1000)
        closes = self.be.journal("ws-close")
        self.assertEqual(len(closes), 1)
        self.assertEqual(closes[0]["messages"], len(sent))
        head = pftest.seen_requests(self.be)[0]
        self.assertEqual(head.target, "/api/websocket")
        self.assertEqual(head.named("X-Forwarded-Proto"), ["https"])
        self.assertEqual(head.named("X-Forwarded-For"), ["127.0.0.1"])
        self.assertTrue(any(v.lower() == "websocket" for v in head.named("Upgrade")), head)

    def test_wss_several_sessions_then_https(self):
        async def many():
            return await asyncio.gather(*(session(self.port, self.ctx, sizes=(1, 70000, 200000))
                                          for _ in range(4)))
        for sent, got, code in asyncio.run(asyncio.wait_for(many(), 90)):
            self.assertEqual(got[1:], sent)
            self.assertEqual(code, 1000)
        r = pftest.https_get(PROXY, self.port, "/echo", NAME, self.ctx)
        self.assertEqual(r.status, 200)

    def test_wss_refused_when_no_service(self):
        async def refused():
            try:
                await session(self.port, pftest.tls_context(verify=False), host="nope.test")
            except websockets.exceptions.InvalidStatusCode as e:
                return e.status_code
            return None
        self.assertEqual(asyncio.run(asyncio.wait_for(refused(), 20)), 503)
        self.assertBackendSawNothing(self.be)


if __name__ == "__main__":
    pftest.main()
