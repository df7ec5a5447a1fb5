"""
accessctl.py - helpers for the access-control stories (ACL, TrustedIP, RateLimit,
BasicAuth, limits, fail2ban, slow clients), on top of pftest.

Clients pick their source address inside 127.0.0.0/8, so one machine plays many
internet clients: 127.0.0.1 is where pinfold listens, 127.0.0.2/.3 are backends,
and tests use other 127.0.0.x as "addresses on the internet".
"""
import base64
import os
import re
import socket
import subprocess
import time

import pftest

REFUSED = re.compile(r'^pinfold: refused (\S+) "((?:[^"\\]|\\x[0-9a-f]{2})*)" (\d{3}|-) (\w+)$')


class SrcConn(pftest.HttpConn):
    """pftest.HttpConn from a chosen source address (127.0.0.x or ::1)."""

    def __init__(self, host, port, src, timeout=5.0):
        super().__init__(host, port, timeout, source=src)


def request_from(src, port, raw, host=pftest.PROXY, method=None, timeout=5.0):
    """One request on a new connection from `src`; the response."""
    if method is None:
        method = raw.split(b" ", 1)[0].decode()
    with SrcConn(host, port, src, timeout) as c:
        c.send(raw)
        return c.read_response(method=method, timeout=timeout)


def get_from(src, port, target, headers=(), vhost="test.invalid", method="GET", body=None,
             timeout=5.0):
    return request_from(src, port, pftest.build_request(method, target, vhost, headers, body),
                        method=method, timeout=timeout)


def basic(user, password):
    """An Authorization header for HTTP Basic authentication."""
    return ("Authorization", "Basic " + base64.b64encode(
        ("%s:%s" % (user, password)).encode()).decode())


def refused_lines(pf):
    """(client, request line, status, reason) of every refused line pinfold wrote so far."""
    out = []
    for ln in pf.stderr().splitlines():
        m = REFUSED.match(ln)
        if m:
            out.append((m.group(1), m.group(2), m.group(3), m.group(4)))
    return out


def wait_refused(pf, pred, timeout=3.0, what="refused line"):
    """Wait (bounded) until a refused line satisfying pred(client, reqline, status, reason)."""
    def find():
        return [r for r in refused_lines(pf) if pred(*r)]
    return pftest.wait_until(find, timeout, what=what)


def htpasswd_file(path, users, cost=5):
    """An htpasswd file made by Apache's own tool with bcrypt (-B), as a user would."""
    first = True
    for user, password in users:
        args = ["htpasswd", "-b", "-B", "-C", str(cost)]
        if first:
            args.append("-c")
        cp = subprocess.run(args + [path, user, password], capture_output=True, text=True,
                            timeout=30)
        if cp.returncode != 0:
            raise AssertionError("htpasswd failed: %s" % cp.stderr)
        first = False
    os.chmod(path, 0o644)
    return path


def has_tool(name):
    return any(os.access(os.path.join(d, name), os.X_OK)
               for d in os.environ.get("PATH", "/usr/bin:/bin").split(":") + ["/usr/sbin"])


def backend_targets_since(be, mark):
    return [e["target"] for e in be.requests_since(mark)]


def settle(be, mark, n, timeout=3.0):
    """Wait until the backend journal has n more complete requests (bounded)."""
    pftest.wait_until(lambda: len(be.requests_since(mark)) >= n, timeout,
                      what="%d request(s) at the backend" % n)
    time.sleep(0.05)
