#!/usr/bin/python3
"""test/arch/check.py - the shape of the code, checked so it stays:

  circles    no #include circle between modules of core/ and platform/ (a .c and
             the .h of the same name are one module; a TLS backend, tls_*.c, has no
             header of its own and is a module of its own that includes tls.h);
  files      no source file over MAX_FILE_LINES lines;
  functions  no function over MAX_FUNC_LINES lines (from the line of its name to its
             closing brace; the tree's style puts a function's braces in column 0).

The allow-lists below name what is still too big, each with why; they are the work
left.  An entry that is no longer needed is an error too, so the lists only shrink.

Usage: check.py [--source DIR] [--graph]   (--graph prints the module include graph)
       check.py --selftest    (a made-up tree with each fault: every one must be found)
Exit: 0 clean, 1 a finding.
"""
import argparse
import os
import re
import sys

MAX_FILE_LINES = 2000
MAX_FUNC_LINES = 100

# Too big today, to be split (a later step of the same work): file -> why.
ALLOW_FILES = {
    "core/config.c": "every block's directives in one file: to be split by block "
                     "(global, listener, service, backend, shared parsing helpers)",
}
# Too long today: "file:function" -> why.
ALLOW_FUNCS = {
    "core/conn.c:start_request": "parse, admit, route and forward in one: to become one "
                                 "request exchange module's sequence of calls",
    "core/conn.c:progress": "drives both sides and every step of an exchange: to be split "
                            "with the exchange module",
    "core/main.c:main": "the start-up sequence (parse, check, bind, jail, drop privileges, "
                        "daemonize), being reordered for the sandbox: split it after that",
    "platform/tls_mbedtls.c:suite_attrs": "what the cipher-string reader needs to know of "
                                          "each mbedTLS suite, one case per family: to "
                                          "become a table",
}

DIRS = ("core", "platform")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_of(path):
    return os.path.splitext(os.path.basename(path))[0]


def sources(root):
    for d in DIRS:
        for name in sorted(os.listdir(os.path.join(root, d))):
            if name.endswith((".c", ".h")):
                yield os.path.join(d, name)


def include_graph(root, files):
    known = {module_of(f) for f in files}
    graph = {}
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        m = module_of(f)
        graph.setdefault(m, set())
        for inc in INCLUDE.findall(text):
            t = module_of(inc)
            if t in known and t != m:
                graph[m].add(t)
    return graph


def circles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def functions(path):
    """(name, first line, length) of each function definition in a C file."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = fh.read().split("\n")
    out = []
    for i, line in enumerate(lines):
        if line != "{":
            continue
        # the signature: back to the line that holds the name and its '('
        j = i - 1
        while j >= 0 and "(" not in lines[j]:
            j -= 1
        if j < 0:
            continue
        # the name is the identifier right before the first '(' of the signature
        head = lines[j][: lines[j].index("(")]
        name = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", head)
        if not name:
            continue
        k = i + 1
        while k < len(lines) and lines[k] != "}":
            k += 1
        out.append((name[-1], j + 1, k - j + 1))
    return out


def findings(root, show_graph=False):
    files = list(sources(root))
    bad = []

    graph = include_graph(root, files)
    if show_graph:
        for m in sorted(graph):
            print(f"{m}: {' '.join(sorted(graph[m]))}")
    for comp in circles(graph):
        edges = [f"{m}->{t}" for m in comp for t in sorted(graph[m]) if t in comp]
        bad.append(f"include circle between {', '.join(comp)}: {' '.join(edges)}")

    used_files, used_funcs = set(), set()
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            n = fh.read().count("\n")
        if n > MAX_FILE_LINES:
            if f in ALLOW_FILES:
                used_files.add(f)
            else:
                bad.append(f"{f}: {n} lines (at most {MAX_FILE_LINES})")
        if not f.endswith(".c"):
            continue
        for name, line, length in functions(os.path.join(root, f)):
            if length <= MAX_FUNC_LINES:
                continue
            key = f"{f}:{name}"
            if key in ALLOW_FUNCS:
                used_funcs.add(key)
            else:
                bad.append(f"{f}:{line}: {name}() is {length} lines (at most {MAX_FUNC_LINES})")
    for f in sorted(set(ALLOW_FILES) - used_files):
        bad.append(f"{f} is allowed to be long but no longer is: drop it from ALLOW_FILES")
    for k in sorted(set(ALLOW_FUNCS) - used_funcs):
        bad.append(f"{k} is allowed to be long but no longer is: drop it from ALLOW_FUNCS")

    summary = (f"{len(files)} files, {len(graph)} modules, {len(used_files)} file(s) and "
               f"{len(used_funcs)} function(s) on the allow-list, {len(bad)} finding(s)")
    return bad, summary


def selftest():
    """Each fault in a small made-up tree, and each must be reported."""
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        for d in DIRS:
            os.mkdir(os.path.join(root, d))

        def put(path, text):
            with open(os.path.join(root, path), "w", encoding="utf-8") as fh:
                fh.write(text)

        # a circle through a .c and the other module's .h, and one that is not (c -> a)
        put("core/a.h", "int a(void);\n")
        put("core/a.c", '#include "a.h"\n#include "b.h"\nint a(void)\n{\n\treturn 0;\n}\n')
        put("core/b.h", '#include "a.h"\nint b(void);\n')
        put("core/b.c", '#include "b.h"\n')
        put("core/c.c", '#include "a.h"\n')
        # a function of 101 lines, and one of exactly 100
        body = "\treturn;\n" * 97  # + name, braces: 100 lines; too_long has one more
        put("platform/long.c", "static void too_long(int x)\n{\n" + body + "\t;\n}\n\n"
            "static void just_fits(void)\n{\n" + body + "}\n")
        put("platform/big.c", "int x;\n" * (MAX_FILE_LINES + 1))
        bad, _ = findings(root)
    want = ["include circle between a, b:", "too_long() is 101 lines", "platform/big.c: 2001",
            "is allowed to be long but no longer is"]
    missed = [w for w in want if not any(w in b for b in bad)]
    wrong = [b for b in bad if "just_fits" in b or " c," in b or "c->" in b]
    for w in missed:
        print(f"arch selftest: not found: {w}")
    for b in wrong:
        print(f"arch selftest: reported wrongly: {b}")
    print(f"arch selftest: {len(bad)} finding(s) in the made-up tree, "
          f"{len(missed)} missed, {len(wrong)} wrong")
    return 1 if missed or wrong else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--graph", action="store_true")
    ap.add_argument("--selftest", action="store_true")
    a = ap.parse_args()
    if a.selftest:
        return selftest()
    bad, summary = findings(os.path.abspath(a.source), a.graph)
    for b in bad:
        print("arch: " + b)
    print("arch: " + summary)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
