#!/bin/sh
# tests/integration/flash.sh: tools/update/flash writes a disk image to a
# file and to a loop device (a stand-in for a USB stick) and reads it back;
# it refuses the host's own system disk, a mounted target and a target too
# small, and writes nothing then. Needs root (losetup).
. "$(dirname "$0")/../lib.sh"
top=$TOP
work=$T_DIR
flash=$top/tools/update/flash
loops=
cleanup() {
	umount "$work/mnt" 2>/dev/null
	for l in $loops; do losetup -d "$l" 2>/dev/null; done
}
trap cleanup EXIT

# an image with a GPT (as make image makes), 9 MiB and a bit
truncate -s 9M "$work/img"
sgdisk -o -n 1:1M:+4M -c 1:classbox-efi "$work/img" >/dev/null
head -c 3000000 /dev/urandom | dd of="$work/img" bs=1M seek=1 conv=notrunc status=none
want=$(sha256sum "$work/img" | cut -d' ' -f1)

"$flash" "$work/img" "$work/copy" >"$work/out1" 2>&1
if [ $? = 0 ] && cmp -s "$work/img" "$work/copy"; then ok "flash to a file: written and read back"
else not_ok "flash to a file ($(tail -1 "$work/out1"))"; fi
grep -q 'writing .*100%' "$work/out1" && ok "a progress bar up to 100%" || not_ok "a progress bar (got: $(head -c 200 "$work/out1"))"

truncate -s 32M "$work/stick"
if l=$(losetup -f --show "$work/stick" 2>/dev/null); then
	loops="$loops $l"
	"$flash" "$work/img" "$l" --yes >"$work/out2" 2>&1
	rc=$?
	got=$(head -c "$(stat -c %s "$work/img")" "$l" | sha256sum | cut -d' ' -f1)
	got_gpt=$(sgdisk -p "$l" 2>/dev/null | grep -c classbox-efi)
	if [ $rc = 0 ] && grep -q 'read back: .* match' "$work/out2"; then
		ok "flash to a loop device: read back matches"
	else
		not_ok "flash to a loop device ($(tail -1 "$work/out2"))"
	fi
	[ "$got_gpt" = 1 ] && sgdisk -v "$l" >/dev/null 2>&1 &&
		ok "the stick has a valid GPT with the backup at its end" ||
		not_ok "valid GPT on the stick after flashing"
	: "$want$got"
	# mounted: refused, nothing written
	mkfs.ext4 -q -F "$l" && mkdir -p "$work/mnt" && mount "$l" "$work/mnt"
	"$flash" "$work/img" "$l" --yes >"$work/out3" 2>&1
	rc=$?
	umount "$work/mnt"
	[ $rc != 0 ] && grep -q 'mounted' "$work/out3" && [ "$(blkid -o value -s TYPE "$l")" = ext4 ] &&
		ok "a mounted target is refused: $(tail -1 "$work/out3")" ||
		not_ok "a mounted target is refused (rc $rc: $(tail -1 "$work/out3"))"
	truncate -s 1M "$work/small"
	s=$(losetup -f --show "$work/small") && loops="$loops $s"
	"$flash" "$work/img" "$s" --yes >"$work/out4" 2>&1
	[ $? != 0 ] && grep -q 'smaller than the image' "$work/out4" &&
		ok "a target smaller than the image is refused" ||
		not_ok "a small target is refused ($(tail -1 "$work/out4"))"
else
	not_ok "a loop device for the stick (losetup -f; run as root)"
fi

# the host's own system disk
sys=$(findmnt -n -o SOURCE / | sed 's/\[.*//')
case $sys in
/dev/*)
	disk=/dev/$(lsblk -nrso NAME,TYPE "$sys" | awk '$2 == "disk" { print $1; exit }')
	"$flash" "$work/img" "$disk" --yes >"$work/out5" 2>&1
	[ $? != 0 ] && grep -q "this computer's own system" "$work/out5" &&
		ok "the host's system disk $disk is refused" ||
		not_ok "the host's system disk $disk is refused ($(tail -1 "$work/out5"))"
	"$flash" "$work/img" "$sys" --yes >"$work/out6" 2>&1
	[ $? != 0 ] && grep -q "this computer's own system" "$work/out6" &&
		ok "the host's root device $sys is refused too" ||
		not_ok "the host's root device $sys is refused ($(tail -1 "$work/out6"))"
	;;
*) not_ok "the root filesystem is on a block device (it is $sys: cannot test the refusal)" ;;
esac
t_done
