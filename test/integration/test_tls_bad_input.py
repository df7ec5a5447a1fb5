#!/usr/bin/python3
"""Story: what the internet throws at port 443 neither hangs nor kills the proxy.

ListenHTTPS with `Client 2`.  Raw sockets and Python's ssl (MemoryBIO, to stop a
handshake half way):
  * garbage bytes, plain HTTP, an SSLv2-style hello, a record with an absurd length:
    the connection is closed quickly (well before the Client timeout), nothing reaches
    the backend, the process lives and serves the next client;
  * a connection that sends nothing, half a ClientHello, or a whole ClientHello and then
    nothing more: closed after the Client timeout (not before, not much after);
  * garbage after a completed handshake: closed, process alive;
  * 40 stalled handshakes at once do not keep a good client out.
"""
import os
import socket
import ssl
import struct
import time

import pftest
from pftest import PROXY, build_request

NAME = "ha.test"
CLIENT_TO = max(2, round(pftest.slow(2)))   # the Client timeout, stretched on a slow machine

CFG = """
    Client @CLIENT@
    ListenHTTPS
        Address 127.0.0.1
        Port @PORT@
        Cert "@CERT@"
        Service
            @BACKEND@
        End
    End
"""


class TlsBadInput(pftest.TestCase):
    @classmethod
    def setUpClass(cls):
        pftest.require_tls()

    def setUp(self):
        super().setUp()
        self.ca = pftest.CA(self.dir, "Home CA")
        self.leaf = self.ca.issue(NAME)
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, CERT=self.leaf.pem, CLIENT=CLIENT_TO,
                               BACKEND=pftest.be_block(self.be))
        self.ctx = pftest.tls_context(self.ca)

    def raw(self):
        s = socket.create_connection((PROXY, self.port), timeout=10)
        return s

    def closed_within(self, s, timeout):
        """Seconds until the peer closed (EOF or reset), or None if still open at timeout.
        Whatever bytes came (an alert) are read and ignored."""
        t0 = time.monotonic()
        deadline = t0 + pftest.slow(timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            s.settimeout(left)
            try:
                data = s.recv(65536)
            except socket.timeout:
                return None
            except (ConnectionResetError, BrokenPipeError):
                return time.monotonic() - t0
            if not data:
                return time.monotonic() - t0

    def assert_alive_and_serving(self):
        self.assertTrue(self.pf.running(), "pinfold died:\n" + pftest.tail(self.pf.err_path))
        r = pftest.https_get(PROXY, self.port, "/good", NAME, self.ctx)
        self.assertEqual(r.status, 200)

    # -- quick closes
    def quick(self, payload, what):
        s = self.raw()
        try:
            s.sendall(payload)
            took = self.closed_within(s, CLIENT_TO + 3)
        finally:
            s.close()
        self.assertIsNotNone(took, "%s: connection left open" % what)
        self.assertLess(took, pftest.slow(1.0), "%s: closed only after %.1fs (the Client timeout?)"
                        % (what, took))

    def test_garbage_closed_quickly(self):
        self.quick(os.urandom(4096), "random bytes")
        # (a whole handshake message of an unknown type: a short one, so that no library
        # may wait for the rest of a fragmented message)
        self.quick(b"\x16\x03\x01\x00\x04\x63\x00\x00\x00",
                   "a handshake record that is no ClientHello")
        self.quick(b"\x17\x03\x03\x00\x10" + os.urandom(16), "application data before hello")
        self.quick(b"\x16\x03\x01\xff\xff" + os.urandom(1000) + b"\x16" * 64,
                   "a record longer than TLS allows")
        self.assert_alive_and_serving()
        self.assertEqual(self.be.targets(), ["/good"])

    def test_plain_http_closed_quickly(self):
        self.quick(build_request("GET", "/plain", NAME), "plain HTTP")
        self.quick(b"GET / HTTP/1.0\r\n\r\n", "plain HTTP/1.0")
        self.assert_alive_and_serving()
        self.assertEqual(self.be.targets(), ["/good"])

    def test_sslv2_hello_closed_quickly(self):
        # An SSLv2-compatible CLIENT-HELLO (what very old scanners send)
        body = b"\x01\x00\x02" + struct.pack(">HHH", 3, 0, 16) + b"\x01\x00\x80" + b"A" * 16
        self.quick(struct.pack(">H", 0x8000 | len(body)) + body, "SSLv2 hello")
        self.assert_alive_and_serving()

    # -- stalls: closed after the Client timeout
    def stalled(self, payload, what):
        s = self.raw()
        try:
            if payload:
                s.sendall(payload)
            took = self.closed_within(s, CLIENT_TO + 4)
        finally:
            s.close()
        self.assertIsNotNone(took, "%s: still open %ds after the Client timeout (%ds)"
                             % (what, 4, CLIENT_TO))
        self.assertGreater(took, CLIENT_TO - 0.6, "%s: closed after %.1fs, before the "
                           "Client timeout" % (what, took))
        self.assertLess(took, CLIENT_TO + pftest.slow(2.5), what)

    def test_silent_connection_closed_after_client_timeout(self):
        self.stalled(b"", "a connection that sends nothing")
        self.assert_alive_and_serving()

    def test_half_client_hello_closed_after_client_timeout(self):
        hello = pftest.client_hello(NAME)
        self.stalled(hello[:len(hello) // 2], "half a ClientHello")
        self.assert_alive_and_serving()

    def test_handshake_stalled_after_server_flight(self):
        # A whole ClientHello; the server answers (ServerHello ... ) and then waits for the
        # client's next flight, which never comes.
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = pftest.tls_context(verify=False).wrap_bio(inc, out, server_hostname=NAME)
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        s = self.raw()
        try:
            s.sendall(out.read())
            s.settimeout(5)
            first = s.recv(65536)
            self.assertTrue(first.startswith(b"\x16\x03"), "no ServerHello: %r" % first[:20])
            t0 = time.monotonic()
            took = self.closed_within(s, CLIENT_TO + 4)
        finally:
            s.close()
        self.assertIsNotNone(took, "stalled handshake still open after the Client timeout")
        self.assertLess(time.monotonic() - t0, CLIENT_TO + pftest.slow(4))
        self.assert_alive_and_serving()

    def test_garbage_after_handshake(self):
        c = pftest.HttpsConn(PROXY, self.port, NAME, self.ctx)
        try:
            raw = socket.socket(fileno=os.dup(c.sock.fileno()))
            raw.sendall(b"\x17\x03\x03\x00\x20" + os.urandom(32))   # a forged record
            raw.close()
            with self.assertRaises((OSError, EOFError, ssl.SSLError, TimeoutError)):
                c.send(build_request("GET", "/after-garbage", NAME))
                c.read_response(timeout=CLIENT_TO + 3)
        finally:
            c.close()
        self.assert_alive_and_serving()
        self.assertEqual(self.be.targets(), ["/good"])

    def test_many_stalled_handshakes_do_not_block_a_good_client(self):
        hello = pftest.client_hello(NAME)
        socks = []
        try:
            for i in range(40):
                s = self.raw()
                s.sendall(hello[:10 + i])
                socks.append(s)
            t0 = time.monotonic()
            r = pftest.https_get(PROXY, self.port, "/good", NAME, self.ctx)
            self.assertEqual(r.status, 200)
            self.assertLess(time.monotonic() - t0, pftest.slow(1.0))
        finally:
            for s in socks:
                s.close()
        self.assertTrue(self.pf.running())


if __name__ == "__main__":
    pftest.main()
