#!/bin/sh
# .ci/fuzz.sh [SECONDS] - bounded libFuzzer run of every harness in test/fuzz/ (request,
# response, chunked, config, control), SECONDS each (default 45, or PINFOLD_FUZZ_SECONDS),
# through test/fuzz/run.sh.  The request harness also starts from the smuggling corpus
# (test/smuggling/payloads/*.raw).  Exit non-zero if any harness finds a crash; the
# crashing inputs are printed (base64) so a CI log is enough to turn them into unit tests.
#
# Build and corpus live in this checkout's build-fuzz/ (ignored by git), or in
# PINFOLD_FUZZ_BUILD: a shared folder such as /tmp would hold a CMake cache made from
# another checkout, which CMake refuses.  Needs clang and libclang-rt (test/deps.sh test).
set -eu
cd "$(dirname "$0")/.."

secs=${1:-${PINFOLD_FUZZ_SECONDS:-45}}
case "$secs" in '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a number" >&2; exit 2 ;; esac
build=${PINFOLD_FUZZ_BUILD:-$PWD/build-fuzz}
export PINFOLD_FUZZ_BUILD="$build"

sh test/deps.sh test

# Extra seeds for the request parser: the smuggling payloads (copied into the working
# corpus, never into the committed seed folder).
mkdir -p "$build/corpus/request"
for f in test/smuggling/payloads/*.raw; do
	[ -f "$f" ] && cp "$f" "$build/corpus/request/smuggling-$(basename "$f" .raw)"
done
rm -f "$build"/crash-* "$build"/leak-* "$build"/timeout-* "$build"/oom-*

start=$(date +%s)
status=0
sh test/fuzz/run.sh "$secs" || status=$?
end=$(date +%s)

found=0
for f in "$build"/crash-* "$build"/leak-* "$build"/timeout-* "$build"/oom-*; do
	[ -f "$f" ] || continue
	found=1
	echo "== fuzz finding: $f ($(wc -c <"$f") bytes), base64:"
	base64 "$f"
done
echo "== fuzz: $((end - start)) s in all, ${secs} s per harness"
if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
	echo "== fuzz: FAILED" >&2
	exit 1
fi
echo "== fuzz: no crash"
