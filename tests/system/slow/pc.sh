#!/bin/sh
# tests/system/slow/pc.sh: the pc-x86_64 image (Debian's generic kernel, the
# mini-PC NIC and disk drivers) boots under QEMU with the hardware of a
# typical mini PC instead of virtio: an Intel e1000e NIC (I219-class) and an
# NVMe disk (PC_DISK_BUS=ahci: a SATA disk on AHCI), and serves HTTPS.
# Builds the image first if it is missing (make image BOARD=pc-x86_64).
# Run by `make system-test` only, not by tests/run-all (make test): the
# generic kernel boots in 40-80 s under TCG on a busy 2-core machine, and
# the image takes another build.
# Environment: PC_IMAGE_DIR (default build/image/pc-x86_64), BOOT_TIMEOUT
# (default 180 s), PC_NIC (default e1000e), PC_DISK_BUS (default nvme).
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
work=$top/build/test/system-pc
IMAGE_DIR=${PC_IMAGE_DIR:-$top/build/image/pc-x86_64}
QEMU_BOARD=pc-x86_64
nic=${PC_NIC:-e1000e} bus=${PC_DISK_BUS:-nvme}
if [ ! -f "$IMAGE_DIR/disk.img" ]; then
	echo "pc.sh: building the pc-x86_64 image"
	make -C "$top" image BOARD=pc-x86_64 >"$top/build/pc-image.log" 2>&1 ||
		{ echo "not ok - make image BOARD=pc-x86_64 (see build/pc-image.log)"; exit 1; }
fi
# shellcheck source=tests/system/qemu-lib
. "$top/tests/system/qemu-lib"

# /dev/console on the serial port (the board's command line puts it on the
# screen): the last console= wins.
boot 1 --nic "$nic" --disk-bus "$bus" --append console=ttyS0,115200
if wait_https; then ok "pc-x86_64 with $nic and $bus booted to HTTPS in $(elapsed "$t0") s"
else
	not_ok "pc-x86_64 with $nic and $bus booted to HTTPS within $timeout_s s (console: $work/console1.log)"
	console_shell
	console_run D "ip -o addr; sv status /etc/service/*; tail -n 15 /data/log/messages"
	sleep 3
	tr -d '\r' <"$work/console1.log" | tail -40
	exit 1
fi
grep -q "initramfs: slot A (/dev/$( [ "$bus" = nvme ] && echo nvme0n1p2 || echo sda2))" "$work/console1.log"
check "the initramfs found the root on the $bus disk" [ $? = 0 ]
console_shell
console_run P1 "basename \$(readlink /sys/class/net/eth0/device/driver); uname -r; grep -c ' /data ext4 ' /proc/mounts"
console_wait P1; sleep 0.5
set -- $(console_out P1)
check "eth0 is driven by $nic (got ${1:-nothing})" [ "${1:-}" = "$nic" ]
case ${2:-} in *-amd64) ok "Debian's generic kernel ($2)" ;; *) not_ok "Debian's generic kernel (got ${2:-nothing})" ;; esac
check "the data partition is mounted as ext4 (module, with crc32c)" [ "${3:-}" = 1 ]
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$https/healthz")
check "GET /healthz through the $nic NIC is 200 (got $code)" [ "$code" = 200 ]
poweroff
check "powered off cleanly" [ $? = 0 ]
t_done
