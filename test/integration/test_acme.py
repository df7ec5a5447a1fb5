#!/usr/bin/python3
"""Story: Let's Encrypt on the router - HTTP-01 challenges answered by pinfold itself.

The usual port-80 listener only redirects to https.  With `ACME "/dir"` in it, a request
for /.well-known/acme-challenge/TOKEN is answered from dir/TOKEN first (exact bytes,
text/plain), everything else still redirects.  The token must be base64url: traversal
(`../`, `%2e%2e`, `..%2f`, encoded slashes, absolute paths), over-long names, NUL bytes,
a symbolic link to /etc/passwd, a directory, a FIFO or a big file planted in the dir
serve nothing outside it (404 or 400) and never crash or stall pinfold.  Only GET and
HEAD (POST: 405 with Allow).  As root and jailed, the directory is read inside the jail.

Then the renewal hook, configs/acme/pinfold-deploy-hook.sh, against a running pinfold
with a ListenHTTPS: run as acme.sh runs it (CERT_KEY_PATH, CERT_FULLCHAIN_PATH) and as
certbot does (RENEWED_LINEAGE), it installs the new certificate (0640, the group) and
sends SIGHUP through the pid file: openssl s_client sees the new certificate.  A hook
run with a missing key fails and signals nothing.
"""
import grp
import os
import pwd
import shutil
import signal
import stat
import subprocess
import unittest

import pftest
from pftest import PROXY, build_request, curl, get

HOOK = os.path.join(pftest.REPO, "configs", "acme", "pinfold-deploy-hook.sh")
PREFIX = "/.well-known/acme-challenge/"
TOKEN = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
KEYAUTH = (TOKEN + ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI").encode()
SECRET = b"TOP-SECRET-OUTSIDE-THE-ACME-DIR\n"

CFG = """
    @GLOBAL@
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        ACME "@ACME@"
        Service
            Redirect "https://ha.example.test"
        End
    End
"""


class Acme(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.port = pftest.free_port()

    def make_dir(self, base):
        acme = os.path.join(base, "acme")
        os.makedirs(acme)
        os.chmod(acme, 0o755)
        with open(os.path.join(base, "secret.txt"), "wb") as f:
            f.write(SECRET)
        for name, data in ((TOKEN, KEYAUTH), ("bin_-0", b"a\r\nb\x00c\xff")):
            with open(os.path.join(acme, name), "wb") as f:
                f.write(data)
            os.chmod(os.path.join(acme, name), 0o644)
        os.symlink("/etc/passwd", os.path.join(acme, "passwdlink"))
        os.symlink(os.path.join(base, "secret.txt"), os.path.join(acme, "secretlink"))
        os.mkdir(os.path.join(acme, "adirectory"))
        os.mkfifo(os.path.join(acme, "afifo"))
        with open(os.path.join(acme, "bigfile"), "wb") as f:
            f.write(b"x" * 5000)
        return acme

    def start(self, glob="", base=None):
        base = base or self.dir
        self.acme = self.make_dir(base)
        self.pf = self.pinfold(CFG, PORT=self.port, ACME=self.acme, GLOBAL=glob)
        return self.pf

    def raw(self, line, extra=b""):
        return pftest.request(PROXY, self.port, line + b"\r\nHost: ha.example.test\r\n" + extra +
                              b"Connection: close\r\n\r\n")

    def assert_served(self, target=PREFIX + TOKEN, body=KEYAUTH):
        r = get(PROXY, self.port, target, "ha.example.test")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, body)
        self.assertEqual(r.header("Content-Type"), "text/plain")
        self.assertEqual(int(r.header("Content-Length")), len(body))

    def test_token_served_before_redirect(self):
        self.start()
        self.assert_served()
        self.assert_served(PREFIX + "bin_-0", b"a\r\nb\x00c\xff")
        self.assert_served(PREFIX + TOKEN + "?x=1")
        # exact bytes through a real client too
        out = os.path.join(self.dir, "got")
        cp = curl("-o", out, "-w", "%{http_code} %{content_type}", "-H", "Host: ha.example.test",
                  "http://127.0.0.1:%d%s%s" % (self.port, PREFIX, TOKEN))
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout.decode(), "200 text/plain")
        with open(out, "rb") as f:
            self.assertEqual(f.read(), KEYAUTH)
        # anything else still gets the listener's redirect
        for target in ("/", "/lovelace", "/.well-known/other", "/.well-known/acme-challenge",
                       "/.well-known/acme-challengeX/" + TOKEN, "/.WELL-KNOWN/acme-challenge/" + TOKEN):
            r = get(PROXY, self.port, target, "ha.example.test")
            self.assertEqual(r.status, 302, (target, r))
            self.assertEqual(r.header("Location"), "https://ha.example.test" + target)
        # one log line per request, like any other
        pftest.wait_until(lambda: "GET %s%s HTTP/1.1" % (PREFIX, TOKEN) in self.pf.stderr(), 5,
                          what="the ACME request's log line")

    def test_missing_head_and_methods(self):
        self.start()
        r = get(PROXY, self.port, PREFIX + "NoSuchToken_123", "ha.example.test")
        self.assertEqual(r.status, 404, r)
        self.assertNotIn(b"pinfold", r.body.lower())
        r = get(PROXY, self.port, PREFIX, "ha.example.test")
        self.assertIn(r.status, (400, 404), r)
        # HEAD: the head only, with the file's length
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(build_request("HEAD", PREFIX + TOKEN, "ha.example.test"))
            r = c.read_response(method="HEAD")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(int(r.header("Content-Length")), len(KEYAUTH))
            # the connection is kept and carries no stray body bytes: the next answer is clean
            c.send(build_request("GET", PREFIX + TOKEN, "ha.example.test"))
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, KEYAUTH))
        for method in ("POST", "PUT", "DELETE"):
            body = b"x" if method != "DELETE" else None
            r = get(PROXY, self.port, PREFIX + TOKEN, "ha.example.test", method=method, body=body)
            if method == "POST":
                self.assertEqual(r.status, 405, r)
                self.assertEqual(r.header("Allow"), "GET, HEAD")
            else:
                self.assertIn(r.status, (405, 501), (method, r))
            self.assertNotIn(KEYAUTH, r.body)

    def test_traversal_and_tricks(self):
        self.start()
        bad = [
            "../secret.txt", "..%2fsecret.txt", "%2e%2e/secret.txt", "%2e%2e%2fsecret.txt",
            "%2E%2E%2Fsecret.txt", "..%5csecret.txt", "..\\secret.txt", "....//secret.txt",
            "/etc/passwd", "%2fetc%2fpasswd", "%252e%252e%252fsecret.txt", "./" + TOKEN,
            TOKEN + "/", TOKEN + "/..", TOKEN + "%00", TOKEN + "%2f", TOKEN + ".", "." ,
            "..", "passwdlink", "secretlink", "adirectory", "afifo", "bigfile",
            "A" * 129, "A" * 4000, TOKEN + ";x", TOKEN + "%20", "~root",
        ]
        for t in bad:
            r = get(PROXY, self.port, PREFIX + t, "ha.example.test")
            self.assertIn(r.status, (400, 404), (t, r))
            self.assertNotIn(b"SECRET", r.body, t)
            self.assertNotIn(b"root:", r.body, t)
        # raw bytes a client could send: NUL, a space, a tab in the target
        for line in (b"GET " + PREFIX.encode() + TOKEN.encode() + b"\x00 HTTP/1.1",
                     b"GET " + PREFIX.encode() + b"..\x00/secret.txt HTTP/1.1",
                     b"GET " + PREFIX.encode() + b"a b HTTP/1.1",
                     b"GET " + PREFIX.encode() + b"a\tb HTTP/1.1"):
            try:
                r = self.raw(line)
            except (EOFError, OSError):
                continue  # closed without an answer is fine too: nothing was served
            self.assertIn(r.status, (400, 404), (line, r))
            self.assertNotIn(b"SECRET", r.body)
        # absolute-form is reduced to its path and checked the same way
        r = self.raw(b"GET http://ha.example.test" + PREFIX.encode() + b"../secret.txt HTTP/1.1")
        self.assertIn(r.status, (400, 404), r)
        self.assertNotIn(b"SECRET", r.body)
        # still alive and serving
        self.assertTrue(self.pf.running())
        self.assert_served()
        self.assertIn("passwdlink not served", self.pf.stderr())

    @unittest.skipUnless(os.geteuid() == 0, "a jail needs root")
    def test_jailed(self):
        jail = os.path.join(self.dir, "jail")
        os.makedirs(jail)
        os.chmod(jail, 0o755)
        group = "nogroup"
        try:
            grp.getgrnam(group)
        except KeyError:
            group = "nobody"
        # the directory as seen from outside; inside the jail pinfold reads /acme
        self.start('User "nobody"\nGroup "%s"\nRootJail "%s"' % (group, jail), base=jail)
        self.assertEqual(os.readlink("/proc/%d/root" % self.pf.pid), os.path.realpath(jail))
        self.assert_served()
        r = get(PROXY, self.port, PREFIX + "passwdlink", "ha.example.test")
        self.assertEqual(r.status, 404)

    def test_dir_outside_jail_is_config_error(self):
        jail = os.path.join(self.dir, "jail")
        os.makedirs(jail)
        path = self.write("bad.cfg", pftest.cfg(CFG, PORT=self.port, ACME="/var/acme",
                                                 GLOBAL='RootJail "%s"' % jail))
        cp = pftest.run_pinfold(["-c", "-f", path])
        self.assertEqual(cp.returncode, 1, cp)
        self.assertRegex(cp.stderr, r"bad\.cfg:5:\d+: .*ACME directory \"/var/acme\" is outside "
                                    r"RootJail")


CFG_TLS = """
    PIDFile "@PIDFILE@"
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        ACME "@ACME@"
        Service
            Redirect "https://ha.test"
        End
    End
    ListenHTTPS
        Address 127.0.0.1
        Port @TLSPORT@
        Cert "@PEM@"
        Service
            Error 404
        End
    End
"""


class DeployHook(pftest.TestCase):
    @classmethod
    def setUpClass(cls):
        pftest.require_tls()

    def setUp(self):
        super().setUp()
        self.ca = pftest.CA(self.dir, "LE test CA")
        self.a = self.ca.issue("cert-A", ["ha.test"])
        self.b = self.ca.issue("cert-B", ["ha.test"])
        self.port, self.tlsport = pftest.free_port(), pftest.free_port()
        self.certs = os.path.join(self.dir, "certs")
        os.makedirs(self.certs)
        self.pem = os.path.join(self.certs, "site.pem")
        self.a.write_pem(self.pem)
        self.pidfile = os.path.join(self.dir, "pinfold.pid")
        acme = os.path.join(self.dir, "acme")
        os.makedirs(acme)
        self.pf = self.pinfold(CFG_TLS, listen=[(PROXY, self.port), (PROXY, self.tlsport)],
                               PORT=self.port, TLSPORT=self.tlsport, PEM=self.pem,
                               PIDFILE=self.pidfile, ACME=acme)
        pftest.wait_until(lambda: os.path.exists(self.pidfile), 5, what="the pid file")
        self.assertEqual(self.subject(), self.a.subject)

    def subject(self):
        sc = pftest.s_client(self.tlsport, servername="ha.test")
        self.assertTrue(sc.ok, sc)
        return sc.subject

    def reloads(self):
        return self.pf.stderr().count("configuration reloaded")

    def hook(self, env, *args):
        e = {k: v for k, v in os.environ.items()
             if k not in ("CERT_KEY_PATH", "CERT_FULLCHAIN_PATH", "RENEWED_LINEAGE")}
        e.update(env)
        return subprocess.run(["sh", HOOK] + list(args), env=e, capture_output=True, text=True,
                              timeout=30)

    def run_and_wait(self, env, want, *args):
        n = self.reloads()
        cp = self.hook(env, *args)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        pftest.wait_until(lambda: self.reloads() > n, 10, what="pinfold to reload after the hook")
        self.assertEqual(self.subject(), want.subject)
        st = os.stat(self.pem)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)
        with open(self.pem) as f:
            pem = f.read()
        self.assertIn("PRIVATE KEY", pem)
        self.assertIn("BEGIN CERTIFICATE", pem)
        self.assertEqual([x for x in os.listdir(self.certs) if x != "site.pem"], [],
                         "the hook left a temporary file")
        return st

    def test_acme_sh_then_certbot(self):
        group = None
        if os.geteuid() == 0:
            group = "nogroup"
            try:
                gid = grp.getgrnam(group).gr_gid
            except KeyError:
                group, gid = "nobody", grp.getgrnam("nobody").gr_gid
        env = dict(CERT_KEY_PATH=self.b.key, CERT_FULLCHAIN_PATH=self.b.chain,
                   PINFOLD_PEM=self.pem, PINFOLD_PIDFILE=self.pidfile)
        if group:
            env["PINFOLD_GROUP"] = group
        st = self.run_and_wait(env, self.b)
        if group:
            self.assertEqual(st.st_gid, gid)
        # certbot: a lineage directory with privkey.pem and fullchain.pem; options on the
        # command line instead of the environment
        live = os.path.join(self.dir, "live", "ha.test")
        os.makedirs(live)
        shutil.copy(self.a.key, os.path.join(live, "privkey.pem"))
        shutil.copy(self.a.chain, os.path.join(live, "fullchain.pem"))
        self.run_and_wait(dict(RENEWED_LINEAGE=live), self.a, "-o", self.pem, "-p", self.pidfile)
        self.assertTrue(self.pf.running())

    def test_bad_input_signals_nothing(self):
        n = self.reloads()
        with open(self.pem, "rb") as f:
            before = f.read()
        cp = self.hook(dict(CERT_KEY_PATH=os.path.join(self.dir, "missing.key"),
                            CERT_FULLCHAIN_PATH=self.b.chain, PINFOLD_PEM=self.pem,
                            PINFOLD_PIDFILE=self.pidfile))
        self.assertEqual(cp.returncode, 1)
        self.assertIn("cannot read the key", cp.stderr)
        cp = self.hook(dict(CERT_KEY_PATH=self.b.chain, CERT_FULLCHAIN_PATH=self.b.chain,
                            PINFOLD_PEM=self.pem, PINFOLD_PIDFILE=self.pidfile))
        self.assertEqual(cp.returncode, 1)
        self.assertIn("holds no private key", cp.stderr)
        cp = self.hook(dict(CERT_KEY_PATH=self.b.key, CERT_FULLCHAIN_PATH=self.b.chain))
        self.assertEqual(cp.returncode, 1)
        self.assertIn("PINFOLD_PEM", cp.stderr)
        with open(self.pem, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(self.reloads(), n)
        self.assertEqual(self.subject(), self.a.subject)


if __name__ == "__main__":
    pftest.main()
