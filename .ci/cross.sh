#!/bin/sh
# .ci/cross.sh - the router side of CI: pinfold cross-built for the routers' CPUs and
# tested under qemu-user, the OpenWrt package, the pfSense port and package, the busybox
# init script and jail.  Installs what it needs (Debian packages only), idempotent.
# Usage: sh .ci/cross.sh          (about 6-8 minutes on 2 cores, once the packages are in)
#
#   mips-linux-gnu     big-endian, ath79 routers: every test (unit, integration, packaging)
#                      under qemu-mips, TLS with mbedTLS built from Debian's source
#   mipsel-linux-gnu   ramips/mt7621 routers: every test under qemu-mipsel, TLS with
#                      Debian's multiarch mbedTLS; its .ipk is assembled and checked
#   x86_64-linux-musl  static musl (OpenWrt's libc): every test, natively, plus the
#                      busybox init + jail test with the real busybox
#   aarch64-linux-gnu  unit and packaging tests under qemu-aarch64
#   x86_64-linux-gnu   built only, as the size reference
# Then the stripped sizes, and the .ipk files in build-cross/ipk/.
set -eu
cd "$(dirname "$0")/.."
start=$(date +%s)

step() {
	echo
	echo "==== $* ($(($(date +%s) - start)) s)"
}

step "dependencies"
sh test/cross/deps.sh --tls mips-linux-gnu mipsel-linux-gnu aarch64-linux-gnu \
	x86_64-linux-musl x86_64-linux-gnu

step "mips (big-endian): build, every test under qemu"
sh test/cross/build.sh --tls mbedtls --tests full mips-linux-gnu
step "mipsel: build, every test under qemu"
sh test/cross/build.sh --tls mbedtls --tests full mipsel-linux-gnu
step "x86_64 static musl: build, every test"
sh test/cross/build.sh --tls none --tests full x86_64-linux-musl
step "aarch64: build, unit and packaging tests under qemu"
sh test/cross/build.sh --tls none --tests unit aarch64-linux-gnu
step "x86_64 glibc: build (size reference)"
sh test/cross/build.sh --tls mbedtls --tests none x86_64-linux-gnu

step ".ipk packages"
rm -rf build-cross/ipk
sh openwrt/mkipk.sh build-cross/mips-linux-gnu/build/pinfold mips_24kc build-cross/ipk
sh openwrt/mkipk.sh build-cross/mipsel-linux-gnu/build/pinfold mipsel_24kc build-cross/ipk
sh openwrt/mkipk.sh build-cross/aarch64-linux-gnu/build/pinfold aarch64_cortex-a53 build-cross/ipk

step "stripped sizes (MinSizeRel)"
printf '%-20s %-8s %10s\n' target TLS bytes
for t in x86_64-linux-gnu:mbedtls x86_64-linux-musl:none mipsel-linux-gnu:mbedtls \
	mips-linux-gnu:mbedtls aarch64-linux-gnu:none; do
	printf '%-20s %-8s %10s\n' "${t%%:*}" "${t##*:}" "$(cat "build-cross/${t%%:*}/size")"
done
echo
echo "cross: all passed in $(($(date +%s) - start)) s"
