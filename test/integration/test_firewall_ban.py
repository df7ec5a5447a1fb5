#!/usr/bin/python3
"""Story: an address pinfold refuses for failed logins or limits is dropped by the firewall.

Two paths, from pinfold's real "refused" lines:

- OpenWrt's banIP (not installable here): the shipped log term (configs/banip/pinfold.banip)
  selects the lines as banIP's log monitor does (`logread -e TERM`: a POSIX basic regex,
  run here by busybox grep over the lines in logread's format), and the address banIP
  would ban is taken by its rule (the last IP-looking string of the line; see
  banip_pick()).  That address goes into an nftables set with a drop rule on input, the
  shape of banIP's blocklist (a stand-in table, not banIP's): the client is dropped, another
  is not.  A client that writes an address into its request line plants nothing.
- fail2ban, for real: fail2ban-server with the shipped filter and jail settings reads
  pinfold's log file and bans with Debian's nftables action; the client's next connection
  to pinfold is refused by the kernel, another client still gets through.

Every client is a 127.0.0.x source address; the nftables tables live only for the test.
Skipped without nft permission, busybox, fail2ban or htpasswd.
"""
import os
import re
import shutil
import socket
import subprocess

import pftest
from accessctl import basic, get_from, has_tool, htpasswd_file, refused_lines

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BANIP = os.path.join(REPO, "configs", "banip", "pinfold.banip")
FILTER = os.path.join(REPO, "configs", "fail2ban", "filter.d", "pinfold.conf")
SLOW = float(os.environ.get("PFTEST_SLOW", "1"))
TABLE = "pinfold_test_%d" % os.getpid()

CFG = """
    LogLevel 1
    AuthFailLimit 3 60
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service "guard"
            Path -beg "/private"
            Not BasicAuth "@USERS@"
            Error 401
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

IPV4 = r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}"
IPV6 = r"(?:[A-Fa-f0-9]{0,4}:){2,7}[A-Fa-f0-9]{0,4}"


def banip_pick(line):
    """The address banIP's log monitor bans for a selected line (stand-in).

    As net/banip/files/banip-functions.sh f_monitor() does it with its default "last"
    anchor: IPv4 ":port" suffixes and "]:port" are dropped, then < > [ ] removed, the
    last IPv4- or IPv6-looking string of the whole line taken; a time of day (HH:MM:SS),
    127.* and 0.* yield nothing.  (This test's clients are 127.0.0.x, so the loopback
    exclusion is left out here: it is the one difference, and it never changes which
    string is the last.)
    """
    line = re.sub(r"(" + IPV4 + r"):[0-9]+", r"\1", line)
    line = re.sub(r"\]:[0-9]+", "]", line, count=1)
    line = re.sub(r"[<>\[\]]", "", line)
    found = re.findall(IPV4 + "|" + IPV6, line)
    if not found:
        return None
    ip = found[-1]
    if re.fullmatch(r"[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}", ip):
        return None
    return ip


def nft(*args, check=True):
    return subprocess.run(["nft"] + list(args), capture_output=True, text=True, timeout=30,
                          check=check)


def reaches(src, port):
    """True when a TCP connection from src to pinfold completes (bounded)."""
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(1.5 * SLOW)
    try:
        s.connect((pftest.PROXY, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class FirewallBan(pftest.TestCase):
    def setUp(self):
        super().setUp()
        for tool in ("nft", "busybox", "htpasswd"):
            if not has_tool(tool):
                self.skipTest("%s is not installed (Debian: nftables, busybox-static, "
                              "apache2-utils)" % tool)
        if os.geteuid() != 0 or nft("list", "tables", check=False).returncode != 0:
            self.skipTest("nftables needs root and CAP_NET_ADMIN")
        self.be = self.backend()
        self.port = pftest.free_port()
        users = htpasswd_file(os.path.join(self.dir, "users"), [("alice", "s3cret")])
        self.pf = self.pinfold(CFG, PORT=self.port, USERS=users,
                               BACKEND=pftest.be_block(self.be))
        self.addCleanup(nft, "delete", "table", "inet", TABLE, check=False)

    def provoke(self):
        p = self.port
        for i in range(3):                                                   # auth
            self.assertEqual(get_from("127.0.0.52", p, "/private",
                                      [basic("alice", "guess%d" % i)]).status, 401)
        for _ in range(3):                                                   # ratelimit
            get_from("127.0.0.54", p, "/auth/login_flow", method="POST", body=b"{}")
        # the client writes another address into its request line, twice over
        self.assertEqual(get_from("127.0.0.58", p, "/private?from=8.8.8.8",
                                  [basic("alice", "x")]).status, 401)
        self.assertEqual(get_from("127.0.0.58", p, "/private/[2001:db8::1]:80",
                                  [basic("alice", "x")]).status, 401)
        self.assertEqual(get_from("127.0.0.53", p, "/private",
                                  [basic("alice", "s3cret")]).status, 200)   # no line
        pftest.wait_until(lambda: {r[3] for r in refused_lines(self.pf)} >= {"auth", "ratelimit"},
                          5 * SLOW, what="auth and ratelimit lines")

    def test_banip_term_and_drop(self):
        self.provoke()
        term = [ln[len("term="):] for ln in open(BANIP).read().splitlines()
                if ln.startswith("term=")]
        self.assertEqual(len(term), 1)
        # pinfold's stderr lines as logread prints them from syslog
        log = os.path.join(self.dir, "logread.txt")
        with open(log, "w") as f:
            for ln in self.pf.stderr().splitlines():
                if ln.startswith("pinfold: "):
                    f.write("Mon Dec  7 23:16:33 2026 daemon.notice pinfold[812]: %s\n"
                            % ln[len("pinfold: "):])
        cp = subprocess.run(["busybox", "grep", "-e", term[0], log], capture_output=True,
                            text=True, timeout=30)
        self.assertIn(cp.returncode, (0, 1), cp.stderr)
        selected = cp.stdout.splitlines()
        picked = [banip_pick(ln) for ln in selected]
        self.assertEqual(set(picked), {"127.0.0.52", "127.0.0.54"}, selected)
        self.assertEqual(picked.count("127.0.0.52"), 3, selected)
        self.assertNotIn("8.8.8.8", picked)
        self.assertNotIn("2001:db8::1", picked)
        # without the term's care for the request line, the planted address would be banned
        planted = [banip_pick(ln) for ln in open(log).read().splitlines() if "8.8.8.8" in ln]
        self.assertEqual(set(planted), {"8.8.8.8"})

        # the blocklist: a set with timeouts and a drop rule on input, as banIP's
        nft("add", "table", "inet", TABLE)
        nft("add", "set", "inet", TABLE, "blocklist.v4", "{ type ipv4_addr; flags timeout; }")
        nft("add", "chain", "inet", TABLE, "pre",
            "{ type filter hook input priority -200; policy accept; }")
        nft("add", "rule", "inet", TABLE, "pre", "ip", "saddr", "@blocklist.v4",
            "tcp", "dport", str(self.port), "drop")
        self.assertTrue(reaches("127.0.0.52", self.port))
        for ip in sorted(set(picked)):
            nft("add", "element", "inet", TABLE, "blocklist.v4", "{ %s timeout 10m }" % ip)
        self.assertFalse(reaches("127.0.0.52", self.port), "a banned login guesser")
        self.assertFalse(reaches("127.0.0.54", self.port), "a banned rate-limited client")
        self.assertTrue(reaches("127.0.0.53", self.port), "a client never refused")
        self.assertTrue(reaches("127.0.0.58", self.port), "the client that planted addresses")

    def test_fail2ban_bans_into_nftables(self):
        for tool in ("fail2ban-server", "fail2ban-client"):
            if not has_tool(tool):
                self.skipTest("%s is not installed (Debian: fail2ban)" % tool)
        conf = os.path.join(self.dir, "fail2ban")
        shutil.copytree("/etc/fail2ban", conf)
        shutil.copy(FILTER, os.path.join(conf, "filter.d", "pinfold.conf"))
        for d in ("jail.d",):
            shutil.rmtree(os.path.join(conf, d), ignore_errors=True)
            os.makedirs(os.path.join(conf, d))
        run = os.path.join(self.dir, "f2b-run")
        os.makedirs(run)
        sock = os.path.join(run, "f2b.sock")
        with open(os.path.join(conf, "fail2ban.local"), "w") as f:
            f.write("[Definition]\nloglevel = INFO\nlogtarget = %s\nsocket = %s\n"
                    "pidfile = %s\ndbfile = :memory:\n"
                    % (os.path.join(run, "f2b.log"), sock, os.path.join(run, "f2b.pid")))
        # the shipped jail's settings, on pinfold's log file, banning into nftables on the
        # port pinfold listens on; loopback is not ignored (every client here is 127.0.0.x).
        with open(os.path.join(conf, "jail.local"), "w") as f:
            f.write("[DEFAULT]\nignoreself = false\nignoreip =\n"
                    "[pinfold]\nenabled = true\nfilter = pinfold[mode=normal]\n"
                    "logpath = %s\nbackend = polling\ndatepattern = {NONE}\n"
                    "maxretry = 3\nfindtime = 10m\nbantime = 1h\n"
                    "banaction = nftables[type=multiport, table=%s_f2b]\nport = %d\n"
                    "action = %%(action_)s\n" % (self.pf.err_path, TABLE, self.port))
        client = ["fail2ban-client", "-c", conf, "-s", sock]
        # fail2ban's own table, named for this test: removed even when its stop leaves it
        self.addCleanup(nft, "delete", "table", "inet", TABLE + "_f2b", check=False)
        subprocess.run(client + ["-x", "-b", "start"], capture_output=True, text=True,
                       timeout=60, check=True)
        self.addCleanup(subprocess.run, client + ["stop"], capture_output=True, timeout=60)
        pftest.wait_until(lambda: subprocess.run(client + ["status", "pinfold"],
                                                 capture_output=True).returncode == 0,
                          20 * SLOW, what="fail2ban's pinfold jail")
        self.assertTrue(reaches("127.0.0.52", self.port))
        self.provoke()

        def banned():
            out = subprocess.run(client + ["status", "pinfold"], capture_output=True,
                                 text=True).stdout
            return "127.0.0.52" in out and "127.0.0.54" not in out.split("Banned IP list:")[-1]
        pftest.wait_until(banned, 30 * SLOW, what="fail2ban banning 127.0.0.52")
        # the ban is recorded before its action has put the address into the nftables set
        pftest.wait_until(lambda: "127.0.0.52" in nft("list", "ruleset").stdout, 10 * SLOW,
                          what="127.0.0.52 in fail2ban's nftables set")
        self.assertFalse(reaches("127.0.0.52", self.port), "banned by fail2ban: dropped")
        self.assertTrue(reaches("127.0.0.53", self.port), "a client never refused")
        # two ratelimit lines only (below maxretry 3): not banned
        self.assertTrue(reaches("127.0.0.54", self.port))


if __name__ == "__main__":
    pftest.main()
