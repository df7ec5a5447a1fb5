#!/bin/sh
# test/all.sh - install dependencies, build pinfold with warnings as errors,
# and run every test: once as built, once under ASan+UBSan.
# This is the README's test command and what .ci/run calls.
set -eu
cd "$(dirname "$0")/.."

sh test/deps.sh test

jobs=$(nproc 2>/dev/null || echo 2)

run_suite() { # dir, extra cmake args...
	dir=$1
	shift
	cmake -S . -B "$dir" -DPINFOLD_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j "$jobs"
	(cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 300)
}

echo "== build and test (build/)"
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo

echo "== build and test under ASan+UBSan (build-asan/)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DPINFOLD_SANITIZE=address,undefined

echo "== all tests passed"
