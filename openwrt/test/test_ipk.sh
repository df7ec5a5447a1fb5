#!/bin/sh
# openwrt/test/test_ipk.sh BINARY ARCH - assemble the .ipk from BINARY with
# openwrt/mkipk.sh, unpack it the way opkg does and check everything opkg and OpenWrt
# rely on: the outer gzip'd tar and its three members, debian-binary, the control fields
# (version from the Makefile, architecture, size, user), conffiles, the maintainer
# scripts, every file's owner and mode, the binary (stripped, the right machine), that
# the scripts pass shellcheck, and that two builds give the same bytes.
# Exit 77 (skipped) without shellcheck.
# shellcheck disable=SC2016  # sh -c snippets take their values as arguments
set -eu

bin=${1:?usage: test_ipk.sh BINARY ARCH}
arch=${2:?usage: test_ipk.sh BINARY ARCH}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
command -v shellcheck >/dev/null || {
	echo "SKIP: shellcheck not installed"
	exit 77
}

T=$(mktemp -d "${TMPDIR:-/tmp}/pinfold-ipk.XXXXXX")
trap 'rm -rf "$T"' EXIT

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
field() { # name: a control field's value
	sed -n "s/^$1: //p" "$T/ctrl/control"
}
mode_owner() { # path in data.tar.gz -> "mode owner/group"
	awk -v p="$1" '$6 == p { print $1, $2 }' "$T/data.list"
}

ipk=$(sh "$top/openwrt/mkipk.sh" "$bin" "$arch" "$T/out")
version=$(sed -n 's/^PKG_VERSION:=//p' "$top/openwrt/Makefile")
release=$(sed -n 's/^PKG_RELEASE:=//p' "$top/openwrt/Makefile")
project_version=$(sed -n 's/^project(pinfold VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")

check "file name is opkg's" test "$(basename "$ipk")" = "pinfold_${version}-r${release}_$arch.ipk"
check "package version follows the project's" test "$version" = "$project_version"
check "outer file is gzip" test "$(od -An -tx1 -N2 "$ipk" | tr -d ' ')" = 1f8b
mkdir "$T/outer" "$T/ctrl" "$T/data"
tar -tzf "$ipk" >"$T/outer.list"
check "outer tar: debian-binary, data.tar.gz, control.tar.gz in that order" \
	test "$(tr '\n' ' ' <"$T/outer.list")" = "./debian-binary ./data.tar.gz ./control.tar.gz "
tar -xzf "$ipk" -C "$T/outer"
check "debian-binary is 2.0" test "$(cat "$T/outer/debian-binary")" = "2.0"
tar -xzf "$T/outer/control.tar.gz" -C "$T/ctrl"
tar -tvzf "$T/outer/data.tar.gz" >"$T/data.list"
tar -xzf "$T/outer/data.tar.gz" -C "$T/data"

# control
check "Package: pinfold" test "$(field Package)" = pinfold
check "Version: $version-r$release" test "$(field Version)" = "$version-r$release"
check "Architecture: $arch" test "$(field Architecture)" = "$arch"
check "Depends on libc" sh -c 'case $1 in libc | libc,*) ;; *) exit 1 ;; esac' sh "$(field Depends)"
check "Section: net" test "$(field Section)" = net
check "Require-User creates pinfold:pinfold" sh -c 'case $1 in pinfold=*:pinfold=*) ;; *) exit 1;; esac' \
	sh "$(field Require-User)"
size=$(find "$T/data" -type f -exec cat {} + | wc -c | tr -d ' ')
check "Installed-Size is the data's size ($size)" test "$(field Installed-Size)" = "$size"
check "Description present, continuation lines indented" \
	sh -c 'grep -q "^Description: ." "$1" && ! grep -v "^[A-Z][A-Za-z-]*: \|^ " "$1" | grep -q .' \
	sh "$T/ctrl/control"
check "SourceDateEpoch is a number" sh -c 'case $1 in "" | *[!0-9]*) exit 1;; esac' sh \
	"$(field SourceDateEpoch)"
mk=$top/openwrt/Makefile
check "License: the Makefile's PKG_LICENSE" test "$(field License)" = "$(sed -n 's/^PKG_LICENSE:=//p' "$mk")"
check "Maintainer: the Makefile's PKG_MAINTAINER" sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' sh \
	"$(field Maintainer)" "$(sed -n 's/^PKG_MAINTAINER:=//p' "$mk")"
check "conffiles: /etc/config/pinfold" grep -qx /etc/config/pinfold "$T/ctrl/conffiles"
check "conffiles name only shipped paths" sh -c '
	while read -r f; do [ -e "$1$f" ] || exit 1; done <"$2"' sh "$T/data" "$T/ctrl/conffiles"
for s in postinst prerm; do
	check "$s is executable" test -x "$T/ctrl/$s"
	check "$s hands over to OpenWrt's default_$s" grep -q "default_$s \"\$0\" \"\$@\"" "$T/ctrl/$s"
	check "$s passes shellcheck" shellcheck -s sh -e SC1091 "$T/ctrl/$s"
done

# data: files, owners, modes
check "pinfold 0755 root" test "$(mode_owner ./usr/sbin/pinfold)" = "-rwxr-xr-x 0/0"
check "pinfoldctl 0755 root" test "$(mode_owner ./usr/sbin/pinfoldctl)" = "-rwxr-xr-x 0/0"
check "init script 0755 root" test "$(mode_owner ./etc/init.d/pinfold)" = "-rwxr-xr-x 0/0"
check "UCI config 0600 root (INSTALL_CONF)" test "$(mode_owner ./etc/config/pinfold)" = "-rw------- 0/0"
check "uci2cfg.sh 0644 root" test "$(mode_owner ./usr/share/pinfold/uci2cfg.sh)" = "-rw-r--r-- 0/0"
check "every entry owned by 0/0" sh -c '! awk "\$2 != \"0/0\"" "$1" | grep -q .' sh "$T/data.list"
check "nothing else shipped" test "$(awk '$1 !~ /^d/ { print $6 }' "$T/data.list" | sort | tr '\n' ' ')" = \
	"./etc/config/pinfold ./etc/init.d/pinfold ./usr/sbin/pinfold ./usr/sbin/pinfoldctl ./usr/share/pinfold/pinfold.banip ./usr/share/pinfold/uci2cfg.sh "
check "UCI config is the shipped one" cmp -s "$T/data/etc/config/pinfold" "$top/openwrt/files/pinfold.config"
check "init script is the shipped one" cmp -s "$T/data/etc/init.d/pinfold" "$top/openwrt/files/pinfold.init"

# the binary
case $arch in
mips_*) want='7f454c46??02????????????????????????0008' ;;
mipsel_*) want='7f454c46??01????????????????????????0800' ;;
aarch64_*) want='7f454c46??01????????????????????????b700' ;;
arm_*) want='7f454c46??01????????????????????????2800' ;;
x86_64) want='7f454c46??01????????????????????????3e00' ;;
*) want=unknown ;;
esac
for b in pinfold pinfoldctl; do
	elf=$(od -An -tx1 -N20 "$T/data/usr/sbin/$b" | tr -d ' \n')
	check "$b is an ELF for $arch" sh -c "case \$1 in $want) ;; *) exit 1;; esac" sh "$elf"
	check "$b is stripped" sh -c '! readelf -S "$1" | grep -q "\.symtab"' sh "$T/data/usr/sbin/$b"
done
check "mkipk refuses a binary for another architecture" sh -c \
	'! sh "$1" "$2" x86_64_not_this "$3" 2>/dev/null' sh "$top/openwrt/mkipk.sh" "$bin" "$T/wrong"

# scripts on the router side
check "init script passes shellcheck" shellcheck -x "$top/openwrt/files/pinfold.init"
check "uci2cfg.sh passes shellcheck" shellcheck "$top/openwrt/files/uci2cfg.sh"

# reproducible
ipk2=$(sh "$top/openwrt/mkipk.sh" "$bin" "$arch" "$T/out2")
check "same input, same bytes" cmp -s "$ipk" "$ipk2"

# ---- the feed Makefile's metadata (read as OpenWrt's package.mk would) -------------------
check "Makefile: PKG_LICENSE and PKG_MAINTAINER set" sh -c \
	'grep -q "^PKG_LICENSE:=." "$1" && grep -q "^PKG_MAINTAINER:=.*<.*@.*>" "$1"' sh "$mk"
# Local source: a change under core/ or platform/ must rebuild the package.
fdeps=$(sed -n 's/^PKG_FILE_DEPENDS:=//p' "$mk")
for dep in core platform CMakeLists.txt; do
	check "PKG_FILE_DEPENDS covers $dep" sh -c 'case " $1 " in *" \$(CURDIR)/../$2 "*) ;; *) exit 1 ;; esac' \
		sh "$fdeps" "$dep"
	check "... and $dep exists" test -e "$top/$dep"
done
check "Build/Prepare copies exactly what PKG_FILE_DEPENDS watches (+ uthash)" sh -c \
	'grep -A2 "^define Build/Prepare" "$1" | grep -q "\$(CURDIR)/../CMakeLists.txt \$(CURDIR)/../core \$(CURDIR)/../platform"' \
	sh "$mk"
# TLS variants, as ustream-ssl: mbedtls the default, openssl beside it, each passing
# its backend to CMake.
variant_of() { # package -> its VARIANT
	sed -n "/^define Package\/$1\$/,/^endef/s/^ *VARIANT:=//p" "$mk"
}
check "variant: pinfold is mbedtls and the default" sh -c \
	'[ "$2" = mbedtls ] && sed -n "/^define Package\/pinfold\$/,/^endef/p" "$1" | grep -q "DEFAULT_VARIANT:=1"' \
	sh "$mk" "$(variant_of pinfold)"
check "variant: pinfold-openssl is openssl, depends on libopenssl" sh -c \
	'[ "$2" = openssl ] && sed -n "/^define Package\/pinfold-openssl\$/,/^endef/p" "$1" | grep -q "DEPENDS:=+libopenssl"' \
	sh "$mk" "$(variant_of pinfold-openssl)"
check "variant: BUILD_VARIANT openssl -> -DPINFOLD_TLS=openssl, else mbedtls" sh -c \
	'grep -A4 "^ifeq (\$(BUILD_VARIANT),openssl)" "$1" | tr -d "\t " | tr "\n" " " |
		grep -q "CMAKE_OPTIONS+=-DPINFOLD_TLS=openssl else CMAKE_OPTIONS+=-DPINFOLD_TLS=mbedtls endif"' sh "$mk"
check "variant: both built, same files, they conflict" sh -c \
	'grep -q "^\$(eval \$(call BuildPackage,pinfold))" "$1" &&
	grep -q "^\$(eval \$(call BuildPackage,pinfold-openssl))" "$1" &&
	grep -q "^Package/pinfold-openssl/install = \$(Package/pinfold/install)" "$1" &&
	grep -q "CONFLICTS:=pinfold-openssl" "$1"' sh "$mk"

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
