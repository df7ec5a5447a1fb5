#!/usr/bin/python3
"""Story: the router's own error pages are the owner's, and never name the software.

A listener with `ErrorFile 404 "file"` (Pound 4) and `Err503`/`Err403`/`Err405`/`Err413`/
`Err414`/`Err400` (Pound 2/3 spelling) answers those statuses with the file's bytes, the
right status and Content-Length; a HEAD gets the head only.  Another listener without
them keeps the built-in pages, which contain no "pinfold", no version, no Server header.
A page that cannot be read, or an unknown status, is a configuration error naming
file:line, for `pinfold -c` and at start.  A reload re-reads the pages.
"""
import os
import re
import signal

import pftest
from pftest import PROXY, build_request, get, run_pinfold

CFG = """
    ACL "lan"
        "10.0.0.0/8"
    End
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        xHTTP 0
        MaxURI 100
        MaxRequest 10
        ErrorFile 404 "@DIR@/404.html"
        Err503 "503.html"
        Err403 "@DIR@/403.html"
        Err405 "@DIR@/405.html"
        Err413 "@DIR@/413.html"
        Err414 "@DIR@/414.html"
        Err400 "@DIR@/400.html"
        ErrorFile 501 "@DIR@/501.html"
        Service
            Url "^/forbidden"
            Not ACL "lan"
            Error 403
        End
        Service
            Url "^/gone"
            Error 404
        End
        Service
            Url "^/wrongmethod"
            Error 405
        End
        Service
            Url "^/down"
            BackEnd
                Address 127.0.0.2
                Port @DEADPORT@
            End
        End
    End
    ListenHTTP
        Address 127.0.0.1
        Port @PORT2@
        Service
            Url "^/gone"
            Error 404
        End
        Service
            Url "^/forbidden"
            Error 403
        End
    End
"""

PAGES = {
    404: b"<html><body><h1>Nothing here</h1>\xc3\xa9</body></html>\n",
    503: b"<p>Home Assistant is restarting, try again in a minute.</p>\n",
    403: b"<p>Not from here.</p>",
    405: b"<p>No such method.</p>\r\n",
    413: b"<p>Too big.</p>",
    414: b"<p>Too long.</p>",
    400: b"<p>Bad.</p>",
    501: b"<p>Not implemented here.</p>",
}


def version():
    cp = run_pinfold(["-V"])
    return re.search(r"pinfold (\S+)", cp.stdout).group(1)


class ErrorPages(pftest.TestCase):
    def setUp(self):
        super().setUp()
        for code, body in PAGES.items():
            self.write("%d.html" % code, body)
        self.port, self.port2 = pftest.free_port(), pftest.free_port()
        self.pf = self.pinfold(CFG, listen=[(PROXY, self.port), (PROXY, self.port2)],
                               PORT=self.port, PORT2=self.port2, DIR=self.dir,
                               DEADPORT=pftest.free_port(pftest.LAN))

    def check(self, r, code):
        self.assertEqual(r.status, code, r)
        self.assertEqual(r.body, PAGES[code])
        self.assertEqual(int(r.header("Content-Length")), len(PAGES[code]))
        self.assertEqual(r.header("Content-Type"), "text/html")

    def test_custom_pages(self):
        self.check(get(PROXY, self.port, "/gone"), 404)
        self.check(get(PROXY, self.port, "/down"), 503)
        self.check(get(PROXY, self.port, "/forbidden"), 403)
        self.check(get(PROXY, self.port, "/wrongmethod"), 405)
        self.check(get(PROXY, self.port, "/" + "a" * 200), 414)
        self.check(get(PROXY, self.port, "/gone", method="POST", body=b"x" * 100), 413)
        self.check(get(PROXY, self.port, "/gone", method="PUT", body=b"x"), 501)
        r = pftest.request(PROXY, self.port, b"GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        self.check(r, 400)
        # through curl as well: the exact bytes
        cp = pftest.curl("-s", "-o", "-", "-w", "%{http_code}",
                         "http://127.0.0.1:%d/gone" % self.port)
        self.assertEqual(cp.stdout, PAGES[404] + b"404")

    def test_head_gets_no_body(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            for target, code in (("/gone", 404), ("/down", 503)):
                c.send(build_request("HEAD", target))
                r = c.read_response(method="HEAD")
                self.assertEqual(r.status, code)
                self.assertEqual(int(r.header("Content-Length")), len(PAGES[code]))
            # nothing stray on the connection: the next response starts right away
            c.send(build_request("GET", "/gone"))
            self.check(c.read_response(), 404)
        # the built-in pages too
        with pftest.HttpConn(PROXY, self.port2) as c:
            c.send(build_request("HEAD", "/gone"))
            r = c.read_response(method="HEAD")
            self.assertEqual(r.status, 404)
            self.assertGreater(int(r.header("Content-Length")), 0)
            c.send(build_request("GET", "/forbidden"))
            r = c.read_response()
            self.assertEqual(r.status, 403)
            self.assertIn(b"403 Forbidden", r.body)

    def test_defaults_name_no_software(self):
        ver = version()
        for target, code in (("/gone", 404), ("/forbidden", 403), ("/nothing", 503)):
            r = get(PROXY, self.port2, target)
            self.assertEqual(r.status, code)
            self.assertEqual(int(r.header("Content-Length")), len(r.body))
            head = r.raw_head.lower() if hasattr(r, "raw_head") else b""
            for text in (r.body.lower(), head):
                self.assertNotIn(b"pinfold", text)
                self.assertNotIn(b"pound", text)
                self.assertNotIn(ver.encode(), text)
            self.assertIsNone(r.header("Server"))

    def test_reload_rereads_pages(self):
        new = b"<p>Moved on.</p>\n"
        self.write("404.html", new)
        n = self.pf.stderr().count("configuration reloaded")
        self.pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: self.pf.stderr().count("configuration reloaded") > n, 10,
                          what="the reload")
        r = get(PROXY, self.port, "/gone")
        self.assertEqual((r.status, r.body), (404, new))
        # a page that vanished makes the reload fail; the old pages keep being served
        os.unlink(os.path.join(self.dir, "503.html"))
        self.pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: "still running the previous configuration" in self.pf.stderr(),
                          10, what="the refused reload")
        self.assertRegex(self.pf.stderr(), r"pinfold\.cfg:\d+:\d+: error page for 503: .*503\.html")
        self.check(get(PROXY, self.port, "/down"), 503)


BASE = """\
ListenHTTP
    Address 127.0.0.1
    Port %d
    %s
    Service
        Error 404
    End
End
"""


class ErrorPageConfig(pftest.TestCase):
    def check_bad(self, line, want_line, pattern, start_too=False):
        path = self.write("bad.cfg", BASE % (pftest.free_port(), line))
        cp = run_pinfold(["-c", "-f", path])
        self.assertEqual(cp.returncode, 1, cp)
        self.assertRegex(cp.stderr, r"bad\.cfg:%d:\d+: %s" % (want_line, pattern))
        if start_too:
            cp = run_pinfold(["-e", "-F", "-f", path])
            self.assertEqual(cp.returncode, 1, cp)
            self.assertRegex(cp.stderr, r"bad\.cfg:%d:\d+: %s" % (want_line, pattern))

    def test_missing_file(self):
        self.check_bad('ErrorFile 404 "%s/nope.html"' % self.dir, 4,
                       r"error page for 404: .*nope\.html: No such file", start_too=True)
        self.check_bad('Err503 "nope.html"', 4, r"error page for 503: .*nope\.html")

    def test_directory_and_big_file(self):
        self.check_bad('Err404 "%s"' % self.dir, 4, r"error page for 404: .*a directory")
        self.write("big.html", b"x" * 9000)
        self.check_bad('Err404 "big.html"', 4, r"error page for 404: .*larger than 8192 bytes")

    def test_unknown_code(self):
        self.check_bad('ErrorFile 418 "x.html"', 4, r"expected a status pinfold answers with")
        self.check_bad('ErrorFile 99 "x.html"', 4, r"expected a status")
        self.check_bad('Err418 "x.html"', 4, r".*\"Err418\"")
        self.check_bad('ErrorFile "x.html"', 4, r".")

    def test_good_passes_check(self):
        self.write("p.html", b"<p>ok</p>")
        path = self.write("good.cfg", BASE % (pftest.free_port(), 'Err404 "p.html"'))
        cp = run_pinfold(["-c", "-f", path])
        self.assertEqual(cp.returncode, 0, cp.stderr)


if __name__ == "__main__":
    pftest.main()
