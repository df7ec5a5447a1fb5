#!/usr/bin/python3
"""Story: with -e, request log lines in Pound's LogLevel formats appear on stderr.

  0 none
  1 regular         "%a %r - %>s"
  2 extended        "%a %r - %>s (%{Host}i/%{service}N -> %{backend}N) %{f}T sec"
  3 vhost_combined  "%{Host}I %a - %u %t \\"%r\\" %s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\""
  4 combined        "%a - %u %t \\"%r\\" %s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\""
  5 detailed        vhost_combined + " (%{service}N -> %{backend}N) %{f}T sec"
One listener per level (listener LogLevel overrides the global one).
"""
import re

import pftest
from pftest import PROXY, build_request

LISTENER = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT%d@
        LogLevel %d
        Service
            @BACKEND@
        End
    End
"""
TS = r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]"
UA = "pftest-agent/1.0"
REF = "http://ref.test/page"


class Logging(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.ports = [pftest.free_port() for _ in range(6)]
        text = "LogLevel 1\n" + "".join(LISTENER % (i, i) for i in range(6))
        self.pf = self.pinfold(text, listen=[(PROXY, p) for p in self.ports],
                               BACKEND=pftest.be_block(self.be),
                               **{"PORT%d" % i: p for i, p in enumerate(self.ports)})

    def hit(self, level, target):
        r = pftest.request(PROXY, self.ports[level], build_request(
            "GET", target, "log.test", [("User-Agent", UA), ("Referer", REF)]))
        self.assertEqual(r.status, 200)
        return r

    def lines_with(self, marker):
        def find():
            return [ln for ln in self.pf.stderr().splitlines() if marker in ln]
        try:
            return pftest.wait_until(find, 3, what="log line with %s" % marker)
        except AssertionError:
            elsewhere = marker in self.pf.stdout()
            self.fail("no stderr line with %s%s\nstderr:\n%s" % (
                marker, " (it went to stdout)" if elsewhere else "", self.pf.stderr()[-2000:]))

    def test_level0_logs_nothing(self):
        self.hit(0, "/log0-marker")
        self.hit(1, "/log0-sync")          # a later request that is logged ...
        self.lines_with("/log0-sync")      # ... so the level-0 one would be there by now
        self.assertNotIn("/log0-marker", self.pf.stderr() + self.pf.stdout())

    def test_level1_regular(self):
        self.hit(1, "/log1-marker?q=1")
        ln = self.lines_with("/log1-marker")[0]
        self.assertRegex(ln, r"127\.0\.0\.1 GET /log1-marker\?q=1 HTTP/1\.1 - HTTP/1\.[01] 200\b")

    def test_level2_extended(self):
        self.hit(2, "/log2-marker")
        ln = self.lines_with("/log2-marker")[0]
        self.assertRegex(ln, r"127\.0\.0\.1 GET /log2-marker HTTP/1\.1 - HTTP/1\.[01] 200\b")
        self.assertRegex(ln, r"\(log\.test/.* -> %s\) [0-9.]+ sec" % re.escape(self.be.addr))

    def test_level3_vhost_combined(self):
        self.hit(3, "/log3-marker")
        ln = self.lines_with("/log3-marker")[0]
        self.assertRegex(ln, r"log\.test 127\.0\.0\.1 - - %s \"GET /log3-marker HTTP/1\.1\" 200 "
                             r"\d+ \"%s\" \"%s\"" % (TS, re.escape(REF), re.escape(UA)))

    def test_level4_combined(self):
        self.hit(4, "/log4-marker")
        ln = self.lines_with("/log4-marker")[0]
        self.assertRegex(ln, r"127\.0\.0\.1 - - %s \"GET /log4-marker HTTP/1\.1\" 200 \d+ "
                             r"\"%s\" \"%s\"" % (TS, re.escape(REF), re.escape(UA)))
        self.assertNotRegex(ln, r"log\.test 127\.0\.0\.1")

    def test_level5_detailed(self):
        self.hit(5, "/log5-marker")
        ln = self.lines_with("/log5-marker")[0]
        self.assertRegex(ln, r"log\.test 127\.0\.0\.1 - - %s \"GET /log5-marker HTTP/1\.1\" 200 "
                         % TS)
        self.assertRegex(ln, r"\(.* -> %s\) [0-9.]+ sec" % re.escape(self.be.addr))

    def test_backend_status_logged(self):
        r = pftest.get(PROXY, self.ports[1], "/status/404")
        self.assertEqual(r.status, 404)
        ln = self.lines_with("/status/404")[0]
        self.assertRegex(ln, r"GET /status/404 HTTP/1\.1 - HTTP/1\.[01] 404\b")


if __name__ == "__main__":
    pftest.main()
