#!/usr/bin/python3
"""
recbackend.py - a recording HTTP/1.1 test backend for pinfold's integration tests.

Listens on one loopback address:port and writes every raw byte it receives to
a log directory, one file per connection (conn-<start>-00001.raw, ...), so a test can
assert "the backend saw exactly these bytes" or "the backend saw nothing".
It also appends one JSON line per parsed request to requests.jsonl.

Answers HTTP/1.1 with keep-alive:
  /size/N          N deterministic bytes (pattern_bytes), Content-Length
  /chunked/N       the same N bytes, chunked (uneven chunk sizes)
  /close/N         the same N bytes, close-delimited (no length, then close)
  /short/N/M       Content-Length N, but only the first M of those bytes, then close
  /echo            JSON: method, target, headers, body length + sha256, framing
  /headers         the received header block verbatim (text/plain)
  /status/NNN      that status (no body for 1xx/204/304 and HEAD)
  /delay/MS        wait MS milliseconds, then a small 200 ("delayed MS\\n")
  /hop             a 200 carrying hop-by-hop response headers a proxy must drop
  /cookie/NAME/VALUE  a 200 with Set-Cookie: NAME=VALUE; Path=/; HttpOnly
  /health          the status written in LOGDIR/health (default 200); "hang" there:
                   no answer at all (the connection stays open until the client goes)
  /ws, /api/websocket  WebSocket (RFC 6455, server side hand-rolled): greets with
                   "hello", then echoes every message; answers ping and close
  anything else    200 "ok METHOD TARGET\\n"
Every response carries X-Backend: NAME, X-Conn: <connection number> and
X-Req: <request number on that connection>.

--raw FILE: answer every request (read by its framing) with the bytes of FILE
verbatim and close - for bad-framing tests.

Python 3 stdlib only.  Stops on SIGTERM/SIGINT (exit 0).  Every wait is bounded.
"""
import argparse
import base64
import hashlib
import itertools
import json
import os
import select
import signal
import socket
import sys
import threading
import time

IDLE_TIMEOUT = 60.0     # a silent connection is closed after this long
MAX_HEAD = 1 << 20      # a request head larger than this is refused
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3

# ---- deterministic content ---------------------------------------------------
# A block whose length is not a power of two, so a dropped, repeated or
# misplaced chunk anywhere changes the digest of the whole body.
_BLOCK_LEN = 65521
_BLOCK = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest()
                  for i in range((_BLOCK_LEN + 31) // 32))[:_BLOCK_LEN]


def pattern_bytes(offset, length):
    """Bytes [offset, offset+length) of the endless deterministic stream."""
    out = bytearray()
    pos = offset % _BLOCK_LEN
    while len(out) < length:
        take = min(_BLOCK_LEN - pos, length - len(out))
        out += _BLOCK[pos:pos + take]
        pos = 0
    return bytes(out)


def pattern_sha256(length):
    h = hashlib.sha256()
    off = 0
    while off < length:
        n = min(1 << 20, length - off)
        h.update(pattern_bytes(off, n))
        off += n
    return h.hexdigest()


# ---- server ---------------------------------------------------------------------
class PeerClosed(Exception):
    pass


class Conn:
    """One accepted connection: reads through a recording buffer."""

    def __init__(self, srv, sock, seq):
        self.srv = srv
        self.sock = sock
        self.seq = seq
        self.buf = b""
        self.nreq = 0
        # Named by server start time and sequence, so a restarted backend appends new files.
        self.log = open(os.path.join(srv.logdir, "conn-%d-%05d.raw" % (srv.gen, seq)), "ab",
                        buffering=0)
        sock.settimeout(IDLE_TIMEOUT)

    def more(self):
        data = self.sock.recv(65536)
        if not data:
            raise PeerClosed()
        self.log.write(data)
        self.buf += data

    def read_until(self, sep, limit):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out, self.buf = self.buf[:i + len(sep)], self.buf[i + len(sep):]
                return out
            if len(self.buf) > limit:
                raise ValueError("line or head too long")
            self.more()

    def read_exact(self, n):
        while len(self.buf) < n:
            self.more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        finally:
            self.log.close()


def parse_head(head):
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3:
        raise ValueError("bad request line %r" % lines[0])
    method, target, version = (p.decode("latin-1") for p in parts)
    headers = []
    for ln in lines[1:]:
        name, sep, value = ln.partition(b":")
        if not sep:
            raise ValueError("bad header line %r" % ln)
        headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
    return method, target, version, headers


def hget(headers, name):
    """All values of header `name` (case-insensitive)."""
    return [v for n, v in headers if n.lower() == name.lower()]


def has_token(headers, name, token):
    for v in hget(headers, name):
        if token.lower() in (t.strip().lower() for t in v.split(",")):
            return True
    return False


class Body:
    def __init__(self):
        self.sha = hashlib.sha256()
        self.length = 0
        self.keep = bytearray()  # first 64 KiB, for /echo

    def add(self, data):
        self.sha.update(data)
        self.length += len(data)
        if len(self.keep) < 65536:
            self.keep += data[:65536 - len(self.keep)]


def read_body(c, headers):
    """Read a request body by its framing; returns (Body, framing, trailers)."""
    body = Body()
    te = ",".join(hget(headers, "Transfer-Encoding")).lower()
    if te:
        if te.split(",")[-1].strip() != "chunked":
            raise ValueError("unsupported transfer-encoding %r" % te)
        trailers = []
        while True:
            line = c.read_until(b"\r\n", 4096)
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                break
            left = size
            while left:
                if not c.buf:
                    c.more()
                piece = c.buf[:left]
                c.buf = c.buf[len(piece):]
                body.add(piece)
                left -= len(piece)
            if c.read_exact(2) != b"\r\n":
                raise ValueError("chunk not followed by CRLF")
        while True:
            line = c.read_until(b"\r\n", 8192)
            if line == b"\r\n":
                break
            n, _, v = line[:-2].partition(b":")
            trailers.append((n.decode("latin-1"), v.strip().decode("latin-1")))
        return body, "chunked", trailers
    cls = hget(headers, "Content-Length")
    if cls:
        if len(set(cls)) != 1:
            raise ValueError("conflicting Content-Length")
        left = int(cls[0])
        while left:
            if not c.buf:
                c.more()
            piece = c.buf[:left]
            c.buf = c.buf[len(piece):]
            body.add(piece)
            left -= len(piece)
        return body, "content-length", []
    return body, "none", []


REASONS = {100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created",
           204: "No Content", 301: "Moved Permanently", 302: "Found", 304: "Not Modified",
           400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class Server:
    def __init__(self, host, port, logdir, name, raw_file):
        self.host, self.port, self.logdir, self.name = host, port, logdir, name
        self.raw = open(raw_file, "rb").read() if raw_file else None
        self.stop = threading.Event()
        self.seq = itertools.count(1)
        self.gen = time.time_ns()
        self.jlock = threading.Lock()
        self.jlog = open(os.path.join(logdir, "requests.jsonl"), "a", buffering=1)
        self.conns = set()
        self.clock = threading.Lock()
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.lsock = socket.socket(fam, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, port))
        self.lsock.listen(128)
        self.port = self.lsock.getsockname()[1]

    def health_answer(self):
        try:
            with open(os.path.join(self.logdir, "health")) as f:
                return f.read().strip() or "200"
        except OSError:
            return "200"

    # -- bookkeeping
    def record(self, entry):
        with self.jlock:
            self.jlog.write(json.dumps(entry, sort_keys=True) + "\n")

    def serve(self):
        # Written last so a waiting test knows the socket already accepts.
        tmp = os.path.join(self.logdir, "ready.tmp")
        with open(tmp, "w") as f:
            f.write("%d\n%d\n" % (self.port, os.getpid()))
        os.rename(tmp, os.path.join(self.logdir, "ready"))
        while not self.stop.is_set():
            r, _, _ = select.select([self.lsock], [], [], 0.2)
            if not r:
                continue
            try:
                sock, _ = self.lsock.accept()
            except OSError:
                continue
            c = Conn(self, sock, next(self.seq))
            with self.clock:
                self.conns.add(c)
            threading.Thread(target=self.run_conn, args=(c,), daemon=True).start()
        self.lsock.close()
        with self.clock:
            for c in list(self.conns):
                try:
                    c.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def run_conn(self, c):
        try:
            while not self.stop.is_set():
                if not self.handle_one(c):
                    break
        except (PeerClosed, ConnectionError, socket.timeout, OSError):
            pass
        except ValueError as e:
            try:
                msg = ("bad request: %s\n" % e).encode()
                c.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\n"
                       b"Connection: close\r\n\r\n%s" % (len(msg), msg))
            except OSError:
                pass
        finally:
            with self.clock:
                self.conns.discard(c)
            c.close()

    # -- one request; returns False when the connection is to be closed
    def handle_one(self, c):
        try:
            head = c.read_until(b"\r\n\r\n", MAX_HEAD)
        except PeerClosed:
            return False
        # Tolerate (but record) empty lines between requests, as RFC 9112 allows.
        while head.startswith(b"\r\n"):
            head = head[2:]
            if not head:
                return True
        method, target, version, headers = parse_head(head)
        c.nreq += 1
        entry = {"conn": c.seq, "gen": self.gen, "req": c.nreq, "method": method,
                 "target": target, "version": version, "headers": headers, "time": time.time()}
        self.record(dict(entry, event="head"))
        expect = has_token(headers, "Expect", "100-continue")
        path = target.split("?", 1)[0]
        if expect and version == "HTTP/1.1" and self.raw is None:
            c.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        body, framing, trailers = read_body(c, headers)
        self.record(dict(entry, event="body", body_length=body.length,
                         body_sha256=body.sha.hexdigest(), framing=framing, trailers=trailers))
        keep = version == "HTTP/1.1" and not has_token(headers, "Connection", "close")
        if version == "HTTP/1.0" and has_token(headers, "Connection", "keep-alive"):
            keep = True
        if self.raw is not None:
            c.send(self.raw)
            return False
        is_head = method == "HEAD"
        if path in ("/ws", "/api/websocket") and has_token(headers, "Upgrade", "websocket"):
            self.websocket(c, headers)
            return False
        return self.respond(c, method, target, path, version, headers, head, body,
                            framing, trailers, keep, is_head)

    def start_line(self, c, status, version):
        reason = REASONS.get(status, "Status")
        return ["HTTP/1.1 %d %s" % (status, reason), "X-Backend: " + self.name,
                "X-Conn: %d" % c.seq, "X-Req: %d" % c.nreq]

    def respond(self, c, method, target, path, version, headers, head, body, framing,
                trailers, keep, is_head):
        parts = path.strip("/").split("/")
        status, extra, payload, mode = 200, [], b"", "length"
        length = cut = None
        if parts[0] == "size" and len(parts) == 2:
            length = int(parts[1])
        elif parts[0] == "chunked" and len(parts) == 2:
            length, mode = int(parts[1]), "chunked"
        elif parts[0] == "close" and len(parts) == 2:
            length, mode = int(parts[1]), "close"
        elif parts[0] == "short" and len(parts) == 3:
            # Content-Length says the first number, the body stops after the second
            length, mode, cut = int(parts[1]), "length", int(parts[2])
            keep = False
        elif parts[0] == "echo":
            info = {"method": method, "target": target, "version": version,
                    "headers": headers, "body_length": body.length,
                    "body_sha256": body.sha.hexdigest(), "framing": framing,
                    "trailers": trailers, "conn": c.seq, "req": c.nreq,
                    "backend": self.name}
            if body.length <= 4096:
                info["body"] = body.keep.decode("latin-1")
            payload = (json.dumps(info, sort_keys=True) + "\n").encode()
            extra.append("Content-Type: application/json")
        elif parts[0] == "headers":
            payload = head
            extra.append("Content-Type: text/plain")
        elif parts[0] == "status" and len(parts) == 2:
            status = int(parts[1])
            payload = b"status %d\n" % status
        elif parts[0] == "delay" and len(parts) == 2:
            ms = min(int(parts[1]), 30000)
            self.stop.wait(ms / 1000.0)
            payload = b"delayed %d\n" % ms
        elif parts[0] == "cookie" and len(parts) == 3:
            extra.append("Set-Cookie: %s=%s; Path=/; HttpOnly" % (parts[1], parts[2]))
            payload = b"cookie set\n"
        elif parts[0] == "health":
            want = self.health_answer()
            if want == "hang":
                # read on until the client gives up; bounded by IDLE_TIMEOUT and stop
                c.sock.settimeout(IDLE_TIMEOUT)
                try:
                    while not self.stop.is_set() and c.sock.recv(4096):
                        pass
                except OSError:
                    pass
                return False
            status = int(want)
            payload = b"health %d\n" % status
        elif parts[0] == "hop":
            extra += ["Connection: X-Resp-Hop", "X-Resp-Hop: must-not-pass",
                      "Keep-Alive: timeout=5, max=100", "Proxy-Authenticate: Basic realm=\"x\"",
                      "Proxy-Connection: keep-alive", "Trailer: X-Resp-Trailer",
                      "X-End-To-End: kept"]
            payload = b"hop\n"
        else:
            payload = ("ok %s %s\n" % (method, target)).encode()
        lines = self.start_line(c, status, version) + extra
        no_body = is_head or status in (204, 304) or 100 <= status < 200
        if mode == "close":
            keep = False
        if not keep:
            lines.append("Connection: close")
        elif version == "HTTP/1.0":
            lines.append("Connection: keep-alive")
        if length is None:
            length = len(payload)
            gen = lambda off, n: payload[off:off + n]  # noqa: E731
        else:
            lines.append("Content-Type: application/octet-stream")
            gen = pattern_bytes
        if mode == "length":
            if status not in (204, 304) and not 100 <= status < 200:
                lines.append("Content-Length: %d" % length)
        elif mode == "chunked":
            lines.append("Transfer-Encoding: chunked")
        c.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if no_body:
            return keep
        if mode == "chunked":
            sizes = itertools.cycle([1, 1000, 4096, 65536, 7, 30000])
            off = 0
            while off < length:
                n = min(next(sizes), length - off)
                c.send(b"%x\r\n" % n + gen(off, n) + b"\r\n")
                off += n
            c.send(b"0\r\n\r\n")
        else:
            off, end = 0, length if cut is None else min(cut, length)
            while off < end:
                n = min(65536, end - off)
                c.send(gen(off, n))
                off += n
        if mode == "close":
            try:
                c.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        return keep

    # -- WebSocket server side (RFC 6455), the client side is the real library
    def websocket(self, c, headers):
        key = (hget(headers, "Sec-WebSocket-Key") or [""])[0].encode()
        accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
        lines = self.start_line(c, 101, "HTTP/1.1") + [
            "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: " + accept]
        c.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.ws_send(c, 0x1, b"hello")
        nmsg = 0
        msg_op, msg = None, bytearray()
        while not self.stop.is_set():
            fin, op, payload = self.ws_recv(c)
            if op == 0x8:  # close: echo the status code back, then close
                self.ws_send(c, 0x8, payload[:2])
                self.record({"conn": c.seq, "gen": self.gen, "event": "ws-close", "messages": nmsg,
                             "payload": payload.hex()})
                return
            if op == 0x9:
                self.ws_send(c, 0xA, payload)
                continue
            if op == 0xA:
                continue
            if op in (0x1, 0x2):
                msg_op, msg = op, bytearray(payload)
            elif op == 0x0 and msg_op is not None:
                msg += payload
            else:
                raise ValueError("bad websocket opcode %d" % op)
            if fin:
                nmsg += 1
                self.ws_send(c, msg_op, bytes(msg))
                msg_op, msg = None, bytearray()

    def ws_recv(self, c):
        b0, b1 = c.read_exact(2)
        fin, op = b0 & 0x80, b0 & 0x0F
        masked, n = b1 & 0x80, b1 & 0x7F
        if n == 126:
            n = int.from_bytes(c.read_exact(2), "big")
        elif n == 127:
            n = int.from_bytes(c.read_exact(8), "big")
        if not masked:
            raise ValueError("client frame not masked")
        mask = c.read_exact(4)
        data = c.read_exact(n)
        if n:
            m = (mask * (n // 4 + 1))[:n]
            data = (int.from_bytes(data, "big") ^ int.from_bytes(m, "big")).to_bytes(n, "big")
        return fin, op, data

    def ws_send(self, c, op, payload):
        n = len(payload)
        if n < 126:
            hdr = bytes([0x80 | op, n])
        elif n < 65536:
            hdr = bytes([0x80 | op, 126]) + n.to_bytes(2, "big")
        else:
            hdr = bytes([0x80 | op, 127]) + n.to_bytes(8, "big")
        c.send(hdr + payload)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--listen", required=True, help="ADDR:PORT, e.g. 127.0.0.2:8123 or [::1]:8080")
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--name", default="rec")
    ap.add_argument("--raw", metavar="FILE", help="answer every request with these bytes verbatim")
    a = ap.parse_args()
    host, _, port = a.listen.rpartition(":")
    host = host.strip("[]")
    if not (host.startswith("127.") or host == "::1"):
        sys.exit("recbackend: refusing to listen on a non-loopback address %s" % host)
    os.makedirs(a.logdir, exist_ok=True)
    srv = Server(host, int(port), a.logdir, a.name, a.raw)

    def on_signal(signo, frame):
        srv.stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    srv.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
