#!/usr/bin/python3
"""Story: a listener on IPv6 (::1), and an IPv6 backend.  Skipped if the host has no ::1."""
import json
import unittest

import pftest
from pftest import curl

CFG = """
    ListenHTTP
        Address ::1
        Port @PORT6@
        Service
            Url "^/v6backend"
            @BE6@
        End
        Service
            @BE4@
        End
    End
    ListenHTTP
        Address 127.0.0.1
        Port @PORT4@
        Service
            @BE6@
        End
    End
"""


@unittest.skipUnless(pftest.has_ipv6_loopback(), "no IPv6 loopback (::1) on this machine")
class IPv6(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.be4 = self.backend("v4")
        self.be6 = self.backend("v6", host="::1")
        self.port6 = pftest.free_port("::1")
        self.port4 = pftest.free_port()
        self.pf = self.pinfold(CFG, listen=[("::1", self.port6), ("127.0.0.1", self.port4)],
                               PORT6=self.port6, PORT4=self.port4,
                               BE6=pftest.be_block(self.be6), BE4=pftest.be_block(self.be4))

    def test_v6_client_v4_backend(self):
        cp = curl("-g", "http://[::1]:%d/echo" % self.port6)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        info = json.loads(cp.stdout)
        self.assertEqual(info["backend"], "v4")
        xff = [v for n, v in info["headers"] if n.lower() == "x-forwarded-for"]
        self.assertEqual(xff, ["::1"])
        port = [v for n, v in info["headers"] if n.lower() == "x-forwarded-port"]
        self.assertEqual(port, [str(self.port6)])

    def test_v6_client_v6_backend(self):
        r = pftest.get("::1", self.port6, "/v6backend/x", "[::1]")
        self.assertEqual((r.status, r.header("X-Backend")), (200, "v6"))

    def test_v4_client_v6_backend(self):
        r = pftest.get("127.0.0.1", self.port4, "/echo")
        self.assertEqual(r.status, 200)
        info = json.loads(r.body)
        self.assertEqual(info["backend"], "v6")
        self.assertEqual([v for n, v in info["headers"] if n.lower() == "x-forwarded-for"],
                         ["127.0.0.1"])


if __name__ == "__main__":
    pftest.main()
