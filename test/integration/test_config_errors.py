#!/usr/bin/python3
"""Story: bad configs fail loudly with file:line; good ones pass `pinfold -c`.

Every case runs `pinfold -c -f FILE` and expects a non-zero exit with "FILE:LINE" in
the output; a few also try to start (not -c) and must fail the same way.
Keywords are case-insensitive; '#' starts a comment outside quotes; the Home
Assistant docs' `LogFacility deamon` is a warning, not an error.
"""
import os
import re
import subprocess

import pftest
from pftest import run_pinfold

GOOD = """\
# a comment
User "nobody"
LogLevel 1
Alive 5
ListenHTTP
    Address 127.0.0.1
    Port 7080
    xHTTP 1
    Service
        HeadRequire "Host: a#b.test"   # the '#' inside quotes is not a comment
        BackEnd
            Address 127.0.0.2
            Port 8123
        End
    End
End
"""

# (name, text, line the error must name, extra regex the message must match or None)
BAD = [
    ("unknown_directive", """\
ListenHTTP
    Address 127.0.0.1
    Port 7080
    Frobnicate 1
End
""", 4, r"(?i)frobnicate"),
    ("missing_end", """\
ListenHTTP
    Address 127.0.0.1
    Port 7080
    Service
        BackEnd
            Address 127.0.0.2
            Port 8123
        End
    End
""", None, r"(?i)\bend\b"),
    ("bad_port", """\
ListenHTTP
    Address 127.0.0.1
    Port seventy
End
""", 3, None),
    ("port_out_of_range", """\
ListenHTTP
    Address 127.0.0.1
    Port 70000
End
""", 3, None),
    ("bad_xhttp", """\
ListenHTTP
    Address 127.0.0.1
    Port 7080
    xHTTP 9
End
""", 4, None),
    ("bad_regex", """\
ListenHTTP
    Address 127.0.0.1
    Port 7080
    Service
        Url "([unclosed"
        BackEnd
            Address 127.0.0.2
            Port 8123
        End
    End
End
""", 5, None),
    ("bad_redirect_code", """\
ListenHTTP
    Address 127.0.0.1
    Port 7080
    Service
        Redirect 299 "https://x.test"
    End
End
""", 5, None),
    ("backend_without_address", """\
Service
    BackEnd
        Port 8123
    End
End
ListenHTTP
    Address 127.0.0.1
    Port 7080
End
""", None, r"(?i)address"),
    ("bad_backend_address", """\
ListenHTTP
    Address 127.0.0.1
    Port 7080
    Service
        BackEnd
            Address 127.0.0.300
            Port 8123
        End
    End
End
""", 6, None),
    ("end_at_top_level", """\
LogLevel 1
End
""", 2, None),
    ("unknown_user", """\
User "no-such-user-pinfold"
ListenHTTP
    Address 127.0.0.1
    Port 7080
    Service
        BackEnd
            Address 127.0.0.2
            Port 8123
        End
    End
End
""", 1, r"no-such-user-pinfold"),
    ("unknown_group", """\
Group "no-such-group-pinfold"
ListenHTTP
    Address 127.0.0.1
    Port 7080
    Service
        BackEnd
            Address 127.0.0.2
            Port 8123
        End
    End
End
""", 1, r"no-such-group-pinfold"),
    ("unimplemented_pound_directive", """\
ListenHTTP
    Address 127.0.0.1
    Port 7080
    Service
        UseBackend "shared"
        BackEnd
            Address 127.0.0.2
            Port 8123
        End
    End
End
""", 5, r"(?i)\b(not|un)\b.*\b(implement|support)|unsupported|unimplemented"),
    ("session_without_ttl", """\
ListenHTTP
    Address 127.0.0.1
    Port 7080
    Service
        Session
            Type COOKIE
            ID "sid"
        End
        BackEnd
            Address 127.0.0.2
            Port 8123
        End
    End
End
""", 5, r"Session has no TTL"),
    ("control_relative_path", """\
Control "run/ctl.sock"
ListenHTTP
    Address 127.0.0.1
    Port 7080
End
""", 1, r"expected an absolute path for the control socket after Control"),
    ("control_block_form", """\
ListenHTTP
    Address 127.0.0.1
    Port 7080
End
Control
    Socket "/run/pinfold.sock"
    Mode 600
End
""", 5, r"block form of Control .* not implement"),
]


# The BAD entries about an optional feature, which a build without it refuses by name
# instead (integ/features checks that).
NEEDS = {"session_without_ttl": "session", "control_relative_path": "control",
         "control_block_form": "control"}


def bad_here():
    return [b for b in BAD if pftest.has_feature(NEEDS.get(b[0]))]


class ConfigErrors(pftest.TestCase):
    def check_bad(self, name, text, line, pattern, start=False):
        path = self.write(name + ".cfg", text)
        args = ["-F", "-e", "-f", path] if start else ["-c", "-f", path]
        try:
            cp = run_pinfold(args, timeout=5 if start else 10)
        except subprocess.TimeoutExpired:
            self.fail("%s: pinfold started (and kept running) despite the error" % name)
        out = cp.stdout + cp.stderr
        self.assertNotEqual(cp.returncode, 0, "%s accepted:\n%s" % (name, out))
        if line is None:
            self.assertRegex(out, re.escape(path) + r":\d+", "%s: no file:line" % name)
        else:
            self.assertRegex(out, re.escape(path) + r":%d\b" % line,
                             "%s: want %s:%d in:\n%s" % (name, path, line, out))
        if pattern:
            self.assertRegex(out, pattern, name)
        return out

    def test_bad_configs_with_c(self):
        for name, text, line, pattern in bad_here():
            with self.subTest(name):
                self.check_bad(name, text, line, pattern)

    def test_bad_configs_on_start(self):
        for name, text, line, pattern in bad_here():
            with self.subTest(name):
                self.check_bad(name, text, line, pattern, start=True)

    def test_missing_end_names_the_open_block_or_eof(self):
        name, text, _, _ = BAD[1]
        out = self.check_bad(name, text, None, None)
        path = os.path.join(self.dir, name + ".cfg")
        self.assertRegex(out, re.escape(path) + r":(1|10)\b")

    def test_every_error_reported(self):
        path = self.write("two.cfg", """\
ListenHTTP
    Address 127.0.0.1
    Port 7080
    Bogus1 x
    Service
        Bogus2 y
        BackEnd
            Address 127.0.0.2
            Port 8123
        End
    End
End
""")
        cp = run_pinfold(["-c", "-f", path])
        out = cp.stdout + cp.stderr
        self.assertNotEqual(cp.returncode, 0)
        self.assertRegex(out, re.escape(path) + r":4\b")
        self.assertRegex(out, re.escape(path) + r":6\b")

    def test_include(self):
        inc = self.write("svc.inc", """\
Service
    BackEnd
        Address 127.0.0.2
        Port 8123
    End
End
""")
        main = self.write("main.cfg", 'Include "%s"\nListenHTTP\n    Address 127.0.0.1\n'
                                      '    Port 7080\nEnd\n' % inc)
        cp = run_pinfold(["-c", "-f", main])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)

    def test_error_inside_include_names_that_file(self):
        inc = self.write("bad.inc", "Service\n    Nonsense 1\nEnd\n")
        main = self.write("main.cfg", 'Alive 5\nInclude "%s"\n' % inc)
        cp = run_pinfold(["-c", "-f", main])
        self.assertNotEqual(cp.returncode, 0)
        self.assertRegex(cp.stdout + cp.stderr, re.escape(inc) + r":2\b")

    def test_missing_include(self):
        main = self.write("main.cfg", 'Alive 5\nInclude "%s/absent.inc"\n' % self.dir)
        cp = run_pinfold(["-c", "-f", main])
        self.assertNotEqual(cp.returncode, 0)
        self.assertRegex(cp.stdout + cp.stderr, re.escape(main) + r":2\b")

    def test_good_config(self):
        cp = run_pinfold(["-c", "-f", self.write("good.cfg", GOOD)])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)

    def test_keywords_case_insensitive(self):
        text = GOOD.replace("ListenHTTP", "listenhttp").replace("Address", "ADDRESS") \
                   .replace("BackEnd", "backend").replace("End\n", "end\n")
        cp = run_pinfold(["-c", "-f", self.write("case.cfg", text)])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)

    def test_logfacility_typo_is_a_warning(self):
        cp = run_pinfold(["-c", "-f", self.write("deamon.cfg", "LogFacility deamon\n" + GOOD)])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("deamon", cp.stdout + cp.stderr, "the typo deserves a warning")


if __name__ == "__main__":
    pftest.main()
