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

case ${1:-} in
start | stop | restart | reload | status | configtest)
	exec env pinfold_config="$cfg" "$rc" "one$1"
	;;
*)
	echo "usage: $0 start|stop|restart|reload|status|configtest" >&2
	exit 2
	;;
esac
