#!/bin/sh
# jail/mkjail.sh - build the directory pinfold chroots into (RootJail), idempotently.
# Usage: mkjail.sh [-u USER] [-g GROUP] [-c CERT]... [-l] JAIL
#   -u USER   the user pinfold drops to (User); created as a system user when missing
#   -g GROUP  its group (Group); created when missing.  Default for both: pinfold
#   -c CERT   a PEM file (key + chain) to keep in JAIL/certs/, readable by GROUP only:
#             a reload re-reads certificates from inside the jail, unprivileged
#   -l        make syslog reachable from inside: bind-mount /dev/log on JAIL/dev/log
#             (pinfold connects to syslog before chroot; this survives a syslogd restart)
# The jail itself belongs to root and is not writable by USER: nothing in it needs to
# change while pinfold runs.  Works with busybox (adduser/addgroup) and with shadow
# (useradd/groupadd); run it again at any time, it only fixes what differs.
set -eu

user=pinfold
group=pinfold
certs=""
devlog=0
usage() {
	echo "usage: mkjail.sh [-u USER] [-g GROUP] [-c CERT]... [-l] JAIL" >&2
	exit 2
}
while getopts u:g:c:l opt; do
	case $opt in
	u) user=$OPTARG ;;
	g) group=$OPTARG ;;
	c) certs="$certs
$OPTARG" ;;
	l) devlog=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
jail=$1
case $jail in
/*) ;;
*) echo "mkjail.sh: JAIL must be an absolute path: $jail" >&2; exit 2 ;;
esac
[ "$jail" != / ] || { echo "mkjail.sh: refusing / as the jail" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "mkjail.sh: must run as root" >&2; exit 1; }

# ---- user and group ------------------------------------------------------------------
have_group() { grep -q "^$1:" /etc/group; }
have_user() { grep -q "^$1:" /etc/passwd; }
if ! have_group "$group"; then
	if command -v addgroup >/dev/null && ! command -v groupadd >/dev/null; then
		addgroup -S "$group"
	else
		groupadd --system "$group"
	fi
	echo "mkjail.sh: created group $group"
fi
if ! have_user "$user"; then
	if command -v adduser >/dev/null && ! command -v useradd >/dev/null; then
		adduser -S -D -H -h /nonexistent -s /bin/false -G "$group" "$user"
	else
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin --gid "$group" "$user"
	fi
	echo "mkjail.sh: created user $user"
fi

# ---- the jail ------------------------------------------------------------------------
# ensure_dir PATH MODE OWNER: exactly that, whatever was there before.
ensure_dir() {
	[ -d "$1" ] || mkdir -p "$1"
	chown "$3" "$1"
	chmod "$2" "$1"
}
ensure_dir "$jail" 0755 0:0

if [ -n "$certs" ]; then
	ensure_dir "$jail/certs" 0750 "0:$group"
	printf '%s\n' "$certs" | while IFS= read -r c; do
		[ -n "$c" ] || continue
		[ -f "$c" ] || { echo "mkjail.sh: no certificate file $c" >&2; exit 1; }
		dst=$jail/certs/${c##*/}
		if ! cmp -s "$c" "$dst"; then
			# Never a moment with the key readable by others: mode first, then content.
			rm -f "$dst.new"
			(umask 077 && cp "$c" "$dst.new")
			chown "0:$group" "$dst.new"
			chmod 0640 "$dst.new"
			mv -f "$dst.new" "$dst"
			echo "mkjail.sh: installed $dst"
		fi
		chown "0:$group" "$dst"
		chmod 0640 "$dst"
	done
fi

if [ "$devlog" = 1 ]; then
	ensure_dir "$jail/dev" 0755 0:0
	if grep -q " $jail/dev/log " /proc/mounts 2>/dev/null; then
		:
	elif [ -S /dev/log ]; then
		[ -e "$jail/dev/log" ] || : >"$jail/dev/log"
		mount --bind /dev/log "$jail/dev/log"
		echo "mkjail.sh: bind-mounted /dev/log on $jail/dev/log"
	else
		echo "mkjail.sh: no /dev/log socket (is syslogd running?): skipped" >&2
	fi
fi
