# tests/ui/update_box.sh: for update_ui.mjs (sourced by tests/ui/run, after
# tests/lib.sh). A host box cannot boot slots, so `classbox updated` runs in
# test mode on files: slot-a, slot-b and an ESP directory with the two GRUB
# env blocks (slot A committed), its state (epoch 3) and spool under
# $UPD_DIR. web finds the spool and updated's status through
# CLASSBOX_UPDATE_SPOOL and CLASSBOX_UPDATE_RUN. The bundles are real ones
# (tools/update/make-bundle, the development keys) of a small fake slot
# image (a squashfs with /boot/vmlinuz, /boot/initramfs.cpio.gz of random
# bytes): good, signed by another root, for another board, of a lower
# epoch, with one byte flipped in its payload.
UPD_DIR=$T_DIR/update
UPD_PID=

# update_box_prepare: before box_start (web inherits the environment)
update_box_prepare() {
	rm -rf "$UPD_DIR"
	mkdir -p "$UPD_DIR/esp/EFI/classbox" "$UPD_DIR/state/spool" "$UPD_DIR/run" \
	    "$UPD_DIR/img/boot" "$UPD_DIR/img/usr/share/classbox/update" \
	    "$UPD_DIR/img/etc" "$UPD_DIR/bundles"
	grub-editenv "$UPD_DIR/esp/EFI/classbox/env1" set seq=1 slot=A tries= end=1 &&
	    grub-editenv "$UPD_DIR/esp/EFI/classbox/env2" set seq=0 slot=A tries= end=0 ||
	    return 1
	printf 'epoch 3\nkey-floor 0\n' >"$UPD_DIR/state/state"
	chmod 0733 "$UPD_DIR/state/spool"	# web writes, cannot list
	chmod 0755 "$UPD_DIR/run"
	: >"$UPD_DIR/slot-a"; : >"$UPD_DIR/slot-b"
	keys=${UPDATE_KEYS:-$TOP/build/keys}
	if [ ! -r "$keys/release-1.key" ]; then
		keys=$UPD_DIR/keys
		CLASSBOX=$CLASSBOX "$TOP/tools/update/make-keys" "$keys" >/dev/null || return 1
	fi
	UPD_ROOT_PUB=$keys/root.pub
	CLASSBOX=$CLASSBOX "$TOP/tools/update/make-keys" "$UPD_DIR/other-keys" >/dev/null || return 1
	head -c 1572864 /dev/urandom >"$UPD_DIR/img/boot/vmlinuz"
	head -c 1048576 /dev/urandom >"$UPD_DIR/img/boot/initramfs.cpio.gz"
	echo qemu-x86_64 >"$UPD_DIR/img/usr/share/classbox/update/board"
	printf 'NAME=classbox\nVERSION_ID=ui-test\n' >"$UPD_DIR/img/etc/os-release"
	mksquashfs "$UPD_DIR/img" "$UPD_DIR/slot.squashfs" -noappend -quiet >/dev/null || return 1
	mb() {	# mb NAME KEYS [make-bundle options]
		_n=$1 _k=$2; shift 2
		CLASSBOX=$CLASSBOX "$TOP/tools/update/make-bundle" --keys "$_k" \
		    --image "$UPD_DIR/slot.squashfs" --out "$UPD_DIR/bundles/$_n.bundle" "$@" >/dev/null
	}
	mb good "$keys" --version ui-4 --epoch 4 &&
	    mb badsig "$UPD_DIR/other-keys" --version ui-sig --epoch 4 &&
	    mb board "$keys" --version ui-board --epoch 4 --board pc-x86_64 &&
	    mb epoch "$keys" --version ui-old --epoch 2 || return 1
	# one byte flipped in the payload (the slot image's last MiB): all its
	# bits, so that it differs whatever it was (setting it to 0xff left
	# one bundle in 256 unchanged)
	cp "$UPD_DIR/bundles/good.bundle" "$UPD_DIR/bundles/chunk.bundle"
	_at=$(($(wc -c <"$UPD_DIR/bundles/good.bundle") - 4096))
	_b=$(od -An -tu1 -j "$_at" -N1 "$UPD_DIR/bundles/good.bundle" | tr -d ' ')
	printf "\\$(printf '%03o' $((_b ^ 255)))" |
	    dd of="$UPD_DIR/bundles/chunk.bundle" bs=1 seek="$_at" conv=notrunc 2>/dev/null
	cmp -s "$UPD_DIR/bundles/good.bundle" "$UPD_DIR/bundles/chunk.bundle" && return 1
	export CLASSBOX_UPDATE_SPOOL=$UPD_DIR/state/spool CLASSBOX_UPDATE_RUN=$UPD_DIR/run
}

# update_box_start: updated in test mode on the files above
update_box_start() {
	"$CLASSBOX" updated --esp "$UPD_DIR/esp" --slot-a "$UPD_DIR/slot-a" \
	    --slot-b "$UPD_DIR/slot-b" --state "$UPD_DIR/state" --booted A \
	    --board qemu-x86_64 --root-pub "$UPD_ROOT_PUB" \
	    >"$T_DIR/updated.log" 2>&1 &
	UPD_PID=$!
	for _ in $(seq 1 50); do [ -s "$UPD_DIR/run/status" ] && return 0; sleep 0.1; done
	return 1
}

update_box_stop() {
	[ -n "$UPD_PID" ] && kill "$UPD_PID" 2>/dev/null && wait "$UPD_PID" 2>/dev/null
	UPD_PID=
	return 0
}
