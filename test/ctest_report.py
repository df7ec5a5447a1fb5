#!/usr/bin/python3
"""
test/ctest_report.py - count what ctest runs really proved, skips apart from passes.

Usage: ctest_report.py [--allow FILE] [--every] [--counts FILE] BUILD=JUNIT.xml ...

Each JUNIT.xml is what `ctest --output-junit` wrote for one build (run it with
`--test-output-size-passed 1048576`, or ctest keeps only the first KiB of a passing test's
output and the skip lines are lost).  A ctest test counts as
  failed   ctest failed it, timed it out, or could not start it ("Not Run");
  skipped  it exited 77 (SKIP_RETURN_CODE), or it passed but skipped some of its cases:
           cmocka's "[  SKIPPED ] name", Python unittest's "... skipped 'why'", and the
           "SKIP: why" lines every layer prints (pftest.py, the packaging scripts, the unit
           tests before calling skip()); a test that did not run in full did not pass;
  passed   otherwise.
Every skip is listed with its reasons.  With --every, a test (or one of its cases) skipped
in every build that has it is a failure unless FILE (default test/skips-allowed.txt) names
it: as root on the README's Debian machine nothing needs to skip everywhere.
A case that does not apply to a build is not registered there (cmocka tables under #if,
pftest.only_in_builds), and so is never a skip.
Prints the list, then "counts: P F S"; --counts FILE gets "P F S" too.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP_LINE = re.compile(r"^\s*SKIP:\s*(.*\S)\s*$")
CMOCKA_RUN = re.compile(r"^\[ RUN      \] (\S+)")
CMOCKA_SKIPPED = re.compile(r"^\[  SKIPPED \] (\S+)\s*$")
NOT_IN_BUILD = re.compile(r"^\s*not in this build:\s*(.*\S)\s*$")
UNITTEST_SKIP = re.compile(r"^(test\w*) \(([\w.]+)\)(?: \.\.\.)?.*\bskipped '(.*)'\s*$")


def read_allow(path):
    """Names (test, or "test: case") allowed to skip in every build; '#' starts a comment."""
    allow = set()
    try:
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    allow.add(line)
    except OSError:
        pass
    return allow


def not_in_build(out):
    """The cases a test's output says do not apply to this build ("not in this build:")."""
    found = []
    current = None
    for line in out.splitlines():
        m = CMOCKA_RUN.match(line)
        if m:
            current = m.group(1)
        m = NOT_IN_BUILD.match(line)
        if m:
            found.append("%s: %s" % (current, m.group(1)) if current else m.group(1))
    return found


def skipped_cases(out):
    """{case: reason} for the cases a test's output says were skipped."""
    cases = {}
    current = None
    loose = []
    for line in out.splitlines():
        m = CMOCKA_RUN.match(line)
        if m:
            current = m.group(1)
            continue
        m = CMOCKA_SKIPPED.match(line)
        if m and current is not None:
            cases.setdefault(m.group(1), "(no reason printed)")
            current = None
            continue
        m = SKIP_LINE.match(line)
        if m:
            if current is not None:     # a cmocka case printing its reason, then skip()
                cases[current] = m.group(1)
            else:                       # pftest: "SKIP: case: reason"
                case, sep, why = m.group(1).partition(": ")
                if sep:
                    cases[case] = why
                else:
                    loose.append(m.group(1))
            continue
        m = UNITTEST_SKIP.match(line)
        if m:
            cases.setdefault("%s (%s)" % (m.group(1), m.group(2).split(".")[-1]), m.group(3))
    return cases, loose


def read_build(path):
    """[(name, status, reasons, cases, not in this build)] of one build's JUnit file."""
    out = []
    root = ET.parse(path).getroot()
    for tc in root.iter("testcase"):
        name = tc.get("name")
        status = tc.get("status", "run")
        text = tc.findtext("system-out") or ""
        skipped = tc.find("skipped")
        cases, loose = skipped_cases(text)
        na = not_in_build(text)
        if status == "fail" or tc.find("failure") is not None:
            out.append((name, "failed", [], {}, na))
        elif status == "notrun" and skipped is not None and \
                not skipped.get("message", "").startswith("SKIP_"):
            # "Unable to find executable" and the like: ctest counts it failed
            out.append((name, "failed", [skipped.get("message", "not run")], {}, na))
        elif status in ("notrun", "disabled"):
            reasons = loose or ["%s: %s" % (c, w) for c, w in cases.items()]
            if not reasons:
                last = [ln for ln in text.splitlines() if ln.strip()]
                reasons = [last[-1].strip() if last else "(no reason printed)"]
            out.append((name, "skipped", reasons, {}, na))
        elif cases or loose:
            out.append((name, "partly", loose, cases, na))
        else:
            out.append((name, "passed", [], {}, na))
    return out


def main(argv):
    allow_path = os.path.join(HERE, "skips-allowed.txt")
    every = False
    counts_path = None
    builds = []
    it = iter(argv)
    for a in it:
        if a == "--allow":
            allow_path = next(it)
        elif a == "--every":
            every = True
        elif a == "--counts":
            counts_path = next(it)
        else:
            label, sep, path = a.partition("=")
            if not sep:
                sys.exit("usage: ctest_report.py [--allow FILE] [--every] [--counts FILE] "
                         "BUILD=JUNIT.xml ...")
            builds.append((label, path))
    allow = read_allow(allow_path)

    npass = nfail = nskip = 0
    has = {}        # test -> builds that have it
    skips = {}      # (test, case or None) -> builds where it was skipped
    lines = []
    na_lines = []
    for label, path in builds:
        if not os.path.exists(path):
            continue        # that build did not get as far as ctest: its phase failed
        for name, status, reasons, cases, na in read_build(path):
            has.setdefault(name, set()).add(label)
            na_lines += ["  %s: %s: %s" % (label, name, w) for w in na]
            if status == "passed":
                npass += 1
            elif status == "failed":
                nfail += 1
            else:
                nskip += 1
                if status == "skipped":
                    skips.setdefault((name, None), set()).add(label)
                    lines.append("  %s: %s skipped: %s" % (label, name, "; ".join(reasons)))
                else:
                    lines.append("  %s: %s ran, but skipped %d case(s)%s" % (
                        label, name, len(cases) + len(reasons),
                        "".join("\n      %s: %s" % cw for cw in sorted(cases.items())) +
                        "".join("\n      %s" % r for r in reasons)))
                    for c in cases:
                        skips.setdefault((name, c), set()).add(label)
                    if reasons:
                        skips.setdefault((name, "; ".join(reasons)), set()).add(label)
    if na_lines:
        print("== cases left out of builds they do not apply to (not run, not counted):")
        print("\n".join(na_lines))
    if lines:
        print("== skipped (%d): counted as skipped, not as passed" % nskip)
        print("\n".join(lines))
    if every:
        everywhere = []
        for (name, case), where in sorted(skips.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            key = name if case is None else "%s: %s" % (name, case)
            if where == has[name] and key not in allow and name not in allow:
                everywhere.append((key, name, where))
        if everywhere:
            print("== FAILED: skipped in every build that has it (and not in %s):"
                  % os.path.relpath(allow_path))
            turned = set()      # (test, build): a test counts once per build
            for key, name, where in everywhere:
                print("  %s (%s)" % (key, ", ".join(sorted(where))))
                turned |= {(name, b) for b in where}
            nskip -= len(turned)
            nfail += len(turned)
    print("counts: %d %d %d" % (npass, nfail, nskip))
    if counts_path:
        with open(counts_path, "w") as f:
            f.write("%d %d %d\n" % (npass, nfail, nskip))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
