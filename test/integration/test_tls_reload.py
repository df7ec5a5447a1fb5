#!/usr/bin/python3
"""Story: a Let's Encrypt renewal reaches the router by SIGHUP, without dropping anything.

Two certificates for ha.test with different subjects (cert-A, cert-B) from one test CA.
  * start with A; open a keep-alive TLS connection and a WebSocket (wss); replace the
    certificate file with B and send SIGHUP: new connections get B; the old keep-alive
    connection and the WebSocket keep working;
  * then a broken PEM (garbage; a key that does not match; an empty file half-written)
    and SIGHUP: the process keeps running, logs an error naming the file, and new
    connections still get B;
  * a bounded client loop (200 requests, new TLS connections and keep-alive ones) across
    5 reloads that swap A and B sees no failure and sees both certificates;
  * a reload can add an SNI certificate (a second Cert line);
  * as root, jailed and running as nobody like the Home Assistant config (README "Reload"):
    with the configuration and a group-readable certificate inside the jail, a reload picks
    up the renewal; a key only root can read, or a configuration outside the jail, makes the
    reload fail with an error naming the file while the old certificate keeps serving.
"""
import asyncio
import os
import signal
import socket
import threading
import time

import websockets

import pftest
from pftest import PROXY, build_request

NAME = "ha.test"

CFG = """
    @GLOBAL@
    ListenHTTPS
        Address 127.0.0.1
        Port @PORT@
        Cert "@CERT@"
        @MORE@
        Service
            @BACKEND@
        End
    End
"""


class TlsReload(pftest.TestCase):
    @classmethod
    def setUpClass(cls):
        pftest.require_tls()

    def setUp(self):
        super().setUp()
        self.ca = pftest.CA(self.dir, "Home CA")
        self.a = self.ca.issue("cert-A", [NAME])
        self.b = self.ca.issue("cert-B", [NAME])
        self.be = self.backend()
        self.port = pftest.free_port()
        self.ctx = pftest.tls_context(self.ca)

    def start(self, cert_path=None, glob="", more=""):
        self.cert_path = cert_path or os.path.join(self.dir, "server.pem")
        if not os.path.exists(self.cert_path):
            self.a.write_pem(self.cert_path)
        self.subst = dict(PORT=self.port, CERT=self.cert_path, GLOBAL=glob, MORE=more,
                          BACKEND=pftest.be_block(self.be))
        self.pf = self.pinfold(CFG, **self.subst)
        self.assertEqual(self.subject(), self.a.subject)
        return self.pf

    def subject(self, sni=NAME):
        with pftest.HttpsConn(PROXY, self.port, sni, pftest.tls_context(verify=False)) as c:
            return c.peer_subject()

    def reloads(self):
        return self.pf.stderr().count("configuration reloaded")

    def install(self, cert, how="rename"):
        """Put `cert` where the config points: a new file renamed over the old one (what
        certbot's deploy hooks and `cp` + `mv` do), or overwritten in place."""
        if how == "rename":
            tmp = self.cert_path + ".new"
            cert.write_pem(tmp)
            os.rename(tmp, self.cert_path)
        else:
            cert.write_pem(self.cert_path)

    def hup_and_wait(self, what, want_subject=None, timeout=10):
        n = self.reloads()
        errors = self.pf.stderr().count("previous configuration")
        self.pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: self.reloads() > n or
                          self.pf.stderr().count("previous configuration") > errors,
                          timeout, what="the reload (%s) to be done or refused" % what)
        if want_subject:
            self.assertEqual(self.subject(), want_subject, what)

    def test_new_cert_served_old_connections_kept(self):
        self.start()
        keep = pftest.HttpsConn(PROXY, self.port, NAME, self.ctx)
        self.addCleanup(keep.close)
        keep.send(build_request("GET", "/before", NAME))
        self.assertEqual(keep.read_response().status, 200)

        async def story():
            sock = socket.create_connection((PROXY, self.port), timeout=5)
            sock.setblocking(False)
            async with websockets.connect("wss://%s/ws" % NAME, sock=sock, ssl=self.ctx,
                                          server_hostname=NAME, open_timeout=5, close_timeout=5,
                                          compression=None, ping_interval=None) as ws:
                self.assertEqual(await asyncio.wait_for(ws.recv(), 5), "hello")
                await ws.send("before reload")
                self.assertEqual(await asyncio.wait_for(ws.recv(), 5), "before reload")

                def reload_to_b():
                    self.install(self.b, how="inplace")
                    self.hup_and_wait("cert B", self.b.subject)
                await asyncio.to_thread(reload_to_b)
                await ws.send("after reload")
                self.assertEqual(await asyncio.wait_for(ws.recv(), 5), "after reload")

                def broken():
                    self.before_broken = len(self.pf.stderr())
                    self.write(os.path.basename(self.cert_path),
                               "-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
                               "-----END CERTIFICATE-----\n")
                    self.hup_and_wait("broken PEM")
                await asyncio.to_thread(broken)
                await ws.send(b"\x00after broken reload" * 1000)
                self.assertEqual(await asyncio.wait_for(ws.recv(), 5),
                                 b"\x00after broken reload" * 1000)
                await ws.close(code=1000)
                return ws.close_code
        self.assertEqual(asyncio.run(asyncio.wait_for(story(), 60)), 1000)

        self.assertTrue(self.pf.running())
        err = self.pf.stderr()[self.before_broken:]
        self.assertIn(self.cert_path, err, "the broken reload's error does not name the file")
        self.assertNotIn("configuration reloaded", err, "the broken PEM was taken")
        self.assertEqual(self.subject(), self.b.subject, "the old (B) certificate was not kept")
        # the keep-alive connection from before both reloads still serves
        keep.send(build_request("GET", "/after", NAME))
        r = keep.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(keep.peer_subject(), self.a.subject)
        self.assertIn("/after", self.be.targets())

    def test_broken_variants_keep_the_old_cert(self):
        self.start()
        self.install(self.b)
        self.hup_and_wait("cert B", self.b.subject)
        mismatched = os.path.join(self.dir, "mismatch.pem")
        with open(self.a.key) as k, open(self.b.chain) as c:
            chain_b, key_a = c.read(), k.read()
        for what, text in (("garbage", "this is not a PEM file\n"),
                           ("empty (half-written)", ""),
                           ("certificate without its key", chain_b),
                           ("key of another certificate", chain_b + key_a)):
            with open(mismatched, "w") as f:
                f.write(text)
            os.rename(mismatched, self.cert_path)
            before = self.pf.stderr()
            self.hup_and_wait(what)
            new = self.pf.stderr()[len(before):]
            self.assertTrue(self.pf.running(), what)
            self.assertIn(self.cert_path, new, "%s: the error does not name the file:\n%s"
                          % (what, new))
            self.assertNotIn("configuration reloaded", new, "%s was taken" % what)
            self.assertEqual(self.subject(), self.b.subject, what)
            r = pftest.https_get(PROXY, self.port, "/still", NAME, self.ctx)
            self.assertEqual(r.status, 200, what)

    def test_client_loop_across_reloads(self):
        self.start()
        failures, seen, done = [], set(), [0]
        stop = threading.Event()
        total = 200

        def client():
            deadline = time.monotonic() + 60
            keep = None
            while done[0] < total and time.monotonic() < deadline and not stop.is_set():
                i = done[0]
                try:
                    if i % 2:
                        # a new TLS connection each time
                        with pftest.HttpsConn(PROXY, self.port, NAME, self.ctx) as c:
                            seen.add(c.peer_subject())
                            c.send(build_request("GET", "/n%d" % i, NAME))
                            r = c.read_response()
                    else:
                        # keep-alive, reconnecting every 10 requests
                        if keep is None or i % 20 == 0:
                            if keep:
                                keep.close()
                            keep = pftest.HttpsConn(PROXY, self.port, NAME, self.ctx)
                        keep.send(build_request("GET", "/k%d" % i, NAME))
                        r = keep.read_response()
                    if r.status != 200:
                        failures.append((i, r.status))
                except Exception as e:  # noqa: BLE001 - any failure counts
                    failures.append((i, repr(e)))
                    keep = None
                done[0] += 1
                time.sleep(0.01)
            if keep:
                keep.close()

        t = threading.Thread(target=client)
        t.start()
        try:
            for k in range(5):
                pftest.wait_until(lambda: done[0] >= (k + 1) * total // 6 or not t.is_alive(),
                                  30, what="client progress")
                self.install(self.b if k % 2 == 0 else self.a)
                n = self.reloads()
                self.pf.signal(signal.SIGHUP)
                pftest.wait_until(lambda: self.reloads() > n, 10, what="reload %d" % (k + 1))
        finally:
            t.join(70)
            stop.set()
        self.assertFalse(t.is_alive(), "client loop did not stop")
        self.assertEqual(done[0], total)
        self.assertEqual(failures, [], "requests failed across reloads")
        self.assertEqual(seen, {self.a.subject, self.b.subject})
        self.assertTrue(self.pf.running())

    def test_reload_adds_an_sni_certificate(self):
        self.start()
        cams = self.ca.issue("cams.test")
        self.assertEqual(self.subject("cams.test"), self.a.subject)   # the default
        with open(self.pf.cfg_path, "w") as f:
            f.write(pftest.cfg(CFG, **dict(self.subst, MORE='Cert "%s"' % cams.pem)))
        self.hup_and_wait("second Cert")
        self.assertEqual(self.subject("cams.test"), cams.subject)
        self.assertEqual(self.subject(), self.a.subject)

    # -- jailed, as nobody (the Home Assistant config).  README "Reload": once chrooted, paths
    # under RootJail are read relative to the jail, so the configuration file and the
    # certificates must be inside it (and readable by the User/Group) for a reload to see them;
    # otherwise the reload is refused with an error and the old configuration keeps serving.
    def jailed(self, mode, cfg_in_jail, group_owned=False):
        if os.geteuid() != 0:
            self.skipTest("needs root to start with User/Group/RootJail")
        import grp
        group = "nogroup"
        try:
            grp.getgrnam("nobody")
            group = "nobody"
        except KeyError:
            pass
        gid = grp.getgrnam(group).gr_gid
        jail = os.path.join(self.dir, "jail")
        os.makedirs(jail)
        self.cert_path = path = self.a.write_pem(os.path.join(jail, "myhomeassistant.all.pem"))
        os.chmod(path, mode)
        if group_owned:
            os.chown(path, 0, gid)
        self.subst = dict(PORT=self.port, CERT=path, MORE="", BACKEND=pftest.be_block(self.be),
                          GLOBAL='User "nobody"\nGroup "%s"\nRootJail "%s"' % (group, jail))
        # the config inside the jail, or in /etc (outside it) as a router may have it
        p = pftest.Pinfold(jail if cfg_in_jail else self.dir, pftest.cfg(CFG, **self.subst))
        self._pinfolds.append(p)
        self.pf = p.start([(PROXY, self.port)])
        self.assertEqual(self.subject(), self.a.subject)
        self.assertEqual(os.readlink("/proc/%d/root" % self.pf.pid), os.path.realpath(jail))
        tmp = path + ".new"
        self.b.write_pem(tmp)
        os.chmod(tmp, mode)
        if group_owned:
            os.chown(tmp, 0, gid)
        os.rename(tmp, path)
        before = self.pf.stderr()
        self.hup_and_wait("cert B in the jail")
        self.assertTrue(self.pf.running())
        return self.pf.stderr()[len(before):]

    def test_reload_jailed_group_readable_cert(self):
        # root:GROUP 0640, config and certificate in the jail: the renewal is picked up
        self.jailed(0o640, cfg_in_jail=True, group_owned=True)
        self.assertEqual(self.subject(), self.b.subject,
                         "a jailed pinfold did not pick up the renewed certificate:\n%s"
                         % pftest.tail(self.pf.err_path, 10))

    def test_reload_jailed_unreadable_key_keeps_old(self):
        # root 0600: nobody cannot read it after the drop; the reload must say so, name the
        # file, and keep serving the old certificate
        new = self.jailed(0o600, cfg_in_jail=True)
        self.assertRegex(new, r"myhomeassistant\.all\.pem.*(Permission denied|permission)", new)
        self.assertIn("previous configuration", new)
        self.assertEqual(self.subject(), self.a.subject)
        r = pftest.https_get(PROXY, self.port, "/still", NAME, self.ctx)
        self.assertEqual(r.status, 200)

    def test_reload_jailed_cfg_outside_jail_keeps_old(self):
        # the configuration file outside the jail cannot be re-read: an error naming it, the
        # old configuration (and certificate) keeps serving
        new = self.jailed(0o640, cfg_in_jail=False, group_owned=True)
        self.assertIn(self.pf.cfg_path, new)
        self.assertIn("previous configuration", new)
        self.assertEqual(self.subject(), self.a.subject)
        r = pftest.https_get(PROXY, self.port, "/still", NAME, self.ctx)
        self.assertEqual(r.status, 200)


if __name__ == "__main__":
    pftest.main()
