#!/bin/sh
# tests/system/powercut.sh: the virtual plug pulled during writes. Boot,
# log in, create users through the API in a loop (each 201 is an
# acknowledged write), kill -9 QEMU at a random moment, boot again: the boot
# is clean (the data partition mounts, no filesystem errors, the box is not
# re-initialised) and every user whose creation was acknowledged exists.
#
# kill -9 of QEMU loses everything the guest had not written to its virtual
# disk (its page cache, unflushed LMDB pages, the ext4 journal in memory);
# what QEMU had written is in the host's page cache and survives, as on a
# disk that honours flushes.
#
# Environment: as tests/system/boot.sh; POWERCUT_AFTER=SECONDS fixes the
# moment (default: random, 2-8 s after the first acknowledged write).
set -u
work=$(cd "$(dirname "$0")/../.." && pwd)/build/test/system-powercut
# shellcheck source=tests/system/qemu-lib
. "$(dirname "$0")/qemu-lib"

boot 1
if wait_https; then ok "booted to HTTPS in $(elapsed "$t0") s"
else not_ok "booted to HTTPS within $timeout_s s (console: $work/console1.log)"; tail -20 "$work/console1.log"; fi
initial=$(console_initial_password)
newpw="Teiden-$$-$(date +%s)"
login adm admin "$initial"
api adm POST /api/v1/password "{\"old_password\":\"$initial\",\"new_password\":\"$newpw\"}"
check "admin logged in and changed the initial password (204; got $STATUS)" [ "$STATUS" = 204 ]

# The writer: creates users one after the other; appends the id of each
# acknowledged (201) creation to acked.txt. Runs until QEMU is gone.
: >"$work/acked.txt"
: >"$work/unacked.txt"
(
	i=0
	while :; do
		i=$((i + 1))
		id=cut$$.$i
		api adm POST /api/v1/users "{\"id\":\"$id\",\"name\":\"停電 $i\",\"role\":\"student\"}"
		case $STATUS in
		201) echo "$id" >>"$work/acked.txt" ;;
		000) echo "$id" >>"$work/unacked.txt"; kill -0 "$qpid" 2>/dev/null || break ;;
		*) echo "$id $STATUS" >>"$work/unacked.txt" ;;
		esac
	done
) &
writer=$!
i=0
while [ ! -s "$work/acked.txt" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
after=${POWERCUT_AFTER:-$(awk -v r="$(shuf -i 0-6000 -n 1)" 'BEGIN { printf "%.2f", 2 + r / 1000 }')}
sleep "$after"
n_before=$(wc -l <"$work/acked.txt")
pull_plug
wait "$writer" 2>/dev/null
acked=$(wc -l <"$work/acked.txt")
check "users were being created when the plug was pulled ($acked acknowledged, cut after $after s)" [ "$acked" -gt 0 ]

# --- after the power cut ---
boot 2
if wait_https; then ok "booted to HTTPS after the power cut in $(elapsed "$t0") s"
else not_ok "booted to HTTPS after the power cut within $timeout_s s (console: $work/console2.log)"; tail -20 "$work/console2.log"; fi
say ""; sleep 0.3
say "mount | grep ' /data '; dmesg | grep -i 'ext4\|jbd2' | tail -5"
sleep 1.5
tr -d '\r' <"$work/console2.log" >"$work/console2.txt"
grep -q '^/dev/vda4 on /data type ext4' "$work/console2.txt"
check "the data partition mounts (ext4 on /data)" [ $? = 0 ]
grep -qi 'rcS: ERROR\|/data is a tmpfs\|EXT4-fs error\|EXT4-fs warning\|corrupt' "$work/console2.txt"
check "a clean boot: no filesystem errors, no fallback to tmpfs" [ $? != 0 ]
grep -q 'first boot: data partition initialised\|first login: user admin' "$work/console2.txt"
check "the box was not re-initialised" [ $? != 0 ]
login adm admin "$newpw"
check "the admin logs in with the changed password (200; got $STATUS)" [ "$STATUS" = 200 ]
lost=
while read -r id; do
	api adm GET "/api/v1/users/$id"
	[ "$STATUS" = 200 ] || lost="$lost $id($STATUS)"
done <"$work/acked.txt"
check "every acknowledged user exists after the power cut ($acked checked; lost:${lost:- none})" [ -z "$lost" ]
kept=0
while read -r id _; do
	api adm GET "/api/v1/users/$id"
	[ "$STATUS" = 200 ] && kept=$((kept + 1))
done <"$work/unacked.txt"
echo "# $n_before acknowledged when the cut was decided, $acked in all; of $(wc -l <"$work/unacked.txt") unacknowledged (in flight), $kept exist"
api adm POST /api/v1/users "{\"id\":\"after$$\",\"name\":\"後\",\"role\":\"student\"}"
check "the box takes writes again after the power cut (201; got $STATUS)" [ "$STATUS" = 201 ]
poweroff
check "powered off cleanly" [ $? = 0 ]
t_done
