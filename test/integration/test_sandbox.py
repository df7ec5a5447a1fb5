#!/usr/bin/python3
"""Story: after start-up the running proxy cannot do what it never needs.

The kernel's own view is read from outside: /proc/PID/status (Seccomp 2 = a filter,
NoNewPrivs 1), /proc/PID/limits (no core size), the owner of /proc/PID when the proxy
runs as an unprivileged user (root:root = not dumpable, proc(5)), and a SIGSEGV with
RLIMIT_CORE unlimited in a directory where another process does leave a core.
Through the test-build hook (PINFOLD_TEST_FORBIDDEN, made at the next SIGHUP) a
running proxy tries fork, execve, a packet socket, a file opened for writing and an
unlink outside its pid-file directory: the first two end it with a last line naming
the call, the others fail and it keeps serving.
In builds without PINFOLD_SANDBOX only the core-file tests run; tests that need the test
hooks, root, Landlock or a kernel seccomp skip alone.  Under an emulator (qemu-user refuses seccomp)
only the warning is checked.
"""
import os
import pwd
import grp
import re
import resource
import signal
import subprocess
import unittest

import pftest
from pftest import PROXY, get

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            @BACKEND@
        End
    End
"""

SLOW = float(os.environ.get("PFTEST_SLOW", "1"))


def test_hooks():
    cp = pftest.run_pinfold(["-V"])
    return "Test hooks: PINFOLD_TEST_FORBIDDEN" in cp.stdout


def emulated():
    return bool(os.environ.get("PINFOLD_EMULATOR", "").strip())


def proc_field(pid, name):
    with open("/proc/%d/status" % pid) as f:
        m = re.search(r"^%s:\s*(.*)$" % name, f.read(), re.M)
    return m.group(1).strip() if m else None


class Sandbox(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()

    def start(self, forbidden=None, args=("-F", "-e", "-v")):
        if forbidden:
            os.environ["PINFOLD_TEST_FORBIDDEN"] = forbidden
        try:
            pf = self.pinfold(CFG, PORT=self.port, BACKEND=pftest.be_block(self.be),
                              args=args)
        finally:
            os.environ.pop("PINFOLD_TEST_FORBIDDEN", None)
        # the port is bound before the sandbox goes up: wait for the loop itself
        pftest.wait_until(lambda: "pinfold started" in pf.stderr() or not pf.running(),
                          10 * SLOW, what="pinfold started")
        return pf

    def need_filter(self, pf):
        if not pftest.has_feature("sandbox"):
            self.skipTest("built with PINFOLD_SANDBOX=OFF: no filter, no Landlock")
        if emulated():
            # qemu-user refuses seccomp; under valgrind pinfold does not try
            self.assertRegex(pf.stderr(), r"refuses seccomp filters|running under valgrind")
            self.skipTest("under an emulator: no seccomp filter (warning checked)")
        if proc_field(pf.pid, "Seccomp") is None:
            self.skipTest("this kernel shows no Seccomp field in /proc/PID/status")

    def test_filter_installed_and_serving(self):
        pf = self.start()
        self.need_filter(pf)
        self.assertEqual(proc_field(pf.pid, "Seccomp"), "2", "no seccomp filter in force")
        self.assertEqual(proc_field(pf.pid, "NoNewPrivs"), "1")
        self.assertIn("sandbox: seccomp filter on", pf.stderr())
        for i in range(3):
            self.assertEqual(get(PROXY, self.port, "/ok%d" % i).status, 200)

    def test_core_limit_zero(self):
        if emulated():
            self.skipTest("under an emulator /proc shows the emulator's limits")
        pf = self.start()
        with open("/proc/%d/limits" % pf.pid) as f:
            core = [line for line in f if line.startswith("Max core file size")][0].split()
        self.assertEqual(core[4:6], ["0", "0"], "RLIMIT_CORE must be 0/0: %s" % core)

    def forbidden_kills(self, call, names):
        if not test_hooks():
            self.skipTest("not a test build (no PINFOLD_TEST_FORBIDDEN hook)")
        pf = self.start(forbidden=call)
        self.need_filter(pf)
        self.assertEqual(get(PROXY, self.port, "/before").status, 200)
        pf.signal(signal.SIGHUP)
        rc = pf.wait_exit(10 * SLOW)
        pf.expect_nonzero = True
        self.assertEqual(rc, 70, "the process must end (EX_SOFTWARE) on a forbidden %s\n%s"
                         % (call, pf.stderr()))
        last = pf.stderr().strip().splitlines()[-1]
        self.assertRegex(last, r"^pinfold: sandbox: forbidden system call (%s) \(\S+ \d+\), "
                         r"stopping$" % names)
        self.assertNotIn("returned", pf.stderr(), "the call must not have run")

    def test_fork_is_fatal(self):
        # glibc and musl make fork() a clone (or fork, where the ABI still has it)
        self.forbidden_kills("fork", "clone|fork")

    def test_execve_is_fatal(self):
        self.forbidden_kills("execve", "execve")

    @unittest.skipUnless(os.geteuid() == 0, "a private /dev/log needs root (mount namespace)")
    def test_last_line_reaches_syslog(self):
        # The log socket a router has: in a mount namespace of its own, /dev/log is a socket
        # this test reads, bound only after pinfold started (a syslogd restarted later), so
        # the line must find it by name, not only through the socket connected at start.
        if not test_hooks():
            self.skipTest("not a test build (no PINFOLD_TEST_FORBIDDEN hook)")
        if emulated():
            self.skipTest("under an emulator: no seccomp filter")
        if not pftest.has_feature("sandbox"):
            self.skipTest("built with PINFOLD_SANDBOX=OFF")
        cfg = self.write("syslog.cfg", pftest.cfg(CFG, PORT=self.port,
                                                   BACKEND=pftest.be_block(self.be)))
        got = os.path.join(self.dir, "syslog.out")
        old = os.path.join(self.dir, "olddev")
        os.makedirs(old)
        listener = ("import socket,sys,time\n"
                    "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n"
                    "s.bind('/dev/log'); s.settimeout(%f)\n"
                    "f=open(sys.argv[1],'ab')\n"
                    "while True:\n"
                    "    try: d=s.recv(4096)\n"
                    "    except socket.timeout: break\n"
                    "    f.write(d+b'\\n'); f.flush()\n"
                    "    if b'stopping' in d: break\n" % (10 * SLOW))
        script = """
            set -e
            mount --bind /dev "$OLD"; mount -t tmpfs tmpfs /dev
            touch /dev/null; mount --bind "$OLD/null" /dev/null
            "$PF" -F -f "$CFG" </dev/null >/dev/null 2>&1 & p=$!
            sleep 0.5
            python3 -c "$LISTENER" "$GOT" & l=$!
            i=0; until [ -S /dev/log ] || [ $i -ge 100 ]; do i=$((i+1)); sleep 0.1; done
            kill -HUP $p
            st=0; wait $p || st=$?
            echo "exit=$st" >>"$GOT.status"
            wait $l || true  # it stops at the last line, or after a quiet while
        """
        env = dict(os.environ, OLD=old, PF=pftest.binary(), CFG=cfg, GOT=got, LISTENER=listener,
                   PINFOLD_TEST_FORBIDDEN="execve")
        try:
            cp = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                                env=env, capture_output=True, text=True, timeout=30 * SLOW)
        except FileNotFoundError:
            self.skipTest("no unshare(1)")
        if cp.returncode != 0 and "mount" in cp.stderr:
            self.skipTest("cannot make a mount namespace here: %s" % cp.stderr.strip())
        self.assertEqual(cp.returncode, 0, cp.stderr)
        with open(got + ".status") as f:
            self.assertEqual(f.read().strip(), "exit=70")
        with open(got, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        self.assertRegex(lines[-1], r"^<26>pinfold\[\d+\]: sandbox: forbidden system call "
                                    r"execve \(\S+ \d+\), stopping$",
                         "daemon.crit line of the trap, after:\n%s" % "\n".join(lines))

    def refused_and_running(self, call, want):
        if not test_hooks():
            self.skipTest("not a test build (no PINFOLD_TEST_FORBIDDEN hook)")
        pf = self.start(forbidden=call)
        self.need_filter(pf)
        pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: "test hook: %s returned" % call in pf.stderr(), 10 * SLOW,
                          what="the hook's result in the log")
        self.assertRegex(pf.stderr(), r"test hook: %s returned -1 \(%s\)" % (call, want))
        self.assertEqual(get(PROXY, self.port, "/after").status, 200)
        return pf

    def test_packet_socket_refused(self):
        self.refused_and_running("socket-packet", "Address family not supported by protocol")

    def test_open_for_writing_refused(self):
        self.refused_and_running("open-write", "Permission denied")
        self.assertFalse(os.path.exists("/pinfold-test-hook"))

    def test_landlock_no_removal_outside_pidfile_dir(self):
        if not test_hooks():
            self.skipTest("not a test build (no PINFOLD_TEST_FORBIDDEN hook)")
        victim = self.write("victim.txt", "stay\n")
        piddir = os.path.join(self.dir, "run")
        os.makedirs(piddir)
        pidfile = os.path.join(piddir, "pinfold.pid")
        pf = self.start(forbidden="unlink:" + victim, args=("-F", "-e", "-v", "-p", pidfile))
        self.need_filter(pf)
        if "no Landlock" in pf.stderr():
            self.skipTest("this kernel has no Landlock")
        pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: "returned" in pf.stderr(), 10 * SLOW, what="hook result")
        self.assertRegex(pf.stderr(), r"test hook: unlink:\S+ returned -1 \(Permission denied\)")
        self.assertTrue(os.path.exists(victim), "Landlock let the proxy remove a file")
        self.assertTrue(os.path.exists(pidfile))
        self.assertEqual(pf.stop(), 0)
        self.assertFalse(os.path.exists(pidfile), "the pid file must still go at exit")

    @unittest.skipUnless(os.geteuid() == 0, "starting as another user needs root")
    def test_not_dumpable(self):
        # proc(5): the files of a process that is not dumpable belong to root, whoever runs it
        if emulated():
            self.skipTest("under an emulator /proc shows the emulator's state")
        group = "nogroup" if "nogroup" in [g.gr_name for g in grp.getgrall()] else "nobody"
        p = pftest.Pinfold(self.dir, pftest.cfg(CFG, PORT=self.port,
                                                BACKEND=pftest.be_block(self.be)), "asnobody")
        cmd = ["setpriv", "--reuid=nobody", "--regid=" + group, "--clear-groups",
               pftest.binary(), "-F", "-e", "-f", p.cfg_path]
        with open(p.err_path, "w") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                    cwd=self.dir)
        try:
            # bound first, sandboxed after: the line says the loop runs
            pftest.wait_until(lambda: "pinfold started" in p.stderr()
                              or proc.poll() is not None, 10 * SLOW, what="pinfold as nobody")
            self.assertIsNone(proc.poll(), pftest.tail(p.err_path))
            st = os.stat("/proc/%d/status" % proc.pid)
            self.assertEqual(proc_field(proc.pid, "Uid").split()[0],
                             str(pwd.getpwnam("nobody").pw_uid))
            self.assertEqual((st.st_uid, st.st_gid), (0, 0),
                             "/proc/PID of a nobody process owned by %d:%d: still dumpable"
                             % (st.st_uid, st.st_gid))
        finally:
            proc.terminate()
            proc.wait(timeout=10 * SLOW)

    def test_no_core_on_sigsegv(self):
        if emulated():
            self.skipTest("under an emulator the core would be the emulator's")
        old = resource.getrlimit(resource.RLIMIT_CORE)
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (old[1], old[1]))
        except (ValueError, OSError):
            self.skipTest("cannot raise RLIMIT_CORE here")
        try:
            # the control: an ordinary process in the same directory leaves a core
            ctl = subprocess.Popen(["sleep", "30"], cwd=self.dir)
            ctl.send_signal(signal.SIGSEGV)
            ctl.wait(timeout=10)
            cores = [f for f in os.listdir(self.dir) if f.startswith("core")]
            if not cores:
                self.skipTest("this system writes no core files (core_pattern %s)"
                              % open("/proc/sys/kernel/core_pattern").read().strip())
            for f in cores:
                os.unlink(os.path.join(self.dir, f))
            pf = self.start()
        finally:
            resource.setrlimit(resource.RLIMIT_CORE, old)
        pf.signal(signal.SIGSEGV)
        rc = pf.wait_exit(10 * SLOW)
        pf.expect_nonzero = True
        # killed by it (a sanitizer build reports it and aborts instead)
        self.assertIsNotNone(rc, "pinfold survived a SIGSEGV")
        self.assertNotEqual(rc, 0)
        self.assertEqual([f for f in os.listdir(self.dir) if f.startswith("core")], [],
                         "pinfold left a core file (private keys on disk)")


if __name__ == "__main__":
    # no core files and no tracing are not optional: those tests run in every build
    pftest.main()
