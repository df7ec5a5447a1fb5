#!/usr/bin/python3
"""Story: pinfold never runs as root, and still listens where root must bind (SocketFrom).

A small helper (here, in the test; on a router a root script or the init system) binds
127.0.0.1:PORT, listens, and hands the socket over a UNIX socket with SCM_RIGHTS
(socket.send_fds).  pinfold, started as nobody (setpriv, when the tests run as root) with
`SocketFrom "/path"` instead of Address/Port, receives it and serves requests on it;
X-Forwarded-Port is the received socket's port.  When run as root, the helper binds a port
below 1024 if one is free.  A reload with the same SocketFrom keeps the socket (the helper
is not asked again, and may be gone).  A missing socket path, a helper that sends no
descriptor, a socket that is not listening, a UDP socket or a plain file: a clear error
naming file:line, and a non-zero exit.
"""
import errno
import os
import pwd
import random
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import pftest
from pftest import PROXY, get

CFG = """
    ListenHTTP
        SocketFrom "@SOCK@"
        Service
            @BACKEND@
        End
    End
"""


def nobody_ids():
    pw = pwd.getpwnam("nobody")
    return pw.pw_uid, pw.pw_gid


class FdHelper:
    """Serves one descriptor (made by make_fd) to every client of a UNIX socket at path."""

    def __init__(self, path, make_fd):
        self.path, self.make_fd = path, make_fd
        self.count = 0
        self.stopping = False
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        os.chmod(path, 0o666)  # pinfold connects as nobody
        self.srv.listen(4)
        self.srv.settimeout(0.1)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        deadline = time.monotonic() + 120
        while not self.stopping and time.monotonic() < deadline:
            try:
                conn, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            with conn:
                fd = self.make_fd()
                if fd is None:
                    conn.sendall(b"no descriptor for you")
                else:
                    socket.send_fds(conn, [b"x"], [fd])
                self.count += 1

    def stop(self):
        self.stopping = True
        self.thread.join(5)
        self.srv.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


class NonRootPinfold(pftest.Pinfold):
    """pinfold started as nobody when the tests run as root (setpriv), else as we are."""

    def start(self, listen=(), args=("-F", "-e"), wait=True):
        self.listen = list(listen)
        if self.listen:
            self.host, self.port = self.listen[0]
        cmd = [pftest.binary()] + list(args) + ["-f", self.cfg_path]
        if os.geteuid() == 0:
            uid, gid = nobody_ids()
            cmd = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--clear-groups"] + cmd
        self.cmd = cmd
        self.jail = None
        self.proc = pftest._spawn(cmd, self.out_path, self.err_path, cwd=self.dir)
        if wait:
            self.wait_ready()
        return self


class SocketFrom(pftest.TestCase):
    def setUp(self):
        super().setUp()
        os.chmod(self.dir, 0o755)
        self.helpers = []
        # a short path: sun_path holds about 100 bytes
        self.sockdir = tempfile.mkdtemp(prefix="pf-sf-")
        os.chmod(self.sockdir, 0o755)
        self.sock = os.path.join(self.sockdir, "listen.sock")
        self.be = self.backend()
        self.keep = []  # descriptors the helper hands out, closed at tearDown

    def tearDown(self):
        for h in self.helpers:
            h.stop()
        for s in self.keep:
            s.close()
        try:
            os.rmdir(self.sockdir)
        except OSError:
            pass
        super().tearDown()

    def helper(self, make_fd, path=None):
        h = FdHelper(path or self.sock, make_fd)
        self.helpers.append(h)
        return h

    def listening(self, port=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((PROXY, port or pftest.free_port()))
        s.listen(16)
        self.keep.append(s)
        return s

    def low_port_socket(self):
        """As root: a listening socket on a free port below 1024 (a few tries), else None."""
        if os.geteuid() != 0:
            return None
        for port in random.sample(range(700, 1024), 8):
            try:
                return self.listening(port)
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    raise
        return None

    def start(self, wait_port=None, expect_fail=False, text=CFG, **subst):
        subst.setdefault("SOCK", self.sock)
        subst.setdefault("BACKEND", pftest.be_block(self.be))
        p = NonRootPinfold(self.dir, pftest.cfg(text, **subst))
        self._pinfolds.append(p)
        if expect_fail:
            p.expect_nonzero = True
            p.start(wait=False)
            rc = p.wait_exit(15)
            self.assertIsNotNone(rc, "pinfold did not exit")
            self.assertNotEqual(rc, 0)
            return p
        # the port accepts as soon as the helper listens: wait for pinfold itself
        p.start(wait=False)
        pftest.wait_until(lambda: "pinfold started" in p.stderr() or not p.running(), 10,
                          what="pinfold to start")
        self.assertTrue(p.running(), p.stderr())
        return p

    def uids(self, pid):
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Uid:"):
                    return [int(x) for x in line.split()[1:]]
        return None

    def test_serves_on_received_socket_as_nobody(self):
        lsock = self.low_port_socket() or self.listening()
        port = lsock.getsockname()[1]
        h = self.helper(lambda: lsock.fileno())
        pf = self.start(wait_port=port)
        if os.geteuid() == 0:
            self.assertEqual(self.uids(pf.pid), [nobody_ids()[0]] * 4)
        self.assertNotIn(0, self.uids(pf.pid))
        r = get(PROXY, port, "/via-socketfrom")
        self.assertEqual(r.status, 200, r)
        seen = pftest.seen_requests(self.be)
        self.assertEqual([s.target for s in seen], ["/via-socketfrom"])
        self.assertEqual(seen[0].named("X-Forwarded-Port"), [str(port)])
        self.assertEqual(h.count, 1)
        # a reload with the same SocketFrom keeps the socket: the helper is gone and not needed
        h.stop()
        n = pf.stderr().count("configuration reloaded")
        pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: pf.stderr().count("configuration reloaded") > n, 10,
                          what="the reload")
        for i in range(5):
            self.assertEqual(get(PROXY, port, "/after-reload-%d" % i).status, 200)
        self.assertEqual(h.count, 1)

    def test_reload_to_a_new_socket(self):
        a = self.listening()
        self.helper(lambda: a.fileno())
        pf = self.start(wait_port=a.getsockname()[1])
        b = self.listening()
        sock2 = os.path.join(self.sockdir, "second.sock")
        h2 = self.helper(lambda: b.fileno(), sock2)
        with open(pf.cfg_path, "w") as f:
            f.write(pftest.cfg(CFG, SOCK=sock2, BACKEND=pftest.be_block(self.be)))
        n = pf.stderr().count("configuration reloaded")
        pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: pf.stderr().count("configuration reloaded") > n, 10,
                          what="the reload")
        self.assertEqual(h2.count, 1)
        self.assertEqual(get(PROXY, b.getsockname()[1], "/new").status, 200)

    def test_missing_socket_path(self):
        pf = self.start(expect_fail=True, SOCK=os.path.join(self.sockdir, "nope.sock"))
        err = pf.stderr()
        self.assertRegex(err, r"pinfold\.cfg:2: SocketFrom: cannot connect to .*nope\.sock: "
                              r"No such file or directory")

    def bad_helper(self, make_fd, want):
        self.helper(make_fd)
        pf = self.start(expect_fail=True)
        self.assertRegex(pf.stderr(), r"pinfold\.cfg:2: SocketFrom: .*" + want)

    def test_no_descriptor(self):
        self.bad_helper(lambda: None, r"without sending a socket")

    def test_not_listening(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((PROXY, 0))
        self.keep.append(s)
        self.bad_helper(lambda: s.fileno(), r"not listening")

    def test_udp_socket(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((PROXY, 0))
        self.keep.append(s)
        self.bad_helper(lambda: s.fileno(), r"not a stream")

    def test_plain_file(self):
        f = open(os.path.join(self.dir, "plain"), "w")
        self.keep.append(f)
        self.bad_helper(lambda: f.fileno(), r"not a socket")

    def test_address_with_socketfrom_is_config_error(self):
        text = pftest.cfg("""
            ListenHTTP
                SocketFrom "/run/x.sock"
                Address 127.0.0.1
                Port 8080
                Service
                    Error 404
                End
            End
        """)
        path = self.write("both.cfg", text)
        cp = pftest.run_pinfold(["-c", "-f", path])
        self.assertEqual(cp.returncode, 1)
        self.assertRegex(cp.stderr, r"both\.cfg:3:\d+: SocketFrom \(line 2\) replaces Address and Port")


if __name__ == "__main__":
    pftest.main()
