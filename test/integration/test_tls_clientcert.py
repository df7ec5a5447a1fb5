#!/usr/bin/python3
"""Story: mutual TLS with Pound's ClientCert 0..3 and CAlist / VerifyList.

A "Home CA" issues the server certificate and the family's client certificates (alice);
an "Other CA" issues mallory's.  Clients: curl --cert/--key, openssl s_client -cert,
Python ssl.  What the shim documents (core/tls.h):
  * ClientCert 2 (required): no certificate -> the handshake fails; a certificate from
    the CA -> 200; one from another CA -> the handshake fails.  Nothing reaches the backend
    from a client that failed.  (Under TLS 1.3 the client may believe its handshake done
    and then get the server's alert on its first read: "fails" = no HTTP response.)
  * ClientCert 1 (optional): no certificate -> 200; a bad one -> 403, not forwarded;
    a good one -> 200.
  * ClientCert 3 (ask, don't verify): a bad one -> 200.
  * ClientCert 0: not asked; a client that has one still gets 200.
  * ClientCert 1/2 without CAlist/VerifyList: a config error naming the line.
"""
import re

import pftest
from pftest import PROXY, build_request, curl_https, run_pinfold, s_client

NAME = "ha.test"

CFG = """
    ListenHTTPS
        Address 127.0.0.1
        Port @PORT@
        Cert "@CERT@"
        ClientCert @MODE@ 3
        @CALIST@
        Service
            @BACKEND@
        End
    End
"""


class TlsClientCert(pftest.TestCase):
    @classmethod
    def setUpClass(cls):
        pftest.require_tls()

    def setUp(self):
        super().setUp()
        self.ca = pftest.CA(self.dir, "Home CA")
        self.other = pftest.CA(self.dir, "Other CA")
        self.leaf = self.ca.issue(NAME)
        self.alice = self.ca.issue("alice", client=True)
        self.mallory = self.other.issue("mallory", client=True)
        self.be = self.backend()
        self.port = pftest.free_port()

    def start(self, mode, calist=None, directive="CAlist"):
        calist = self.ca.cert if calist is None else calist
        self.pf = self.pinfold(CFG, PORT=self.port, CERT=self.leaf.pem, MODE=mode,
                               CALIST='%s "%s"' % (directive, calist) if calist else "",
                               BACKEND=pftest.be_block(self.be))
        return self.pf

    def curl(self, path, client=None, *extra):
        args = ["-w", "%{http_code}", "-o", "/dev/null"]
        if client is not None:
            args += ["--cert", client.cert, "--key", client.key]
        return curl_https(self.port, path, NAME, self.ca, *(args + list(extra)))

    def assert_status(self, path, client, status):
        cp = self.curl(path, client)
        self.assertEqual((cp.returncode, cp.stdout.decode()), (0, str(status)),
                         "%s: %s" % (path, cp.stderr.decode(errors="replace")))

    def assert_refused(self, path, client):
        cp = self.curl(path, client)
        self.assertNotEqual(cp.returncode, 0, "%s: curl got an answer (%s) without a valid "
                            "client certificate" % (path, cp.stdout))
        self.assertIn(cp.stdout, (b"", b"000"))

    def python_get(self, client, path):
        ctx = pftest.tls_context(self.ca, cert=client)
        return pftest.https_get(PROXY, self.port, path, NAME, ctx)

    # -- ClientCert 2
    def test_required(self):
        self.start(2)
        self.assert_refused("/none", None)
        self.assert_status("/alice", self.alice, 200)
        self.assert_refused("/mallory", self.mallory)
        self.assertEqual(self.be.targets(), ["/alice"])
        self.assertTrue(self.pf.running())

    def test_required_s_client_and_python(self):
        self.start(2)
        sc = s_client(self.port, "-tls1_2", servername=NAME, cafile=self.ca)
        self.assertFalse(sc.ok, "TLS 1.2 handshake without a client certificate: %r" % sc)
        sc = s_client(self.port, "-tls1_2", "-cert", self.alice.cert, "-key", self.alice.key,
                      servername=NAME, cafile=self.ca)
        self.assertTrue(sc.ok, sc)
        # the CA the server asks for is named to the client
        self.assertRegex(sc.out, r"(?s)Acceptable client certificate CA names.*Home CA")
        sc = s_client(self.port, "-tls1_2", "-cert", self.mallory.cert, "-key",
                      self.mallory.key, servername=NAME, cafile=self.ca)
        self.assertFalse(sc.ok, "TLS 1.2 handshake with another CA's certificate: %r" % sc)
        r = self.python_get(self.alice, "/py")
        self.assertEqual(r.status, 200)
        with self.assertRaises((OSError, EOFError)):
            r = self.python_get(self.mallory, "/py-mallory")
        self.assertEqual(self.be.targets(), ["/py"])

    def test_required_with_verifylist(self):
        self.start(2, directive="VerifyList")
        self.assert_refused("/none", None)
        self.assert_status("/alice", self.alice, 200)
        self.assert_refused("/mallory", self.mallory)

    @pftest.only_in_builds(pftest.server_tls13, "its TLS library has no server TLS 1.3")
    def test_required_over_tls13(self):
        self.start(2)
        for client, ok in ((None, False), (self.alice, True), (self.mallory, False)):
            args = ["--tlsv1.3", "-w", "%{http_code}", "-o", "/dev/null"]
            if client:
                args += ["--cert", client.cert, "--key", client.key]
            cp = curl_https(self.port, "/13", NAME, self.ca, *args)
            if ok:
                self.assertEqual((cp.returncode, cp.stdout), (0, b"200"), cp.stderr)
            else:
                self.assertNotEqual(cp.returncode, 0, (client, cp.stdout))
        self.assertEqual(self.be.targets(), ["/13"])

    # -- ClientCert 1
    def test_optional(self):
        self.start(1)
        self.assert_status("/none", None, 200)
        self.assert_status("/alice", self.alice, 200)
        self.assert_status("/mallory", self.mallory, 403)
        self.assertEqual(self.be.targets(), ["/none", "/alice"])

    def test_optional_403_keeps_the_connection_usable_for_nothing_else(self):
        # A 403 for a bad certificate on one connection: every request on it is refused,
        # not only the first.
        self.start(1)
        ctx = pftest.tls_context(self.ca, cert=self.mallory)
        with pftest.HttpsConn(PROXY, self.port, NAME, ctx) as c:
            for i in range(3):
                try:
                    c.send(build_request("GET", "/m%d" % i, NAME))
                    r = c.read_response()
                except (OSError, EOFError):
                    break
                self.assertEqual(r.status, 403)
        self.assertEqual(self.be.targets(), [])

    # -- ClientCert 3 and 0
    def test_ask_without_verifying(self):
        self.start(3)
        self.assert_status("/none", None, 200)
        self.assert_status("/mallory", self.mallory, 200)

    def test_not_asked(self):
        self.start(0, calist="")
        sc = s_client(self.port, "-tls1_2", servername=NAME)
        self.assertTrue(sc.ok, sc)
        self.assertIn("No client certificate CA names sent", sc.out)
        self.assert_status("/alice", self.alice, 200)
        self.assert_status("/mallory", self.mallory, 200)

    # -- config
    def test_verifying_without_ca_is_a_config_error(self):
        for mode in (1, 2):
            path = self.write("cc%d.cfg" % mode, pftest.cfg(
                CFG, PORT=self.port, CERT=self.leaf.pem, MODE=mode, CALIST="",
                BACKEND=pftest.be_block(self.be)))
            cp = run_pinfold(["-c", "-f", path])
            self.assertNotEqual(cp.returncode, 0, cp.stdout + cp.stderr)
            self.assertRegex(cp.stdout + cp.stderr, re.escape(path) + r":5\b")


if __name__ == "__main__":
    pftest.main()
