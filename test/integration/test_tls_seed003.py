#!/usr/bin/python3
"""Story: the Home Assistant docs' Pound config (seed 003) runs as written, HTTPS included.

data/ha_pound_docs.cfg is the docs' config verbatim.  Only what cannot be used here is
substituted, and the test checks that nothing else differs: listener ports (7080, 7443)
-> free loopback ports, the backend 192.168.1.2:8123 -> recbackend on 127.0.0.2, RootJail
and the Cert path -> a temp jail (the certificate lives in the jail, as in the docs),
Group "nobody" -> "nogroup" where the system has no group "nobody" (Debian).  Not run as
root, User/Group/RootJail are dropped and the jail/uid checks are skipped (said so).
`LogFacility deamon` (sic) stays: it must be a warning, not an error.

The certificate is ECDSA P-256 for myhomeassistant.mydomain.com from a test CA.
  * HTTP :P1 -> redirect to https://myhomeassistant.mydomain.com/... with path + query;
  * HTTPS :P2 (curl --resolve myhomeassistant.mydomain.com:P2:127.0.0.1 --cacert) ->
    Home Assistant gets the request with the real X-Forwarded-For (127.0.0.1) although the
    listener says HeadRemove "X-Forwarded-For" (a client's own is dropped), and
    X-Forwarded-Proto: https;
  * TLS 1.2 completes with the ECDSA certificate under the docs' Ciphers string;
  * WebSocket (wss) on /api/websocket;
  * as root: chrooted into RootJail (/proc/PID/root) and running as nobody/nogroup
    (/proc/PID/status), still serving HTTPS (the certificate was read before chroot).
"""
import asyncio
import grp
import json
import os
import pwd
import re
import socket

import websockets

import pftest
from pftest import PROXY, curl, curl_https, run_pinfold, s_client

DOCS = os.path.join(pftest.HERE, "data", "ha_pound_docs.cfg")
HA = "myhomeassistant.mydomain.com"
DOCS_CERT = "/var/jail/pound/myhomeassistant.mydomain.com.all.pem"
AS_ROOT = os.geteuid() == 0


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def adapt(text, http_port, https_port, be_port, jail, cert):
    """The docs' config with only the allowed substitutions."""
    out = []
    for line in text.splitlines():
        s = line.strip()
        if re.match(r"(User|Group|RootJail)\b", s) and not AS_ROOT:
            continue
        if s.startswith("Group") and '"nobody"' in s and not group_exists("nobody"):
            line = line.replace('"nobody"', '"nogroup"')
        if s.startswith("RootJail"):
            line = 'RootJail\t"%s/"' % jail
        line = line.replace(DOCS_CERT, cert)
        line = re.sub(r"^(\s*Port\s+)7080\b", r"\g<1>%d" % http_port, line)
        line = re.sub(r"^(\s*Port\s+)7443\b", r"\g<1>%d" % https_port, line)
        line = re.sub(r"^(\s*Port\s+)8123\b", r"\g<1>%d" % be_port, line)
        line = line.replace("192.168.1.2", pftest.LAN)
        out.append(line)
    return "\n".join(out) + "\n"


class TlsSeed003(pftest.TestCase):
    @classmethod
    def setUpClass(cls):
        pftest.require_tls()

    def setUp(self):
        super().setUp()
        with open(DOCS) as f:
            self.docs = f.read()
        self.jail = os.path.join(self.dir, "jail")
        os.makedirs(self.jail)
        self.ca = pftest.CA(self.dir, "Home CA")
        self.leaf = self.ca.issue(HA)
        self.cert = self.leaf.write_pem(
            os.path.join(self.jail, "myhomeassistant.mydomain.com.all.pem"))
        self.be = self.backend("homeassistant")
        self.http_port = pftest.free_port()
        self.https_port = pftest.free_port()
        self.text = adapt(self.docs, self.http_port, self.https_port, self.be.port, self.jail,
                          self.cert)

    def start(self):
        self.pf = self.pinfold(self.text, listen=[(PROXY, self.http_port),
                                                  (PROXY, self.https_port)])
        return self.pf

    def https(self, path, *args):
        return curl_https(self.https_port, path, HA, self.ca, *args)

    def test_only_the_allowed_lines_differ(self):
        a = self.docs.splitlines()
        b = self.text.rstrip("\n").splitlines()
        if not AS_ROOT:
            a = [ln for ln in a if not re.match(r"\s*(User|Group|RootJail)\b", ln)]
        self.assertEqual(len(a), len(b))
        allowed = re.compile(r"\s*(Port|Address|Cert|Group|RootJail)\b")
        for old, new in zip(a, b):
            if old != new:
                self.assertRegex(old, allowed, "changed a line that must stay: %r" % old)
        self.assertIn("LogFacility deamon", self.text)
        self.assertIn('Ciphers "ALL:!RC4:!ECDH:!DH"', self.text)
        self.assertIn("Disable SSLv3", self.text)

    def test_check_passes_with_a_warning(self):
        path = self.write("ha.cfg", self.text)
        cp = run_pinfold(["-c", "-f", path])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("deamon", cp.stdout + cp.stderr, "expected a warning about the facility")

    def test_http_redirects_to_https(self):
        self.start()
        cp = curl("-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                  "-H", "Host: " + HA,
                  "http://127.0.0.1:%d/lovelace/0?x=1" % self.http_port)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        code, location = cp.stdout.decode().split(" ", 1)
        self.assertIn(code, ("301", "302"))
        self.assertEqual(location, "https://%s/lovelace/0?x=1" % HA)
        self.assertBackendSawNothing(self.be)

    def test_https_reaches_home_assistant_with_real_xff(self):
        self.start()
        cp = self.https("/api/states?a=b", "-H", "X-Forwarded-For: 6.6.6.6",
                        "-H", "X-Real-IP: 6.6.6.7", "-o", "/dev/null", "-w", "%{http_code}")
        self.assertEqual((cp.returncode, cp.stdout), (0, b"200"), cp.stderr)
        q = pftest.seen_requests(self.be)[0]
        self.assertEqual(q.target, "/api/states?a=b")
        self.assertEqual(q.named("X-Forwarded-For"), ["127.0.0.1"],
                         "Home Assistant needs the client address (use_x_forwarded_for)")
        self.assertEqual(q.named("X-Forwarded-Proto"), ["https"])
        self.assertNotIn(b"6.6.6.", self.be.raw_bytes())

    def test_tls12_ecdsa_under_docs_ciphers(self):
        self.start()
        sc = s_client(self.https_port, "-tls1_2", servername=HA, cafile=self.ca)
        self.assertTrue(sc.ok, "no TLS 1.2 handshake under the docs' Ciphers: %r" % sc)
        self.assertRegex(sc.cipher, r"^ECDHE-ECDSA-")
        cp = self.https("/v12", "--tls-max", "1.2", "-o", "/dev/null", "-w", "%{http_code}")
        self.assertEqual((cp.returncode, cp.stdout), (0, b"200"), cp.stderr)

    def test_other_host_gets_503(self):
        self.start()
        r = pftest.https_get(PROXY, self.https_port, "/", "192.0.2.1",
                             pftest.tls_context(verify=False), sni=HA)
        self.assertEqual(r.status, 503)
        self.assertBackendSawNothing(self.be)

    def test_websocket_over_tls(self):
        self.start()
        ctx = pftest.tls_context(self.ca)

        async def go():
            sock = socket.create_connection((PROXY, self.https_port), timeout=5)
            sock.setblocking(False)
            async with websockets.connect("wss://%s/api/websocket" % HA, sock=sock, ssl=ctx,
                                          server_hostname=HA, open_timeout=5, close_timeout=5,
                                          compression=None, ping_interval=None) as ws:
                hello = await asyncio.wait_for(ws.recv(), 5)
                await ws.send(json.dumps({"type": "auth", "access_token": "t"}))
                echo = await asyncio.wait_for(ws.recv(), 5)
                return hello, echo
        hello, echo = asyncio.run(asyncio.wait_for(go(), 20))
        self.assertEqual(hello, "hello")
        self.assertEqual(json.loads(echo)["type"], "auth")

    def test_loglevel_0_logs_no_requests(self):
        self.start()
        self.https("/no-log-marker")
        self.assertNotIn("no-log-marker", self.pf.stderr() + self.pf.stdout())

    def test_runs_jailed_as_nobody(self):
        if not AS_ROOT:
            self.skipTest("not root: User/Group/RootJail were dropped from the config, so "
                          "the chroot and uid checks cannot run (run the suite as root)")
        pf = self.start()
        self.assertEqual(os.readlink("/proc/%d/root" % pf.pid), os.path.realpath(self.jail))
        status = pf.status_after_drop(pwd.getpwnam("nobody").pw_uid)
        uid = re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()
        gid = re.search(r"^Gid:\s+(.*)$", status, re.M).group(1).split()
        self.assertEqual(set(uid), {str(pwd.getpwnam("nobody").pw_uid)}, status)
        group = "nobody" if group_exists("nobody") else "nogroup"
        self.assertEqual(set(gid), {str(grp.getgrnam(group).gr_gid)}, status)
        # after the drop, HTTPS still works: the certificate was read before chroot
        cp = self.https("/after-jail", "-o", "/dev/null", "-w", "%{http_code}")
        self.assertEqual((cp.returncode, cp.stdout), (0, b"200"), cp.stderr)
        r = pftest.get(PROXY, self.http_port, "/x", HA)
        self.assertIn(r.status, (301, 302))


if __name__ == "__main__":
    pftest.main()
