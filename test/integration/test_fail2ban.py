#!/usr/bin/python3
"""Story: fail2ban bans what pinfold refuses, reading pinfold's real log output.

pinfold (with -e) is made to refuse requests every way it can - failed and missing logins,
the login limit, rate limits, address lists, per-address connection caps, filtered paths,
oversized and malformed requests, header timeouts - and also serves good requests.  Then
Debian's fail2ban-regex runs the shipped filter (configs/fail2ban/filter.d/pinfold.conf)
over that stderr: in "normal" mode it must match exactly the refusals that mean an attack
(auth, authlimit, ratelimit, connlimit, acl) with the right address each, never an access
log line or a missing-credentials 401; "aggressive" adds the rest.  The same lines in
syslog form (what the filter meets on a router) match the same way, a request line crafted
to look like another refusal cannot smuggle in a second address, and fail2ban-client
accepts the shipped jail.
"""
import os
import re
import shutil
import socket
import subprocess
import time

import pftest
from pftest import PROXY, build_request
from accessctl import (SrcConn, basic, get_from, has_tool, htpasswd_file, refused_lines,
                       request_from)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FILTER = os.path.join(REPO, "configs", "fail2ban", "filter.d", "pinfold.conf")
JAIL = os.path.join(REPO, "configs", "fail2ban", "jail.d", "pinfold.conf")

NORMAL = {"auth", "authlimit", "ratelimit", "connlimit", "acl"}

CFG = """
    LogLevel 1
    AuthFailLimit 2 60
    MaxConnsPerIP 2
    ACL "blocked"
        "127.0.0.66"
    End
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Client 1
        MaxURI 100
        Not ACL "blocked"
        Service "guard"
            Path -beg "/private"
            Not BasicAuth "@USERS@"
            Error 401
        End
        Service "scanners"
            Path -re "^/(wp-admin|wp-login\\.php|\\.env)"
            Error 404
        End
        Service "login"
            URL -beg "/auth/login_flow"
            RateLimit 2 60
            @BACKEND@
        End
        Service
            @BACKEND@
        End
    End
"""


class Fail2ban(pftest.TestCase):
    def setUp(self):
        super().setUp()
        for tool in ("fail2ban-regex", "fail2ban-client", "htpasswd"):
            if not has_tool(tool):
                self.skipTest("%s is not installed (Debian: fail2ban, apache2-utils)" % tool)
        self.be = self.backend()
        self.port = pftest.free_port()
        users = htpasswd_file(os.path.join(self.dir, "users"), [("alice", "s3cret")])
        self.pf = self.pinfold(CFG, PORT=self.port, USERS=users,
                               BACKEND=pftest.be_block(self.be))
        # fail2ban's filter.d with the shipped filter in it (common.conf comes from Debian)
        self.conf = os.path.join(self.dir, "fail2ban")
        shutil.copytree("/etc/fail2ban", self.conf)
        shutil.copy(FILTER, os.path.join(self.conf, "filter.d", "pinfold.conf"))

    def provoke(self):
        """Every kind of refusal, plus traffic that must not count."""
        p = self.port
        ok = get_from("127.0.0.50", p, "/lovelace")                       # served: no line
        self.assertEqual(ok.status, 200)
        self.assertEqual(get_from("127.0.0.51", p, "/private").status, 401)   # noauth
        for i in range(2):
            self.assertEqual(get_from("127.0.0.52", p, "/private",
                                      [basic("alice", "guess%d" % i)]).status, 401)  # auth
        self.assertEqual(get_from("127.0.0.52", p, "/private",
                                  [basic("alice", "s3cret")]).status, 429)      # authlimit
        self.assertEqual(get_from("127.0.0.53", p, "/private",
                                  [basic("alice", "s3cret")]).status, 200)      # no line
        for i in range(3):
            get_from("127.0.0.54", p, "/auth/login_flow", method="POST", body=b"{}")
        self.assertEqual(get_from("127.0.0.66", p, "/").status, 403)           # acl
        self.assertEqual(get_from("127.0.0.55", p, "/wp-login.php").status, 404)  # filter
        self.assertEqual(get_from("127.0.0.56", p, "/" + "x" * 200).status, 414)  # limit
        r = request_from("127.0.0.57", p, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        self.assertEqual(r.status, 400)                                            # badrequest
        # the request line is the attacker's: it tries to plant another address
        r = request_from("127.0.0.58", p, b'GET /wp-admin/" 403 acl\r\nrefused 10.9.9.9 "x HTTP/1.1'
                         b"\r\nHost: a\r\n\r\n")
        with SrcConn(PROXY, p, "127.0.0.59", timeout=4) as c:                   # timeout
            c.send(b"GET /slow HTTP/1.1\r\n")
            self.assertEqual(c.read_response(timeout=4).status, 408)
        socks = []
        for _ in range(3):                                                      # connlimit
            s = socket.socket()
            s.bind(("127.0.0.60", 0))
            s.connect((PROXY, p))
            socks.append(s)
        time.sleep(0.3)
        for s in socks:
            s.close()
        pftest.wait_until(lambda: {x[3] for x in refused_lines(self.pf)} >= NORMAL, 5,
                          what="every kind of refused line")
        time.sleep(0.2)

    def regex(self, log, mode=None, extra=()):
        f = os.path.join(self.conf, "filter.d", "pinfold.conf")
        if mode:
            f += "[mode=%s]" % mode
        cp = subprocess.run(["fail2ban-regex"] + list(extra) + ["-o", "ip", log, f],
                            capture_output=True, text=True, timeout=60)
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        return [ln.strip() for ln in cp.stdout.splitlines() if ln.strip()]

    def test_filter_on_real_output(self):
        self.provoke()
        lines = refused_lines(self.pf)
        reasons = {x[3] for x in lines}
        self.assertTrue(NORMAL <= reasons, reasons)
        self.assertTrue({"noauth", "filter", "limit", "badrequest", "timeout"} <= reasons,
                        reasons)
        log = self.pf.err_path
        want_normal = [x[0] for x in lines if x[3] in NORMAL]
        got = self.regex(log, extra=["-d", "{NONE}"])
        self.assertEqual(got, want_normal)
        self.assertNotIn("127.0.0.50", got)        # served requests, access log lines
        self.assertNotIn("127.0.0.51", got)        # a browser before its login prompt
        self.assertNotIn("10.9.9.9", got)          # planted in a request line
        self.assertEqual(got.count("127.0.0.52"), 3)
        self.assertIn("127.0.0.60", got)
        # aggressive: every refusal, each with its own address
        got = self.regex(log, mode="aggressive", extra=["-d", "{NONE}"])
        self.assertEqual(got, [x[0] for x in lines])
        self.assertNotIn("10.9.9.9", got)

        # the same lines as syslog writes them on a router
        sys_log = os.path.join(self.dir, "syslog")
        with open(log) as src, open(sys_log, "w") as dst:
            for i, ln in enumerate(src.read().splitlines()):
                body = re.sub(r"^pinfold: ", "", ln)
                dst.write("Nov 23 12:%02d:%02d router pinfold[4242]: %s\n"
                          % (i // 60 % 60, i % 60, body))
        self.assertEqual(self.regex(sys_log), want_normal)

    def test_jail_is_accepted(self):
        self.provoke()
        sys_log = os.path.join(self.dir, "syslog")
        with open(sys_log, "w") as f:
            f.write("".join("Nov 23 12:00:%02d router pinfold[1]: %s\n"
                            % (i % 60, ln.split("pinfold: ", 1)[1])
                            for i, ln in enumerate(self.pf.stderr().splitlines())))
        jail = os.path.join(self.conf, "jail.d")
        for n in os.listdir(jail):            # Debian's own jails want its logs
            os.unlink(os.path.join(jail, n))
        with open(JAIL) as f:
            text = f.read()
        self.assertIn("filter   = pinfold[mode=normal]", text)
        text = text.replace("enabled  = false", "enabled  = true")
        text = re.sub(r"(?m)^logpath .*$", "logpath  = " + sys_log, text)
        with open(os.path.join(jail, "pinfold.conf"), "w") as f:
            f.write(text)
        cp = subprocess.run(["fail2ban-client", "-c", self.conf, "-t"], capture_output=True,
                            text=True, timeout=60)
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("OK", cp.stdout + cp.stderr)


if __name__ == "__main__":
    pftest.main(needs=["basicauth"])
