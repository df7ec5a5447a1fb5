# shellcheck shell=dash
# uci2cfg.sh - /etc/config/pinfold (UCI) -> pinfold's native (Pound-syntax) configuration.
#
# Sourced by /etc/init.d/pinfold after /lib/functions.sh (config_load, config_get, ...).
# Defines pinfold_uci_generate OUT: writes the native config to OUT (atomically), or
# prints every problem as "pinfold: UCI section.option: ..." on stderr and returns 1
# leaving OUT as it was.  It writes nothing else: the certificate copies the jail needs
# are listed in PINFOLD_UCI_CERTS, and the ACME challenge directory to map into the jail
# in PINFOLD_UCI_ACME, for the init script to make.  Covers the common case: listeners, redirects, services with
# hosts, paths and backends, certificates, client ACLs.  Anything more: point
# `option config_file` at a hand-written native config instead.
#
# Values go between double quotes in the output, so a value holding a quote or a
# backslash is refused rather than escaped.  Every number and address is checked here, and
# `pinfold -c` checks the whole result before procd starts anything.

PINFOLD_UCI_ERRORS=0
PINFOLD_UCI_OUT=
PINFOLD_UCI_CERTS=
PINFOLD_UCI_ACME=
# Where OpenWrt's acme package (acme-common) keeps what it issues: NAME.fullchain.crt,
# NAME.key, NAME.combined.crt (overridable for the tests only).
PINFOLD_ACME_CERTS=${PINFOLD_ACME_CERTS:-/etc/ssl/acme}
_pf_jail=
_pf_chroot=1
_pf_acme=

_pf_err() {
	echo "pinfold: UCI $*" >&2
	PINFOLD_UCI_ERRORS=$((PINFOLD_UCI_ERRORS + 1))
}

_pf_emit() {
	printf '%s\n' "$*" >>"$PINFOLD_UCI_OUT"
}

# _pf_str SECTION OPTION VALUE: VALUE between double quotes, or an error.
_pf_str() {
	case $3 in
	*'"'* | *\\*)
		_pf_err "$1.$2: quotes and backslashes are not allowed: $3"
		return 1
		;;
	esac
	printf '"%s"' "$3"
}

# _pf_int SECTION OPTION VALUE MIN MAX
_pf_int() {
	case $3 in
	'' | *[!0-9]*) ;;
	*)
		if [ "${#3}" -le 6 ] && [ "$3" -ge "$4" ] && [ "$3" -le "$5" ]; then
			return 0
		fi
		;;
	esac
	_pf_err "$1.$2: expected a number $4-$5, got '$3'"
	return 1
}

# _pf_addr SECTION OPTION VALUE: an IPv4/IPv6 address or a host name.
_pf_addr() {
	case $3 in
	'' | *[!A-Za-z0-9.:_-]*)
		_pf_err "$1.$2: expected an IP address or host name, got '$3'"
		return 1
		;;
	esac
}

# _pf_hostport SECTION OPTION VALUE: sets _pf_h, _pf_p and _pf_tls from
# "host:port", "[v6addr]:port" or "https://host:port".
_pf_hostport() {
	local v=$3
	_pf_tls=0
	case $v in
	https://*) _pf_tls=1 v=${v#https://} ;;
	http://*) v=${v#http://} ;;
	esac
	case $v in
	\[*\]:*)
		_pf_h=${v%%]:*}
		_pf_h=${_pf_h#[}
		_pf_p=${v##*]:}
		;;
	*:*:*)
		_pf_err "$1.$2: write an IPv6 backend as [address]:port, got '$3'"
		return 1
		;;
	*:*)
		_pf_h=${v%:*}
		_pf_p=${v##*:}
		;;
	*)
		_pf_err "$1.$2: expected host:port, got '$3'"
		return 1
		;;
	esac
	_pf_addr "$1" "$2" "$_pf_h" && _pf_int "$1" "$2" "$_pf_p" 1 65535
}

# ---- global ---------------------------------------------------------------------------
_pf_global() {
	local s=$1 v
	config_get v "$s" user pinfold
	[ -z "$v" ] || _pf_emit "User $(_pf_str "$s" user "$v")"
	config_get v "$s" group pinfold
	[ -z "$v" ] || _pf_emit "Group $(_pf_str "$s" group "$v")"
	config_get_bool _pf_chroot "$s" chroot 1
	[ "$_pf_chroot" = 0 ] || _pf_emit "RootJail $(_pf_str "$s" chroot "$_pf_jail")"
	config_get v "$s" loglevel 1
	_pf_int "$s" loglevel "$v" 0 5 && _pf_emit "LogLevel $v"
	config_get v "$s" log_facility daemon
	case $v in
	'' | *[!a-z0-9]*) _pf_err "$s.log_facility: expected a syslog facility, got '$v'" ;;
	*) _pf_emit "LogFacility $v" ;;
	esac
	config_get v "$s" alive 30
	_pf_int "$s" alive "$v" 1 86400 && _pf_emit "Alive $v"
	# The control socket (pinfoldctl, LuCI's status page), in a directory of the jail the
	# init script gives to pinfold's user.
	config_get_bool v "$s" control 0
	[ "$v" = 0 ] || _pf_emit "Control \"$_pf_jail/run/ctl.sock\""
	# HTTP-01: OpenWrt's acme writes CHALLENGE_DIR/.well-known/acme-challenge/TOKEN
	# (CHALLENGE_DIR=/var/run/acme/challenge); the init script maps it into the jail.
	config_get v "$s" acme_challenge ''
	_pf_acme=
	case $v in
	'') ;;
	/*)
		if _pf_str "$s" acme_challenge "$v" >/dev/null; then
			if [ "$_pf_chroot" = 1 ]; then
				_pf_acme=$_pf_jail/acme
				PINFOLD_UCI_ACME="$v $_pf_acme"
			else
				_pf_acme=$v
			fi
		fi
		;;
	*) _pf_err "$s.acme_challenge: expected an absolute directory name, got '$v'" ;;
	esac
	config_get v "$s" client ''
	[ -z "$v" ] || { _pf_int "$s" client "$v" 1 86400 && _pf_emit "Client $v"; }
	config_get v "$s" timeout ''
	[ -z "$v" ] || { _pf_int "$s" timeout "$v" 1 86400 && _pf_emit "TimeOut $v"; }
	_pf_emit ""
}

# ---- client ACLs (Pound 4: a named ACL block, referenced from the service) -----------
_pf_acl_entry() { # value section
	case $1 in
	'' | *[!0-9A-Fa-f.:/]*) _pf_err "$2.allow: expected an address or CIDR, got '$1'" ;;
	*) _pf_emit "	\"$1\"" ;;
	esac
}

_pf_acl() {
	local s=$1 enabled n
	config_get_bool enabled "$s" enabled 1
	[ "$enabled" = 1 ] || return 0
	config_get n "$s" allow_LENGTH 0
	[ "$n" -gt 0 ] || return 0
	_pf_emit "ACL \"allow_$s\""
	config_list_foreach "$s" allow _pf_acl_entry "$s"
	_pf_emit "End"
	_pf_emit ""
}

# ---- services -------------------------------------------------------------------------
# Host names of a service: one is compared exactly (as Pound's Host does, port
# ignored); several, or a "*." wildcard, become one anchored regular expression
# (dots as [.]: no backslashes inside a quoted string).
_pf_nhosts=0
_pf_host1=
_pf_hostre=
_pf_host_collect() { # value section
	local h
	case $1 in
	'' | *[!A-Za-z0-9.*_-]*)
		_pf_err "$2.host: expected a host name, got '$1'"
		return
		;;
	esac
	_pf_nhosts=$((_pf_nhosts + 1))
	[ -n "$_pf_host1" ] || _pf_host1=$1
	h=$(printf '%s' "$1" | sed 's/[.]/[.]/g; s/[*]/[^.]+/g')
	_pf_hostre="${_pf_hostre:+$_pf_hostre|}$h"
}

_pf_url() { # value section indent
	local q
	q=$(_pf_str "$2" url "$1") && _pf_emit "$3URL $q"
}

_pf_backend() { # value section indent kind
	_pf_hostport "$2" backend "$1" || return
	_pf_emit "$3$4"
	_pf_emit "$3	Address $_pf_h"
	_pf_emit "$3	Port $_pf_p"
	[ "$_pf_tls" = 0 ] || _pf_emit "$3	HTTPS"
	_pf_emit "$3End"
}

# _pf_service SECTION LISTENER INDENT: the Service block of SECTION when it belongs to
# LISTENER ("" = the global services, shared by every listener).
_pf_service() {
	local s=$1 want=$2 ind=$3 enabled listener v code nb n
	config_get_bool enabled "$s" enabled 1
	[ "$enabled" = 1 ] || return 0
	config_get listener "$s" listener ''
	[ "$listener" = "$want" ] || return 0

	_pf_emit "${ind}Service \"$s\""
	_pf_nhosts=0 _pf_host1='' _pf_hostre=''
	config_list_foreach "$s" host _pf_host_collect "$s"
	case $_pf_nhosts:$_pf_host1 in
	0:*) ;;
	1:*\**) _pf_emit "$ind	Host -re \"^($_pf_hostre)\$\"" ;;
	1:*) _pf_emit "$ind	Host \"$_pf_host1\"" ;;
	*) _pf_emit "$ind	Host -re \"^($_pf_hostre)\$\"" ;;
	esac
	config_list_foreach "$s" url _pf_url "$s" "$ind	"
	config_get n "$s" allow_LENGTH 0
	[ "$n" -gt 0 ] && _pf_emit "$ind	ACL \"allow_$s\""

	config_get v "$s" redirect ''
	config_get nb "$s" backend_LENGTH 0
	if [ -n "$v" ] && [ "$nb" -gt 0 ]; then
		_pf_err "$s: either redirect or backend, not both"
	elif [ -n "$v" ]; then
		case $v in
		http://* | https://*) ;;
		*) _pf_err "$s.redirect: expected an http:// or https:// URL, got '$v'" ;;
		esac
		config_get code "$s" redirect_code ''
		case $code in
		'' | 301 | 302 | 303 | 307 | 308) ;;
		*) _pf_err "$s.redirect_code: expected 301, 302, 303, 307 or 308, got '$code'" ;;
		esac
		v=$(_pf_str "$s" redirect "$v") && _pf_emit "$ind	Redirect ${code:+$code }$v"
	elif [ "$nb" -gt 0 ]; then
		config_list_foreach "$s" backend _pf_backend "$s" "$ind	" BackEnd
		config_get v "$s" emergency ''
		[ -z "$v" ] || _pf_backend "$v" "$s" "$ind	" Emergency
	else
		_pf_err "$s: needs a redirect or at least one backend"
	fi
	_pf_emit "${ind}End"
}

# ---- listeners ------------------------------------------------------------------------
_pf_listeners=
# In the jail, a certificate is a copy under JAIL/certs/ named after its whole path (two
# "fullchain.pem" stay apart); the copies to make are listed in PINFOLD_UCI_CERTS as
# "SOURCE DESTINATION" lines, for the init script.  Without chroot: the file itself.
_pf_cert() { # value section
	local q dst=$1
	case $1 in
	/*) ;;
	*)
		_pf_err "$2.cert: expected an absolute file name, got '$1'"
		return
		;;
	esac
	if [ "$_pf_chroot" = 1 ]; then
		dst=$_pf_jail/certs/$(printf '%s' "${1#/}" | tr '/' '_')
		PINFOLD_UCI_CERTS="$PINFOLD_UCI_CERTS$1 $dst
"
	fi
	q=$(_pf_str "$2" cert "$dst") && _pf_emit "	Cert $q"
}

# A name OpenWrt's acme package issued: its full chain and key, joined into one PEM in the
# jail (pinfold's Cert takes one file; a third word on the PINFOLD_UCI_CERTS line is the
# key to append).
_pf_acme_domain() { # value section
	local src
	case $1 in
	'' | .* | *..* | *[!A-Za-z0-9._-]*)
		_pf_err "$2.acme_domain: expected a host name, got '$1'"
		return
		;;
	esac
	src=$PINFOLD_ACME_CERTS/$1
	PINFOLD_UCI_CERTS="$PINFOLD_UCI_CERTS$src.fullchain.crt $_pf_jail/certs/acme_$1.pem $src.key
"
	_pf_emit "	Cert \"$_pf_jail/certs/acme_$1.pem\""
}

_pf_disable() { # value section
	case $1 in
	SSLv3 | TLSv1 | TLSv1_1 | TLSv1_2) _pf_emit "	Disable $1" ;;
	*) _pf_err "$2.disable: expected SSLv3, TLSv1, TLSv1_1 or TLSv1_2, got '$1'" ;;
	esac
}

_pf_listener() {
	local s=$1 enabled proto v n
	_pf_listeners="$_pf_listeners $s"
	config_get_bool enabled "$s" enabled 1
	[ "$enabled" = 1 ] || return 0
	config_get proto "$s" protocol http
	case $proto in
	http) _pf_emit "ListenHTTP" ;;
	https) _pf_emit "ListenHTTPS" ;;
	*)
		_pf_err "$s.protocol: expected http or https, got '$proto'"
		return
		;;
	esac
	config_get v "$s" address 127.0.0.1
	_pf_addr "$s" address "$v" && _pf_emit "	Address $v"
	config_get v "$s" port ''
	_pf_int "$s" port "$v" 1 65535 && _pf_emit "	Port $v"
	config_get v "$s" xhttp ''
	[ -z "$v" ] || { _pf_int "$s" xhttp "$v" 0 4 && _pf_emit "	xHTTP $v"; }
	config_get v "$s" client ''
	[ -z "$v" ] || { _pf_int "$s" client "$v" 1 86400 && _pf_emit "	Client $v"; }
	[ "$proto" = http ] && [ -n "$_pf_acme" ] &&
		_pf_emit "	ACME \"$_pf_acme/.well-known/acme-challenge\""
	if [ "$proto" = https ]; then
		config_get n "$s" cert_LENGTH 0
		config_get v "$s" acme_domain_LENGTH 0
		[ "$n" -gt 0 ] || [ "$v" -gt 0 ] ||
			_pf_err "$s.cert: an https listener needs a certificate (cert or acme_domain)"
		config_list_foreach "$s" acme_domain _pf_acme_domain "$s"
		config_list_foreach "$s" cert _pf_cert "$s"
		config_list_foreach "$s" disable _pf_disable "$s"
		config_get v "$s" ciphers ''
		[ -z "$v" ] || { v=$(_pf_str "$s" ciphers "$v") && _pf_emit "	Ciphers $v"; }
	fi
	config_foreach _pf_service service "$s" "	"
	_pf_emit "End"
	_pf_emit ""
}

# A service naming a listener that does not exist would silently never match.
_pf_check_listener() {
	local s=$1 l
	config_get l "$s" listener ''
	[ -z "$l" ] && return 0
	case " $_pf_listeners " in
	*" $l "*) ;;
	*) _pf_err "$s.listener: no listener section '$l'" ;;
	esac
}

# The global options live in the first section of type pinfold (normally 'main').
_pf_main=
_pf_first_main() {
	[ -n "$_pf_main" ] || _pf_main=$1
}

# pinfold_uci_generate OUT [PACKAGE]: the native config from UCI package PACKAGE
# (default pinfold), written to OUT only when UCI held no error.  OUT's directory is the
# jail (RootJail, unless `option chroot 0`): pinfold re-reads its config and certificates
# from inside it on SIGHUP, so they live there.
pinfold_uci_generate() {
	local out=$1 pkg=${2:-pinfold}
	PINFOLD_UCI_ERRORS=0
	PINFOLD_UCI_OUT="$out.tmp.$$"
	PINFOLD_UCI_CERTS=""
	# shellcheck disable=SC2034  # read by pinfold.init
	PINFOLD_UCI_ACME=""
	_pf_jail=$(cd "$(dirname "$out")" && pwd)
	_pf_chroot=1
	_pf_listeners=
	config_load "$pkg"
	: >"$PINFOLD_UCI_OUT" || return 1
	_pf_emit "# Generated from /etc/config/$pkg by /etc/init.d/pinfold."
	_pf_emit "# Edit that file (or set its config_file option), not this one."
	_pf_emit ""
	_pf_main=
	config_foreach _pf_first_main pinfold
	_pf_global "${_pf_main:-main}"
	config_foreach _pf_acl service
	config_foreach _pf_listener listener
	config_foreach _pf_check_listener service
	config_foreach _pf_service service "" ""
	if [ "$PINFOLD_UCI_ERRORS" -gt 0 ]; then
		rm -f "$PINFOLD_UCI_OUT"
		echo "pinfold: UCI: $PINFOLD_UCI_ERRORS error(s), $out not written" >&2
		return 1
	fi
	mv -f "$PINFOLD_UCI_OUT" "$out"
}
