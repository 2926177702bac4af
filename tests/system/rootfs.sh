#!/bin/sh
# tests/system/rootfs.sh: what the root, the users and the network of the
# image look like on the box, and that /etc changes persist.
#   boot 1: the console shows the technician's banner (address, name and
#   the SHA-256 fingerprint of the certificate curl sees); / is the
#   read-only squashfs and cannot be written; /etc is an overlay on the
#   data partition; web, auth run as their own users; sync, not enrolled,
#   waits without being restarted; with no NTP server reachable, no NTP
#   answer to the LAN; then a static address and a new name
#   go into /etc/classbox.conf on the console.
#   boot 2: the box serves HTTPS on the static address only (the forwarded
#   ports lead to it), and the banner shows it and the new name: the /etc
#   writes persisted through the overlay.
# Environment: as tests/system/boot.sh.
set -u
work=$(cd "$(dirname "$0")/../.." && pwd)/build/test/system-rootfs
# shellcheck source=tests/system/qemu-lib
. "$(dirname "$0")/qemu-lib"
STATIC=10.0.2.16

boot 1
if wait_https; then ok "booted to HTTPS in $(elapsed "$t0") s"
else not_ok "booted to HTTPS within $timeout_s s (console: $work/console1.log)"; tail -20 "$work/console1.log"; exit 1; fi
fp=$(fingerprint)
banner_has() {	# banner_has TEXT [SECONDS]: the console shows TEXT
	_i=0
	while [ $_i -lt $((${2:-10} * 10)) ]; do
		tr -d '\r' <"$work/console$n.log" | grep -qF -- "$1" && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}
check "the console banner shows the address (10.0.2.15/24 on eth0)" banner_has "address 10.0.2.15/24 on eth0: https://10.0.2.15/"
check "and the SHA-256 fingerprint of the certificate the box presents ($fp)" banner_has "   $fp"
name1=$(tr -d '\r' <"$work/console$n.log" | sed -n 's/^ classbox \(classbox-[0-9a-f]\{4\}\) (.*/\1/p' | head -n 1)
check "and the box's name, classbox- and four hex digits of the MAC (${name1:-none})" [ -n "$name1" ]

console_shell
console_run R1 "awk '\$2 == \"/\" { print \$3, \$4 }' /proc/mounts"
console_wait R1
case $(console_out R1 | tail -1) in
"squashfs ro"*) ok "/ is the squashfs, mounted read-only ($(console_out R1 | tail -1))" ;;
*) not_ok "/ is the squashfs, mounted read-only (got '$(console_out R1)')" ;;
esac
console_run R2 "touch /usr/share/classbox/x && echo writable || echo refused"
console_wait R2
check "writing to the root is refused" [ "$(console_out R2 | tail -1)" = refused ]
console_run R3 "awk '\$2 == \"/etc\" { print \$3, \$4 }' /proc/mounts"
console_wait R3
case $(console_out R3 | tail -1) in
*"overlay rw"*upperdir=/data/overlay/etc/upper*) ok "/etc is an overlay with its upper layer on /data" ;;
*) not_ok "/etc is an overlay with its upper layer on /data (got '$(console_out R3)')" ;;
esac
console_run R4 "ps | grep -E '[/]usr/bin/classbox (web|auth) '"
console_wait R4; sleep 0.5
got=$(console_out R4 | awk '{ for (i = 3; i < NF; i++) if ($i ~ /classbox$/) { print $2, $(i + 1); break } }' | sort -u | tr '\n' ' ')
case $got in
"auth auth web web ") ok "auth and web run as their own users ($got)" ;;
*) not_ok "auth and web run as their own users (got '$got'; ps: $(console_out R4))" ;;
esac
console_run RTZ 'for p in /proc/[0-9]*; do read -r c 2>/dev/null <$p/comm; [ "$c" = crond ] && tr "\\0" "\\n" <$p/environ | grep "^TZ="; done'
console_wait RTZ; sleep 0.3
tz=$(console_out RTZ | grep '^TZ=' | tail -1)
check "crond runs the daily jobs at the school's time (TZ=JST-9; got '$tz')" [ "$tz" = TZ=JST-9 ]
console_run R5 "id -u web; id -u auth; id -u sync"
console_wait R5; sleep 0.5
check "users web, auth, sync are 60001, 60002, 60003 ($(console_out R5 | tr '\n' ' '))" \
	[ "$(console_out R5 | tr '\n' ' ')" = "60001 60002 60003 " ]
console_run R6 "stat -c '%U %a' /data/classbox/sync"
console_wait R6
check "/data/classbox/sync is the sync user's, 0711: status.json readable by name ($(console_out R6))" [ "$(console_out R6 | tail -1)" = "sync 711" ]
# sync is not enrolled: it waits, the same process all along
console_run R7 "sv status sync"
console_wait R7
sleep 3
console_run R8 "sv status sync; for i in 1 2 3 4 5 6 7 8 9 10; do n=\$(grep -c 'sync: not enrolled' /data/log/messages); [ \$n -ge 1 ] && break; sleep 1; done; echo \$n"
console_wait R8
_i=0	# the status line, then the count (after up to 10 s of waiting for syslog)
while [ "$(console_out R8 | wc -l)" -lt 2 ] && [ $_i -lt 150 ]; do sleep 0.1; _i=$((_i + 1)); done
p7=$(console_out R7 | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
p8=$(console_out R8 | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
[ -n "$p7" ] && [ "$p7" = "$p8" ]
check "sync, not enrolled, runs and waits without being restarted (pid $p7, then $p8)" [ $? = 0 ]
check "and said so once ($(console_out R8 | tail -1) log lines)" [ "$(console_out R8 | tail -1)" = 1 ]

# no NTP server reachable (restricted network): the box serves no time
a=$(ntp_query "$ntp")
check "with no NTP server reachable, the box answers no NTP query (got '${a:-nothing}')" [ -z "$a" ]

# a static address and a new name, in /etc
console_run W1 "printf 'CLASSBOX_ADDRESS=$STATIC/24\nCLASSBOX_GATEWAY=10.0.2.2\nCLASSBOX_DNS=10.0.2.3\nCLASSBOX_HOSTNAME=classbox-kyoshitsu\n' >>/etc/classbox.conf && sync && echo written"
console_wait W1
check "static address and name written to /etc on the console" [ "$(console_out W1 | tail -1)" = written ]
console_run W2 "ls /data/overlay/etc/upper"
console_wait W2; sleep 0.5
console_out W2 | grep -qx classbox.conf
check "the write landed in the overlay's upper layer on /data" [ $? = 0 ]
poweroff
check "powered off cleanly" [ $? = 0 ]

# --- boot 2: the forwarded ports lead to the static address only ---
boot 2 --guest "$STATIC"
if wait_https; then ok "HTTPS on the static address $STATIC after the reboot ($(elapsed "$t0") s)"
else not_ok "HTTPS on the static address $STATIC after the reboot (console: $work/console2.log)"; tail -20 "$work/console2.log"; fi
check "the banner shows the static address" banner_has "address $STATIC/24 on eth0: https://$STATIC/"
check "and the new name" banner_has " classbox classbox-kyoshitsu ("
fp2=$(fingerprint)
check "and the same certificate fingerprint" banner_has "   $fp2"
poweroff
check "second poweroff" [ $? = 0 ]
t_done
