#!/bin/bash
# test/bench/run.sh - pinfold vs HAProxy 2.6 vs nginx direct, with wrk (all from Debian).
#
# nginx (1 worker) serves a 1 KiB file on 127.0.0.1; pinfold and HAProxy (nbthread 1,
# http mode, keep-alive to the backend) sit in front of it.  Each proxy is pinned to
# CPU 0, nginx and wrk to CPU 1.  wrk runs -c 50 -t 1 (keep-alive) against direct,
# pinfold and haproxy, alternating, for BENCH_ROUNDS rounds; the medians are reported
# as a Markdown table, with idle RSS and the stripped size of the pinfold binary.
#
# Environment:
#   PINFOLD            binary to measure (default <repo>/build/pinfold)
#   BENCH_DURATION     seconds per wrk run (default 10)
#   BENCH_ROUNDS       rounds (default 3)
#   BENCH_CONNECTIONS  wrk connections (default 50)
#   BENCH_NO_SAVE=1    do not write test/bench/results/latest.md
# CI smoke: BENCH_DURATION=2 BENCH_ROUNDS=1 test/bench/run.sh
# Then, for a TLS build, test/bench/tls.sh (its own BENCH_TLS_* settings; BENCH_TLS=0 skips it).
# Exit: 0 done, 1 something did not work, 77 a tool is missing (nothing is installed here).
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PINFOLD=${PINFOLD:-$REPO/build/pinfold}
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNECTIONS:-50}
HOST=127.0.0.1

die() { echo "bench: $*" >&2; exit 1; }

# ---- tools --------------------------------------------------------------------------
missing=()
for t in wrk haproxy nginx curl taskset strip; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench: missing: ${missing[*]}" >&2
	echo "bench: install with: apt-get install -y wrk haproxy nginx-light curl util-linux binutils" >&2
	exit 77
fi
[ -x "$PINFOLD" ] || die "no pinfold binary at $PINFOLD (build it, or set PINFOLD=)"
case "$DURATION$ROUNDS$CONNS" in *[!0-9]*) die "BENCH_DURATION/ROUNDS/CONNECTIONS must be numbers";; esac
[ "$DURATION" -ge 1 ] && [ "$ROUNDS" -ge 1 ] && [ "$CONNS" -ge 1 ] || die "values must be >= 1"

if [ "$(nproc)" -ge 2 ]; then
	PIN_PROXY="taskset -c 0"
	PIN_LOAD="taskset -c 1"
	PINNING="proxy on CPU 0, nginx + wrk on CPU 1"
else
	PIN_PROXY=""
	PIN_LOAD=""
	PINNING="not pinned (only $(nproc) CPU)"
	echo "bench: warning: fewer than 2 CPUs, running unpinned" >&2
fi

# ---- is anything else using the CPUs? (numbers from a busy machine are not comparable)
cpu_busy_pct() { # percent of all CPU time not idle over one second
	local a b
	a=($(awk '/^cpu / {print $2+$3+$4+$6+$7+$8, $5}' /proc/stat)); sleep 1
	b=($(awk '/^cpu / {print $2+$3+$4+$6+$7+$8, $5}' /proc/stat))
	awk -v u=$((b[0] - a[0])) -v i=$((b[1] - a[1])) 'BEGIN { if (u + i > 0) printf "%.0f", 100 * u / (u + i); else print 0 }'
}
BUSY=$(cpu_busy_pct)
BUSY_NOTE="machine idle before the run (${BUSY}% CPU busy)"
if [ "$BUSY" -gt 10 ]; then
	BUSY_NOTE="**warning: ${BUSY}% of the CPUs were busy with other work before the run; these numbers are not comparable**"
	echo "bench: warning: ${BUSY}% CPU busy before starting" >&2
fi

# ---- scratch space and cleanup ---------------------------------------------------------
WORK=$(mktemp -d /tmp/pinfold-bench.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # port, pid: bounded wait until something accepts on the port
	local i
	for i in $(seq 100); do
		kill -0 "$2" 2>/dev/null || return 1
		if (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	return 1
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo "?"; }
# Private memory (heap, stack, private mappings): what the process costs beyond the
# shared library pages every process on the router maps anyway.
anon_kib() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo "?"; }

NGX_PORT=$(free_port); PF_PORT=$(free_port); HA_PORT=$(free_port)

# ---- nginx: the backend -------------------------------------------------------------------
mkdir -p "$WORK/nginx/www" "$WORK/nginx/tmp" "$WORK/nginx/logs"
head -c 1024 /dev/urandom > "$WORK/nginx/www/1k.bin"
NGX_USER=""
[ "$(id -u)" -eq 0 ] && NGX_USER="user root root;"
cat > "$WORK/nginx/nginx.conf" <<EOF
$NGX_USER
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    default_type application/octet-stream;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    server {
        listen $HOST:$NGX_PORT;
        root $WORK/nginx/www;
    }
}
EOF
$PIN_LOAD nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" \
	</dev/null >"$WORK/nginx/logs/stdout" 2>&1 &
NGX_PID=$!; PIDS+=("$NGX_PID")
wait_port "$NGX_PORT" "$NGX_PID" || die "nginx did not start: $(tail -5 "$WORK/nginx/logs/error.log")"

# ---- pinfold ----------------------------------------------------------------------------------
cat > "$WORK/pinfold.cfg" <<EOF
LogLevel 0
ListenHTTP
    Address $HOST
    Port $PF_PORT
    Service
        BackEnd
            Address $HOST
            Port $NGX_PORT
        End
    End
End
EOF
$PIN_PROXY "$PINFOLD" -F -e -f "$WORK/pinfold.cfg" </dev/null >"$WORK/pinfold.out" 2>&1 &
PF_PID=$!; PIDS+=("$PF_PID")
wait_port "$PF_PORT" "$PF_PID" || die "pinfold did not start: $(tail -5 "$WORK/pinfold.out")"

# ---- haproxy ------------------------------------------------------------------------------------
cat > "$WORK/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    http-reuse safe
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend fe
    bind $HOST:$HA_PORT
    default_backend be
backend be
    server nginx $HOST:$NGX_PORT
EOF
$PIN_PROXY haproxy -db -f "$WORK/haproxy.cfg" </dev/null >"$WORK/haproxy.out" 2>&1 &
HA_PID=$!; PIDS+=("$HA_PID")
wait_port "$HA_PORT" "$HA_PID" || die "haproxy did not start: $(tail -5 "$WORK/haproxy.out")"

# ---- sanity: every target serves the file, byte for byte ------------------------------------------
for port in "$NGX_PORT" "$PF_PORT" "$HA_PORT"; do
	curl -sS --noproxy '*' --max-time 5 -o "$WORK/check.bin" "http://$HOST:$port/1k.bin" \
		|| die "GET through port $port failed"
	cmp -s "$WORK/check.bin" "$WORK/nginx/www/1k.bin" || die "port $port served a different body"
done
sleep 0.5
PF_RSS_IDLE=$(rss_kib "$PF_PID")
HA_RSS_IDLE=$(rss_kib "$HA_PID")
PF_ANON_IDLE=$(anon_kib "$PF_PID")
HA_ANON_IDLE=$(anon_kib "$HA_PID")

# ---- the runs ------------------------------------------------------------------------------------------
# CPU time used by anything that is not part of this benchmark (compilers, fuzzers, ... of
# other people on a shared machine), so a disturbed round shows up in the table:
# all user+system time (/proc/stat) minus that of nginx, pinfold, haproxy and wrk.
TICK=$(getconf CLK_TCK)
total_ticks() { awk '/^cpu / {print $2 + $3 + $4}' /proc/stat; }
ours_ticks() {
	local p pids
	pids="$NGX_PID $(cat "/proc/$NGX_PID/task/$NGX_PID/children" 2>/dev/null) $PF_PID $HA_PID"
	for p in $pids; do cat "/proc/$p/stat" 2>/dev/null; done | awk '{
		i = index($0, ") "); split(substr($0, i + 2), f, " "); t += f[12] + f[13]
	} END { printf "%d\n", t }'
}
declare -A RPS ERRS OTHER CLEAN
run_wrk() { # name port seconds -> appends req/s to RPS[name], errors to ERRS[name]
	local name=$1 port=$2 secs=$3 out rps non2xx sockerr a0 o0 a1 o1 wrk_s other
	a0=$(total_ticks); o0=$(ours_ticks)
	# `times` in the subshell reports the CPU time of its children: wrk's
	out=$( (timeout $((secs + 30)) $PIN_LOAD wrk -c "$CONNS" -t 1 -d "${secs}s" \
		"http://$HOST:$port/1k.bin" 2>&1 || echo "WRK-FAILED"; times) )
	a1=$(total_ticks); o1=$(ours_ticks)
	case "$out" in *WRK-FAILED*) die "wrk against $name failed: $out";; esac
	wrk_s=$(tail -1 <<<"$out" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, m, /[ms]/); t += m[1] * 60 + m[2] } print t }')
	other=$(awk -v a=$((a1 - a0)) -v o=$((o1 - o0)) -v w="$wrk_s" -v hz="$TICK" -v s="$secs" \
		'BEGIN { v = 100 * ((a - o) / hz - w) / s; printf "%.0f", v < 0 ? 0 : v }')
	[ "$other" -gt "${OTHER[$name]:-0}" ] && OTHER[$name]=$other
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	[ -n "$rps" ] || die "no Requests/sec from wrk against $name: $out"
	non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
	sockerr=$(awk -F'[ ,]+' '/Socket errors:/ {print $4+$6+$8+$10}' <<<"$out")
	RPS[$name]="${RPS[$name]:-} $rps"
	[ "$other" -le 10 ] && CLEAN[$name]="${CLEAN[$name]:-} $rps"
	ERRS[$name]=$(( ${ERRS[$name]:-0} + ${non2xx:-0} + ${sockerr:-0} ))
	echo "bench: $name round: $rps req/s (non-2xx ${non2xx:-0}, socket errors ${sockerr:-0}," \
		"other processes: ${other}% of a CPU)" >&2
}

median() {
	tr ' ' '\n' | awk 'NF' | sort -g | awk '{v[NR]=$1} END {
		if (NR == 0) { print "0"; exit }
		if (NR % 2) printf "%.0f\n", v[(NR+1)/2]; else printf "%.0f\n", (v[NR/2]+v[NR/2+1])/2 }'
}

TARGETS=("direct:$NGX_PORT" "pinfold:$PF_PORT" "haproxy:$HA_PORT")
echo "bench: warm-up" >&2
for t in "${TARGETS[@]}"; do
	timeout 20 $PIN_LOAD wrk -c "$CONNS" -t 1 -d 1s "http://$HOST:${t#*:}/1k.bin" >/dev/null 2>&1
done
for r in $(seq "$ROUNDS"); do
	# alternate the order each round so drift does not favour one target
	if [ $((r % 2)) -eq 1 ]; then order=(0 1 2); else order=(2 1 0); fi
	for i in "${order[@]}"; do
		t=${TARGETS[$i]}
		run_wrk "${t%%:*}" "${t#*:}" "$DURATION"
	done
done
PF_RSS_LOAD=$(rss_kib "$PF_PID")
HA_RSS_LOAD=$(rss_kib "$HA_PID")
kill -0 "$PF_PID" 2>/dev/null || die "pinfold died during the run: $(tail -5 "$WORK/pinfold.out")"

D=$(median <<<"${RPS[direct]}")
P=$(median <<<"${RPS[pinfold]}")
H=$(median <<<"${RPS[haproxy]}")
clean() { if [ -n "${CLEAN[$1]:-}" ]; then median <<<"${CLEAN[$1]}"; else echo "-"; fi; }
CD=$(clean direct); CP=$(clean pinfold); CH=$(clean haproxy)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

strip -o "$WORK/pinfold.stripped" "$PINFOLD" || die "strip failed"
SIZE=$(stat -c %s "$WORK/pinfold.stripped")
SIZE_KIB=$(awk -v s="$SIZE" 'BEGIN { printf "%.1f", s / 1024 }')
kib() { awk -v k="$1" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.1f MiB (%d KiB)", k/1024, k; else print "?" }'; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "NOT met"; fi; }

REPORT=$(cat <<EOF
# pinfold benchmark

$(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)),
loopback, 1 KiB file, wrk -c $CONNS -t 1 -d ${DURATION}s keep-alive, $ROUNDS round(s), medians; $PINNING.
$BUSY_NOTE.

- pinfold: $("$PINFOLD" -V 2>&1 | head -1) ($PINFOLD)
- $(haproxy -v 2>&1 | head -1 | cut -d' ' -f1-3), nbthread 1, http mode, http-reuse safe
- $(nginx -v 2>&1 | sed 's/^nginx version: //'), 1 worker, as backend
- $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)

| target | req/s (median) | rounds | vs direct | non-2xx + socket errors | other processes (max % of a CPU) | median of undisturbed rounds |
|---|---:|---|---:|---:|---:|---:|
| nginx direct | $D | ${RPS[direct]# } | 1.00 | ${ERRS[direct]} | ${OTHER[direct]:-0} | $CD |
| pinfold | $P | ${RPS[pinfold]# } | $(ratio "$P" "$D") | ${ERRS[pinfold]} | ${OTHER[pinfold]:-0} | $CP |
| HAProxy 2.6 | $H | ${RPS[haproxy]# } | $(ratio "$H" "$D") | ${ERRS[haproxy]} | ${OTHER[haproxy]:-0} | $CH |

A round is "undisturbed" when processes outside the benchmark used at most 10% of a CPU
during it (all user+system time in /proc/stat minus nginx, pinfold, haproxy and wrk).
Undisturbed ratio pinfold/haproxy: $(ratio "${CP/-/0}" "${CH/-/0}").

| measure | pinfold | HAProxy | aim (issue 2) |
|---|---|---|---|
| throughput ratio pinfold/haproxy | $(ratio "$P" "$H") | 1.00 | >= 1.0 ($(verdict "$(ratio "$P" "$H") >= 1.0")) |
| throughput ratio pinfold/direct | $(ratio "$P" "$D") | $(ratio "$H" "$D") | |
| idle RSS (VmRSS) | $(kib "$PF_RSS_IDLE") | $(kib "$HA_RSS_IDLE") | <= 1 MiB ($(verdict "${PF_RSS_IDLE:-99999} <= 1024")) |
| idle private memory (RssAnon) | $(kib "$PF_ANON_IDLE") | $(kib "$HA_ANON_IDLE") | |
| RSS after the runs | $(kib "$PF_RSS_LOAD") | $(kib "$HA_RSS_LOAD") | |
| stripped binary | $SIZE_KIB KiB ($SIZE bytes) | | <= 100 KiB ($(verdict "$SIZE <= 102400")) |
EOF
)

echo "$REPORT"
if [ "${BENCH_NO_SAVE:-0}" != "1" ]; then
	mkdir -p "$HERE/results"
	echo "$REPORT" > "$HERE/results/latest.md"
	echo "bench: written to $HERE/results/latest.md" >&2
fi

# TLS figures (handshakes/s, bulk MB/s, memory per TLS connection): tls.sh, unless BENCH_TLS=0.
# The proxies above are stopped first so the TLS runs have the CPUs to themselves.
if [ "${BENCH_TLS:-1}" != "0" ] && "$PINFOLD" -V 2>/dev/null | grep -q '^TLS backend: mbedTLS'; then
	cleanup
	PIDS=()
	PINFOLD="$PINFOLD" "$HERE/tls.sh" || { rc=$?; [ "$rc" -eq 77 ] || exit "$rc"; }
fi
exit 0
