#!/bin/sh
# test/deps.sh - install what pinfold needs from Debian, only what is missing.
# Usage: sh test/deps.sh build|test   (as root, or with sudo available)
set -eu

build_pkgs="build-essential cmake pkg-config uthash-dev libcmocka-dev libmbedtls-dev libssl-dev python3 curl openssl"
# libssl-dev: the OpenSSL backend (-DPINFOLD_TLS=openssl, test/all.sh's build-openssl/).
# openssl: test certificates and s_client/s_server/s_time; testssl.sh: the cipher audit
# (tls_ciphers); dpkg-dev: `apt-get source` for .ci/build-mbedtls36.sh (mbedTLS 3.6).
test_pkgs="$build_pkgs clang libclang-rt-14-dev valgrind nginx-light haproxy wrk python3-websockets
	openssl testssl.sh dpkg-dev
	fail2ban slowhttptest apache2-utils busybox-static shellcheck unifdef php-cli php-xml nodejs nftables mandoc strace
	gnuplot-nox python3-aiohttp chromium"
# fail2ban: fail2ban-regex/-client on pinfold's refused lines; slowhttptest: slowloris and
# slow-read attacks; apache2-utils: htpasswd -B for BasicAuth password files; strace: the
# order of start-up calls (integ/cli); gnuplot-nox: the benchmark plot (test/bench/all.sh);
# python3-aiohttp: the Home Assistant-like backend (the server library HA runs on);
# chromium: the headless browser of the Home Assistant story (integ/ha_chromium).

case "${1:-build}" in
build) pkgs=$build_pkgs ;;
test) pkgs=$test_pkgs ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing:$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
