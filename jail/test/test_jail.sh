#!/bin/sh
# jail/test/test_jail.sh BINARY - jail/S50pinfold and jail/mkjail.sh with the real
# busybox (Debian's busybox-static) against the real pinfold, as root.
#
# The scripts run under `busybox sh` with a PATH holding nothing but busybox's applets,
# as on a busybox-only system: start (jail built, chrooted, unprivileged, serving), start
# again (no second copy), status, reload (SIGHUP: same process, still serving), restart,
# stop (gone, pid file removed), a broken config (refused, nothing started), and mkjail.sh
# run twice (nothing changes) and after tampering (modes put back).
# Exit 77 (skipped) when not root or without busybox, curl or python3.
# shellcheck disable=SC2016  # sh -c snippets take their values as arguments
set -eu
# PFTEST_SLOW (the tests' one factor for a slow or loaded machine) stretches every bounded
# wait below; a whole number here, rounded up
slow=$(awk -v s="${PFTEST_SLOW:-1}" 'BEGIN { s += 0; if (s < 1) s = 1; printf "%d", s + 0.999 }')

bin=${1:?usage: test_jail.sh PINFOLD_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
jaildir=$(cd "$here/.." && pwd)
[ "$(id -u)" -eq 0 ] || {
	echo "SKIP: needs root (chroot, setuid)"
	exit 77
}
for tool in busybox curl python3; do
	command -v "$tool" >/dev/null || {
		echo "SKIP: $tool not installed"
		exit 77
	}
done
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

T=$(mktemp -d "${TMPDIR:-/tmp}/pinfold-jail.XXXXXX")
chmod 755 "$T"
bepid=""
cleanup() {
	if [ -s "$T/run/pinfold.pid" ]; then
		kill -KILL "$(cat "$T/run/pinfold.pid")" 2>/dev/null || true
	fi
	[ -z "$bepid" ] || kill "$bepid" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Only busybox: its applets as the whole PATH.
mkdir -p "$T/bb" "$T/run"
busybox --install -s "$T/bb"
BB_PATH=$T/bb

group=$(id -gn nobody)
uid=$(id -u nobody)
gid=$(getent group "$group" | cut -d: -f3)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
beport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0)); print(s.getsockname()[1])')
mkdir -p "$T/www"
echo "behind the jail" >"$T/www/index.txt"
python3 -m http.server --bind 127.0.0.2 --directory "$T/www" "$beport" >"$T/be.log" 2>&1 &
bepid=$!

printf 'not a real key\n' >"$T/site.pem"
chmod 600 "$T/site.pem"
# The config lives in the jail (root's, read-only to pinfold): a reload re-reads it there.
mkdir -p "$T/jail"
cat >"$T/jail/pinfold.cfg" <<CFG
User "nobody"
Group "$group"
RootJail "$T/jail"
LogLevel 1
ListenHTTP
	Address 127.0.0.1
	Port $port
	Service
		Url "^/old"
		Redirect 301 "http://new.test"
	End
	Service
		BackEnd
			Address 127.0.0.2
			Port $beport
		End
	End
End
CFG
cat >"$T/default" <<DEF
PINFOLD=$bin
CONFIG=$T/jail/pinfold.cfg
PIDFILE=$T/run/pinfold.pid
STOP_TIMEOUT=10
MKJAIL=$jaildir/mkjail.sh
JAIL_ARGS="-u nobody -g $group -c $T/site.pem $T/jail"
DEF

# A jailed ASan build cannot read /proc for its leak check at exit.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

npass=0
nfail=0
check() { # description command...
	d=$1
	shift
	if "$@"; then
		npass=$((npass + 1))
		echo "ok - $d"
	else
		nfail=$((nfail + 1))
		echo "not ok - $d"
	fi
}
init() { # action: run S50pinfold under busybox sh, busybox-only PATH; output in $T/init.out
	env PATH="$BB_PATH" PINFOLD_DEFAULTS="$T/default" \
		busybox sh "$jaildir/S50pinfold" "$1" >"$T/init.out" 2>&1
}
pid() {
	cat "$T/run/pinfold.pid" 2>/dev/null
}
alive() { # pid
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] &&
		[ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]
}
status_ids() { # pid field -> the four ids of Uid:/Gid:
	awk -v f="$2:" '$1 == f { print $2, $3, $4, $5 }' "/proc/$1/status"
}
serves() { # [redirect target]: the proxy answers both services
	[ "$(curl -s --max-time $((5 * slow)) -o /dev/null -w '%{http_code} %{redirect_url}' \
		"http://127.0.0.1:$port/old/x")" = "301 http://${1:-new.test}/old/x" ] &&
		[ "$(curl -s --max-time $((5 * slow)) "http://127.0.0.1:$port/index.txt")" = "behind the jail" ]
}
mode() { # path -> octal mode and uid:gid
	stat -c '%a %u:%g' "$1"
}
wait_for_backend() {
	i=0
	until curl -s -o /dev/null "http://127.0.0.2:$beport/" || [ $i -ge $((100 * slow)) ]; do
		i=$((i + 1))
		sleep 0.1
	done
}
wait_for_backend

check "check: config OK" init check
check "start exits 0" init start
[ "$nfail" -eq 0 ] || cat "$T/init.out"
p1=$(pid)
check "pid file written" test -n "$p1"
check "running" alive "$p1"
check "chrooted into the jail" test "$(readlink "/proc/$p1/root")" = "$T/jail"
check "cwd inside the jail" test "$(readlink "/proc/$p1/cwd")" = "$T/jail"
check "uid nobody (real, effective, saved, fs)" \
	test "$(status_ids "$p1" Uid)" = "$uid $uid $uid $uid"
check "gid $group (all four)" test "$(status_ids "$p1" Gid)" = "$gid $gid $gid $gid"
check "no capabilities left" \
	test "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$p1/status")" = 0000000000000000
check "serves: redirect and backend" serves
check "jail: root-owned, not writable by pinfold" test "$(mode "$T/jail")" = "755 0:0"
check "jail: certs dir for the group only" test "$(mode "$T/jail/certs")" = "750 0:$gid"
check "jail: certificate 0640 root:$group" test "$(mode "$T/jail/certs/site.pem")" = "640 0:$gid"
check "jail: certificate content" cmp -s "$T/site.pem" "$T/jail/certs/site.pem"

check "start again exits 0" init start
check "... says it is already running" grep -q "already running" "$T/init.out"
check "... and keeps the same process" test "$(pid)" = "$p1"
check "status: running" init status
check "... with its pid" grep -q "pid $p1" "$T/init.out"

sed -i 's|"http://new.test"|"http://newer.test"|' "$T/jail/pinfold.cfg"
check "reload exits 0" init reload
i=0
until serves newer.test || [ $i -ge $((50 * slow)) ]; do
	i=$((i + 1))
	sleep 0.1
done
check "reload: the changed config is served (re-read inside the jail)" serves newer.test
check "reload: same process" test "$(pid)" = "$p1"
check "reload: still alive after SIGHUP" alive "$p1"

check "restart exits 0" init restart
p2=$(pid)
check "restart: a new process" test -n "$p2" -a "$p2" != "$p1"
check "restart: the old one is gone" sh -c '! [ -d "/proc/$1" ] || grep -q ") Z " "/proc/$1/stat"' sh "$p1"
check "restart: jailed again" test "$(readlink "/proc/$p2/root")" = "$T/jail"
check "restart: serving" serves newer.test

check "stop exits 0" init stop
check "stop: process gone" sh -c '! [ -d "/proc/$1" ] || grep -q ") Z " "/proc/$1/stat"' sh "$p2"
check "stop: pid file removed" test ! -e "$T/run/pinfold.pid"
check "stop: port closed" sh -c '! curl -s --max-time 2 -o /dev/null "$1"' sh "http://127.0.0.1:$port/"
if init status; then st=0; else st=$?; fi
check "status after stop: 3 (not running)" test "$st" = 3
check "stop again exits 0" init stop

# A broken config: refused with file:line, nothing started.
cp "$T/jail/pinfold.cfg" "$T/good.cfg"
printf 'NoSuchDirective 1\n' >>"$T/jail/pinfold.cfg"
if init start; then st=0; else st=$?; fi
check "broken config: start fails" test "$st" = 1
check "broken config: file:line reported" grep -q "pinfold.cfg:[0-9]" "$T/init.out"
check "broken config: nothing running" test ! -s "$T/run/pinfold.pid"
cp "$T/good.cfg" "$T/jail/pinfold.cfg"

# A reload with a broken config keeps the running one.
init start || true
p3=$(pid)
printf 'NoSuchDirective 1\n' >>"$T/jail/pinfold.cfg"
if init reload; then st=0; else st=$?; fi
check "reload with a broken config fails" test "$st" = 1
check "... and the running pinfold goes on" alive "$p3"
check "... serving" serves newer.test
cp "$T/good.cfg" "$T/jail/pinfold.cfg"
init stop || true

# mkjail.sh: idempotent, and puts modes back.
ls -lnR "$T/jail" >"$T/jail.before"
env PATH="$BB_PATH" busybox sh "$jaildir/mkjail.sh" -u nobody -g "$group" -c "$T/site.pem" \
	"$T/jail" >"$T/mkjail.out" 2>&1
ls -lnR "$T/jail" >"$T/jail.after"
check "mkjail again: nothing changes" cmp -s "$T/jail.before" "$T/jail.after"
check "mkjail again: says nothing" test ! -s "$T/mkjail.out"
chmod 777 "$T/jail"
chmod 644 "$T/jail/certs/site.pem"
env PATH="$BB_PATH" busybox sh "$jaildir/mkjail.sh" -u nobody -g "$group" -c "$T/site.pem" \
	"$T/jail" >"$T/mkjail.out" 2>&1
check "mkjail: jail mode put back" test "$(mode "$T/jail")" = "755 0:0"
check "mkjail: certificate mode put back" test "$(mode "$T/jail/certs/site.pem")" = "640 0:$gid"
check "mkjail: a relative jail is refused" sh -c '! busybox sh "$1" relative/jail 2>/dev/null' sh \
	"$jaildir/mkjail.sh"

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
