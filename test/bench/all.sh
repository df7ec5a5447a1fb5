#!/bin/bash
# test/bench/all.sh - the whole benchmark suite in one command: one Markdown report with
# every table and a budget table, and a PNG plot (gnuplot) of req/s per target and scenario.
#
#   test/bench/all.sh                 full run (about 25 minutes on 2 cores), into
#                                     test/bench/results/latest.md and latest.png
#   BENCH_QUICK=1 test/bench/all.sh   smoke (about 3 minutes): 1 round of 2 s, fewer
#                                     scenarios, no size builds; into test/bench/results/quick/
#                                     (ignored by git: quick figures are never the published ones)
#
# The parts, each runnable alone with the same environment: run.sh (plain HTTP: req/s,
# CPU per request, fixed-rate latency, memory per idle connection), tls.sh (handshakes,
# bulk, memory per TLS connection; skipped for a binary without TLS or with BENCH_TLS=0),
# size.sh (stripped size per architecture, TLS option and default or minimal features, idle RSS per build).  Each writes
# its section (.md) and its figures (.kv) into BENCH_OUT; this script puts them together.
#
# Environment: PINFOLD (binary, default <repo>/build/pinfold; build it with PINFOLD_TLS=mbedtls
# for the TLS part), BENCH_QUICK, BENCH_OUT, BENCH_TLS=0, BENCH_CROSS (see size.sh), and each
# part's own settings (see their headers).
# Exit: 0 done, 1 a part failed, 77 a tool is missing.
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export PINFOLD=${PINFOLD:-$REPO/build/pinfold}
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	export BENCH_OUT=${BENCH_OUT:-$HERE/results/quick}
	export BENCH_SIZE_BUILD=${BENCH_SIZE_BUILD:-0}
	MODE="quick smoke run (BENCH_QUICK=1): 1 round of 2 s, not for comparison"
else
	export BENCH_OUT=${BENCH_OUT:-$HERE/results}
	MODE="full run"
fi
OUT=$BENCH_OUT
unset BENCH_NO_SAVE # the parts must write their sections for the report
mkdir -p "$OUT"
START=$(date +%s)

die() { echo "bench-all: $*" >&2; exit 1; }
command -v gnuplot >/dev/null 2>&1 || { echo "bench-all: missing gnuplot (apt-get install gnuplot-nox)" >&2; exit 77; }
[ -x "$PINFOLD" ] || die "no pinfold binary at $PINFOLD (build it, or set PINFOLD=)"

# ---- the parts ---------------------------------------------------------------------------------
rm -f "$OUT/plain.md" "$OUT/plain.kv" "$OUT/plain.dat" "$OUT/size.md" "$OUT/size.kv"
"$HERE/run.sh" >/dev/null || exit $?
TLSLIB=$("$PINFOLD" -V | sed -n 's/^TLS backend: mbedTLS \([0-9]*\.[0-9]*\).*/\1/p')
TLSBASE=""
if [ -n "$TLSLIB" ] && [ "${BENCH_TLS:-1}" != 0 ]; then
	TLSBASE=$OUT/tls-mbedtls-$TLSLIB
	rm -f "$TLSBASE.md" "$TLSBASE.kv"
	"$HERE/tls.sh" >/dev/null || exit $?
fi
"$HERE/size.sh" >/dev/null || exit $?

# ---- figures -----------------------------------------------------------------------------------------
declare -A V
load() { # file: key=value lines into V
	local k v
	[ -f "$1" ] || return 0
	while IFS='=' read -r k v; do V[$k]=$v; done <"$1"
}
load "$OUT/plain.kv"
load "$OUT/size.kv"
[ -n "$TLSBASE" ] && load "$TLSBASE.kv"
g() { echo "${V[$1]:-n/a}"; }
num() { [[ $1 =~ ^-?[0-9]+([.][0-9]+)?$ ]]; }
ratio() { if num "$1" && num "$2" && awk -v b="$2" 'BEGIN { exit !(b > 0) }'; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo "n/a"; fi; }
check() { # value op limit -> met / NOT met / n/a
	num "$1" || { echo "n/a"; return; }
	if awk -v v="$1" -v l="$3" "BEGIN { exit !(v $2 l) }"; then echo "met"; else echo "**NOT met**"; fi
}
BUDGET=""
budget() { # goal measured verdict
	BUDGET+="| $1 | $2 | $3 |"$'\n'
}

H=$(g headline)
HL=$(g "label.$H" | tr _ ' ')
# ratios over every keep-alive scenario: the worst one counts as well as the headline
extreme() { # "<" (smallest) or ">" (largest), numerator-target denominator-target key -> "ratio scenario"
	local k sc r best="" bsc=""
	for k in "${!V[@]}"; do
		case $k in "$4".ka-*."$2") ;; *) continue ;; esac
		sc=${k#"$4".}; sc=${sc%."$2"}
		r=$(ratio "${V[$k]}" "$(g "$4.$sc.$3")")
		num "$r" || continue
		if [ -z "$best" ] || awk -v a="$r" -v b="$best" "BEGIN { exit !(a $1 b) }"; then best=$r; bsc=$sc; fi
	done
	echo "${best:-n/a} ${bsc:--}"
}
worst() { extreme "<" "$@"; } # for rates
most() { extreme ">" "$@"; }  # for costs

r=$(ratio "$(g "rps.$H.pinfold")" "$(g "rps.$H.haproxy")")
budget "plaintext req/s >= 1.05x HAProxy ($HL)" "$r ($(g "rps.$H.pinfold") vs $(g "rps.$H.haproxy") req/s)" "$(check "$r" ">=" 1.05)"
read -r r sc <<<"$(worst pinfold haproxy rps)"
budget "... in the worst keep-alive scenario" "$r ($(g "label.$sc" | tr _ ' '))" "$(check "$r" ">=" 1.05)"
r=$(ratio "$(g "rps.$H.pinfold")" "$(g "rps.$H.direct")")
budget "plaintext req/s >= 0.92x direct ($HL)" "$r ($(g "rps.$H.pinfold") vs $(g "rps.$H.direct") req/s)" "$(check "$r" ">=" 0.92)"
read -r r sc <<<"$(worst pinfold direct rps)"
budget "... in the worst keep-alive scenario" "$r ($(g "label.$sc" | tr _ ' '))" "$(check "$r" ">=" 0.92)"
r=$(ratio "$(g "cpu10k.$H.pinfold")" "$(g "cpu10k.$H.haproxy")")
budget "CPU per request <= HAProxy's ($HL)" "$r ($(g "cpu10k.$H.pinfold") vs $(g "cpu10k.$H.haproxy") CPU-s per 10k)" "$(check "$r" "<=" 1.00)"
read -r r sc <<<"$(most pinfold haproxy cpu10k)"
budget "... in the worst keep-alive scenario" "$r ($(g "label.$sc" | tr _ ' '))" "$(check "$r" "<=" 1.00)"
v=$(g rss.idle.x86_64.none)
if num "$v"; then
	budget "idle RSS <= 1 MiB (no TLS: PINFOLD_TLS=none build)" "$v KiB" "$(check "$v" "<=" 1024)"
else
	v=$(g rss.idle.pinfold)
	budget "idle RSS <= 1 MiB (no TLS configured; binary built with $(g pinfold.tls | tr _ ' '))" "$v KiB" "$(check "$v" "<=" 1024)"
fi
v=$(g rss.idle.x86_64-musl.none)
num "$v" && budget "idle RSS <= 1 MiB (no TLS: static musl build, the router's C library)" "$v KiB" "$(check "$v" "<=" 1024)"
v=$(g tls.rss.start.pinfold)
budget "idle RSS <= 2 MiB (TLS: two certificates loaded)" "$v KiB" "$(check "$v" "<=" 2048)"
v=$(g rss.idle.x86_64-musl.mbedtls)
num "$v" && budget "idle RSS <= 2 MiB (TLS, two certificates: static musl build with mbedTLS)" "$v KiB" "$(check "$v" "<=" 2048)"
v=$(g conn.bytes.pinfold)
budget "<= 2 KiB per idle plaintext keep-alive connection" "$v B (RssAnon $(g conn.anonbytes.pinfold) B)" "$(check "$v" "<=" 2048)"
v=$(g tls.conn.kib.pinfold)
budget "<= 40 KiB per TLS connection" "$v KiB (RssAnon $(g tls.conn.anonkib.pinfold) KiB)" "$(check "$v" "<=" 40)"
for k in $(printf '%s\n' "${!V[@]}" | grep '^size\.' | sort); do
	v=${V[$k]}; a=${k#size.}
	m="n/a"
	num "$v" && m="$v B ($(awk -v b="$v" 'BEGIN { printf "%.1f", b / 1024 }') KiB)"
	case ${V[sizebuild.$a]:-} in *given*) m="$m, **not a size build**: \$PINFOLD as given" ;; esac
	t=${a#*.}
	case $t in
	*-min) f="every feature option OFF" ;;
	*) f="default features" ;;
	esac
	case $a in x86_64-musl.*) f="$f; static: the C library, libcrypt and any mbedTLS inside" ;; esac
	budget "stripped binary <= 100 KiB (${a%%.*}, TLS ${t%-min}, $f)" "$m" "$(check "$v" "<=" 102400)"
done
v=$(g lat.addedp99.pinfold)
budget "added p99 <= 100 us at half load ($(g lat.rate) req/s)" "$v us (p99 $(g lat.p99.pinfold) vs direct $(g lat.p99.direct) us)" "$(check "$v" "<=" 100)"

# ---- disturbed? ------------------------------------------------------------------------------------------
# Each part marks its section when other work kept the CPUs busy before it started, and
# run.sh gives, per scenario, the most CPU other processes used during a run.
DISTURBED=""
OTHER_MAX=$(g other.max)
if grep -q '\*\*warning' "$OUT/plain.md" ${TLSBASE:+"$TLSBASE.md"} 2>/dev/null || [ "$OTHER_MAX" -gt 10 ]; then
	DISTURBED="**The machine was busy with other work during this run (up to ${OTHER_MAX}% of a CPU during a plain-HTTP run): the figures below are disturbed and not comparable (see each section).**"
fi
[ "$QUICK" = 1 ] && DISTURBED="**Quick smoke run: one short round per scenario, for checking that the suite works; do not quote these figures.** $DISTURBED"

# ---- plot: req/s per target per scenario ------------------------------------------------------------
PLOT=$OUT/latest.png
NROWS=$(grep -vc '^#' "$OUT/plain.dat")
PLOTNOTE=$MODE
[ -n "$DISTURBED" ] && PLOTNOTE="$PLOTNOTE; DISTURBED: machine busy"
gnuplot >"$OUT/gnuplot.log" 2>&1 <<EOF || echo "bench-all: warning: gnuplot failed ($OUT/gnuplot.log)" >&2
set terminal pngcairo size 1000,560 font ",10"
set output "$PLOT"
set title "pinfold benchmark: requests/s per target and scenario, $(date -u '+%Y-%m-%d')\n$PLOTNOTE" noenhanced
set xrange [-0.6:$NROWS - 0.4]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "requests/s (median)"
set yrange [0:*]
set grid ytics
set key top right
set xtics noenhanced
plot "$OUT/plain.dat" using 2:xtic(1) title "nginx direct", \
     "" using 3 title "pinfold", \
     "" using 4 title "HAProxy (nbthread 1)", \
     "" using 5 title "nginx proxy (1 worker)"
EOF
[ -s "$PLOT" ] || echo "bench-all: warning: no plot written" >&2
[ -s "$OUT/gnuplot.log" ] || rm -f "$OUT/gnuplot.log"

# ---- the report --------------------------------------------------------------------------------------
ELAPSED=$(( $(date +%s) - START ))
{
	cat <<EOF
# pinfold benchmark

$(date -u '+%Y-%m-%d %H:%M UTC'), $MODE, \`test/bench/all.sh\` in $((ELAPSED / 60)) min $((ELAPSED % 60)) s,
$(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), loopback only.
$DISTURBED

Every figure is a median over alternating rounds; ratios stand next to the absolute values.
Plot: [$(basename "$PLOT")]($(basename "$PLOT")).

## Budgets

| goal | measured | met? |
|---|---|---|
$BUDGET
EOF
	cat "$OUT/plain.md"
	echo
	if [ -n "$TLSBASE" ] && [ -f "$TLSBASE.md" ]; then
		cat "$TLSBASE.md"
	else
		echo "## TLS"
		echo
		echo "Not measured: $PINFOLD has no TLS backend, or BENCH_TLS=0."
	fi
	echo
	cat "$OUT/size.md"
} >"$OUT/latest.md"
echo "bench-all: report $OUT/latest.md, plot $PLOT (${ELAPSED} s)" >&2
exit 0
