#!/bin/sh
# openwrt/test/test_uci.sh BINARY - the UCI -> native config translation and the procd
# init script, run by busybox's ash (OpenWrt's shell), with the real pinfold checking and
# serving what they produce.
#
# Under test: openwrt/files/uci2cfg.sh and openwrt/files/pinfold.init.  Stubbed, because
# they are OpenWrt's and not under test: /lib/functions.sh (UCI reading) and
# /etc/rc.common + procd.sh (which only record what procd is told); see stubs/, each
# citing the OpenWrt source file whose signatures it follows.
# In a cross build, pinfold runs through $PINFOLD_EMULATOR (qemu-user).
# Exit 77 (skipped) without busybox, curl or python3.  Everything listens on loopback.
# shellcheck disable=SC2016  # sh -c snippets take their values as arguments
set -eu
# PFTEST_SLOW (the tests' one factor for a slow or loaded machine) stretches every bounded
# wait below; a whole number here, rounded up
slow=$(awk -v s="${PFTEST_SLOW:-1}" 'BEGIN { s += 0; if (s < 1) s = 1; printf "%d", s + 0.999 }')

bin=${1:?usage: test_uci.sh PINFOLD_BINARY}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
here=$(cd "$(dirname "$0")" && pwd)
files=$here/../files
stubs=$here/stubs
for tool in busybox curl python3; do
	command -v "$tool" >/dev/null || {
		echo "SKIP: $tool not installed"
		exit 77
	}
done

T=$(mktemp -d "${TMPDIR:-/tmp}/pinfold-uci.XXXXXX")
chmod 755 "$T"
pids=""
# The challenge directory the init script bind-mounts into the jail: never left mounted
# (rm -rf would reach into it).
unmount_all() {
	awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount "$m" 2>/dev/null || true; done
}
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	unmount_all
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A jailed ASan build cannot read /proc for its leak check at exit.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

if [ -n "${PINFOLD_EMULATOR:-}" ]; then
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$PINFOLD_EMULATOR" "$bin" >"$T/pinfold"
	chmod 755 "$T/pinfold"
	bin=$T/pinfold
fi

npass=0
nfail=0
pass() {
	npass=$((npass + 1))
	echo "ok - $*"
}
fail() {
	nfail=$((nfail + 1))
	echo "not ok - $*"
}
lacks() { # file pattern: true when no line of file matches
	! grep -q "$2" "$1"
}
check() { # description command...
	d=$1
	shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}

# gen UCI_FILE OUT: run the translation under ash; its stderr goes to $T/gen.err.
gen() {
	rm -rf "$T/uci"
	mkdir -p "$T/uci"
	cp "$1" "$T/uci/pinfold"
	UCI_CONFIG_DIR=$T/uci busybox sh -c '. "$1"; . "$2"; pinfold_uci_generate "$3"' gen \
		"$stubs/functions.sh" "$files/uci2cfg.sh" "$2" 2>"$T/gen.err"
}

free_port() { # host
	python3 -c 'import socket,sys
s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

# The group of user nobody on this machine (Debian: nogroup).
nobody_group=$(id -gn nobody 2>/dev/null || echo nogroup)

# ---- 1. the shipped /etc/config/pinfold translates to what we expect --------------------
# (generated into $T/etc, the jail; @DIR@ in the expected text stands for it)
mkdir -p "$T/etc"
if gen "$files/pinfold.config" "$T/etc/pinfold.cfg"; then
	sed "s|@DIR@|$T/etc|g" "$here/expected/default.cfg" >"$T/expected.cfg"
	check "shipped UCI config -> expected native config" \
		diff -u "$T/expected.cfg" "$T/etc/pinfold.cfg"
else
	fail "shipped UCI config translates: $(cat "$T/gen.err")"
fi

# ---- 2. ... and pinfold accepts it (HTTPS left out: certificates are the TLS tests') ----
awk -v g="$nobody_group" -v ac="$T/acme-challenge" '
	/^config / { skip = ($0 ~ /^config listener .https./) }
	skip { next }
	/option enabled/ { sub(/.0.$/, "'"'"'1'"'"'") }
	/option user/ { $0 = "\toption user '"'"'nobody'"'"'" }
	/option group/ { $0 = "\toption group '"'"'" g "'"'"'" }
	/option acme_challenge/ { $0 = "\toption acme_challenge '"'"'" ac "'"'"'" }
	{ print }' "$files/pinfold.config" >"$T/check.uci"
mkdir -p "$T/jail"
if gen "$T/check.uci" "$T/jail/check.cfg"; then
	check "pinfold -c accepts the shipped config" "$bin" -c -f "$T/jail/check.cfg"
else
	fail "adapted shipped config translates: $(cat "$T/gen.err")"
fi

# ---- 3. a generated config really serves: redirect, hosts, path, backend ---------------
port=$(free_port 127.0.0.1)
beport=$(free_port 127.0.0.2)
mkdir -p "$T/www/share"
echo "hello from the LAN" >"$T/www/share/hello.txt"
python3 -m http.server --bind 127.0.0.2 --directory "$T/www" "$beport" \
	>"$T/backend.log" 2>&1 &
pids="$pids $!"
cat >"$T/serve.uci" <<UCI
config pinfold 'main'
	option enabled '1'
	option user 'nobody'
	option group '$nobody_group'
	option loglevel '2'
	option alive '5'

config listener 'web'
	option address '127.0.0.1'
	option port '$port'
	option xhttp '1'

config service 'tohttps'
	option listener 'web'
	list host 'old.test'
	option redirect 'https://new.test'
	option redirect_code '301'

config service
	list host 'files.test'
	list host '*.nas.test'
	list url '^/share/'
	list backend '127.0.0.2:$beport'
	option emergency '127.0.0.2:$beport'

config service 'off'
	option enabled '0'
	list host 'off.test'
	list backend '127.0.0.2:9'
UCI
mkdir -p "$T/serve"
if gen "$T/serve.uci" "$T/serve/pinfold.cfg"; then
	pass "service config translates"
	check "chrooted into the config's directory" grep -qx "RootJail \"$T/serve\"" "$T/serve/pinfold.cfg"
	"$bin" -F -e -f "$T/serve/pinfold.cfg" >"$T/serve.out" 2>&1 &
	pfpid=$!
	pids="$pids $pfpid"
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$port/" || [ $i -ge $((100 * slow)) ]; do
		i=$((i + 1))
		sleep 0.1
	done
	i=0
	until curl -s -o /dev/null "http://127.0.0.2:$beport/" || [ $i -ge $((100 * slow)) ]; do
		i=$((i + 1))
		sleep 0.1
	done
	get() { # host path -> "code location" and body in $T/body
		curl -s --max-time $((10 * slow)) -o "$T/body" -w '%{http_code} %{redirect_url}' \
			-H "Host: $1" "http://127.0.0.1:$port$2"
	}
	check "redirect keeps path and query" \
		test "$(get old.test '/lovelace/0?x=1')" = "301 https://new.test/lovelace/0?x=1"
	check "host + url route to the backend" \
		test "$(get files.test /share/hello.txt)" = "200 "
	check "backend's bytes arrive" grep -qx "hello from the LAN" "$T/body"
	check "wildcard host matches" test "$(get a.nas.test /share/hello.txt)" = "200 "
	check "a path outside url is refused (503)" \
		test "$(get files.test /etc/passwd | cut -c1-3)" = "503"
	check "a disabled service is not there (503)" \
		test "$(get off.test /share/hello.txt | cut -c1-3)" = "503"
	check "an unknown host gets 503" test "$(get other.test / | cut -c1-3)" = "503"
	kill -TERM "$pfpid"
	rc=0
	wait "$pfpid" || rc=$?
	check "pinfold exits 0 on SIGTERM" test "$rc" = 0
	[ "$rc" = 0 ] || cat "$T/serve.out"
else
	fail "service config translates: $(cat "$T/gen.err")"
fi

# ---- 4. every mistake is reported, and nothing is written --------------------------------
cat >"$T/bad.uci" <<'UCI'
config pinfold 'main'
	option loglevel '9'

config listener 'l1'
	option port 'http'
	option protocol 'ftp'

config listener 'l2'
	option protocol 'https'
	option port '8443'

config listener 'l3'
	option protocol 'https'
	option port '8444'
	list cert 'relative.pem'

config service 'both'
	option redirect 'https://x.test'
	list backend '127.0.0.2:80'

config service 'neither'
	list host 'n.test'

config service 'v6'
	list backend '::1:8080'

config service 'lost'
	option listener 'nope'
	list backend '127.0.0.2:80'

config service 'quote'
	list url '^/a"b'
	list backend '127.0.0.2:80'

config service 'acl'
	list allow '10.0.0.0/8; rm -rf /'
	list backend '127.0.0.2:99999'
UCI
echo "previous" >"$T/bad.cfg"
if gen "$T/bad.uci" "$T/bad.cfg"; then
	fail "a broken UCI config is refused"
else
	pass "a broken UCI config is refused"
fi
check "the old native config is left as it was" grep -qx previous "$T/bad.cfg"
for want in "main.loglevel: expected a number 0-5, got '9'" \
	"l1.protocol: expected http or https, got 'ftp'" \
	"l2.cert: an https listener needs a certificate" \
	"l3.cert: expected an absolute file name, got 'relative.pem'" \
	"both: either redirect or backend, not both" \
	"neither: needs a redirect or at least one backend" \
	"v6.backend: write an IPv6 backend as [address]:port" \
	"lost.listener: no listener section 'nope'" \
	"quote.url: quotes and backslashes are not allowed" \
	"acl.allow: expected an address or CIDR" \
	"acl.backend: expected a number 1-65535, got '99999'"; do
	check "reported: $want" grep -qF "$want" "$T/gen.err"
done

# ---- 5. ACLs, several hosts, IPv6 and HTTPS backends: the text pinfold gets --------------
cat >"$T/more.uci" <<'UCI'
config pinfold 'main'
	option chroot '0'

config service 'vault'
	list host 'vault.example.org'
	list host '*.example.net'
	list allow '192.168.1.0/24'
	list allow 'fd00::/8'
	list backend 'https://[fd00::5]:8200'
UCI
if gen "$T/more.uci" "$T/more.cfg"; then
	for want in 'ACL "allow_vault"' '	"192.168.1.0/24"' '	"fd00::/8"' \
		'	ACL "allow_vault"' '	Host -re "^(vault[.]example[.]org|[^.]+[.]example[.]net)$"' \
		'		Address fd00::5' '		Port 8200' '		HTTPS'; do
		check "generated: $want" grep -qxF "$want" "$T/more.cfg"
	done
	check "no RootJail with chroot 0" lacks "$T/more.cfg" RootJail
else
	fail "ACL config translates: $(cat "$T/gen.err")"
fi
aport=$(free_port 127.0.0.1)
cat >"$T/acl.uci" <<UCI
config pinfold 'main'
	option chroot '0'
	option user 'nobody'
	option group '$nobody_group'

config listener 'web'
	option port '$aport'

config service 'lan'
	list host 'lan.example.org'
	list allow '127.0.0.0/8'
	list allow '::1'
	list backend '127.0.0.2:$beport'

config service 'office'
	list host 'office.example.org'
	list allow '10.0.0.0/8'
	list backend '127.0.0.2:$beport'
UCI
if gen "$T/acl.uci" "$T/acl.cfg"; then
	# pinfold must enforce the ACL or refuse the config; never run without it.
	if "$bin" -c -f "$T/acl.cfg" >"$T/acl.out" 2>&1; then
		"$bin" -F -e -f "$T/acl.cfg" >"$T/acl.log" 2>&1 &
		aclpid=$!
		pids="$pids $aclpid"
		i=0
		until curl -s -o /dev/null "http://127.0.0.1:$aport/" || [ $i -ge $((100 * slow)) ]; do
			i=$((i + 1))
			sleep 0.1
		done
		acl_get() { # host -> status code
			curl -s --max-time $((10 * slow)) -o /dev/null -w '%{http_code}' -H "Host: $1" \
				"http://127.0.0.1:$aport/share/hello.txt"
		}
		check "ACL: an allowed client gets through" test "$(acl_get lan.example.org)" = 200
		# Pound 4's meaning: a service with an ACL does not match other clients
		# (then no service does: 503); a 403 would do as well.
		code=$(acl_get office.example.org)
		check "ACL: a client outside allow is refused ($code)" \
			sh -c 'case $1 in 403 | 503) ;; *) exit 1 ;; esac' sh "$code"
		kill -TERM "$aclpid"
		wait "$aclpid" || true
	elif grep -q ACL "$T/acl.out"; then
		pass "pinfold refuses the ACL it does not have (never ignores it)"
	else
		fail "pinfold -c on an ACL config: $(cat "$T/acl.out")"
	fi
else
	fail "ACL config translates: $(cat "$T/gen.err")"
fi

# ---- 6. the procd init script -------------------------------------------------------------
# rc ACTION UCI_FILE [ENV=VALUE...]: run pinfold.init ACTION under the rc.common stand-in;
# what it told procd is in $T/procd.log, its stderr in $T/rc.err.
rc() {
	unmount_all
	rm -rf "$T/uci" "$T/run"
	mkdir -p "$T/uci"
	keep_run "$@"
}
# keep_run ACTION UCI_FILE [ENV=VALUE...]: the same, keeping RUNDIR (a running pinfold's).
keep_run() {
	action=$1 ucifile=$2
	shift 2
	cp "$ucifile" "$T/uci/pinfold"
	: >"$T/procd.log"
	env UCI_CONFIG_DIR="$T/uci" PROCD_LOG="$T/procd.log" PINFOLD_PROG="$bin" \
		PINFOLD_RUNDIR="$T/run" PINFOLD_UCI2CFG="$files/uci2cfg.sh" \
		PINFOLD_FUNCTIONS="$stubs/functions.sh" "$@" \
		busybox sh "$stubs/rc.common" "$files/pinfold.init" "$action" 2>"$T/rc.err"
}
logged() { # exact line expected in procd.log
	grep -qxF "$1" "$T/procd.log"
}

touch "$T/cert.pem"
cp "$T/check.uci" "$T/procd.uci"
if rc start "$T/procd.uci"; then
	pass "start_service succeeds"
else
	fail "start_service succeeds: $(cat "$T/rc.err")"
fi
check "procd: one instance" logged "open_instance "
check "procd: foreground with the generated config" \
	logged "set_param command $bin -F -f $T/run/pinfold.cfg"
check "procd: respawn" logged "set_param respawn 3600 5 5"
check "procd: restart when the file changes" logged "set_param file $T/run/pinfold.cfg"
check "procd: stdout/stderr to the log" logged "set_param stderr 1"
check "procd: no ujail unless asked" lacks "$T/procd.log" add_jail
check "the generated config is the checked one" test -s "$T/run/pinfold.cfg"

sed "s|option ujail '0'|option ujail '1'|" "$T/procd.uci" >"$T/ujail.uci"
printf "config listener 'tls'\n\toption enabled '0'\n\tlist cert '%s'\n" "$T/cert.pem" \
	>>"$T/ujail.uci"
rc start "$T/ujail.uci" || true
check "ujail: jail with log access" logged "add_jail pinfold log"
check "ujail: the config mounted" logged "add_jail_mount $T/run/pinfold.cfg"
check "ujail: the user database mounted" logged "add_jail_mount /etc/passwd"
check "ujail: the certificate mounted" logged "add_jail_mount $T/cert.pem"
check "ujail: the jail dir mounted" logged "add_jail_mount $T/run"

# HTTPS: the certificates are copied into the jail, root's and the group's only, and the
# config names the copies; OpenWrt's acme layout (NAME.fullchain.crt + NAME.key) is joined
# into one PEM.  Real certificates: `pinfold -c` loads them before anything is applied.
# mkcert NAME FILE...: an ECDSA P-256 certificate for NAME; with one FILE, key and chain
# together, with two, the chain and the key apart.
mkcert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$T/k.pem" -out "$T/c.pem" 2>/dev/null
	if [ $# = 2 ]; then
		cat "$T/k.pem" "$T/c.pem" >"$2"
	else
		cp "$T/c.pem" "$2" && cp "$T/k.pem" "$3"
	fi
	rm -f "$T/k.pem" "$T/c.pem"
}
tls=1
[ "${PINFOLD_TLS_BACKEND:-mbedtls}" != none ] && command -v openssl >/dev/null || tls=0
if [ "$tls" = 1 ]; then
	mkdir -p "$T/acme/a" "$T/acme/b" "$T/ssl-acme"
	mkcert a.test "$T/acme/a/fullchain.pem"
	mkcert b.test "$T/acme/b/fullchain.pem"
	mkcert ha.example.org "$T/ssl-acme/ha.example.org.fullchain.crt" "$T/ssl-acme/ha.example.org.key"
	chmod 600 "$T/acme/a/fullchain.pem" "$T/acme/b/fullchain.pem"
	{
		cat "$T/procd.uci"
		printf "config listener 'tls'\n\toption protocol 'https'\n\toption port '%s'\n" \
			"$(free_port 127.0.0.1)"
		printf "\tlist acme_domain 'ha.example.org'\n"
		printf "\tlist cert '%s'\n\tlist cert '%s'\n" "$T/acme/a/fullchain.pem" "$T/acme/b/fullchain.pem"
	} >"$T/tls.uci"
	rc start "$T/tls.uci" PINFOLD_ACME_CERTS="$T/ssl-acme" || true
	[ -s "$T/run/pinfold.cfg" ] || cat "$T/rc.err"
	ca=$T/run/certs/$(printf '%s' "${T#/}/acme/a/fullchain.pem" | tr / _)
	cb=$T/run/certs/$(printf '%s' "${T#/}/acme/b/fullchain.pem" | tr / _)
	cacme=$T/run/certs/acme_ha.example.org.pem
	gid=$(getent group "$nobody_group" | cut -d: -f3)
	check "certs: both copied, same names kept apart" sh -c \
		'cmp -s "$1" "$2" && cmp -s "$3" "$4"' sh "$ca" "$T/acme/a/fullchain.pem" "$cb" "$T/acme/b/fullchain.pem"
	check "certs: copy is 0640 root:$nobody_group" test "$(stat -c '%a %u:%g' "$ca")" = "640 0:$gid"
	check "certs: dir is 0750 root:$nobody_group" test "$(stat -c '%a %u:%g' "$T/run/certs")" = "750 0:$gid"
	check "certs: the config names the copies" grep -qxF "	Cert \"$ca\"" "$T/run/pinfold.cfg"
	check "acme_domain: OpenWrt acme's fullchain + key joined in the jail" sh -c \
		'cat "$2" "$3" | cmp -s - "$1"' sh "$cacme" "$T/ssl-acme/ha.example.org.fullchain.crt" \
		"$T/ssl-acme/ha.example.org.key"
	check "acme_domain: first, so the default certificate" sh -c \
		'grep "^	Cert " "$1" | head -n1 | grep -qF "acme_ha.example.org.pem"' sh "$T/run/pinfold.cfg"
	check "nothing staged is left behind" sh -c \
		'[ ! -e "$1/pinfold.cfg.new" ] && [ ! -e "$1/pinfold.cfg.check" ] && [ ! -e "$1/certs.new" ]' sh "$T/run"
	rc start "$T/procd.uci" || true
	check "certs: removed when no longer named" test ! -e "$ca"
else
	echo "skip - certificates in the jail (TLS backend none, or no openssl)"
fi

sed "s|option enabled '1'|option enabled '0'|" "$T/procd.uci" >"$T/off.uci"
rc start "$T/off.uci" || true
check "disabled: no instance" lacks "$T/procd.log" open_instance

cp "$T/serve/pinfold.cfg" "$T/handwritten.cfg"
printf "config pinfold 'main'\n\toption enabled '1'\n\toption config_file '%s'\n" \
	"$T/handwritten.cfg" >"$T/hand.uci"
rc start "$T/hand.uci" || true
check "config_file: runs the hand-written config" \
	logged "set_param command $bin -F -f $T/handwritten.cfg"
check "config_file: nothing generated" test ! -e "$T/run/pinfold.cfg"

printf 'ListenHTTP\n\tPort 1\n\tNoSuchDirective 1\nEnd\n' >"$T/broken.cfg"
printf "config pinfold 'main'\n\toption enabled '1'\n\toption config_file '%s'\n" \
	"$T/broken.cfg" >"$T/broken.uci"
# (rc.common's start returns procd_close_service's status, not start_service's: what
# shows the refusal is a service handed to procd without an instance)
rc start "$T/broken.uci" || true
check "a config pinfold -c rejects is not started" logged "close_service set"
check "... no instance for it" lacks "$T/procd.log" open_instance
check "... and the reason is logged" grep -q "NoSuchDirective" "$T/rc.err"

rc reload "$T/procd.uci" PROCD_RUNNING=1 || true
check "reload: SIGHUP to the running instance" logged "send_signal pinfold * HUP"
rc reload "$T/procd.uci" PROCD_RUNNING=0 || true
check "reload when not running: start" logged "open_service pinfold.init $files/pinfold.init"
rc reload "$T/broken.uci" PROCD_RUNNING=1 || true
check "reload with a broken config: no signal" lacks "$T/procd.log" send_signal
rc reload "$T/off.uci" PROCD_RUNNING=1 || true
check "reload when disabled: stop" logged "kill pinfold.init "
rc triggers "$T/procd.uci" || true
check "uci commit pinfold reloads" logged "add_reload_trigger pinfold"
check "acme renewal reloads (as haproxy, nginx)" \
	logged "add_raw_trigger acme.renew 5000 /etc/init.d/pinfold reload"
check "acme issuance reloads" logged "add_raw_trigger acme.issue 5000 /etc/init.d/pinfold reload"
check "no interface trigger without option firewall" lacks "$T/procd.log" add_reload_interface_trigger

# ---- 7. typed validation: a bad value is refused by its name, nothing generated ---------
{
	sed -e "s|option chroot '1'|option chroot 'maybe'|" -e "s|option loglevel '1'|option loglevel '7'|" \
		"$T/procd.uci"
	printf "config listener 'bad'\n\toption address '10.0.0.999'\n\toption port '70000'\n"
	printf "\toption protocol 'https'\n\tlist acme_domain 'not a name'\n\tlist cert '%s'\n" "$T/nope.pem"
	printf "config service 'badsvc'\n\tlist backend '127.0.0.2:80'\n\toption redirect_code '399'\n"
} >"$T/invalid.uci"
rc start "$T/invalid.uci" || true
check "invalid values: start refused (the service handed to procd without an instance)" \
	sh -c 'grep -qx "close_service set" "$1" && ! grep -q open_instance "$1"' sh "$T/procd.log"
for want in "main.chroot: 'maybe' is not a valid bool" \
	"main.loglevel: '7' is not a valid range(0,5)" \
	"bad.address: '10.0.0.999' is not a valid ipaddr" \
	"bad.port: '70000' is not a valid port" \
	"bad.acme_domain[0]: 'not a name' is not a valid hostname" \
	"bad.cert[0]: '$T/nope.pem' is not a valid file" \
	"badsvc.redirect_code: '399' is not a valid range(301,308)"; do
	check "validation names: $want" grep -qF "pinfold: UCI $want" "$T/rc.err"
done
check "validation: the good options are not reported" lacks "$T/rc.err" "main.alive"
check "validation: nothing generated, no instance" sh -c \
	'[ ! -e "$1/pinfold.cfg" ] && ! grep -q open_instance "$2"' sh "$T/run" "$T/procd.log"

# ---- 8. check before apply: a running pinfold keeps its config and certificates --------
# (the rc() helper starts from an empty RUNDIR each time: these steps keep theirs)
rc start "$T/procd.uci" || true
cp "$T/run/pinfold.cfg" "$T/live.cfg"
sed "s|option port '7080'|option port 'eighty'|" "$T/procd.uci" >"$T/badport.uci"
if keep_run reload "$T/badport.uci" PROCD_RUNNING=1; then st=0; else st=$?; fi
check "check before apply: a bad UCI value fails the reload" test "$st" != 0
check "... names it" grep -qF "pinfold: UCI http.port: 'eighty' is not a valid port" "$T/rc.err"
check "... says the running pinfold keeps its config" grep -q "not reloaded" "$T/rc.err"
check "... the live config untouched" cmp -s "$T/live.cfg" "$T/run/pinfold.cfg"
check "... no signal" lacks "$T/procd.log" send_signal
# A value every datatype accepts but pinfold does not: caught by `pinfold -c` on the
# staged copy, before the live one is touched.
sed "s|option xhttp '0'|option xhttp '0'\n\toption client '1'\n\toption timeout '1'|" \
	"$T/procd.uci" >"$T/ok2.uci"
printf "config service 'dup'\n\tlist host 'x.test'\n\tlist url '^/(unclosed'\n\tlist backend '127.0.0.2:80'\n" \
	>>"$T/ok2.uci"
if keep_run reload "$T/ok2.uci" PROCD_RUNNING=1; then st=0; else st=$?; fi
check "check before apply: a config pinfold -c refuses fails the reload" test "$st" != 0
check "... with pinfold's own reason" grep -q "pinfold.cfg.check" "$T/rc.err"
check "... the live config untouched" cmp -s "$T/live.cfg" "$T/run/pinfold.cfg"
check "... nothing staged left" sh -c '[ ! -e "$1/pinfold.cfg.new" ] && [ ! -e "$1/certs.new" ]' sh "$T/run"
check "... no signal" lacks "$T/procd.log" send_signal
sed "s|option loglevel '1'|option loglevel '2'|" "$T/procd.uci" >"$T/good2.uci"
keep_run reload "$T/good2.uci" PROCD_RUNNING=1 || true
check "a good change: applied, then SIGHUP" sh -c \
	'grep -qx "LogLevel 2" "$1" && grep -qxF "send_signal pinfold * HUP" "$2"' sh "$T/run/pinfold.cfg" "$T/procd.log"

# ---- 9. OpenWrt acme's HTTP-01 challenge directory, mapped into the jail -----------------
if [ "$(id -u)" = 0 ]; then
	hport=$(free_port 127.0.0.1)
	sed -e "s|option port '7080'|option port '$hport'|" "$T/procd.uci" >"$T/acme.uci"
	rc start "$T/acme.uci" || true
	check "acme: the http listener answers the challenges" \
		grep -qxF "	ACME \"$T/run/acme/.well-known/acme-challenge\"" "$T/run/pinfold.cfg"
	check "acme: the challenge dir is mounted read-only in the jail" sh -c \
		'awk -v m="$1" '"'"'$2 == m && $4 ~ /(^|,)ro(,|$)/ { f = 1 } END { exit !f }'"'"' /proc/mounts' \
		sh "$T/run/acme"
	# as acme's hook writes a token (uacme's httpchalhook.sh, acme.sh --webroot)
	echo "token-body.thumbprint" >"$T/acme-challenge/.well-known/acme-challenge/tok_EN-1"
	"$bin" -F -e -f "$T/run/pinfold.cfg" >"$T/acme.log" 2>&1 &
	apid=$!
	pids="$pids $apid"
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$hport/" || [ $i -ge 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	check "acme: the token written outside the jail is served from inside it" test \
		"$(curl -s --max-time 10 -H 'Host: ha.example.org' \
			"http://127.0.0.1:$hport/.well-known/acme-challenge/tok_EN-1")" = "token-body.thumbprint"
	check "acme: pinfold is chrooted into the jail" test "$(readlink "/proc/$apid/root")" = "$T/run"
	kill -TERM "$apid" 2>/dev/null || true
	wait "$apid" 2>/dev/null || true
	keep_run stop "$T/acme.uci" || true
	check "acme: stop unmounts it" sh -c '! awk -v m="$1" '"'"'$2 == m { f = 1 } END { exit !f }'"'"' /proc/mounts' \
		sh "$T/run/acme"
else
	echo "skip - acme challenge mapping (needs root: bind mount, chroot)"
fi

# ---- 10. the firewall by the package --------------------------------------------------------
mkdir -p "$T/sys/all" "$T/sys/eth1" "$T/sys/lo"
for d in all eth1 lo; do echo 0 >"$T/sys/$d/route_localnet"; done
printf '#!/bin/sh\necho "firewall $*" >>"%s"\n' "$T/procd.log" >"$T/firewall.init"
chmod 755 "$T/firewall.init"
sed "s|option firewall '0'|option firewall '1'|" "$T/procd.uci" >"$T/fw.uci"
printf "config listener 'v6'\n\toption address '::'\n\toption port '7081'\n\toption wan_port '80'\n" \
	>>"$T/fw.uci"
fwenv="PINFOLD_NETWORK_SH=$stubs/network.sh PINFOLD_SYSCTL_IPV4=$T/sys PINFOLD_FIREWALL_INIT=$T/firewall.init PINFOLD_TEST_WANDEV=eth1"
# shellcheck disable=SC2086  # fwenv: VAR=VALUE words
rc start "$T/fw.uci" $fwenv || true
for want in "open_data" "json_add_array firewall" "json_add_string type redirect" \
	"json_add_string name pinfold-http" "json_add_string src wan" "json_add_string proto tcp" \
	"json_add_string src_dport 80" "json_add_string dest_port 7080" \
	"json_add_string dest_ip 127.0.0.1" "json_add_string target DNAT" \
	"json_add_string family ipv4" "json_add_string name pinfold-v6" \
	"json_add_string dest_port 7081" "json_add_string family ipv6" "close_data"; do
	check "firewall data: $want" logged "$want"
done
check "firewall data: the IPv6 redirect has no dest_ip (the router itself)" sh -c \
	'sed -n "/name pinfold-v6/,/close_object/p" "$1" | grep -q dest_ip && exit 1 || exit 0' sh "$T/procd.log"
# (rc.common's start ran the service_started hook: route_localnet and the fw4 reload)
check "route_localnet on the WAN device" test "$(cat "$T/sys/eth1/route_localnet")" = 1
check "route_localnet never on conf.all" test "$(cat "$T/sys/all/route_localnet")" = 0
check "fw4 reloaded to take the forwards" logged "firewall reload"
# shellcheck disable=SC2086
keep_run triggers "$T/fw.uci" $fwenv || true
check "the WAN coming up again reloads (a new device)" logged "add_reload_interface_trigger wan"
# shellcheck disable=SC2086
keep_run stop "$T/fw.uci" $fwenv || true
check "stop: route_localnet put back" test "$(cat "$T/sys/eth1/route_localnet")" = 0
check "stop: fw4 reloaded (the forwards go)" logged "firewall reload"

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
