#!/bin/sh
# /usr/local/etc/rc.d/pinfold.sh - the service as pfSense runs it (package rc scripts
# must end in .sh).  It hands over to the port's rc.d script with the configuration the
# package generates: "one" commands, because pfSense does not use pinfold_enable.
# Usage: pinfold.sh start|stop|restart|reload|status|configtest
#
# start, restart and reload write the configuration and the certificate again from the
# settings first: a changed setting, /var/etc rebuilt at boot, and a certificate renewed
# in the certificate manager (which restarts this service through the plugin_certificates
# hook) all reach pinfold that way.  A new config that fails `pinfold -c` is not put in
# place: reload then stops short (the running pinfold keeps its config), start and
# restart go on with the last good one if there is one.
# The PINFOLD_* variables exist only for the package's tests on Linux.
rc=${PINFOLD_PORT_RC:-/usr/local/etc/rc.d/pinfold}
cfg=${PINFOLD_PKG_CFG:-/var/etc/pinfold/pinfold.cfg}
php=${PINFOLD_PHP:-/usr/local/bin/php}
inc=${PINFOLD_PKG_INC:-/usr/local/pkg/pinfold.inc}

# shellcheck disable=SC2016  # PHP code, its own $ variables
regenerate() {
	"$php" -r 'require_once($argv[1]); exit(pinfold_write_config() ? 0 : 1);' "$inc"
}

case ${1:-} in
start | restart | reload)
	if ! regenerate; then
		if [ "$1" = reload ] || [ ! -f "$cfg" ]; then
			echo "pinfold: the settings give no valid configuration (see the system log); not ${1}ed" >&2
			exit 1
		fi
		echo "pinfold: the settings give no valid configuration (see the system log); using the last good one" >&2
	fi
	;;
esac

# Jail mode (Services > pinfold, "FreeBSD jail"): the port's script makes the jail(8).
# shellcheck disable=SC2016 # PHP variables, not the shell's
jailvars=$("$php" -r 'require_once($argv[1]);
	$s = pinfold_settings();
	echo (($s["jail"] ?? "") === "on" ? "YES" : "NO"), " ", ($s["jailaddrs"] ?? "127.0.0.1");' "$inc" 2>/dev/null)
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
