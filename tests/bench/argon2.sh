#!/bin/sh
# tests/bench/argon2.sh: Argon2id milliseconds per hash with glibc and with
# static musl (the box's libc), libargon2 allocating its memory on every
# call ("malloc") against a pre-touched per-worker arena ("arena", what the
# auth workers use). Builds tests/bench/argon2.c for both targets (needs
# `make deps` and `make deps TARGET=musl`) and prints a markdown table.
#   ARGON2_BENCH_N   hashes per mode (default 20)
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
N=${ARGON2_BENCH_N:-20}
OUT=build/bench/argon2
mkdir -p "$OUT"
SRCS="tests/bench/argon2.c firmware/auth/password.c firmware/base/cb.c firmware/base/utf8.c"
CFLAGS="-std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Ifirmware"

build() {	# TARGET CC... : compile the bench against TARGET's deps
	t=$1; shift
	deps=build/$t/deps
	[ -f "$deps/lib/libargon2.a" ] || { echo "argon2.sh: run 'make deps TARGET=$t' first" >&2; exit 1; }
	"$@" $CFLAGS -I"$deps/include" -o "$OUT/argon2-$t" $SRCS \
	    "$deps/lib/libargon2.a" -lpthread
}
build host gcc
build musl musl-gcc -isystem build/musl/kernel-include -static

host=$("$OUT/argon2-host" "$N")
musl=$("$OUT/argon2-musl" "$N")
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
