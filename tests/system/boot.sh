#!/bin/sh
# tests/system/boot.sh: boot the classbox image under QEMU (TCG, direct
# kernel boot), wait for HTTPS on the forwarded port, power off, boot again
# and check that the data partition kept what the first boot wrote.
# Prints "ok - ..." / "not ok - ..." lines; exits non-zero if any failed.
#
# Environment: IMAGE_DIR (default build/image/qemu-x86_64), BOOT_TIMEOUT
# seconds per boot (default 60).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${IMAGE_DIR:-$top/build/image/qemu-x86_64}
timeout_s=${BOOT_TIMEOUT:-60}
work=$top/build/test/system-boot
failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }

[ -f "$dir/disk.img" ] || { not_ok "image exists ($dir/disk.img; run make image)"; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { not_ok "qemu-system-x86_64 installed"; exit 1; }
rm -rf "$work" && mkdir -p "$work"
cp --sparse=always "$dir/disk.img" "$work/disk.img"

free_port() {
	while :; do
		p=$(shuf -i 20000-60000 -n 1)
		ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	[ -n "${catpid:-}" ] && kill "$catpid" 2>/dev/null
	[ -n "${holdpid:-}" ] && kill "$holdpid" 2>/dev/null
	true
}
trap cleanup EXIT INT TERM

# boot N: start QEMU headless with the console on FIFOs; sets qpid.
boot() {
	n=$1
	https=$(free_port) http=$(free_port)
	rm -f "$work/con.in" "$work/con.out"
	mkfifo "$work/con.in" "$work/con.out"
	: >"$work/console$n.log"
	cat "$work/con.out" >>"$work/console$n.log" &
	catpid=$!
	t0=$(now)
	"$top/board/qemu-x86_64/qemu" --dir "$dir" --disk "$work/disk.img" --headless \
		--console-pipe "$work/con" --https-port "$https" --http-port "$http" \
		>"$work/qemu$n.log" 2>&1 &
	qpid=$!
	# keep the input FIFO open so QEMU never sees EOF
	sleep 100000 >"$work/con.in" &
	holdpid=$!
}
# say TEXT: type a line on the console.
say() { printf '%s\n' "$1" >"$work/con.in"; }
# wait_https: until the box answers HTTPS (any HTTP status) or the timeout.
wait_https() {
	while [ "$(elapsed "$t0" | cut -d. -f1)" -lt "$timeout_s" ]; do
		kill -0 "$qpid" 2>/dev/null || return 1
		code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "https://127.0.0.1:$https/healthz" 2>/dev/null)
		case $code in [1-5]??) return 0 ;; esac
		sleep 0.25
	done
	return 1
}
fingerprint() {
	echo | openssl s_client -connect "127.0.0.1:$https" 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
}
# poweroff: ask the box on its console; wait for QEMU to exit.
poweroff() {
	say ""; sleep 0.5; say "poweroff"
	i=0
	while kill -0 "$qpid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
	if kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid"; wait "$qpid" 2>/dev/null; qpid=
		return 1
	fi
	wait "$qpid" 2>/dev/null; qpid=
	kill "$holdpid" "$catpid" 2>/dev/null; holdpid= catpid=
	return 0
}

# --- first boot ---
boot 1
if wait_https; then
	s=$(elapsed "$t0")
	ok "booted to HTTPS in $s s (first boot, TCG, direct kernel boot)"
	echo "$s" >"$work/boot1.seconds"
else
	not_ok "booted to HTTPS within $timeout_s s (console: $work/console1.log)"
	tail -20 "$work/console1.log"
fi
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$https/healthz")
[ "$code" = 200 ] && ok "GET /healthz is 200" || not_ok "GET /healthz is 200 (got $code)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http/")
case $code in 30[1278]) ok "HTTP on port 80 redirects ($code)" ;; *) not_ok "HTTP on port 80 redirects (got $code)" ;; esac
fp1=$(fingerprint)
[ -n "$fp1" ] && ok "the box presents a TLS certificate" || not_ok "the box presents a TLS certificate"
mark=boot1-$$-$(date +%s)
say ""; sleep 0.3
say "echo $mark >/data/marker; sync"
sleep 1
if poweroff; then ok "powered off cleanly from the console"; else not_ok "powered off cleanly (killed)"; fi
grep -q 'first boot: data partition initialised' "$work/console1.log" &&
	ok "first boot initialised the data partition" || not_ok "first boot initialised the data partition"

# --- second boot: the data partition persists ---
boot 2
if wait_https; then
	ok "booted to HTTPS in $(elapsed "$t0") s (second boot)"
else
	not_ok "booted to HTTPS again within $timeout_s s (console: $work/console2.log)"
	tail -20 "$work/console2.log"
fi
fp2=$(fingerprint)
[ -n "$fp1" ] && [ "$fp1" = "$fp2" ] && ok "TLS key kept across the reboot (same certificate)" ||
	not_ok "TLS key kept across the reboot ('$fp1' vs '$fp2')"
say ""; sleep 0.3
say "cat /data/marker"
sleep 1
grep -q "^$mark" "$work/console2.log" && ok "a file written on the first boot is there after the reboot" ||
	not_ok "a file written on the first boot is there after the reboot"
grep -q 'first boot: data partition initialised' "$work/console2.log" &&
	not_ok "the second boot did not re-initialise the data partition" ||
	ok "the second boot did not re-initialise the data partition"
poweroff || not_ok "second poweroff (killed)"
[ "$failed" -eq 0 ]
