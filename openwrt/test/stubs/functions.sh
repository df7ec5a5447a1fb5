# shellcheck shell=dash
# Test stand-in for OpenWrt's /lib/functions.sh: only the UCI reading that
# openwrt/files/uci2cfg.sh and pinfold.init use, with the same visible behaviour.
# Not the thing under test: the real one reads `uci export` output; this one evaluates
# the config file itself, which is the same text (config/option/list lines).
#   config_load PKG        reads $UCI_CONFIG_DIR/PKG (default /etc/config)
#   config_get VAR SECTION OPTION [DEFAULT]
#   config_get_bool VAR SECTION OPTION [DEFAULT]   1/on/true/yes/enabled -> 1, ...
#   config_foreach FUNCTION [TYPE] [ARGS...]        sections in file order
#   config_list_foreach SECTION OPTION FUNCTION [ARGS...]
# Anonymous sections get OpenWrt-style names: cfg01, cfg02, ...

_uci_sections=""
_uci_section=""
_uci_count=0

_uci_set() { # section option value
	eval "CONFIG_${1}_${2}=\$3"
}

config() { # type [name]
	_uci_count=$((_uci_count + 1))
	_uci_section=${2:-$(printf 'cfg%02x' "$_uci_count")}
	_uci_sections="$_uci_sections $_uci_section"
	_uci_set "$_uci_section" TYPE "$1"
}

option() { # name value
	_uci_set "$_uci_section" "$1" "$2"
}

list() { # name value
	local n
	eval "n=\${CONFIG_${_uci_section}_${1}_LENGTH:-0}"
	n=$((n + 1))
	_uci_set "$_uci_section" "${1}_ITEM$n" "$2"
	_uci_set "$_uci_section" "${1}_LENGTH" "$n"
	eval "CONFIG_${_uci_section}_${1}=\"\${CONFIG_${_uci_section}_${1}:+\$CONFIG_${_uci_section}_${1} }\$2\""
}

package() {
	:
}

config_load() { # package
	local s
	for s in $_uci_sections; do
		unset "CONFIG_${s}_TYPE"
	done
	_uci_sections="" _uci_section="" _uci_count=0
	# shellcheck disable=SC1090
	. "${UCI_CONFIG_DIR:-/etc/config}/$1"
}

config_get() { # var section option [default]
	case "$2$3" in
	*[!A-Za-z0-9_]*) eval "$1=\$4" ;;
	*) eval "$1=\${CONFIG_${2}_${3}-\$4}" ;;
	esac
}

config_get_bool() { # var section option [default]
	local v
	config_get v "$2" "$3" "$4"
	case $v in
	1 | on | true | yes | enabled) v=1 ;;
	0 | off | false | no | disabled) v=0 ;;
	*) v=$4 ;;
	esac
	eval "$1=\$v"
}

config_foreach() { # function [type] [args...]
	local fn=$1 type=${2:-} s t
	if [ $# -ge 2 ]; then shift 2; else shift; fi
	for s in $_uci_sections; do
		eval "t=\${CONFIG_${s}_TYPE:-}"
		[ -z "$type" ] || [ "$t" = "$type" ] || continue
		"$fn" "$s" "$@"
	done
}

config_list_foreach() { # section option function [args...]
	local s=$1 o=$2 fn=$3 n i=1 v
	shift 3
	eval "n=\${CONFIG_${s}_${o}_LENGTH:-0}"
	while [ "$i" -le "$n" ]; do
		eval "v=\${CONFIG_${s}_${o}_ITEM$i}"
		"$fn" "$v" "$@"
		i=$((i + 1))
	done
}
