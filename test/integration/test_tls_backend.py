#!/usr/bin/python3
"""Story: a backend over HTTPS (BackEnd ... HTTPS ... End), e.g. Home Assistant with its
own certificate on the LAN.

nginx (Debian's, with its ssl module) on 127.0.0.3 serves files over TLS with a
certificate for lan.test from a "LAN CA"; its access log records the SNI name, protocol,
connection number and client certificate it saw.  pinfold listens on plain HTTP:
  * CAFile + ServerName: verified, 200, bytes intact (8 MiB down, 1 MiB up), SNI sent;
  * the wrong CA, or a ServerName the certificate does not carry: 503 (or 502), nothing
    reaches nginx, the backend is logged dead (with the reason: verification) and the
    next request is refused at once;
  * no CAFile: no verification (a self-signed backend certificate is taken);
  * keep-alive to the backend: requests share backend TLS connections;
  * Cert in the BackEnd: pinfold presents a client certificate nginx requires.
"""
import os
import re
import time

import pftest
from pftest import PROXY, curl

MiB = 1 << 20
LAN_NAME = "lan.test"

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        xHTTP 1
        Service
            BackEnd
                Address 127.0.0.3
                Port @NGX_PORT@
                HTTPS
                @TLS@
            End
        End
    End
"""


class TlsBackend(pftest.TestCase):
    @classmethod
    def setUpClass(cls):
        pftest.require_tls()

    def setUp(self):
        super().setUp()
        self.lan_ca = pftest.CA(self.dir, "LAN CA")
        self.other_ca = pftest.CA(self.dir, "Other CA")
        self.lan = self.lan_ca.issue(LAN_NAME, [LAN_NAME, "IP:127.0.0.3"])
        self.big = pftest.write_pattern_file(os.path.join(self.dir, "big.bin"), 8 * MiB)
        self.port = pftest.free_port()
        self.url = "http://127.0.0.1:%d" % self.port

    def start_nginx(self, cert=None, client_ca=None):
        cert = cert or self.lan
        with open(self.big, "rb") as f:
            self.ngx = self.nginx({"big.bin": f.read(), "small.txt": b"hello over tls\n"},
                                  ssl_cert=cert.chain, ssl_key=cert.key,
                                  ssl_client_ca=client_ca)
        return self.ngx

    def start(self, *tls):
        self.pf = self.pinfold(CFG, PORT=self.port, NGX_PORT=self.ngx.port,
                               TLS="\n".join(tls) if tls else "")
        return self.pf

    def get(self, path, max_time=15):
        out = os.path.join(self.dir, "out.bin")
        if os.path.exists(out):
            os.unlink(out)
        cp = curl("-o", out, "-w", "%{http_code}", self.url + path, max_time=max_time)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        body = b""
        if os.path.exists(out):
            with open(out, "rb") as f:
                body = f.read()
        return int(cp.stdout), body

    def log_lines(self, at_least=0):
        """nginx's access log lines; it writes a line after the response went out, so wait
        (bounded) until there are `at_least`."""
        def lines():
            return [ln for ln in self.ngx.access_log().splitlines() if ln.strip()]
        if at_least:
            pftest.wait_until(lambda: len(lines()) >= at_least, 5,
                              what="%d lines in nginx's access log" % at_least)
        return lines()

    # -- verified
    def test_verified_with_cafile_and_servername(self):
        self.start_nginx()
        self.start('ServerName "%s"' % LAN_NAME, 'CAFile "%s"' % self.lan_ca.cert)
        self.assertEqual(self.get("/small.txt"), (200, b"hello over tls\n"))
        line = self.log_lines(1)[-1]
        self.assertIn("sni=%s" % LAN_NAME, line)
        self.assertRegex(line, r"proto=TLSv1\.[23]")

    def test_bodies_over_tls_backend(self):
        self.start_nginx()
        self.start('ServerName "%s"' % LAN_NAME, 'CAFile "%s"' % self.lan_ca.cert)
        status, body = self.get("/big.bin", max_time=30)
        self.assertEqual(status, 200)
        self.assertEqual(len(body), 8 * MiB)
        self.assertEqual(pftest.sha256(body), pftest.sha256_file(self.big))
        up = self.write("up.bin", os.urandom(MiB))
        cp = curl("-T", up, "-w", "%{http_code}", "-o", "/dev/null", self.url + "/dav/up.bin",
                  max_time=30)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn(cp.stdout, (b"201", b"204"))
        self.assertEqual(pftest.sha256_file(os.path.join(self.ngx.www, "dav", "up.bin")),
                         pftest.sha256_file(up))

    def test_keepalive_to_the_backend(self):
        self.start_nginx()
        self.start('ServerName "%s"' % LAN_NAME, 'CAFile "%s"' % self.lan_ca.cert)
        with pftest.HttpConn(PROXY, self.port) as c:
            for i in range(6):
                c.send(pftest.build_request("GET", "/small.txt?%d" % i, "x.test"))
                r = c.read_response()
                self.assertEqual((r.status, r.body), (200, b"hello over tls\n"))
        self.assertEqual(len(self.log_lines(6)), 6)
        conns = set(re.findall(r"conn=(\d+)", self.ngx.access_log()))
        self.assertLessEqual(len(conns), 2, "a new backend TLS connection per request:\n%s"
                             % self.ngx.access_log())

    # -- verification failures
    def assert_refused_and_dead(self):
        t0 = time.monotonic()
        status, _ = self.get("/small.txt")
        self.assertIn(status, (502, 503))
        pftest.wait_until(lambda: re.search(r"backend 127\.0\.0\.3:%d is dead" % self.ngx.port,
                                            self.pf.stderr()), 5, what="'is dead' in the log")
        # dead: the next request is refused without another handshake attempt
        t1 = time.monotonic()
        status, _ = self.get("/small.txt")
        self.assertIn(status, (502, 503))
        self.assertLess(time.monotonic() - t1, pftest.slow(1.0))
        self.assertLess(t1 - t0, pftest.slow(5.0))
        self.assertEqual([ln for ln in self.log_lines() if "small.txt" in ln], [],
                         "a request reached the unverified backend")

    def test_wrong_ca_refused(self):
        self.start_nginx()
        self.start('ServerName "%s"' % LAN_NAME, 'CAFile "%s"' % self.other_ca.cert)
        self.assert_refused_and_dead()

    def test_wrong_ca_reason_logged(self):
        # The router owner must be able to tell from the log why the backend is dead: the
        # certificate did not verify (not just "TLS handshake failed").
        self.start_nginx()
        self.start('ServerName "%s"' % LAN_NAME, 'CAFile "%s"' % self.other_ca.cert)
        self.assertIn(self.get("/small.txt")[0], (502, 503))
        pftest.wait_until(lambda: "is dead" in self.pf.stderr(), 5, what="'is dead' logged")
        self.assertRegex(self.pf.stderr(), r"(?i)(verif|not trusted|trusted CA|certificate)",
                         "no reason for the failed backend handshake in the log")

    def test_wrong_servername_refused(self):
        self.start_nginx()
        self.start('ServerName "not-lan.test"', 'CAFile "%s"' % self.lan_ca.cert)
        self.assert_refused_and_dead()

    def test_self_signed_backend_refused_with_cafile(self):
        self.start_nginx(cert=pftest.self_signed(self.dir, LAN_NAME))
        self.start('ServerName "%s"' % LAN_NAME, 'CAFile "%s"' % self.lan_ca.cert)
        self.assert_refused_and_dead()

    # -- no verification
    def test_no_cafile_no_verification(self):
        self.start_nginx(cert=pftest.self_signed(self.dir, "whatever.invalid"))
        self.start()
        self.assertEqual(self.get("/small.txt"), (200, b"hello over tls\n"))
        self.assertNotIn("is dead", self.pf.stderr())

    # -- client certificate towards the backend
    def test_client_cert_to_backend(self):
        client_ca = pftest.CA(self.dir, "Backend client CA")
        proxy_cert = client_ca.issue("pinfold-router", client=True)
        self.start_nginx(client_ca=client_ca.cert)
        self.start('Cert "%s"' % proxy_cert.pem, 'ServerName "%s"' % LAN_NAME,
                   'CAFile "%s"' % self.lan_ca.cert)
        self.assertEqual(self.get("/small.txt"), (200, b"hello over tls\n"))
        self.assertIn("CN=pinfold-router", self.log_lines(1)[-1])


if __name__ == "__main__":
    pftest.main()
