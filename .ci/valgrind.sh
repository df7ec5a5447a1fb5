#!/bin/sh
# .ci/valgrind.sh - the integration suite once with every pinfold process under valgrind
# (memcheck, --leak-check=full, --error-exitcode=99).
#
# pftest.py runs the binary through PINFOLD_EMULATOR (shell words put before the binary),
# so the suite's own scripts, run by ctest with their usual --binary, start
# "valgrind ... pinfold ...": the pid they signal is pinfold's, a memory error or a leak at
# exit turns pinfold's exit status into 99, and the tests check that status (every test
# wants 0 after SIGTERM, or the exact status of -c).  Each valgrind log is scanned too.
# PFTEST_SLOW (default 4 here) stretches every timing bound of the tests and their ctest
# TIMEOUTs.
#
# What runs: every row of test/framing.md (the proxy's parse, reject, forward, pipelining,
# 1xx, upgrade and bad-backend paths; spread over two processes), then the stories in
# STORIES below, two at a time: about 5 minutes on 2 cores.  PINFOLD_VALGRIND_ALL=1 runs
# every integration test ctest knows instead (about 11 minutes on 2 cores; the tests built
# on timing under load, rate_limit and slow_clients, are left out there too).
#
# Environment: PINFOLD_VALGRIND_BUILD (default build-valgrind), PINFOLD_VALGRIND_ALL,
# PINFOLD_VALGRIND_JOBS (default 2).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

STORIES="keepalive bodies expect_continue no_body_responses close_delimited websocket
hop_by_hop spoofed_headers sigterm_inflight reload acl_trusted basic_auth tls_backend
tls_websocket hostile tls_hostile"

sh test/deps.sh test
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind missing" >&2; exit 1; }

build=${PINFOLD_VALGRIND_BUILD:-build-valgrind}
jobs=${PINFOLD_VALGRIND_JOBS:-2}

start=$(date +%s)
export PFTEST_SLOW="${PFTEST_SLOW:-4}"
# ctest's last-resort TIMEOUTs stretched as the tests' bounds are (PFTEST_SLOW, rounded up)
tf=$(awk -v s="$PFTEST_SLOW" 'BEGIN { printf "%d", s + 0.999 }')
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPINFOLD_WERROR=ON \
	-DPINFOLD_TEST_TIMEOUT_FACTOR="$tf" >/dev/null
cmake --build "$build" --target pinfold pinfoldctl -j "$jobs" # integ/control runs both
bin="$root/$build/pinfold"
case "$build" in /*) bin="$build/pinfold" ;; esac

logs=$(mktemp -d "${TMPDIR:-/tmp}/pinfold-valgrind.XXXXXX")
chmod 755 "$logs" # a pinfold that drops to nobody still writes its log (opened before)
PINFOLD_EMULATOR="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect --track-origins=yes --log-file=$logs/vg.%p.log"
export PINFOLD_EMULATOR

status=0
if [ "${PINFOLD_VALGRIND_ALL:-0}" = 1 ]; then
	(cd "$build" && ctest -L integration -E 'integ/(harness|slow_clients|rate_limit)$' \
		-j "$jobs" --timeout 900 --output-on-failure --output-junit "$logs/junit.xml" \
		--test-output-size-passed 1048576) || status=$?
else
	pids=""
	for k in 0 1; do
		PFTEST_SHARD=$k/2 /usr/bin/python3 test/integration/test_framing.py --binary "$bin" \
			>"$logs/framing-$k.out" 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || status=1
	done
	for k in 0 1; do
		echo "== framing rows, shard $k/2:"
		grep -E "^(FAIL|ERROR):|^Ran |^OK|^FAILED" "$logs/framing-$k.out" || true
	done
	# shellcheck disable=SC2086 # one word per story
	regex=$(printf '%s\n' $STORIES | sed 's|.*|integ/&|' | paste -sd'|')
	(cd "$build" && ctest -R "^($regex)\$" -j "$jobs" --timeout 900 --output-on-failure \
		--output-junit "$logs/junit.xml" --test-output-size-passed 1048576) || status=1
fi
end=$(date +%s)

# Every log with an error in it (a clean run under --quiet leaves an empty log).
bad=0
nlogs=0
for f in "$logs"/vg.*.log; do
	[ -f "$f" ] || continue
	nlogs=$((nlogs + 1))
	if grep -q "ERROR SUMMARY: [1-9]\|definitely lost: [1-9]\|indirectly lost: [1-9]\|Invalid \(read\|write\|free\)\|uninitialised\|Mismatched free" "$f"; then
		bad=$((bad + 1))
		echo "== valgrind findings in $f:"
		head -60 "$f"
	fi
done
# the stories' counts, skips apart from passes
python3 test/ctest_report.py valgrind="$logs/junit.xml" | sed 's/^counts: \(.*\) \(.*\) \(.*\)$/valgrind stories: \1 passed, \2 failed, \3 skipped/' || status=1
echo "== valgrind: $nlogs pinfold processes, $bad with findings, test status $status, $((end - start)) s"
rm -rf "$logs"
[ "$status" -eq 0 ] && [ "$bad" -eq 0 ]
