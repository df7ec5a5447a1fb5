#!/bin/sh
# openwrt/test/test_luci.sh BINARY - luci-app-pinfold without a LuCI (none here): its JSON
# (menu.d, rpcd acl.d) parses, its views pass `node --check`, and each view runs under
# luci_harness.js (stand-ins of LuCI's form/uci/fs classes, named there) so that:
#   - every UCI option a form edits is one /etc/init.d/pinfold validates (its
#     pinfold_spec_* lists) and that the init or uci2cfg.sh reads;
#   - the status view renders what the real `pinfoldctl -j list` prints for the real
#     pinfold, and runs exactly the command the rpcd ACL grants;
#   - the menu's views exist and its ACL is the one acl.d defines.
# A headless browser render would need LuCI's own JavaScript, which is not available
# here: this is the static check of the form against the UCI schema instead.
# Exit 77 without node or python3.
# shellcheck disable=SC2016  # sh -c snippets take their values as arguments
set -eu

bin=${1:?usage: test_luci.sh PINFOLD_BINARY}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
here=$(cd "$(dirname "$0")" && pwd)
ow=$(cd "$here/.." && pwd)
app=$ow/luci-app-pinfold
views=$app/htdocs/luci-static/resources/view/pinfold
menu=$app/root/usr/share/luci/menu.d/luci-app-pinfold.json
acl=$app/root/usr/share/rpcd/acl.d/luci-app-pinfold.json
for tool in node python3; do
	command -v "$tool" >/dev/null || {
		echo "SKIP: $tool not installed"
		exit 77
	}
done

T=$(mktemp -d "${TMPDIR:-/tmp}/pinfold-luci.XXXXXX")
pfpid=""
cleanup() {
	[ -z "$pfpid" ] || kill "$pfpid" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

npass=0
nfail=0
check() { # description command...
	desc=$1
	shift
	if "$@"; then
		npass=$((npass + 1))
		echo "ok - $desc"
	else
		nfail=$((nfail + 1))
		echo "not ok - $desc"
	fi
}
json() { # FILE PYTHON-EXPRESSION (on j): prints the result
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- files --------------------------------------------------------------------------------
for f in "$menu" "$acl"; do
	check "${f##*/} parses as JSON" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$f"
done
for f in "$views"/*.js; do
	check "node --check ${f##*/}" node --check "$f"
done
check "Makefile: LuCI app of pinfold, built by luci.mk" sh -c '
	grep -q "^LUCI_DEPENDS:=.*+pinfold" "$1" && grep -q "^include .*luci.mk$" "$1" &&
	grep -q "^LUCI_TITLE:=." "$1"' sh "$app/Makefile"

# ---- menu and ACL -------------------------------------------------------------------------
for p in $(json "$menu" '" ".join(v["action"]["path"] for v in j.values() if v["action"]["type"] == "view")'); do
	check "menu view $p exists" test -f "$app/htdocs/luci-static/resources/view/$p.js"
done
check "menu depends on the ACL acl.d defines" test \
	"$(json "$menu" 'j["admin/services/pinfold"]["depends"]["acl"][0]')" = "$(json "$acl" 'list(j)[0]')"
check "ACL: uci pinfold writable" test "$(json "$acl" '"pinfold" in j["luci-app-pinfold"]["write"]["uci"]')" = True

# ---- every option the forms edit is one the init validates and reads ----------------------
spec() { # TYPE: the option names of pinfold_spec_TYPE in pinfold.init
	sed -n "/^pinfold_spec_$1() {/,/^}/p" "$ow/files/pinfold.init" | grep -o "'[a-z_]*:" | tr -d "':"
}
for v in settings services; do
	if node "$here/luci_harness.js" "$views/$v.js" >"$T/$v.json" 2>"$T/$v.err"; then
		check "$v.js renders under the stand-ins" true
	else
		cat "$T/$v.err"
		check "$v.js renders under the stand-ins" false
		continue
	fi
	for type in $(json "$T/$v.json" '" ".join(j["options"])'); do
		for opt in $(json "$T/$v.json" "\" \".join(j[\"options\"][\"$type\"])"); do
			check "$v.js edits $type.$opt: validated by the init" sh -c \
				'spec_opts=$(sed -n "/^pinfold_spec_$2() {/,/^}/p" "$1" | grep -o "'"'"'[a-z_]*:" | tr -d "'"'"':")
				for o in $spec_opts; do [ "$o" = "$3" ] && exit 0; done; exit 1' \
				sh "$ow/files/pinfold.init" "$type" "$opt"
			check "$v.js edits $type.$opt: read by the init or uci2cfg.sh" sh -c \
				'grep -Eq "config_(get|get_bool|list_foreach) [^#]* ($2|${2}_LENGTH)( |\$)" "$1"/files/pinfold.init "$1"/files/uci2cfg.sh' \
				sh "$ow" "$opt"
		done
	done
done
check "the spec lists are not empty" test "$(spec listener | wc -l)" -gt 5

# ---- the status view, with what the real pinfoldctl says of the real pinfold --------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$T/p.cfg" <<CFG
Control "$T/ctl.sock"
ListenHTTP
	Address 127.0.0.1
	Port $port
	Service "homeassistant"
		Host "ha.example.org"
		BackEnd
			Address 127.0.0.2
			Port 8123
		End
	End
End
CFG
ctl=$(dirname "$bin")/pinfoldctl
if [ -x "$ctl" ] && "$bin" -c -f "$T/p.cfg" >/dev/null 2>&1; then
	"$bin" -F -e -f "$T/p.cfg" >"$T/pf.log" 2>&1 &
	pfpid=$!
	i=0
	until "$ctl" -s "$T/ctl.sock" -j list >"$T/state.json" 2>/dev/null || [ $i -ge 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	check "pinfoldctl -j list answers" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/state.json"
	if node "$here/luci_harness.js" "$views/status.js" "$T/state.json" >"$T/status.json" 2>"$T/status.err"; then
		text=$(json "$T/status.json" 'j["text"]')
		for want in "127.0.0.1:$port" "homeassistant" "127.0.0.2:8123" "alive" "Process $pfpid"; do
			check "status view shows: $want" sh -c 'case $1 in *"$2"*) ;; *) exit 1 ;; esac' sh "$text" "$want"
		done
		check "status view runs the command the ACL grants" test \
			"$(json "$T/status.json" 'j["execs"][0]')" = \
			"$(json "$acl" '[k for k, v in j["luci-app-pinfold"]["read"]["file"].items() if "exec" in v][0]')"
	else
		cat "$T/status.err"
		check "status.js renders the real state" false
	fi
	kill "$pfpid" 2>/dev/null || true
	wait "$pfpid" 2>/dev/null || true
	pfpid=""
else
	echo "skip - status view against the real pinfoldctl (built without the Control feature)"
fi
node "$here/luci_harness.js" "$views/status.js" >"$T/down.json"
check "status view without pinfold says so" sh -c 'case $1 in *"not running"*) ;; *) exit 1 ;; esac' \
	sh "$(json "$T/down.json" 'j["text"]')"
check "the init's default control socket is the one pinfoldctl -f reads" sh -c \
	'grep -q "Control .*\$_pf_jail/run/ctl.sock" "$1" && grep -q "/var/etc/pinfold/pinfold.cfg" "$2"' \
	sh "$ow/files/uci2cfg.sh" "$views/status.js"

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
