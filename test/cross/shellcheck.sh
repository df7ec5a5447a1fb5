#!/bin/sh
# test/cross/shellcheck.sh [BINARY] - shellcheck every shell script of the router-side
# parts (test/cross/, openwrt/, jail/, pfsense/) and of CI (.ci/, test/all.sh).  Each is checked in the
# dialect it runs in (its shebang, or its `# shellcheck shell=` line: ash scripts are
# checked as dash).  BINARY is ignored (ctest passes one to every packaging test).
# Exit 77 (skipped) without shellcheck.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
command -v shellcheck >/dev/null || {
	echo "SKIP: shellcheck not installed"
	exit 77
}
cd "$top"
scripts=$(
	{
		find test/cross openwrt jail pfsense -type f \
			\( -name '*.sh' -o -name '*.in' -o -name '*.init' -o -name 'S[0-9][0-9]*' \
			-o -name 'rc.common' -o -name 'rc.subr' -o -name 'functions.sh' \
			-o -name 'validate_data' \)
		find .ci -type f
		echo test/all.sh
	} | grep -v -e '/pkg-message\.in$' -e '/Config\.in$' | sort
)
n=0
bad=0
for s in $scripts; do
	n=$((n + 1))
	if shellcheck -x "$s"; then
		echo "ok - $s"
	else
		bad=$((bad + 1))
		echo "not ok - $s"
	fi
done
echo "$((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
