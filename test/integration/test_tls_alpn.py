#!/usr/bin/python3
"""Story: ALPN on the HTTPS listener.  pinfold speaks HTTP/1.1 only, so a client that
offers h2 and http/1.1 gets http/1.1, a client that offers nothing gets no ALPN answer,
and a client that offers only h2 is refused in the handshake (no_application_protocol,
RFC 7301) rather than told a protocol pinfold does not speak.  On TLS 1.2 and, where the
build has it, TLS 1.3; openssl s_client, curl and Python's ssl as clients.
"""
import socket

import pftest
from pftest import PROXY, curl_https, s_client

CFG = """
    ListenHTTPS
        Address 127.0.0.1
        Port @PORT@
        Cert "@CERT@"
        Service
            @BACKEND@
        End
    End
"""


class TlsAlpn(pftest.TestCase):
    @classmethod
    def setUpClass(cls):
        pftest.require_tls()

    def setUp(self):
        super().setUp()
        self.ca = pftest.CA(self.dir, "ALPN CA")
        self.cert = self.ca.issue("alpn.test")
        self.be = self.backend("be")
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, CERT=self.cert.pem,
                               BACKEND=pftest.be_block(self.be))

    def versions(self):
        return ["-tls1_2"] + (["-tls1_3"] if pftest.server_tls13() else [])

    def test_http11_chosen_among_h2_and_http11(self):
        for v in self.versions():
            sc = s_client(self.port, v, "-alpn", "h2,http/1.1", servername="alpn.test")
            self.assertTrue(sc.ok, sc)
            self.assertIn("ALPN protocol: http/1.1", sc.out, v)

    def test_no_alpn_offered_no_alpn_answered(self):
        sc = s_client(self.port, servername="alpn.test")
        self.assertTrue(sc.ok, sc)
        self.assertIn("No ALPN negotiated", sc.out)

    def test_h2_alone_is_refused(self):
        for v in self.versions():
            sc = s_client(self.port, v, "-alpn", "h2", servername="alpn.test")
            self.assertFalse(sc.ok, sc)
            self.assertNotIn("ALPN protocol: h2", sc.out, v)
            self.assertRegex(sc.out + sc.err, r"(?i)no.application.protocol", v)
        # and the listener still serves the next, well-behaved client
        sc = s_client(self.port, "-alpn", "http/1.1", servername="alpn.test")
        self.assertIn("ALPN protocol: http/1.1", sc.out)

    def test_python_and_curl(self):
        ctx = pftest.tls_context(self.ca)
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        raw = socket.create_connection((PROXY, self.port), timeout=10)
        with ctx.wrap_socket(raw, server_hostname="alpn.test") as s:
            self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
        # curl offers h2 first when it has it; the request is answered over HTTP/1.1
        cp = curl_https(self.port, "/", "alpn.test", self.ca, "-v", "-o", "/dev/null",
                        "-w", "%{http_code} %{http_version}")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout.decode(), "200 1.1", cp.stderr)
        self.assertIn("ALPN: server accepted http/1.1", cp.stderr.decode(errors="replace"))


if __name__ == "__main__":
    pftest.main()
