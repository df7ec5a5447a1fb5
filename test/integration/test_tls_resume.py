#!/usr/bin/python3
"""Story: a phone that reconnects resumes its TLS session instead of paying a full handshake.

openssl s_client -sess_out / -sess_in resumes with a session ticket (TLS 1.2, and TLS 1.3
where the build has it) and, with -no_ticket, through the session-ID cache; Python's ssl
client resumes by handing back its session.  A session never resumes where it would skip
a choice made differently: on another listener (another certificate, another
client-certificate rule), or under an SNI name that picks another certificate.  A SIGHUP
reload of an unchanged listener keeps its sessions; one that changes the certificate does
not.  SSLSessionTickets 0 and SSLSessionCache 0 turn each way off.
"""
import os
import signal
import socket

import pftest
from pftest import PROXY, s_client

LISTENER = """
    ListenHTTPS
        Address 127.0.0.1
        Port @PORT@
        @CERTS@
        @MORE@
        Service
            @BACKEND@
        End
    End
"""

# s_client sends this and reads the answer, so that a TLS 1.3 server's tickets (sent
# after the handshake) arrive before it leaves.
REQ = b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"


class TlsResume(pftest.TestCase):
    @classmethod
    def setUpClass(cls):
        pftest.require_tls()

    def setUp(self):
        super().setUp()
        self.ca = pftest.CA(self.dir, "Resume CA")
        self.a = self.ca.issue("a.test")
        self.b = self.ca.issue("b.test")
        self.be = self.backend("be")
        self.port = pftest.free_port()
        self.port2 = pftest.free_port()
        self.sess = os.path.join(self.dir, "sess.pem")

    def versions(self):
        return ["-tls1_2"] + (["-tls1_3"] if pftest.server_tls13() else [])

    def listener(self, port, certs, more=""):
        return pftest.cfg(LISTENER, PORT=port, MORE=more, BACKEND=pftest.be_block(self.be),
                          CERTS="\n".join('Cert "%s"' % c.pem for c in certs))

    def start(self, *listeners, ports=None):
        text = "\n".join(listeners)
        ports = ports or [self.port]
        self.pf = self.pinfold(text, listen=[(PROXY, p) for p in ports])
        return self.pf

    def connect(self, v, *args, port=None, name="a.test", save=False):
        """One s_client connection with a request; returns (new/reused word, SClient)."""
        if save and os.path.exists(self.sess):
            os.unlink(self.sess)
        # (a server that gave the client nothing to resume with leaves no session to save:
        # s_client writes no file, and the next connection can only be new)
        where = ["-sess_out", self.sess] if save else [
            "-sess_in", self.sess] if os.path.exists(self.sess) else []
        sc = s_client(port or self.port, v, *(list(args) + where), servername=name,
                      cafile=self.ca, data=REQ)
        self.assertEqual(sc.rc, 0, sc)
        self.assertIn("HTTP/1.1 200", sc.out, sc)
        state = "Reused" if "\nReused, " in sc.out else "New" if "\nNew, " in sc.out else None
        self.assertIsNotNone(state, sc)
        return state, sc

    def first_then_again(self, v, *args, **kw):
        state, first = self.connect(v, *args, save=True)
        self.assertEqual(state, "New")
        return first, self.connect(v, *args, **kw)[0]

    def test_tickets_resume(self):
        self.start(self.listener(self.port, [self.a]))
        for v in self.versions():
            first, again = self.first_then_again(v)
            self.assertIn("TLS session ticket:", first.out, v)
            self.assertEqual(again, "Reused", v)

    def test_session_ids_resume_without_tickets(self):
        self.start(self.listener(self.port, [self.a]))
        first, again = self.first_then_again("-tls1_2", "-no_ticket")
        self.assertNotIn("TLS session ticket:", first.out)
        self.assertEqual(again, "Reused")

    def test_both_turned_off(self):
        self.start(self.listener(self.port, [self.a], "SSLSessionTickets 0\nSSLSessionCache 0"))
        for v in self.versions():
            for args in ((), ("-no_ticket",)):
                first, again = self.first_then_again(v, *args)
                self.assertNotIn("TLS session ticket:", first.out, (v, args))
                self.assertEqual(again, "New", (v, args))

    def test_tickets_off_cache_on(self):
        self.start(self.listener(self.port, [self.a], "SSLSessionTickets 0"))
        first, again = self.first_then_again("-tls1_2")
        self.assertNotIn("TLS session ticket lifetime", first.out)
        self.assertEqual(again, "Reused")   # by its session ID

    def test_cache_off_tickets_on(self):
        self.start(self.listener(self.port, [self.a], "SSLSessionCache 0"))
        self.assertEqual(self.first_then_again("-tls1_2", "-no_ticket")[1], "New")
        self.assertEqual(self.first_then_again("-tls1_2")[1], "Reused")

    def test_never_across_listeners(self):
        # the same certificate, and another client-certificate rule; and another certificate
        third = pftest.free_port()
        self.start(self.listener(self.port, [self.a]),
                   self.listener(self.port2, [self.a],
                                 'ClientCert 3\nVerifyList "%s"' % self.ca.cert),
                   self.listener(third, [self.b, self.a]), ports=[self.port, self.port2, third])
        for v in self.versions():
            for args in ((), ("-no_ticket",)):
                if v == "-tls1_3" and args:
                    continue
                self.connect(v, *args, save=True)
                self.assertEqual(self.connect(v, *args)[0], "Reused", (v, args))
                self.assertEqual(self.connect(v, *args, port=self.port2)[0], "New", (v, args))
                self.assertEqual(self.connect(v, *args, port=third)[0], "New", (v, args))

    def test_never_under_a_name_that_picks_another_certificate(self):
        self.start(self.listener(self.port, [self.a, self.b]))
        for v in self.versions():
            for args in ((), ("-no_ticket",)):
                if v == "-tls1_3" and args:
                    continue
                self.connect(v, *args, save=True, name="a.test")
                self.assertEqual(self.connect(v, *args, name="a.test")[0], "Reused", (v, args))
                st, sc = self.connect(v, *args, name="b.test")
                self.assertEqual(st, "New", (v, args))
                self.assertEqual(sc.subject, self.b.subject, (v, args))

    def hup(self):
        n = self.pf.stderr().count("configuration reloaded")
        self.pf.signal(signal.SIGHUP)
        pftest.wait_until(lambda: self.pf.stderr().count("configuration reloaded") > n, 10,
                          what="the reload")

    def test_sessions_survive_a_reload_of_an_unchanged_listener(self):
        self.start(self.listener(self.port, [self.a]))
        saved = {}
        for v in self.versions():
            for args in ((), ("-no_ticket",)):
                self.connect(v, *args, save=True)
                with open(self.sess, "rb") as f:
                    saved[(v, args)] = f.read()
        self.hup()
        for (v, args), data in saved.items():
            with open(self.sess, "wb") as f:
                f.write(data)
            self.assertEqual(self.connect(v, *args)[0], "Reused", (v, args))

    def test_a_changed_certificate_ends_the_sessions(self):
        self.start(self.listener(self.port, [self.a]))
        for v in self.versions():
            self.connect(v, save=True)
            a2 = self.ca.issue("a.test")
            a2.write_pem(self.a.pem)    # the same path, new bytes (a renewal)
            self.hup()
            self.assertEqual(self.connect(v)[0], "New", v)

    def test_python_ssl_client_reuses_its_session(self):
        self.start(self.listener(self.port, [self.a]))
        import ssl
        versions = [ssl.TLSVersion.TLSv1_2] + (
            [ssl.TLSVersion.TLSv1_3] if pftest.server_tls13() else [])
        for ver in versions:
            ctx = pftest.tls_context(self.ca, min_version=ver, max_version=ver)
            sess = None
            for i in range(3):
                raw = socket.create_connection((PROXY, self.port), timeout=10)
                with ctx.wrap_socket(raw, server_hostname="a.test", session=sess) as s:
                    s.sendall(REQ)
                    got = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        got += chunk
                    self.assertIn(b"HTTP/1.1 200", got)
                    self.assertEqual(s.session_reused, i > 0, (ver, i))
                    sess = s.session


if __name__ == "__main__":
    pftest.main()
