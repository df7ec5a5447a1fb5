#!/usr/bin/python3
"""Story: bodies are streamed intact both ways (sha256 compared).

1 MiB chunked upload and Content-Length upload (curl -> pinfold -> recbackend /echo,
and curl -T -> pinfold -> nginx WebDAV PUT, compared with the file nginx wrote);
8 MiB download from nginx and from recbackend (Content-Length and chunked), with
curl and with a deliberately slow raw reader.
"""
import json
import os
import socket
import time

import pftest
from pftest import PROXY, build_request, curl

MiB = 1 << 20

CFG = """
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        xHTTP 1
        Service
            Host "files.test"
            @NGINX@
        End
        Service
            @BACKEND@
        End
    End
"""


class Bodies(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.big = pftest.write_pattern_file(os.path.join(self.dir, "big.bin"), 8 * MiB)
        with open(self.big, "rb") as f:
            self.ngx = self.nginx({"big.bin": f.read()})
        self.be = self.backend()
        self.port = pftest.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.pf = self.pinfold(CFG, PORT=self.port, NGINX=pftest.be_block(self.ngx),
                               BACKEND=pftest.be_block(self.be))
        self.upload = self.write("upload.bin", os.urandom(MiB))
        self.upload_sha = pftest.sha256_file(self.upload)

    # -- downloads
    def curl_download(self, path, vhost="x.test"):
        out = os.path.join(self.dir, "dl.bin")
        if os.path.exists(out):
            os.unlink(out)
        cp = curl("-o", out, "-w", "%{http_code}", "-H", "Host: " + vhost, self.url + path,
                  max_time=30)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, b"200")
        return pftest.sha256_file(out), os.path.getsize(out)

    def test_download_8mib_from_nginx(self):
        sha, size = self.curl_download("/big.bin", "files.test")
        self.assertEqual(size, 8 * MiB)
        self.assertEqual(sha, pftest.sha256_file(self.big))

    def test_download_8mib_content_length(self):
        sha, size = self.curl_download("/size/%d" % (8 * MiB))
        self.assertEqual((size, sha), (8 * MiB, pftest.pattern_sha256(8 * MiB)))

    def test_download_8mib_chunked(self):
        sha, size = self.curl_download("/chunked/%d" % (8 * MiB))
        self.assertEqual((size, sha), (8 * MiB, pftest.pattern_sha256(8 * MiB)))

    def test_download_8mib_slow_reader(self):
        # The client reads slowly through a small receive buffer: the proxy must apply
        # back-pressure, not drop or reorder bytes.
        fam = socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.settimeout(10)
        s.connect((PROXY, self.port))
        s.sendall(build_request("GET", "/big.bin", "files.test"))
        data = bytearray()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            i = data.find(b"\r\n\r\n")
            if i >= 0 and len(data) - i - 4 >= 8 * MiB:
                break
            time.sleep(0.002)
        s.close()
        i = data.find(b"\r\n\r\n")
        self.assertGreater(i, 0)
        self.assertRegex(bytes(data[:i]), rb"^HTTP/1\.1 200 ")
        body = bytes(data[i + 4:])
        self.assertEqual(len(body), 8 * MiB)
        self.assertEqual(pftest.sha256(body), pftest.sha256_file(self.big))

    def test_download_8mib_raw_chunked(self):
        r = pftest.get(PROXY, self.port, "/chunked/%d" % (8 * MiB), timeout=30)
        self.assertEqual(r.status, 200)
        self.assertEqual(pftest.sha256(r.body), pftest.pattern_sha256(8 * MiB))

    # -- long Content-Length bodies go through a kernel pipe (splice) on Linux
    def open_pipes(self):
        n = 0
        d = "/proc/%d/fd" % self.pf.pid
        for name in os.listdir(d):
            try:
                n += os.readlink(os.path.join(d, name)).startswith("pipe:")
            except OSError:
                pass  # closed while we looked
        return n

    def test_download_spliced_through_a_pipe(self):
        # A short body is copied: no pipe.  A long one goes through a pipe (two fds),
        # which is kept for the next long one: after two there is still one pipe.
        before = self.open_pipes()
        for n, pipes in ((10000, 0), (4 * MiB, 2), (4 * MiB + 1, 2)):
            sha, size = self.curl_download("/size/%d" % n)
            self.assertEqual((size, sha), (n, pftest.pattern_sha256(n)))
            self.assertEqual(self.open_pipes(), before + pipes, "after %d bytes" % n)

    def test_spliced_bodies_keep_both_connections(self):
        # Three long bodies, one after another on one client connection: each ends
        # where its Content-Length says, and the backend connection goes back to the
        # pool after each (the same X-Conn every time).
        with pftest.HttpConn(PROXY, self.port, timeout=30) as hc:
            conns = []
            for n in (MiB, 3 * MiB + 5, 70000):
                hc.send(build_request("GET", "/size/%d" % n, "x.test"))
                r = hc.read_response()
                self.assertEqual((r.status, len(r.body)), (200, n))
                self.assertEqual(pftest.sha256(r.body), pftest.pattern_sha256(n))
                conns.append(r.header("X-Conn"))
        self.assertEqual(len(set(conns)), 1, conns)

    def test_body_cut_short_by_the_backend(self):
        # The backend promises 1 MiB and closes after fewer bytes, early (copied) or
        # late (spliced): the client's connection ends too, with no byte that is not
        # the backend's, never a complete-looking answer or a hang; the proxy goes on.
        for cut in (5000, 300000):
            with pftest.HttpConn(PROXY, self.port, timeout=10) as hc:
                hc.send(build_request("GET", "/short/%d/%d" % (MiB, cut), "x.test"))
                r = hc.read_head(time.monotonic() + 10)
                self.assertEqual((r.status, r.header("Content-Length")), (200, str(MiB)))
                rest = hc.read_all(10)
                self.assertTrue(hc.eof, "connection closed after the cut (%d)" % cut)
            self.assertLessEqual(len(rest), cut)
            self.assertEqual(rest, pftest.pattern_bytes(0, len(rest)))
        sha, size = self.curl_download("/size/100000")
        self.assertEqual((size, sha), (100000, pftest.pattern_sha256(100000)))

    # -- uploads
    def echo(self, cp):
        self.assertEqual(cp.returncode, 0, cp.stderr)
        return json.loads(cp.stdout)

    def test_upload_1mib_chunked_to_recbackend(self):
        info = self.echo(curl("-H", "Transfer-Encoding: chunked", "-H",
                              "Content-Type: application/octet-stream",
                              "--data-binary", "@" + self.upload, self.url + "/echo",
                              max_time=30))
        self.assertEqual(info["method"], "POST")
        self.assertEqual(info["body_length"], MiB)
        self.assertEqual(info["body_sha256"], self.upload_sha)

    def test_upload_1mib_content_length_to_recbackend(self):
        info = self.echo(curl("-H", "Content-Type: application/octet-stream",
                              "--data-binary", "@" + self.upload, self.url + "/echo",
                              max_time=30))
        self.assertEqual(info["body_length"], MiB)
        self.assertEqual(info["body_sha256"], self.upload_sha)
        self.assertEqual(dict((k.lower(), v) for k, v in info["headers"]).get("content-length"),
                         str(MiB))

    def test_upload_1mib_chunked_put_to_nginx(self):
        cp = curl("-T", self.upload, "-H", "Transfer-Encoding: chunked", "-H",
                  "Host: files.test", "-o", "/dev/null", "-w", "%{http_code}",
                  self.url + "/dav/up/chunked.bin", max_time=30)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn(cp.stdout, (b"201", b"204"))
        stored = os.path.join(self.ngx.www, "dav", "up", "chunked.bin")
        self.assertEqual(pftest.sha256_file(stored), self.upload_sha)

    def test_upload_1mib_content_length_put_to_nginx(self):
        cp = curl("-T", self.upload, "-H", "Host: files.test", "-o", "/dev/null",
                  "-w", "%{http_code}", self.url + "/dav/up/cl.bin", max_time=30)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn(cp.stdout, (b"201", b"204"))
        stored = os.path.join(self.ngx.www, "dav", "up", "cl.bin")
        self.assertEqual(pftest.sha256_file(stored), self.upload_sha)

    def test_upload_raw_chunked_extensions_and_trailers(self):
        body = os.urandom(300001)
        wire = pftest.chunked(body, sizes=(1, 2, 3, 4093, 65537, 17), ext=True,
                              trailers=["X-Digest: abc"])
        r = pftest.request(PROXY, self.port, build_request(
            "POST", "/echo", "x.test", [("Transfer-Encoding", "chunked")], body=wire,
            content_length=False), timeout=15)
        self.assertEqual(r.status, 200)
        info = json.loads(r.body)
        self.assertEqual((info["body_length"], info["body_sha256"]),
                         (len(body), pftest.sha256(body)))

    def test_upload_then_keepalive(self):
        # After a body, the next request on the connection starts at the right byte.
        with pftest.HttpConn(PROXY, self.port, timeout=15) as c:
            c.send(build_request("POST", "/echo", "x.test", [("Transfer-Encoding", "chunked")],
                                 body=pftest.chunked(b"q" * 70000), content_length=False))
            self.assertEqual(json.loads(c.read_response().body)["body_length"], 70000)
            c.send(build_request("PUT", "/echo", "x.test", body=b"r" * 1000))
            self.assertEqual(json.loads(c.read_response().body)["body_length"], 1000)
            c.send(build_request("GET", "/size/5", "x.test"))
            self.assertEqual(c.read_response().body, pftest.pattern_bytes(0, 5))


if __name__ == "__main__":
    pftest.main()
