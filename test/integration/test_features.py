#!/usr/bin/python3
"""Story: a router build leaves features out (dropbear-style), and says so.

`pinfold -V` names every optional feature as built in (+name) or out (-name), the same
as the build's CMake options when its CMakeCache.txt is beside the binary.  A directive
of a feature built out is refused at its file:line:col with the option that brings it
back, by `pinfold -c` and at start, never silently ignored; a block of one (Session) is
skipped whole, so its inner lines add no errors.  A feature built in parses as usual.
The minimal build of test/all.sh (every feature off) runs this story.
"""
import os
import re
import subprocess

import pftest
from pftest import run_pinfold

# feature name in -V -> the CMake option
OPTIONS = {"control": "PINFOLD_CONTROL", "session": "PINFOLD_SESSION",
           "basicauth": "PINFOLD_BASICAUTH", "healthcheck": "PINFOLD_HEALTHCHECK",
           "sandbox": "PINFOLD_SANDBOX"}

HEAD = """\
ListenHTTP
    Address 127.0.0.1
    Port @PORT@
    Service
"""
TAIL = """\
        BackEnd
            Address 127.0.0.2
            Port 9
        End
    End
End
"""

# feature -> (config text, [(line, col, directive)] it must be refused at when built out);
# a feature with no directive (sandbox) has no case
CASES = {
    "control": ('Control "@DIR@/ctl.sock"\n' + HEAD + TAIL, [(1, 1, "Control")]),
    "session": (HEAD + "        Session\n            Type COOKIE\n            TTL 300\n"
                '            ID "sid"\n        End\n' + TAIL, [(5, 9, "Session")]),
    "basicauth": ("AuthFailLimit 3 60\n" + HEAD + '        Not BasicAuth "@DIR@/users"\n' + TAIL,
                  [(1, 1, "AuthFailLimit"), (6, 13, "BasicAuth")]),
    "healthcheck": (HEAD + '        HealthCheck "GET /health" 2xx\n' + TAIL,
                    [(5, 9, "HealthCheck")]),
}


class Features(pftest.TestCase):
    def config(self, feature):
        text, _ = CASES[feature]
        text = text.replace("@DIR@", self.dir).replace("@PORT@", str(pftest.free_port()))
        return self.write(feature + ".cfg", text)

    def test_version_lists_features(self):
        f = pftest.features()
        self.assertEqual(sorted(f), sorted(OPTIONS), "-V names other features than the options")
        cache = os.path.join(os.path.dirname(pftest.binary()), "CMakeCache.txt")
        if not os.path.exists(cache):
            return
        with open(cache) as fh:
            text = fh.read()
        for name, opt in OPTIONS.items():
            m = re.search(r"(?m)^%s:BOOL=(\w+)$" % opt, text)
            self.assertIsNotNone(m, "%s not in %s" % (opt, cache))
            self.assertEqual(f[name], m.group(1).upper() in ("ON", "1", "TRUE", "YES"),
                             "-V says %s%s but the build has %s=%s"
                             % ("+" if f[name] else "-", name, opt, m.group(1)))

    @pftest.only_in_builds(lambda: not all(pftest.features().values()),
                           "every feature is built in")
    def test_built_out_directives_are_errors(self):
        out_features = [n for n, on in pftest.features().items() if not on and n in CASES]
        for name in out_features:
            with self.subTest(name):
                path = self.config(name)
                for args in (["-c", "-f", path], ["-F", "-e", "-f", path]):
                    try:
                        cp = run_pinfold(args, timeout=5)
                    except subprocess.TimeoutExpired:
                        self.fail("%s: pinfold %s started with a built-out directive"
                                  % (name, args[0]))
                    out = cp.stdout + cp.stderr
                    self.assertNotEqual(cp.returncode, 0, "accepted:\n" + out)
                    errors = re.findall(r"(?m)^%s:\d+:\d+: " % re.escape(path), out)
                    self.assertEqual(len(errors), len(CASES[name][1]),
                                     "one error per built-out directive, got:\n" + out)
                    for line, col, directive in CASES[name][1]:
                        self.assertIn("%s:%d:%d: %s: this pinfold was built without it (%s=OFF)"
                                      % (path, line, col, directive, OPTIONS[name]), out)

    @pftest.only_in_builds(lambda: any(pftest.features().values()),
                           "every feature is built out")
    def test_built_in_directives_parse(self):
        in_features = [n for n, on in pftest.features().items() if on and n in CASES]
        for name in in_features:
            with self.subTest(name):
                path = self.config(name)
                cp = run_pinfold(["-c", "-f", path])
                out = cp.stdout + cp.stderr
                self.assertNotIn("built without", out)
                if name != "basicauth":  # -c reads the password file, which is not there
                    self.assertEqual(cp.returncode, 0, out)

    @pftest.only_in_builds(lambda: not pftest.has_tls(), "this build has a TLS backend")
    def test_listenhttps_without_tls_build(self):
        """TLS is the largest part a router build leaves out: ListenHTTPS is then refused
        at its line, not ignored (a plaintext port where HTTPS was meant)."""
        cert = os.path.join(self.dir, "c.pem")
        with open(cert, "w"):
            pass
        text = ("ListenHTTPS\n    Address 127.0.0.1\n    Port 7443\n    Cert \"%s\"\n"
                "    Service\n        BackEnd\n            Address 127.0.0.2\n"
                "            Port 8123\n        End\n    End\nEnd\n" % cert)
        path = os.path.join(self.dir, "https.cfg")
        with open(path, "w") as f:
            f.write(text)
        cp = run_pinfold(["-c", "-f", path])
        self.assertNotEqual(cp.returncode, 0, "ListenHTTPS accepted by a build without TLS")
        self.assertRegex(cp.stdout + cp.stderr, re.escape(path) + r":1\b")


if __name__ == "__main__":
    pftest.main()
