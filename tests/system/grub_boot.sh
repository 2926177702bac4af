#!/bin/sh
# tests/system/grub_boot.sh: the path real hardware takes. OVMF (UEFI) ->
# GRUB from the ESP -> kernel and initramfs read from slot A's squashfs ->
# HTTPS served, with classbox.slot=A on the kernel command line. Then the
# A/B boot state as GRUB reads it (docs/update.md), each case booted only
# until the initramfs names its slot:
#   - a valid newer block with a trial of B (tries=3): GRUB boots B and
#     steps tries down to 2 in that block only, in place;
#   - tries=0: the trials are used up, GRUB boots the other slot (A);
#   - a torn newer block (its end differs from its seq): ignored, A;
#   - a trial of an empty slot B: its kernel does not load, GRUB falls
#     back to A.
# Prints "ok - ..." / "not ok - ..."; exits non-zero if any failed.
set -u
work=$(cd "$(dirname "$0")/../.." && pwd)/build/test/system-grub
QEMU_EFI=1
# shellcheck source=tests/system/qemu-lib
. "$(dirname "$0")/qemu-lib"
esp_off=$((2048 * 512))		# partition 1 starts at 1 MiB (build-image)
part_off() { sgdisk -i "$1" "$work/disk.img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p'; }

# env_put N SEQ SLOT TRIES END: write EFI/classbox/envN on the test disk.
env_put() {
	rm -f "$work/env"
	grub-editenv "$work/env" create
	grub-editenv "$work/env" set seq="$2" slot="$3" tries="$4" end="$5"
	mcopy -o -i "$work/disk.img@@$esp_off" "$work/env" "::/EFI/classbox/env$1"
}
env_get() {	# env_get N KEY
	mcopy -o -i "$work/disk.img@@$esp_off" "::/EFI/classbox/env$1" "$work/env.out" 2>/dev/null
	sed -n "s/^$2=//p" "$work/env.out"
}
# The slot GRUB booted: its last menu entry's echo ("classbox: slot X"; a
# failed entry is followed by the fallback's), read once the kernel ran
# (the initramfs names its slot, or the kernel died: TCG with -smp 2
# sometimes oopses while patching its own code, which is not GRUB's doing).
booted_slot() { tr -d '\r' <"$work/console$n.log" | sed -n 's/.*classbox: slot \([AB]\) *$/\1/p' | tail -n 1; }

# --- a full boot through OVMF + GRUB ---
boot 1
if wait_https; then
	s=$(elapsed "$t0")
	ok "booted to HTTPS through OVMF + GRUB in $s s (TCG)"
	echo "$s" >"$work/boot1.seconds"
else
	not_ok "booted to HTTPS through OVMF + GRUB within $timeout_s s (console: $work/console1.log)"
	tail -20 "$work/console1.log"
fi
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$https/healthz")
check "GET /healthz is 200 after a GRUB boot" [ "$code" = 200 ]
tr -d '\r' <"$work/console1.log" | grep -qa 'classbox: slot A'
check "GRUB chose slot A (its menu entry ran)" [ $? = 0 ]
say ""; sleep 0.3; say "echo cmdline: \$(cat /proc/cmdline)"; sleep 1.5
tr -d '\r' <"$work/console1.log" | grep -a '^cmdline: ' | grep -q 'classbox.slot=A'
check "the kernel command line says classbox.slot=A" [ $? = 0 ]
check "GRUB wrote nothing on a committed boot (env1 seq=1, tries empty)" \
	[ "$(env_get 1 seq)/$(env_get 1 tries)" = "1/" ]
poweroff
check "powered off cleanly" [ $? = 0 ]

# --- boot state cases: slot B holds a copy of slot A ---
dd if="$dir/rootfs.squashfs" of="$work/disk.img" bs=512 seek="$(part_off 3)" conv=notrunc,sparse status=none
quick() {	# quick N EXPECTED-SLOT DESCRIPTION
	boot "$1"
	console_match 'initramfs: slot [AB] |Kernel panic|Oops' 120
	got=$(booted_slot)
	pull_plug
	check "$3: boots slot $2 (got ${got:-none})" [ "$got" = "$2" ]
}
env_put 2 2 B 3 2
quick 2 B "a trial of B (env2 seq=2, tries=3)"
check "GRUB stepped tries down to 2 in env2, in place" [ "$(env_get 2 tries)" = 2 ]
check "GRUB left env1 (the committed state) alone" [ "$(env_get 1 seq)/$(env_get 1 slot)" = "1/A" ]

env_put 2 2 B 0 2
quick 3 A "trials used up (tries=0)"
check "GRUB writes nothing when it falls back" [ "$(env_get 2 tries)" = 0 ]

env_put 2 3 B 3 2
quick 4 A "a torn newer block (seq=3, end=2)"

dd if=/dev/zero of="$work/disk.img" bs=1M seek=$(($(part_off 3) / 2048)) count=16 conv=notrunc status=none
env_put 2 2 B 3 2
quick 5 A "a trial of an empty slot B (its kernel does not load)"
t_done
