#!/usr/bin/python3
"""Story: configs/rate-limited-login.cfg runs as shipped (only addresses, ports and files
moved into the test's directory), and does what its comments say.

Over HTTPS with curl: a client outside the LAN gets the proxy's password prompt
(realm "Home"); with the password it reaches Home Assistant, and Home Assistant's own login
takes 5 attempts a minute; the admin panels are 403 from outside and open from the LAN,
which skips the proxy password; Google Assistant's path needs no proxy password; every
answer has the security headers and no Server banner; plain HTTP is redirected.
"""
import os
import re

import pftest
from pftest import PROXY, curl
from accessctl import has_tool, htpasswd_file, refused_lines

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "configs",
                       "rate-limited-login.cfg")
LAN_SRC = "127.0.0.9"      # put into the "lan" ACL below
OUT_SRC = "127.0.0.40"     # "the internet"


class ExampleRateLimitedLogin(pftest.TestCase):
    def setUp(self):
        super().setUp()
        pftest.require_tls()
        if not has_tool("htpasswd"):
            self.skipTest("htpasswd (apache2-utils) is not installed")
        self.be = self.backend()
        self.http, self.https = pftest.free_port(), pftest.free_port()
        cert = pftest.self_signed(self.dir, "home.example.org")
        users = htpasswd_file(os.path.join(self.dir, "users"), [("alice", "open sesame")])
        with open(EXAMPLE) as f:
            text = f.read()
        # run unprivileged in the test's directory, on free ports, in front of recbackend
        text = re.sub(r"(?m)^(User|Group|RootJail)\b.*$", "", text)
        text = text.replace("Port    7080", "Port %d" % self.http)
        text = text.replace("Port          7443", "Port %d" % self.https)
        text = text.replace('"/var/lib/pinfold/home.example.org.pem"', '"%s"' % cert.pem)
        text = text.replace('"/var/lib/pinfold/users"', '"%s"' % users)
        text = text.replace("Address 127.0.0.2\n\t\t\tPort    8123",
                            "Address %s\n\t\t\tPort    %d" % (self.be.host, self.be.port))
        text = text.replace('\t"fd00::/8"\n', '\t"fd00::/8"\n\t"%s"\n' % LAN_SRC)
        self.assertEqual(text.count("Port    %d" % self.be.port), 2)
        self.cfg = self.write("example.cfg", text)
        cp = pftest.run_pinfold(["-c", "-f", self.cfg])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.pf = pftest.Pinfold(self.dir, text)
        self._pinfolds.append(self.pf)
        self.pf.start([(PROXY, self.http), (PROXY, self.https)])

    def fetch(self, src, path, *args):
        """curl from src over HTTPS: (status, headers dict of lists, body)."""
        cp = curl("-k", "-i", "--interface", src, "--resolve",
                  "home.example.org:%d:127.0.0.1" % self.https, *args,
                  "https://home.example.org:%d%s" % (self.https, path))
        self.assertEqual(cp.returncode, 0, cp.stderr)
        head, _, body = cp.stdout.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hs = {}
        for ln in lines[1:]:
            n, _, v = ln.partition(":")
            hs.setdefault(n.strip().lower(), []).append(v.strip())
        return status, hs, body

    def test_outside_needs_the_proxy_password(self):
        st, hs, _ = self.fetch(OUT_SRC, "/lovelace/0")
        self.assertEqual(st, 401)
        self.assertEqual(hs["www-authenticate"], ['Basic realm="Home"'])
        self.assertEqual(hs["strict-transport-security"], ["max-age=31536000"])
        st, hs, _ = self.fetch(OUT_SRC, "/lovelace/0", "-u", "alice:open sesame")
        self.assertEqual(st, 200)
        self.assertNotIn("server", hs)
        self.assertEqual(hs["x-content-type-options"], ["nosniff"])
        self.assertNotIn(b"Authorization", self.be.raw_bytes())

    def test_home_assistant_login_limited(self):
        codes = [self.fetch(OUT_SRC, "/auth/login_flow/1", "-u", "alice:open sesame",
                            "-X", "POST", "-d", "{}")[0] for _ in range(7)]
        self.assertEqual(codes, [200] * 5 + [429] * 2)
        self.assertTrue([x for x in refused_lines(self.pf)
                         if x[0] == OUT_SRC and x[3] == "ratelimit"])

    def test_lan_and_google(self):
        self.assertEqual(self.fetch(OUT_SRC, "/config/users", "-u", "alice:open sesame")[0], 403)
        self.assertEqual(self.fetch(LAN_SRC, "/config/users")[0], 200)   # no proxy password
        st, _, _ = self.fetch(OUT_SRC, "/api/google_assistant", "-X", "POST",
                              "-H", "Authorization: Bearer g", "-d", "{}")
        self.assertEqual(st, 200)
        self.assertEqual(pftest.seen_requests(self.be)[-1].named("Authorization"), ["Bearer g"])

    def test_plain_http_redirected(self):
        cp = curl("-i", "--interface", OUT_SRC, "http://127.0.0.1:%d/x" % self.http)
        self.assertIn(b"301 Moved Permanently", cp.stdout)
        self.assertIn(b"Location: https://home.example.org/x", cp.stdout)


if __name__ == "__main__":
    pftest.main(needs=["basicauth"])
