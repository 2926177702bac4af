#!/bin/sh
# tests/system/blank_data.sh: the first boot on a disk whose data partition
# is blank (zeroed: never formatted, or wiped). rcS finds no filesystem
# signature, formats it with BusyBox mke2fs (ext2, no journal: BusyBox
# 1.37 has no -j; docs/image.md "The data partition"), mounts it and goes
# on: the first admin's password on the console, HTTPS served, the admin
# logs in and changes the password; after a poweroff and a second boot
# nothing is formatted again and the data is there. On the host, after the
# clean poweroff, e2fsck finds the box's filesystem clean, and it is ext2
# as documented (no journal).
# Prints "ok - ..." / "not ok - ..." lines; exits non-zero if any failed.
#
# Environment: IMAGE_DIR (default build/image/qemu-x86_64), BOOT_TIMEOUT
# seconds per boot (default 60).
set -u
work=$(cd "$(dirname "$0")/../.." && pwd)/build/test/system-blank-data
# shellcheck source=tests/system/qemu-lib
. "$(dirname "$0")/qemu-lib"
command -v sgdisk >/dev/null || { not_ok "sgdisk installed (gdisk)"; exit 1; }
e2fsck=$(command -v e2fsck || echo /sbin/e2fsck)
dumpe2fs=$(command -v dumpe2fs || echo /sbin/dumpe2fs)

# partition 4 (classbox-data) of the copy: first sector and size in sectors
info=$(sgdisk -i 4 "$work/disk.img")
first=$(echo "$info" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
last=$(echo "$info" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p')
echo "$info" | grep -q "Partition name: 'classbox-data'"
check "partition 4 of the image is classbox-data (sectors $first-$last)" [ $? = 0 ]
count=$((last - first + 1))
dd if=/dev/zero of="$work/disk.img" bs=512 seek="$first" count="$count" conv=notrunc status=none
# data_part FILE: the data partition of the disk copy, as a file
data_part() {
	dd if="$work/disk.img" of="$1" bs=512 skip="$first" count="$count" status=none
}
data_part "$work/data0.img"
[ -z "$(tr -d '\0' <"$work/data0.img" | head -c 1)" ]
check "the data partition is blank (all zero) before the first boot" [ $? = 0 ]

# --- first boot: rcS formats it ---
boot 1
if wait_https; then
	ok "booted to HTTPS in $(elapsed "$t0") s with a blank data partition"
else
	not_ok "booted to HTTPS within $timeout_s s with a blank data partition (console: $work/console1.log)"
	tail -20 "$work/console1.log"
fi
tr -d '\r' <"$work/console1.log" | grep -q 'rcS: data partition /dev/[a-z0-9]* is blank: formatting (ext2, no journal)'
check "rcS says it formats the blank partition" [ $? = 0 ]
grep -q 'cannot format\|/data is a tmpfs' "$work/console1.log"
check "no error: /data is not a tmpfs" [ $? != 0 ]
grep -q 'first boot: data partition initialised' "$work/console1.log"
check "first boot initialised the data partition" [ $? = 0 ]
console_shell
console_run M1 'grep " /data " /proc/mounts'
console_wait M1 20
m1=$(console_out M1)
case $m1 in *" /data ext4 rw,"*) ok "/data is mounted read-write by the ext4 driver ($m1)" ;;
*) not_ok "/data is mounted read-write by the ext4 driver (got: $m1)" ;; esac

initial=$(console_initial_password)
check "the console shows the first admin's initial password" [ -n "$initial" ]
login adm admin "$initial"
check "admin logs in with it (200; got $STATUS)" [ "$STATUS" = 200 ]
newpw="Kyoshitsu-$$-$(date +%s)"
api adm POST /api/v1/password "{\"old_password\":\"$initial\",\"new_password\":\"$newpw\"}"
check "admin changes the password (204; got $STATUS)" [ "$STATUS" = 204 ]
mark=blank-$$-$(date +%s)
console_run W1 "echo $mark >/data/marker && sync && echo written"
console_wait W1 20
check "a marker file is written on /data" [ "$(console_out W1)" = written ]
poweroff
check "powered off cleanly from the console" [ $? = 0 ]

# --- on the host: what the box made ---
data_part "$work/data1.img"
"$e2fsck" -fn "$work/data1.img" >"$work/e2fsck1.log" 2>&1
check "e2fsck -fn finds the box's filesystem clean after the poweroff (log: $work/e2fsck1.log)" [ $? = 0 ]
"$dumpe2fs" -h "$work/data1.img" >"$work/dumpe2fs.log" 2>/dev/null
grep -q '^Filesystem volume name: *classbox-data$' "$work/dumpe2fs.log"
check "it is labelled classbox-data" [ $? = 0 ]
grep '^Filesystem features:' "$work/dumpe2fs.log" | grep -q has_journal
check "it has no journal (BusyBox mke2fs makes ext2; docs/image.md)" [ $? != 0 ]

# --- second boot: kept, not formatted again ---
boot 2
if wait_https; then
	ok "booted to HTTPS again in $(elapsed "$t0") s"
else
	not_ok "booted to HTTPS again within $timeout_s s (console: $work/console2.log)"
	tail -20 "$work/console2.log"
fi
grep -q 'is blank: formatting\|first boot: data partition initialised\|first login: user admin' "$work/console2.log"
check "the second boot formatted nothing and made no new admin" [ $? != 0 ]
console_shell
console_run R2 'cat /data/marker'
console_wait R2 20
check "the marker written on the first boot is there" [ "$(console_out R2)" = "$mark" ]
login adm admin "$newpw"
check "the changed admin password works after the reboot (200; got $STATUS)" [ "$STATUS" = 200 ]
printf '%s' "$BODY" | grep -q '"must_change_password":false'
check "no forced change any more" [ $? = 0 ]
poweroff
check "second poweroff" [ $? = 0 ]
t_done
