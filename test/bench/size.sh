#!/bin/bash
# test/bench/size.sh - what pinfold costs on disk and in memory before any traffic:
# the stripped binary per architecture and TLS option, and each build's idle RSS.
#
# x86_64: builds pinfold (the binary only) four times from this checkout, MinSizeRel (-Os, LTO,
# as a release and OpenWrt build it), PINFOLD_TLS=none and =mbedtls, each with the default
# features (all in) and minimal (every PINFOLD_<NAME> feature option OFF: the router build;
# kv keys size.x86_64.none-min, size.x86_64.mbedtls-min), into build-size/; strips them;
# starts each with one plain listener (no TLS configured) and reads its VmRSS and RssAnon.
# mipsel: two cross builds (none and mbedtls) by test/cross/build.sh into build-size/cross
# (the sysroot, cmocka and libxcrypt from source, is built once and kept; the binaries are
# rebuilt every run).  Static musl (x86_64-linux-musl, OpenWrt's C library): built by
# test/cross/build.sh into build-size/musl-{none,mbedtls} (mbedTLS from Debian's source,
# linked in) and started here, the mbedTLS one with two HTTPS listeners and a certificate
# each: glibc's loader and libc are most of the glibc builds'
# idle RSS, and a router does not have them.
#
# Environment:
#   BENCH_SIZE_BUILD=0  no builds: strip $PINFOLD only (the quick mode of all.sh)
#   PINFOLD             the binary for BENCH_SIZE_BUILD=0 (default <repo>/build/pinfold)
#   BENCH_CROSS         auto (default: build the cross and musl figures when their compilers
#                       are installed, else n/a), 1 (install and build), 0 (skip); a binary
#                       of an earlier run is never read
#   BENCH_OUT           where size.md and size.kv go (default test/bench/results,
#                       test/bench/results/quick with BENCH_QUICK=1)
# Exit: 0 done, 1 a build or a start failed.
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PINFOLD=${PINFOLD:-$REPO/build/pinfold}
BUILD=${BENCH_SIZE_BUILD:-1}
CROSS=${BENCH_CROSS:-auto}
if [ "${BENCH_QUICK:-0}" = 1 ]; then OUT=${BENCH_OUT:-$HERE/results/quick}; else OUT=${BENCH_OUT:-$HERE/results}; fi
SB=$REPO/build-size
HOST=127.0.0.1

die() { echo "bench-size: $*" >&2; exit 1; }
for t in cmake strip cc; do
	command -v "$t" >/dev/null 2>&1 || { echo "bench-size: missing $t" >&2; exit 77; }
done
mkdir -p "$SB"
declare -A KV
rows=""

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo "?"; }

# Two certificates as in tls.sh (P-256 and RSA-2048, self-signed), for the TLS idle figure.
certs() {
	[ -s "$SB/idle-p256.pem" ] && [ -s "$SB/idle-rsa.pem" ] && return 0
	command -v openssl >/dev/null 2>&1 || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench.test \
		-days 2 -keyout "$SB/k1" -out "$SB/c1" 2>/dev/null &&
		openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=bench.test \
			-days 2 -keyout "$SB/k2" -out "$SB/c2" 2>/dev/null || return 1
	cat "$SB/c1" "$SB/k1" >"$SB/idle-p256.pem"
	cat "$SB/c2" "$SB/k2" >"$SB/idle-rsa.pem"
	rm -f "$SB/c1" "$SB/k1" "$SB/c2" "$SB/k2"
}

# binary [tls] -> "VmRSS RssAnon" of a freshly started pinfold with one plain listener,
# and with "tls" also two HTTPS listeners with a certificate each (as tls.sh has).
idle_rss() {
	local bin=$1 port pid r p
	port=$(free_port)
	{
		echo "LogLevel 0"
		for p in plain ${2:+p256 rsa}; do
			if [ "$p" = plain ]; then
				printf 'ListenHTTP\n    Address %s\n    Port %s\n' "$HOST" "$port"
			else
				printf 'ListenHTTPS\n    Address %s\n    Port %s\n    Cert "%s"\n' \
					"$HOST" "$(free_port)" "$SB/idle-$p.pem"
			fi
			printf '    Service\n        BackEnd\n            Address %s\n            Port 9\n        End\n    End\nEnd\n' "$HOST"
		done
	} >"$SB/idle.cfg"
	"$bin" -F -e -f "$SB/idle.cfg" </dev/null >"$SB/idle.out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	sleep 0.3
	r="$(status_kib "$pid" VmRSS) $(status_kib "$pid" RssAnon)"
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "$r"
}

# The feature options (PINFOLD_FEATURE_OPTIONS in CMakeLists.txt), all OFF: the minimal build.
MIN_OPTIONS=()
for f in $(sed -n 's/^set(PINFOLD_FEATURE_OPTIONS \(.*\))$/\1/p' "$REPO/CMakeLists.txt"); do
	MIN_OPTIONS+=("-DPINFOLD_$f=OFF")
done
features_of() { "$1" -V 2>/dev/null | sed -n 's/^Features: //p'; }

add() { # arch key(tls, or tls-min) features how bytes rss anon
	local kib
	kib=$(awk -v b="$5" 'BEGIN { if (b ~ /^[0-9]+$/) printf "%.1f KiB", b / 1024; else print b }')
	rows+="| $1 | ${2%-min} | ${3:-?} | $4 | ${5} B ($kib) | ${6:--} | ${7:--} |"$'\n'
	KV[size.$1.$2]=$5
	KV[sizebuild.$1.$2]=${4// /_}
	[ -n "${6:-}" ] && KV[rss.idle.$1.$2]=$6 && KV[anon.idle.$1.$2]=$7
}

# ---- x86_64 ---------------------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
	for key in none mbedtls none-min mbedtls-min; do
		d=$SB/x86_64-$key
		feat=()
		[ "$key" = "${key%-min}" ] || feat=("${MIN_OPTIONS[@]}")
		echo "bench-size: building x86_64 MinSizeRel PINFOLD_TLS=${key%-min} ${feat[*]} in $d" >&2
		cmake -S "$REPO" -B "$d" -DCMAKE_BUILD_TYPE=MinSizeRel -DPINFOLD_TLS="${key%-min}" \
			-DPINFOLD_TESTS=OFF -DPINFOLD_WERROR=ON "${feat[@]}" >"$d.configure.log" 2>&1 ||
			die "configure failed: $d.configure.log"
		cmake --build "$d" -j2 --target pinfold >"$d.build.log" 2>&1 || die "build failed: $d.build.log"
		strip -o "$d/pinfold.stripped" "$d/pinfold" || die "strip failed"
		read -r rss anon <<<"$(idle_rss "$d/pinfold")"
		add x86_64 "$key" "$(features_of "$d/pinfold")" "MinSizeRel, glibc, dynamic" \
			"$(stat -c %s "$d/pinfold.stripped")" "$rss" "$anon"
	done
else
	[ -x "$PINFOLD" ] || die "no pinfold binary at $PINFOLD"
	tls=none
	"$PINFOLD" -V | grep -q '^TLS backend: mbedTLS' && tls=mbedtls
	strip -o "$SB/pinfold.stripped" "$PINFOLD" || die "strip failed"
	read -r rss anon <<<"$(idle_rss "$PINFOLD")"
	bt=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$PINFOLD")/CMakeCache.txt" 2>/dev/null)
	add x86_64 "$tls" "$(features_of "$PINFOLD")" "${bt:-?} (\$PINFOLD as given, not a size build)" "$(stat -c %s "$SB/pinfold.stripped")" "$rss" "$anon"
fi

# ---- mipsel -------------------------------------------------------------------------------------
# Every figure is of a binary built from this checkout in this run: a cross binary left by an
# earlier run (of other sources) is removed first and never read.  auto: built when the cross
# compiler is installed (test/cross/deps.sh), else n/a; 1: installs it and builds; 0: skipped.
MIPS_NOTE=""
cross_ready() { # target: build it in this run (BENCH_CROSS=1, or its compiler is here)?
	[ "$CROSS" = 1 ] || command -v "$1-gcc" >/dev/null 2>&1
}
if [ "$CROSS" = 0 ]; then
	MIPS_NOTE="mipsel: skipped (BENCH_CROSS=0)."
elif cross_ready mipsel-linux-gnu; then
	# one output folder for both: the sysroot (cmocka, libxcrypt from source) is built once
	o=$SB/cross
	rm -f "$o"/mipsel-size-*
	for tls in none mbedtls; do
		echo "bench-size: cross build mipsel-linux-gnu PINFOLD_TLS=$tls (test/cross/build.sh)" >&2
		rm -f "$o/mipsel-linux-gnu/size" "$o/mipsel-linux-gnu/build/pinfold"
		if PINFOLD_CROSS_OUT=$o sh "$REPO/test/cross/build.sh" --tls $tls --tests none mipsel-linux-gnu \
			>"$SB/cross-$tls.log" 2>&1 && [ -s "$o/mipsel-linux-gnu/size" ]; then
			add mipsel "$tls" "default" "MinSizeRel, glibc, dynamic (test/cross/build.sh, built in this run)" "$(cat "$o/mipsel-linux-gnu/size")"
		else
			add mipsel "$tls" "default" "cross build failed ($SB/cross-$tls.log)" "n/a"
		fi
	done
else
	MIPS_NOTE="mipsel: n/a, no mipsel-linux-gnu-gcc here; BENCH_CROSS=1 installs the Debian cross toolchain and builds both TLS options (some minutes)."
	KV[size.mipsel.none]=n/a
	KV[size.mipsel.mbedtls]=n/a
fi

# ---- x86_64, static musl: the C library OpenWrt has, linked in ------------------------------------
# Idle memory as a router sees it (glibc's dynamic loader and libc pages are most of the
# glibc figure).  The mbedTLS build starts with two HTTPS listeners, a certificate each.
# Built in this run or n/a, as mipsel above.
MUSL_NOTE=""
for tls in none mbedtls; do
	[ "$CROSS" = 0 ] && MUSL_NOTE="static musl: skipped (BENCH_CROSS=0)." && break
	o=$SB/musl-$tls
	b=$o/x86_64-linux-musl/build/pinfold
	rm -f "$b" "$o/pinfold.stripped"
	if [ "$CROSS" = 1 ] || command -v musl-gcc >/dev/null 2>&1; then
		echo "bench-size: static musl build PINFOLD_TLS=$tls (test/cross/build.sh)" >&2
		PINFOLD_CROSS_OUT=$o sh "$REPO/test/cross/build.sh" --tls $tls --tests none x86_64-linux-musl \
			>"$SB/musl-$tls.log" 2>&1 || rm -f "$b"
	fi
	if [ -x "$b" ] && { [ "$tls" = none ] || certs; }; then
		strip -o "$o/pinfold.stripped" "$b" || die "strip failed"
		read -r rss anon <<<"$(idle_rss "$b" "${tls#none}")"
		how="MinSizeRel, musl, static, built in this run"
		[ "$tls" = none ] || how="$how (mbedTLS linked in); idle with two HTTPS certificates"
		add x86_64-musl "$tls" "$(features_of "$b")" "$how" "$(stat -c %s "$o/pinfold.stripped")" "$rss" "$anon"
	else
		KV[size.x86_64-musl.$tls]=n/a
		if [ -f "$SB/musl-$tls.log" ] && { [ "$CROSS" = 1 ] || command -v musl-gcc >/dev/null 2>&1; }; then
			why="build failed: $SB/musl-$tls.log"
		else
			why="no musl-gcc here; BENCH_CROSS=1 installs it and builds"
		fi
		MUSL_NOTE="${MUSL_NOTE}static musl, $tls: n/a ($why). "
	fi
done

REPORT=$(cat <<EOF
## Size and idle memory

Stripped binary per architecture, TLS option and feature set; idle memory of that build
started with one plain listener (no TLS configured), VmRSS and RssAnon in KiB.  The mbedTLS
builds link the shared library (OpenWrt ships it as libmbedtls), so its size is not in the
figure.  Features as \`pinfold -V\` names them (+ built in, - built out, the PINFOLD_<NAME>
options); "default" is every one in.  A stripped size moves in steps of the 4 KiB segment
alignment, so a feature that costs less than a page may not change it.

| arch | TLS | features | build | stripped | idle VmRSS (KiB) | idle RssAnon (KiB) |
|---|---|---|---|---:|---:|---:|
$rows
${MIPS_NOTE}
${MUSL_NOTE}
EOF
)
echo "$REPORT"
mkdir -p "$OUT"
echo "$REPORT" >"$OUT/size.md"
for k in "${!KV[@]}"; do echo "$k=${KV[$k]}"; done | sort >"$OUT/size.kv"
echo "bench-size: written to $OUT/size.md and size.kv" >&2
exit 0
