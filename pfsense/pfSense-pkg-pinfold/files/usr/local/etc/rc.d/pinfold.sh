#!/bin/sh
# /usr/local/etc/rc.d/pinfold.sh - the service as pfSense runs it (package rc scripts
# must end in .sh).  It hands over to the port's rc.d script with the configuration the
# package generates: "one" commands, because pfSense does not use pinfold_enable.
# Usage: pinfold.sh start|stop|restart|reload|status|configtest
rc=/usr/local/etc/rc.d/pinfold
cfg=/var/etc/pinfold/pinfold.cfg

# /var/etc is rebuilt at boot: write the configuration again when it is missing.
if [ ! -f "$cfg" ] && [ "${1:-}" != stop ]; then
	/usr/local/bin/php -r 'require_once("/usr/local/pkg/pinfold.inc"); pinfold_write_config();'
fi

# Jail mode (Services > pinfold, "FreeBSD jail"): the port's script makes the jail(8).
# shellcheck disable=SC2016 # PHP variables, not the shell's
jailvars=$(/usr/local/bin/php -r 'require_once("/usr/local/pkg/pinfold.inc");
	$s = pinfold_settings();
	echo (($s["jail"] ?? "") === "on" ? "YES" : "NO"), " ", ($s["jailaddrs"] ?? "127.0.0.1");' 2>/dev/null)
jail=${jailvars%% *}
jailaddrs=${jailvars#* }
[ "$jail" = YES ] || jail=NO

case ${1:-} in
start | stop | restart | reload | status | configtest)
	exec env pinfold_config="$cfg" pinfold_jail="$jail" pinfold_jail_ip4="${jailaddrs:-127.0.0.1}" \
		"$rc" "one$1"
	;;
*)
	echo "usage: $0 start|stop|restart|reload|status|configtest" >&2
	exit 2
	;;
esac
