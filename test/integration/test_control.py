#!/usr/bin/python3
"""Story: the operator looks at and steers a running pinfold with pinfoldctl.

`Control "PATH"` opens a 0600 UNIX socket; the real pinfoldctl lists listeners, services
and backends (aligned table, and JSON that python's json.loads reads) with counters that
follow real curl requests; `disable` sends traffic to the other backend (503 when none is
left) and `enable` brings it back; a killed backend shows as dead and `check` revives its
restarted process long before the Alive tick.  Garbage, oversized and silent clients get
an error and the proxy keeps serving.  A stale socket is replaced, a live one is not, the
socket is removed at exit and survives a reload.  As root with User nobody the socket is
nobody's and only root and nobody may use it.
"""
import grp
import json
import os
import pwd
import re
import signal
import socket
import stat
import subprocess
import time
import unittest

import pftest
from pftest import PROXY, get

ALIVE = 60  # far longer than any wait here: only `check` can revive a backend in time

CFG = """
    Control "@SOCK@"
    Alive @ALIVE@
    ConnTO 2
    @EXTRA@
    ListenHTTP "web"
        Address 127.0.0.1
        Port @PORT@
        Service "one"
            Url "^/one/"
            @A@
            @B@
        End
        Service "two"
            Url "^/two/"
            @C@
        End
    End
"""


_ctl = None


def ctl_binary():
    """pinfoldctl beside the pinfold under test: run natively when it can be (valgrind's
    PINFOLD_EMULATOR is for pinfold, and its log file is not writable by the other users
    this test runs the client as), else through the emulator (a cross build under qemu)."""
    global _ctl
    if _ctl is None:
        path = pftest._binary or os.environ.get("PINFOLD") or os.path.join(
            pftest.REPO, "build", "pinfold")
        _ctl = os.path.join(os.path.dirname(path), "pinfoldctl")
        emulator = os.environ.get("PINFOLD_EMULATOR", "").strip()
        if emulator and os.access(_ctl, os.X_OK):
            try:
                native = subprocess.run([_ctl, "-V"], capture_output=True,
                                        timeout=10).returncode == 0
            except OSError:
                native = False
            if not native:
                _ctl = pftest._emulated(emulator, _ctl)
    return _ctl


def pinfoldctl(*args, user=None, timeout=15):
    """Run the real pinfoldctl (optionally as another uid), bounded."""
    kw = {}
    if user is not None:
        pw = pwd.getpwnam(user)

        def drop():
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
        kw["preexec_fn"] = drop
    return subprocess.run([ctl_binary()] + list(args), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, **kw)


def raw_exchange(path, data, timeout=10.0, shut=True):
    """Send bytes on the control socket, read the reply to EOF (bounded)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # pinfold answered and closed before taking it all
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            out += b
        return out


class Control(pftest.TestCase):
    def setUp(self):
        super().setUp()
        if not os.access(ctl_binary(), os.X_OK):
            self.fail("pinfoldctl not found next to pinfold: %s" % ctl_binary())
        self.a = self.backend("A")
        self.b = self.backend("B")
        self.c = self.backend("C")
        self.port = pftest.free_port()
        self.sock = os.path.join(self.dir, "ctl.sock")

    def start(self, sock=None, extra="", name="pinfold", port=None, wait=True):
        pf = self.pinfold(CFG, name=name, wait=wait, SOCK=sock or self.sock, ALIVE=ALIVE,
                          EXTRA=extra, PORT=port or self.port,
                          A=pftest.be_block(self.a), B=pftest.be_block(self.b),
                          C=pftest.be_block(self.c))
        if wait:
            self.wait_socket(pf, sock or self.sock)
        return pf

    def wait_socket(self, pf, sock):
        """The listeners accept before the Control socket exists: wait until it answers."""
        pftest.wait_until(lambda: not pf.running() or pinfoldctl("-s", sock, "list").returncode
                          == 0, pftest.START_TIMEOUT, what="the Control socket")
        self.assertTrue(pf.running(), pf.stderr())

    def ctl(self, *args, ok=True, sock=None):
        cp = pinfoldctl("-s", sock or self.sock, *args)
        if ok:
            self.assertEqual(cp.returncode, 0, "pinfoldctl %s: %s" % (args, cp.stderr))
        return cp

    def state(self):
        """`pinfoldctl -j list`, parsed; backends by address."""
        doc = json.loads(self.ctl("-j", "list").stdout)
        bes = {}
        for lis in doc["listeners"]:
            for svc in lis["services"]:
                for be in svc["backends"]:
                    bes[be["address"]] = be
        return doc, bes

    def hits(self, prefix, n):
        seen = []
        for i in range(n):
            r = get(PROXY, self.port, "%s%d" % (prefix, i))
            seen.append(r.header("X-Backend") if r.status == 200 else r.status)
        return seen

    # ---- list -----------------------------------------------------------------------
    def test_list_table_json_and_counters(self):
        self.start()
        st = os.lstat(self.sock)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)

        doc, bes = self.state()
        self.assertEqual(doc["pid"], self.pf_pid())
        self.assertEqual(len(doc["listeners"]), 1)
        lis = doc["listeners"][0]
        self.assertEqual((lis["name"], lis["address"], lis["protocol"], lis["requests"]),
                         ("web", "127.0.0.1:%d" % self.port, "http", 0))
        self.assertEqual([s["name"] for s in lis["services"]], ["one", "two"])
        self.assertEqual(doc["services"], [])
        self.assertEqual(set(bes), {self.a.addr, self.b.addr, self.c.addr})
        for be in bes.values():
            self.assertEqual((be["alive"], be["enabled"], be["requests"], be["priority"]),
                             (True, True, 0, 5), be)
        self.assertEqual(bes[self.c.addr]["path"], "0/1/0")

        for i in range(6):
            cp = pftest.curl("-o", "/dev/null", "-w", "%{http_code}",
                             "http://%s:%d/one/%d" % (PROXY, self.port, i))
            self.assertEqual(cp.stdout, b"200")
        for i in range(3):
            self.assertEqual(get(PROXY, self.port, "/two/%d" % i).status, 200)
        self.assertEqual(get(PROXY, self.port, "/nowhere").status, 503)

        doc, bes = self.state()
        lis = doc["listeners"][0]
        self.assertEqual(lis["requests"], 10)
        self.assertEqual([s["requests"] for s in lis["services"]], [6, 3])
        self.assertEqual(bes[self.a.addr]["requests"] + bes[self.b.addr]["requests"], 6)
        self.assertEqual(bes[self.c.addr]["requests"], 3)
        self.assertEqual(bes[self.a.addr]["requests"], len(self.a.requests()))

        # a client connection held open shows in the listener's count
        with pftest.HttpConn(PROXY, self.port) as hc:
            hc.send(pftest.build_request("GET", "/two/held"))
            self.assertEqual(hc.read_response().status, 200)
            doc, _ = self.state()
            self.assertEqual(doc["listeners"][0]["connections"], 1)
            self.assertGreaterEqual(doc["connections"], 1)

        table = self.ctl("list").stdout
        lines = table.splitlines()
        head = next(ln for ln in lines if ln.startswith("BACKEND "))
        row = next(ln for ln in lines if ln.startswith("0/1/0 "))
        for col, value in (("ADDRESS", self.c.addr), ("STATE", "alive"), ("ENABLED", "yes"),
                           ("PRIO", "5"), ("ACTIVE", "0"), ("REQUESTS", "4")):
            at = head.index(col)
            self.assertEqual((row[at - 2:at], row[at:].split()[0]), ("  ", value),
                             "column %s not aligned:\n%s" % (col, table))
        svc_head = next(ln for ln in lines if ln.startswith("SERVICE "))
        svc_row = next(ln for ln in lines if ln.startswith("0/0 "))
        self.assertEqual(svc_row[svc_head.index("REQUESTS"):], "6", table)
        self.assertTrue(any(re.match(r"^0\s+web\s+127\.0\.0\.1:%d\s+http\s+\d+\s+11$"
                                     % self.port, ln) for ln in lines), table)

    def pf_pid(self):
        return self._pinfolds[-1].pid

    # ---- disable / enable -------------------------------------------------------------
    def test_disable_enable(self):
        self.start()
        cp = self.ctl("disable", "0/0/0")
        self.assertEqual(cp.stdout, "0/0/0 %s disabled\n" % self.a.addr)
        self.assertEqual(set(self.hits("/one/x", 12)), {"B"})
        _, bes = self.state()
        self.assertFalse(bes[self.a.addr]["enabled"])
        self.assertTrue(bes[self.a.addr]["alive"])

        # by address, JSON reply
        cp = self.ctl("-j", "disable", self.b.addr)
        self.assertEqual(json.loads(cp.stdout),
                         {"backends": [{"path": "0/0/1", "id": 1, "address": self.b.addr,
                                        "enabled": False}]})
        self.assertEqual(set(self.hits("/one/y", 3)), {503})
        self.assertEqual(self.hits("/two/", 2), ["C", "C"])  # the other service is untouched

        self.ctl("enable", "0/0/0")
        self.ctl("enable", self.b.addr)
        seen = set(self.hits("/one/z", 30))
        self.assertEqual(seen, {"A", "B"})
        _, bes = self.state()
        self.assertTrue(bes[self.a.addr]["enabled"] and bes[self.b.addr]["enabled"])

        # a disable outlives a reload (same address), and the socket stays
        self.ctl("disable", "0/0/1")
        pf = self._pinfolds[-1]
        pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: "configuration reloaded" in pf.stderr(), 5, what="reload")
        _, bes = self.state()
        self.assertFalse(bes[self.b.addr]["enabled"])
        self.assertEqual(set(self.hits("/one/r", 8)), {"A"})

    # ---- dead, check ------------------------------------------------------------------
    def test_dead_backend_and_check(self):
        self.start()
        self.assertEqual(self.ctl("check").stdout, "no dead backend to check\n")
        self.c.kill()
        self.assertEqual(get(PROXY, self.port, "/two/dead").status, 503)
        _, bes = self.state()
        self.assertFalse(bes[self.c.addr]["alive"])
        self.assertTrue(bes[self.a.addr]["alive"])
        row = next(ln for ln in self.ctl("list").stdout.splitlines() if ln.startswith("0/1/0 "))
        self.assertRegex(row, r"^0/1/0\s+%s\s+dead\s+yes\s" % re.escape(self.c.addr))

        # still down: the probe says so and it stays dead
        cp = self.ctl("check", "0/1/0")
        self.assertRegex(cp.stdout, r"^0/1/0 %s (dead|probing)\n$" % re.escape(self.c.addr))
        time.sleep(0.3)
        self.assertFalse(self.state()[1][self.c.addr]["alive"])

        self.c.start()  # same address and port
        t0 = time.monotonic()
        cp = self.ctl("-j", "check", self.c.addr)
        reply = json.loads(cp.stdout)
        self.assertIn(reply["backends"][0]["state"], ("alive", "probing"))
        pftest.wait_until(lambda: self.state()[1][self.c.addr]["alive"], 10, interval=0.05,
                          what="check to revive the restarted backend")
        self.assertLess(time.monotonic() - t0, min(pftest.slow(10), ALIVE - 5),
                        "revived by the Alive tick, not by check")
        self.assertEqual(self.hits("/two/back", 2), ["C", "C"])

    # ---- bad clients -----------------------------------------------------------------
    def test_bad_requests_and_errors(self):
        self.start()
        self.assertTrue(raw_exchange(self.sock, b"frobnicate\n").startswith(
            b"ERR unknown command \"frobnicate\""))
        self.assertTrue(raw_exchange(self.sock, b"\x00\xff\x1b[2J\n").startswith(
            b"ERR the request is not a line of printable text"))
        self.assertEqual(raw_exchange(self.sock, b"x" * 100000, shut=False),
                         b"ERR request too long (at most 511 bytes)\n")
        self.assertTrue(raw_exchange(self.sock, b"list").startswith(b"OK\n"))  # EOF ends it

        # a silent client does not hold anything up, and is sent away after its timeout
        silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        silent.settimeout(10)
        silent.connect(self.sock)
        half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        half.connect(self.sock)
        half.sendall(b"li")
        t0 = time.monotonic()
        self.assertEqual(get(PROXY, self.port, "/one/while-silent").status, 200)
        self.assertTrue(self.ctl("list").stdout.startswith("pid "))
        # done before the silent client was sent away: nobody waited for it (the order of
        # events, not a time, decides this)
        silent.setblocking(False)
        with self.assertRaises(BlockingIOError, msg="the silent client's 5 s passed first"):
            silent.recv(1000)
        silent.setblocking(True)
        silent.settimeout(pftest.slow(10))
        got = silent.recv(1000)
        self.assertEqual(got, b"ERR timed out waiting for a request\n")
        self.assertLess(time.monotonic() - t0, pftest.slow(8))
        silent.close()
        half.close()

        # pinfoldctl: errors from pinfold, usage, and no socket
        cp = self.ctl("disable", "7/0/0", ok=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("no listener 7", cp.stderr)
        cp = self.ctl("enable", "10.9.9.9:1", ok=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("no backend has the address", cp.stderr)
        cp = self.ctl("frob", ok=False)
        self.assertEqual(cp.returncode, 2)
        self.assertIn("unknown command", cp.stderr)
        cp = self.ctl("list", sock=os.path.join(self.dir, "absent.sock"), ok=False)
        self.assertEqual(cp.returncode, 3)
        self.assertIn("no control socket at", cp.stderr)
        self.assertEqual(get(PROXY, self.port, "/one/after").status, 200)

    # ---- the socket's life -------------------------------------------------------------
    def test_stale_socket_live_socket_and_removal(self):
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(self.sock)  # left behind by a crash: nothing listens on it
        stale.close()
        pf = self.start()
        self.assertIn("stale", pf.stderr())
        self.assertEqual(self.ctl("list").returncode, 0)

        # a second pinfold must not steal a socket that answers
        other = self.pinfold(CFG, name="second", wait=False, SOCK=self.sock, ALIVE=ALIVE,
                             EXTRA="", PORT=pftest.free_port(), A=pftest.be_block(self.a),
                             B=pftest.be_block(self.b), C=pftest.be_block(self.c))
        self.assertNotEqual(other.wait_exit(10), 0)
        other.expect_nonzero = True
        self.assertIn("another process answers", other.stderr())
        self.assertEqual(self.ctl("list").returncode, 0)

        # -f reads the socket from the config
        cp = pinfoldctl("-f", pf.cfg_path, "-j", "list")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(json.loads(cp.stdout)["pid"], pf.pid)

        # a changed Control on reload: a warning, the old socket keeps working
        with open(pf.cfg_path) as f:
            text = f.read()
        with open(pf.cfg_path, "w") as f:
            f.write(text.replace(self.sock, os.path.join(self.dir, "new.sock")))
        pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: "configuration reloaded" in pf.stderr(), 5, what="reload")
        self.assertIn("Control change needs a restart", pf.stderr())
        self.assertEqual(self.ctl("list").returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "new.sock")))

        self.assertEqual(pf.stop(), 0)
        self.assertFalse(os.path.exists(self.sock), "socket left behind at exit")
        cp = self.ctl("list", ok=False)
        self.assertEqual(cp.returncode, 3)

    def test_not_a_socket_is_left_alone(self):
        with open(self.sock, "w") as f:
            f.write("precious\n")
        pf = self.start(wait=False)
        self.assertNotEqual(pf.wait_exit(10), 0)
        pf.expect_nonzero = True
        self.assertIn("is not a socket", pf.stderr())
        with open(self.sock) as f:
            self.assertEqual(f.read(), "precious\n")

        missing = os.path.join(self.dir, "no-such-dir", "ctl.sock")
        pf = self.start(sock=missing, name="nodir", wait=False)
        self.assertNotEqual(pf.wait_exit(10), 0)
        pf.expect_nonzero = True
        self.assertIn("cannot create the Control socket %s: No such file or directory"
                      % missing, pf.stderr())
        self.assertFalse(pftest.accepts(PROXY, self.port))

    # ---- root: the socket belongs to User ---------------------------------------------------
    @unittest.skipUnless(os.geteuid() == 0, "owner change needs root")
    def test_root_socket_owned_by_user(self):
        group = next((g for g in ("nogroup", "nobody") if _has_group(g)), None)
        if not group:
            self.skipTest("no nogroup/nobody group")
        nobody = pwd.getpwnam("nobody")
        jail = os.path.join(self.dir, "jail")
        run = os.path.join(jail, "run")
        os.makedirs(run)
        os.chown(run, nobody.pw_uid, grp.getgrnam(group).gr_gid)  # so nobody can remove it
        sock = os.path.join(run, "ctl.sock")
        extra = 'User "nobody"\n    Group "%s"\n    RootJail "%s"' % (group, jail)
        # the config inside the jail, so that a reload finds it there
        pf = pftest.Pinfold(jail, pftest.cfg(CFG, SOCK=sock, ALIVE=ALIVE, EXTRA=extra,
                                             PORT=self.port, A=pftest.be_block(self.a),
                                             B=pftest.be_block(self.b),
                                             C=pftest.be_block(self.c)))
        self._pinfolds.append(pf)
        pf.start([(PROXY, self.port)])
        self.wait_socket(pf, sock)
        st = os.lstat(sock)
        self.assertEqual((st.st_uid, st.st_gid), (nobody.pw_uid, grp.getgrnam(group).gr_gid))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(os.readlink("/proc/%d/root" % pf.pid), os.path.realpath(jail))

        self.assertEqual(self.ctl("list", sock=sock).returncode, 0)      # root
        cp = pinfoldctl("-s", sock, "list", user="nobody")                # the User
        self.assertEqual(cp.returncode, 0, cp.stderr)
        other = next((u for u in ("daemon", "bin", "sys") if _has_user(u)), None)
        if other:
            cp = pinfoldctl("-s", sock, "list", user=other)
            self.assertEqual(cp.returncode, 3)
            self.assertIn("no permission", cp.stderr)

        # after a reload inside the jail the socket still works, and disable still acts
        pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: "configuration reloaded" in pf.stderr(), 5, what="reload")
        self.assertEqual(self.ctl("disable", "0/1/0", sock=sock).returncode, 0)
        self.assertEqual(get(PROXY, self.port, "/two/off").status, 503)
        self.assertEqual(pf.stop(), 0)
        self.assertFalse(os.path.exists(sock), "socket in the jail left behind at exit")


def _has_group(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def _has_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


if __name__ == "__main__":
    pftest.main(needs=["control"])
