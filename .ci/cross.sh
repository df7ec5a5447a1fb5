#!/bin/sh
# .ci/cross.sh - the router side of CI: pinfold cross-built for the routers' CPUs and
# tested under qemu-user, the OpenWrt package, the pfSense port and package, the busybox
# init script and jail.  Installs what it needs (Debian packages only), idempotent.
# Usage: sh .ci/cross.sh          (about 6-8 minutes on 2 cores, once the packages are in)
#
#   mips-linux-gnu     big-endian, ath79 routers: every test (unit, integration, packaging)
#                      under qemu-mips but the framing/smuggling corpora (label framing:
#                      parser behaviour, 100 s, covered by the native suite), TLS with
#                      mbedTLS built from Debian's source
#   mipsel-linux-gnu   ramips/mt7621 routers: unit, packaging and a representative
#                      integration subset under qemu-mipsel (build.sh: quick), TLS with
#                      Debian's multiarch mbedTLS; its .ipk is assembled and checked
#   x86_64-linux-musl  static musl (OpenWrt's libc), natively: unit, packaging (with the
#                      busybox init + jail test, real busybox) and the subset
#   aarch64-linux-gnu  unit and packaging tests under qemu-aarch64
#   x86_64-linux-gnu   built only, as the size reference
#   mipsel-linux-musl, mips-linux-musl, aarch64-linux-musl, arm-linux-musleabihf
#                      static musl (musl built from Debian's source with Debian's cross
#                      compilers), what an OpenWrt .ipk carries: mipsel with mbedTLS and the
#                      smoke subset of the integration stories, the others without TLS and
#                      the unit and packaging tests, all under qemu-user with no sysroot
# Then the stripped sizes, the .ipk files in build-cross/ipk/ (glibc: the format) and
# build-cross/ipk-static/ (static musl: for a real router).
set -eu
cd "$(dirname "$0")/.."
start=$(date +%s)
failed=""
rm -f build-cross/*/junit-*.xml # the count below is of this run's tests only

step() {
	echo
	echo "==== $* ($(($(date +%s) - start)) s)"
}
# run NAME COMMAND...: a failing target does not hide the others' results.
run() {
	name=$1
	shift
	if ! "$@"; then
		echo "#### $name: FAILED"
		failed="$failed $name"
	fi
}

step "dependencies"
sh test/cross/deps.sh --tls mips-linux-gnu mipsel-linux-gnu aarch64-linux-gnu \
	x86_64-linux-musl x86_64-linux-gnu mipsel-linux-musl mips-linux-musl aarch64-linux-musl \
	arm-linux-musleabihf

step "mips (big-endian): build, every test under qemu (but the framing corpora)"
run mips sh test/cross/build.sh --tls mbedtls --tests full --skip-label framing mips-linux-gnu
step "mipsel: build, unit + packaging + integration subset under qemu"
run mipsel sh test/cross/build.sh --tls mbedtls --tests quick mipsel-linux-gnu
step "x86_64 static musl: build, unit + packaging (busybox jail) + integration subset"
run musl sh test/cross/build.sh --tls none --tests quick x86_64-linux-musl
step "aarch64: build, unit and packaging tests under qemu"
run aarch64 sh test/cross/build.sh --tls none --tests unit aarch64-linux-gnu
step "x86_64 glibc: build (size reference)"
run x86_64 sh test/cross/build.sh --tls mbedtls --tests none x86_64-linux-gnu

step "static musl for routers: mipsel (mbedTLS, smoke), mips, aarch64, arm (unit) under qemu"
run mipsel-musl sh test/cross/build.sh --tls mbedtls --tests smoke mipsel-linux-musl
for t in mips-linux-musl aarch64-linux-musl arm-linux-musleabihf; do
	run "$t" sh test/cross/build.sh --tls none --tests unit "$t"
done

step ".ipk packages (build-cross/ipk/)"
rm -rf build-cross/ipk
for t in mips-linux-gnu:mips_24kc mipsel-linux-gnu:mipsel_24kc \
	aarch64-linux-gnu:aarch64_cortex-a53; do
	# a target that did not build is a failure here too, not a package silently left out
	if [ -x "build-cross/${t%%:*}/build/pinfold" ]; then
		run "ipk-${t##*:}" sh openwrt/mkipk.sh "build-cross/${t%%:*}/build/pinfold" \
			"${t##*:}" build-cross/ipk
	else
		echo "#### ipk-${t##*:}: FAILED (no build-cross/${t%%:*}/build/pinfold)"
		failed="$failed ipk-${t##*:}"
	fi
done

rm -rf build-cross/ipk-static
for t in mipsel-linux-musl:mipsel_24kc mips-linux-musl:mips_24kc \
	aarch64-linux-musl:aarch64_cortex-a53 arm-linux-musleabihf:arm_cortex-a7_neon-vfpv4; do
	if [ -x "build-cross/${t%%:*}/build/pinfold" ]; then
		run "ipk-static-${t##*:}" sh openwrt/mkipk.sh "build-cross/${t%%:*}/build/pinfold" \
			"${t##*:}" build-cross/ipk-static
	else
		echo "#### ipk-static-${t##*:}: FAILED (no build-cross/${t%%:*}/build/pinfold)"
		failed="$failed ipk-static-${t##*:}"
	fi
done

step "stripped sizes (MinSizeRel)"
printf '%-20s %-8s %10s\n' target TLS bytes
for t in x86_64-linux-gnu:mbedtls x86_64-linux-musl:none mipsel-linux-gnu:mbedtls \
	mips-linux-gnu:mbedtls aarch64-linux-gnu:none mipsel-linux-musl:mbedtls \
	mips-linux-musl:none aarch64-linux-musl:none arm-linux-musleabihf:none; do
	size=$(cat "build-cross/${t%%:*}/size" 2>/dev/null || echo -)
	printf '%-20s %-8s %10s\n' "${t%%:*}" "${t##*:}" "$size"
	[ "$size" != - ] || case " $failed " in *" size-${t%%:*} "*) ;; *) failed="$failed size-${t%%:*}" ;; esac
done

step "tests of every target, skips apart (test/ctest_report.py)"
junits=""
for f in build-cross/*/junit-*.xml; do
	[ -f "$f" ] || continue
	d=${f#build-cross/}
	junits="$junits ${d%%/*}-$(basename "$f" .xml)=$f"
done
# shellcheck disable=SC2086 # one word per ctest run
python3 test/ctest_report.py --counts build-cross/counts $junits || failed="$failed report"
read -r npass nfail nskip <build-cross/counts || { npass=0 nfail=0 nskip=0; }
echo "cross tests: $npass passed, $nfail failed, $nskip skipped"
echo
if [ -n "$failed" ]; then
	echo "cross: FAILED:$failed ($(($(date +%s) - start)) s)"
	exit 1
fi
echo "cross: all passed in $(($(date +%s) - start)) s"
