#!/usr/bin/python3
"""replay.py - replay every request-smuggling payload through pinfold to the recording backend.

Each test/smuggling/payloads/NAME.raw is sent as it is, on a new connection, to a fresh
pinfold in front of a fresh recording backend (test/integration/recbackend.py), everything
on loopback.  Then the backend side is checked.  Every payload must end one of two ways:

  rejected   pinfold answered it itself with an error status (4xx/5xx, no X-Backend header)
             and the backend received no complete request: nothing at all, or (for an error
             inside a chunked body, which is streamed) an incomplete one that pinfold then
             cut off;
  forwarded  the backend received exactly one request, on one connection, with unambiguous
             framing: exactly one of Content-Length (digits) or Transfer-Encoding (exactly
             "chunked"), no other field whose name a lenient parser could take for either
             (case, '_' for '-', whitespace), and after the head exactly the body that
             framing describes and not one byte more; the client got exactly one response.

Never two requests, never a request the client did not send: a smuggled request may only
reach the backend as body bytes of the request that carried it.

Each payload's outcome is one of four classes, and test/smuggling/expected.txt names the
one each payload must have (a payload passes only with its own class, so the split
asserted is exact, not just "safe"):
  refused-400, refused-505   rejected with that status;
  forwarded                  forwarded, every field line the client sent reaching the
                             backend (the proxy adds its own, X-Forwarded-For and the like);
  normalised                 forwarded without some of the client's field lines (a
                             look-alike framing field, a hop-by-hop field named in
                             Connection).
A payload with no line there, or a line without a payload, fails.

Usage: replay.py [--binary PATH] [--only NAME...] [--markdown FILE] [-v]
Exit: 0 all payloads passed, 1 some failed.  Prints the split, then "N passed, N failed".
"""
import os
import re
import sys
import tempfile
import threading
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "test", "integration"))
import pftest  # noqa: E402

PAYLOADS = os.path.join(HERE, "payloads")
EXPECTED = os.path.join(HERE, "expected.txt")
CLASSES = ("refused-400", "refused-505", "forwarded", "normalised")
CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            @BACKEND@
        End
    End
"""
SLOW = pftest.SLOW
FRAMING_NAMES = ("content-length", "transfer-encoding")


def norm_name(n):
    """What a lenient parser might make of a field name: CGI/WSGI map '_' and '-' alike,
    some trim whitespace or ignore case."""
    return re.sub(r"[\s]", "", n.decode("latin-1")).lower().replace("_", "-")


def strict_chunked_end(body):
    """Offset just past a well-formed chunked body at the start of `body`, or None."""
    i = 0
    while True:
        m = re.match(rb"([0-9A-Fa-f]{1,16})((?:;[!#$%&'*+.^_`|~0-9A-Za-z-]+"
                     rb"(?:=(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+|\"[^\"\r\n]*\"))?)*)\r\n", body[i:])
        if not m:
            return None
        n = int(m.group(1), 16)
        i += m.end()
        if n == 0:
            break
        if body[i + n:i + n + 2] != b"\r\n":
            return None
        i += n + 2
    while True:                                   # trailer section
        j = body.find(b"\r\n", i)
        if j < 0:
            return None
        line = body[i:j]
        i = j + 2
        if not line:
            return i
        if not re.match(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t -~\x80-\xff]*$", line):
            return None


def check_forwarded(data):
    """Problems with what one backend connection received (empty list: unambiguous)."""
    probs = []
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return ["no complete head"]
    head, rest = data[:end], data[end + 4:]
    lines = head.split(b"\r\n")
    if len(lines[0].split(b" ")) != 3:
        probs.append("bad request line %r" % lines[0])
    if re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", head.replace(b"\r\n", b"")):
        probs.append("control bytes in the head")
    cl, te = [], []
    for ln in lines[1:]:
        name, sep, value = ln.partition(b":")
        if not sep:
            probs.append("field line without colon %r" % ln)
            continue
        n = name.decode("latin-1").lower()
        v = value.strip(b" \t")
        if n == "content-length":
            cl.append(v)
        elif n == "transfer-encoding":
            te.append(v)
        elif norm_name(name) in FRAMING_NAMES:
            probs.append("look-alike framing field %r next to the real framing" % ln)
    if len(cl) + len(te) > 1:
        probs.append("more than one framing field: CL %r TE %r" % (cl, te))
    if te and te[0].lower() != b"chunked":
        probs.append("Transfer-Encoding %r is not exactly chunked" % te[0])
    if cl and not re.fullmatch(rb"[0-9]+", cl[0]):
        probs.append("Content-Length %r is not digits" % cl[0])
    if probs:
        return probs
    if te:
        n = strict_chunked_end(rest)
        if n is None:
            return ["chunked body not well formed: %r" % rest[:120]]
    elif cl:
        n = int(cl[0])
        if len(rest) < n:
            return ["body shorter than Content-Length"]
    else:
        n = 0
    if rest[n:]:
        probs.append("%d bytes after the framed body (a second request?): %r"
                     % (len(rest) - n, rest[n:n + 120]))
    return probs


def field_names(head):
    """The field names of a raw head, lower case, in order."""
    out = []
    for ln in head.split(b"\r\n")[1:]:
        n, sep, _ = ln.partition(b":")
        if sep:
            out.append(n.decode("latin-1").strip().lower())
    return out


def read_expected():
    """{payload name: class} from expected.txt ("NAME CLASS  # why" lines)."""
    out = {}
    with open(EXPECTED) as f:
        for line in f:
            w = line.split("#", 1)[0].split()
            if w:
                if len(w) != 2 or w[1] not in CLASSES:
                    sys.exit("%s: bad line %r (want NAME CLASS, CLASS one of %s)"
                             % (EXPECTED, line.strip(), ", ".join(CLASSES)))
                out[w[0]] = w[1]
    return out


def replay(name, data, workdir, verbose=False):
    """(ok, verdict text, details); details["class"] is the outcome's class."""
    be = pftest.RecBackend(workdir, name="rec")
    be.start()
    port = pftest.free_port()
    pf = pftest.Pinfold(workdir, pftest.cfg(CFG, PORT=port, BACKEND=pftest.be_block(be)))
    try:
        pf.start([(pftest.PROXY, port)])
        c = pftest.HttpConn(pftest.PROXY, port, timeout=5)

        def send():
            try:
                c.sock.sendall(data)
            except OSError:
                pass
        t = threading.Thread(target=send, daemon=True)
        t.start()
        method = data.split(b" ", 1)[0].decode("latin-1", "replace")
        resp, err = None, None
        try:
            resp = c.read_response(method=method if method == "HEAD" else "GET", timeout=5)
        except (EOFError, TimeoutError, ValueError, OSError) as e:
            err = str(e)
        extra = c.read_all(0.5) if resp is not None else b""
        c.close()
        t.join(timeout=5 * SLOW)
    finally:
        rc = pf.stop()
        try:
            # pinfold is gone: what it sent the backend is all in the backend's sockets
            be.wait_read_to_end()
        finally:
            be.stop()
    conns = [d for _, d in be.conn_files() if d]
    done = be.requests()
    details = {"conns": conns, "extra": extra, "resp": resp, "err": err, "rc": rc}
    if rc != 0:
        return False, "pinfold exited %s" % rc, details
    if resp is None:
        return False, "no response (%s)" % err, details
    from_backend = resp.header("X-Backend") is not None
    if not from_backend:
        if resp.status < 400:
            return False, "pinfold answered %d itself" % resp.status, details
        if done:
            return False, "rejected %d but the backend completed %d request(s)" % (
                resp.status, len(done)), details
        if extra:
            return False, "rejected %d, then more bytes %r" % (resp.status, extra[:100]), details
        how = "backend saw nothing" if not conns else "backend saw an incomplete request, cut"
        details["class"] = "refused-%d" % resp.status
        return True, "rejected %d (%s)" % (resp.status, how), details
    # forwarded
    if len(conns) != 1 or len(done) != 1:
        return False, "forwarded as %d request(s) on %d connection(s)" % (
            len(done), len(conns)), details
    probs = check_forwarded(conns[0])
    if extra:
        probs.append("a second response reached the client: %r" % extra[:100])
    if probs:
        return False, "forwarded, but: " + "; ".join(probs), details
    framing = done[0].get("framing", "?")
    how = {"content-length": "Content-Length", "chunked": "chunked", "none": "no body"}.get(
        framing, framing)
    reached = set(field_names(conns[0].split(b"\r\n\r\n", 1)[0]))
    dropped = [n for n in field_names(data.split(b"\r\n\r\n", 1)[0]) if n not in reached]
    if dropped:
        details["class"] = "normalised"
        return True, "forwarded as one request (%s) without %s" % (
            how, ", ".join(dropped)), details
    details["class"] = "forwarded"
    return True, "forwarded as one request (%s)" % how, details


def main():
    args = sys.argv[1:]
    only, md, verbose = [], None, False
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--binary":
            pftest._binary = os.path.abspath(args[i + 1])
            i += 1
        elif a.startswith("--binary="):
            pftest._binary = os.path.abspath(a.split("=", 1)[1])
        elif a == "--only":
            only.append(args[i + 1])
            i += 1
        elif a == "--markdown":
            md = args[i + 1]
            i += 1
        elif a == "-v":
            verbose = True
        else:
            sys.exit("usage: replay.py [--binary PATH] [--only NAME] [--markdown FILE] [-v]")
        i += 1
    if not os.access(pftest.binary(), os.X_OK):
        sys.exit("pinfold binary not found at %s (use --binary or PINFOLD=)" % pftest.binary())
    names = sorted(n[:-4] for n in os.listdir(PAYLOADS) if n.endswith(".raw"))
    expected = read_expected()
    results = []
    npass = nfail = 0
    for name in sorted(set(expected) - set(names)):
        if not only or name in only:
            nfail += 1
            print("FAIL %-28s expected.txt names it, payloads/ has no %s.raw" % (name, name))
    if only:
        names = [n for n in names if n in only]
    split = dict.fromkeys(CLASSES, 0)
    for name in names:
        with open(os.path.join(PAYLOADS, name + ".raw"), "rb") as f:
            data = f.read()
        wd = tempfile.mkdtemp(prefix="pfsmuggle-%s-" % name)
        try:
            ok, verdict, det = replay(name, data, wd, verbose)
        except AssertionError as e:
            ok, verdict, det = False, "harness: %s" % str(e).splitlines()[0], {}
        got, want = det.get("class"), expected.get(name)
        if ok and got in split:
            split[got] += 1
        if ok and got != want:
            ok = False
            verdict += " -- %s, but expected.txt wants %s" % (got, want or "(no line)")
        results.append((name, ok, verdict))
        if ok:
            npass += 1
            shutil.rmtree(wd, ignore_errors=True)
        else:
            nfail += 1
        print("%-4s %-28s %s" % ("ok" if ok else "FAIL", name, verdict), flush=True)
        if not ok:
            for k, c in enumerate(det.get("conns", [])):
                print("     backend connection %d: %r" % (k + 1, c[:600]))
            print("     (kept %s)" % wd)
        elif verbose:
            for k, c in enumerate(det.get("conns", [])):
                print("     backend connection %d: %r" % (k + 1, c[:300]))
    if md:
        with open(md, "w") as f:
            f.write("| payload | result |\n|---|---|\n")
            for name, ok, verdict in results:
                f.write("| `%s` | %s%s |\n" % (name, "" if ok else "**FAIL** ", verdict))
    want = dict.fromkeys(CLASSES, 0)
    for name in names:
        if name in expected:
            want[expected[name]] += 1
    print("smuggling: split %s (expected.txt: %s)" % (
        ", ".join("%s %d" % kv for kv in split.items()),
        ", ".join("%s %d" % kv for kv in want.items())))
    print("smuggling: %d passed, %d failed" % (npass, nfail))
    sys.exit(0 if nfail == 0 else 1)


if __name__ == "__main__":
    main()
