# shellcheck shell=dash
# Test stand-in for OpenWrt's /lib/functions/network.sh: network_get_device VAR INTERFACE
# sets VAR to the L3 device of the logical INTERFACE (netifd's, through ubus, there) and
# fails when it has none.  Here the device is $PINFOLD_TEST_WANDEV for any interface.
network_get_device() {
	[ -n "${PINFOLD_TEST_WANDEV:-}" ] || return 1
	eval "$1=\$PINFOLD_TEST_WANDEV"
}
