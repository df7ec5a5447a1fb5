#!/bin/sh
# pfsense/test/test_pfsense.sh BINARY - everything of pfsense/ that can be checked on
# Linux.  This machine has no FreeBSD (no bsd.port.mk, no rc.subr, no pfSense PHP), so:
#   - the port and the package: required variables, plists against the files and the
#     install rules, the service registered consistently (info.xml, pinfold.xml, the rc
#     script pfSense runs ends in .sh), XML well-formed, PHP syntax (php -l), shellcheck;
#   - pinfold_gen.inc (settings -> config) run by php-cli, its output checked by the real
#     `pinfold -c` (test_gen.php);
#   - pinfold.inc and the package's rc script under stand-ins of pfSense's PHP functions
#     (stubs/, real signatures): the certificate select of pinfold.xml, the
#     plugin_certificates hook, a real certificate written and renewed, reload refusing
#     broken settings (test_pkg.php);
#   - the port's rc.d script (pinfold.in) run under a stand-in for rc.subr against the real
#     binary: onestart (pinfold detaches, writes its pid file, chroots, drops to nobody),
#     onestatus, onereload (SIGHUP), oneconfigtest, the enable knob, onestop;
#   - platform/ and core/ read as FreeBSD would (unifdef -U__linux__ -D__FreeBSD__): no
#     Linux-only call or header left outside an #ifdef.
# Exit 77 (skipped) without shellcheck, php, python3, unifdef, curl or openssl, or when not
# root.
# shellcheck disable=SC2016  # sh -c snippets take their values as arguments
set -eu
# PFTEST_SLOW (the tests' one factor for a slow or loaded machine) stretches every bounded
# wait below; a whole number here, rounded up
slow=$(awk -v s="${PFTEST_SLOW:-1}" 'BEGIN { s += 0; if (s < 1) s = 1; printf "%d", s + 0.999 }')

bin=${1:?usage: test_pfsense.sh PINFOLD_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
pf=$(cd "$here/.." && pwd)
top=$(cd "$pf/.." && pwd)
port=$pf/port
pkg=$pf/pfSense-pkg-pinfold
for tool in shellcheck php python3 unifdef curl openssl; do
	command -v "$tool" >/dev/null || {
		echo "SKIP: $tool not installed"
		exit 77
	}
done
[ "$(id -u)" -eq 0 ] || {
	echo "SKIP: needs root (the daemon chroots and drops privileges)"
	exit 77
}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

T=$(mktemp -d "${TMPDIR:-/tmp}/pinfold-pfsense.XXXXXX")
chmod 755 "$T"
bepid=""
cleanup() {
	if [ -s "$T/pinfold.pid" ]; then
		kill -KILL "$(cat "$T/pinfold.pid")" 2>/dev/null || true
	fi
	[ -z "$bepid" ] || kill "$bepid" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${PINFOLD_EMULATOR:-}" ]; then
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$PINFOLD_EMULATOR" "$bin" >"$T/pinfold-emu"
	chmod 755 "$T/pinfold-emu"
	bin=$T/pinfold-emu
fi

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
has_var() { # Makefile VAR: VAR= is set (to something, or deliberately empty)
	grep -Eq "^$2=" "$1"
}
xml_get() { # file xpath-ish path under the root, e.g. package/service/rcfile
	python3 - "$1" "$2" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
el = root.find(sys.argv[2])
print("" if el is None else (el.text or "").strip())
PY
}

# ---- the port --------------------------------------------------------------------------
for v in PORTNAME DISTVERSION CATEGORIES MASTER_SITES MAINTAINER COMMENT USES USE_RC_SUBR USERS GROUPS \
	BUILD_DEPENDS CMAKE_ARGS; do
	check "port Makefile sets $v" has_var "$port/Makefile" "$v"
done
check "port MAINTAINER is an address" grep -Eq '^MAINTAINER=[[:space:]]+[^#[:space:]]+@[^[:space:]]+$' "$port/Makefile"
check "port COMMENT: short, no article, no final period" sh -c '
	c=$(sed -n "s/^COMMENT=[[:space:]]*//p" "$1")
	[ -n "$c" ] && [ ${#c} -le 70 ] && case $c in A\ * | An\ * | The\ * | *.) exit 1 ;; esac' sh "$port/Makefile"
check "port OPTIONS: one TLS backend, MBEDTLS by default, OPENSSL" sh -c '
	grep -q "^OPTIONS_SINGLE=[[:space:]]*TLS$" "$1" &&
	grep -q "^OPTIONS_SINGLE_TLS=[[:space:]]*MBEDTLS OPENSSL$" "$1" &&
	grep -q "^OPTIONS_DEFAULT=[[:space:]]*MBEDTLS$" "$1" &&
	grep -q "^MBEDTLS_CMAKE_ON=.*-DPINFOLD_TLS=mbedtls" "$1" &&
	grep -q "^OPENSSL_CMAKE_ON=.*-DPINFOLD_TLS=openssl" "$1" &&
	grep -q "^MBEDTLS_LIB_DEPENDS=.*security/mbedtls3" "$1" && grep -q "^OPENSSL_USES=.*ssl" "$1" &&
	for o in TLS MBEDTLS OPENSSL; do grep -q "^${o}_DESC=" "$1" || exit 1; done' sh "$port/Makefile"
check "port: no TLS choice left outside OPTIONS" sh -c '! grep -q "^CMAKE_ARGS=.*PINFOLD_TLS" "$1"' sh "$port/Makefile"
check "port USERS/GROUPS: the pinfold the package's PHP and rc.d use" sh -c '
	grep -q "^USERS=[[:space:]]*pinfold$" "$1" && grep -q "^GROUPS=[[:space:]]*pinfold$" "$1" &&
	grep -q "PINFOLD_USER. => .pinfold." "$2"' sh "$port/Makefile" "$pkg/files/usr/local/pkg/pinfold.inc"
check "port Makefile ends with bsd.port.mk" sh -c 'tail -n1 "$1" | grep -qx ".include <bsd.port.mk>"' \
	sh "$port/Makefile"
rcname=$(sed -n 's/^USE_RC_SUBR=[[:space:]]*//p' "$port/Makefile")
check "USE_RC_SUBR=$rcname has files/$rcname.in" test -f "$port/files/$rcname.in"
check "SUB_FILES have their .in" sh -c 'for f in $(sed -n "s/^SUB_FILES=[[:space:]]*//p" "$1/Makefile"); do
	[ -f "$1/files/$f.in" ] || exit 1; done' sh "$port"
rcsrc=$port/files/pinfold.in
check "rc.d: rcvar=pinfold_enable" grep -qx 'rcvar=pinfold_enable' "$rcsrc"
check "rc.d: pinfold_enable defaults to NO" grep -q ': "${pinfold_enable:=NO}"' "$rcsrc"
check "rc.d: pinfold_config" grep -q ': "${pinfold_config:=%%PREFIX%%/etc/pinfold/pinfold.cfg}"' "$rcsrc"
check "rc.d: extra_commands reload configtest" grep -qx 'extra_commands="reload configtest"' "$rcsrc"
check "rc.d: PROVIDE/REQUIRE/KEYWORD header" sh -c 'grep -q "^# PROVIDE: pinfold" "$1" &&
	grep -q "^# REQUIRE:" "$1" && grep -q "^# KEYWORD: shutdown" "$1"' sh "$rcsrc"
check "rc.d script passes shellcheck" shellcheck -s sh "$rcsrc"
check "port plist: both binaries and the sample config" sh -c 'grep -qx "sbin/pinfold" "$1" &&
	grep -qx "sbin/pinfoldctl" "$1" &&
	grep -qx "@sample etc/pinfold/pinfold.cfg.sample" "$1"' sh "$port/pkg-plist"
check "port installs the sample it lists" grep -q 'pinfold.cfg.sample' "$port/Makefile"
check "the sample config exists in the tree" test -f "$top/configs/demo.cfg"
check "CMake installs pinfold into sbin (as the plist says)" \
	grep -q 'install(TARGETS pinfold RUNTIME DESTINATION sbin)' "$top/CMakeLists.txt"
check "CMake installs pinfoldctl into sbin (as the plist says)" \
	grep -q 'install(TARGETS pinfoldctl RUNTIME DESTINATION sbin)' "$top/CMakeLists.txt"
# CMake installs every core/*.5 and core/*.8 under share/man; the ports framework gzips
# them, so each one is a .gz line of the plist, and each man line has its page.
for page in "$top"/core/*.[58]; do
	name=${page##*/}
	check "port plist: share/man/man${name##*.}/$name.gz" \
		grep -qx "share/man/man${name##*.}/$name.gz" "$port/pkg-plist"
done
check "port plist: every man page listed is in core/" sh -c 'for m in $(sed -n "s|^share/man/man[0-9]/||p" "$1"); do
	[ -f "$2/core/${m%.gz}" ] || exit 1; done' sh "$port/pkg-plist" "$top"
check "CMake installs the man pages under share/man (as the plist says)" sh -c \
	'grep -q "DESTINATION share/man/man5)" "$1" && grep -q "DESTINATION share/man/man8)" "$1"' \
	sh "$top/CMakeLists.txt"

# ---- the pfSense package ---------------------------------------------------------------
for v in PORTNAME PORTVERSION CATEGORIES MASTER_SITES DISTFILES MAINTAINER COMMENT RUN_DEPENDS \
	NO_BUILD SUB_FILES; do
	check "package Makefile sets $v" has_var "$pkg/Makefile" "$v"
done
check "package version = port version" test \
	"$(sed -n 's/^PORTVERSION=[[:space:]]*//p' "$pkg/Makefile")" = \
	"$(sed -n 's/^DISTVERSION=[[:space:]]*//p' "$port/Makefile")"
# Every file under files/ (but the pkg-*.in scripts) is in pkg-plist and installed by
# do-install, and every plist entry has its file.
(cd "$pkg/files" && find . -type f ! -name 'pkg-*.in' | sed 's|^\./||' | sort) >"$T/files.list"
sed -e '/^@/d' -e 's|^/||' -e 's|^%%DATADIR%%|usr/local/share/pfSense-pkg-pinfold|' \
	-e '/^usr\//!{/^etc\/inc/!s|^|usr/local/|}' "$pkg/pkg-plist" | sort >"$T/plist.list"
check "package plist = files shipped" cmp -s "$T/files.list" "$T/plist.list"
[ "$nfail" -eq 0 ] || diff "$T/files.list" "$T/plist.list" || true
while read -r f; do
	check "do-install installs $f" grep -q "${f##*/}" "$pkg/Makefile"
done <"$T/files.list"
for x in "$pkg/files/usr/local/pkg/pinfold.xml" \
	"$pkg/files/usr/local/share/pfSense-pkg-pinfold/info.xml"; do
	check "${x##*/} is well-formed XML" python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$x"
done
info=$pkg/files/usr/local/share/pfSense-pkg-pinfold/info.xml
gui=$pkg/files/usr/local/pkg/pinfold.xml
rcfile=$(xml_get "$info" package/service/rcfile)
check "info.xml registers the service pinfold" test "$(xml_get "$info" package/service/name)" = pinfold
check "its rc script ends in .sh ($rcfile)" sh -c 'case $1 in *.sh) ;; *) exit 1;; esac' sh "$rcfile"
check "the package ships that rc script" test -x "$pkg/files/usr/local/etc/rc.d/$rcfile"
check "pinfold.xml registers the same service" test \
	"$(xml_get "$gui" service/name):$(xml_get "$gui" service/rcfile):$(xml_get "$gui" service/executable)" = \
	"pinfold:$rcfile:pinfold"
check "info.xml names pinfold.xml" test "$(xml_get "$info" package/configurationfile)" = pinfold.xml
check "pinfold.xml hooks exist in pinfold.inc" sh -c '
	for f in $(grep -o "<custom_php_[a-z_]*_command>[a-z_]*(" "$1" | sed "s/.*>//; s/(//"); do
		grep -q "^function $f(" "$2" || exit 1
	done' sh "$gui" "$pkg/files/usr/local/pkg/pinfold.inc"
check "rc script and pinfold.inc agree on the config path" sh -c '
	grep -q "^cfg=\${PINFOLD_PKG_CFG:-/var/etc/pinfold/pinfold.cfg}$" "$1" &&
	grep -q "PINFOLD_DIR . .\/pinfold.cfg." "$2" &&
	grep -q "PINFOLD_DIR. => ./var/etc/pinfold.," "$2"' sh \
	"$pkg/files/usr/local/etc/rc.d/pinfold.sh" "$pkg/files/usr/local/pkg/pinfold.inc"
check "the .sh rc script runs the port's with one* commands" sh -c '
	grep -q "exec env pinfold_config=\"\$cfg\" pinfold_jail=\"\$jail\" " "$1" &&
	grep -q "\"\$rc\" \"one\$1\"" "$1"' sh "$pkg/files/usr/local/etc/rc.d/pinfold.sh"
check "the settings page's jail fields reach the rc script" sh -c '
	grep -q "<fieldname>jail</fieldname>" "$1" && grep -q "<fieldname>jailaddrs</fieldname>" "$1" &&
	grep -q "\$s\[\"jail\"\]" "$2" && grep -q "\$s\[\"jailaddrs\"\]" "$2"' sh \
	"$gui" "$pkg/files/usr/local/etc/rc.d/pinfold.sh"
for s in "$pkg/files/usr/local/etc/rc.d/pinfold.sh" "$pkg/files/pkg-install.in" \
	"$pkg/files/pkg-deinstall.in"; do
	check "${s##*/} passes shellcheck" shellcheck -s sh "$s"
done
for p in "$pkg"/files/usr/local/pkg/*.inc "$pkg"/files/etc/inc/priv/*.inc "$here/test_gen.php" \
	"$here/test_pkg.php" "$here/tap.inc" "$here"/stubs/*.inc; do
	check "php -l ${p##*/}" php -l "$p" >/dev/null
done

# ---- settings -> config, checked by pinfold ---------------------------------------------
group=$(id -gn nobody)
hport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
beport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0)); print(s.getsockname()[1])')
# The jail is the config's directory, as pkg-message advises: a reload re-reads it inside.
jail=$T/prefix/etc/pinfold
mkdir -p "$jail" "$T/www"
if php "$here/test_gen.php" "$bin" "$T" nobody "$group" "$jail" "$hport" "$beport" >"$T/gen.out"; then
	check "pinfold_gen.inc: $(tail -n1 "$T/gen.out")" true
else
	grep -v '^ok' "$T/gen.out" || true
	check "pinfold_gen.inc: $(tail -n1 "$T/gen.out")" false
fi

# ---- the package's PHP (certificate select, plugin_certificates, rc regeneration) -------
# Two ECDSA P-256 certificates: the one in the certificate manager, and its renewal.
for n in 1 2; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=ha.example.org" -keyout "$T/key$n.pem" -out "$T/crt$n.pem" 2>/dev/null
done
mkdir -p "$T/pkg"
if php "$here/test_pkg.php" "$bin" "$T/pkg" nobody "$group" "$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')" \
	"$beport" "$T/crt1.pem" "$T/key1.pem" "$T/crt2.pem" "$T/key2.pem" >"$T/pkg.out" 2>&1; then
	check "package PHP: $(tail -n1 "$T/pkg.out")" true
else
	grep -v '^ok' "$T/pkg.out" || true
	check "package PHP: $(tail -n1 "$T/pkg.out")" false
fi

# ---- the port's rc.d script, under an rc.subr stand-in, with the real daemon -----------
mkdir -p "$T/prefix/sbin" "$T/rc.d"
ln -s "$bin" "$T/prefix/sbin/pinfold"
cp "$T/gui.cfg" "$T/prefix/etc/pinfold/pinfold.cfg"
sed -e "s|%%PREFIX%%|$T/prefix|g" -e "s|^\\. /etc/rc.subr$|. $here/rc.subr|" "$rcsrc" \
	>"$T/rc.d/pinfold"
printf 'pinfold_pidfile="%s"\n' "$T/pinfold.pid" >"$T/rc.conf"
echo "hello from behind pfSense" >"$T/www/index.txt"
python3 -m http.server --bind 127.0.0.2 --directory "$T/www" "$beport" >"$T/be.log" 2>&1 &
bepid=$!
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
rc() {
	env RC_CONF="$T/rc.conf" sh "$T/rc.d/pinfold" "$1" >"$T/rc.out" 2>&1
}
serves() { # [host]
	[ "$(curl -s --max-time $((5 * slow)) -H "Host: ${1:-ha.example.org}" "http://127.0.0.1:$hport/index.txt")" = \
		"hello from behind pfSense" ]
}
not_serves() {
	! serves "$@"
}
i=0
until curl -s -o /dev/null "http://127.0.0.2:$beport/" || [ $i -ge $((100 * slow)) ]; do
	i=$((i + 1))
	sleep 0.1
done

rc start || true
check "start without pinfold_enable does nothing" grep -q "Set pinfold_enable to YES" "$T/rc.out"
check "oneconfigtest" rc oneconfigtest
check "onestart" rc onestart
[ "$nfail" -eq 0 ] || cat "$T/rc.out"
i=0
until [ -s "$T/pinfold.pid" ] || [ $i -ge $((100 * slow)) ]; do
	i=$((i + 1))
	sleep 0.1
done
pid=$(cat "$T/pinfold.pid" 2>/dev/null || echo none)
check "pinfold detached and wrote its pid file" test -d "/proc/$pid"
check "chrooted into RootJail" test "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$jail"
check "running as nobody" test "$(awk '$1 == "Uid:" { print $3 }' "/proc/$pid/status" 2>/dev/null)" = \
	"$(id -u nobody)"
i=0
until serves || [ $i -ge $((50 * slow)) ]; do
	i=$((i + 1))
	sleep 0.1
done
check "serves the host from the settings" serves
check "onestatus" rc onestatus
check "onestatus names the pid" grep -q "running as pid $pid" "$T/rc.out"
sed 's/ha[.]example[.]org/ha2.example.org/' "$T/gui.cfg" >"$jail/pinfold.cfg"
check "onereload" rc onereload
i=0
until serves ha2.example.org || [ $i -ge $((50 * slow)) ]; do
	i=$((i + 1))
	sleep 0.1
done
check "after reload: the new config is served (read inside the jail)" serves ha2.example.org
check "after reload: the old host is gone" not_serves ha.example.org
check "after reload: same process" test -d "/proc/$pid"
printf 'NoSuchThing 1\n' >>"$jail/pinfold.cfg"
if rc onereload; then st=0; else st=$?; fi
check "onereload refuses a broken config" test "$st" != 0
check "... and pinfold goes on" serves ha2.example.org
cp "$T/gui.cfg" "$jail/pinfold.cfg"
check "onestop" rc onestop
check "stopped" sh -c '! [ -d "/proc/$1" ] || grep -q ") Z " "/proc/$1/stat"' sh "$pid"
if rc onestatus; then st=0; else st=$?; fi
check "onestatus after stop: not running" test "$st" = 1

# ---- jail mode: the same rc script with pinfold_jail=YES ---------------------------------
# jail(8) is a stand-in (pfsense/test/jail) and so is the daemon: jail_attach(2) is FreeBSD's,
# so here a stub records its command line and sleeps; the real binary is only asked to refuse
# -J off FreeBSD.
mkdir -p "$T/jprefix/sbin" "$T/jbin"
cp "$here/jail" "$T/jbin/jail"
cat >"$T/jprefix/sbin/pinfold" <<'STUB'
#!/bin/sh
[ "$1" = -c ] && exit 0
echo "$*" >"$JAIL_STANDIN_LOG.daemon"
while [ $# -gt 0 ]; do [ "$1" = -p ] && pf=$2; shift; done
sleep 30 &
echo $! >"$pf"
STUB
chmod +x "$T/jprefix/sbin/pinfold"
sed -e "s|%%PREFIX%%/sbin|$T/jprefix/sbin|g" -e "s|%%PREFIX%%|$T/prefix|g" \
	-e "s|^\\. /etc/rc.subr$|. $here/rc.subr|" "$rcsrc" >"$T/rc.d/pinfold-jail"
printf 'pinfold_pidfile="%s"\npinfold_jail=YES\n' "$T/jpinfold.pid" >"$T/jrc.conf"
export JAIL_STANDIN_LOG="$T/jail.log"
jrc() {
	env PATH="$T/jbin:$PATH" RC_CONF="$T/jrc.conf" sh "$T/rc.d/pinfold-jail" "$1" >"$T/rc.out" 2>&1
}
check "jail mode: onestart" jrc onestart
check "jail(8) -i -c with the RootJail as path" grep -q "^jail -i -c name=pinfold path=$jail " "$T/jail.log"
for p in ip4.addr=127.0.0.1 ip6=disable allow.raw_sockets=0 securelevel=3 children.max=0 \
	enforce_statfs=2 persist; do
	check "jail(8) gets $p" grep -qE "^jail -i -c .* $p( |\$)" "$T/jail.log"
done
check "the daemon is told the jid (-J 7)" grep -qE -- "-J 7\$" "$T/jail.log.daemon"
check "jail mode: onestop" jrc onestop
check "onestop removes the jail (jail -r pinfold)" sh -c 'grep -qx "jail -r pinfold" "$1" &&
	! grep -qx pinfold "$1.jails"' sh "$T/jail.log"
sed '/^[[:space:]]*RootJail/d' "$T/gui.cfg" >"$T/prefix/etc/pinfold/nojail.cfg"
printf 'pinfold_config="%s"\n' "$T/prefix/etc/pinfold/nojail.cfg" >>"$T/jrc.conf"
if jrc onestart; then st=0; else st=$?; fi
check "jail mode without RootJail: start refused" test "$st" != 0
check "... saying why" grep -q "pinfold_jail needs RootJail" "$T/rc.out"
if "$bin" -J 7 -F -e -f "$T/gui.cfg" >"$T/j.out" 2>&1; then st=0; else st=$?; fi
check "the real pinfold refuses -J where there are no FreeBSD jails" sh -c \
	'test "$1" = 1 && grep -q "FreeBSD jails are not available" "$2"' sh "$st" "$T/j.out"

# ---- platform/ and core/ as FreeBSD sees them --------------------------------------------
linux_only='\b(prctl|epoll_[a-z0-9_]+|signalfd|timerfd_[a-z0-9_]+|eventfd|inotify_[a-z0-9_]+|splice|'
linux_only=$linux_only'TCP_DEFER_ACCEPT|TCP_CORK|MSG_MORE|SOL_TCP|IP_FREEBIND|IP_TRANSPARENT|'
linux_only=$linux_only'PR_SET_[A-Z_]+|program_invocation_(short_)?name|__GLIBC__)\b|/proc/|'
linux_only=$linux_only'<(sys/prctl|sys/epoll|sys/sendfile|sys/signalfd|sys/timerfd|linux/[a-z_/]+|'
linux_only=$linux_only'features|byteswap|malloc|alloca|mntent|error|sys/sysmacros)\.h>'
: >"$T/bsd.hits"
for f in "$top"/platform/*.c "$top"/platform/*.h "$top"/core/*.c "$top"/core/*.h; do
	# comments may name Linux calls: a comment at the end of a line is cut off first
	unifdef -U__linux__ -D__FreeBSD__ -UPINFOLD_LINUX "$f" 2>/dev/null |
		sed 's|/\*.*\*/||g' |
		grep -nE "$linux_only" | grep -vE '^[0-9]+:\s*(/?\*|//)' |
		sed "s|^|${f#"$top"/}:|" >>"$T/bsd.hits" || true
done
check "no Linux-only call or header outside #ifdef __linux__ (platform/, core/)" \
	test ! -s "$T/bsd.hits"
[ ! -s "$T/bsd.hits" ] || cat "$T/bsd.hits"

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
