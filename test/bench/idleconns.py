#!/usr/bin/python3
"""test/bench/idleconns.py - memory a server holds per idle keep-alive connection.

Reads the servers' VmRSS and RssAnon (/proc/PID/status, summed over the PIDs given: nginx
is a master and a worker), opens N connections to 127.0.0.1:PORT (TLS with --tls), sends
one GET on each and reads the whole answer, keeps them all open and idle, waits for the
server to settle and reads the memory again.  Prints one line:

    rss_before rss_after anon_before anon_after answered

(KiB, KiB, KiB, KiB, connections that got a complete 2xx answer).  Used by run.sh (plain)
and tls.sh (TLS).  Bounded: N <= 5000, every socket operation times out after 10 s.
"""
import argparse
import resource
import socket
import ssl
import sys
import time


def status_kib(pids, key):
    total = 0
    for pid in pids:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    total += int(line.split()[1])
    return total


def get_once(sock, path):
    """Send one GET and read the full answer; True on a 2xx with its whole body."""
    sock.sendall(("GET %s HTTP/1.1\r\nHost: bench.test\r\n\r\n" % path).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if not lines[0].startswith(b"HTTP/1.") or lines[0][9:10] != b"2":
        return False
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return False
        body += chunk
    return len(body) == length


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pids", required=True, help="comma-separated server PIDs")
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--path", default="/1k.bin")
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--settle", type=float, default=1.0)
    a = ap.parse_args()
    if not 1 <= a.n <= 5000:
        sys.exit("idleconns: -n must be 1..5000")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.n + 64), hard))
    pids = [int(p) for p in a.pids.split(",") if p]
    ctx = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    time.sleep(0.3)
    rss0, anon0 = status_kib(pids, "VmRSS"), status_kib(pids, "RssAnon")
    conns, answered = [], 0
    try:
        for _ in range(a.n):
            s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
            if ctx:
                s = ctx.wrap_socket(s, server_hostname="bench.test")
            conns.append(s)
            answered += get_once(s, a.path)
        time.sleep(a.settle)
        rss1, anon1 = status_kib(pids, "VmRSS"), status_kib(pids, "RssAnon")
    finally:
        for s in conns:
            s.close()
    print(rss0, rss1, anon0, anon1, answered)


if __name__ == "__main__":
    main()
