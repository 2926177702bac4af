#!/bin/sh
# tests/bench/argon2.sh: Argon2id milliseconds per hash with glibc and with
# static musl (the box's libc), libargon2 allocating its memory on every
# call ("malloc") against a pre-touched per-worker arena ("arena", what the
# auth workers use). Runs tests/bench/argon2.c built for both targets
# (`make build/host/test-tools/bench_argon2` and `make TARGET=musl
# build/musl/test-tools/bench_argon2`) and prints a markdown table.
#   ARGON2_BENCH_N   hashes per mode (default 20)
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
N=${ARGON2_BENCH_N:-20}
for t in host musl; do
	[ -x build/$t/test-tools/bench_argon2 ] || {
		echo "argon2.sh: run 'make TARGET=$t build/$t/test-tools/bench_argon2' first" >&2
		exit 1
	}
done
host=$(build/host/test-tools/bench_argon2 "$N")
musl=$(build/musl/test-tools/bench_argon2 "$N")
field() { echo "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
hm=$(field "$host" malloc); ha=$(field "$host" arena)
mm=$(field "$musl" malloc); ma=$(field "$musl" arena)
cat <<TABLE

## Argon2id m=19456 KiB, t=2, p=1 ($(date -u +%Y-%m-%d), $(nproc) cores, $N hashes per cell)

| libc | malloc, ms/hash | arena, ms/hash | malloc/arena |
|---|---|---|---|
| glibc (host) | $hm | $ha | $(ratio "$hm" "$ha") |
| musl (static) | $mm | $ma | $(ratio "$mm" "$ma") |
| musl/glibc | $(ratio "$mm" "$hm") | $(ratio "$ma" "$ha") | |
TABLE
