#!/bin/sh
# `classbox audit verify` on real logs written by the binary (the test-only
# `audit append-test`), then on copies tampered with LMDB's own mdb_dump and
# mdb_load (a changed byte, a removed entry, two swapped entries, a cut
# end): each break is named by its sequence number and the exit is 1.
. "$(dirname "$0")/../lib.sh"

A=$T_DIR/audit

# mdb_dump and mdb_load from the pinned LMDB sources (make test-tools).
t_need_tools mdb_dump mdb_load || t_done

check "append 20 entries to the ops log" \
    "$CLASSBOX" audit append-test --dir "$A" --log ops 20
check "append 5 entries to the login log" \
    "$CLASSBOX" audit append-test --dir "$A" --log login 5
out=$("$CLASSBOX" audit verify --dir "$A" 2>&1); rc=$?
expect_eq "verify of intact logs exits 0" "$rc" 0
expect_match "login log reported intact" "$out" '^login log: 5 entries, chain intact'
expect_match "ops log reported intact" "$out" 'ops log: 20 entries, chain intact'
out=$("$CLASSBOX" audit tail --dir "$A" --log ops -n 3 2>&1)
expect_match "tail prints the last entry" "$out" '^20 .* action=audit.append-test'

key() { printf ' %016x' "$1"; }	# mdb_dump's hex of an 8-byte big-endian seq

# tamper NAME AWK-PROGRAM: copy the audit dir, rewrite the ops log's
# entries through mdb_dump | awk | mdb_load into a fresh environment.
tamper() {
	name=$1 prog=$2 d=$T_DIR/$1
	rm -rf "$d" && cp -a "$A" "$d" && rm -f "$d/ops/data.mdb" "$d/ops/lock.mdb"
	"$T_TOOLS/mdb_dump" -s meta "$A/ops" >"$d/meta.txt" &&
	"$T_TOOLS/mdb_dump" -s entries "$A/ops" | awk "$prog" >"$d/entries.txt" &&
	"$T_TOOLS/mdb_load" -s meta -f "$d/meta.txt" "$d/ops" &&
	"$T_TOOLS/mdb_load" -s entries -f "$d/entries.txt" "$d/ops"
}

# expect_break NAME REGEX: verify of the tampered copy exits 1 and says REGEX.
expect_break() {
	out=$("$CLASSBOX" audit verify --dir "$T_DIR/$1" 2>&1); rc=$?
	expect_eq "$1: verify exits 1" "$rc" 1
	expect_match "$1: the broken entry is named" "$out" "$2"
	expect_match "$1: the other log is still intact" "$out" \
	    '^login log: 5 entries, chain intact'
}

check "untouched copy loads" tamper copy '{ print }'
out=$("$CLASSBOX" audit verify --dir "$T_DIR/copy" 2>&1)
expect_match "a faithful dump/load copy verifies intact" "$out" \
    'ops log: 20 entries, chain intact'

# A byte of entry 7's value changed (one hex digit flipped).
check "change a byte of entry 7" tamper changed "
	prev == \"$(key 7)\" { c = substr(\$0, 20, 1); sub(/./, c == \"0\" ? \"1\" : \"0\", c);
	    \$0 = substr(\$0, 1, 19) c substr(\$0, 21) }
	{ prev = \$0; print }"
expect_break changed '^ops log: entry 7 was changed'

# Entry 9 removed.
check "remove entry 9" tamper removed "
	\$0 == \"$(key 9)\" { skip = 1; next }
	skip { skip = 0; next }
	{ print }"
expect_break removed '^ops log: entry 9 was removed \(sequence gap'

# Entries 14 and 15 swapped.
check "swap entries 14 and 15" tamper swapped "
	{ line[NR] = \$0 }
	\$0 == \"$(key 14)\" { a = NR + 1 }
	\$0 == \"$(key 15)\" { b = NR + 1 }
	END { t = line[a]; line[a] = line[b]; line[b] = t;
	    for (i = 1; i <= NR; i++) print line[i] }"
expect_break swapped '^ops log: entry 14 was reordered'

# The last entry cut off.
check "cut entry 20" tamper cut "
	\$0 == \"$(key 20)\" { skip = 1; next }
	skip { skip = 0; next }
	{ print }"
expect_break cut '^ops log: entry 20 was removed'

# Retention: nothing is in the cloud yet (no upload marker), so the
# retention job purges nothing, whatever the clock says.
out=$("$CLASSBOX" audit purge --dir "$A" --log ops 2>&1)
expect_match "purge without an upload keeps every entry" "$out" '^ops log: (0 entries purged \(the cloud has entries through 0\)|not purged: .*clock is not synced)'
out=$("$CLASSBOX" audit verify --dir "$A" --log ops 2>&1)
expect_match "and the log still verifies whole" "$out" '^ops log: 20 entries, chain intact'

rm -rf "$T_DIR/nolog" && mkdir -p "$T_DIR/nolog"
out=$("$CLASSBOX" audit verify --dir "$T_DIR/nolog" 2>&1); rc=$?
expect_eq "a missing log fails verify" "$rc" 1
expect_match "a missing log is named" "$out" '^login log: missing'
t_done
