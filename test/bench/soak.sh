#!/bin/bash
# test/bench/soak.sh - soak pinfold: SOAK_REQUESTS requests (default 1,000,000) through the
# proxy with wrk (keep-alive, SOAK_CONNECTIONS connections), bounded by SOAK_MAX_SECONDS
# (default 300), against nginx on 127.0.0.3 serving a 1 KiB file.  pinfold's RSS
# (/proc/PID/status VmRSS) and open descriptors (/proc/PID/fd) are recorded after a warm-up
# and after the run (once the clients are gone and again after the idle backend pool has
# expired), and printed as a small report.
#
# Fails (exit 1) when: fewer requests than asked completed, any non-2xx answer or socket
# error, pinfold died, descriptors are not back to the warm-up count, or RSS grew by more
# than SOAK_RSS_SLACK_KB (default 1024).  Exit 77 when a tool is missing (nothing is
# installed here; test/deps.sh test installs them).  Loopback only.
#
# Environment: PINFOLD (binary, default <repo>/build/pinfold), SOAK_REQUESTS,
# SOAK_CONNECTIONS (default 50), SOAK_MAX_SECONDS, SOAK_RSS_SLACK_KB, SOAK_REPORT (also
# write the report to this file).
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PINFOLD=${PINFOLD:-$REPO/build/pinfold}
REQUESTS=${SOAK_REQUESTS:-1000000}
CONNS=${SOAK_CONNECTIONS:-50}
MAXSECS=${SOAK_MAX_SECONDS:-300}
SLACK_KB=${SOAK_RSS_SLACK_KB:-1024}
THREADS=2
POOL_IDLE_S=11 # core/backend.c POOL_IDLE_MS (10 s) and a second

die() { echo "soak: $*" >&2; exit 1; }
for t in wrk nginx curl; do
	command -v "$t" >/dev/null 2>&1 || { echo "soak: missing $t (apt-get install wrk nginx-light curl)" >&2; exit 77; }
done
[ -x "$PINFOLD" ] || die "no pinfold binary at $PINFOLD (build it, or set PINFOLD=)"
case "$REQUESTS$CONNS$MAXSECS$SLACK_KB" in *[!0-9]*) die "numbers only" ;; esac

WORK=$(mktemp -d /tmp/pinfold-soak.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { # host: a port nothing listens on (bounded tries), outside the ephemeral range
	local host=$1 p
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 10000))
		if ! (exec 3<>"/dev/tcp/$host/$p") 2>/dev/null; then echo "$p"; return 0; fi
	done
	return 1
}
wait_port() { # host port
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---- nginx backend on 127.0.0.3 ---------------------------------------------------
NPORT=$(free_port 127.0.0.3) || die "no free port"
mkdir -p "$WORK/nginx/www" "$WORK/nginx/logs" "$WORK/nginx/tmp"
head -c 1024 /dev/zero | tr '\0' 'x' >"$WORK/nginx/www/1k"
USERLINE=""
[ "$(id -u)" -eq 0 ] && USERLINE="user root root;"
cat >"$WORK/nginx/nginx.conf" <<EOF
$USERLINE
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/tmp;
    proxy_temp_path $WORK/nginx/tmp;
    fastcgi_temp_path $WORK/nginx/tmp;
    uwsgi_temp_path $WORK/nginx/tmp;
    scgi_temp_path $WORK/nginx/tmp;
    keepalive_requests 10000000;
    server { listen 127.0.0.3:$NPORT; root $WORK/nginx/www; }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" \
	</dev/null >/dev/null 2>&1 &
PIDS+=($!)
wait_port 127.0.0.3 "$NPORT" || die "nginx did not start: $(tail -3 "$WORK/nginx/logs/error.log")"

# ---- pinfold ------------------------------------------------------------------------
PPORT=$(free_port 127.0.0.1) || die "no free port"
cat >"$WORK/pinfold.cfg" <<EOF
LogLevel 0
ListenHTTP
    Address 127.0.0.1
    Port $PPORT
    Service
        BackEnd
            Address 127.0.0.3
            Port $NPORT
        End
    End
End
EOF
"$PINFOLD" -F -e -f "$WORK/pinfold.cfg" </dev/null >"$WORK/pinfold.out" 2>&1 &
PF=$!
PIDS+=($PF)
wait_port 127.0.0.1 "$PPORT" || die "pinfold did not start: $(tail -3 "$WORK/pinfold.out")"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$PF/status"; }
nfds() { find "/proc/$PF/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
alive() { kill -0 "$PF" 2>/dev/null; }

URL="http://127.0.0.1:$PPORT/1k"
[ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 5 "$URL")" = 200 ] ||
	die "no 200 through pinfold"

# Each wrk thread stops after its share of the requests and leaves a file saying so; wrk
# itself would sleep out its whole -d, so it is interrupted (SIGINT: it still prints its
# statistics) once every thread is done.  Bounded by count and by SOAK_MAX_SECONDS.
PER_THREAD=$(((REQUESTS + THREADS - 1) / THREADS))
cat >"$WORK/count.lua" <<'EOF'
local counter = 0
function setup(thread)
    counter = counter + 1
    thread:set("id", counter)
end
local limit = tonumber(os.getenv("SOAK_PER_THREAD"))
local dir = os.getenv("SOAK_DONE_DIR")
local n = 0
function response(status, headers, body)
    n = n + 1
    if n == limit then
        local f = io.open(dir .. "/done." .. id, "w")
        if f then f:write(n) f:close() end
        wrk.thread:stop()
    end
end
EOF

T_END=0
run_wrk() { # per-thread count, max seconds, output file
	local done_dir w k
	done_dir=$(mktemp -d "$WORK/wrk-threads.XXXXXX")
	SOAK_PER_THREAD=$1 SOAK_DONE_DIR=$done_dir wrk -t"$THREADS" -c"$CONNS" -d"${2}s" \
		--timeout 5s -s "$WORK/count.lua" "$URL" >"$3" 2>&1 &
	w=$!
	for k in $(seq $((($2 + 5) * 10))); do
		kill -0 "$w" 2>/dev/null || break
		[ "$(find "$done_dir" -mindepth 1 -name "done.*" | wc -l)" -ge "$THREADS" ] && break
		sleep 0.1
	done
	T_END=$(date +%s.%N)
	kill -INT "$w" 2>/dev/null
	wait "$w"
}

# warm-up: the buffer pool and the backend pool reach their working size
run_wrk 5000 20 "$WORK/warm.txt" || die "wrk warm-up failed: $(cat "$WORK/warm.txt")"
sleep 1
RSS0=$(rss_kb)
FD0=$(nfds)

T0=$(date +%s.%N)
run_wrk "$PER_THREAD" "$MAXSECS" "$WORK/wrk.txt"
WRK_RC=$?
T1=$T_END
sleep 1
alive || die "pinfold died during the soak: $(tail -5 "$WORK/pinfold.out")"
RSS1=$(rss_kb)
FD1=$(nfds)
sleep "$POOL_IDLE_S"
RSS2=$(rss_kb)
FD2=$(nfds)

DONE=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
NON2XX=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$WORK/wrk.txt")
SOCKERR=$(awk -F'Socket errors: ' '/Socket errors:/ {print $2}' "$WORK/wrk.txt")
SECS=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.1f", b - a }')
RPS=$(awk -v n="${DONE:-0}" -v s="$SECS" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "?" }')

fail=""
[ "$WRK_RC" -eq 0 ] || fail="$fail wrk-exit-$WRK_RC"
[ -n "$DONE" ] && [ "$DONE" -ge "$REQUESTS" ] || fail="$fail completed-${DONE:-0}<$REQUESTS"
[ -z "$NON2XX" ] || fail="$fail non-2xx:$NON2XX"
[ -z "$SOCKERR" ] || fail="$fail socket-errors:[$SOCKERR]"
[ "$FD2" -le "$FD0" ] || fail="$fail fds-$FD0->$FD2"
[ $((RSS2 - RSS0)) -le "$SLACK_KB" ] || fail="$fail rss-grew-$((RSS2 - RSS0))kB"

REPORT=$(cat <<EOF
## pinfold soak ($(date -u +%Y-%m-%d), $(nproc) CPUs, $("$PINFOLD" -V 2>&1 | head -1))

wrk -t$THREADS -c$CONNS keep-alive, GET 1 KiB from nginx through pinfold, loopback.

| | value |
|---|---|
| requests completed | ${DONE:-0} (asked $REQUESTS, bound ${MAXSECS} s) |
| duration | ${SECS} s (${RPS:-?} req/s) |
| non-2xx / socket errors | ${NON2XX:-0} / ${SOCKERR:-none} |
| RSS after warm-up | ${RSS0} kB |
| RSS after the run (clients gone) | ${RSS1} kB |
| RSS after the idle pool expired | ${RSS2} kB (delta $((RSS2 - RSS0)) kB) |
| open fds after warm-up | ${FD0} |
| open fds after the run | ${FD1} |
| open fds after the idle pool expired | ${FD2} |
| verdict | $([ -z "$fail" ] && echo "flat: PASS" || echo "FAIL:$fail") |
EOF
)
echo "$REPORT"
[ -n "${SOAK_REPORT:-}" ] && echo "$REPORT" >"$SOAK_REPORT"
[ -z "$fail" ] || exit 1
exit 0
