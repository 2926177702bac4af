#!/bin/sh
# tests/system/update.sh: field updates under QEMU, through OVMF + GRUB
# (docs/update.md). Bundles are made on the host with the tools a
# technician uses and handed to the box as extra virtio disks (a USB stick).
#   boot 1 (A): five bad bundles are refused with a clear message and
#     slot B is untouched (flipped byte, foreign signature, wrong board,
#     truncated; then a good one installs into B; status shows the trial
#   boot 2 (B, trial): the health check passes, updated commits, the
#     epoch rises; a lower epoch is then refused (slot A untouched); a
#     bundle whose web does not start is installed into A
#   boot 3 (A, trial): its health check fails; updated rolls back and
#     reboots by itself
#   boot 4 (B): committed B serves again, with the data of boot 1
# After each step the last install's outcome (kept in /data/update/last,
# published by updated for web) is checked in GET /api/v1/update: refused
# and why, installed (trial pending), committed, rolled back after the
# failed health check (across the reboots: it is on the data partition).
# Prints "ok - ..." / "not ok - ..."; exits non-zero if any failed.
set -u
work=$(cd "$(dirname "$0")/../.." && pwd)/build/test/system-update
QEMU_EFI=1
# shellcheck source=tests/system/qemu-lib
. "$(dirname "$0")/qemu-lib"
cb=$top/build/host/classbox
keys=${UPDATE_KEYS:-$top/build/keys}
[ -x "$cb" ] || { not_ok "host classbox built ($cb)"; exit 1; }

# --- bundles (host) ---
mk() { CLASSBOX=$cb "$top/tools/update/make-bundle" --keys "$keys" --dir "$dir" "$@" >/dev/null; }
pad() { truncate -s $(( ($(wc -c <"$1") + 511) / 512 * 512 )) "$1"; }	# whole sectors for a disk
b=$work/b
mkdir -p "$b"
mk --version test-b --epoch 2 --out "$b/good"
check "make-bundle signs the image" [ -s "$b/good" ]
CLASSBOX=$cb "$top/tools/update/verify-bundle" --keys "$keys" --board qemu-x86_64 "$b/good" >/dev/null
check "verify-bundle accepts it on the host" [ $? = 0 ]
cp "$b/good" "$b/flipped"
poff=$(od -An -tu4 --endian=big -j12 -N8 "$b/good" | awk '{ print 24 + $1 + $2 }')
printf '\377' | dd of="$b/flipped" bs=1 seek=$((poff + 5 * 1048576 + 4321)) conv=notrunc status=none
CLASSBOX=$cb "$top/tools/update/make-keys" "$work/otherkeys" >/dev/null 2>&1
mk --keys "$work/otherkeys" --version test-x --epoch 2 --out "$b/badsig"
mk --version test-pc --epoch 2 --board pc-x86_64 --out "$b/board"
head -c $(( ($(wc -c <"$b/good") - 2097152) / 512 * 512 )) "$b/good" >"$b/truncated"
mk --version test-old --epoch 1 --out "$b/lowepoch"
# An image whose web never starts: its health check must fail.
rm -rf "$work/sq" && unsquashfs -q -n -d "$work/sq" "$dir/rootfs.squashfs" >/dev/null &&
	rm -rf "$work/sq/etc/sv/web" &&
	mksquashfs "$work/sq" "$b/nohealth.squashfs" -noappend -all-root -comp gzip -quiet -no-progress >/dev/null
mk --image "$b/nohealth.squashfs" --version test-noweb --epoch 3 --out "$b/nohealth"
for f in good flipped badsig board truncated lowepoch nohealth; do pad "$b/$f"; done
# vdb .. vdh, in this order
QEMU_DRIVES=
for f in good flipped badsig board truncated lowepoch nohealth; do
	QEMU_DRIVES="$QEMU_DRIVES -drive file=$b/$f,if=virtio,format=raw,readonly=on"
done
dev_good=/dev/vdb dev_flipped=/dev/vdc dev_badsig=/dev/vdd dev_board=/dev/vde
dev_truncated=/dev/vdf dev_lowepoch=/dev/vdg dev_nohealth=/dev/vdh

# run TAG SECONDS COMMAND: type it on the console; OUT = the line "TAG ..."
# it prints (its exit status and last line of output).
run() {
	_t=$1 _s=$2; shift 2
	say "$* >/tmp/out.$_t 2>&1; r=\$?; cat /tmp/out.$_t; echo \"$_t rc=\$r \$(tail -n 1 /tmp/out.$_t)\""
	i=0
	while [ $i -lt $((_s * 5)) ]; do
		OUT=$(console_text | grep -a "^$_t rc=[0-9]" | tail -n 1)
		[ -n "$OUT" ] && return 0
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.2; i=$((i + 1))
	done
	OUT="(no answer in $_s s)"
	return 1
}
wait_exit() {	# wait_exit SECONDS: QEMU exits by itself (reboot, -no-reboot)
	i=0
	while kill -0 "$qpid" 2>/dev/null && [ $i -lt $(($1 * 5)) ]; do sleep 0.2; i=$((i + 1)); done
	if kill -0 "$qpid" 2>/dev/null; then pull_plug; return 1; fi
	wait "$qpid" 2>/dev/null; qpid=
	kill "$holdpid" "$catpid" 2>/dev/null; holdpid= catpid=
	return 0
}
refused() {	# refused TAG DEV PATTERN DESCRIPTION
	run "$1" 120 classbox update install "$2"
	case $OUT in
	*"rc=1 "*"$3"*) ok "$4 is refused: ${OUT#* rc=1 }" ;;
	*) not_ok "$4 is refused with \"$3\" (got: $OUT)" ;;
	esac
}
# has_api WHAT ERE: GET /api/v1/update as the admin matches ERE
has_api() {
	api adm GET /api/v1/update
	if printf '%s' "$BODY" | grep -Eq "$2"; then ok "$1"
	else not_ok "$1 (GET /api/v1/update $STATUS: $BODY)"; fi
}
slot_hash() {	# slot_hash TAG DEV: sha256 of a slot partition, in the guest
	run "$1" 120 classbox update hash "$2"
	echo "${OUT#* rc=0 }" | cut -d' ' -f1
}

# --- boot 1: slot A ---
boot 1
if wait_https; then ok "boot 1: slot A serves HTTPS (OVMF + GRUB) in $(elapsed "$t0") s"
else not_ok "boot 1: HTTPS within $timeout_s s (console: $work/console1.log)"; tail -20 "$work/console1.log"; fi
initial=$(console_initial_password)
newpw="Koushin-$$-$(date +%s)"
login adm admin "$initial"
api adm POST /api/v1/password "{\"old_password\":\"$initial\",\"new_password\":\"$newpw\"}"
check "admin changed the initial password (204; got $STATUS)" [ "$STATUS" = 204 ]
say ""; sleep 0.5
run S1 60 classbox update status
console_text | grep -qa '^booted slot: *A' && console_text | grep -qa '^boot state: *slot A committed'
check "update status: booted A, A committed" [ $? = 0 ]
hb0=$(slot_hash H0 /dev/vda3)
refused F1 $dev_flipped "does not match its signed hash" "a bundle with one flipped byte (chunk 5)"
refused F2 $dev_badsig "not certified by this box's root key" "a bundle signed by a foreign key"
refused F3 $dev_board "for board pc-x86_64, this box is qemu-x86_64" "a bundle for another board"
refused F4 $dev_truncated "truncated" "a truncated bundle"
login adm admin "$newpw"
has_api "the API says the last bundle was refused as truncated, slot A committed" \
	'"booted":"A","state":"committed".*"last":\{"outcome":"refused","reason":"truncated"'
hb1=$(slot_hash H1 /dev/vda3)
check "slot B is untouched by the refusals (sha256 ${hb1%"${hb1#????????}"}...)" [ -n "$hb0" ] && [ "$hb0" = "$hb1" ]
ts=$(now)
run I1 300 classbox update install $dev_good
it=$(elapsed "$ts")
case $OUT in *"rc=0 "*) ok "the good bundle installs into slot B in $it s (console round trip included)" ;;
*) not_ok "the good bundle installs (got: $OUT)"; tail -5 "$work/console1.log" ;; esac
echo "$it" >"$work/install.seconds"
run S2 60 classbox update status
console_text | grep -qa '^boot state: *slot B on trial, tries left 3'
check "update status: slot B on trial, 3 tries" [ $? = 0 ]
has_api "the API shows B on trial (3 tries), the install pending, its outcome" \
	'"state":"trial","slot":"B","tries":3.*"pending":\{"phase":"flipped","version":"test-b","slot":"B"\},"last":\{"outcome":"installed"'
say "reboot"
wait_exit 60
check "boot 1 ends with a reboot" [ $? = 0 ]

# --- boot 2: B on trial, commits ---
boot 2
if wait_https; then ok "boot 2: slot B serves HTTPS in $(elapsed "$t0") s"
else not_ok "boot 2: HTTPS within $timeout_s s"; tail -20 "$work/console2.log"; fi
console_match 'updated: slot B is healthy: committed' 120
check "updated: slot B passed its health check and committed" [ $? = 0 ]
say ""; sleep 0.5
run S3 60 classbox update status
console_text | grep -qa '^booted slot: *B' && console_text | grep -qa '^boot state: *slot B committed' &&
	console_text | grep -qa '^epoch: *2$'
check "update status: booted B, committed, epoch 2 (raised after the commit)" [ $? = 0 ]
login adm admin "$newpw"
check "the admin's changed password works on slot B (data kept; got $STATUS)" [ "$STATUS" = 200 ]
has_api "the API: booted B, committed, epoch 2, last outcome committed" \
	'"booted":"B","state":"committed".*"epoch":2.*"last":\{"outcome":"committed","reason":null,"version":"test-b","slot":"B"'
run P1 30 "for p in /proc/[0-9]*; do tr '\\0' ' ' <\$p/cmdline 2>/dev/null; echo; done | grep -c '^/usr/bin/classbox updated --web-port 443 --web-bind :: --data /data/classbox '"
check "updated asks web on the port and address of /etc/classbox.conf (ps: $OUT)" [ "${OUT#* rc=0 }" = 1 ]
ha0=$(slot_hash H2 /dev/vda2)
refused F5 $dev_lowepoch "epoch 1 is below this box's epoch 2" "a bundle below the box's epoch"
ha1=$(slot_hash H3 /dev/vda2)
check "slot A is untouched by the refusal" [ -n "$ha0" ] && [ "$ha0" = "$ha1" ]
has_api "the API: refused for its epoch" '"last":\{"outcome":"refused","reason":"epoch","version":"test-old"'
say "echo CLASSBOX_UPDATE_HEALTH_TIMEOUT=20 >>/etc/classbox.conf"
run I2 300 classbox update install $dev_nohealth
case $OUT in *"rc=0 "*) ok "a bundle whose web does not start installs into slot A" ;;
*) not_ok "the no-web bundle installs (got: $OUT)" ;; esac
say "reboot"
wait_exit 60

# --- boot 3: A on trial, fails its health check, rolls back by itself ---
boot 3
wait_exit 180
check "boot 3: the box rebooted by itself" [ $? = 0 ]
console_text | grep -qa 'initramfs: slot A '
check "boot 3 was the trial of slot A" [ $? = 0 ]
console_text | grep -qa 'updated: slot A failed its health check'
check "updated: slot A failed its health check and rolled back" [ $? = 0 ]

# --- boot 4: back on B ---
boot 4
if wait_https; then ok "boot 4: slot B serves HTTPS again in $(elapsed "$t0") s"
else not_ok "boot 4: HTTPS within $timeout_s s"; tail -20 "$work/console4.log"; fi
console_text | grep -qa 'initramfs: slot B '
check "boot 4 is slot B" [ $? = 0 ]
login adm admin "$newpw"
check "the data is all there after the rollback (admin logs in; got $STATUS)" [ "$STATUS" = 200 ]
say ""; sleep 0.5
run S4 60 classbox update status
console_text | grep -qa '^boot state: *slot B committed' && console_text | grep -qa '^last: .*rolled back to slot B'
check "update status: B committed, the failed update recorded" [ $? = 0 ]
has_api "the API: rolled back after the health check (recorded across the reboot), B committed" \
	'"booted":"B","state":"committed".*"last":\{"outcome":"rolled-back","reason":"health","version":"test-noweb","slot":"A"'
poweroff
check "powered off cleanly" [ $? = 0 ]
t_done
