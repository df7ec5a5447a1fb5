# shellcheck shell=dash
# Test stand-in for OpenWrt's /lib/functions.sh (openwrt.git
# package/base-files/files/lib/functions.sh): only the UCI reading that
# openwrt/files/uci2cfg.sh and pinfold.init use, with the real functions' signatures and
# visible behaviour.  Written for this test, not copied.
# Not the thing under test: the real config_load runs uci_load (/lib/config/uci.sh), which
# evaluates `uci export` output; this one evaluates the config file itself, the same
# config/option/list lines.
#   config_load PKG        reads $UCI_CONFIG_DIR/PKG (default /etc/config)
#   config_get VAR SECTION OPTION [DEFAULT]   DEFAULT when unset or empty, as the real one
#   config_get SECTION OPTION                 prints the value
#   config_get_bool VAR SECTION OPTION [DEFAULT]   1/on/true/yes/enabled -> 1, ...
#   config_foreach FUNCTION [TYPE] [ARGS...]        sections in file order
#   config_list_foreach SECTION OPTION FUNCTION [ARGS...]
#   option NAME VALUE... / list NAME VALUE...       the words after NAME, joined by spaces
# Anonymous sections get names as `uci -n export` gives them (cfg, then a hex index:
# cfg01, cfg02, ...; uci adds a hash, which no script here depends on).

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

option() { # name value...
	local name=$1
	shift
	_uci_set "$_uci_section" "$name" "$*"
}

# The real uci_load (/lib/config/uci.sh) empties every list of the previous load
# (CONFIG_LIST_STATE): a second config_load must not append to the first one's lists.
_uci_lists=""
list() { # name value...
	local name=$1 n v
	shift
	_uci_lists="$_uci_lists ${_uci_section}_${name}"
	v=$*
	eval "n=\${CONFIG_${_uci_section}_${name}_LENGTH:-0}"
	n=$((n + 1))
	_uci_set "$_uci_section" "${name}_ITEM$n" "$v"
	_uci_set "$_uci_section" "${name}_LENGTH" "$n"
	eval "CONFIG_${_uci_section}_${name}=\"\${CONFIG_${_uci_section}_${name}:+\$CONFIG_${_uci_section}_${name} }\$v\""
}

package() {
	:
}

config_load() { # package
	local s
	for s in $_uci_sections; do
		unset "CONFIG_${s}_TYPE"
	done
	for s in $_uci_lists; do
		unset "CONFIG_${s}" "CONFIG_${s}_LENGTH"
	done
	_uci_sections="" _uci_section="" _uci_count=0 _uci_lists=""
	# shellcheck disable=SC1090
	. "${UCI_CONFIG_DIR:-/etc/config}/$1"
}

config_get() { # var section option [default] | section option
	case "$2${3:-$1}" in
	*[!A-Za-z0-9_]*) : ;;
	*)
		if [ -z "${3:-}" ]; then
			eval "echo \"\${CONFIG_${1}_${2}:-}\""
		else
			eval "$1=\${CONFIG_${2}_${3}:-\${4:-}}"
		fi
		;;
	esac
}

# The real one keeps its value in _tmp, so a caller's variable named v is set too.
config_get_bool() { # var section option [default]
	local _tmp
	config_get _tmp "$2" "$3" "$4"
	case $_tmp in
	1 | on | true | yes | enabled) _tmp=1 ;;
	0 | off | false | no | disabled) _tmp=0 ;;
	*) _tmp=$4 ;;
	esac
	eval "$1=\$_tmp"
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
	[ "$#" -ge 3 ] || return 0
	local s=$1 o=$2 fn=$3 n i=1 v
	shift 3
	eval "n=\${CONFIG_${s}_${o}_LENGTH:-0}"
	while [ "$i" -le "$n" ]; do
		eval "v=\${CONFIG_${s}_${o}_ITEM$i}"
		"$fn" "$v" "$@"
		i=$((i + 1))
	done
}
