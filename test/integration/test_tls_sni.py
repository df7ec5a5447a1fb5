#!/usr/bin/python3
"""Story: several Cert lines = one certificate per name (SNI); the first is the default.

Three certificates from one test CA: default.test (first Cert line, the default),
ha.test (+ www.ha.test) and *.cams.test (a wildcard).  openssl s_client -servername,
curl --resolve and Python's ssl each must get the certificate whose names match;
an unknown name and no SNI at all get the default; an ECDSA and an RSA certificate
for one name are both served (ECDSA to a client that takes it, RSA to an RSA-only client).
Routing by Host still works behind it.
"""
import pftest
from pftest import PROXY, build_request, curl_https, s_client

CFG = """
    ListenHTTPS
        Address 127.0.0.1
        Port @PORT@
        Cert "@DEFAULT@"
        Cert "@HA@"
        Cert "@CAMS@"
        @MORE@
        Service
            Host "ha.test"
            @HA_BACKEND@
        End
        Service
            @OTHER_BACKEND@
        End
    End
"""


class TlsSni(pftest.TestCase):
    @classmethod
    def setUpClass(cls):
        pftest.require_tls()

    def setUp(self):
        super().setUp()
        self.ca = pftest.CA(self.dir, "Home CA")
        self.default = self.ca.issue("default.test")
        self.ha = self.ca.issue("ha.test", ["ha.test", "www.ha.test"])
        # (its CN is no host name: the shim also matches CNs, as Pound does, and this one
        # must be picked by its wildcard SAN alone)
        self.cams = self.ca.issue("Camera wildcard", ["*.cams.test"])
        self.ha_be = self.backend("ha")
        self.other_be = self.backend("other")
        self.port = pftest.free_port()

    def start(self, more=""):
        self.pf = self.pinfold(CFG, PORT=self.port, DEFAULT=self.default.pem, HA=self.ha.pem,
                               CAMS=self.cams.pem, MORE=more,
                               HA_BACKEND=pftest.be_block(self.ha_be),
                               OTHER_BACKEND=pftest.be_block(self.other_be))
        return self.pf

    def subject_for(self, servername, *args):
        sc = s_client(self.port, *args, servername=servername)
        self.assertTrue(sc.ok, sc)
        return sc.subject

    def test_s_client_gets_the_named_certificate(self):
        self.start()
        for name, cert in (("ha.test", self.ha), ("www.ha.test", self.ha),
                           ("front.cams.test", self.cams), ("default.test", self.default)):
            self.assertEqual(self.subject_for(name), cert.subject, name)
            # and it verifies for that name against the CA
            sc = s_client(self.port, "-verify_hostname", name, servername=name, cafile=self.ca)
            self.assertTrue(sc.ok, sc)
            self.assertIn("Verify return code: 0 (ok)", sc.out, name)

    def test_unknown_name_and_no_sni_get_the_default(self):
        self.start()
        # (a wildcard covers one label: neither cams.test nor a.b.cams.test)
        for name in ("unknown.test", "cams.test", "a.b.cams.test", "ha.test.evil"):
            self.assertEqual(self.subject_for(name), self.default.subject, name)
        sc = s_client(self.port)            # -noservername
        self.assertTrue(sc.ok, sc)
        self.assertEqual(sc.subject, self.default.subject)

    def test_both_tls_versions(self):
        self.start()
        self.assertEqual(self.subject_for("ha.test", "-tls1_2"), self.ha.subject)
        if pftest.server_tls13():
            self.assertEqual(self.subject_for("ha.test", "-tls1_3"), self.ha.subject)
            self.assertEqual(self.subject_for("x.cams.test", "-tls1_3"), self.cams.subject)

    def test_curl_resolve_verifies_each_name(self):
        self.start()
        for name, be in (("ha.test", self.ha_be), ("www.ha.test", self.other_be),
                         ("front.cams.test", self.other_be)):
            cp = curl_https(self.port, "/sni", name, self.ca, "-w", "%{http_code}",
                            "-o", "/dev/null")
            self.assertEqual((cp.returncode, cp.stdout), (0, b"200"),
                             "%s: %s" % (name, cp.stderr))
        self.assertEqual(self.ha_be.targets(), ["/sni"])
        self.assertEqual(self.other_be.targets(), ["/sni", "/sni"])
        # a name no certificate carries: the default does not verify for it
        cp = curl_https(self.port, "/nope", "unknown.test", self.ca)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn(b"unknown.test", cp.stderr)

    def test_python_ssl_and_host_routing(self):
        self.start()
        ctx = pftest.tls_context(self.ca)
        with pftest.HttpsConn(PROXY, self.port, "ha.test", ctx) as c:
            self.assertEqual(c.peer_subject(), self.ha.subject)
            c.send(build_request("GET", "/ha", "ha.test"))
            r = c.read_response()
        self.assertEqual((r.status, r.header("X-Backend")), (200, "ha"))

    def test_ecdsa_and_rsa_for_one_name(self):
        rsa = self.ca.issue("ha.test", ["ha.test"], key="rsa", filename="ha-rsa")
        self.start('Cert "%s"' % rsa.pem)
        sc = s_client(self.port, "-tls1_2", "-sigalgs", "ECDSA+SHA256:RSA+SHA256",
                      servername="ha.test")
        self.assertTrue(sc.ok, sc)
        self.assertRegex(sc.cipher, r"^ECDHE-ECDSA-", sc)
        sc = s_client(self.port, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256",
                      servername="ha.test", cafile=self.ca)
        self.assertTrue(sc.ok, "an RSA-only client got no handshake: %r" % sc)
        self.assertEqual(sc.cipher, "ECDHE-RSA-AES128-GCM-SHA256")


if __name__ == "__main__":
    pftest.main()
