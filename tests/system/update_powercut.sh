#!/bin/sh
# tests/system/update_powercut.sh: the plug pulled (QEMU killed) during an
# install and during the new slot's first boot. After every cut the box
# must boot a good slot, serve HTTPS, and have lost no acknowledged write
# (the admin's changed password and a user created before the install);
# an install cut before its flip is resumed by updated from its journal;
# a first boot cut short is tried again (or GRUB falls back) and commits.
#
# POWERCUT_POINTS=short (default, CI: one cut in the install, one in the
# first boot; 4 boots) or full (`make update-powercut`: 11 cuts in the
# install and 9 in the first boot, 20 in all; about 40 boots).
# Prints "ok - ..." / "not ok - ..."; exits non-zero if any failed.
set -u
work=$(cd "$(dirname "$0")/../.." && pwd)/build/test/system-update-powercut
QEMU_EFI=1
# shellcheck source=tests/system/qemu-lib
. "$(dirname "$0")/qemu-lib"
cb=$top/build/host/classbox
keys=${UPDATE_KEYS:-$top/build/keys}
[ -x "$cb" ] || { not_ok "host classbox built ($cb)"; exit 1; }
b=$work/b
mkdir -p "$b"
CLASSBOX=$cb "$top/tools/update/make-bundle" --keys "$keys" --dir "$dir" --version cut-b --epoch 1 --out "$b/good" >/dev/null
truncate -s $(( ($(wc -c <"$b/good") + 511) / 512 * 512 )) "$b/good"
QEMU_DRIVES="-drive file=$b/good,if=virtio,format=raw,readonly=on"
cp --sparse=always "$work/disk.img" "$work/fresh.img"

case ${POWERCUT_POINTS:-short} in
full)
	# "phase:chunk" of the progress bar, or "flipped" (just after the flip)
	install_points="write:4 verify:6 write:0 write:1 write:8 write:12 read-back:2 read-back:9 read-back:12 flipped verify:11"
	# console lines of the first boot of slot B
	boot_points="classbox:.slot.B initramfs:.slot.B rcS:.up rcS:.first.login|rcS:.up.in https updated:.slot.B none:3 none:15 none:30" ;;
*)
	install_points="write:4"
	boot_points="initramfs:.slot.B" ;;
esac

nb=0
next_boot() { nb=$((nb + 1)); boot "$nb"; }
newpw="Teiden-$$-x"
# serves PHASE: after a cut, the box serves HTTPS and has its data.
serves() {
	if wait_https; then ok "$1: a good slot serves HTTPS ($(elapsed "$t0") s)"
	else not_ok "$1: HTTPS within $timeout_s s (console: $work/console$n.log)"; console_text | tail -5; return; fi
	# web may serve a moment before auth answers (503): retry for 30 s
	i=0
	while login adm admin "$newpw"; [ "$STATUS" = 503 ] && [ $i -lt 30 ]; do
		sleep 1; i=$((i + 1))
	done
	s1=$STATUS
	api adm GET /api/v1/users/marker.cut
	check "$1: no data lost (admin login $s1, marker user $STATUS)" [ "$s1" = 200 ] && [ "$STATUS" = 200 ]
}
# committed SLOT SECONDS: until `update status` says SLOT is committed.
committed() {
	i=0
	while [ $i -lt "$2" ]; do
		say "classbox update status | grep '^boot state'"
		sleep 5; i=$((i + 5))
		console_text | grep -qa "^boot state: *slot $1 committed" && return 0
		kill -0 "$qpid" 2>/dev/null || return 1
	done
	return 1
}
booted() { console_text | sed -n 's/.*initramfs: slot \([AB]\) .*/\1/p' | head -n 1; }

# setup: a fresh box with a changed password and a user, then the install
# starts; returns with QEMU running.
setup_and_install() {
	cp --sparse=always "$work/fresh.img" "$work/disk.img"; rm -f "$work/OVMF_VARS.fd"
	next_boot
	# a failed setup must not leave its QEMU running: the next one would
	# copy a fresh disk under it
	wait_https || { not_ok "setup: HTTPS within $timeout_s s (console$n.log)"; pull_plug; return 1; }
	initial=$(console_initial_password)
	login adm admin "$initial"
	api adm POST /api/v1/password "{\"old_password\":\"$initial\",\"new_password\":\"$newpw\"}"
	login adm admin "$newpw"
	api adm POST /api/v1/users '{"id":"marker.cut","name":"停電","role":"student"}'
	[ "$STATUS" = 201 ] || { not_ok "setup: marker user (got $STATUS)"; pull_plug; return 1; }
	say ""; sleep 0.3
	say "classbox update install /dev/vdb; echo INSTALL-RC=\$?"
}

base_b=
for p in $install_points; do
	setup_and_install || continue
	case $p in
	flipped) console_match '^INSTALL-RC=0' 300 ;;
	*) console_match "${p%%:*} +[0-9]+% \(${p#*:} of" 300 ;;
	esac
	hit=$?
	pull_plug
	check "install cut at $p (reached: $hit = 0)" [ $hit = 0 ]
	# how far the install got before the plug (the console lags the guest)
	wrote=0
	console_text | grep -qa 'write  *[0-9]*% ' && wrote=1
	next_boot
	serves "after the cut at $p"
	if [ "$p" = flipped ]; then
		check "after a cut just after the flip, slot B is tried ($(booted))" [ "$(booted)" = B ]
		committed B 200
		check "and commits" [ $? = 0 ]
		poweroff
		continue
	fi
	check "a cut before the flip boots slot A ($(booted))" [ "$(booted)" = A ]
	case $p in verify:*)
		if [ $wrote = 0 ]; then
			# Nothing was written yet (no journal): nothing to resume.
			committed A 60
			check "a cut while verifying leaves slot A committed, nothing pending" [ $? = 0 ]
			poweroff
			continue
		fi
		# The last verify step is followed at once by the journal: the
		# plug came after it (the console showed writing), so updated
		# must resume, like a cut while writing.
		ok "the cut at $p landed after the journal (the console showed the write phase)" ;;
	esac
	console_match 'updated: installed /dev/vdb' 300
	check "updated resumed the journaled install and finished it" [ $? = 0 ]
	say ""; sleep 0.5	# activate the console's shell (askfirst)
	say "classbox update status | grep '^last'"
	console_match '^last resumed: *yes' 30 &&
		console_text | grep -qa '^last: *installed: installed cut-b in slot B (resumed'
	check "update status records it: installed, resumed after the cut" [ $? = 0 ]
	poweroff
	check "powered off" [ $? = 0 ]
	[ -z "$base_b" ] && { cp --sparse=always "$work/disk.img" "$work/base_b.img"; cp "$work/OVMF_VARS.fd" "$work/base_b.vars"; base_b=1; }
done

[ -n "$base_b" ] || { not_ok "an installed disk to cut the first boot of"; exit 1; }
for p in $boot_points; do
	cp --sparse=always "$work/base_b.img" "$work/disk.img"; cp "$work/base_b.vars" "$work/OVMF_VARS.fd"
	next_boot
	case $p in
	https) wait_https; hit=$? ;;
	none:*) sleep "${p#none:}"; hit=0 ;;
	*) console_match "$(echo "$p" | tr . ' ')" 200; hit=$? ;;
	esac
	pull_plug
	check "first boot of B cut at $p (reached: $hit = 0)" [ $hit = 0 ]
	next_boot
	serves "after the first-boot cut at $p"
	s=$(booted)
	if [ "$s" = B ]; then
		committed B 200
		check "slot B is tried again and commits" [ $? = 0 ]
	else
		check "or the box is on its committed slot A ($s)" [ "$s" = A ]
	fi
	poweroff
done
t_done
