#!/usr/bin/python3
"""Story: message framing (RFC 9110/9112) is proved row by row from test/framing.md.

The table is the single source: every row there becomes one test here (test_<id>),
run against a fresh pinfold and a fresh backend: the recording backend (recbackend.py)
when the row says "—", else a scripted backend that answers with the row's raw bytes.
Each test sends the row's raw bytes, checks the statuses pinfold answers and whether it
closes the connection, and compares the raw bytes every backend connection received with
the row's "backend sees" (exactly, or nothing).  See the notation at the top of framing.md.

Run one row: test_framing.py --binary build/pinfold Framing.test_cl_te
"""
import os
import re
import socket
import threading
import time
import unittest

import pftest
from pftest import PROXY, LAN

TABLE = os.path.join(pftest.REPO, "test", "framing.md")
PAUSE = 0.3             # {pause}
OPEN_GRACE = 0.3        # "open": no EOF within this long after the last response
CLOSE_WAIT = 3.0        # "close": EOF within this long
READ_TIMEOUT = 5.0      # per response
OK_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        @LISTENER@
        Service
            @BACKEND@
        End
    End
"""

# Slowness factor for runs under valgrind (.ci/valgrind.sh sets it).
SLOW = pftest.SLOW


# ---- the table ------------------------------------------------------------------------
class Row:
    def __init__(self, rid, lineno, client, answers, expect, sees, rule, listener=""):
        self.id, self.lineno = rid, lineno
        self.listener = listener    # extra directives for the ListenHTTP block
        self.client = client        # [ [segment bytes | PAUSE], ... ] one per client connection
        self.answers = answers      # None (recbackend) or [ [bytes | PAUSE | CLOSE], ... ]
        self.expect = expect        # [ ([tokens], "open"|"close"), ... ] per client connection
        self.sees = sees            # [ (template bytes, is_prefix), ... ]
        self.rule = rule


PAUSE_MARK = object()
CLOSE_MARK = object()
EARLY_MARK = object()
SPAN = re.compile(r"`([^`]*)`")
ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def unescape(text):
    """Python-style escapes in a table span -> bytes (latin-1 for the rest)."""
    out = bytearray()
    i = 0
    simple = {"r": 13, "n": 10, "t": 9, "0": 0, "\\": 92}
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode("latin-1")
            i += 1
            continue
        nxt = text[i + 1:i + 2]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", text[i + 2:i + 4]):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            raise ValueError("bad escape %r" % text[i:i + 4])
    return bytes(out)


MACRO = re.compile(r"\{(\d+)\*([^}]*)\}|\{([A-Za-z]+)\}")


def expand(text, port=None, where="client"):
    """A span -> list of pieces: bytes, PAUSE_MARK, CLOSE_MARK (macros resolved)."""
    pieces = []
    pos = 0
    for m in MACRO.finditer(text):
        if m.start() > pos:
            pieces.append(unescape(text[pos:m.start()]))
        if m.group(1):
            pieces.append(unescape(m.group(2)) * int(m.group(1)))
        else:
            name = m.group(3)
            if name == "XFF":
                pieces.append(b"X-Forwarded-For: 127.0.0.1\r\n")
            elif name == "XFP":
                pieces.append(b"X-Forwarded-Proto: http\r\nX-Forwarded-Port: %d\r\n" % port)
            elif name == "OK":
                pieces.append(OK_ANSWER)
            elif name == "pause" and where in ("client", "backend"):
                pieces.append(PAUSE_MARK)
            elif name == "close" and where == "backend":
                pieces.append(CLOSE_MARK)
            elif name == "early" and where == "backend" and m.start() == 0:
                pieces.append(EARLY_MARK)
            else:
                raise ValueError("macro {%s} not allowed in %s" % (name, where))
        pos = m.end()
    if pos < len(text):
        pieces.append(unescape(text[pos:]))
    # join adjacent bytes
    out = []
    for p in pieces:
        if isinstance(p, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += p
        else:
            out.append(p)
    return out


def spans(cell):
    return SPAN.findall(cell)


def parse_expect(cell):
    out = []
    for part in cell.split("/"):
        toks = part.split()
        if not toks or toks[-1] not in ("open", "close"):
            raise ValueError("pinfold answers %r: must end in open or close" % part)
        for t in toks[:-1]:
            if not re.fullmatch(r"[1-5]\d\d[h!]?", t):
                raise ValueError("bad response token %r" % t)
        out.append((toks[:-1], toks[-1]))
    return out


def parse_sees(cell):
    c = cell.strip()
    if c == "nothing":
        return []
    out = []
    for m in re.finditer(r"(prefix of\s+)?`([^`]*)`", c):
        out.append((m.group(2), bool(m.group(1))))
    if not out:
        raise ValueError("backend sees %r: 'nothing' or code spans" % cell)
    return out


def split_row(line):
    """Cells of a Markdown table row; a | inside a code span does not split."""
    cells, cur, code = [], "", False
    for ch in line.strip()[1:]:
        if ch == "`":
            code = not code
        if ch == "|" and not code:
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return cells


def load_table(path=TABLE):
    rows, seen = [], set()
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = None
    for n, line in enumerate(lines, 1):
        if not line.startswith("|"):
            header = None
            continue
        cells = split_row(line)
        if cells and cells[0] == "id":
            header = cells
            continue
        if header is None or set(cells[0]) <= set("-: "):
            continue
        if header[:5] != ["id", "client sends", "backend answers", "pinfold answers",
                          "backend sees"]:
            raise ValueError("%s:%d: unexpected table columns %r" % (path, n, header))
        if len(cells) != len(header):
            raise ValueError("%s:%d: %d cells, want %d" % (path, n, len(cells), len(header)))
        rid = cells[0]
        if not ID.match(rid) or rid in seen:
            raise ValueError("%s:%d: bad or duplicate id %r" % (path, n, rid))
        seen.add(rid)
        client = spans(cells[1])
        if not client:
            raise ValueError("%s:%d: no client bytes" % (path, n))
        answers = None if cells[2] in ("—", "-") else spans(cells[2])
        if answers is not None and not answers:
            raise ValueError("%s:%d: backend answers must be — or code spans" % (path, n))
        expect = parse_expect(cells[3])
        if len(expect) != len(client):
            raise ValueError("%s:%d: %d client connections but %d answer groups"
                             % (path, n, len(client), len(expect)))
        sees = parse_sees(cells[4])
        # every span must expand (syntax check now, not mid-test)
        for s in client:
            expand(s, 1, "client")
        for s in answers or []:
            expand(s, 1, "backend")
        for s, _ in sees:
            expand(s, 1, "sees")
        col = dict(zip(header, cells))
        listener = col.get("listener", "")
        listener = "" if listener in ("", "—", "-") else listener
        if listener and not re.fullmatch(r"[A-Za-z][A-Za-z0-9]* [0-9A-Za-z\"/._ -]*", listener):
            raise ValueError("%s:%d: listener directive %r" % (path, n, listener))
        rows.append(Row(rid, n, client, answers, expect, sees, col.get("rule", ""), listener))
    return rows


# ---- a scripted backend -------------------------------------------------------------------
class ScriptedBackend:
    """Loopback backend: records every byte per connection, answers the n-th request with
    the n-th answer (the last again after that), closes only on {close}."""

    def __init__(self, answers, host=LAN):
        self.host = host
        self.port = pftest.free_port(host)
        self.answers = answers     # list of piece lists
        self.lock = threading.Lock()
        self.conns = []            # bytearray per accepted connection
        self.nreq = 0
        self.stop_ev = threading.Event()
        self.socks = []
        self.threads = []
        self.errors = []

    def start(self):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((self.host, self.port))
        self.lsock.listen(16)
        self.lsock.settimeout(0.1)
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def _accept(self):
        while not self.stop_ev.is_set():
            try:
                s, _ = self.lsock.accept()
            except (socket.timeout, OSError):
                continue
            with self.lock:
                rec = bytearray()
                self.conns.append(rec)
                self.socks.append(s)
            t = threading.Thread(target=self._serve, args=(s, rec), daemon=True)
            t.start()
            self.threads.append(t)

    def _recv(self, s, rec, buf):
        deadline = time.monotonic() + 30
        while not self.stop_ev.is_set() and time.monotonic() < deadline:
            try:
                d = s.recv(65536)
            except socket.timeout:
                continue
            if not d:
                raise EOFError
            with self.lock:
                rec += d
            return buf + d
        raise EOFError

    def _serve(self, s, rec):
        s.settimeout(0.1)
        buf = b""
        try:
            while not self.stop_ev.is_set():
                while b"\r\n\r\n" not in buf:
                    buf = self._recv(s, rec, buf)
                head, buf = buf.split(b"\r\n\r\n", 1)
                with self.lock:
                    k = self.nreq
                    self.nreq += 1
                pieces = self.answers[min(k, len(self.answers) - 1)]
                early = bool(pieces) and pieces[0] is EARLY_MARK
                if early and not self._answer(s, pieces[1:]):
                    return
                buf = self._body(s, rec, buf, head.lower())
                if not early and not self._answer(s, pieces):
                    return
        except (EOFError, OSError):
            pass
        finally:
            try:
                s.close()
            except OSError:
                pass

    def _body(self, s, rec, buf, low):
        """Read the request body by its framing (lenient: this side is not under test)."""
        m = re.search(rb"\r\ncontent-length:[ \t]*(\d+)", low)
        if b"\r\ntransfer-encoding:" in low:
            end = re.compile(rb"(^|\r\n)0\r\n(.*?\r\n)?\r\n", re.S)
            while not end.search(buf):
                buf = self._recv(s, rec, buf)
            return buf[end.search(buf).end():]
        if m:
            n = int(m.group(1))
            while len(buf) < n:
                buf = self._recv(s, rec, buf)
            return buf[n:]
        return buf

    @staticmethod
    def _answer(s, pieces):
        """Send one answer; False when it closed the connection."""
        for p in pieces:
            if p is PAUSE_MARK:
                time.sleep(PAUSE)
            elif p is CLOSE_MARK:
                s.close()
                return False
            else:
                s.sendall(p)
        return True

    def stop(self):
        self.stop_ev.set()
        try:
            self.lsock.close()
        except OSError:
            pass
        for t in self.threads:
            t.join(timeout=2)

    def conn_bytes(self):
        with self.lock:
            return [bytes(c) for c in self.conns]


# ---- the client side ---------------------------------------------------------------------------
class Client:
    """One client connection: sends the row's segments from a thread (send errors after
    pinfold closes are expected), reads responses token by token."""

    def __init__(self, port, segments):
        self.c = pftest.HttpConn(PROXY, port, timeout=READ_TIMEOUT)  # scaled there
        self.segments = segments
        self.send_error = None
        self.t = threading.Thread(target=self._send, daemon=True)
        self.t.start()

    def _send(self):
        try:
            for p in self.segments:
                if p is PAUSE_MARK:
                    time.sleep(PAUSE)
                else:
                    self.c.sock.sendall(p)
        except OSError as e:
            self.send_error = e

    def read_one(self, want):
        """Read one response; returns its token (status + 'h'/'!')."""
        deadline = time.monotonic() + READ_TIMEOUT * SLOW
        r = self.c.read_head(deadline)
        st = str(r.status)
        if want.endswith("h") or 100 <= r.status < 200 or r.status in (204, 304):
            return st + ("h" if want.endswith("h") else "")
        te = [t.strip().lower() for v in r.headers_named("Transfer-Encoding")
              for t in v.split(",")]
        try:
            if te and te[-1] == "chunked":
                while True:
                    line = self.c._until(b"\r\n", deadline, 4096)
                    n = int(line.split(b";")[0].strip(), 16)
                    if n == 0:
                        break
                    self.c._exact(n + 2, deadline)
                while self.c._until(b"\r\n", deadline, 8192) != b"\r\n":
                    pass
            elif not te and r.headers_named("Content-Length"):
                self.c._exact(int(r.header("Content-Length")), deadline)
            else:
                while True:                      # close-delimited
                    try:
                        self.c._fill(deadline)
                    except EOFError:
                        self.c.buf = b""
                        return st
        except EOFError:
            return st + "!"
        return st

    def final_state(self):
        """'close' if pinfold closes soon with no more bytes; 'open' if nothing comes;
        'data:...' if more bytes arrive."""
        if self.c.eof:
            return "close"
        if self.c.buf:
            return "data:%r" % self.c.buf[:200]
        try:
            # scaled: on a loaded machine a close may come later than the grace
            self.c._fill(time.monotonic() + OPEN_GRACE * SLOW)
        except EOFError:
            return "close"
        except TimeoutError:
            return "open"
        return "data:%r" % self.c.buf[:200]

    def wait_close(self):
        try:
            self.c._fill(time.monotonic() + CLOSE_WAIT * SLOW)
        except EOFError:
            return True
        except TimeoutError:
            return False
        return False

    def close(self):
        self.c.close()
        self.t.join(timeout=5)


# ---- the tests ---------------------------------------------------------------------------------
class Framing(pftest.TestCase):
    maxDiff = None

    def run_row(self, row):
        if row.answers is None:
            be = self.backend()
        else:
            be = ScriptedBackend([expand(a, 0, "backend") for a in row.answers])
            self._others.append(be)
            be.start()
        port = pftest.free_port()
        self.pinfold(CFG, PORT=port, BACKEND=pftest.be_block(be), LISTENER=row.listener)

        got = []
        for segs_text, (want_tokens, want_state) in zip(row.client, row.expect):
            cl = Client(port, expand(segs_text, port, "client"))
            tokens = []
            state = None
            try:
                for w in want_tokens:
                    try:
                        tokens.append(cl.read_one(w))
                    except EOFError:
                        state = "close"
                        break
                    except (TimeoutError, ValueError) as e:
                        state = "error: %s" % e
                        break
                if state is None:
                    state = cl.final_state()
                    if state == "open" and want_state == "close":
                        state = "close" if cl.wait_close() else "open"
            finally:
                cl.close()
            got.append((tokens, state))
        want = [(t, s) for t, s in row.expect]
        self.assertEqual(
            [(" ".join(t), s) for t, s in got], [(" ".join(t), s) for t, s in want],
            "row %s (framing.md:%d): pinfold answered %r, want %r"
            % (row.id, row.lineno, got, want))

        # what the backend received, per connection that carried bytes
        if row.answers is None:
            deadline = time.monotonic() + 2
            conns = [d for _, d in be.conn_files() if d]
        else:
            deadline = time.monotonic() + 2
            conns = [d for d in be.conn_bytes() if d]
        want_sees = [(b"".join(p for p in expand(t, port, "sees")), pre) for t, pre in row.sees]
        # complete-exactly rows may need a moment for the last bytes to be logged
        while time.monotonic() < deadline and not self._sees_match(conns, want_sees):
            time.sleep(0.05)
            conns = ([d for _, d in be.conn_files() if d] if row.answers is None
                     else [d for d in be.conn_bytes() if d])
        self.assertTrue(self._sees_match(conns, want_sees),
                        "row %s (framing.md:%d): the backend saw\n  %s\nwant\n  %s"
                        % (row.id, row.lineno,
                           "\n  ".join(repr(c) for c in conns) or "nothing",
                           "\n  ".join(("prefix of " if p else "") + repr(b)
                                       for b, p in want_sees) or "nothing"))

    @staticmethod
    def _sees_match(conns, want):
        i = 0
        for data, prefix in want:
            if prefix:
                if i < len(conns) and data.startswith(conns[i]):
                    i += 1
                continue
            if i >= len(conns) or conns[i] != data:
                return False
            i += 1
        return i == len(conns)

    def test_table_is_well_formed(self):
        rows = load_table()
        self.assertGreaterEqual(len(rows), 100)
        for rid in ("cl-te", "te-cl", "cl-dup-differ", "te-chunked-gzip", "chunk-overflow",
                    "lf-request-line", "cr-value", "ws-before-colon", "obs-fold-sp",
                    "nul-value", "name-paren", "host-twice", "host-missing",
                    "abs-host-differs", "http09", "version-2-0", "line-414", "head-431",
                    "fields-101", "conn-xff", "resp-cl-te", "upgrade-200-then-http",
                    "pipe-after-rejected", "expect-100"):
            self.assertIn(rid, [r.id for r in rows], "framing.md lost the row " + rid)


def _make(row):
    def t(self):
        self.run_row(row)
    t.__doc__ = "%s (framing.md:%d) %s" % (row.id, row.lineno, row.rule)
    return t


# PFTEST_SHARD=i/n: only every n-th row from the i-th (0-based), so a slow run (valgrind)
# can spread the rows over several processes.
_shard = os.environ.get("PFTEST_SHARD", "")
_k, _n = (int(x) for x in _shard.split("/")) if _shard else (0, 1)
for _i, _row in enumerate(load_table()):
    if _i % _n == _k:
        setattr(Framing, "test_" + _row.id.replace("-", "_"), _make(_row))


if __name__ == "__main__":
    pftest.main()
