#!/bin/bash
# build-mbedtls36.sh PREFIX - build mbedTLS 3.6.x from Debian's trixie source
# package and install it (static libraries and headers only) into PREFIX.
#
# Why: bookworm ships 2.28 and OpenWrt 24.10+ ships 3.6, and pinfold must build
# and pass against both.  The source comes through apt (the only registry that
# is reachable), never copied into our tree.  The trixie deb-src line lives in a
# file of its own for the duration of the run and is removed again, even when
# the build fails, so the machine's package lists end up as they were.
#
# Idempotent: when PREFIX already holds a 3.6 build made by this script, it
# does nothing.  Then: cmake -S . -B build -DPINFOLD_TLS=mbedtls -DMBEDTLS_ROOT=PREFIX
set -euo pipefail

PREFIX=${1:?usage: $0 PREFIX}
STAMP="$PREFIX/.pinfold-mbedtls36"
LIST=/etc/apt/sources.list.d/pinfold-trixie-src.list

if [ -f "$STAMP" ] && [ -f "$PREFIX/include/mbedtls/build_info.h" ] &&
	grep -q '^#define MBEDTLS_VERSION_MAJOR  *3$' "$PREFIX/include/mbedtls/build_info.h" &&
	grep -q '^#define MBEDTLS_VERSION_MINOR  *6$' "$PREFIX/include/mbedtls/build_info.h"; then
	echo "mbedTLS $(cat "$STAMP") already in $PREFIX"
	exit 0
fi

SUDO=
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
fi

# The Debian mirror this machine already uses, so the script names no host of
# its own and works behind whatever mirror or proxy apt is set up for.
mirror() {
	local m
	m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources |
		awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
	if [ -z "$m" ]; then
		m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
			sed 's/\[[^]]*\]//' | awk '{print $2}' | grep -v -- '-security' |
			head -n1 || true)
	fi
	echo "$m"
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mbedtls36.XXXXXX")
LIST_ADDED=0
cleanup() {
	local rc=$?
	if [ "$LIST_ADDED" = 1 ]; then
		$SUDO rm -f "$LIST"
		$SUDO apt-get update -qq || echo "warning: apt-get update after cleanup failed" >&2
	fi
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

MIRROR=$(mirror)
if [ -z "$MIRROR" ]; then
	echo "no Debian mirror found in the apt sources" >&2
	exit 1
fi
# bookworm's debian-archive-keyring already holds the trixie keys.
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

LIST_ADDED=1
echo "deb-src [signed-by=$KEYRING] $MIRROR trixie main" | $SUDO tee "$LIST" >/dev/null
$SUDO apt-get update -qq

command -v dpkg-source >/dev/null || $SUDO apt-get install -y -qq dpkg-dev
cd "$WORK"
apt-get source -qq mbedtls
SRC=$(find "$WORK" -maxdepth 1 -mindepth 1 -type d -name 'mbedtls-3.6*' | head -n1)
if [ -z "$SRC" ]; then
	echo "apt-get source did not give an mbedtls 3.6 tree:" >&2
	ls "$WORK" >&2
	exit 1
fi
VERSION=${SRC##*/mbedtls-}

# Nothing to build but the three libraries.  PIC so the static libraries can
# also go into a shared object (sanitizer builds, fuzzers).
cmake -S "$SRC" -B "$WORK/build" \
	-DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_INSTALL_PREFIX="$PREFIX" \
	-DCMAKE_INSTALL_LIBDIR=lib \
	-DCMAKE_POSITION_INDEPENDENT_CODE=ON \
	-DUSE_STATIC_MBEDTLS_LIBRARY=ON \
	-DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
	-DENABLE_PROGRAMS=OFF \
	-DENABLE_TESTING=OFF \
	-DMBEDTLS_FATAL_WARNINGS=OFF
cmake --build "$WORK/build" -j "$(nproc 2>/dev/null || echo 2)"
$SUDO cmake --install "$WORK/build"
echo "$VERSION" | $SUDO tee "$STAMP" >/dev/null
echo "mbedTLS $VERSION installed in $PREFIX"
