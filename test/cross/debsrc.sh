#!/bin/sh
# test/cross/debsrc.sh - unpack Debian's source package PKG (this release's) under DIR.
# Usage: sh test/cross/debsrc.sh PKG DIR [MORE...]   prints PKG's unpacked tree
#   MORE: other source packages to fetch in the same apt session when missing (one
#   `apt-get update` for all of them instead of one each)
#
# Why: cmocka for every cross target, and mbedTLS for big-endian mips, have no Debian
# binary package we can use, so they are built from Debian's own sources (the only
# registry reachable), never copied into this tree.  The deb-src line lives in a file of
# its own only while apt-get source runs and is removed again, even on failure.
# Idempotent: an already unpacked PKG-* tree under DIR is reused.
set -eu

pkg=${1:?usage: debsrc.sh PKG DIR [MORE...]}
dir=${2:?usage: debsrc.sh PKG DIR [MORE...]}
shift 2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

found() { # package
	for d in "$dir/$1"-[0-9]*; do
		if [ -d "$d" ] && [ -f "$d/.pinfold-unpacked" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}
found "$pkg" && exit 0
wanted=$pkg
for p in "$@"; do
	found "$p" >/dev/null || wanted="$wanted $p"
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
LIST=/etc/apt/sources.list.d/pinfold-cross-src.list

# The mirror and release this machine already uses: no host of our own.
mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' |
	grep -v -- '-security' | head -n1 || true)
if [ -z "$mirror" ]; then
	mirror=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
		sed 's/\[[^]]*\]//' | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
fi
# shellcheck disable=SC1091  # the machine's own
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ -z "$mirror" ] || [ -z "$suite" ]; then
	echo "debsrc.sh: no Debian mirror or release found in the apt sources" >&2
	exit 1
fi

work=$(mktemp -d "$dir/.fetch.XXXXXX")
cleanup() {
	rc=$?
	if [ -f "$LIST" ]; then
		$SUDO rm -f "$LIST"
		$SUDO apt-get update -qq || echo "debsrc.sh: apt-get update after cleanup failed" >&2
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" |
	$SUDO tee "$LIST" >/dev/null
$SUDO apt-get update -qq
command -v dpkg-source >/dev/null || $SUDO apt-get install -y -qq dpkg-dev >/dev/null
chmod 755 "$work" # apt's _apt user downloads into it
# shellcheck disable=SC2086  # one word per package
(cd "$work" && apt-get source -qq $wanted >&2)
for p in $wanted; do
	for d in "$work/$p"-[0-9]*; do
		if [ -d "$d" ]; then
			touch "$d/.pinfold-unpacked"
			rm -rf "${dir:?}/${d##*/}"
			mv "$d" "$dir/"
		fi
	done
done
found "$pkg" || {
	echo "debsrc.sh: apt-get source $pkg gave no $pkg-VERSION tree" >&2
	exit 1
}
