#!/bin/sh
# openwrt/mkipk.sh - assemble the pinfold .ipk from a (cross-)built binary, as the
# OpenWrt SDK would from openwrt/Makefile, for the SDK cannot be had here.
# Usage: sh openwrt/mkipk.sh BINARY ARCH OUTDIR
#   BINARY  pinfold built for the router (stripped here with the target's strip); the
#           pinfoldctl built beside it (same folder) is packed too
#   ARCH    OpenWrt's package architecture: mipsel_24kc, mips_24kc, aarch64_cortex-a53,
#           x86_64, ...; it must match the binary's ELF header
#   OUTDIR  gets pinfold_VERSION-rRELEASE_ARCH.ipk (the path is printed)
#
# The format is opkg's: a gzip'd tar of ./debian-binary ("2.0"), ./data.tar.gz and
# ./control.tar.gz (control, conffiles, postinst, prerm), all owned by 0:0, names sorted,
# every mtime SOURCE_DATE_EPOCH (the last commit's time): the same input gives the same
# bytes.  Files and modes are those of Package/pinfold/install in openwrt/Makefile; the
# control fields those OpenWrt writes, Require-User included (from USERID), which
# OpenWrt's default_postinst reads to create the pinfold user and group.
set -eu

bin=${1:?usage: mkipk.sh BINARY ARCH OUTDIR}
arch=${2:?usage: mkipk.sh BINARY ARCH OUTDIR}
outdir=${3:?usage: mkipk.sh BINARY ARCH OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

mkvar() { # NAME: the value of NAME:= in openwrt/Makefile
	sed -n "s/^$1:=//p" "$here/Makefile" | head -n1
}
version=$(mkvar PKG_VERSION)
release=$(mkvar PKG_RELEASE)
userid=$(sed -n 's/^ *USERID:=//p' "$here/Makefile" | head -n1)
if [ -z "$version" ] || [ -z "$release" ]; then
	echo "mkipk.sh: no PKG_VERSION/PKG_RELEASE in $here/Makefile" >&2
	exit 1
fi
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || echo 0)}

# The ELF header: class, byte order and machine must be what ARCH runs.
elf_field() { # offset length -> hex
	od -An -tx1 -j "$1" -N "$2" "$bin" | tr -d ' \n'
}
[ "$(elf_field 0 4)" = 7f454c46 ] || {
	echo "mkipk.sh: $bin is not an ELF file" >&2
	exit 1
}
case $(elf_field 5 1) in
01) endian=little machine=$(elf_field 18 1)$(elf_field 19 1) ;;
02) endian=big machine=$(elf_field 18 1)$(elf_field 19 1) ;;
*) echo "mkipk.sh: $bin: unknown ELF byte order" >&2; exit 1 ;;
esac
# e_machine read as two bytes in file order: little-endian files store it low byte first.
[ "$endian" = big ] && machine=$(echo "$machine" | sed 's/^\(..\)\(..\)$/\2\1/')
case $machine in
0800) elf=mips ;;
3e00) elf=x86_64 ;;
b700) elf=aarch64 ;;
2800) elf=arm ;;
*) elf=unknown-$machine ;;
esac
case $arch:$elf:$endian in
mipsel_*:mips:little) strip=mipsel-linux-gnu-strip ;;
mips_*:mips:big) strip=mips-linux-gnu-strip ;;
aarch64_*:aarch64:little) strip=aarch64-linux-gnu-strip ;;
arm_*:arm:little) strip=arm-linux-gnueabihf-strip ;;
x86_64:x86_64:little) strip="strip" ;;
*)
	echo "mkipk.sh: $bin is $elf ($endian-endian), not a binary for $arch" >&2
	exit 1
	;;
esac
command -v "$strip" >/dev/null || strip=""

work=$(mktemp -d "${TMPDIR:-/tmp}/mkipk.XXXXXX")
trap 'rm -rf "$work"' EXIT
umask 022
data=$work/data
ctrl=$work/control
mkdir -p "$data/usr/sbin" "$data/etc/init.d" "$data/etc/config" "$data/usr/share/pinfold" \
	"$data/etc/pinfold" "$ctrl"

# Package/pinfold/install: INSTALL_BIN 0755, INSTALL_CONF 0600, INSTALL_DATA 0644.
ctl=$(dirname "$bin")/pinfoldctl
[ -f "$ctl" ] || { echo "mkipk.sh: no pinfoldctl beside $bin (build both targets)" >&2; exit 1; }
for b in "$bin:pinfold" "$ctl:pinfoldctl"; do
	if [ -n "$strip" ]; then
		"$strip" --strip-all -o "$data/usr/sbin/${b##*:}" "${b%:*}"
	else
		echo "mkipk.sh: no $strip here, packing ${b%:*} unstripped" >&2
		cp "${b%:*}" "$data/usr/sbin/${b##*:}"
	fi
	chmod 0755 "$data/usr/sbin/${b##*:}"
done
install -m 0755 "$here/files/pinfold.init" "$data/etc/init.d/pinfold"
install -m 0600 "$here/files/pinfold.config" "$data/etc/config/pinfold"
install -m 0644 "$here/files/uci2cfg.sh" "$data/usr/share/pinfold/uci2cfg.sh"
install -m 0644 "$top/configs/banip/pinfold.banip" "$data/usr/share/pinfold/pinfold.banip"

size=$(find "$data" -type f -exec cat {} + | wc -c | tr -d ' ')
# Depends: libc always; libmbedtls when the binary links it (the SDK would write the
# ABI-versioned name, e.g. libmbedtls12 or libmbedtls21).
depends=libc
if readelf -d "$bin" 2>/dev/null | grep -q 'NEEDED.*libmbedtls'; then
	depends="$depends, libmbedtls"
fi
# The description as OpenWrt writes it: the first line after the field name, the rest
# indented by one space (as they are in the Makefile).
desc=$(sed -n '/^define Package\/pinfold\/description/,/^endef/p' "$here/Makefile" | sed '1d;$d')
{
	echo "Package: pinfold"
	echo "Version: $version-r$release"
	echo "Depends: $depends"
	echo "License: $(mkvar PKG_LICENSE)"
	echo "Maintainer: $(mkvar PKG_MAINTAINER)"
	echo "Source: feeds/pinfold/openwrt"
	echo "SourceName: pinfold"
	echo "Section: net"
	echo "SourceDateEpoch: $epoch"
	[ -z "$userid" ] || echo "Require-User: $userid"
	echo "Architecture: $arch"
	echo "Installed-Size: $size"
	printf '%s\n' "$desc" | sed '1s/^ */Description: /'
} >"$ctrl/control"
printf '/etc/config/pinfold\n/etc/pinfold/\n' >"$ctrl/conffiles"
# What package-pack.mk writes: hand over to OpenWrt's default_postinst/default_prerm
# (users from Require-User, enable + start the init script; stop + disable on removal).
cat >"$ctrl/postinst" <<'POSTINST'
#!/bin/sh
[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0
[ -s "${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0
. "${IPKG_INSTROOT}/lib/functions.sh"
default_postinst "$0" "$@"
POSTINST
cat >"$ctrl/prerm" <<'PRERM'
#!/bin/sh
[ -s "${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0
. "${IPKG_INSTROOT}/lib/functions.sh"
default_prerm "$0" "$@"
PRERM
chmod 0755 "$ctrl/postinst" "$ctrl/prerm"
chmod 0644 "$ctrl/control" "$ctrl/conffiles"
echo "2.0" >"$work/debian-binary"

tarball() { # dir output
	(cd "$1" && tar --format=gnu --numeric-owner --owner=0 --group=0 --sort=name \
		--mtime="@$epoch" -cf - .) | gzip -n -9 >"$2"
}
tarball "$data" "$work/data.tar.gz"
tarball "$ctrl" "$work/control.tar.gz"
touch -d "@$epoch" "$work/debian-binary" "$work/data.tar.gz" "$work/control.tar.gz"

mkdir -p "$outdir"
ipk=$(cd "$outdir" && pwd)/pinfold_${version}-r${release}_$arch.ipk
(cd "$work" && tar --format=gnu --numeric-owner --owner=0 --group=0 --mtime="@$epoch" \
	-cf - ./debian-binary ./data.tar.gz ./control.tar.gz) | gzip -n -9 >"$ipk"
echo "$ipk"
