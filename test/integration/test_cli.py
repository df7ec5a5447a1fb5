#!/usr/bin/python3
"""Story: the command line is Pound 4's.

-V prints the version and the TLS backend; -h prints usage; an unknown option fails;
-c checks a good config (exit 0) without starting; -p writes the pid file (removed at
exit); without -F pinfold daemonizes and keeps serving; -v starts verbosely.
"""
import os
import re
import shutil
import signal
import subprocess
import time

import pftest
from pftest import PROXY, get, run_pinfold

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            @BACKEND@
        End
    End
"""


def project_version():
    with open(os.path.join(pftest.REPO, "CMakeLists.txt")) as f:
        m = re.search(r"project\(\s*pinfold\s+VERSION\s+([0-9.]+)", f.read())
    return m.group(1)


def read(path):
    with open(path) as f:
        return f.read()


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


class Cli(pftest.TestCase):
    def cfgfile(self, port=None, be=None):
        text = pftest.cfg(CFG, PORT=port or pftest.free_port(),
                          BACKEND=pftest.be_block(be) if be else
                          "BackEnd\n    Address 127.0.0.2\n    Port 9\nEnd")
        return self.write("pinfold.cfg", text)

    def test_version(self):
        cp = run_pinfold(["-V"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        out = cp.stdout + cp.stderr
        self.assertIn(project_version(), out)
        self.assertRegex(out, r"(?i)tls")
        self.assertRegex(out, r"(?i)\b(none|mbedtls|openssl)\b")

    def test_help(self):
        cp = run_pinfold(["-h"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        out = cp.stdout + cp.stderr
        for opt in ("-f", "-c", "-F", "-e", "-v", "-p", "-V", "-h"):
            self.assertIn(opt, out, "usage does not mention %s" % opt)

    def test_unknown_option(self):
        cp = run_pinfold(["-Z"])
        self.assertNotEqual(cp.returncode, 0)
        self.assertTrue((cp.stdout + cp.stderr).strip(), "no message for an unknown option")

    def test_check_ok(self):
        port = pftest.free_port()
        cp = run_pinfold(["-c", "-f", self.cfgfile(port)])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertFalse(pftest.accepts(PROXY, port), "-c must not start listening")

    def test_missing_config_file(self):
        cp = run_pinfold(["-c", "-f", os.path.join(self.dir, "nope.cfg")])
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("nope.cfg", cp.stdout + cp.stderr)

    def test_pidfile_foreground(self):
        be = self.backend()
        port = pftest.free_port()
        pidfile = os.path.join(self.dir, "pinfold.pid")
        pf = self.pinfold(CFG, PORT=port, BACKEND=pftest.be_block(be),
                          args=("-F", "-e", "-p", pidfile))
        # the listener is bound before the pid file is written (detaching comes between)
        pftest.wait_until(lambda: os.path.exists(pidfile), 5, what="the pid file")
        with open(pidfile) as f:
            self.assertEqual(int(f.read().strip()), pf.pid)
        self.assertEqual(get(PROXY, port, "/x").status, 200)
        self.assertEqual(pf.stop(), 0)
        self.assertFalse(os.path.exists(pidfile), "pid file left behind after exit")

    @pftest.only_in_builds(lambda: not os.environ.get("PINFOLD_EMULATOR"),
                           "a cross build under qemu-user (strace would see qemu's calls)")
    def test_signals_caught_before_listening(self):
        """An init script may reload or stop pinfold the moment its port answers: by then
        SIGHUP and SIGTERM must be caught, or their default action kills it.  strace shows
        the order of the real calls: every handler installed before the first listen()."""
        if not shutil.which("strace"):
            self.skipTest("strace is not installed (test/deps.sh installs it)")
        be = self.backend()
        port = pftest.free_port()
        trace = os.path.join(self.dir, "strace.out")
        # LeakSanitizer cannot work under ptrace and aborts at exit; the other stories
        # check leaks, this one the order of calls.
        env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") +
                   ":detect_leaks=0")
        cp = subprocess.Popen(["strace", "-f", "-o", trace, "-e", "trace=rt_sigaction,listen",
                               pftest.binary(), "-F", "-e", "-f", self.cfgfile(port, be)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env)
        try:
            pftest.wait_until(lambda: pftest.accepts(PROXY, port), pftest.START_TIMEOUT,
                              what="pinfold under strace to listen")
            child = read("/proc/%d/task/%d/children" % (cp.pid, cp.pid)).split()
            self.assertEqual(len(child), 1, "pinfold should be strace's only child")
            os.kill(int(child[0]), signal.SIGTERM)
            self.assertEqual(cp.wait(timeout=pftest.STOP_TIMEOUT), 0)
        finally:
            if cp.poll() is None:
                cp.kill()
                cp.wait()
        lines = read(trace).splitlines()
        first_listen = next(i for i, x in enumerate(lines) if " listen(" in x)
        for name in ("SIGHUP", "SIGTERM", "SIGINT"):
            set_at = [i for i, x in enumerate(lines)
                      if re.search(r"rt_sigaction\(%s, \{sa_handler=0x" % name, x)]
            self.assertTrue(set_at, "no handler for %s in the trace" % name)
            self.assertLess(set_at[0], first_listen,
                            "%s caught only after the first listen()" % name)

    def test_verbose_start(self):
        be = self.backend()
        port = pftest.free_port()
        self.pinfold(CFG, PORT=port, BACKEND=pftest.be_block(be), args=("-F", "-e", "-v"))
        self.assertEqual(get(PROXY, port, "/x").status, 200)

    def test_daemonizes_without_F(self):
        be = self.backend()
        port = pftest.free_port()
        pidfile = os.path.join(self.dir, "daemon.pid")
        t0 = time.monotonic()
        cp = subprocess.run([pftest.binary(), "-f", self.cfgfile(port, be), "-p", pidfile],
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertLess(time.monotonic() - t0, pftest.slow(5), "the starting process did not return")
        pftest.wait_until(lambda: os.path.exists(pidfile), 5, what="pid file")
        pid = None
        try:
            pftest.wait_until(lambda: read(pidfile).strip().isdigit(), 5, what="pid in pid file")
            with open(pidfile) as f:
                pid = int(f.read().strip())
            self.assertTrue(pid_alive(pid), "daemon not running")
            pftest.wait_until(lambda: pftest.accepts(PROXY, port), 5, what="daemon listening")
            self.assertEqual(get(PROXY, port, "/daemon").status, 200)
            self.assertEqual(be.targets(), ["/daemon"])
            with open("/proc/%d/stat" % pid) as f:
                sid = int(f.read().rsplit(")", 1)[1].split()[3])
            self.assertNotEqual(sid, os.getsid(0), "daemon still in our session")
        finally:
            if pid and pid_alive(pid):
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 10
                while pid_alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                if pid_alive(pid):
                    os.kill(pid, signal.SIGKILL)
                    self.fail("daemon ignored SIGTERM")
        self.assertFalse(pftest.accepts(PROXY, port))


if __name__ == "__main__":
    pftest.main()
