#!/bin/sh
# tests/bench/boot.sh: boot-to-HTTPS of the image under QEMU (TCG), direct
# kernel boot and through OVMF + GRUB, alternating (BOOT_RUNS pairs, default
# 2) so both see the same load; then the install time of a bundle of the
# same image through OVMF + GRUB. Prints a markdown table for
# docs/benchmarks.md. Needs `make image` and build/host/classbox.
set -u
work=$(cd "$(dirname "$0")/../.." && pwd)/build/bench/boot
mkdir -p "$(dirname "$work")"
# shellcheck source=tests/system/qemu-lib
. "$(dirname "$0")/../system/qemu-lib"
runs=${BOOT_RUNS:-2}
fresh() { cp --sparse=always "$dir/disk.img" "$work/disk.img"; rm -f "$work/OVMF_VARS.fd"; }
n=0
one() {	# one direct|efi: seconds to HTTPS on a fresh disk (first boot)
	fresh; n=$((n + 1))
	if [ "$1" = efi ]; then QEMU_EFI=1; else QEMU_EFI=; fi
	boot "$n"
	if wait_https; then elapsed "$t0"; else echo fail; fi
	pull_plug
}
d= e=
i=0
while [ $i -lt "$runs" ]; do
	d="$d $(one direct)"; e="$e $(one efi)"
	i=$((i + 1))
done
load=$(cut -d' ' -f1 /proc/loadavg)
echo "| boot to HTTPS, direct kernel boot (first boot, fresh disk) |$d s |"
echo "| boot to HTTPS through OVMF + GRUB (first boot, fresh disk) |$e s |"
echo "| (load average at the end: $load) | |"
