#!/usr/bin/python3
"""Keep the man pages true to the code.

  check_man.py directives [--source DIR]   pinfold.cfg.5 against config.c's directive table
  check_man.py lint [--source DIR]         mandoc -Tlint -Wwarning on every core/*.5, core/*.8
  check_man.py selftest [--source DIR]     the directives check fails where it should
  check_man.py examples --binary PINFOLD    every complete configuration in pinfold.cfg.5's
                                           EXAMPLES passes `pinfold -c`

The directive table is read from core/config.c each time, so the check follows the code:
  - every name in the table is documented on an `.It Ic NAME` line of pinfold.cfg.5;
  - every `.It Ic NAME` in the page is a name in the table;
  - a NOTYET entry (Pound has it, pinfold does not) is listed under RECOGNISED BUT NOT
    IMPLEMENTED and nowhere as a working directive;
  - names another branch implements may be documented ahead of its merge by a marker line
    `.\\" merged from BRANCH: NAME ...`; such a name is excused while config.c does not
    implement it, and is an error ("drop it from the marker") once it does.
Exit 0 when all hold, 1 listing every problem, 77 when a tool is missing (skipped).
"""
import argparse
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

NOT_IMPLEMENTED_SECTION = "RECOGNISED BUT NOT IMPLEMENTED"

# mdoc macros that end the argument list of an Ic on an .It line.
MDOC_MACROS = set(
    "Ar Cm No Ns Qq Dq Sq Ql Op Oo Oc Pq Po Pc Qo Qc Do Dc Li Fl Pa Ic Sx Xr Ux Dv Em Sy Va "
    "Nm Ev Er Bro Brc Ms Tn".split()
)
PUNCT = set(", . ; : | ( ) [ ] ...".split())


def read_table(config_c):
    """(implemented, notyet): the names in directives[] of core/config.c."""
    with open(config_c, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"static const struct directive directives\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    if not m:
        raise SystemExit(f"{config_c}: directives[] table not found")
    body = m.group(1)
    # Drop comments so a name in one cannot count.
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    body = re.sub(r"//[^\n]*", "", body)
    implemented = set(re.findall(r'\{\s*"([A-Za-z0-9_]+)"\s*,', body))
    notyet = set(re.findall(r'NOTYET\(\s*"([A-Za-z0-9_]+)"', body))
    if not implemented:
        raise SystemExit(f"{config_c}: no directive found in the table")
    return implemented, notyet


def ic_names(args):
    """The names an .It line gives with Ic: `.It Ic A , Ic B Ar x` -> [A, B]."""
    toks = args.split()
    names, i = [], 0
    while i < len(toks):
        if toks[i] == "Ic":
            i += 1
            while i < len(toks) and toks[i] not in MDOC_MACROS:
                if toks[i] not in PUNCT:
                    names.append(toks[i])
                i += 1
        else:
            i += 1
    return names


def read_page(page):
    """(documented, not_implemented, pending): .It Ic names outside and inside the
    not-implemented section, and the names excused by merge markers {name: line}."""
    documented, listed, pending = {}, {}, {}
    section = ""
    with open(page, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            mk = re.match(r'^\.\\"\s*merged from (\S+?):\s*(.*)$', line)
            if mk:
                for name in mk.group(2).split():
                    pending[name] = (n, mk.group(1))
                continue
            if line.startswith(".Sh "):
                section = line[4:].strip().strip('"')
                continue
            if line.startswith(".It "):
                target = listed if section == NOT_IMPLEMENTED_SECTION else documented
                for name in ic_names(line[4:]):
                    target.setdefault(name, n)
    return documented, listed, pending


def check_directives(src):
    config_c = os.path.join(src, "core", "config.c")
    page = os.path.join(src, "core", "pinfold.cfg.5")
    implemented, notyet = read_table(config_c)
    documented, listed, pending = read_page(page)
    table = implemented | notyet
    problems = []
    where = os.path.relpath(page, src)

    for name in sorted(table - set(documented) - set(listed)):
        problems.append(f"{name}: in core/config.c's table, not documented in {where} "
                        "(add an `.It Ic " + name + "` entry)")
    for name in sorted(implemented - set(documented)):
        if name in listed:
            problems.append(f"{name}: implemented in core/config.c, but {where} lists it "
                            "only as not implemented")
    for name, line in sorted(documented.items()):
        if name in table or name in pending:
            continue
        problems.append(f"{where}:{line}: {name} is documented but is not in core/config.c's "
                        "directive table")
    for name, line in sorted(listed.items()):
        if name not in table:
            problems.append(f"{where}:{line}: {name} is listed as not implemented but is not "
                            "in core/config.c's directive table")
    for name in sorted(notyet - set(pending)):
        if name in documented:
            problems.append(f"{where}:{documented[name]}: {name} is documented as a working "
                            "directive, but core/config.c has it as NOTYET (not implemented)")
        elif name not in listed:
            problems.append(f"{name}: NOTYET in core/config.c, missing from {where}'s "
                            f"{NOT_IMPLEMENTED_SECTION} list")
    for name, (line, branch) in sorted(pending.items()):
        if name in implemented:
            problems.append(f"{where}:{line}: {name} is implemented in core/config.c now: "
                            f"drop it from the `merged from {branch}` marker")
        elif name not in documented:
            problems.append(f"{where}:{line}: {name} is in a `merged from {branch}` marker but "
                            "not documented")
        elif name in listed:
            problems.append(f"{where}:{line}: {name} is in a `merged from {branch}` marker and "
                            f"also listed under {NOT_IMPLEMENTED_SECTION}")

    print(f"{len(implemented)} directives implemented, {len(notyet)} not implemented in "
          f"core/config.c; {len(documented)} documented, {len(listed)} listed as not "
          f"implemented in {where}")
    waiting = sorted(n for n in pending if n not in implemented)
    if waiting:
        print("documented ahead of their branch's merge: " + ", ".join(waiting))
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


def man_pages(src):
    return sorted(glob.glob(os.path.join(src, "core", "*.5")) +
                  glob.glob(os.path.join(src, "core", "*.8")))


def check_lint(src):
    mandoc = shutil.which("mandoc")
    if not mandoc:
        print("SKIP: mandoc not installed (test/deps.sh lists it)")
        return 77
    pages = man_pages(src)
    if not pages:
        print("FAIL: no man page under core/")
        return 1
    status = 0
    for page in pages:
        r = subprocess.run([mandoc, "-Tlint", "-Wwarning", page], capture_output=True,
                           text=True, timeout=60, check=False)
        # mandoc also notes an outdated system mandoc.db on stderr; that is not the page's.
        out = [l for l in (r.stdout + r.stderr).splitlines() if "mandoc.db" not in l]
        name = os.path.relpath(page, src)
        if r.returncode != 0:
            status = 1
            print(f"FAIL: {name}")
            for l in out:
                print("  " + l)
        else:
            print(f"ok: {name}")
    return status


def selftest(src):
    """Each broken copy must fail the directives check, and the real tree pass."""
    with open(os.path.join(src, "core", "config.c"), encoding="utf-8") as f:
        config = f.read()
    with open(os.path.join(src, "core", "pinfold.cfg.5"), encoding="utf-8") as f:
        page = f.read()
    anchor = '    {"Include", h_include,'
    assert anchor in config, "config.c changed: update the selftest anchor"
    assert ".It Ic Grace Ar seconds\n" in page and 'NOTYET("Threads"' in config
    cases = {
        "a new directive nobody documented":
            (config.replace(anchor, '    {"FrobnicateTest", NULL, 0, 0, 0, 0, 0, 0, NULL},\n'
                            + anchor), page),
        "a directive removed from the table":
            (re.sub(r'\n\s*\{"Grace",[^\n]*', "", config), page),
        "a NOTYET directive documented as working":
            (config, page.replace(".It Ic Grace Ar seconds\n",
                                  ".It Ic Threads Ar n\nSome text.\n.It Ic Grace Ar seconds\n")),
        "a merge marker for a directive config.c now implements":
            (config, page.replace(".It Ic Grace Ar seconds\n",
                                  '.\\" merged from f/test: Grace\n.It Ic Grace Ar seconds\n')),
        "a not-implemented directive missing from its list":
            (config, re.sub(r"Ic Threads , ", "", page)),
    }
    failures = 0
    with tempfile.TemporaryDirectory(prefix="pinfold-man-") as tmp:
        os.mkdir(os.path.join(tmp, "core"))
        for what, (c, p) in cases.items():
            if c == config and p == page:
                print(f"FAIL: selftest case did not change anything: {what}")
                failures += 1
                continue
            with open(os.path.join(tmp, "core", "config.c"), "w", encoding="utf-8") as f:
                f.write(c)
            with open(os.path.join(tmp, "core", "pinfold.cfg.5"), "w", encoding="utf-8") as f:
                f.write(p)
            print(f"--- {what}:")
            if check_directives(tmp) == 0:
                print(f"FAIL: the check passed on {what}")
                failures += 1
    print("--- the tree itself:")
    if check_directives(src) != 0:
        failures += 1
    return 1 if failures else 0


def example_configs(page):
    """The literal displays of the EXAMPLES section that are whole configurations."""
    out, section, block = [], "", None
    with open(page, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".Sh "):
                section = line[4:].strip()
            elif section == "EXAMPLES" and line.startswith(".Bd -literal"):
                block = []
            elif block is not None and line == ".Ed":
                text = "\n".join(block) + "\n"
                if re.search(r"^Listen", text, re.M) and "..." not in text:
                    out.append(text)
                block = None
            elif block is not None:
                # roff escapes a literal display may hold
                block.append(line.replace("\\&", "").replace("\\e", "\\"))
    return out


def check_examples(src, binary):
    for tool in ("openssl", "htpasswd"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not installed")
            return 77
    configs = example_configs(os.path.join(src, "core", "pinfold.cfg.5"))
    if not configs:
        print("FAIL: no complete configuration in EXAMPLES")
        return 1
    status = 0
    with tempfile.TemporaryDirectory(prefix="pinfold-examples-") as tmp:
        for i, text in enumerate(configs, 1):
            d = os.path.join(tmp, str(i))
            os.mkdir(d)
            # The files the example names, made in a directory of its own; LAN backend
            # addresses become loopback ones (-c connects nowhere, but keep to loopback).
            text = text.replace('"/var/jail/pound/', '"' + d + "/")
            text = re.sub(r"\b192\.168\.1\.(\d+)\b", r"127.0.0.\1", text)
            for path in re.findall(r'"(' + re.escape(d) + r'/[^"]*)"', text):
                if path.endswith(".pem"):
                    key, crt = path + ".key", path + ".crt"
                    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                    "ec_paramgen_curve:P-256", "-nodes", "-days", "3",
                                    "-subj", "/CN=" + os.path.basename(path)[:-4],
                                    "-keyout", key, "-out", crt],
                                   check=True, capture_output=True, timeout=60)
                    with open(path, "w", encoding="utf-8") as f:
                        for part in (crt, key):
                            with open(part, encoding="utf-8") as g:
                                f.write(g.read())
                elif not path.endswith("/"):
                    subprocess.run(["htpasswd", "-b", "-B", "-C", "5", "-c", path, "alice",
                                    "example"], check=True, capture_output=True, timeout=60)
            cfg = os.path.join(d, "pinfold.cfg")
            with open(cfg, "w", encoding="utf-8") as f:
                f.write(text)
            # A cross build runs the binary under qemu-user, as test/integration/pftest.py.
            emulator = shlex.split(os.environ.get("PINFOLD_EMULATOR", ""))
            r = subprocess.run(emulator + [binary, "-c", "-f", cfg], capture_output=True,
                               text=True,
                               timeout=60, check=False)
            if r.returncode != 0:
                status = 1
                print(f"FAIL: example {i} does not pass pinfold -c:")
                print(r.stdout + r.stderr)
                print(text)
            else:
                print(f"ok: example {i} passes pinfold -c" +
                      (" (" + r.stderr.strip().replace("\n", "; ") + ")" if r.stderr.strip()
                       else ""))
    return status


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["directives", "lint", "selftest", "examples"])
    ap.add_argument("--source", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--binary", help="the pinfold binary (examples)")
    a = ap.parse_args()
    src = os.path.abspath(a.source)
    if a.what == "directives":
        return check_directives(src)
    if a.what == "lint":
        return check_lint(src)
    if a.what == "examples":
        if not a.binary:
            ap.error("examples needs --binary")
        return check_examples(src, os.path.abspath(a.binary))
    return selftest(src)


if __name__ == "__main__":
    sys.exit(main())
