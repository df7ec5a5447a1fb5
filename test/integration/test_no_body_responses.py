#!/usr/bin/python3
"""Story: HEAD, 204 and 304 responses carry no body, and the connection stays in sync.

Each is followed on the same connection by a GET whose body is checked byte for byte:
a stray body byte (or a stray "0\\r\\n\\r\\n") would break the next response.
"""
import pftest
from pftest import PROXY, build_request, curl

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            @BACKEND@
        End
    End
"""


class NoBody(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be = self.backend()
        self.port = pftest.free_port()
        self.pf = self.pinfold(CFG, PORT=self.port, BACKEND=pftest.be_block(self.be))

    def then_get(self, c, n=33):
        c.send(build_request("GET", "/size/%d" % n, "x.test"))
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, pftest.pattern_bytes(0, n)))
        self.assertEqual(c.buf, b"", "extra bytes after a response")

    def check(self, method, target, status, n=33):
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(build_request(method, target, "x.test"))
            r = c.read_response(method)
            self.assertEqual(r.status, status)
            self.then_get(c, n)
        return r

    def test_head_content_length(self):
        r = self.check("HEAD", "/size/1000", 200)
        self.assertEqual(r.header("Content-Length"), "1000")

    def test_head_chunked(self):
        self.check("HEAD", "/chunked/5000", 200)

    def test_204(self):
        r = self.check("GET", "/status/204", 204)
        self.assertIsNone(r.header("Transfer-Encoding"))

    def test_304(self):
        r = self.check("GET", "/status/304", 304)
        self.assertIsNone(r.header("Transfer-Encoding"))

    def test_pipelined_mix(self):
        with pftest.HttpConn(PROXY, self.port) as c:
            c.send(build_request("HEAD", "/size/100000", "x.test")
                   + build_request("GET", "/status/204", "x.test")
                   + build_request("GET", "/status/304", "x.test")
                   + build_request("HEAD", "/chunked/7", "x.test")
                   + build_request("GET", "/size/9", "x.test"))
            self.assertEqual(c.read_response("HEAD").status, 200)
            self.assertEqual(c.read_response().status, 204)
            self.assertEqual(c.read_response().status, 304)
            self.assertEqual(c.read_response("HEAD").status, 200)
            r = c.read_response()
            self.assertEqual(r.body, pftest.pattern_bytes(0, 9))
            self.assertEqual(c.buf, b"")

    def test_curl_head(self):
        cp = curl("-I", "http://127.0.0.1:%d/size/4242" % self.port)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertRegex(cp.stdout, rb"(?i)\r\ncontent-length: 4242\r\n")


if __name__ == "__main__":
    pftest.main()
