#!/bin/sh
# tests/system/boot.sh: boot the classbox image under QEMU (TCG), wait for
# HTTPS on the forwarded port, log in with the initial password the console
# shows, change it (forced), read the SBOM as admin, create a teacher,
# power off, boot again: the data partition, the new admin password and the
# teacher are all still there.
# Prints "ok - ..." / "not ok - ..." lines; exits non-zero if any failed.
#
# Environment: IMAGE_DIR (default build/image/qemu-x86_64), BOOT_TIMEOUT
# seconds per boot (default 60), QEMU_EFI=1: boot through OVMF + GRUB.
set -u
work=$(cd "$(dirname "$0")/../.." && pwd)/build/test/system-boot${QEMU_EFI:+-efi}
# shellcheck source=tests/system/qemu-lib
. "$(dirname "$0")/qemu-lib"
how="direct kernel boot"
[ "${QEMU_EFI:-}" = 1 ] && how="OVMF + GRUB"

# --- first boot ---
boot 1
if wait_https; then
	s=$(elapsed "$t0")
	ok "booted to HTTPS in $s s (first boot, TCG, $how)"
	echo "$s" >"$work/boot1.seconds"
else
	not_ok "booted to HTTPS within $timeout_s s (console: $work/console1.log)"
	tail -20 "$work/console1.log"
fi
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$https/healthz")
check "GET /healthz is 200" [ "$code" = 200 ]
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http/")
case $code in 30[1278]) ok "HTTP on port 80 redirects ($code)" ;; *) not_ok "HTTP on port 80 redirects (got $code)" ;; esac
fp1=$(key_fingerprint)
check "the box presents a TLS certificate" [ -n "$fp1" ]
grep -q 'first boot: data partition initialised' "$work/console1.log"
check "first boot initialised the data partition" [ $? = 0 ]

# The initial admin password, from the console (rcS prints it once).
initial=$(console_initial_password)
check "the console shows the first admin's initial password" [ -n "$initial" ]
login adm admin "$initial"
check "admin logs in through the forwarded port with it (200; got $STATUS)" [ "$STATUS" = 200 ]
printf '%s' "$BODY" | grep -q '"must_change_password":true'
check "the initial password must be changed" [ $? = 0 ]
api adm GET /api/v1/users
check "before the change, other endpoints are refused (403; got $STATUS)" [ "$STATUS" = 403 ]
newpw="Kyoshitsu-$$-$(date +%s)"
api adm POST /api/v1/password "{\"old_password\":\"$initial\",\"new_password\":\"$newpw\"}"
check "admin changes the password (204; got $STATUS)" [ "$STATUS" = 204 ]
api adm GET /api/v1/me
check "GET /api/v1/me after the change (200; got $STATUS)" [ "$STATUS" = 200 ]
# The SBOM the image carries, as the admin UI's SBOM page reads it.
api adm GET /api/v1/admin/sbom
check "admin reads the SBOM through the forwarded port (200; got $STATUS)" [ "$STATUS" = 200 ]
for c in kernel:linux- busybox:busybox; do
	printf '%s' "$BODY" | jq -e --arg c "${c#*:}" '[.packages[] | select((.name | startswith($c))
		and (.checksums[0].checksumValue | test("^[0-9a-f]{64}$")))] | length == 1' >/dev/null 2>&1
	check "the box's SBOM lists the ${c%%:*} with its SHA-256" [ $? = 0 ]
done
cmp -s "$work/body" "$dir/sbom.spdx.json"
check "it is the SBOM the image was built with ($dir/sbom.spdx.json)" [ $? = 0 ]
teacher=tanaka.$$
api adm POST /api/v1/users "{\"id\":\"$teacher\",\"name\":\"田中 先生\",\"role\":\"teacher\"}"
tpw=$(json_str initial_password)
[ "$STATUS" = 201 ] && [ -n "$tpw" ]
check "admin creates teacher $teacher (201 with an initial password; got $STATUS)" [ $? = 0 ]
login tch "$teacher" "$tpw"
check "the teacher logs in (200; got $STATUS)" [ "$STATUS" = 200 ]

mark=boot1-$$-$(date +%s)
say ""; sleep 0.3
say "echo $mark >/data/marker; sync"
sleep 1
poweroff
check "powered off cleanly from the console" [ $? = 0 ]

# --- second boot: the data partition persists ---
boot 2
if wait_https; then
	s=$(elapsed "$t0")
	ok "booted to HTTPS in $s s (second boot, TCG, $how)"
	echo "$s" >"$work/boot2.seconds"
else
	not_ok "booted to HTTPS again within $timeout_s s (console: $work/console2.log)"
	tail -20 "$work/console2.log"
fi
fp2=$(key_fingerprint)
[ -n "$fp1" ] && [ "$fp1" = "$fp2" ]
check "TLS key kept across the reboot (same public key)" [ $? = 0 ]
say ""; sleep 0.3
say "cat /data/marker"
sleep 1
grep -q "^$mark" "$work/console2.log"
check "a file written on the first boot is there after the reboot" [ $? = 0 ]
grep -q 'first boot: data partition initialised\|first login: user admin' "$work/console2.log"
check "the second boot did not re-initialise the data or the admin" [ $? != 0 ]
login adm admin "$initial"
check "the initial admin password no longer works (401; got $STATUS)" [ "$STATUS" = 401 ]
login adm admin "$newpw"
check "the changed admin password works after the reboot (200; got $STATUS)" [ "$STATUS" = 200 ]
printf '%s' "$BODY" | grep -q '"must_change_password":false'
check "no forced change any more" [ $? = 0 ]
api adm GET "/api/v1/users/$teacher"
check "the teacher is still there after the reboot (200; got $STATUS)" [ "$STATUS" = 200 ]
login tch "$teacher" "$tpw"
check "the teacher still logs in (200; got $STATUS)" [ "$STATUS" = 200 ]
poweroff
check "second poweroff" [ $? = 0 ]
t_done
