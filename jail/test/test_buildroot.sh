#!/bin/sh
# jail/test/test_buildroot.sh [BINARY] - the Buildroot external tree (jail/buildroot) read
# as Buildroot would, without Buildroot (not available here): the BR2_EXTERNAL files, the
# package's Config.in and pinfold.mk (cmake-package, local site method at the top of this
# repository, the version CMake has, the uthash hash, the TLS backend), and the init script
# it installs (jail/S50pinfold) in Buildroot's convention: DAEMON, PIDFILE
# "/var/run/$DAEMON.pid", S<nn><daemon>, tabs.  jail/test/test_jail.sh runs that script
# under busybox against the real binary.  Exit 77 without shellcheck.
# shellcheck disable=SC2016  # sh -c snippets take their values as arguments
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
br=$top/jail/buildroot
pkg=$br/package/pinfold
mk=$pkg/pinfold.mk
init=$top/jail/S50pinfold
command -v shellcheck >/dev/null || {
	echo "SKIP: shellcheck not installed"
	exit 77
}

npass=0
nfail=0
check() { # description command...
	desc=$1
	shift
	if "$@"; then
		npass=$((npass + 1))
		echo "ok - $desc"
	else
		nfail=$((nfail + 1))
		echo "not ok - $desc"
	fi
}
mkvar() { # NAME: the value of NAME = ... in pinfold.mk
	sed -n "s/^$1 = //p" "$mk" | head -n1
}

# ---- BR2_EXTERNAL ----------------------------------------------------------------------
check "external.desc names the tree PINFOLD" grep -qx 'name: PINFOLD' "$br/external.desc"
check "Config.in sources the package's" \
	grep -qxF 'source "$BR2_EXTERNAL_PINFOLD_PATH/package/pinfold/Config.in"' "$br/Config.in"
check "external.mk includes the packages' .mk" \
	grep -qF '$(BR2_EXTERNAL_PINFOLD_PATH)/package/*/*.mk' "$br/external.mk"

# ---- the package ------------------------------------------------------------------------
check "pinfold.mk: cmake-package" grep -qx '$(eval $(cmake-package))' "$mk"
check "pinfold.mk: local site method" test "$(mkvar PINFOLD_SITE_METHOD)" = local
site=$(mkvar PINFOLD_SITE | sed "s|\$(BR2_EXTERNAL_PINFOLD_PATH)|$br|")
check "PINFOLD_SITE is this repository's top (CMakeLists.txt, core/, platform/)" sh -c \
	'[ "$(cd "$1" && pwd)" = "$2" ] && [ -f "$2/CMakeLists.txt" ] && [ -d "$2/core" ]' sh "$site" "$top"
check "PINFOLD_VERSION = CMake's project version" test "$(mkvar PINFOLD_VERSION)" = \
	"$(sed -n 's/^project(pinfold VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")"
check "PINFOLD_LICENSE set" test -n "$(mkvar PINFOLD_LICENSE)"
check "uthash: the extra download is in pinfold.hash" sh -c \
	'grep -q "^sha256  [0-9a-f]\{64\}  uthash.h$" "$1"' sh "$pkg/pinfold.hash"
if [ -f /usr/include/uthash.h ] && dpkg-query -W -f='${Version}' uthash-dev 2>/dev/null | grep -q '^2\.3\.0'; then
	check "uthash: the hash is that of uthash 2.3.0 (Debian's uthash-dev)" test \
		"$(awk '$1 == "sha256" { print $2 }' "$pkg/pinfold.hash")" = "$(sha256sum /usr/include/uthash.h | cut -d' ' -f1)"
fi
check "uthash: same version and hash as the OpenWrt feed" sh -c \
	'grep -q "^UTHASH_VERSION:=$2$" "$1/openwrt/Makefile" &&
	grep -q "HASH:=$(awk "\$1 == \"sha256\" { print \$2 }" "$3")" "$1/openwrt/Makefile"' \
	sh "$top" "$(mkvar PINFOLD_UTHASH_VERSION)" "$pkg/pinfold.hash"
check "TLS: mbedTLS, else OpenSSL, else none" sh -c '
	tr -d "\t" <"$1" | tr "\n" " " | grep -q "ifeq (\$(BR2_PACKAGE_MBEDTLS),y) PINFOLD_DEPENDENCIES += mbedtls PINFOLD_CONF_OPTS += -DPINFOLD_TLS=mbedtls else ifeq (\$(BR2_PACKAGE_OPENSSL),y) PINFOLD_DEPENDENCIES += openssl PINFOLD_CONF_OPTS += -DPINFOLD_TLS=openssl else PINFOLD_CONF_OPTS += -DPINFOLD_TLS=none endif"' \
	sh "$mk"
check "no tests, fuzzers or -Werror in the target build" sh -c \
	'for o in TESTS FUZZ WERROR; do grep -q -- "-DPINFOLD_$o=OFF" "$1" || exit 1; done' sh "$mk"
# Every BR2_PACKAGE_PINFOLD_* option of Config.in is used by pinfold.mk, and the other way.
sed -n 's/^config \(BR2_PACKAGE_PINFOLD_[A-Z_]*\)$/\1/p' "$pkg/Config.in" | sort >"${TMPDIR:-/tmp}/br.opts.$$"
grep -o 'BR2_PACKAGE_PINFOLD_[A-Z_]*' "$mk" | sort -u >"${TMPDIR:-/tmp}/br.used.$$"
check "Config.in options = those pinfold.mk reads" cmp -s "${TMPDIR:-/tmp}/br.opts.$$" "${TMPDIR:-/tmp}/br.used.$$"
rm -f "${TMPDIR:-/tmp}/br.opts.$$" "${TMPDIR:-/tmp}/br.used.$$"
check "the CMake options pinfold.mk sets exist" sh -c '
	for o in $(grep -o "\-DPINFOLD_[A-Z_]*=" "$1" | sed "s/^-D//; s/=$//" | sort -u); do
		grep -q "$o" "$2" || { echo "unknown CMake option $o" >&2; exit 1; }
	done' sh "$mk" "$top/CMakeLists.txt"
tab=$(printf '\t')
check "Config.in: help text indented with a tab and two spaces" sh -c \
	'sed -n "/^$2help$/,/^$/p" "$1" | sed "1d;\$d" | grep -v "^$2  " | grep -q . && exit 1 || exit 0' \
	sh "$pkg/Config.in" "$tab"
check "installs the init script and mkjail.sh of jail/" sh -c \
	'grep -q "\$(@D)/jail/S50pinfold \$(TARGET_DIR)/etc/init.d/S50pinfold" "$1" &&
	grep -q "\$(@D)/jail/mkjail.sh" "$1" && [ -x "$2/jail/S50pinfold" ] && [ -f "$2/jail/mkjail.sh" ]' \
	sh "$mk" "$top"
check "installs a sample config that exists" sh -c \
	'grep -q "\$(@D)/configs/demo.cfg" "$1" && [ -f "$2/configs/demo.cfg" ]' sh "$mk" "$top"
check "PINFOLD_USERS: the pinfold user and group" sh -c \
	'sed -n "/^define PINFOLD_USERS/,/^endef/p" "$1" | grep -q "^	pinfold -1 pinfold -1 \* - - - "' sh "$mk"
check ".mk indented with tabs in defines" sh -c \
	'sed -n "/^define /,/^endef/p" "$1" | grep -v "^define \|^endef" | grep -q "^ " && exit 1 || exit 0' sh "$mk"

# ---- the init script, in Buildroot's convention ------------------------------------------
check "S50pinfold: DAEMON=\"pinfold\"" grep -qx 'DAEMON="pinfold"' "$init"
check "S50pinfold: PIDFILE=\"/var/run/\$DAEMON.pid\"" grep -qx 'PIDFILE="/var/run/$DAEMON.pid"' "$init"
check "S50pinfold: file named S<nn>\$DAEMON" test "$(basename "$init" | sed 's/^S[0-9][0-9]//')" = \
	"$(sed -n 's/^DAEMON="\(.*\)"$/\1/p' "$init")"
check "S50pinfold: indented with tabs only" sh -c '! grep -q "^ " "$1"' sh "$init"
check "S50pinfold: reads /etc/default/\$DAEMON" grep -q '/etc/default/\$DAEMON' "$init"
check "S50pinfold: start|stop|restart|reload dispatched by name, usage exits 1" sh -c '
	grep -q "^start | stop | restart | reload | status | check)$" "$1" && grep -q "^	\"\$1\"$" "$1" &&
	grep -q "^	exit 1$" "$1"' sh "$init"
check "S50pinfold: shellcheck" shellcheck "$init"
check "S50pinfold: unknown action -> usage, exit 1" sh -c \
	'out=$(PINFOLD_DEFAULTS=/nonexistent busybox sh "$1" frobnicate 2>&1); rc=$?; [ "$rc" = 1 ] && case $out in Usage:*) ;; *) exit 1;; esac' \
	sh "$init"

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
