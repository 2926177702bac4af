#!/bin/sh
# tests/system/tpm.sh: the image with a TPM 2.0 (Debian's swtpm, attached
# as QEMU attaches a real one), booted the way a box boots (OVMF -> GRUB):
#   1. the kernel's TPM driver (tpm_tis) gives /dev/tpmrm0; `classbox keys
#      init` seals a root key to it under PCRs 0,2,4,7,9 (docs/keys.md)
#      and prints a recovery key once; PCRs 4 and 9 are what
#      tests/system/pcr-predict computes from GRUB, the kernel, the
#      initramfs and the command line alone (phase 2's re-seal before a
#      slot flip relies on it);
#   2. after a reboot with the same TPM, the same root key unseals;
#   3. a thief edits the kernel command line in grub.cfg on the ESP: the
#      kernel's EFI stub measures it into PCR 9 and the TPM refuses;
#   4. the same TPM, but the machine started another way (OVMF runs a
#      kernel of its own choosing, as an OS on a USB stick would be):
#      PCR 4 differs and the TPM refuses, with the PCR named;
#   5. a new TPM (tpm_crb this time, a firmware TPM's interface): the
#      sealed key belongs to another TPM and opens nothing; the recovery
#      key typed on the console opens it and seals it to the new TPM,
#      which then unseals it by itself.
# The keys live in /data/tpm-test-keys, apart from the box's own.
# Prints "ok - ..." / "not ok - ..."; exits non-zero if any failed.
set -u
work=$(cd "$(dirname "$0")/../.." && pwd)/build/test/system-tpm
QEMU_EFI=1
# shellcheck source=tests/system/qemu-lib
. "$(dirname "$0")/qemu-lib"
command -v swtpm >/dev/null || { not_ok "swtpm installed (tools/install-packages)"; exit 1; }
keys=/data/tpm-test-keys

swpid=
swtpm_up() {	# swtpm_up NAME: a TPM whose state lives in $work/NAME
	mkdir -p "$work/$1"
	rm -f "$work/$1/ctrl.sock"
	swtpm socket --tpm2 --tpmstate dir="$work/$1" \
		--ctrl type=unixio,path="$work/$1/ctrl.sock" \
		--log file="$work/$1/swtpm.log" --terminate &
	swpid=$!
	i=0
	while [ ! -S "$work/$1/ctrl.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}
swtpm_down() {
	[ -n "$swpid" ] && { kill "$swpid" 2>/dev/null; wait "$swpid" 2>/dev/null; }
	swpid=
}
trap 'cleanup; swtpm_down' EXIT
tpm_args() {	# tpm_args NAME DEVICE: QEMU's arguments for that TPM
	echo "-chardev socket,id=chrtpm,path=$work/$1/ctrl.sock -tpmdev emulator,id=tpm0,chardev=chrtpm -device $2,tpmdev=tpm0"
}
# run TAG SECONDS CMD: CMD on the console; its output (TAG: lines) printed.
run() {
	console_run "$1" "$3; echo rc=\$?"
	i=0
	while [ $i -lt $(($2 * 5)) ]; do
		console_out "$1" | grep -q '^rc=' && break
		sleep 0.2; i=$((i + 1))
	done
	console_out "$1"
}
shell_ready() {	# the console's shell, once rcS is done
	console_match 'press Enter to activate' 120 && console_shell
}

# --- 1: first boot with TPM A: the driver, init ---
swtpm_up tpm-a
# shellcheck disable=SC2046
boot 1 -- $(tpm_args tpm-a tpm-tis)
if wait_https; then ok "booted to HTTPS through OVMF + GRUB with a TPM"; else
	not_ok "booted to HTTPS with a TPM (console: $work/console1.log)"; tail -20 "$work/console1.log"; fi
shell_ready
out=$(run dev 10 "ls -l /dev/tpmrm0")
echo "# $out"
printf '%s\n' "$out" | grep -q '^c.* /dev/tpmrm0$'
check "the TPM driver gave /dev/tpmrm0 (tpm_tis)" [ $? = 0 ]
out=$(run init 90 "classbox keys init --dir $keys")
printf '%s\n' "$out" | sed 's/^recovery key: .*/recovery key: (not shown in the log)/; s/^/# /'
rec=$(printf '%s\n' "$out" | sed -n 's/^recovery key: //p')
id=$(printf '%s\n' "$out" | sed -n 's/^key id: //p')
check "keys init sealed the root key to the TPM" \
	sh -c "printf '%s\n' \"\$1\" | grep -qx 'protection: tpm'" - "$out"
check "keys init printed a recovery key of 8 groups of 6 digits" \
	sh -c "printf '%s\n' \"\$1\" | grep -Eqx '([0-9]{6}-){7}[0-9]{6}'" - "$rec"
out=$(run status 30 "classbox keys status --dir $keys")
printf '%s\n' "$out" | grep -qx 'sealed to PCRs: 0,2,4,7,9'
check "status: sealed to PCRs 0,2,4,7,9, hardware-protected" [ $? = 0 ]
out=$(run pcrs 30 "classbox keys pcrs --pcrs 0,2,4,7,9")
printf '%s\n' "$out" | sed 's/^/# /'
zero=0000000000000000000000000000000000000000000000000000000000000000
printf '%s\n' "$out" | grep -q "^pcr 4: $zero"
check "OVMF measured the boot loader into PCR 4 (not zero)" [ $? != 0 ]
. "$top/board/qemu-x86_64/board.conf"
want=$(python3 "$top/tests/system/pcr-predict" "$dir/esp/EFI/BOOT/BOOTX64.EFI" \
	"$dir/vmlinuz" "$dir/initramfs.cpio.gz" \
	"BOOT_IMAGE=(hd0,gpt2)/boot/vmlinuz $KERNEL_CMDLINE classbox.slot=A")
printf '%s\n' "$want" | sed 's/^/# predicted /'
for p in 4 9; do
	w=$(printf '%s\n' "$want" | grep "^pcr $p: ")
	printf '%s\n' "$out" | grep -qx "$w"
	check "PCR $p is what the files predict (GRUB, kernel, initramfs, command line)" [ $? = 0 ]
done
out=$(run tpmfile 30 "ls $keys")
printf '%s\n' "$out" | grep -q 'root.key'
check "no root key in clear on the disk (no root.key beside root.tpm)" [ $? != 0 ]
poweroff; check "powered off cleanly" [ $? = 0 ]
swtpm_down

# --- 2: reboot, the same TPM: the same root key ---
swtpm_up tpm-a
# shellcheck disable=SC2046
boot 2 -- $(tpm_args tpm-a tpm-tis)
shell_ready
out=$(run unlock 60 "classbox keys unlock --dir $keys")
printf '%s\n' "$out" | sed 's/^/# /'
check "after a reboot the same TPM unseals the same root key ($id)" \
	sh -c "printf '%s\n' \"\$1\" | grep -qx \"key id: \$2\"" - "$out" "$id"
poweroff; check "powered off cleanly" [ $? = 0 ]
swtpm_down

# --- 3: a thief edits the kernel command line (grub.cfg on the ESP) ---
esp_off=$((2048 * 512))		# partition 1 starts at 1 MiB (build-image)
mcopy -o -i "$work/disk.img@@$esp_off" ::/EFI/BOOT/grub.cfg "$work/grub.cfg"
sed 's/classbox.slot=A/classbox.slot=A classbox.thief=1/' "$work/grub.cfg" >"$work/grub.thief"
mcopy -o -i "$work/disk.img@@$esp_off" "$work/grub.thief" ::/EFI/BOOT/grub.cfg
swtpm_up tpm-a
# shellcheck disable=SC2046
boot 3 -- $(tpm_args tpm-a tpm-tis)
shell_ready
out=$(run thief 60 "grep -o classbox.thief=1 /proc/cmdline; classbox keys unlock --dir $keys")
printf '%s\n' "$out" | sed 's/^/# /'
printf '%s\n' "$out" | grep -q 'classbox.thief=1' &&
printf '%s\n' "$out" | grep -q 'differ from those the key was sealed to (PCR 9)'
check "an edited kernel command line: the TPM refuses (PCR 9 named)" [ $? = 0 ]
pull_plug
swtpm_down
mcopy -o -i "$work/disk.img@@$esp_off" "$work/grub.cfg" ::/EFI/BOOT/grub.cfg

# --- 4: the same TPM, another boot path (OVMF starts a kernel itself) ---
swtpm_up tpm-a
# shellcheck disable=SC2046
boot 4 -- $(tpm_args tpm-a tpm-tis) -kernel "$dir/vmlinuz" \
	-initrd "$dir/initramfs.cpio.gz" -append "$KERNEL_CMDLINE classbox.slot=A"
shell_ready
out=$(run other 60 "classbox keys unlock --dir $keys")
printf '%s\n' "$out" | sed 's/^/# /'
printf '%s\n' "$out" | grep -q 'differ from those the key was sealed to (PCR 4'
check "booted another way, the TPM refuses to unseal (PCR 4 named)" [ $? = 0 ]
printf '%s\n' "$out" | grep -q "^key id:"
check "... and no key id came out" [ $? != 0 ]
pull_plug
swtpm_down

# --- 5: a new TPM (CRB interface): nothing opens; the recovery key does ---
swtpm_up tpm-b
# shellcheck disable=SC2046
boot 5 -- $(tpm_args tpm-b tpm-crb)
shell_ready
out=$(run crb 10 "ls -l /dev/tpmrm0")
printf '%s\n' "$out" | grep -q '^c.* /dev/tpmrm0$'
check "the TPM driver gave /dev/tpmrm0 (tpm_crb)" [ $? = 0 ]
out=$(run new 60 "classbox keys unlock --dir $keys")
printf '%s\n' "$out" | sed 's/^/# /'
printf '%s\n' "$out" | grep -q 'sealed by another TPM'
check "a new TPM cannot unseal the old box's root key" [ $? = 0 ]
out=$(run badrec 60 "echo 123456-234567-345678-456789-567890-678901-789012-890123 | classbox keys recover --dir $keys")
printf '%s\n' "$out" | sed 's/^/# /'
printf '%s\n' "$out" | grep -q 'group 1 of the recovery key is mistyped'
check "a mistyped recovery key is refused, naming the group" [ $? = 0 ]
out=$(run rec 120 "echo $rec | classbox keys recover --dir $keys")
printf '%s\n' "$out" | sed 's/^/# /'
check "the recovery key opens the root key on the new TPM ($id)" \
	sh -c "printf '%s\n' \"\$1\" | grep -qx \"key id: \$2\"" - "$out" "$id"
out=$(run again 60 "classbox keys unlock --dir $keys")
check "the new TPM now unseals it by itself" \
	sh -c "printf '%s\n' \"\$1\" | grep -qx \"key id: \$2\"" - "$out" "$id"
poweroff; check "powered off cleanly" [ $? = 0 ]
swtpm_down
t_done
