#!/bin/sh
# test/cross/sysroot.sh - the per-target prefix of libraries Debian does not ship for it.
# Usage: sh test/cross/sysroot.sh [--tls] TARGET PREFIX
#
# PREFIX/include gets uthash's headers (header-only; copied from the host's uthash-dev so
# the host's /usr/include is never searched for a target) and cmocka.h; PREFIX/lib gets a
# static libcmocka.a built from Debian's cmocka source with the target's toolchain file,
# and (glibc targets) libcrypt from Debian's libxcrypt source.
# The static musl targets for routers (*-linux-musl*, but x86_64's) get musl itself first,
# built from Debian's musl source with Debian's cross compiler (and its musl-gcc wrapper).
# With --tls, mbedTLS too: big-endian mips has no Debian package at all, so it is built
# from Debian's mbedtls source, and so is the static musl build's; mipsel (and aarch64) use
# Debian's multiarch packages.
# Idempotent: each part is skipped when its stamp in PREFIX says it was built with the
# toolchain files and this script as they are now.
set -eu

tls=0
if [ "${1:-}" = "--tls" ]; then
	tls=1
	shift
fi
target=${1:?usage: sysroot.sh [--tls] TARGET PREFIX}
prefix=${2:?usage: sysroot.sh [--tls] TARGET PREFIX}
here=$(cd "$(dirname "$0")" && pwd)
toolchain=$here/$target.cmake
[ -f "$toolchain" ] || {
	echo "sysroot.sh: no toolchain file $toolchain" >&2
	exit 2
}
mkdir -p "$prefix/include" "$prefix/lib"
prefix=$(cd "$prefix" && pwd)
src=${PINFOLD_CROSS_CACHE:-$here/../../build-cross/src}
jobs=$(nproc 2>/dev/null || echo 2)
# What the libraries were built with: a changed toolchain file (or recipe) rebuilds them.
common=$here/toolchain-common.cmake
! grep -q musl-static-common "$toolchain" || common="$common $here/musl-static-common.cmake"
# shellcheck disable=SC2086  # common: one or two file names
stamp=$(cat $common "$toolchain" "$here/sysroot.sh" | cksum | cut -d' ' -f1)

# uthash: header-only; exactly the files of Debian's uthash-dev (never glibc's ut*.h).
uthash=$(dpkg -L uthash-dev 2>/dev/null | grep '^/usr/include/[^/]*\.h$' || true)
[ -n "$uthash" ] || {
	echo "sysroot.sh: uthash headers missing (apt-get install uthash-dev)" >&2
	exit 1
}
for h in $uthash; do
	cmp -s "$h" "$prefix/include/${h##*/}" || cp "$h" "$prefix/include/"
done

# The static musl targets for routers (mipsel-linux-musl, mips-linux-musl,
# aarch64-linux-musl, arm-linux-musleabihf): musl itself is built from Debian's musl
# source with Debian's cross compiler for the CPU, with its musl-gcc wrapper, into PREFIX
# (the toolchain file's compiler).  x86_64-linux-musl uses Debian's musl-tools instead.
musl_cross=0
case $target in
x86_64-linux-musl) ;;
*-linux-musl*) musl_cross=1 ;;
esac
triple=$(sed -n 's/^set(PINFOLD_CROSS_TRIPLE \([^ )]*\)).*/\1/p' "$toolchain")

# Every Debian source this target needs, fetched in one apt session (cached in $src).
need="cmocka libxcrypt"
[ "$musl_cross" = 0 ] || need="$need musl"
case $tls:$target in 1:mips-linux-gnu | 1:*-linux-musl*) need="$need mbedtls" ;; esac
# shellcheck disable=SC2086  # one word per package
sh "$here/debsrc.sh" cmocka "$src" ${need#cmocka} >/dev/null

if [ "$musl_cross" = 1 ] && [ "$(cat "$prefix/.musl" 2>/dev/null)" != "$stamp" ]; then
	tree=$(sh "$here/debsrc.sh" musl "$src")
	echo "sysroot.sh: building ${tree##*/} for $target with $triple-gcc"
	b=$prefix/.build-musl
	rm -rf "$b"
	mkdir -p "$b"
	# Static only: nothing of it is needed on the router.
	(cd "$b" && "$tree/configure" --prefix="$prefix" --syslibdir="$prefix/lib" \
		--target="$triple" CC="$triple-gcc" CROSS_COMPILE="$triple-" \
		--disable-shared --enable-wrapper=gcc &&
		make -j "$jobs" && make install) >"$b.log" 2>&1 ||
		{ tail -n 40 "$b.log" >&2; exit 1; }
	rm -rf "$b" "$b.log"
	echo "$stamp" >"$prefix/.musl"
fi
# musl-gcc sees no kernel headers; the cross compiler's are searched after musl's own
# (the toolchain file adds -idirafter; libxcrypt's yescrypt wants <linux/mman.h>).
if [ "$musl_cross" = 1 ]; then
	mkdir -p "$prefix/kernel-include"
	for d in linux asm asm-generic; do
		ln -sfn "/usr/$triple/include/$d" "$prefix/kernel-include/$d"
	done
fi

# Builds the static library TARGET of a CMake source tree with our toolchain file.
cmake_static() { # srcdir builddir cmake-target cmake-args...
	s=$1 b=$2 t=$3
	shift 3
	cmake -S "$s" -B "$b" -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
		-DPINFOLD_CROSS_PREFIX="$prefix" \
		-DCMAKE_POSITION_INDEPENDENT_CODE=ON "$@" >"$b.log" 2>&1 ||
		{ cat "$b.log" >&2; return 1; }
	cmake --build "$b" -j "$jobs" --target "$t" >>"$b.log" 2>&1 ||
		{ tail -n 40 "$b.log" >&2; return 1; }
}

# cmocka: the unit tests' framework.
if [ "$(cat "$prefix/.cmocka" 2>/dev/null)" != "$stamp" ]; then
	tree=$(sh "$here/debsrc.sh" cmocka "$src")
	echo "sysroot.sh: building ${tree##*/} for $target"
	rm -rf "$prefix/.build-cmocka"
	mkdir -p "$prefix/.build-cmocka"
	cmake_static "$tree" "$prefix/.build-cmocka/b" cmocka-static \
		-DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF
	cp "$prefix/.build-cmocka/b/src/libcmocka-static.a" "$prefix/lib/libcmocka.a"
	cp "$tree/include/cmocka.h" "$prefix/include/"
	rm -rf "$prefix/.build-cmocka"
	echo "$stamp" >"$prefix/.cmocka"
fi

# libcrypt (crypt(3), for BasicAuth): glibc's cross sysroots have none since it moved to
# libxcrypt, and Debian has no cross package of it; Debian's musl is built without crypt()
# (OpenWrt's has it).  So Debian's libxcrypt source, built with the target's compiler:
# shared for glibc targets, static for the static musl build.
case $target in
x86_64-linux-musl)
	xc_host=x86_64-pc-linux-musl
	# musl-gcc sees no kernel headers, and yescrypt wants <linux/mman.h>: the host's,
	# searched after musl's own.
	mkdir -p "$prefix/kernel-include"
	for d in /usr/include/linux /usr/include/asm-generic /usr/include/x86_64-linux-gnu/asm; do
		ln -sfn "$d" "$prefix/kernel-include/${d##*/}"
	done
	xc_env="CC=musl-gcc -idirafter $prefix/kernel-include"
	# Linked in whole: only the schemes pinfold accepts (bcrypt, SHA-crypt, yescrypt).
	xc_kind="--enable-static --disable-shared --enable-hashes=bcrypt,bcrypt_a,bcrypt_y,sha256crypt,sha512crypt,yescrypt"
	;;
*-linux-musl*)
	xc_host=$target
	xc_env="CC=$prefix/bin/musl-gcc -idirafter $prefix/kernel-include"
	xc_kind="--enable-static --disable-shared --enable-hashes=bcrypt,bcrypt_a,bcrypt_y,sha256crypt,sha512crypt,yescrypt"
	# LIBS=-lc: its helper programs are linked without -static (libtool drops it), so gcc
	# names libc once, before the last libgcc, whose ARM division trap (__aeabi_ldiv0)
	# then finds no raise(); a second libc after the first libgcc resolves it.
	xc_kind="$xc_kind AR=$triple-ar RANLIB=$triple-ranlib LIBS=-lc"
	;;
*)
	xc_host=$target
	xc_env="CC=$target-gcc"
	xc_kind="--disable-static --enable-shared --enable-hashes=strong,glibc"
	;;
esac
case $target in
*-linux-gnu | *-linux-musl*)
	if [ "$(cat "$prefix/.libcrypt" 2>/dev/null)" != "$stamp" ]; then
		tree=$(sh "$here/debsrc.sh" libxcrypt "$src")
		echo "sysroot.sh: building ${tree##*/} for $target"
		if [ ! -x "$tree/configure" ]; then
			(cd "$tree" && ./autogen.sh) >"$prefix/.autogen.log" 2>&1 ||
				{ cat "$prefix/.autogen.log" >&2; exit 1; }
		fi
		b=$prefix/.build-libxcrypt
		rm -rf "$b"
		mkdir -p "$b"
		# shellcheck disable=SC2086  # xc_kind: two options
		(cd "$b" && env "$xc_env" "$tree/configure" --host="$xc_host" --prefix="$prefix" \
			--libdir="$prefix/lib" $xc_kind \
			--enable-obsolete-api=no --disable-failure-tokens &&
			make -j "$jobs" && make install) >"$b.log" 2>&1 ||
			{ tail -n 40 "$b.log" >&2; exit 1; }
		rm -rf "$b" "$b.log" "$prefix/.autogen.log" "$prefix"/lib/libcrypt.la
		echo "$stamp" >"$prefix/.libcrypt"
	fi
	;;
esac

# MIPS numbers its errors its own way: a preload that undoes qemu-user's untranslated
# getsockopt(SO_ERROR) (see qemu-sockerr.c); the toolchain file puts it on qemu's line.
case $target in
mips*-linux-gnu)
	"$target-gcc" -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC \
		-o "$prefix/lib/qemu-sockerr.so" "$here/qemu-sockerr.c" -ldl
	;;
esac

[ "$tls" = 1 ] || exit 0

# mbedTLS, as MBEDTLS_ROOT=PREFIX for the build, shared as on OpenWrt (+libmbedtls).
case $target in
mips-linux-gnu | *-linux-musl*)
	# Debian's source with our toolchain: big-endian mips has no Debian package at all
	# (shared, as on OpenWrt); the static musl build links everything in (static;
	# test/bench/size.sh measures its memory, what a router's libc costs).
	case $target in
	*-linux-musl*) shared=OFF static=ON ;;
	*) shared=ON static=OFF ;;
	esac
	if [ "$(cat "$prefix/.mbedtls" 2>/dev/null)" != "$stamp" ]; then
		tree=$(sh "$here/debsrc.sh" mbedtls "$src")
		echo "sysroot.sh: building ${tree##*/} for $target"
		rm -rf "$prefix/.build-mbedtls"
		mkdir -p "$prefix/.build-mbedtls"
		cmake_static "$tree" "$prefix/.build-mbedtls/b" all \
			-DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
			-DUSE_STATIC_MBEDTLS_LIBRARY=$static \
			-DUSE_SHARED_MBEDTLS_LIBRARY=$shared \
			-DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF -DMBEDTLS_FATAL_WARNINGS=OFF
		cmake --install "$prefix/.build-mbedtls/b" >/dev/null
		rm -rf "$prefix/.build-mbedtls"
		echo "$stamp" >"$prefix/.mbedtls"
	fi
	;;
mipsel-linux-gnu | aarch64-linux-gnu)
	# Debian's multiarch package (headers are the same for every architecture): linked
	# into PREFIX so that MBEDTLS_ROOT finds exactly this one, never the host's.
	multiarch=/usr/lib/$target
	[ -f "$multiarch/libmbedtls.so" ] || {
		echo "sysroot.sh: no $multiarch/libmbedtls.so (sh test/cross/deps.sh --tls $target)" >&2
		exit 1
	}
	ln -sfn /usr/include/mbedtls "$prefix/include/mbedtls"
	[ ! -d /usr/include/psa ] || ln -sfn /usr/include/psa "$prefix/include/psa"
	for l in mbedtls mbedx509 mbedcrypto; do
		ln -sf "$multiarch/lib$l.so" "$prefix/lib/lib$l.so"
	done
	;;
*)
	echo "sysroot.sh: no mbedTLS recipe for $target (use --tls none)" >&2
	exit 1
	;;
esac
