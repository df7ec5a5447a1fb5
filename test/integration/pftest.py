"""
pftest.py - a tiny harness for pinfold's integration tests.

Real parts only: the real pinfold binary, a recording backend (recbackend.py),
nginx from Debian, curl, raw sockets.  Everything listens on 127.0.0.0/8 or ::1:
  127.0.0.1  pinfold's listeners        (the router)
  127.0.0.2  recbackend                 (the "LAN host", Home Assistant)
  127.0.0.3  nginx                      (a second, real backend serving files)
Every wait is bounded; every process started here is stopped here.

Scripts use it like this:

    import pftest
    class T(pftest.TestCase):
        def test_x(self):
            be = self.backend()
            pf = self.pinfold(CFG, BE_PORT=be.port)
            r = pftest.request(pf.host, pf.port, pftest.build_request("GET", "/echo"))
            self.assertEqual(r.status, 200)
    if __name__ == "__main__":
        pftest.main()

Run one script alone: /usr/bin/python3 test_x.py --binary build/pinfold [-v] [--keep]
(PINFOLD=path works too; default <repo>/build/pinfold).  Exit 77 = skipped.
Every skipped case is printed as a "SKIP: case: reason" line at the end (test/ctest_report.py
counts them); a case that does not apply to the build under test is left out instead, see
only_in_builds().

Time: every bound a test waits for (START_TIMEOUT, wait_until, the socket and curl timeouts
here) is multiplied by PFTEST_SLOW (default 1), the one knob for a slow or loaded machine
(test/all.sh raises it under load, .ci/valgrind.sh under valgrind).  A test's own bound on
how long something may take goes through slow(); a bound on how early something may happen
(a timeout must not fire before its time) is not scaled, load cannot make things early.
Helpers scale what they are given: pass them the unscaled figure.
A cross-built binary runs under an emulator named in PINFOLD_EMULATOR (shell words, e.g.
"qemu-mips -L /usr/mips-linux-gnu"; test/cross/ sets it for ctest).
"""
import atexit
import fcntl
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
RECBACKEND = os.path.join(HERE, "recbackend.py")
sys.path.insert(0, HERE)
from recbackend import pattern_bytes, pattern_sha256  # noqa: E402,F401

PROXY = "127.0.0.1"
LAN = "127.0.0.2"
FILES = "127.0.0.3"

try:
    SLOW = max(1.0, float(os.environ.get("PFTEST_SLOW") or 1))
except ValueError:
    SLOW = 1.0


def slow(seconds):
    """An upper bound on how long something may take, stretched by PFTEST_SLOW."""
    return seconds * SLOW


START_TIMEOUT = slow(10.0)   # pinfold / backends must accept within this
STOP_TIMEOUT = slow(10.0)    # ... and exit within this after SIGTERM
SKIP_CODE = 77         # ctest SKIP_RETURN_CODE

_binary = None
_keep = False
_live = []             # every process we started, killed at exit no matter what


def binary():
    path = _binary or os.environ.get("PINFOLD") or os.path.join(REPO, "build", "pinfold")
    emulator = os.environ.get("PINFOLD_EMULATOR", "").strip()
    return _emulated(emulator, path) if emulator else path


_wrappers = {}


def _emulated(emulator, path):
    """A wrapper script that execs `EMULATOR PATH "$@"`: every caller, and the pid it sees,
    get one program, as with a native binary (qemu-user runs the guest in its own process)."""
    if path not in _wrappers:
        d = tempfile.mkdtemp(prefix="pftest-emu-")
        os.chmod(d, 0o755)
        atexit.register(shutil.rmtree, d, True)
        w = os.path.join(d, os.path.basename(path))
        with open(w, "w") as f:
            f.write('#!/bin/sh\nexec %s %s "$@"\n' % (emulator, shlex.quote(path)))
        os.chmod(w, 0o755)
        _wrappers[path] = w
    return _wrappers[path]


def _proc_root(pid):
    try:
        return os.readlink("/proc/%d/root" % pid)
    except OSError:
        return None


def _kill_leftovers():
    for p in _live:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass


atexit.register(_kill_leftovers)


def _track(p):
    _live.append(p)
    return p


def _spawn(cmd, stdout, stderr, **kw):
    """Popen with output appended to files (or DEVNULL), the parent's copies closed."""
    files = []

    def sink(x):
        if isinstance(x, str):
            f = open(x, "ab")
            files.append(f)
            return f
        return x
    try:
        return _track(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=sink(stdout),
                                       stderr=sink(stderr), **kw))
    finally:
        for f in files:
            f.close()


# ---- small utilities --------------------------------------------------------------
def is_loopback(host):
    return host.startswith("127.") or host == "::1"


_port_locks = []        # lock files held for this process's lifetime (see free_port)


def _port_range():
    """Ports outside the kernel's ephemeral range, so no client socket can take them."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        lo, hi = 32768, 60999
    if lo - 1 - 10000 >= 2000:
        return 10000, lo - 1
    return hi + 1, 65535


def free_port(host=PROXY):
    """A port free on `host`, reserved for this test process.

    Ports come from outside the ephemeral range (an outgoing connection cannot be
    using them) and each is claimed with an flock()ed file under /tmp/pftest-ports, so
    test scripts running in parallel (ctest -j) never pick the same one.  Bounded tries.
    """
    assert is_loopback(host), host
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    lockdir = os.path.join(tempfile.gettempdir(), "pftest-ports")
    os.makedirs(lockdir, exist_ok=True)
    lo, hi = _port_range()
    for _ in range(500):
        port = random.randint(lo, hi)
        fd = os.open(os.path.join(lockdir, str(port)), os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        try:
            with socket.socket(fam, socket.SOCK_STREAM) as s:
                s.bind((host, port))
        except OSError:
            os.close(fd)
            continue
        _port_locks.append(fd)
        return port
    raise AssertionError("no free port found on %s" % host)


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def wait_until(pred, timeout, interval=0.05, what="condition"):
    """Poll pred() until it is true; bounded by `timeout` seconds (times PFTEST_SLOW).
    Returns its value."""
    timeout = slow(timeout)
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def tcp_conns(port, pid=None, states=None):
    """How many TCP sockets (IPv4 and IPv6) have local port `port` and are not listening,
    only those of process `pid` when given; `states`: /proc/net/tcp state codes to count
    (e.g. {"01", "08"}: ESTABLISHED, CLOSE_WAIT), default every state but LISTEN."""
    inodes = None
    if pid is not None:
        inodes = set()
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
        except OSError:
            return 0
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            w = row.split()
            if int(w[1].rsplit(":", 1)[1], 16) != port or w[3] == "0A":    # 0A: LISTEN
                continue
            if states is not None and w[3] not in states:
                continue
            if inodes is None or w[9] in inodes:
                n += 1
    return n


def accepts(host, port, timeout=0.3):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            s.settimeout(slow(timeout))
            s.connect((host, port))
            return True
    except OSError:
        return False


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_pattern_file(path, n):
    with open(path, "wb") as f:
        off = 0
        while off < n:
            k = min(1 << 20, n - off)
            f.write(pattern_bytes(off, k))
            off += k
    return path


def cfg(text, **subst):
    """Dedent a config template and replace @NAME@ placeholders (Pound uses $ and {})."""
    text = textwrap.dedent(text).lstrip("\n")
    for k, v in subst.items():
        text = text.replace("@%s@" % k, str(v))
    left = re.findall(r"@[A-Z0-9_]+@", text)
    if left:
        raise ValueError("unsubstituted placeholders %s" % left)
    return text


def be_block(b, *extra, kind="BackEnd"):
    """A BackEnd (or Emergency) block for anything with .host and .port."""
    lines = [kind, "    Address " + b.host, "    Port %d" % b.port]
    lines += ["    " + e for e in extra]
    return "\n".join(lines + ["End"])


def tail(path, n=40):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError:
        return "(no %s)" % path


# ---- pinfold ----------------------------------------------------------------------------
class Pinfold:
    """The proxy under test, started as `pinfold -F -e -f CFG` with output captured."""

    def __init__(self, workdir, cfg_text, name="pinfold"):
        self.dir = workdir
        self.name = name
        self.cfg_path = os.path.join(workdir, name + ".cfg")
        with open(self.cfg_path, "w") as f:
            f.write(cfg_text)
        self.out_path = os.path.join(workdir, name + ".stdout")
        self.err_path = os.path.join(workdir, name + ".stderr")
        self.proc = None
        self.rc = None
        self.listen = []           # (host, port) pairs to wait for
        self.host, self.port = None, None

    def start(self, listen=(), args=("-F", "-e"), wait=True):
        self.listen = list(listen)
        if self.listen:
            self.host, self.port = self.listen[0]
        cmd = [binary()] + list(args) + ["-f", self.cfg_path]
        self.cmd = cmd
        env = dict(os.environ)
        with open(self.cfg_path) as f:
            jailed = re.search(r'(?im)^\s*RootJail\s+"?([^"\n]*?)"?\s*(#.*)?$', f.read())
        self.jail = jailed.group(1) if jailed else None
        if jailed:
            # LeakSanitizer reads /proc/PID/task at exit, and a chroot has no /proc: in an
            # ASan build a jailed pinfold would abort at exit for that reason alone.  Leaks
            # are still checked by every unjailed test.
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        self.proc = _spawn(cmd, self.out_path, self.err_path, cwd=self.dir, env=env)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        for host, port in self.listen:
            while not accepts(host, port):
                if self.proc.poll() is not None:
                    raise AssertionError(
                        "pinfold exited with %s before listening on %s:%s\n--- %s\n%s"
                        % (self.proc.returncode, host, port, " ".join(self.cmd),
                           tail(self.err_path)))
                if time.monotonic() >= deadline:
                    raise AssertionError("pinfold did not listen on %s:%s within %.0fs\n%s"
                                         % (host, port, timeout, tail(self.err_path)))
                time.sleep(0.05)
        # Ports are bound as root, before chroot and the privilege drop: ready means after
        # them, or a slow start (qemu-user, a router) is looked at half-way.
        if self.jail and self.listen and os.geteuid() == 0:
            want = os.path.realpath(self.jail)
            while self.proc.poll() is None and _proc_root(self.proc.pid) != want:
                if time.monotonic() >= deadline:
                    raise AssertionError("pinfold did not chroot into %s within %.0fs\n%s"
                                         % (want, timeout, tail(self.err_path)))
                time.sleep(0.02)

    @property
    def pid(self):
        return self.proc.pid

    def status_after_drop(self, uid, timeout=START_TIMEOUT):
        """/proc/PID/status once every uid of the process is `uid`.  The privilege drop comes
        after the chroot wait_ready() waits for, so a slow start (qemu-user) can still be
        root for a moment; bounded, and the last status is in the failure."""
        status = ""

        def dropped():
            nonlocal status
            with open("/proc/%d/status" % self.proc.pid) as f:
                status = f.read()
            m = re.search(r"^Uid:\s+(.*)$", status, re.M)
            return m is not None and set(m.group(1).split()) == {str(uid)}
        try:
            wait_until(dropped, timeout, what="pinfold to drop to uid %d" % uid)
        except AssertionError as e:
            raise AssertionError("%s\n%s" % (e, status))
        return status

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signo):
        self.proc.send_signal(signo)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, wait (bounded); returns the exit status (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                self.rc = None
                return None
        self.rc = self.proc.returncode
        return self.rc

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stdout(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def run_pinfold(args, timeout=10):
    """Run pinfold to completion (for -c, -V, -h): CompletedProcess with text output."""
    return subprocess.run([binary()] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=slow(timeout), text=True,
                          errors="replace")


# ---- the recording backend -------------------------------------------------------------------
class RecBackend:
    """recbackend.py on a loopback address; its raw logs and request journal."""

    def __init__(self, workdir, host=LAN, port=None, name="rec", raw=None):
        assert is_loopback(host), host
        self.host = host
        self.port = port or free_port(host)
        self.name = name
        self.raw = raw
        self.logdir = os.path.join(workdir, "backend-" + name)
        os.makedirs(self.logdir, exist_ok=True)
        self.proc = None

    @property
    def addr(self):
        return "[%s]:%d" % (self.host, self.port) if ":" in self.host else \
            "%s:%d" % (self.host, self.port)

    def start(self):
        ready = os.path.join(self.logdir, "ready")
        if os.path.exists(ready):
            os.unlink(ready)
        cmd = [PY, RECBACKEND, "--listen", self.addr, "--logdir", self.logdir, "--name", self.name]
        if self.raw:
            cmd += ["--raw", self.raw]
        self.proc = _spawn(cmd, os.path.join(self.logdir, "stdout"),
                           os.path.join(self.logdir, "stderr"))
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(ready):
            if self.proc.poll() is not None:
                raise AssertionError("recbackend %s exited: %s" % (
                    self.name, tail(os.path.join(self.logdir, "stderr"))))
            if time.monotonic() >= deadline:
                raise AssertionError("recbackend %s not ready" % self.name)
            time.sleep(0.02)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                raise AssertionError("recbackend %s ignored SIGTERM" % self.name)
            if self.proc.returncode != 0:
                raise AssertionError("recbackend %s exited %s: %s" % (
                    self.name, self.proc.returncode,
                    tail(os.path.join(self.logdir, "stderr"))))

    def wait_read_to_end(self, timeout=5):
        """Wait until every connection to this backend has been read to its end and closed
        by it (none left ESTABLISHED or CLOSE_WAIT): after the peer closed, every byte it
        sent is then in the raw logs.  (stop() shuts unread connections down.)"""
        wait_until(lambda: tcp_conns(self.port, states={"01", "08"}) == 0, timeout,
                   what="backend %s to read its connections to the end" % self.name)

    def kill(self):
        """Die the hard way (SIGKILL): the port closes, open connections reset."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)

    # -- what it saw
    def conn_files(self):
        names = sorted(n for n in os.listdir(self.logdir) if n.endswith(".raw"))
        out = []
        for n in names:
            with open(os.path.join(self.logdir, n), "rb") as f:
                out.append((n, f.read()))
        return out

    def raw_bytes(self):
        return b"".join(data for _, data in self.conn_files())

    def saw_nothing(self):
        return self.raw_bytes() == b""

    def journal(self, event="body"):
        path = os.path.join(self.logdir, "requests.jsonl")
        if not os.path.exists(path):
            return []
        out = []
        with open(path) as f:
            for line in f:
                if line.strip():
                    e = json.loads(line)
                    if event is None or e.get("event") == event:
                        out.append(e)
        return out

    def requests(self):
        """Complete requests (head and body read), in arrival order."""
        return self.journal("body")

    def targets(self):
        return [e["target"] for e in self.requests()]

    def mark(self):
        return len(self.requests())

    def requests_since(self, mark):
        return self.requests()[mark:]

    def nconns_with_data(self):
        return sum(1 for _, d in self.conn_files() if d)

    def set_health(self, answer):
        """What /health answers from now on: a status code, or "hang" (no answer)."""
        tmp = os.path.join(self.logdir, "health.tmp")
        with open(tmp, "w") as f:
            f.write("%s\n" % answer)
        os.rename(tmp, os.path.join(self.logdir, "health"))


# ---- nginx ------------------------------------------------------------------------------------
class Nginx:
    """nginx from Debian, foreground, everything in a temp dir, on 127.0.0.3."""

    def __init__(self, workdir, host=FILES, port=None, files=None, extra_http="", workers=1,
                 ssl_cert=None, ssl_key=None, ssl_client_ca=None):
        assert is_loopback(host), host
        self.host = host
        self.port = port or free_port(host)
        self.dir = os.path.join(workdir, "nginx-%d" % self.port)
        self.www = os.path.join(self.dir, "www")
        for d in ("www", "www/dav", "tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi",
                  "tmp/scgi", "logs"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        for name, data in (files or {}).items():
            p = os.path.join(self.www, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
        user = "user root root;" if os.geteuid() == 0 else ""
        d = self.dir
        self.conf = os.path.join(d, "nginx.conf")
        self.error_log = os.path.join(d, "logs", "error.log")
        self.access_log_path = os.path.join(d, "logs", "access.log")
        listen = ("[%s]:%d" % (host, self.port)) if ":" in host else "%s:%d" % (host, self.port)
        server_extra = ""
        log = "access_log %s/logs/access.log;" % d
        if ssl_cert:
            # An HTTPS backend: the access log says which SNI name and protocol it was asked
            # for, so a test can check what pinfold sent.
            listen += " ssl"
            # ssl_client_ca: client certificates required, verified against that CA file.
            server_extra = "ssl_certificate %s; ssl_certificate_key %s;" % (
                ssl_cert, ssl_key or ssl_cert)
            if ssl_client_ca:
                server_extra += " ssl_client_certificate %s; ssl_verify_client on;" % (
                    ssl_client_ca)
            log = ('log_format pftest_tls \'$remote_addr "$request" $status '
                   'sni=$ssl_server_name proto=$ssl_protocol conn=$connection '
                   'creq=$connection_requests client="$ssl_client_s_dn"\';\n'
                   '                    access_log %s/logs/access.log pftest_tls;' % d)
        self.https = bool(ssl_cert)
        with open(self.conf, "w") as f:
            f.write(textwrap.dedent("""\
                %(user)s
                daemon off;
                worker_processes %(workers)d;
                pid %(d)s/nginx.pid;
                error_log %(d)s/logs/error.log info;
                events { worker_connections 1024; }
                http {
                    %(log)s
                    client_body_temp_path %(d)s/tmp/body;
                    proxy_temp_path %(d)s/tmp/proxy;
                    fastcgi_temp_path %(d)s/tmp/fastcgi;
                    uwsgi_temp_path %(d)s/tmp/uwsgi;
                    scgi_temp_path %(d)s/tmp/scgi;
                    default_type application/octet-stream;
                    keepalive_requests 1000000;
                    %(extra)s
                    server {
                        listen %(listen)s;
                        %(server_extra)s
                        root %(d)s/www;
                        location /dav/ {
                            dav_methods PUT DELETE;
                            create_full_put_path on;
                            client_max_body_size 64m;
                        }
                    }
                }
                """) % {"user": user, "workers": workers, "d": d, "extra": extra_http,
                        "listen": listen, "log": log, "server_extra": server_extra})
        self.proc = None

    def start(self):
        self.proc = _spawn(["nginx", "-p", self.dir, "-c", self.conf, "-e", self.error_log],
                           subprocess.DEVNULL, os.path.join(self.dir, "logs", "stderr"))
        deadline = time.monotonic() + START_TIMEOUT
        while not accepts(self.host, self.port):
            if self.proc.poll() is not None or time.monotonic() >= deadline:
                raise AssertionError("nginx did not start: %s" % tail(self.error_log))
            time.sleep(0.05)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def access_log(self):
        try:
            with open(self.access_log_path) as f:
                return f.read()
        except OSError:
            return ""

    def wait_log(self, text, timeout=5):
        """The access log once it holds `text`: nginx writes a request's line after the
        response went out, so a fast client can look before it is there."""
        return wait_until(lambda: text in self.access_log() and self.access_log(), timeout,
                          what="%r in nginx's access log" % text)


# ---- HTTP on raw sockets ---------------------------------------------------------------------
def build_request(method, target, host="test.invalid", headers=(), body=None,
                  version="HTTP/1.1", content_length=True):
    """Bytes of one request; `headers` is a list of (name, value) or raw 'Name: value' lines."""
    lines = ["%s %s %s" % (method, target, version)]
    if host is not None:
        lines.append("Host: " + host)
    for h in headers:
        lines.append(h if isinstance(h, str) else "%s: %s" % h)
    if body is not None and content_length:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def chunked(body, sizes=(1, 10, 100, 4096, 65536), ext=False, trailers=()):
    """Encode `body` as chunks of cycling sizes (optionally with chunk extensions)."""
    out = bytearray()
    i, k = 0, 0
    while i < len(body):
        n = min(sizes[k % len(sizes)], len(body) - i)
        out += b"%x" % n + (b";ext=%d" % k if ext else b"") + b"\r\n" + body[i:i + n] + b"\r\n"
        i += n
        k += 1
    out += b"0\r\n"
    for t in trailers:
        out += t.encode("latin-1") + b"\r\n"
    return bytes(out + b"\r\n")


class Response:
    def __init__(self, version, status, reason, headers, raw_head):
        self.version, self.status, self.reason = version, status, reason
        self.headers = headers
        self.raw_head = raw_head
        self.body = b""
        self.interim = []       # 1xx responses that came before this one
        self.framing = None     # "length", "chunked", "close", "none"

    def header(self, name):
        v = self.headers_named(name)
        return v[0] if v else None

    def headers_named(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def has_token(self, name, token):
        return any(token.lower() in (t.strip().lower() for t in v.split(","))
                   for v in self.headers_named(name))

    def __repr__(self):
        return "<Response %s %s %r body=%d>" % (self.status, self.reason, self.headers,
                                                len(self.body))


class HttpConn:
    """A client connection with deadline-bounded reads and a framing-aware response reader."""

    def __init__(self, host, port, timeout=5.0, source=None):
        """source: a loopback address to send from (the client socket is bound to it).
        timeout: the default bound of each read (times PFTEST_SLOW)."""
        assert is_loopback(host), host
        timeout = slow(timeout)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if source is not None:
            assert is_loopback(source), source
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.timeout = timeout
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no more data within the deadline; have %r" % self.buf[:300])
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            raise TimeoutError("no more data within the deadline; have %r" % self.buf[:300])
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            raise EOFError("connection closed; have %r" % self.buf[:300])
        self.buf += data

    def _until(self, sep, deadline, limit=1 << 20):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out, self.buf = self.buf[:i + len(sep)], self.buf[i + len(sep):]
                return out
            if len(self.buf) > limit:
                raise ValueError("response head too long")
            self._fill(deadline)

    def _exact(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self, deadline):
        raw = self._until(b"\r\n\r\n", deadline)
        lines = raw[:-4].split(b"\r\n")
        m = re.match(rb"(HTTP/\d\.\d) (\d{3})(?: (.*))?$", lines[0])
        if not m:
            raise ValueError("bad status line %r" % lines[0])
        headers = []
        for ln in lines[1:]:
            n, sep, v = ln.partition(b":")
            if not sep:
                raise ValueError("bad header line %r" % ln)
            headers.append((n.decode("latin-1"), v.strip().decode("latin-1")))
        return Response(m.group(1).decode(), int(m.group(2)),
                        (m.group(3) or b"").decode("latin-1"), headers, raw)

    def read_response(self, method="GET", timeout=None):
        """One final response (1xx ones before it go to .interim), body read by its framing."""
        deadline = time.monotonic() + (slow(timeout) if timeout else self.timeout)
        interim = []
        while True:
            r = self.read_head(deadline)
            if 100 <= r.status < 200 and r.status != 101:
                interim.append(r)
                continue
            break
        r.interim = interim
        te = ",".join(r.headers_named("Transfer-Encoding")).lower()
        if method == "HEAD" or r.status in (101, 204, 304):
            r.framing = "none"
        elif te:
            r.framing = "chunked"
            body = bytearray()
            while True:
                line = self._until(b"\r\n", deadline, 4096)
                n = int(line.split(b";")[0].strip(), 16)
                if n == 0:
                    break
                body += self._exact(n, deadline)
                if self._exact(2, deadline) != b"\r\n":
                    raise ValueError("chunk data not followed by CRLF")
            while self._until(b"\r\n", deadline, 8192) != b"\r\n":
                pass
            r.body = bytes(body)
        elif r.headers_named("Content-Length"):
            r.framing = "length"
            r.body = self._exact(int(r.header("Content-Length")), deadline)
        else:
            r.framing = "close"
            while True:
                try:
                    self._fill(deadline)
                except EOFError:
                    break
            r.body, self.buf = self.buf, b""
        return r

    def read_interim(self, timeout):
        """Wait for one 1xx head only (for Expect: 100-continue)."""
        return self.read_head(time.monotonic() + slow(timeout))

    def closed_by_peer(self, timeout=2.0):
        """True if the peer closes (EOF or reset) within `timeout` (times PFTEST_SLOW) with
        no more bytes."""
        deadline = time.monotonic() + slow(timeout)
        try:
            self._fill(deadline)
        except EOFError:
            return True
        except TimeoutError:
            return False
        return False

    def read_all(self, timeout):
        """Everything until EOF (bounded by `timeout` times PFTEST_SLOW)."""
        deadline = time.monotonic() + slow(timeout)
        while True:
            try:
                self._fill(deadline)
            except (EOFError, TimeoutError):
                break
        out, self.buf = self.buf, b""
        return out

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def request(host, port, raw, method=None, timeout=5.0):
    """Send one raw request on a new connection and read one response."""
    if method is None:
        method = raw.split(b" ", 1)[0].decode()
    with HttpConn(host, port, timeout) as c:
        c.send(raw)
        return c.read_response(method=method, timeout=timeout)


def try_get(host, port, target, vhost="test.invalid", timeout=3.0):
    """get(), but None instead of an exception (for bounded polling)."""
    try:
        return get(host, port, target, vhost, timeout=timeout)
    except (OSError, EOFError, TimeoutError, ValueError):
        return None


def get(host, port, target, vhost="test.invalid", headers=(), timeout=5.0, method="GET",
        body=None):
    return request(host, port, build_request(method, target, vhost, headers, body),
                   method=method, timeout=timeout)


# ---- parsing what a backend received ---------------------------------------------------------
class SeenRequest:
    def __init__(self, method, target, version, headers, raw_head):
        self.method, self.target, self.version = method, target, version
        self.headers, self.raw_head = headers, raw_head
        self.body = b""

    def named(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def names(self):
        return [n.lower() for n, _ in self.headers]

    def __repr__(self):
        return "<SeenRequest %s %s %r>" % (self.method, self.target, self.headers)


def parse_requests(data):
    """Split raw bytes a backend received on one connection into requests (stops at Upgrade)."""
    out = []
    buf = data
    while buf:
        while buf.startswith(b"\r\n"):
            buf = buf[2:]
        i = buf.find(b"\r\n\r\n")
        if i < 0:
            break
        head, buf = buf[:i + 4], buf[i + 4:]
        lines = head[:-4].split(b"\r\n")
        parts = lines[0].decode("latin-1").split(" ")
        if len(parts) != 3:
            raise ValueError("backend received a bad request line %r" % lines[0])
        hs = []
        for ln in lines[1:]:
            n, sep, v = ln.partition(b":")
            if not sep:
                raise ValueError("backend received a bad header line %r" % ln)
            hs.append((n.decode("latin-1"), v.strip().decode("latin-1")))
        r = SeenRequest(parts[0], parts[1], parts[2], hs, head)
        out.append(r)
        te = ",".join(r.named("Transfer-Encoding")).lower()
        if te:
            body = bytearray()
            while True:
                j = buf.find(b"\r\n")
                if j < 0:
                    return out
                n = int(buf[:j].split(b";")[0], 16)
                buf = buf[j + 2:]
                if n == 0:
                    while True:
                        j = buf.find(b"\r\n")
                        if j < 0:
                            return out
                        line, buf = buf[:j], buf[j + 2:]
                        if not line:
                            break
                    break
                body += buf[:n]
                buf = buf[n + 2:]
            r.body = bytes(body)
        elif r.named("Content-Length"):
            n = int(r.named("Content-Length")[0])
            r.body, buf = buf[:n], buf[n:]
        if r.named("Upgrade"):
            break
    return out


def seen_requests(backend):
    """Every request a RecBackend received, parsed from its raw bytes, all connections."""
    out = []
    for _, data in backend.conn_files():
        out += parse_requests(data)
    return out


# ---- curl ---------------------------------------------------------------------------------------
def curl(*args, max_time=15):
    """Run the real curl, bounded (max_time times PFTEST_SLOW); never through a proxy from
    the environment."""
    max_time = int(slow(max_time) + 0.999)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    cmd = ["curl", "-sS", "--noproxy", "*", "--max-time", str(max_time)] + list(args)
    return subprocess.run(cmd, capture_output=True, timeout=max_time + 10, env=env)


# ---- TLS: certificates, clients, what the build has ------------------------------------------
# Certificates are made with the real `openssl` into the test's temp dir (nothing is committed):
#   ca = pftest.CA(self.dir, "Home CA")                      # ECDSA P-256 root (key="rsa": RSA)
#   leaf = ca.issue("ha.test", ["ha.test", "*.ha.test"])     # server cert, ECDSA P-256
#   leaf.pem                                                 # key + chain in one file (Pound)
#   alice = ca.issue("alice", client=True)                   # a client certificate
#   sub = ca.intermediate("Home Sub CA"); sub.issue(...)     # leaf.pem then holds leaf + sub
# Clients: curl (pftest.curl_https), openssl s_client (pftest.s_client), Python's ssl
# (pftest.tls_context + HttpsConn / https_get).
OPENSSL = "openssl"
CERT_DAYS = 3


def _openssl(*args, cwd=None, input=None):
    cp = subprocess.run([OPENSSL] + list(args), capture_output=True, timeout=60, cwd=cwd,
                        input=input)
    if cp.returncode != 0:
        raise AssertionError("openssl %s failed: %s" % (" ".join(args),
                                                         cp.stderr.decode(errors="replace")))
    return cp.stdout.decode(errors="replace")


def make_key(path, key="ec"):
    """A private key in PEM: "ec" = ECDSA P-256 (the default, what a router wants),
    "rsa" = RSA-2048, "ec384" = ECDSA P-384."""
    if key == "ec":
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-pkeyopt", "ec_param_enc:named_curve", "-out", path)
    elif key == "ec384":
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384",
                 "-pkeyopt", "ec_param_enc:named_curve", "-out", path)
    elif key == "rsa":
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                 "-out", path)
    else:
        raise ValueError("unknown key type %r" % key)
    os.chmod(path, 0o600)
    return path


def _subj(cn, org="pftest"):
    return "/CN=%s/O=%s" % (cn, org)


def _safe(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name.replace("*", "star"))


class Cert:
    """A leaf certificate: .key, .cert (leaf only), .chain (leaf + intermediates),
    .pem (what Pound's Cert takes: chain then key; key_first=True puts the key first),
    .subject ("CN = x, O = pftest", as openssl prints it), .cn, .names, .ca."""

    def __init__(self, cn, names, key, cert, chain, pem, ca):
        self.cn, self.names, self.key, self.cert, self.chain, self.pem, self.ca = \
            cn, list(names), key, cert, chain, pem, ca
        self.subject = subject_of(cert)

    def write_pem(self, path, key_first=False):
        """Another copy of the combined PEM at `path` (for a jail, or a reload)."""
        with open(self.key) as f:
            key = f.read()
        with open(self.chain) as f:
            chain = f.read()
        with open(path, "w") as f:
            f.write(key + chain if key_first else chain + key)
        os.chmod(path, 0o600)
        return path


class CA:
    """A certificate authority in `dir`: a root (or, from .intermediate(), a sub-CA)."""

    def __init__(self, dir, name="pftest CA", key="ec", _parent=None):
        self.dir = dir
        self.name = name
        base = os.path.join(dir, "ca-" + _safe(name))
        self.key = make_key(base + ".key", key)
        self.cert = base + ".crt"
        self.parent = _parent
        if _parent is None:
            _openssl("req", "-x509", "-new", "-key", self.key, "-subj", _subj(name),
                     "-days", str(CERT_DAYS), "-sha256", "-out", self.cert,
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        else:
            csr = base + ".csr"
            _openssl("req", "-new", "-key", self.key, "-subj", _subj(name), "-out", csr)
            ext = self._ext(base, "basicConstraints=critical,CA:TRUE,pathlen:0\n"
                                  "keyUsage=critical,keyCertSign,cRLSign\n"
                                  "subjectKeyIdentifier=hash\n"
                                  "authorityKeyIdentifier=keyid\n")
            _parent._sign(csr, self.cert, ext)
        self.subject = subject_of(self.cert)

    @staticmethod
    def _ext(base, text):
        path = base + ".ext"
        with open(path, "w") as f:
            f.write(text)
        return path

    def _sign(self, csr, out, ext):
        _openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key,
                 "-CAcreateserial", "-days", str(CERT_DAYS), "-sha256", "-extfile", ext,
                 "-out", out)

    def chain(self):
        """This CA's certificate and its parents', up to (not including) the root."""
        out, ca = [], self
        while ca.parent is not None:
            out.append(ca.cert)
            ca = ca.parent
        return out

    @property
    def root(self):
        ca = self
        while ca.parent is not None:
            ca = ca.parent
        return ca

    def intermediate(self, name, key="ec"):
        return CA(self.dir, name, key, _parent=self)

    def issue(self, cn, names=None, key="ec", client=False, filename=None):
        """A leaf signed by this CA.  `names`: DNS SANs (default [cn]); IP SANs as "IP:x".
        client=True: a client certificate (extendedKeyUsage clientAuth, no SANs)."""
        base = os.path.join(self.dir, filename or ("%s-%s" % (
            "client" if client else "cert", _safe(cn))))
        keyp = make_key(base + ".key", key)
        csr = base + ".csr"
        _openssl("req", "-new", "-key", keyp, "-subj", _subj(cn), "-out", csr)
        usage = "digitalSignature" if key.startswith("ec") else "digitalSignature,keyEncipherment"
        ext = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical," + usage,
               "extendedKeyUsage=" + ("clientAuth" if client else "serverAuth"),
               "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid"]
        if not client:
            names = [cn] if names is None else names
            if names:
                ext.append("subjectAltName=" + ",".join(
                    n if n.startswith("IP:") else "DNS:" + n for n in names))
        certp = base + ".crt"
        self._sign(csr, certp, self._ext(base, "\n".join(ext) + "\n"))
        chainp = base + ".chain.crt"
        with open(chainp, "w") as out:
            for p in [certp] + self.chain():
                with open(p) as f:
                    out.write(f.read())
        c = Cert(cn, names or [], keyp, certp, chainp, base + ".pem", self)
        c.write_pem(c.pem)
        return c


def self_signed(dir, cn, names=None, key="ec"):
    """A leaf that is its own CA (names as for CA.issue)."""
    base = os.path.join(dir, "self-" + _safe(cn))
    keyp = make_key(base + ".key", key)
    certp = base + ".crt"
    names = [cn] if names is None else names
    args = ["req", "-x509", "-new", "-key", keyp, "-subj", _subj(cn), "-days", str(CERT_DAYS),
            "-sha256", "-out", certp]
    if names:
        args += ["-addext", "subjectAltName=" + ",".join(
            n if n.startswith("IP:") else "DNS:" + n for n in names)]
    _openssl(*args)
    c = Cert(cn, names, keyp, certp, certp, base + ".pem", None)
    c.write_pem(c.pem)
    return c


def subject_of(cert_path):
    """The subject as openssl prints it: "CN = x, O = pftest"."""
    out = _openssl("x509", "-noout", "-subject", "-nameopt", "oneline,-esc_msb", "-in", cert_path)
    return _norm_subject(out.strip().split("=", 1)[1])


def _norm_subject(s):
    # openssl prints "CN = a, O = b" (RFC 2253 order reversed with oneline): normalise the
    # spacing so "CN=a, O=b" and "CN = a, O = b" compare equal.
    return ", ".join(p.strip().replace(" = ", "=") for p in s.strip().split(","))


_tls_info = {}


def tls_backend():
    """(name, (major, minor, patch)) of the build's TLS library from `pinfold -V`:
    ("mbedTLS", (2, 28, 3)), ("mbedTLS", (3, 6, 6)), ("OpenSSL", (3, 0, 19)), or ("none", ())."""
    if "v" not in _tls_info:
        cp = run_pinfold(["-V"])
        m = re.search(r"(?m)^TLS backend:\s*(\S+)\s*([0-9.]*)", cp.stdout + cp.stderr)
        if not m:
            raise AssertionError("pinfold -V names no TLS backend:\n%s" % (cp.stdout + cp.stderr))
        ver = tuple(int(x) for x in m.group(2).split(".") if x.isdigit())
        _tls_info["v"] = (m.group(1), ver)
    return _tls_info["v"]


_features = {}


def features():
    """{name: built in?} from the `Features: +control -session ...` line of `pinfold -V`
    (the PINFOLD_<NAME> build options)."""
    if "v" not in _features:
        cp = run_pinfold(["-V"])
        m = re.search(r"(?m)^Features:((?:\s+[+-][a-z0-9_]+)*)\s*$", cp.stdout + cp.stderr)
        if not m:
            raise AssertionError("pinfold -V has no Features line:\n%s" % (cp.stdout + cp.stderr))
        _features["v"] = {w[1:]: w[0] == "+" for w in m.group(1).split()}
    return _features["v"]


def has_feature(name):
    """Whether the build has optional feature `name` (None: no feature needed)."""
    if name is None:
        return True
    f = features()
    if name not in f:
        raise AssertionError("pinfold -V names no feature %r (it has %s)" % (name, sorted(f)))
    return f[name]


def has_tls():
    return tls_backend()[0].lower() != "none"


def server_tls13():
    """Whether this build's server side offers TLS 1.3: mbedTLS 3.x and OpenSSL do, mbedTLS
    2.28 does not."""
    name, ver = tls_backend()
    return (name.lower() == "mbedtls" and ver >= (3, 0)) or name.lower() == "openssl"


def require_tls():
    """Skip (exit 77 when all tests skip) in a build without TLS."""
    if not has_tls():
        raise unittest.SkipTest("this pinfold is built without TLS (PINFOLD_TLS=none)")


def tls_context(cafile=None, verify=True, cert=None, min_version=None, max_version=None,
                ciphers=None):
    """A Python ssl client context.  cafile: the CA to trust (a path, or a CA/Cert object);
    cert: a Cert to present; versions as ssl.TLSVersion."""
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        if cafile is not None:
            ctx.load_verify_locations(getattr(cafile, "cert", cafile))
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert is not None:
        ctx.load_cert_chain(cert.chain, cert.key)
    if min_version is not None:
        ctx.minimum_version = min_version
    if max_version is not None:
        ctx.maximum_version = max_version
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


class HttpsConn(HttpConn):
    """HttpConn over TLS: TCP to host:port (the proxy), SNI and name check for `sni`."""

    def __init__(self, host, port, sni, ctx, timeout=5.0):
        super().__init__(host, port, timeout)
        try:
            self.sock = ctx.wrap_socket(self.sock, server_hostname=sni,
                                        do_handshake_on_connect=True)
        except BaseException:
            self.sock.close()
            raise
        self.sni = sni

    def version(self):
        return self.sock.version()

    def cipher(self):
        return self.sock.cipher()[0]

    def peer_subject(self):
        """The server certificate's subject, "CN=x, O=pftest" (from its DER, so it works
        with verification off too)."""
        der = self.sock.getpeercert(binary_form=True)
        cp = subprocess.run([OPENSSL, "x509", "-inform", "DER", "-noout", "-subject",
                             "-nameopt", "oneline,-esc_msb"], input=der,
                            capture_output=True, timeout=10)
        return _norm_subject(cp.stdout.decode().strip().split("=", 1)[1])


def https_request(host, port, raw, sni, ctx, method=None, timeout=5.0):
    """One raw request on a new TLS connection; one response."""
    if method is None:
        method = raw.split(b" ", 1)[0].decode()
    with HttpsConn(host, port, sni, ctx, timeout) as c:
        c.send(raw)
        return c.read_response(method=method, timeout=timeout)


def https_get(host, port, target, vhost, ctx, headers=(), timeout=5.0, sni=None):
    return https_request(host, port, build_request("GET", target, vhost, headers), sni or vhost,
                         ctx, timeout=timeout)


def curl_https(port, path, name, ca=None, *args, max_time=15, host=PROXY):
    """curl https://NAME:PORT/PATH with --resolve NAME:PORT:HOST (so SNI and Host are NAME)
    and --cacert (a path, CA or Cert) when given."""
    a = ["--resolve", "%s:%d:%s" % (name, port, host)]
    if ca is not None:
        a += ["--cacert", getattr(ca, "cert", ca)]
    return curl(*(a + list(args) + ["https://%s:%d%s" % (name, port, path)]), max_time=max_time)


class SClient:
    """What `openssl s_client` did: .rc, .out, .err, .subject, .protocol, .cipher, .ok
    (a handshake completed: exit status 0 and a cipher agreed)."""

    def __init__(self, cp):
        self.rc = cp.returncode
        self.out = cp.stdout.decode("utf-8", "replace")
        self.err = cp.stderr.decode("utf-8", "replace")
        m = re.search(r"(?m)^subject=(.*)$", self.out)
        self.subject = _norm_subject(m.group(1)) if m else None
        m = re.search(r"(?m)^\s*Protocol\s*:\s*(\S+)", self.out)
        self.protocol = m.group(1) if m else None
        m = re.search(r"(?m)^New, (\S+), Cipher is (\S+)", self.out)
        self.cipher = m.group(2) if m else None
        if m and m.group(1) != "(NONE)" and not self.protocol:
            self.protocol = m.group(1).rstrip(",")
        # (s_client prints the session even when the server failed the handshake after
        # choosing a cipher, e.g. for a missing client certificate: the exit status tells)
        self.ok = self.rc == 0 and self.cipher not in (None, "(NONE)")

    def __repr__(self):
        return "<s_client rc=%s ok=%s %s %s %s\n%s\n%s>" % (
            self.rc, self.ok, self.protocol, self.cipher, self.subject, self.out[-1500:],
            self.err[-1500:])


def s_client(port, *args, host=PROXY, servername=None, cafile=None, data=None, timeout=10):
    """Run `openssl s_client` against host:port (bounded).  data: bytes to send after the
    handshake (with -ign_eof, so the reply is read until the server closes); else stdin
    is empty and s_client closes right after the handshake."""
    cmd = [OPENSSL, "s_client", "-connect", "%s:%d" % (host, port)]
    if servername:
        cmd += ["-servername", servername]
    else:
        cmd += ["-noservername"]
    if cafile is not None:
        cmd += ["-CAfile", getattr(cafile, "cert", cafile), "-verify_return_error"]
    if data is not None:
        cmd += ["-ign_eof"]
    cmd += list(args)
    timeout = slow(timeout)
    try:
        cp = subprocess.run(cmd, input=data or b"", capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("openssl s_client did not finish within %ss: %s\n%s"
                             % (timeout, " ".join(cmd), (e.stdout or b"")[-800:]))
    return SClient(cp)


class SServer:
    """`openssl s_server` on a loopback address (a reference TLS server for control checks
    and a simple HTTPS backend with -www).  Ready when it prints ACCEPT."""

    def __init__(self, workdir, cert, *args, host=PROXY, port=None, name="s_server"):
        assert is_loopback(host), host
        self.host = host
        self.port = port or free_port(host)
        self.out = os.path.join(workdir, "%s-%d.out" % (name, self.port))
        self.cmd = [OPENSSL, "s_server", "-accept", "%s:%d" % (host, self.port),
                    "-cert", cert.cert, "-key", cert.key]
        if cert.chain != cert.cert:
            self.cmd += ["-cert_chain", cert.chain]
        self.cmd += list(args)
        self.proc = None

    def start(self):
        # stdin stays open (a pipe): at EOF on stdin s_server ends its connection.
        with open(self.out, "ab") as f:
            self.proc = _track(subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=f,
                                                stderr=subprocess.STDOUT))
        wait_until(lambda: self.proc.poll() is not None or "ACCEPT" in tail(self.out),
                   START_TIMEOUT, what="openssl s_server")
        if self.proc.poll() is not None:
            raise AssertionError("openssl s_server exited: %s" % tail(self.out))
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc and self.proc.stdin:
            self.proc.stdin.close()


def client_hello(sni="test.invalid"):
    """The bytes of a real TLS ClientHello (Python's ssl), for half-handshake tests."""
    import ssl
    ctx = tls_context(verify=False)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


# ---- the test case base ------------------------------------------------------------------------
class TestCase(unittest.TestCase):
    """Gives each test a temp dir and stops what it started; pinfold must exit 0 on SIGTERM."""

    maxDiff = 4000

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pftest-%s-" % self._testMethodName)
        os.chmod(self.dir, 0o755)
        self._pinfolds = []
        self._others = []

    def tearDown(self):
        for o in reversed(self._others):
            try:
                o.stop()
            except AssertionError:
                pass
        bad = []
        for p in self._pinfolds:
            if p.proc is None:
                continue
            rc = p.stop()
            if rc != 0 and not getattr(p, "expect_nonzero", False):
                bad.append("%s: exit status %s after SIGTERM (want 0)\n%s"
                           % (p.name, rc, tail(p.err_path)))
        failed = self._failed()
        if failed or bad or _keep:
            sys.stderr.write("\n[kept %s]\n" % self.dir)
            for p in self._pinfolds:
                if failed:
                    sys.stderr.write("--- %s stderr (tail)\n%s\n" % (p.name, tail(p.err_path, 25)))
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        if bad:
            self.fail("\n".join(bad))

    def _failed(self):
        try:
            res = self._outcome.result
            return any(t is self for t, _ in res.failures + res.errors)
        except AttributeError:
            return True

    # -- starting things
    def backend(self, name="rec", host=LAN, port=None, raw=None, start=True):
        b = RecBackend(self.dir, host, port, name, raw)
        self._others.append(b)
        return b.start() if start else b

    def nginx(self, files=None, host=FILES, **kw):
        n = Nginx(self.dir, host, files=files, **kw)
        self._others.append(n)
        return n.start()

    def pinfold(self, text, listen=None, name="pinfold", args=("-F", "-e"), wait=True, **subst):
        """Start pinfold on cfg(text, **subst).  `listen`: list of (host, port) to wait for;
        by default the value of the PORT placeholder on 127.0.0.1."""
        if listen is None:
            listen = [(PROXY, subst["PORT"])] if "PORT" in subst else []
        p = Pinfold(self.dir, cfg(text, **subst), name)
        self._pinfolds.append(p)
        return p.start(listen, args, wait)

    def s_server(self, cert, *args, **kw):
        """openssl s_server with `cert` (a pftest.Cert), stopped at tearDown."""
        s = SServer(self.dir, cert, *args, **kw)
        self._others.append(s)
        return s.start()

    def write(self, name, data):
        p = os.path.join(self.dir, name)
        with open(p, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        return p

    # -- assertions
    def assertBackendSawNothing(self, *backends):
        for b in backends:
            raw = b.raw_bytes()
            self.assertEqual(raw, b"", "backend %s received bytes it must not see: %r"
                             % (b.name, raw[:400]))


# ---- entry point -----------------------------------------------------------------------------
def only_in_builds(applies, why):
    """Decorate a test method that applies only to some builds: where applies() (asked of
    the build under test, e.g. lambda: not has_tls()) is false, the case is left out and
    named on a "not in this build:" line, as ctest registers no TLS story in a build without
    TLS.  Only for what the build is, never for what the machine lacks: that is a skip."""
    def mark(f):
        f._pf_only = (applies, why)
        return f
    return mark


class _Loader(unittest.TestLoader):
    """Leaves out the only_in_builds() cases that do not apply to this build."""
    left_out = []

    def getTestCaseNames(self, cls):
        keep = []
        for n in super().getTestCaseNames(cls):
            only = getattr(getattr(cls, n), "_pf_only", None)
            if only and not only[0]():
                self.left_out.append("%s (%s): %s" % (n, cls.__name__, only[1]))
            else:
                keep.append(n)
        return keep


def _case_name(t):
    """ "test_x (Class)" for a test; unittest's own description for a setUpClass holder."""
    name = getattr(t, "_testMethodName", None)
    return "%s (%s)" % (name, type(t).__name__) if name else str(t)


def main(needs=()):
    """Run the story's tests.  needs: the optional features (names of `pinfold -V`'s
    Features line) the whole story is about; in a build without one it exits 77 (skip)."""
    global _binary, _keep
    argv = [sys.argv[0]]
    it = iter(sys.argv[1:])
    for a in it:
        if a == "--binary":
            _binary = os.path.abspath(next(it))
        elif a.startswith("--binary="):
            _binary = os.path.abspath(a.split("=", 1)[1])
        elif a == "--keep":
            _keep = True
        else:
            argv.append(a)
    if not (os.path.isfile(binary()) and os.access(binary(), os.X_OK)):
        sys.stderr.write("pinfold binary not found at %s (use --binary or PINFOLD=)\n" % binary())
        sys.exit(1)
    missing = [n for n in needs if not has_feature(n)]
    if missing:
        print("SKIP: this pinfold is built without %s (PINFOLD_%s=OFF)"
              % (", ".join(missing), "=OFF, PINFOLD_".join(n.upper() for n in missing)))
        sys.exit(SKIP_CODE)

    def on_term(signo, frame):
        raise SystemExit(128 + signo)
    signal.signal(signal.SIGTERM, on_term)
    if SLOW != 1.0:
        print("PFTEST_SLOW=%g: every timing bound stretched %g times" % (SLOW, SLOW))
    loader = _Loader()
    prog = unittest.main(argv=argv, exit=False, verbosity=2, testLoader=loader)
    res = prog.result
    sys.stderr.flush()
    for what in loader.left_out:
        print("not in this build: %s" % what)
    for t, why in res.skipped:
        print("SKIP: %s: %s" % (_case_name(t), why))
    sys.stdout.flush()
    if not res.wasSuccessful():
        sys.exit(1)
    if res.testsRun and len(res.skipped) == res.testsRun:
        sys.exit(SKIP_CODE)
    sys.exit(0)
