#!/usr/bin/python3
"""Story: size limits and connection caps a scanner cannot talk its way around.

MaxURI -> 414, MaxHeaderSize / MaxHeaders -> 431, MaxRequest -> 413 (by Content-Length
before a byte is forwarded; for a chunked body as soon as it passes the limit), a head not
finished within Client seconds -> 408; MaxConnsPerIP closes one address's extra connections
at once while others get in, and MaxConnections caps them all.  Each refusal is logged.
"""
import socket
import time

import pftest
from pftest import PROXY, build_request
from accessctl import SrcConn, get_from, refused_lines, wait_refused

CFG = """
    MaxConnsPerIP 4
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Client 2
        MaxURI 64
        MaxHeaderSize 1024
        MaxHeaders 8
        MaxRequest 4096
        Service
            @BACKEND@
        End
    End
"""

CFG_GLOBAL = """
    MaxConnections 5
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            @BACKEND@
        End
    End
"""


def idle_from(src, port, n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(3)
        s.connect((PROXY, port))
        socks.append(s)
    return socks


def closed(sock, timeout=2.0):
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class Limits(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()

    def start(self, cfg=CFG):
        self.pf = self.pinfold(cfg, PORT=self.port, BACKEND=pftest.be_block(self.be))

    def test_request_line_and_head(self):
        self.start()
        mark = self.be.mark()
        self.assertEqual(get_from("127.0.0.91", self.port, "/" + "a" * 63).status, 200)
        r = get_from("127.0.0.91", self.port, "/" + "a" * 64)
        self.assertEqual(r.status, 414)
        # refused before the whole line is even there
        with SrcConn(PROXY, self.port, "127.0.0.91") as c:
            c.send(b"GET /" + b"b" * 200)
            self.assertEqual(c.read_response().status, 414)
        r = get_from("127.0.0.91", self.port, "/h", [("X-Pad", "p" * 1000)])
        self.assertEqual(r.status, 431)
        r = get_from("127.0.0.91", self.port, "/h", [("X-%d" % i, "v") for i in range(8)])
        self.assertEqual(r.status, 431)   # Host + 8 = 9 fields
        self.assertEqual(get_from("127.0.0.91", self.port, "/h",
                                  [("X-%d" % i, "v") for i in range(7)]).status, 200)
        self.assertEqual(len(self.be.requests_since(mark)), 2)
        reasons = [(x[2], x[3]) for x in refused_lines(self.pf) if x[0] == "127.0.0.91"]
        self.assertEqual(reasons, [("414", "limit")] * 2 + [("431", "limit")] * 2)

    def test_body_size(self):
        self.start()
        mark = self.be.mark()
        r = get_from("127.0.0.92", self.port, "/up", method="POST", body=b"x" * 4096)
        self.assertEqual(r.status, 200)
        # by Content-Length: answered at once, nothing forwarded, connection closed
        with SrcConn(PROXY, self.port, "127.0.0.92") as c:
            c.send(build_request("POST", "/up-too-big", body=b"y" * 4097))
            r = c.read_response()
            self.assertEqual(r.status, 413)
            self.assertTrue(c.closed_by_peer())
        self.assertEqual([e["target"] for e in self.be.requests_since(mark)], ["/up"])
        # chunked: cut as soon as it passes the limit
        with SrcConn(PROXY, self.port, "127.0.0.92") as c:
            c.send(b"POST /up-chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
            time.sleep(0.1)
            # more than 4096 bytes of body, and no last chunk: it is never finished
            c.send((b"400\r\n" + b"z" * 1024 + b"\r\n") * 5)
            r = c.read_response()
            self.assertEqual(r.status, 413)
        wait_refused(self.pf, lambda cl, q, s, w: q.startswith("POST /up-chunked") and s == "413")
        self.assertNotIn("/up-chunked", [e["target"] for e in self.be.requests_since(mark)])

    def test_head_deadline(self):
        self.start()
        with SrcConn(PROXY, self.port, "127.0.0.93", timeout=6) as c:
            t0 = time.monotonic()
            c.send(b"GET /slow HTTP/1.1\r\nHost: a\r\n")
            for _ in range(10):          # a byte every 0.3 s: never idle, never finished
                try:
                    c.send(b"X")
                except OSError:
                    break
                time.sleep(0.3)
            r = c.read_response(timeout=4)
            self.assertEqual(r.status, 408)
            self.assertLess(time.monotonic() - t0, pftest.slow(4.5))
        wait_refused(self.pf, lambda cl, q, s, w: cl == "127.0.0.93" and w == "timeout")

    def test_connections_per_address(self):
        self.start()
        time.sleep(0.3)
        socks = idle_from("127.0.0.94", self.port, 4)
        try:
            extra = idle_from("127.0.0.94", self.port, 1)[0]
            self.assertTrue(closed(extra), "the fifth connection from one address was kept")
            extra.close()
            # another address is not affected, and the first four still work
            self.assertEqual(get_from("127.0.0.95", self.port, "/other").status, 200)
            socks[0].sendall(build_request("GET", "/mine"))
            self.assertIn(b" 200 ", socks[0].recv(4096))
            wait_refused(self.pf, lambda cl, q, s, w: cl == "127.0.0.94" and s == "-"
                         and w == "connlimit" and q == "-")
            # one closes: room for another
            socks.pop().close()
            time.sleep(0.2)
            again = idle_from("127.0.0.94", self.port, 1)[0]
            socks.append(again)
            again.sendall(build_request("GET", "/again"))
            self.assertIn(b" 200 ", again.recv(4096))
        finally:
            for s in socks:
                s.close()

    def test_global_cap(self):
        self.start(CFG_GLOBAL)
        time.sleep(0.3)   # the start-up probe's connection is gone by now
        socks = []
        try:
            for i in range(5):
                socks += idle_from("127.0.0.%d" % (100 + i), self.port, 1)
            time.sleep(0.2)
            self.assertFalse(any(closed(s, 0.05) for s in socks), "one of the five was closed")
            sixth = idle_from("127.0.0.106", self.port, 1)[0]
            self.assertTrue(closed(sixth), "a sixth connection was kept")
            sixth.close()
            socks.pop().close()
            pftest.wait_until(lambda: pftest.try_get(PROXY, self.port, "/room"), 3,
                              what="room for a new connection")
        finally:
            for s in socks:
                s.close()


if __name__ == "__main__":
    pftest.main()
