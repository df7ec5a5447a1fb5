#!/usr/bin/python3
"""Story: the Pound config from the Home Assistant docs (seed 003) runs as written.

data/ha_pound_docs.cfg is the docs' config verbatim.  Only what cannot be used here
is substituted: listener ports -> free loopback ports, the backend 192.168.1.2:8123 ->
recbackend on 127.0.0.2, RootJail -> a temp dir, Group "nobody" -> "nogroup" where
the system has no group "nobody" (Debian).  As non-root, User/Group/RootJail are
dropped.  `LogFacility deamon` (sic) stays: it must be a warning, not an error.

This build has no TLS, so the ListenHTTPS block is handled two ways:
  * "without-https": the block removed                          (pinfold -c)
  * "stand-in":      the block as a plain ListenHTTP without Cert/Disable/Ciphers, so
                     the global service (Home Assistant) is reachable as through 7443.
With PINFOLD_TLS=mbedtls, test_tls_seed003.py keeps ListenHTTPS as written: an ECDSA
P-256 cert (+key) in the jail, `curl --cacert`, a TLS 1.2 handshake that completes with
the docs' Ciphers "ALL:!RC4:!ECDH:!DH" (Pound 4.23 completes none, see FACTS.md) and
X-Forwarded-Proto: https reaching Home Assistant.
"""
import asyncio
import grp
import json
import os
import re
import socket

import websockets

import pftest
from pftest import PROXY, build_request, run_pinfold

DOCS = os.path.join(pftest.HERE, "data", "ha_pound_docs.cfg")
HA_HOST = "myhomeassistant.mydomain.com"


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def adapt(text, http_port, https_port, be_port, jail, https_mode):
    as_root = os.geteuid() == 0
    out = []
    in_https = False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("ListenHTTPS"):
            in_https = True
            if https_mode == "remove":
                continue
            line = line.replace("ListenHTTPS", "ListenHTTP")
        if in_https:
            if s == "End":
                in_https = False
                if https_mode == "remove":
                    continue
            elif https_mode == "remove":
                continue
            elif re.match(r"(Cert|Disable|Ciphers)\b", s):
                continue
        if re.match(r"(User|Group|RootJail)\b", s) and not as_root:
            continue
        if s.startswith("Group") and '"nobody"' in s and not group_exists("nobody"):
            line = line.replace('"nobody"', '"nogroup"')
        if s.startswith("RootJail"):
            line = 'RootJail\t"%s"' % jail
        line = re.sub(r"^(\s*Port\s+)7080\b", r"\g<1>%d" % http_port, line)
        line = re.sub(r"^(\s*Port\s+)7443\b", r"\g<1>%d" % https_port, line)
        line = re.sub(r"^(\s*Port\s+)8123\b", r"\g<1>%d" % be_port, line)
        line = line.replace("192.168.1.2", pftest.LAN)
        out.append(line)
    return "\n".join(out) + "\n"


class Seed003HomeAssistant(pftest.TestCase):
    def setUp(self):
        super().setUp()
        with open(DOCS) as f:
            self.docs = f.read()
        self.jail = os.path.join(self.dir, "jail")
        os.makedirs(self.jail)
        self.be = self.backend("homeassistant")
        self.http_port = pftest.free_port()
        self.https_port = pftest.free_port()

    def text(self, mode):
        return adapt(self.docs, self.http_port, self.https_port, self.be.port, self.jail, mode)

    def start(self):
        text = self.text("stand-in")
        self.assertIn("LogFacility deamon", text)
        self.pf = self.pinfold(text, listen=[(PROXY, self.http_port), (PROXY, self.https_port)])
        return self.pf

    def test_check_without_https(self):
        path = self.write("ha.cfg", self.text("remove"))
        cp = run_pinfold(["-c", "-f", path])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("deamon", cp.stdout + cp.stderr, "expected a warning about the facility")

    def test_http_redirects_to_https_with_path(self):
        self.start()
        r = pftest.get(PROXY, self.http_port, "/lovelace/0?x=1", HA_HOST)
        self.assertEqual(r.status, 302)
        self.assertEqual(r.header("Location"), "https://%s/lovelace/0?x=1" % HA_HOST)
        r = pftest.get(PROXY, self.http_port, "/", HA_HOST)
        self.assertEqual(r.header("Location"), "https://%s/" % HA_HOST)
        self.assertBackendSawNothing(self.be)

    def test_other_host_gets_503(self):
        self.start()
        for port in (self.http_port, self.https_port):
            r = pftest.get(PROXY, port, "/", "192.0.2.1")
            self.assertEqual(r.status, 503)
        self.assertBackendSawNothing(self.be)

    def test_home_assistant_gets_request_with_real_xff(self):
        self.start()
        r = pftest.request(PROXY, self.https_port, build_request(
            "GET", "/api/states", HA_HOST, [("X-Forwarded-For", "6.6.6.6"),
                                           ("X-Real-IP", "6.6.6.7")]))
        self.assertEqual((r.status, r.header("X-Backend")), (200, "homeassistant"))
        q = pftest.seen_requests(self.be)[0]
        self.assertEqual(q.target, "/api/states")
        self.assertEqual(q.named("X-Forwarded-For"), ["127.0.0.1"],
                         "Home Assistant needs the client address (use_x_forwarded_for)")
        self.assertNotIn(b"6.6.6.", self.be.raw_bytes())

    def test_webdav_class_2(self):
        self.start()
        r = pftest.request(PROXY, self.https_port, build_request("PROPFIND", "/dav", HA_HOST))
        self.assertEqual(r.status, 200)
        r = pftest.request(PROXY, self.https_port, build_request("SUBSCRIBE", "/x", HA_HOST))
        self.assertIn(r.status, (405, 501))
        self.assertEqual(self.be.targets(), ["/dav"])

    def test_websocket_api(self):
        self.start()

        async def go():
            sock = socket.create_connection((PROXY, self.https_port), timeout=5)
            sock.setblocking(False)
            async with websockets.connect("ws://%s/api/websocket" % HA_HOST, sock=sock,
                                          open_timeout=5, close_timeout=5, compression=None,
                                          ping_interval=None) as ws:
                hello = await asyncio.wait_for(ws.recv(), 5)
                await ws.send(json.dumps({"type": "auth", "access_token": "t"}))
                echo = await asyncio.wait_for(ws.recv(), 5)
                return hello, echo
        hello, echo = asyncio.run(asyncio.wait_for(go(), 20))
        self.assertEqual(hello, "hello")
        self.assertEqual(json.loads(echo)["type"], "auth")

    def test_loglevel_0_logs_no_requests(self):
        self.start()
        pftest.get(PROXY, self.https_port, "/no-log-marker", HA_HOST)
        pftest.get(PROXY, self.http_port, "/no-log-marker-2", HA_HOST)
        self.assertNotIn("no-log-marker", self.pf.stderr() + self.pf.stdout())

    def test_runs_jailed_as_nobody(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to start with User/Group/RootJail")
        pf = self.start()
        self.assertEqual(os.readlink("/proc/%d/root" % pf.pid), os.path.realpath(self.jail))
        status = pf.status_after_drop(65534)
        uid = re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()
        self.assertEqual(set(uid), {"65534"}, status)
        self.assertEqual(pftest.get(PROXY, self.https_port, "/after-jail", HA_HOST).status, 200)


if __name__ == "__main__":
    pftest.main()
