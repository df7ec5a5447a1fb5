#!/bin/sh
# test/cross/deps.sh - install from Debian what the cross builds need, only what is missing.
# Usage: sh test/cross/deps.sh [--tls] TARGET...
#   TARGET: mipsel-linux-gnu mips-linux-gnu aarch64-linux-gnu x86_64-linux-musl
#           mipsel-linux-musl mips-linux-musl aarch64-linux-musl arm-linux-musleabihf
#   --tls   also what the target needs for PINFOLD_TLS=mbedtls (mipsel, aarch64: Debian's
#           multiarch libmbedtls-dev; big-endian mips: built from source by sysroot.sh)
# Always: cmake, uthash, qemu-user, dpkg-dev (for `apt-get source`), the host side of the
# integration tests (python3, curl, nginx-light, python3-websockets, openssl), and what the
# packaging tests use (busybox-static, shellcheck, php-cli, unifdef).
set -eu

tls=0
if [ "${1:-}" = "--tls" ]; then
	tls=1
	shift
fi

pkgs="build-essential cmake pkg-config uthash-dev dpkg-dev qemu-user python3 curl nginx-light
python3-websockets file"
# libxcrypt's source has no configure script: autotools make it (test/cross/sysroot.sh).
pkgs="$pkgs autoconf automake libtool perl"
# The packaging tests (test/cross/CMakeLists.txt): busybox for the init scripts, php for
# the pfSense package, unifdef for the FreeBSD read of platform/, shellcheck for all, node
# for the LuCI app's views.
pkgs="$pkgs busybox-static shellcheck php-cli php-xml nodejs unifdef openssl"
foreign=""
for t in "$@"; do
	case $t in
	mipsel-linux-gnu)
		pkgs="$pkgs gcc-mipsel-linux-gnu libc6-dev-mipsel-cross binutils-mipsel-linux-gnu"
		if [ "$tls" = 1 ]; then
			foreign="$foreign mipsel"
			pkgs="$pkgs libmbedtls-dev:mipsel"
		fi
		;;
	mips-linux-gnu)
		pkgs="$pkgs gcc-mips-linux-gnu libc6-dev-mips-cross binutils-mips-linux-gnu" ;;
	aarch64-linux-gnu)
		pkgs="$pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu"
		if [ "$tls" = 1 ]; then
			foreign="$foreign arm64"
			pkgs="$pkgs libmbedtls-dev:arm64"
		fi
		;;
	x86_64-linux-musl)
		pkgs="$pkgs musl-tools" ;;
	# The static musl targets: Debian's cross gcc and binutils (musl is built from source
	# by sysroot.sh), the kernel headers of the cross libc package.
	mipsel-linux-musl)
		pkgs="$pkgs gcc-mipsel-linux-gnu binutils-mipsel-linux-gnu linux-libc-dev-mipsel-cross" ;;
	mips-linux-musl)
		pkgs="$pkgs gcc-mips-linux-gnu binutils-mips-linux-gnu linux-libc-dev-mips-cross" ;;
	aarch64-linux-musl)
		pkgs="$pkgs gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu linux-libc-dev-arm64-cross" ;;
	arm-linux-musleabihf)
		pkgs="$pkgs gcc-arm-linux-gnueabihf binutils-arm-linux-gnueabihf linux-libc-dev-armhf-cross" ;;
	x86_64-linux-gnu)
		pkgs="$pkgs libcmocka-dev libmbedtls-dev" ;;
	*)
		echo "deps.sh: unknown target '$t'" >&2
		exit 2
		;;
	esac
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need_update=0
for a in $foreign; do
	if ! dpkg --print-foreign-architectures | grep -qx "$a"; then
		echo "adding dpkg architecture $a"
		$SUDO dpkg --add-architecture "$a"
		need_update=1
	fi
done

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && [ "$need_update" = 0 ] && exit 0

echo "installing:$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086  # one word per package
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$missing >/dev/null
fi
