"""hatest.py - what the Home Assistant stories share: the aiohttp backend and the seed config.

HaBackend runs habackend.py (aiohttp, as Home Assistant) on 127.0.0.2 with its intervals
chosen by the test: the fast stories use short ones, the slow set (ctest label "slow") the
real ones (ping 50 s, heartbeat 55 s).  seed_config() is the Home Assistant docs' Pound
config (data/ha_pound_docs.cfg) with only the substitutions test_tls_seed003.py allows.
"""
import grp
import json
import os
import re
import subprocess
import time

import pftest
import test_tls_seed003

HABACKEND = os.path.join(pftest.HERE, "habackend.py")
DOCS = os.path.join(pftest.HERE, "data", "ha_pound_docs.cfg")
HA = "myhomeassistant.mydomain.com"
SLOW = pftest.SLOW  # PFTEST_SLOW
AS_ROOT = os.geteuid() == 0
# the line pinfold logs for every exchange it cuts short (see pinfold.cfg(5), LogLevel)
CUT = re.compile(r'cut (\S+) "([^"]*)" (\S+) status=(\S+) backend=(\S+) '
                 r'to_client=(\d+) from_client=(\d+) secs=([\d.]+)')


def have_aiohttp():
    cp = subprocess.run([pftest.PY, "-c", "import aiohttp"], capture_output=True)
    return cp.returncode == 0


class HaBackend(pftest.RecBackend):
    """habackend.py in place of recbackend.py: same address, log dir, stop; its own journal."""

    def __init__(self, workdir, trusted=("127.0.0.1",), heartbeat=55.0, ping=50.0,
                 event_interval=1.0, host=pftest.LAN, name="ha"):
        super().__init__(workdir, host=host, name=name)
        self.cmd = [pftest.PY, HABACKEND, "--host", host, "--port", str(self.port),
                    "--logdir", self.logdir, "--heartbeat", str(heartbeat),
                    "--ping", str(ping), "--event-interval", str(event_interval)]
        for t in trusted:
            self.cmd += ["--trusted", t]

    def start(self):
        ready = os.path.join(self.logdir, "ready")
        self.proc = pftest._spawn(self.cmd, os.path.join(self.logdir, "stdout"),
                                  os.path.join(self.logdir, "stderr"))
        pftest.wait_until(lambda: os.path.exists(ready) or self.proc.poll() is not None,
                          pftest.START_TIMEOUT * SLOW, what="habackend listening")
        if self.proc.poll() is not None:
            raise AssertionError("habackend exited: " +
                                 pftest.tail(os.path.join(self.logdir, "stderr")))
        return self

    def journal(self):
        path = os.path.join(self.logdir, "requests.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(ln) for ln in f if ln.strip()]


def seed_config(http_port, https_port, be_port, jail, cert):
    """The docs' config, unchanged but for ports, backend address, jail and cert path
    (the substitutions test_tls_seed003.py checks line by line)."""
    with open(DOCS) as f:
        return test_tls_seed003.adapt(f.read(), http_port, https_port, be_port, jail, cert)


class HaCase(pftest.TestCase):
    """pinfold with the seed config (HTTPS as written) in front of habackend.py."""

    backend_kw = {}

    @classmethod
    def setUpClass(cls):
        pftest.require_tls()
        if not have_aiohttp():
            raise pftest.unittest.SkipTest("python3-aiohttp is not installed (test/deps.sh)")

    def setUp(self):
        super().setUp()
        self.jail = os.path.join(self.dir, "jail")
        os.makedirs(self.jail)
        self.ca = pftest.CA(self.dir, "Home CA")
        self.cert = self.ca.issue(HA).write_pem(os.path.join(self.jail, "ha.all.pem"))
        if AS_ROOT:
            # as the README says: the key readable by the jailed group, for a reload
            group = "nobody" if test_tls_seed003.group_exists("nobody") else "nogroup"
            os.chown(self.cert, 0, grp.getgrnam(group).gr_gid)
            os.chmod(self.cert, 0o640)
        self.ha = HaBackend(self.dir, **self.backend_kw).start()
        self.addCleanup(self.ha.stop)
        self.http_port = pftest.free_port()
        self.https_port = pftest.free_port()
        self.text = seed_config(self.http_port, self.https_port, self.ha.port, self.jail,
                                self.cert)

    def start(self, text=None):
        # the config lives in the jail, as the README says, so a reload finds it there
        self.pf = self.pinfold(text or self.text, listen=[(pftest.PROXY, self.http_port),
                                                          (pftest.PROXY, self.https_port)],
                               name=os.path.join("jail", "pinfold"))
        return self.pf

    def tls(self, timeout=10.0):
        """A TLS connection to the HTTPS listener, closed at cleanup."""
        s = tls_connect(self.https_port, self.ca, timeout)
        self.addCleanup(s.close)
        return s

    def slow_call(self, delay):
        """A service call that answers after `delay` s, sent over TLS and already at the
        backend: its socket."""
        s = self.tls()
        send_request(s, "POST", "/api/services/slow?delay=%s" % delay, body=b"{}")
        pftest.wait_until(lambda: any(e.get("path") == "/api/services/slow"
                                      for e in self.ha.journal()), 5 * SLOW,
                          what="the call at the backend")
        return s

    def cuts(self):
        """pinfold's cut lines so far, as CUT matches."""
        return [m for m in (CUT.search(ln) for ln in self.pf.stderr().splitlines()) if m]

    def stream(self, method, target, seconds, head_seconds=10, body=b""):
        """Send one request over TLS and read its answer until the last chunk or the close:
        (status, headers, body bytes, closed by the peer, seconds it took)."""
        s = self.tls(timeout=(seconds + head_seconds) * SLOW)
        t0 = time.monotonic()
        send_request(s, method, target, body=body)
        status, hdrs, rest = read_head(s, t0 + head_seconds * SLOW)
        got = read_until_close(s, t0 + seconds * SLOW, upto=b"0\r\n\r\n")
        closed = bool(got) and got[-1][1] == b""
        return status, hdrs, rest + b"".join(d for _, d in got), closed, time.monotonic() - t0


# ---- raw HTTPS to the listener, with SNI and Host the docs' name --------------------------
def tls_connect(port, ca, timeout=10.0):
    import socket
    import ssl
    ctx = ssl.create_default_context(cafile=ca.root.cert)
    raw = socket.create_connection((pftest.PROXY, port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname=HA)


def send_request(sock, method, target, headers=(), body=b""):
    head = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, target, HA)
    for h in headers:
        head += h + "\r\n"
    if body or method == "POST":
        head += "Content-Length: %d\r\n" % len(body)
    sock.sendall(head.encode() + b"\r\n" + body)


def read_head(sock, deadline):
    """(status, headers dict lower-case, rest of the bytes already read)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        d = sock.recv(65536)
        if not d:
            raise EOFError("closed before the end of the head: %r" % buf)
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for ln in lines[1:]:
        k, v = ln.split(":", 1)
        hdrs[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), hdrs, rest


def read_until_close(sock, deadline, upto=None):
    """Bytes until the peer closes (or `upto` is in them); [(t, chunk)] with arrival times."""
    got = []
    seen = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            d = sock.recv(65536)
        except TimeoutError:
            break
        except OSError:
            d = b""
        if not d:
            got.append((time.monotonic(), b""))
            return got
        got.append((time.monotonic(), d))
        seen += d
        if upto is not None and upto in seen:
            return got
    return got
