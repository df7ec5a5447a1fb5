#!/usr/bin/python3
"""Story: started as root with User/Group/RootJail, the daemon really drops privileges.

/proc/PID/root must point to the jail, every uid/gid in /proc/PID/status must be
nobody's/nogroup's, supplementary groups gone (or only nogroup), and the proxy
still serves.  A missing user or jail is a clear start-up error.
Skipped (exit 77) when not run as root.
"""
import grp
import os
import pwd
import re
import subprocess
import unittest

import pftest
from pftest import PROXY, get

CFG = """
    User "nobody"
    Group "@GROUP@"
    RootJail "@JAIL@"
    ListenHTTP
        Address 127.0.0.1
        Port @PORT@
        Service
            @BACKEND@
        End
    End
"""


def nobody_group():
    for g in ("nogroup", "nobody"):
        try:
            return g, grp.getgrnam(g).gr_gid
        except KeyError:
            pass
    raise unittest.SkipTest("no nogroup/nobody group")


@unittest.skipUnless(os.geteuid() == 0, "privilege drop needs root (run the tests as root)")
class PrivDrop(pftest.TestCase):
    def setUp(self):
        super().setUp()
        self.jail = os.path.join(self.dir, "jail")
        os.makedirs(self.jail)
        self.be = self.backend()
        self.port = pftest.free_port()
        self.group, self.gid = nobody_group()
        self.uid = pwd.getpwnam("nobody").pw_uid

    def start(self, **over):
        subst = dict(PORT=self.port, GROUP=self.group, JAIL=self.jail,
                     BACKEND=pftest.be_block(self.be))
        subst.update(over)
        return self.pinfold(CFG, **subst)

    def status_ids(self, pid):
        with open("/proc/%d/status" % pid) as f:
            status = f.read()

        def field(name):
            return re.search(r"^%s:\s*(.*)$" % name, status, re.M).group(1).split()
        return field("Uid"), field("Gid"), field("Groups"), status

    def test_jailed_and_unprivileged(self):
        pf = self.start()
        self.assertEqual(get(PROXY, self.port, "/before-check").status, 200)
        self.assertEqual(os.readlink("/proc/%d/root" % pf.pid), os.path.realpath(self.jail))
        self.assertEqual(os.readlink("/proc/%d/cwd" % pf.pid), os.path.realpath(self.jail),
                         "cwd must be inside the jail (chdir after chroot)")
        uids, gids, groups, status = self.status_ids(pf.pid)
        self.assertEqual(uids, [str(self.uid)] * 4, status)
        self.assertEqual(gids, [str(self.gid)] * 4, status)
        self.assertIn(groups, ([], [str(self.gid)]), "supplementary groups kept: %s" % groups)
        with open("/proc/%d/status" % pf.pid) as f:
            cap_eff = re.search(r"^CapEff:\s*(\w+)", f.read(), re.M).group(1)
        self.assertEqual(int(cap_eff, 16), 0, "capabilities left after the drop")
        self.assertEqual(get(PROXY, self.port, "/after-check").status, 200)
        self.assertEqual(self.be.targets(), ["/before-check", "/after-check"])

    def run_bad(self, name, text):
        try:
            return pftest.run_pinfold(["-F", "-e", "-f", self.write(name, text)], timeout=5)
        except subprocess.TimeoutExpired:
            self.fail("pinfold kept running with %s" % name)

    def test_missing_user_is_an_error(self):
        text = pftest.cfg(CFG, PORT=self.port, GROUP=self.group, JAIL=self.jail,
                          BACKEND=pftest.be_block(self.be)).replace('"nobody"', '"no-such-usr"')
        cp = self.run_bad("u.cfg", text)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("no-such-usr", cp.stdout + cp.stderr)

    def test_missing_jail_is_an_error(self):
        text = pftest.cfg(CFG, PORT=self.port, GROUP=self.group,
                          JAIL=os.path.join(self.dir, "absent"), BACKEND=pftest.be_block(self.be))
        cp = self.run_bad("j.cfg", text)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("absent", cp.stdout + cp.stderr)
        self.assertFalse(pftest.accepts(PROXY, self.port))


if __name__ == "__main__":
    pftest.main()
