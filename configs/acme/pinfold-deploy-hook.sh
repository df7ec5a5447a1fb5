#!/bin/sh
# pinfold-deploy-hook.sh - install a renewed Let's Encrypt certificate for pinfold and
# make it reload.  Run by acme.sh (--reloadcmd) or certbot (--deploy-hook) as root:
#
#   1. joins the full chain and the private key into one PEM (what pinfold's Cert reads),
#   2. writes it next to the old one and renames it into place (never a half-written
#      file), mode 0640, group PINFOLD_GROUP (pinfold runs unprivileged in its jail, so
#      the key must be readable by that group, and by nobody else),
#   3. sends SIGHUP to the pid in the pid file: pinfold re-reads its configuration and
#      certificates; on an error it logs it and keeps serving the old certificate.
#
# Where the new certificate is, first found wins:
#   -k KEY -c FULLCHAIN                  on the command line
#   CERT_KEY_PATH, CERT_FULLCHAIN_PATH   set by acme.sh for --reloadcmd
#   RENEWED_LINEAGE                      set by certbot for --deploy-hook
#                                        (privkey.pem and fullchain.pem in it)
# Where it goes (command line, else environment):
#   -o PEM      PINFOLD_PEM      the file named by Cert, as seen OUTSIDE the jail
#                                (e.g. /var/jail/pound/certs/site.pem)
#   -p PIDFILE  PINFOLD_PIDFILE  pinfold's pid file (default /var/run/pinfold.pid)
#   -g GROUP    PINFOLD_GROUP    group that may read the PEM (pinfold's Group); default:
#                                the group is left as it is
# Exit status: 0 installed and signalled; 1 on any error (nothing is signalled when the
# PEM could not be installed).
set -eu

prog=pinfold-deploy-hook
key=${CERT_KEY_PATH:-}
chain=${CERT_FULLCHAIN_PATH:-}
if [ -z "$key" ] && [ -n "${RENEWED_LINEAGE:-}" ]; then
	key=$RENEWED_LINEAGE/privkey.pem
	chain=$RENEWED_LINEAGE/fullchain.pem
fi
pem=${PINFOLD_PEM:-}
pidfile=${PINFOLD_PIDFILE:-/var/run/pinfold.pid}
group=${PINFOLD_GROUP:-}

die() {
	echo "$prog: $*" >&2
	exit 1
}

usage() {
	echo "usage: $prog [-k KEY -c FULLCHAIN] [-o PEM] [-p PIDFILE] [-g GROUP]" >&2
	exit 1
}

while getopts k:c:o:p:g:h opt; do
	case $opt in
	k) key=$OPTARG ;;
	c) chain=$OPTARG ;;
	o) pem=$OPTARG ;;
	p) pidfile=$OPTARG ;;
	g) group=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage

if [ -z "$key" ] || [ -z "$chain" ]; then
	die "no certificate given (-k and -c, or run from acme.sh or certbot)"
fi
[ -n "$pem" ] || die "no destination: set PINFOLD_PEM or use -o"
[ -r "$key" ] || die "cannot read the key $key"
[ -r "$chain" ] || die "cannot read the certificate chain $chain"
grep -q -- '-----BEGIN CERTIFICATE-----' "$chain" || die "$chain holds no certificate"
grep -q -- '-----BEGIN .*PRIVATE KEY-----' "$key" || die "$key holds no private key"
dir=$(dirname "$pem")
[ -d "$dir" ] || die "no directory $dir for $pem"

# Written under a temporary name in the same directory, then renamed: pinfold (or a
# reload racing this script) never reads half a file.
tmp=$(umask 077 && mktemp "$pem.XXXXXX") || die "cannot create a file in $dir"
trap 'rm -f "$tmp"' EXIT
{
	cat "$chain"
	# a chain file without a final newline would glue two PEM lines together
	[ -z "$(tail -c 1 "$chain")" ] || echo
	cat "$key"
} >"$tmp" || die "cannot write $tmp"
if [ -n "$group" ]; then
	chgrp "$group" "$tmp" || die "cannot give $pem to group $group"
fi
chmod 0640 "$tmp" || die "cannot set the mode of $pem"
mv -f "$tmp" "$pem" || die "cannot install $pem"
trap - EXIT
echo "$prog: installed $pem"

[ -r "$pidfile" ] || die "no pid file $pidfile: is pinfold running? (the certificate is installed)"
pid=$(cat "$pidfile")
case $pid in
'' | *[!0-9]*) die "$pidfile does not hold a process id" ;;
esac
kill -HUP "$pid" || die "cannot signal pinfold (pid $pid)"
echo "$prog: pinfold (pid $pid) told to reload"
