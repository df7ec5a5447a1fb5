#!/bin/sh
# test/all.sh - install dependencies, build pinfold with warnings as errors, and run
# every test in each build CI must prove:
#   build/           mbedTLS 2.28 (Debian bookworm's libmbedtls-dev), the whole suite
#   build-asan/      the same under ASan+UBSan, the whole suite
#   build-tls36/     mbedTLS 3.6 (built from Debian's trixie source package by
#                    .ci/build-mbedtls36.sh into $MBEDTLS36_PREFIX), the whole suite
#   build-openssl/   OpenSSL 3 (Debian's libssl-dev), the whole suite
#   build-tlsnone/   the minimal router build: PINFOLD_TLS=none and every feature option
#                    OFF: builds, unit tests, integ/features; build-min-mbedtls/ the same
#                    with mbedTLS, compiled only
# Every phase runs even when an earlier one failed; the exit status and the closing
# "all: N passed, N failed, N skipped" line cover them all.  Each phase's time is printed.
# This is the README's test command and what .ci/run calls.
#
# Skips are counted apart from passes (test/ctest_report.py reads each ctest run's JUnit
# file): a test that exited 77 or skipped some of its cases is listed with the reasons it
# printed, and one skipped in every build that has it fails the run unless
# test/skips-allowed.txt names it.
# Timing: PFTEST_SLOW stretches every timing bound of the tests (pftest.py, the unit tests
# that time things).  Unset, each ctest run measures how much CPU a busy loop gets on every
# CPU for half a second and sets it from that (1 on an idle machine, about 4 with two other
# busy loops on 2 CPUs); the factor chosen is printed.
set -eu
cd "$(dirname "$0")/.."

MBEDTLS36_PREFIX=${MBEDTLS36_PREFIX:-/opt/mbedtls-3.6}
jobs=$(nproc 2>/dev/null || echo 2)
# Most integration stories wait (timeouts, Alive ticks, slow clients) far more than they
# compute: twice as many at once as there are CPUs keeps the CPUs busy.
test_jobs=${PINFOLD_TEST_JOBS:-$((jobs * 2))}
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/pinfold-all.XXXXXX")
trap 'rm -rf "$LOGDIR"' EXIT

T0=$(date +%s)
sh test/deps.sh test

failed_phases=""
times=""
junits=""

# phase NAME COMMAND...: run, time it, remember a failure without stopping.
phase() {
	name=$1
	shift
	echo "== $name"
	t=$(date +%s)
	if "$@"; then rc=0; else rc=$?; fi
	t=$(($(date +%s) - t))
	times="$times
  $name: ${t}s$([ "$rc" -eq 0 ] || echo " (FAILED, status $rc)")"
	[ "$rc" -eq 0 ] || failed_phases="$failed_phases $name"
	return 0
}

# build DIR WANT_TLS_LINE CMAKE_ARGS...: configure + build, and check `pinfold -V` names
# the TLS library this build is meant to prove (a 3.6 build must not link 2.28).
build() {
	dir=$1
	want=$2
	shift 2
	cmake -S . -B "$dir" -DPINFOLD_WERROR=ON "$@" >"$LOGDIR/cmake.log" 2>&1 ||
		{ cat "$LOGDIR/cmake.log"; return 1; }
	cmake --build "$dir" -j "$jobs" || return 1
	v=$("$dir/pinfold" -V | grep '^TLS backend:' || true)
	case "$v" in
	*"$want"*) echo "$dir: $v" ;;
	*) echo "$dir: want TLS backend '$want', pinfold -V says '$v'" >&2; return 1 ;;
	esac
}

# slow_factor: PFTEST_SLOW as given, else from the CPU share a busy loop gets on each CPU
# for 0.5 s (share s: 1/s^2, at most 10; under 1.2 is 1).
PFTEST_SLOW_GIVEN=${PFTEST_SLOW:-}
slow_factor() {
	if [ -n "$PFTEST_SLOW_GIVEN" ]; then
		echo "$PFTEST_SLOW_GIVEN"
		return
	fi
	python3 -c '
import multiprocessing, sys, time
def spin(_):
    t0, c0 = time.monotonic(), time.process_time()
    while time.monotonic() - t0 < 0.5:
        pass
    return (time.process_time() - c0) / (time.monotonic() - t0)
n = int(sys.argv[1])
with multiprocessing.Pool(n) as p:
    share = min(1.0, sum(p.map(spin, range(n))) / n)
f = min(10.0, 1.0 / max(share, 0.01) ** 2)
print("%.1f" % (f if f >= 1.2 else 1))
' "$jobs"
}

# tests DIR [CTEST ARGS...]: ctest, its JUnit file kept for the closing count.
tests() {
	dir=$1
	shift
	log="$LOGDIR/ctest-$(basename "$dir").log"
	junit="$LOGDIR/junit-$(basename "$dir").xml"
	PFTEST_SLOW=$(slow_factor)
	export PFTEST_SLOW
	echo "$dir: PFTEST_SLOW=$PFTEST_SLOW ($([ -n "$PFTEST_SLOW_GIVEN" ] && echo given ||
		echo "from this machine's load now"))"
	# ctest's own last-resort TIMEOUTs stretch the same way (rounded up; a reconfigure
	# that rebuilds nothing)
	tf=$(awk -v s="$PFTEST_SLOW" 'BEGIN { printf "%d", s + 0.999 }')
	cmake -S . -B "$dir" -DPINFOLD_TEST_TIMEOUT_FACTOR="$tf" >"$LOGDIR/cmake.log" 2>&1 ||
		{ cat "$LOGDIR/cmake.log"; return 1; }
	junits="$junits $(basename "$dir")=$junit"
	{
		# the whole output of passing tests too (ctest keeps 1 KiB): their skip lines
		(cd "$dir" && ctest --output-on-failure -j "$test_jobs" --timeout $((300 * tf)) \
			--output-junit "$junit" --test-output-size-passed 1048576 "$@")
		echo $? >"$log.rc"
	} 2>&1 | tee "$log"
	return "$(cat "$log.rc")"
}

suite() { # dir want cmake-args...
	dir=$1
	build "$@" && tests "$dir"
}

phase "mbedTLS 2.28 (build/)" \
	suite build "mbedTLS 2.28" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPINFOLD_TLS=mbedtls \
	-DMBEDTLS_ROOT=

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
phase "ASan+UBSan, mbedTLS 2.28 (build-asan/)" \
	suite build-asan "mbedTLS 2.28" -DCMAKE_BUILD_TYPE=Debug \
	-DPINFOLD_SANITIZE=address,undefined -DPINFOLD_TLS=mbedtls -DMBEDTLS_ROOT=
unset ASAN_OPTIONS UBSAN_OPTIONS

phase "mbedTLS 3.6 from Debian's source package ($MBEDTLS36_PREFIX)" \
	bash .ci/build-mbedtls36.sh "$MBEDTLS36_PREFIX"
if [ -f "$MBEDTLS36_PREFIX/include/mbedtls/build_info.h" ]; then
	phase "mbedTLS 3.6 (build-tls36/)" \
		suite build-tls36 "mbedTLS 3.6" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DPINFOLD_TLS=mbedtls -DMBEDTLS_ROOT="$MBEDTLS36_PREFIX"
fi

phase "OpenSSL (build-openssl/)" \
	suite build-openssl "OpenSSL 3" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPINFOLD_TLS=openssl \
	-DMBEDTLS_ROOT=

# The minimal router build: plaintext and every optional feature off (the PINFOLD_<NAME>
# options CMakeLists.txt lists in PINFOLD_FEATURE_OPTIONS).  Its unit tests, and the
# story that a built-out directive is a file:line:col error and -V lists the features;
# then only a compile of the same with mbedTLS (build-min-mbedtls/, the binary alone).
min_options=$(sed -n 's/^set(PINFOLD_FEATURE_OPTIONS \(.*\))$/\1/p' CMakeLists.txt |
	tr ' ' '\n' | sed 's/^\(.\)/-DPINFOLD_\1/; s/$/=OFF/')
minimal() {
	# shellcheck disable=SC2086 # one word per option
	build build-tlsnone "none" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPINFOLD_TLS=none \
		-DMBEDTLS_ROOT= $min_options && tests build-tlsnone -R '^(unit/|integ/features$)' || return 1
	# shellcheck disable=SC2086
	cmake -S . -B build-min-mbedtls -DPINFOLD_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DPINFOLD_TLS=mbedtls -DMBEDTLS_ROOT= -DPINFOLD_TESTS=OFF $min_options \
		>"$LOGDIR/cmake.log" 2>&1 || { cat "$LOGDIR/cmake.log"; return 1; }
	cmake --build build-min-mbedtls -j "$jobs" --target pinfold || return 1
	build-min-mbedtls/pinfold -V | grep '^Features:'
}
phase "minimal router build: TLS none, features off (build-tlsnone/, build-min-mbedtls/)" minimal

echo
echo "== times (total $(($(date +%s) - T0))s on $jobs CPU(s), $test_jobs tests at once):$times"
# shellcheck disable=SC2086 # one word per build
python3 test/ctest_report.py --every --counts "$LOGDIR/counts" $junits ||
	echo "0 1 0" >"$LOGDIR/counts"
read -r npass nfail nskip <"$LOGDIR/counts"
# a failure only the report found (a test skipped in every build)
[ "$nfail" -eq 0 ] || [ -n "$failed_phases" ] || failed_phases=" skipped everywhere"
if [ -n "$failed_phases" ]; then
	echo "== FAILED:$failed_phases"
	echo "all: $npass passed, $nfail failed, $nskip skipped"
	exit 1
fi
echo "== all tests passed"
echo "all: $npass passed, $nfail failed, $nskip skipped"
