#!/bin/bash
# test/bench/tls.sh - TLS figures: pinfold vs its own mbedTLS driven directly vs HAProxy
# (OpenSSL), all on this machine, loopback, an ECDSA P-256 and an RSA-2048 certificate.
#
#   * full handshakes/s, for each certificate: a new TLS connection each time (openssl s_time
#     -new, BENCH_TLS_CLIENTS of them in parallel on CPU 1; the server on CPU 0), handshake
#     only and handshake + one 1 KiB GET; TLS 1.2, and TLS 1.3 where the server has it.  No
#     session resumption.
#   * bulk MB/s over one TLS connection (curl downloading BENCH_TLS_BULK_MIB MiB), P-256;
#   * memory per established TLS connection: pinfold's and HAProxy's RSS (and private RssAnon)
#     before and after BENCH_TLS_CONNS idle keep-alive TLS connections (one GET each,
#     test/bench/idleconns.py), divided by their number; and pinfold's idle RSS with its two
#     certificates loaded.
# "mbedTLS direct" is test/bench/mbedtls_hs_server.c, compiled here against the same
# mbedTLS the pinfold binary was built with (read from the CMakeCache.txt beside it), with
# X25519/P-256/P-384 preferred; "mbedTLS direct (library default groups)" shows what the
# library's own group order costs.
#
# Environment:
#   PINFOLD              binary (default <repo>/build/pinfold)
#   BENCH_QUICK=1        smoke: 2 s per handshake run, 64 MiB bulk, one bulk try
#   BENCH_TLS_DURATION   seconds per handshake run (default 5)
#   BENCH_TLS_CLIENTS    parallel s_time clients (default 3)
#   BENCH_TLS_BULK_MIB   MiB per bulk download (default 256)
#   BENCH_TLS_CONNS      idle TLS connections for the memory figure (default 1000)
#   BENCH_OUT            where tls-mbedtls-MAJOR.MINOR.md and .kv go (default
#                        test/bench/results, test/bench/results/quick with BENCH_QUICK=1)
#   BENCH_NO_SAVE=1      print the report only
#   BENCH_KEEP=1         keep the scratch directory (logs of every server)
#   BENCH_TLS_SIDE=0     skip the side-by-side part (below)
#   BENCH_TLS_PINFOLDS   binaries for it (default: build/, build-tls36/, build-openssl/ that exist)
#   BENCH_TLS_ROUNDS     rounds per side-by-side figure, the median is reported (default 5, quick 3)
#   BENCH_SAVE_DISTURBED=1  save side-by-side figures of a busy machine with the clean ones
#                        (by default they go to <out>/disturbed/)
# Then, side by side: pinfold on each TLS backend (mbedTLS 2.28, 3.6, OpenSSL) and HAProxy,
# the same P-256 certificate and client: full and resumed (s_time -reuse: session tickets)
# handshakes, TLS 1.2 handshake only and TLS 1.3 with one 1 KiB GET (a TLS 1.3 server sends
# its tickets after the handshake), each the median of BENCH_TLS_ROUNDS rounds, per wall
# second and per server CPU-second; and memory per idle keep-alive TLS connection for each.
# A round in which other processes kept more than 10% of the machine busy is counted as
# disturbed, and a table with any such round says so.
# Exit: 0 done, 1 something did not work, 77 a tool is missing.
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PINFOLD=${PINFOLD:-$REPO/build/pinfold}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	DUR=${BENCH_TLS_DURATION:-2}; BULK_MIB=${BENCH_TLS_BULK_MIB:-64}; BULK_TRIES=1
	OUT=${BENCH_OUT:-$HERE/results/quick}
else
	DUR=${BENCH_TLS_DURATION:-5}; BULK_MIB=${BENCH_TLS_BULK_MIB:-256}; BULK_TRIES=2
	OUT=${BENCH_OUT:-$HERE/results}
fi
NCLI=${BENCH_TLS_CLIENTS:-3}
NCONNS=${BENCH_TLS_CONNS:-1000}
HOST=127.0.0.1
PY=/usr/bin/python3

die() { echo "bench-tls: $*" >&2; exit 1; }

missing=()
for t in openssl haproxy nginx curl taskset cc; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench-tls: missing: ${missing[*]} (apt-get install openssl haproxy nginx-light curl util-linux build-essential)" >&2
	exit 77
fi
[ -x "$PINFOLD" ] || die "no pinfold binary at $PINFOLD (build it, or set PINFOLD=)"
"$PINFOLD" -V | grep -q '^TLS backend: mbedTLS' || { echo "bench-tls: $PINFOLD has no TLS" >&2; exit 77; }
case "$DUR$NCLI$BULK_MIB$NCONNS" in *[!0-9]*) die "BENCH_TLS_* values must be numbers";; esac
[ "$(ulimit -n)" -ge $((NCONNS * 2 + 1024)) ] || ulimit -n $((NCONNS * 2 + 1024)) 2>/dev/null ||
	ulimit -n "$(ulimit -Hn)"

if [ "$(nproc)" -ge 2 ]; then
	PIN_SRV="taskset -c 0"; PIN_CLI="taskset -c 1"; PINNING="server on CPU 0, clients and nginx on CPU 1"
else
	PIN_SRV=""; PIN_CLI=""; PINNING="not pinned (1 CPU)"
fi

# Numbers from a busy machine are not comparable: say so in the report.
cpu_busy_pct() {
	local a b
	read -r -a a <<<"$(awk '/^cpu / {print $2+$3+$4+$6+$7+$8, $5}' /proc/stat)"; sleep 1
	read -r -a b <<<"$(awk '/^cpu / {print $2+$3+$4+$6+$7+$8, $5}' /proc/stat)"
	awk -v u=$((b[0] - a[0])) -v i=$((b[1] - a[1])) 'BEGIN { if (u + i > 0) printf "%.0f", 100 * u / (u + i); else print 0 }'
}
BUSY=$(cpu_busy_pct)
BUSY_NOTE="machine idle before the run (${BUSY}% CPU busy)"
if [ "$BUSY" -gt 10 ]; then
	BUSY_NOTE="**warning: ${BUSY}% of the CPUs were busy with other work before the run; compare the per-CPU-second figures, not the wall rates**"
	echo "bench-tls: warning: ${BUSY}% CPU busy before starting" >&2
fi

WORK=$(mktemp -d /tmp/pinfold-bench-tls.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-tls: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # port pid
	local i
	for i in $(seq 100); do
		kill -0 "$2" 2>/dev/null || return 1
		if (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	return 1
}
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo "?"; }

# ---- certificates: ECDSA P-256 and RSA-2048 from a throwaway CA -----------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ca.key" 2>/dev/null
openssl req -x509 -new -key "$WORK/ca.key" -subj "/CN=bench CA" -days 2 -out "$WORK/ca.crt" 2>/dev/null
mkcert() { # name genpkey-options... -> $WORK/name.pem (chain and key)
	local n=$1 usage=digitalSignature
	shift
	[ "$n" = rsa ] && usage=digitalSignature,keyEncipherment
	openssl genpkey "$@" -out "$WORK/$n.key" 2>/dev/null
	openssl req -new -key "$WORK/$n.key" -subj "/CN=bench.test" -out "$WORK/$n.csr" 2>/dev/null
	printf 'subjectAltName=DNS:bench.test\nkeyUsage=critical,%s\nextendedKeyUsage=serverAuth\n' "$usage" >"$WORK/$n.ext"
	openssl x509 -req -in "$WORK/$n.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
		-days 2 -extfile "$WORK/$n.ext" -out "$WORK/$n.crt" 2>/dev/null || die "cannot make the $n certificate"
	cat "$WORK/$n.crt" "$WORK/$n.key" >"$WORK/$n.pem"
}
mkcert p256 -algorithm EC -pkeyopt ec_paramgen_curve:P-256
mkcert rsa -algorithm RSA -pkeyopt rsa_keygen_bits:2048

# ---- the raw mbedTLS server, against pinfold's own mbedTLS -----------------------------------
CACHE=$(dirname "$PINFOLD")/CMakeCache.txt
cache_get() { sed -n "s/^$1:[A-Z]*=//p" "$CACHE" 2>/dev/null | head -n1; }
MB_INC=$(cache_get MBEDTLS_INCLUDE_DIR)
MB_LIBS="$(cache_get MBEDTLS_LIBRARY) $(cache_get MBEDX509_LIBRARY) $(cache_get MBEDCRYPTO_LIBRARY)"
if [ -n "$MB_INC" ] && [ -n "${MB_LIBS// /}" ]; then
	# shellcheck disable=SC2086
	cc -O2 -o "$WORK/mbedtls_hs_server" -isystem "$MB_INC" "$HERE/mbedtls_hs_server.c" $MB_LIBS \
		|| die "cannot build mbedtls_hs_server against $MB_INC"
else
	cc -O2 -o "$WORK/mbedtls_hs_server" "$HERE/mbedtls_hs_server.c" -lmbedtls -lmbedx509 -lmbedcrypto \
		|| die "cannot build mbedtls_hs_server against the system mbedTLS"
	MB_INC="system"
fi
LIBVER=$("$PINFOLD" -V | sed -n 's/^TLS backend: //p')

# ---- nginx: the plain backend (1 KiB and a big file) --------------------------------------------
NGX_PORT=$(free_port)
mkdir -p "$WORK/nginx/www" "$WORK/nginx/tmp" "$WORK/nginx/logs"
head -c 1024 /dev/urandom >"$WORK/nginx/www/1k.bin"
head -c $((BULK_MIB << 20)) /dev/zero >"$WORK/nginx/www/big.bin"
NGX_USER=""; [ "$(id -u)" -eq 0 ] && NGX_USER="user root root;"
cat >"$WORK/nginx/nginx.conf" <<EOF
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
    keepalive_requests 100000000;
    server { listen $HOST:$NGX_PORT; root $WORK/nginx/www; }
}
EOF
$PIN_CLI nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" \
	</dev/null >"$WORK/nginx/logs/stdout" 2>&1 &
NGX_PID=$!; PIDS+=("$NGX_PID")
wait_port "$NGX_PORT" "$NGX_PID" || die "nginx did not start"

# ---- the servers ------------------------------------------------------------------------------------
PF_PORT=$(free_port); HA_PORT=$(free_port); RAW_PORT=$(free_port); RAWD_PORT=$(free_port)
PF_RSA_PORT=$(free_port); HA_RSA_PORT=$(free_port); RAW_RSA_PORT=$(free_port)
listener() { # port pem
	cat <<EOF
ListenHTTPS
    Address $HOST
    Port $1
    Cert "$2"
    Service
        BackEnd
            Address $HOST
            Port $NGX_PORT
        End
    End
End
EOF
}
cat >"$WORK/pinfold.cfg" <<EOF
LogLevel ${BENCH_TLS_LOGLEVEL:-0}
Client 120
$(listener "$PF_PORT" "$WORK/p256.pem")
$(listener "$PF_RSA_PORT" "$WORK/rsa.pem")
EOF
start_pinfold() { # also again for the memory figures, on a fresh process
	$PIN_SRV "$PINFOLD" -F -e -f "$WORK/pinfold.cfg" </dev/null >"$WORK/pinfold.out" 2>&1 &
	PF_PID=$!; PIDS+=("$PF_PID")
	wait_port "$PF_PORT" "$PF_PID" || die "pinfold did not start: $(tail -5 "$WORK/pinfold.out")"
}
start_pinfold
sleep 0.3
PF_START_RSS=$(status_kib "$PF_PID" VmRSS); PF_START_ANON=$(status_kib "$PF_PID" RssAnon)

cat >"$WORK/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 8192
defaults
    mode http
    option http-keep-alive
    timeout connect 5s
    timeout client 120s
    timeout server 60s
frontend fe
    bind $HOST:$HA_PORT ssl crt $WORK/p256.pem
    default_backend be
frontend fersa
    bind $HOST:$HA_RSA_PORT ssl crt $WORK/rsa.pem
    default_backend be
backend be
    server nginx $HOST:$NGX_PORT
EOF
start_haproxy() {
	$PIN_SRV haproxy -db -f "$WORK/haproxy.cfg" </dev/null >"$WORK/haproxy.out" 2>&1 &
	HA_PID=$!; PIDS+=("$HA_PID")
	wait_port "$HA_PORT" "$HA_PID" || die "haproxy did not start: $(tail -5 "$WORK/haproxy.out")"
}
start_haproxy

# The raw servers answer every request with 1 KiB (handshake runs) or BULK (bulk run).
start_raw() { # port bytes groups [pem] -> pid in RAW_PID
	$PIN_SRV "$WORK/mbedtls_hs_server" -a "$HOST" -p "$1" -c "${4:-$WORK/p256.pem}" -b "$2" -g "$3" \
		</dev/null >"$WORK/raw-$1.out" 2>&1 &
	RAW_PID=$!; PIDS+=("$RAW_PID")
	wait_port "$1" "$RAW_PID" || die "mbedtls_hs_server did not start: $(cat "$WORK/raw-$1.out")"
}
start_raw "$RAW_PORT" 1024 modern; RAW_PID_M=$RAW_PID
start_raw "$RAWD_PORT" 1024 default; RAW_PID_D=$RAW_PID
start_raw "$RAW_RSA_PORT" 1024 modern "$WORK/rsa.pem"; RAW_PID_R=$RAW_PID

# what each server negotiates with a default OpenSSL client
negotiated() { # port flag
	timeout 10 openssl s_client -connect "$HOST:$1" $2 -servername bench.test </dev/null 2>/dev/null |
		awk '/^Server Temp Key:/ {sub(/^Server Temp Key: /, ""); k=$0} /^New, / {c=$2" "$NF} END {print c", "k}'
}

NEG_PF=$(negotiated "$PF_PORT" -tls1_2); NEG_RAW=$(negotiated "$RAW_PORT" -tls1_2)
NEG_RAWD=$(negotiated "$RAWD_PORT" -tls1_2); NEG_HA=$(negotiated "$HA_PORT" -tls1_2)

# ---- handshakes/s -----------------------------------------------------------------------------------
# Two figures per run: handshakes per wall-clock second (what the clients got), and per
# CPU-second of the server process (user+system time from /proc/PID/stat): the second is
# the server's own cost, fair also where the clients (one CPU) or the one-connection-at-a-
# time raw server cannot keep the server busy.
TICK=$(getconf CLK_TCK)
# One throwaway handshake before each run: s_time gives up at its first failed connection,
# and a server that was idle for a while may drop the first one (pinfold did: the first
# connection after more than `Client` seconds of silence was closed at once; see
# test_tls_basics.py test_first_connection_after_idle).  The run measures throughput.
poke() { timeout 10 openssl s_client -connect "$HOST:$1" -servername bench.test </dev/null >/dev/null 2>&1 || true; }
cpu_ticks() { awk '{ i = index($0, ") "); split(substr($0, i + 2), f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
hs_rate() { # port pid flag [www-path [-new|-reuse]] -> "wall-rate cpu-rate"
	local port=$1 pid=$2 flag=$3 www=${4:-} mode=${5:--new} i t0 t1 c0 c1 n args=() cli=()
	[ -n "$www" ] && args=(-www "$www")
	poke "$port"
	c0=$(cpu_ticks "$pid")
	t0=$(date +%s.%N)
	for i in $(seq "$NCLI"); do
		timeout $((DUR + 30)) $PIN_CLI openssl s_time -connect "$HOST:$port" "$mode" -time "$DUR" $flag \
			"${args[@]}" >"$WORK/stime.$i" 2>&1 &
		cli+=($!)
	done
	wait "${cli[@]}"
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$pid")
	n=$(cat "$WORK"/stime.* | awk '/connections in [0-9.]+s;/ {n += $1} END {print n + 0}')
	rm -f "$WORK"/stime.*
	awk -v n="$n" -v a="$t0" -v b="$t1" -v c=$((c1 - c0)) -v hz="$TICK" \
		'BEGIN { printf "%.0f %.0f\n", n / (b - a), (c > 0) ? n / (c / hz) : 0 }'
}

HAVE13=0
"$PINFOLD" -V | grep -q 'mbedTLS 3\.' && HAVE13=1
declare -A HS
# name:port:pid; the rsa- ones have the RSA-2048 certificate
TARGETS=("pinfold:$PF_PORT:$PF_PID" "raw:$RAW_PORT:$RAW_PID_M" "rawdef:$RAWD_PORT:$RAW_PID_D"
	"haproxy:$HA_PORT:$HA_PID" "rsa-pinfold:$PF_RSA_PORT:$PF_PID" "rsa-raw:$RAW_RSA_PORT:$RAW_PID_R"
	"rsa-haproxy:$HA_RSA_PORT:$HA_PID")
VERSIONS=("-tls1_2")
[ "$HAVE13" = 1 ] && VERSIONS+=("-tls1_3")
echo "bench-tls: warm-up" >&2
for t in "${TARGETS[@]}"; do
	IFS=: read -r name port pid <<<"$t"
	timeout 20 openssl s_time -connect "$HOST:$port" -new -time 1 >/dev/null 2>&1
done
for v in "${VERSIONS[@]}"; do
	for t in "${TARGETS[@]}"; do
		IFS=: read -r name port pid <<<"$t"
		read -r HS[$name$v] HS[$name$v-cpu] <<<"$(hs_rate "$port" "$pid" "$v")"
		read -r HS[$name$v-www] HS[$name$v-www-cpu] <<<"$(hs_rate "$port" "$pid" "$v" /1k.bin)"
		echo "bench-tls: $name $v: ${HS[$name$v]} handshakes/s (${HS[$name$v-cpu]} per CPU-s)," \
			"${HS[$name$v-www]} with a GET (${HS[$name$v-www-cpu]} per CPU-s)" >&2
	done
done
kill -0 "$PF_PID" 2>/dev/null || die "pinfold died during the handshake runs"

# ---- bulk MB/s over one connection ----------------------------------------------------------------------
kill "$RAW_PID_M" "$RAW_PID_D" "$RAW_PID_R" 2>/dev/null
RAWB_PORT=$(free_port)
start_raw "$RAWB_PORT" $((BULK_MIB << 20)) modern
declare -A BULK
bulk() { # port flag -> MB/s (10^6 bytes); curl -v output and the port's sockets kept in $WORK
	local out tag=$1-$RANDOM
	ss -tanpo "( sport = :$1 or dport = :$1 )" >"$WORK/ss-$tag.txt" 2>&1
	poke "$1"
	out=$(timeout 120 $PIN_CLI curl -sSv --noproxy '*' -k --max-time 100 $2 -o /dev/null \
		-w '%{size_download} %{speed_download}' "https://$HOST:$1/big.bin" 2>"$WORK/curl-$tag.log") ||
		{ echo "bench-tls: curl to port $1 failed ($WORK/curl-$tag.log):" \
			"$(grep -E '^curl|SSL_ERROR|reset' "$WORK/curl-$tag.log" | head -2)" >&2; echo "0"; return; }
	set -- $out
	[ "$1" -eq $((BULK_MIB << 20)) ] || { echo "0"; return; }
	awk -v s="$2" 'BEGIN { printf "%.0f", s / 1e6 }'
}
for v in "--tls-max 1.2" "--tlsv1.3"; do
	[ "$v" = "--tlsv1.3" ] && [ "$HAVE13" = 0 ] && continue
	for t in "pinfold:$PF_PORT" "raw:$RAWB_PORT" "haproxy:$HA_PORT"; do
		best=0
		for _ in $(seq "$BULK_TRIES"); do
			r=$(bulk "${t#*:}" "$v")
			[ "$r" -gt "$best" ] && best=$r
		done
		BULK[${t%%:*}$v]=$best
		echo "bench-tls: bulk ${t%%:*} ($v): $best MB/s" >&2
	done
done

# ---- memory per established TLS connection -------------------------------------------------------------
# On fresh processes: the handshake and bulk runs grew both servers' heaps, and new
# connections would reuse that memory without showing up in RSS.
kill -0 "$PF_PID" 2>/dev/null || die "pinfold died during the bulk runs"
PF_IDLE_RSS=$(status_kib "$PF_PID" VmRSS); PF_IDLE_ANON=$(status_kib "$PF_PID" RssAnon)
for p in "$PF_PID" "$HA_PID"; do
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
start_pinfold; start_haproxy
sleep 0.3
mem_per_conn() { # port pid -> "rss_before rss_after anon_before anon_after answered"
	timeout 300 $PIN_CLI $PY "$HERE/idleconns.py" --tls --port "$1" --pids "$2" -n "$NCONNS" --path /1k.bin ||
		{ echo "bench-tls: warning: $NCONNS TLS connections to port $1 failed" >&2; echo "? ? ? ? 0"; }
}
read -r PF_R0 PF_R1 PF_A0 PF_A1 PF_OK <<<"$(mem_per_conn "$PF_PORT" "$PF_PID")"
read -r HA_R0 HA_R1 HA_A0 HA_A1 HA_OK <<<"$(mem_per_conn "$HA_PORT" "$HA_PID")"
per() { awk -v a="$1" -v b="$2" -v n="$NCONNS" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) printf "%.1f", (b - a) / n; else print "?" }'; }
PF_PER=$(per "$PF_R0" "$PF_R1"); PF_PER_ANON=$(per "$PF_A0" "$PF_A1")
HA_PER=$(per "$HA_R0" "$HA_R1"); HA_PER_ANON=$(per "$HA_A0" "$HA_A1")
kill -0 "$PF_PID" 2>/dev/null || die "pinfold died during the memory run"

# ---- report ------------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { # "VALUE OP LIMIT"; a value that is no number is "n/a"
	case "${1%% *}" in ''|*[!0-9.]*) echo "n/a"; return ;; esac
	if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "NOT met"; fi
}
row() { # label key
	local v out="| $1"
	for v in "${VERSIONS[@]}"; do
		out="$out | ${HS[$2$v]} | ${HS[$2$v-cpu]} | ${HS[$2$v-www]} | ${HS[$2$v-www-cpu]}"
	done
	echo "$out |"
}
hdr="| server |"; sep="|---|"
for v in "${VERSIONS[@]}"; do
	hdr="$hdr ${v#-} hs/s | ${v#-} hs per server CPU-s | ${v#-} hs+GET/s | ${v#-} hs+GET per CPU-s |"
	sep="$sep---:|---:|---:|---:|"
done
# The aim compares the server's own cost (per CPU-second): the raw server handles one
# connection at a time and idles during round trips, so its wall rate understates the library.
R12=$(ratio "${HS[pinfold-tls1_2-cpu]}" "${HS[raw-tls1_2-cpu]}")
R13=$(ratio "${HS[pinfold-tls1_3-cpu]:-0}" "${HS[raw-tls1_3-cpu]:-0}")

# rows only a build with TLS 1.3 has (each with its own line end, so no empty table line)
ROW13=""
BULK13=""
if [ "$HAVE13" = 1 ]; then
	printf -v ROW13 '| pinfold / mbedTLS direct, TLS 1.3 handshakes per server CPU-second | %s | >= 0.9 (%s) |\n' \
		"$R13" "$(verdict "$R13 >= 0.9")"
	BULK13="| TLS 1.3 | ${BULK[pinfold--tlsv1.3]} | ${BULK[raw--tlsv1.3]} | ${BULK[haproxy--tlsv1.3]} |"
fi

REPORT=$(cat <<EOF
## TLS

$(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)),
loopback, ECDSA P-256 and RSA-2048 certificates, $PINNING.  Handshakes: $NCLI parallel \`openssl s_time -new\`
clients for ${DUR}s each run (full handshakes, no resumption); bulk: curl, one connection,
$BULK_MIB MiB (P-256); memory: $NCONNS idle keep-alive TLS connections, one 1 KiB GET each.
$BUSY_NOTE.

- pinfold: $("$PINFOLD" -V | head -1), TLS backend $LIBVER ($PINFOLD)
- mbedTLS direct: test/bench/mbedtls_hs_server.c built against $MB_INC (the same library),
  one thread, X25519/P-256/P-384 preferred; "library default groups": the library's own order
- $(haproxy -v 2>&1 | head -1 | cut -d' ' -f1-3) with $(openssl version | cut -d' ' -f1-2), nbthread 1
- client: $(openssl version | cut -d' ' -f1-2) (s_time), curl $(curl -V | head -1 | cut -d' ' -f2)

Negotiated with a default OpenSSL client (TLS 1.2): pinfold $NEG_PF; mbedTLS direct $NEG_RAW;
library default groups $NEG_RAWD; HAProxy $NEG_HA.

$hdr
$sep
$(row "P-256: pinfold" pinfold)
$(row "P-256: mbedTLS direct" raw)
$(row "P-256: mbedTLS direct (library default groups)" rawdef)
$(row "P-256: HAProxy (OpenSSL)" haproxy)
$(row "RSA-2048: pinfold" rsa-pinfold)
$(row "RSA-2048: mbedTLS direct" rsa-raw)
$(row "RSA-2048: HAProxy (OpenSSL)" rsa-haproxy)

| bulk over one connection (MB/s) | pinfold | mbedTLS direct | HAProxy |
|---|---:|---:|---:|
| TLS 1.2 | ${BULK[pinfold--tls-max 1.2]} | ${BULK[raw--tls-max 1.2]} | ${BULK[haproxy--tls-max 1.2]} |
${BULK13}

| memory | pinfold | HAProxy |
|---|---:|---:|
| idle after start, two certificates loaded (VmRSS / RssAnon KiB) | $PF_START_RSS / $PF_START_ANON | - |
| idle after the handshake and bulk runs (VmRSS / RssAnon KiB) | $PF_IDLE_RSS / $PF_IDLE_ANON | - |
| before the connections (VmRSS / RssAnon KiB) | $PF_R0 / $PF_A0 | $HA_R0 / $HA_A0 |
| with $NCONNS idle TLS connections (VmRSS / RssAnon KiB; answered) | $PF_R1 / $PF_A1; $PF_OK | $HA_R1 / $HA_A1; $HA_OK |
| per established TLS connection (KiB, VmRSS / RssAnon) | $PF_PER / $PF_PER_ANON | $HA_PER / $HA_PER_ANON |

| ratio | value | aim |
|---|---:|---|
| pinfold / mbedTLS direct, TLS 1.2 handshakes per server CPU-second | $R12 | >= 0.9 ($(verdict "$R12 >= 0.9")) |
${ROW13}| pinfold / mbedTLS direct, TLS 1.2 handshakes per wall second | $(ratio "${HS[pinfold-tls1_2]}" "${HS[raw-tls1_2]}") | |
| pinfold / HAProxy, TLS 1.2 handshakes per server CPU-second | $(ratio "${HS[pinfold-tls1_2-cpu]}" "${HS[haproxy-tls1_2-cpu]}") | |
| pinfold / mbedTLS direct, RSA-2048, TLS 1.2 handshakes per server CPU-second | $(ratio "${HS[rsa-pinfold-tls1_2-cpu]}" "${HS[rsa-raw-tls1_2-cpu]}") | |
| pinfold / HAProxy, RSA-2048, TLS 1.2 handshakes per server CPU-second | $(ratio "${HS[rsa-pinfold-tls1_2-cpu]}" "${HS[rsa-haproxy-tls1_2-cpu]}") | |
| pinfold / mbedTLS direct, TLS 1.2 bulk | $(ratio "${BULK[pinfold--tls-max 1.2]}" "${BULK[raw--tls-max 1.2]}") | |
| pinfold / HAProxy, TLS 1.2 bulk | $(ratio "${BULK[pinfold--tls-max 1.2]}" "${BULK[haproxy--tls-max 1.2]}") | |
| memory per TLS connection (RssAnon) | $PF_PER_ANON KiB | <= 40 KiB ($(verdict "${PF_PER_ANON/\?/99999} <= 40")) |
| idle RSS after start, two certificates | $PF_START_RSS KiB | <= 2048 KiB ($(verdict "${PF_START_RSS:-99999} <= 2048")) |

"hs/s" is what $NCLI clients on one CPU got; HAProxy's is bounded by those clients (an
OpenSSL client costs ~0.7 ms of CPU per handshake here), so compare servers by "per server
CPU-s".  The raw server takes one connection at a time and idles during round trips, so
its wall rate is below its CPU rate; pinfold overlaps connections.
EOF
)

echo "$REPORT"
if [ "${BENCH_NO_SAVE:-0}" != "1" ]; then
	# one pair per library line: tls-mbedtls-2.28.md/.kv, tls-mbedtls-3.6.md/.kv
	out="$OUT/tls-mbedtls-$(echo "$LIBVER" | sed -n 's/^mbedTLS \([0-9]*\.[0-9]*\).*/\1/p')"
	mkdir -p "$OUT"
	echo "$REPORT" >"$out.md"
	{
		for k in "${!HS[@]}"; do echo "hs.$k=${HS[$k]}"; done
		for k in "${!BULK[@]}"; do echo "bulk.${k// /}=${BULK[$k]}"; done
		echo "tls.lib=${LIBVER// /_}"
		echo "tls.conns=$NCONNS"
		echo "tls.rss.start.pinfold=$PF_START_RSS"
		echo "tls.anon.start.pinfold=$PF_START_ANON"
		echo "tls.conn.kib.pinfold=$PF_PER"
		echo "tls.conn.anonkib.pinfold=$PF_PER_ANON"
		echo "tls.conn.kib.haproxy=$HA_PER"
		echo "tls.conn.anonkib.haproxy=$HA_PER_ANON"
		echo "tls.conn.answered.pinfold=$PF_OK"
		echo "tls.conn.answered.haproxy=$HA_OK"
		echo "busy=$BUSY"
	} | sort >"$out.kv"
	echo "bench-tls: written to $out.md and $out.kv" >&2
fi
# ---- side by side: pinfold on each TLS backend vs HAProxy, full and resumed handshakes ----------
if [ "${BENCH_TLS_SIDE:-1}" = 0 ]; then exit 0; fi
if [ "${BENCH_QUICK:-0}" = 1 ]; then ROUNDS=${BENCH_TLS_ROUNDS:-3}; else ROUNDS=${BENCH_TLS_ROUNDS:-5}; fi
case "$ROUNDS" in '' | *[!0-9]* | 0) die "BENCH_TLS_ROUNDS must be a positive number" ;; esac
SIDE_BINS=()
for b in ${BENCH_TLS_PINFOLDS:-$REPO/build/pinfold $REPO/build-tls36/pinfold $REPO/build-openssl/pinfold}; do
	[ -x "$b" ] && "$b" -V | grep -qE '^TLS backend: (mbedTLS|OpenSSL)' && SIDE_BINS+=("$b")
done
NCPU=$(nproc)
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "?"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $6 + $7 + $8 }' /proc/stat; }
# CPU ticks used by this shell's finished children (the s_time clients), from `times`
children_ticks() { times | awk -v hz="$TICK" 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } } END { printf "%.0f", s * hz }'; }
DISTURBED=0
# One figure: ROUNDS rounds of hs_rate; "wall-median cpu-median" in RES; rounds that other
# work disturbed are counted in DISTURBED.
side_rate() { # port pid flag www mode
	local r w c walls="" cpus="" b0 b1 s0 s1 k0 k1 t0 t1 other
	for r in $(seq "$ROUNDS"); do
		b0=$(machine_busy); s0=$(cpu_ticks "$2"); k0=$(children_ticks); t0=$(date +%s.%N)
		read -r w c <<<"$(hs_rate "$@")"
		b1=$(machine_busy); s1=$(cpu_ticks "$2"); k1=$(children_ticks); t1=$(date +%s.%N)
		# what was busy on the machine besides the server and our own clients
		other=$(awk -v b=$((b1 - b0)) -v s=$((s1 - s0)) -v k=$((k1 - k0)) -v a="$t0" -v z="$t1" \
			-v hz="$TICK" -v n="$NCPU" 'BEGIN { o = (b - s - k) / ((z - a) * hz * n); printf "%.0f", 100 * (o > 0 ? o : 0) }')
		[ "$other" -gt 10 ] && DISTURBED=$((DISTURBED + 1))
		walls="$walls $w"; cpus="$cpus $c"
	done
	RES="$(echo "$walls" | median) $(echo "$cpus" | median)"
}
declare -A SIDE
side_one() { # label port pid has13 -> SIDE[label.*]
	local label=$1 port=$2 pid=$3 v www mode
	for v in tls1_2 tls1_3; do
		[ "$v" = tls1_3 ] && [ "$4" = 0 ] && continue
		www=""; [ "$v" = tls1_3 ] && www=/1k.bin
		for mode in new reuse; do
			side_rate "$port" "$pid" "-$v" "$www" "-$mode"
			read -r "SIDE[$label.$v.$mode]" "SIDE[$label.$v.$mode.cpu]" <<<"$RES"
			echo "bench-tls: side $label $v $mode: ${SIDE[$label.$v.$mode]}/s," \
				"${SIDE[$label.$v.$mode.cpu]} per CPU-s" >&2
		done
	done
}
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
SIDE_LABELS=()
SP=$(free_port)
cat >"$WORK/side.cfg" <<EOF
LogLevel ${BENCH_TLS_LOGLEVEL:-0}
Client 120
$(listener "$SP" "$WORK/p256.pem")
EOF
for b in "${SIDE_BINS[@]}"; do
	lib=$("$b" -V | sed -n 's/^TLS backend: //p'); label=${lib// /-}
	h13=0; echo "$lib" | grep -qE '^(mbedTLS 3\.|OpenSSL)' && h13=1
	SIDE_LABELS+=("$label"); SIDE[$label.lib]=$lib
	for part in mem hs; do # each on a fresh process
		$PIN_SRV "$b" -F -e -f "$WORK/side.cfg" </dev/null >"$WORK/side-$label.out" 2>&1 &
		spid=$!; PIDS+=("$spid")
		wait_port "$SP" "$spid" || die "$b did not start: $(tail -5 "$WORK/side-$label.out")"
		if [ "$part" = mem ]; then
			sleep 0.3
			read -r r0 r1 a0 a1 ok <<<"$(mem_per_conn "$SP" "$spid")"
			SIDE[$label.mem]="$(per "$r0" "$r1") / $(per "$a0" "$a1"); $ok"
		else
			poke "$SP"
			side_one "$label" "$SP" "$spid" "$h13"
		fi
		stop_pid "$spid"
	done
done
kill -0 "$HA_PID" 2>/dev/null || start_haproxy
side_one haproxy "$HA_PORT" "$HA_PID" 1
SIDE[haproxy.mem]="$HA_PER / $HA_PER_ANON; $HA_OK"
stop_pid "$HA_PID"

SIDE_NOTE="no round disturbed by other work (in each, less than 10% of the machine was busy besides the servers and their clients)"
if [ "$DISTURBED" -gt 0 ] || [ "$BUSY" -gt 10 ]; then
	SIDE_NOTE="**DISTURBED: in $DISTURBED round(s) other work used more than 10% of the machine (${BUSY}% busy before the run): these figures are not clean, re-run on an idle machine**"
fi
srow() { # label name
	local v out="| $2"
	for v in tls1_2 tls1_3; do
		out="$out | ${SIDE[$1.$v.new]:--} | ${SIDE[$1.$v.new.cpu]:--} | ${SIDE[$1.$v.reuse]:--} | ${SIDE[$1.$v.reuse.cpu]:--}"
	done
	echo "$out | ${SIDE[$1.mem]} |"
}
aims=""
for l in "${SIDE_LABELS[@]}"; do
	rr=$(ratio "${SIDE[$l.tls1_2.reuse.cpu]}" "${SIDE[haproxy.tls1_2.reuse.cpu]}")
	rf=$(ratio "${SIDE[$l.tls1_2.new.cpu]}" "${SIDE[haproxy.tls1_2.new.cpu]}")
	mem=${SIDE[$l.mem]%% *}
	case "$l" in
	OpenSSL*)
		aims="$aims| $l: resumed (TLS 1.2) / HAProxy, per server CPU-s | $rr | >= 1.0 ($(verdict "$rr >= 1.0")) |
| $l: full (TLS 1.2) / HAProxy, per server CPU-s | $rf | >= 0.9 ($(verdict "$rf >= 0.9")) |
| $l: memory per idle TLS connection (VmRSS) | $mem KiB | <= 16 KiB ($(verdict "${mem/\?/99999} <= 16")) |
" ;;
	*)
		aims="$aims| $l: resumed (TLS 1.2) / HAProxy, per server CPU-s | $rr | >= 0.8 ($(verdict "$rr >= 0.8")) |
| $l: full (TLS 1.2) / HAProxy, per server CPU-s | $rf | |
" ;;
	esac
done
SIDE_REPORT=$(cat <<EOF
## TLS side by side: full and resumed handshakes

$(date -u '+%Y-%m-%d %H:%M UTC') on $NCPU CPUs, loopback, one ECDSA P-256 certificate, $PINNING.
$NCLI parallel \`openssl s_time\` clients, ${DUR}s per round, the median of $ROUNDS rounds;
"full" = \`-new\`, "resumed" = \`-reuse\` (one session, resumed by its ticket).  TLS 1.2:
handshake only; TLS 1.3: handshake and one 1 KiB GET.  Memory: $NCONNS idle keep-alive TLS
connections (one GET each) on a fresh process, per connection.
$SIDE_NOTE.

| server | 1.2 full/s | 1.2 full per CPU-s | 1.2 resumed/s | 1.2 resumed per CPU-s | 1.3+GET full/s | 1.3+GET full per CPU-s | 1.3+GET resumed/s | 1.3+GET resumed per CPU-s | KiB per idle TLS conn (VmRSS / RssAnon; answered) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
$(for l in "${SIDE_LABELS[@]}"; do srow "$l" "pinfold, ${SIDE[$l.lib]}"; done)
$(srow haproxy "$(haproxy -v 2>&1 | head -1 | cut -d' ' -f1-3), $(openssl version | cut -d' ' -f1-2)")

| ratio | value | aim |
|---|---:|---|
${aims}
EOF
)
echo "$SIDE_REPORT"
if [ "${BENCH_NO_SAVE:-0}" != "1" ]; then
	sout=$OUT
	if { [ "$DISTURBED" -gt 0 ] || [ "$BUSY" -gt 10 ]; } && [ "${BENCH_SAVE_DISTURBED:-0}" != 1 ]; then
		sout=$OUT/disturbed
	fi
	mkdir -p "$sout"
	echo "$SIDE_REPORT" >"$sout/tls-side.md"
	{
		for k in "${!SIDE[@]}"; do echo "side.$k=${SIDE[$k]}"; done
		echo "side.rounds=$ROUNDS"
		echo "side.disturbed_rounds=$DISTURBED"
		echo "busy=$BUSY"
	} | sort >"$sout/tls-side.kv"
	echo "bench-tls: side by side written to $sout/tls-side.md and .kv" >&2
fi
exit 0
