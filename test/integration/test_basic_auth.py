#!/usr/bin/python3
"""Story: a proxy password in front of Home Assistant, Pound style, with the exemptions
the Google Assistant integration needs (seed 000).

The guard service is Pound's own example: `Not BasicAuth "file"` + `Error 401`, placed
before the real one; exemptions are more conditions on it (`Not ACL "google"`,
`Not Path -beg "/api/google_assistant"`).  The password file comes from Apache's htpasswd
with bcrypt (-B).  A request without credentials gets 401 with WWW-Authenticate (the realm
from `Rewrite response`); with the right ones it reaches Home Assistant without the
Authorization header the proxy consumed, and the user is in the access log; wrong ones are
"auth" refused lines, and after AuthFailLimit of them the address gets 429 without a check.
MD5 ($apr1$, htpasswd's default) and plain-text files are refused at start with FILE:LINE.
"""
import base64
import os
import signal
import subprocess
import time

import pftest
from pftest import PROXY, curl
from accessctl import get_from, has_tool, htpasswd_file, refused_lines, wait_refused

CFG = """
    LogLevel 4
    AuthFailLimit 3 60
    ACL "google"
        "127.0.0.70"
    End
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service "login-guard"
            Not ACL "google"
            Not Path -beg "/api/google_assistant"
            Not BasicAuth "@USERS@"
            Rewrite response
                SetHeader "WWW-Authenticate: Basic realm=\\"Home Assistant\\""
            End
            Error 401
        End
        Service "home-assistant"
            @BACKEND@
        End
    End
"""


def basic(user, password):
    return ("Authorization", "Basic " + base64.b64encode(
        ("%s:%s" % (user, password)).encode()).decode())


class BasicAuth(pftest.TestCase):
    def setUp(self):
        super().setUp()
        if not has_tool("htpasswd"):
            self.skipTest("htpasswd (apache2-utils) is not installed")
        self.be = self.backend()
        self.port = pftest.free_port()
        self.users = htpasswd_file(os.path.join(self.dir, "users"),
                                   [("alice", "correct horse"), ("bob", "battery staple")])

    def start(self):
        self.pf = self.pinfold(CFG, PORT=self.port, USERS=self.users,
                               BACKEND=pftest.be_block(self.be))

    def test_challenge_login_and_header_consumed(self):
        self.start()
        mark = self.be.mark()
        r = get_from("127.0.0.60", self.port, "/lovelace/0")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.headers_named("WWW-Authenticate"), ['Basic realm="Home Assistant"'])
        self.assertEqual(self.be.requests_since(mark), [])
        wait_refused(self.pf, lambda c, q, s, w: c == "127.0.0.60" and w == "noauth")
        # curl, as a person would
        cp = curl("-u", "alice:correct horse", "http://127.0.0.1:%d/api/config" % self.port)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        reqs = pftest.seen_requests(self.be)
        self.assertEqual(reqs[-1].target, "/api/config")
        self.assertEqual(reqs[-1].named("Authorization"), [])
        self.assertNotIn(b"Authorization", self.be.raw_bytes())
        pftest.wait_until(lambda: '127.0.0.1 - alice [' in self.pf.stderr(), 3,
                          what="the user in the access log")
        # and again on a keep-alive connection, many times: cached, still right
        for i in range(20):
            r = get_from("127.0.0.61", self.port, "/frontend/%d" % i,
                         [basic("bob", "battery staple")])
            self.assertEqual(r.status, 200)

    def test_wrong_password_then_limited(self):
        self.start()
        mark = self.be.mark()
        for i in range(3):
            r = get_from("127.0.0.62", self.port, "/", [basic("alice", "wrong%d" % i)])
            self.assertEqual(r.status, 401)
        # a fourth attempt, even with the right password, is not checked
        r = get_from("127.0.0.62", self.port, "/", [basic("alice", "correct horse")])
        self.assertEqual(r.status, 429)
        self.assertTrue(1 <= int(r.header("Retry-After")) <= 20, r.headers)
        self.assertEqual(self.be.requests_since(mark), [])
        lines = [x for x in refused_lines(self.pf) if x[0] == "127.0.0.62"]
        self.assertEqual([x[3] for x in lines], ["auth"] * 3 + ["authlimit"])
        self.assertEqual([x[2] for x in lines], ["401"] * 3 + ["429"])
        # another address is not affected
        r = get_from("127.0.0.63", self.port, "/", [basic("alice", "correct horse")])
        self.assertEqual(r.status, 200)

    def test_exemptions_by_path_and_address(self):
        self.start()
        r = get_from("127.0.0.64", self.port, "/api/google_assistant", method="POST",
                     headers=[("Authorization", "Bearer google-token")],
                     body=b'{"requestId":"1"}')
        self.assertEqual(r.status, 200)
        seen = pftest.seen_requests(self.be)[-1]
        self.assertEqual(seen.named("Authorization"), ["Bearer google-token"])
        r = get_from("127.0.0.70", self.port, "/api/states")
        self.assertEqual(r.status, 200)
        # a bearer token elsewhere is not our login: 401, and not counted as a failure
        for i in range(5):
            r = get_from("127.0.0.65", self.port, "/api/states",
                         [("Authorization", "Bearer ha-token")])
            self.assertEqual(r.status, 401)
        self.assertTrue(all(x[3] == "noauth" for x in refused_lines(self.pf)
                            if x[0] == "127.0.0.65"))

    def test_reload_reads_the_file_again(self):
        self.start()
        self.assertEqual(get_from("127.0.0.66", self.port, "/",
                                  [basic("carol", "new one")]).status, 401)
        htpasswd_file(self.users, [("carol", "new one")])
        self.pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: "configuration reloaded" in self.pf.stderr(), 5,
                          what="the reload")
        self.assertEqual(get_from("127.0.0.67", self.port, "/",
                                  [basic("carol", "new one")]).status, 200)
        self.assertEqual(get_from("127.0.0.67", self.port, "/",
                                  [basic("alice", "correct horse")]).status, 401)

    def refused_at_start(self, make):
        users = os.path.join(self.dir, "weak")
        make(users)
        text = pftest.cfg(CFG, PORT=self.port, USERS=users, BACKEND=pftest.be_block(self.be))
        path = self.write("weak.cfg", text)
        line = next(i for i, ln in enumerate(text.splitlines(), 1) if "BasicAuth" in ln)
        col = text.splitlines()[line - 1].index('"') + 1
        cp = pftest.run_pinfold(["-c", "-f", path])
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("%s:%d:%d: %s:1: user \"bob\": " % (path, line, col, users), cp.stderr)
        started = pftest.run_pinfold(["-F", "-e", "-f", path], timeout=10)
        self.assertNotEqual(started.returncode, 0)
        self.assertIn("%s:1: user \"bob\"" % users, started.stderr)
        return cp.stderr

    def test_md5_file_refused(self):
        def make(p):
            cp = subprocess.run(["htpasswd", "-b", "-c", "-m", p, "bob", "pw"],
                                       capture_output=True, timeout=30)
            self.assertEqual(cp.returncode, 0)
        err = self.refused_at_start(make)
        self.assertIn("Apache MD5 ($apr1$) hashes are refused", err)
        self.assertIn("htpasswd -B", err)

    def test_plain_text_file_refused(self):
        def make(p):
            with open(p, "w") as f:
                f.write("bob:hunter2\n")
        err = self.refused_at_start(make)
        self.assertIn("plain-text password, which is refused", err)


if __name__ == "__main__":
    pftest.main(needs=["basicauth"])
