#!/bin/bash
# test/bench/run.sh - plaintext HTTP figures: pinfold vs HAProxy 2.6 vs nginx as a proxy vs
# the backend direct, all from Debian, on this machine, loopback only.
#
# nginx (1 worker) serves fixed 1 KiB and 64 KiB files on 127.0.0.1 (the backend);
# pinfold, HAProxy (nbthread 1, http mode, keep-alive to the backend) and a second nginx
# (1 worker, proxy_pass with a keep-alive upstream) sit in front of it.  Each proxy is pinned
# to CPU 0; the backend and every client to CPU 1.  "direct" is a third nginx serving the
# same files, pinned as the proxies are (CPU 0 to itself, its clients on CPU 1): the
# baseline gets the placement the proxies get, not a CPU shared with its clients.
# Measured:
#   * req/s (wrk -t 1, keep-alive) for each response size x connection count, and once with
#     a new connection per request (`Connection: close`);
#   * CPU-seconds per 10,000 requests of the target itself (utime+stime from /proc/PID/stat
#     over the run: the proxy process, or the backend's processes for "direct");
#   * p50/p99 latency at a fixed rate below saturation (test/bench/fixedrate.c, built here):
#     half of pinfold's 1 KiB / 50-connection rate, on BENCH_LAT_CONNS connections;
#     "added p99" is a proxy's p99 minus the direct p99;
#   * idle RSS, and RSS with BENCH_IDLE_CONNS idle keep-alive connections (one request each,
#     test/bench/idleconns.py) -> bytes per connection.
# Every scenario runs BENCH_ROUNDS rounds; each round runs all targets, the order reversed
# every other round (direct, pinfold, haproxy, nginx, then nginx, haproxy, ...); the report
# gives medians.  CPU time other processes used during each run is recorded: a busy machine
# is marked in the report.
#
# Environment:
#   PINFOLD             binary to measure (default <repo>/build/pinfold)
#   BENCH_QUICK=1       smoke: 1 round of 2 s, 50 connections only (sizes 1k and 64k)
#   BENCH_DURATION      seconds per wrk run (default 10)
#   BENCH_ROUNDS        rounds (default 3)
#   BENCH_SIZES         response sizes (default "1k 64k")
#   BENCH_CONNS_LIST    keep-alive connection counts (default "1 50 500")
#   BENCH_CLOSE_CONNS   connections of the connection-per-request run (default 50; 0 skips)
#   BENCH_LAT_DURATION  seconds per fixed-rate latency run (default BENCH_DURATION)
#   BENCH_LAT_CONNS     connections of the fixed-rate client (default 50)
#   BENCH_IDLE_CONNS    idle keep-alive connections for the memory figure (default 1000)
#   BENCH_OUT           where plain.md, plain.kv and plain.dat go (default
#                       test/bench/results, test/bench/results/quick with BENCH_QUICK=1)
#   BENCH_NO_SAVE=1     print the report only
# The whole suite (this, tls.sh, size.sh, one report and a plot) is test/bench/all.sh.
# Exit: 0 done, 1 something did not work, 77 a tool is missing (nothing is installed here).
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PINFOLD=${PINFOLD:-$REPO/build/pinfold}
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	DURATION=${BENCH_DURATION:-2}; ROUNDS=${BENCH_ROUNDS:-1}
	CONNS_LIST=${BENCH_CONNS_LIST:-50}
	OUT=${BENCH_OUT:-$HERE/results/quick}
else
	DURATION=${BENCH_DURATION:-10}; ROUNDS=${BENCH_ROUNDS:-3}
	CONNS_LIST=${BENCH_CONNS_LIST:-1 50 500}
	OUT=${BENCH_OUT:-$HERE/results}
fi
SIZES=${BENCH_SIZES:-1k 64k}
CLOSE_CONNS=${BENCH_CLOSE_CONNS:-50}
LAT_DURATION=${BENCH_LAT_DURATION:-$DURATION}
LAT_CONNS=${BENCH_LAT_CONNS:-50}
IDLE_CONNS=${BENCH_IDLE_CONNS:-1000}
HOST=127.0.0.1
PY=/usr/bin/python3

die() { echo "bench: $*" >&2; exit 1; }

# ---- tools --------------------------------------------------------------------------
missing=()
for t in wrk haproxy nginx curl taskset cc; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench: missing: ${missing[*]}" >&2
	echo "bench: install with: apt-get install -y wrk haproxy nginx-light curl util-linux build-essential" >&2
	exit 77
fi
[ -x "$PINFOLD" ] || die "no pinfold binary at $PINFOLD (build it, or set PINFOLD=)"
for v in "$DURATION" "$ROUNDS" "$CLOSE_CONNS" "$LAT_DURATION" "$LAT_CONNS" "$IDLE_CONNS" $CONNS_LIST; do
	case "$v" in '' | *[!0-9]*) die "BENCH_* counts must be numbers (got '$v')" ;; esac
done
[ "$DURATION" -ge 1 ] && [ "$ROUNDS" -ge 1 ] && [ "$LAT_DURATION" -ge 1 ] || die "durations and rounds must be >= 1"
for s in $SIZES; do
	case "$s" in [0-9]*k) ;; *) die "BENCH_SIZES: sizes like 1k 64k (got '$s')" ;; esac
done
# 500 client connections + as many to the backend + the idle-connection test: lift the
# descriptor limit (children inherit it) as far as the hard limit allows.
want_fds=$((IDLE_CONNS * 2 + 2048))
[ "$(ulimit -n)" -ge "$want_fds" ] || ulimit -n "$(( $(ulimit -Hn) < want_fds ? $(ulimit -Hn) : want_fds ))" 2>/dev/null
[ "$(ulimit -n)" -ge $((IDLE_CONNS + 64)) ] || die "ulimit -n $(ulimit -n) is too small for $IDLE_CONNS connections"

if [ "$(nproc)" -ge 2 ]; then
	PIN_PROXY="taskset -c 0"
	PIN_LOAD="taskset -c 1"
	PINNING="proxy (or, for direct, its own nginx) on CPU 0, nginx backend + clients on CPU 1"
else
	PIN_PROXY=""
	PIN_LOAD=""
	PINNING="not pinned (only $(nproc) CPU)"
	echo "bench: warning: fewer than 2 CPUs, running unpinned" >&2
fi

# ---- is anything else using the CPUs? (numbers from a busy machine are not comparable)
cpu_busy_pct() { # percent of all CPU time not idle over one second
	local a b
	read -r -a a <<<"$(awk '/^cpu / {print $2+$3+$4+$6+$7+$8, $5}' /proc/stat)"; sleep 1
	read -r -a b <<<"$(awk '/^cpu / {print $2+$3+$4+$6+$7+$8, $5}' /proc/stat)"
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
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
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

# memory of a set of processes (nginx: master + worker), KiB
status_kib() { # key pid...
	local k=$1 p; shift
	for p in "$@"; do cat "/proc/$p/status" 2>/dev/null; done | awk -v k="$k:" '$1 == k { s += $2; n++ } END { if (n) print s; else print "?" }'
}
children() { cat "/proc/$1/task/$1/children" 2>/dev/null; }

# ---- the fixed-rate client ----------------------------------------------------------------
cc -O2 -o "$WORK/fixedrate" "$HERE/fixedrate.c" || die "cannot build fixedrate.c"

# ---- nginx: the backend -------------------------------------------------------------------
NGX_PORT=$(free_port); PF_PORT=$(free_port); HA_PORT=$(free_port); NP_PORT=$(free_port)
DIR_PORT=$(free_port)
mkdir -p "$WORK/nginx/www" "$WORK/nginx/tmp" "$WORK/nginx/logs"
# 1k.bin always: the latency, memory and connection-per-request runs use it
for s in 1k $SIZES; do
	[ -f "$WORK/nginx/www/$s.bin" ] || head -c $(( ${s%k} * 1024 )) /dev/urandom > "$WORK/nginx/www/$s.bin"
done
NGX_USER=""
[ "$(id -u)" -eq 0 ] && NGX_USER="user root root;"
nginx_conf() { # dir server-block: an nginx with one worker, its files under dir
	mkdir -p "$1/tmp" "$1/logs"
	cat <<EOF
$NGX_USER
daemon off;
worker_processes 1;
worker_rlimit_nofile 8192;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $1/tmp/body;
    proxy_temp_path $1/tmp/proxy;
    fastcgi_temp_path $1/tmp/fastcgi;
    uwsgi_temp_path $1/tmp/uwsgi;
    scgi_temp_path $1/tmp/scgi;
    default_type application/octet-stream;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
$2
}
EOF
}
nginx_conf "$WORK/nginx" "    server { listen $HOST:$NGX_PORT; root $WORK/nginx/www; }" >"$WORK/nginx/nginx.conf"
# Each server has a start function: the memory figures restart them (see below).
start_nginx() { # dir port pin what -> its pid in NGINX_PID
	$3 nginx -p "$1" -c "$1/nginx.conf" -e "$1/logs/error.log" </dev/null >"$1/logs/stdout" 2>&1 &
	NGINX_PID=$!; PIDS+=("$NGINX_PID")
	wait_port "$2" "$NGINX_PID" || die "$4 did not start: $(tail -5 "$1/logs/error.log")"
}
start_backend() { start_nginx "$WORK/nginx" "$NGX_PORT" "$PIN_LOAD" nginx; NGX_PID=$NGINX_PID; }
start_backend
# "direct": the same files from an nginx placed as the proxies are
mkdir -p "$WORK/direct"
nginx_conf "$WORK/direct" "    server { listen $HOST:$DIR_PORT; root $WORK/nginx/www; }" >"$WORK/direct/nginx.conf"
start_direct() { start_nginx "$WORK/direct" "$DIR_PORT" "$PIN_PROXY" "nginx (direct)"; DIR_PID=$NGINX_PID; }
start_direct

# ---- pinfold ----------------------------------------------------------------------------------
cat > "$WORK/pinfold.cfg" <<EOF
LogLevel 0
Client 120
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
start_pinfold() {
	$PIN_PROXY "$PINFOLD" -F -e -f "$WORK/pinfold.cfg" </dev/null >"$WORK/pinfold.out" 2>&1 &
	PF_PID=$!; PIDS+=("$PF_PID")
	wait_port "$PF_PORT" "$PF_PID" || die "pinfold did not start: $(tail -5 "$WORK/pinfold.out")"
}
start_pinfold

# ---- haproxy ------------------------------------------------------------------------------------
cat > "$WORK/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 8192
defaults
    mode http
    option http-keep-alive
    http-reuse safe
    timeout connect 5s
    timeout client 120s
    timeout server 60s
frontend fe
    bind $HOST:$HA_PORT
    default_backend be
backend be
    server nginx $HOST:$NGX_PORT
EOF
start_haproxy() {
	$PIN_PROXY haproxy -db -f "$WORK/haproxy.cfg" </dev/null >"$WORK/haproxy.out" 2>&1 &
	HA_PID=$!; PIDS+=("$HA_PID")
	wait_port "$HA_PORT" "$HA_PID" || die "haproxy did not start: $(tail -5 "$WORK/haproxy.out")"
}
start_haproxy

# ---- nginx as a proxy: 1 worker, HTTP/1.1 keep-alive upstream, buffers that hold 64 KiB ----
mkdir -p "$WORK/nproxy"
nginx_conf "$WORK/nproxy" "    upstream be { server $HOST:$NGX_PORT; keepalive 64; }
    server {
        listen $HOST:$NP_PORT;
        keepalive_timeout 120s;
        location / {
            proxy_pass http://be;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_buffer_size 16k;
            proxy_buffers 8 16k;
            proxy_max_temp_file_size 0;
        }
    }" >"$WORK/nproxy/nginx.conf"
start_nproxy() { start_nginx "$WORK/nproxy" "$NP_PORT" "$PIN_PROXY" "nginx (proxy)"; NP_PID=$NGINX_PID; }
start_nproxy

# the processes that do a target's work (and whose CPU time is its cost)
target_pids() {
	case $1 in
	direct) echo "$DIR_PID $(children "$DIR_PID")" ;;
	pinfold) echo "$PF_PID" ;;
	haproxy) echo "$HA_PID" ;;
	nginx) echo "$NP_PID $(children "$NP_PID")" ;;
	esac
}
# target_pids prints a list of PIDs, meant to be split
# shellcheck disable=SC2046
target_status() { status_kib "$1" $(target_pids "$2"); }
# shellcheck disable=SC2046
target_ticks() { ticks_of $(target_pids "$1"); }
declare -A PORT=([direct]=$DIR_PORT [pinfold]=$PF_PORT [haproxy]=$HA_PORT [nginx]=$NP_PORT)
TARGETS=(direct pinfold haproxy nginx)

# ---- sanity: every target serves every file, byte for byte ------------------------------------------
for t in "${TARGETS[@]}"; do
	for s in $SIZES; do
		curl -sS --noproxy '*' --max-time 5 -o "$WORK/check.bin" "http://$HOST:${PORT[$t]}/$s.bin" \
			|| die "GET /$s.bin through $t failed"
		cmp -s "$WORK/check.bin" "$WORK/nginx/www/$s.bin" || die "$t served a different /$s.bin"
	done
done
sleep 0.5
declare -A RSS_IDLE ANON_IDLE
for t in "${TARGETS[@]}"; do
	RSS_IDLE[$t]=$(target_status VmRSS "$t")
	ANON_IDLE[$t]=$(target_status RssAnon "$t")
done

# ---- the runs ------------------------------------------------------------------------------------------
# CPU time used by anything that is not part of this benchmark (compilers, fuzzers, ... of
# other people on a shared machine), so a disturbed round shows up in the report:
# all user+system time (/proc/stat) minus that of the servers and the client.
TICK=$(getconf CLK_TCK)
total_ticks() { awk '/^cpu / {print $2 + $3 + $4}' /proc/stat; }
ticks_of() { # pid... -> summed utime+stime
	local p
	for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null; done | awk '{
		i = index($0, ") "); split(substr($0, i + 2), f, " "); t += f[12] + f[13]
	} END { printf "%d\n", t }'
}
ours_ticks() {
	# shellcheck disable=SC2046
	ticks_of "$NGX_PID" $(children "$NGX_PID") $(target_pids direct) $(target_pids pinfold) \
		$(target_pids haproxy) $(target_pids nginx)
}
median() {
	tr ' ' '\n' | awk 'NF && $1 != "-"' | sort -g | awk '{v[NR]=$1} END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'
}
# key=value results, for all.sh's report and plot
declare -A KV
kv() { KV[$1]=$2; }

declare -A RPS CPU ERRS OTHER
run_wrk() { # scenario target size conns close(0/1) secs
	local sc=$1 t=$2 size=$3 conns=$4 close=$5 secs=$6 out rps reqs non2xx sockerr a0 o0 c0 a1 o1 c1 wrk_s other cpu w0 w1
	local hdr=()
	[ "$close" = 1 ] && hdr=(-H "Connection: close")
	w0=$(date +%s.%N); a0=$(total_ticks); o0=$(ours_ticks); c0=$(target_ticks "$t")
	# `times` in the subshell reports the CPU time of its children: wrk's
	out=$( (timeout $((secs + 30)) $PIN_LOAD wrk -c "$conns" -t 1 -d "${secs}s" "${hdr[@]}" \
		"http://$HOST:${PORT[$t]}/$size.bin" 2>&1 || echo "WRK-FAILED"; times) )
	a1=$(total_ticks); o1=$(ours_ticks); c1=$(target_ticks "$t"); w1=$(date +%s.%N)
	case "$out" in *WRK-FAILED*) die "wrk against $t ($sc) failed: $out";; esac
	wrk_s=$(tail -1 <<<"$out" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, m, /[ms]/); t += m[1] * 60 + m[2] } print t }')
	# per second of wall time (the readings above included, so the ticks fit in it)
	other=$(awk -v a=$((a1 - a0)) -v o=$((o1 - o0)) -v w="$wrk_s" -v hz="$TICK" -v s="$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')" \
		'BEGIN { v = 100 * ((a - o) / hz - w) / s; printf "%.0f", v < 0 ? 0 : v }')
	[ "$other" -gt "${OTHER[$sc]:-0}" ] && OTHER[$sc]=$other
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	reqs=$(awk '/requests in/ {print $1}' <<<"$out")
	[ -n "$rps" ] && [ -n "$reqs" ] || die "no Requests/sec from wrk against $t: $out"
	cpu=$(awk -v c=$((c1 - c0)) -v hz="$TICK" -v n="$reqs" 'BEGIN { if (n > 0) printf "%.4f", c / hz / n * 10000; else print "-" }')
	non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
	sockerr=$(awk -F'[ ,]+' '/Socket errors:/ {print $4+$6+$8+$10}' <<<"$out")
	RPS[$sc/$t]="${RPS[$sc/$t]:-} $rps"
	CPU[$sc/$t]="${CPU[$sc/$t]:-} $cpu"
	ERRS[$sc/$t]=$(( ${ERRS[$sc/$t]:-0} + ${non2xx:-0} + ${sockerr:-0} ))
	echo "bench: $sc $t: $rps req/s, $cpu CPU-s per 10k (non-2xx ${non2xx:-0}," \
		"socket errors ${sockerr:-0}, other processes: ${other}% of a CPU)" >&2
}

# scenario list: name size conns close label
SCEN=()
for s in $SIZES; do
	for c in $CONNS_LIST; do
		[ "$c" -ge 1 ] && SCEN+=("ka-$s-$c $s $c 0 ${s%k}_KiB,_${c}_conns")
	done
done
[ "$CLOSE_CONNS" -ge 1 ] && SCEN+=("close-1k-$CLOSE_CONNS 1k $CLOSE_CONNS 1 1_KiB,_new_conn_per_req")
HEADLINE=ka-1k-50
case " ${SCEN[*]} " in *" ka-1k-50 "*) ;; *) HEADLINE=${SCEN[0]%% *} ;; esac

echo "bench: warm-up" >&2
for t in "${TARGETS[@]}"; do
	timeout 20 $PIN_LOAD wrk -c 50 -t 1 -d 1s "http://$HOST:${PORT[$t]}/1k.bin" >/dev/null 2>&1
done
for sc in "${SCEN[@]}"; do
	read -r name size conns close _ <<<"$sc"
	for r in $(seq "$ROUNDS"); do
		# alternate the order each round so drift does not favour one target
		if [ $((r % 2)) -eq 1 ]; then order=(0 1 2 3); else order=(3 2 1 0); fi
		for i in "${order[@]}"; do
			run_wrk "$name" "${TARGETS[$i]}" "$size" "$conns" "$close" "$DURATION"
		done
	done
done

# ---- latency at a fixed rate: half of pinfold's saturation rate ------------------------------------------
LAT_RATE=$(awk -v r="$(median <<<"${RPS[$HEADLINE/pinfold]}")" 'BEGIN { printf "%d", r / 2 }')
declare -A P50 P99 LFAIL
if [ "$LAT_RATE" -ge 1 ]; then
	for r in $(seq "$ROUNDS"); do
		if [ $((r % 2)) -eq 1 ]; then order=(0 1 2 3); else order=(3 2 1 0); fi
		for i in "${order[@]}"; do
			t=${TARGETS[$i]}
			out=$(timeout $((LAT_DURATION + 30)) $PIN_LOAD "$WORK/fixedrate" -a "$HOST" -p "${PORT[$t]}" \
				-u /1k.bin -r "$LAT_RATE" -c "$LAT_CONNS" -d "$LAT_DURATION") ||
				echo "bench: warning: fixed-rate run against $t incomplete: $out" >&2
			p50=$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<<"$out")
			p99=$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$out")
			fail=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$out")
			P50[$t]="${P50[$t]:-} ${p50:--}"; P99[$t]="${P99[$t]:-} ${p99:--}"
			LFAIL[$t]=$(( ${LFAIL[$t]:-0} + ${fail:-0} ))
			echo "bench: latency $t at $LAT_RATE req/s: p50 ${p50:-?} us, p99 ${p99:-?} us (failed ${fail:-?})" >&2
		done
	done
fi

# ---- memory per idle keep-alive connection ------------------------------------------------------------------
# On fresh processes: a server the load rounds grew keeps that memory (malloc arenas, nginx's
# connection pools), and 1,000 new connections would fit in it for free.  So every target is
# stopped and started again first (the backend first: the proxies connect to it).
for t in pinfold haproxy nginx; do
	kill -0 "$(target_pids "$t" | cut -d' ' -f1)" 2>/dev/null || die "$t died during the runs"
done
stop_one() { # pid: TERM, bounded wait, KILL
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
for p in "$NP_PID" "$HA_PID" "$PF_PID" "$DIR_PID" "$NGX_PID"; do stop_one "$p"; done
start_backend; start_direct; start_pinfold; start_haproxy; start_nproxy
sleep 0.5
declare -A MEM
for t in "${TARGETS[@]}"; do
	pids=$(target_pids "$t")
	MEM[$t]=$(timeout 120 $PIN_LOAD $PY "$HERE/idleconns.py" --port "${PORT[$t]}" --pids "${pids// /,}" \
		-n "$IDLE_CONNS" --path /1k.bin) || { echo "bench: warning: idle connections to $t failed" >&2; MEM[$t]="? ? ? ? 0"; }
	echo "bench: $IDLE_CONNS idle connections to $t: ${MEM[$t]} (rss0 rss1 anon0 anon1 answered)" >&2
done
for t in pinfold haproxy nginx; do
	kill -0 "$(target_pids "$t" | cut -d' ' -f1)" 2>/dev/null || die "$t died during the idle-connection test"
done

# ---- report ------------------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
fmt() { awk -v v="$1" -v d="${2:-0}" 'BEGIN { if (v ~ /^-?[0-9.]+$/) printf "%.*f", d, v; else print v }'; }
per_conn() { # before after -> bytes per connection
	awk -v a="$1" -v b="$2" -v n="$IDLE_CONNS" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) printf "%.0f", (b - a) * 1024 / n; else print "?" }'
}

printf -v THR '| scenario | direct | pinfold | HAProxy | nginx proxy | pinfold / HAProxy | pinfold / nginx | other processes (max %% of a CPU) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n'
printf -v CPUT '| scenario | direct (backend) | pinfold | HAProxy | nginx proxy | pinfold / HAProxy |\n|---|---:|---:|---:|---:|---:|\n'
: >"$WORK/plain.dat"
echo "# scenario direct pinfold haproxy nginx (req/s, medians)" >>"$WORK/plain.dat"
kv other.max 0
for sc in "${SCEN[@]}"; do
	read -r name size conns close label <<<"$sc"
	label=${label//_/ }
	declare -A M=() C=()
	for t in "${TARGETS[@]}"; do
		M[$t]=$(median <<<"${RPS[$name/$t]}")
		C[$t]=$(median <<<"${CPU[$name/$t]}")
		kv "rps.$name.$t" "$(fmt "${M[$t]}")"
		kv "cpu10k.$name.$t" "${C[$t]}"
		kv "errors.$name.$t" "${ERRS[$name/$t]}"
	done
	kv "label.$name" "${label// /_}"
	kv "other.$name" "${OTHER[$name]:-0}"
	[ "${OTHER[$name]:-0}" -gt "${KV[other.max]:-0}" ] && kv other.max "${OTHER[$name]}"
	errs=""
	for t in "${TARGETS[@]}"; do [ "${ERRS[$name/$t]}" -gt 0 ] && errs="$errs $t: ${ERRS[$name/$t]} errors"; done
	cell() { echo "$(fmt "${M[$1]}") ($(ratio "${M[$1]}" "${M[direct]}"))"; }
	THR+="| $label${errs:+ (**$errs**)} | $(fmt "${M[direct]}") | $(cell pinfold) | $(cell haproxy) | $(cell nginx) | $(ratio "${M[pinfold]}" "${M[haproxy]}") | $(ratio "${M[pinfold]}" "${M[nginx]}") | ${OTHER[$name]:-0} |"$'\n'
	ccell() { echo "$(fmt "${C[$1]}" 3) ($(ratio "${C[$1]}" "${C[haproxy]}"))"; }
	CPUT+="| $label | $(fmt "${C[direct]}" 3) | $(ccell pinfold) | $(ccell haproxy) | $(ccell nginx) | $(ratio "${C[pinfold]}" "${C[haproxy]}") |"$'\n'
	printf '"%s" %s %s %s %s\n' "$label" "$(fmt "${M[direct]}")" "$(fmt "${M[pinfold]}")" \
		"$(fmt "${M[haproxy]}")" "$(fmt "${M[nginx]}")" >>"$WORK/plain.dat"
done
kv headline "$HEADLINE"

printf -v LAT '| target | p50 (us) | p99 (us) | added p99 vs direct (us) | failed requests |\n|---|---:|---:|---:|---:|\n'
DP99=$(median <<<"${P99[direct]:-}")
for t in "${TARGETS[@]}"; do
	p50=$(median <<<"${P50[$t]:-}"); p99=$(median <<<"${P99[$t]:-}")
	added=$(awk -v a="$p99" -v b="$DP99" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) printf "%.0f", a - b; else print "n/a" }')
	[ "$t" = direct ] && added="-"
	kv "lat.p50.$t" "$p50"; kv "lat.p99.$t" "$p99"; kv "lat.addedp99.$t" "$added"
	LAT+="| $t | $(fmt "$p50") | $(fmt "$p99") ($(ratio "$p99" "$DP99")) | $added | ${LFAIL[$t]:-n/a} |"$'\n'
done
kv lat.rate "$LAT_RATE"

# one number per cell: each quantity (VmRSS, RssAnon; idle, with the connections, per
# connection) has its own column
printf -v MEMT '| target | idle VmRSS (KiB) | idle RssAnon (KiB) | VmRSS with %d idle conns (KiB) | RssAnon with them (KiB) | VmRSS per conn (B) | RssAnon per conn (B) | answered |\n|---|---:|---:|---:|---:|---:|---:|---:|\n' "$IDLE_CONNS"
for t in "${TARGETS[@]}"; do
	read -r r0 r1 a0 a1 ok <<<"${MEM[$t]}"
	bpc=$(per_conn "$r0" "$r1"); bpca=$(per_conn "$a0" "$a1")
	name=$t; [ "$t" = direct ] && name="direct (nginx, placed as the proxies)"; [ "$t" = nginx ] && name="nginx proxy"
	MEMT+="| $name | ${RSS_IDLE[$t]} | ${ANON_IDLE[$t]} | $r1 | $a1 | $bpc | $bpca | $ok of $IDLE_CONNS |"$'\n'
	kv "rss.idle.$t" "${RSS_IDLE[$t]}"; kv "anon.idle.$t" "${ANON_IDLE[$t]}"
	kv "conn.bytes.$t" "$bpc"; kv "conn.anonbytes.$t" "$bpca"; kv "conn.answered.$t" "$ok"
done
kv idle.conns "$IDLE_CONNS"
kv busy "$BUSY"
kv pinfold.version "$("$PINFOLD" -V 2>&1 | head -1 | tr ' ' '_')"
kv pinfold.tls "$("$PINFOLD" -V 2>&1 | sed -n 's/^TLS backend: //p' | tr ' ' '_')"

REPORT=$(cat <<EOF
## Plain HTTP

$(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)),
loopback, wrk -t 1 -d ${DURATION}s, $ROUNDS round(s) per scenario with the target order alternating, medians;
$PINNING.
$BUSY_NOTE.

- pinfold: $("$PINFOLD" -V 2>&1 | head -1), TLS backend $("$PINFOLD" -V 2>&1 | sed -n 's/^TLS backend: //p') ($PINFOLD)
- $(haproxy -v 2>&1 | head -1 | cut -d' ' -f1-3), nbthread 1, http mode, http-reuse safe
- $(nginx -v 2>&1 | sed 's/^nginx version: //'), 1 worker: the backend ("direct"), and as a proxy
  (proxy_pass, HTTP/1.1 upstream keep-alive, 8 x 16 KiB buffers)
- $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); fixed-rate latency: test/bench/fixedrate.c

### Requests per second (ratio to direct in brackets)

$THR
"other processes" is the most CPU time anything outside the benchmark used during one
run of the scenario (all user+system time in /proc/stat minus the servers and wrk); above
10% the figures of that scenario are disturbed.

### CPU-seconds per 10,000 requests (ratio to HAProxy in brackets)

The target's own user+system time over the run (/proc/PID/stat), divided by the requests
wrk completed; for "direct" the backend nginx's.

$CPUT
### Latency at a fixed rate

$LAT_RATE req/s (half of pinfold's rate in "$(tr _ ' ' <<<"${KV[label.$HEADLINE]:-$HEADLINE}")"), 1 KiB, $LAT_CONNS keep-alive connections, ${LAT_DURATION}s,
medians of $ROUNDS round(s); latency from each request's scheduled send time (a stalled
server is charged for every request it delays).  p99 ratio to direct in brackets.

$LAT
### Memory per idle keep-alive connection

$IDLE_CONNS connections, one 1 KiB GET each, then held open and idle (test/bench/idleconns.py);
bytes per connection = (RSS with them - RSS before) / $IDLE_CONNS, on freshly started servers.  nginx allocates its
connection table (worker_connections) up front, so little of its per-connection cost shows here.

$MEMT
EOF
)

echo "$REPORT"
if [ "${BENCH_NO_SAVE:-0}" != "1" ]; then
	mkdir -p "$OUT"
	echo "$REPORT" >"$OUT/plain.md"
	cp "$WORK/plain.dat" "$OUT/plain.dat"
	for k in "${!KV[@]}"; do echo "$k=${KV[$k]}"; done | sort >"$OUT/plain.kv"
	echo "bench: written to $OUT/plain.md, plain.kv, plain.dat" >&2
fi
exit 0
