#!/bin/sh
# tests/integration/keys_tpm.sh: `classbox keys` against a real software
# TPM (Debian's swtpm), with tpm2-tools (an independent TPM client) as
# the other party:
#   - init seals the root key to the TPM, status says so, unlock gives
#     the same key id every time, also after the TPM restarts;
#   - tpm2-tools reads the same PCR values; a PCR it extends makes our
#     unlock refuse, naming the PCR;
#   - a thief's tools on the same TPM: tpm2-tools loads the sealed blob
#     (our storage key is TCG's standard one) but cannot unseal it with a
#     password, nor under the PCR policy once a PCR moved;
#   - a second TPM cannot unseal; the recovery key (from stdin) recovers
#     and re-seals; a wrong or mistyped key is refused with the reason;
#   - rotation: the new key opens, the old one does not;
#   - escrow to a P-256 key made by openssl; the platform's side opens it;
#   - no TPM: the key file, and status says "hardware-protected: no".
set -u
. "$(dirname "$0")/../lib.sh"
for t in swtpm tpm2_pcrread tpm2_pcrextend tpm2_createprimary tpm2_load \
    tpm2_unseal openssl; do
	command -v "$t" >/dev/null ||
	    { not_ok "$t installed (tools/install-packages)"; t_done; }
done
K=$T_DIR/keys
swpid=
swtpm_up() {	# swtpm_up NAME: a TPM on $T_DIR/NAME/data.sock
	mkdir -p "$T_DIR/$1"
	rm -f "$T_DIR/$1/data.sock" "$T_DIR/$1/data.sock.ctrl"
	swtpm socket --tpm2 --tpmstate dir="$T_DIR/$1" \
	    --server type=unixio,path="$T_DIR/$1/data.sock" \
	    --ctrl type=unixio,path="$T_DIR/$1/data.sock.ctrl" \
	    --flags not-need-init,startup-clear 2>>"$T_DIR/swtpm.log" &
	swpid=$!
	for _ in $(seq 1 50); do
		[ -S "$T_DIR/$1/data.sock" ] && break
		sleep 0.1
	done
	TPM=$T_DIR/$1/data.sock
	export TPM2TOOLS_TCTI="swtpm:path=$TPM"
}
swtpm_down() {
	[ -n "$swpid" ] && { kill "$swpid"; wait "$swpid" 2>/dev/null; }
	swpid=
}
trap swtpm_down EXIT
# keys ARGS: classbox keys on $K, output on one line (for expect_match)
keys() { "$CLASSBOX" keys "$@" --dir "$K" 2>&1 | tr '\n' ' '; }

# --- init, status, unlock ---
swtpm_up tpm-a
out=$(keys init --tpm "$TPM")
expect_match "init seals the root key to the TPM" "$out" 'protection: tpm'
rec=$(printf '%s\n' "$out" | sed -n 's/.*recovery key: \([-0-9]*\).*/\1/p')
id=$(printf '%s\n' "$out" | sed -n 's/.*key id: \([0-9a-f]*\).*/\1/p')
expect_match "init prints the recovery key once, 8 groups of 6 digits" \
    "$rec" '^([0-9]{6}-){7}[0-9]{6}$'
out=$(keys status)
expect_match "status: hardware-protected, PCRs 0,2,4,7,9" "$out" \
    'hardware-protected: yes.*sealed to PCRs: 0,2,4,7,9 '
check "no root key in clear on the disk" test ! -e "$K/root.key"
expect_match "unlock gives the same key id" "$(keys unlock --tpm "$TPM")" \
    "key id: $id"
out=$(keys init --tpm "$TPM")
expect_match "init twice is refused" "$out" 'already holds'
swtpm_down
swtpm_up tpm-a
expect_match "after the TPM restarts, the same key id" \
    "$(keys unlock --tpm "$TPM")" "key id: $id"

# --- tpm2-tools: the same PCRs; a PCR it moves makes us refuse ---
ours=$("$CLASSBOX" keys pcrs --tpm "$TPM" --pcrs 4 | sed -n 's/^pcr 4: //p')
tools=$(tpm2_pcrread sha256:4 | sed -n 's/.*4 *: 0x//p' | tr 'A-F' 'a-f')
expect_eq "tpm2-tools reads the PCR we read" "$ours" "$tools"
# A thief's tools on this TPM load our blob under TCG's standard storage
# key: the blob is sealed/policy-only, so a password opens nothing.
# (Without the kernel's resource manager, swtpm keeps what each tool
# loaded: flushed after each one.)
clean() { tpm2_flushcontext -t; tpm2_flushcontext -l; tpm2_flushcontext -s; } 2>/dev/null
# root.tpm: "CBTS", version, PCR mask (4 bytes), 32 bytes per PCR, the
# storage key's name (34), then the TPM2B public and private areas.
npcr=$(od -An -tu1 -j 5 -N4 "$K/root.tpm" | awk '{ n = 0
	for (i = 1; i <= NF; i++) for (b = $i; b > 0; b = int(b / 2)) n += b % 2
	print n }')
off=$((4 + 1 + 4 + npcr * 32 + 34))
publen=$(od -An -tu1 -j "$off" -N2 "$K/root.tpm" | awk '{ print $1 * 256 + $2 }')
dd if="$K/root.tpm" of="$T_DIR/pub.bin" bs=1 skip="$off" count=$((publen + 2)) status=none
dd if="$K/root.tpm" of="$T_DIR/priv.bin" bs=1 skip=$((off + publen + 2)) status=none
thief_load() {
	clean
	tpm2_createprimary -C o -g sha256 -G ecc256:null:aes128cfb \
	    -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt' \
	    -c "$T_DIR/srk.ctx" >>"$T_DIR/tools.log" 2>&1 &&
	tpm2_load -C "$T_DIR/srk.ctx" -u "$T_DIR/pub.bin" -r "$T_DIR/priv.bin" \
	    -c "$T_DIR/obj.ctx" >>"$T_DIR/tools.log" 2>&1 && clean
}
check "tpm2-tools loads our sealed blob (the standard storage key)" thief_load
tpm2_unseal -c "$T_DIR/obj.ctx" >"$T_DIR/unseal.out" 2>"$T_DIR/unseal.err"
rc=$?
cat "$T_DIR/unseal.err" >>"$T_DIR/tools.log"
check "tpm2-tools cannot unseal it with a password (policy only)" \
    sh -c "[ $rc -ne 0 ] && grep -q 'authValue or authPolicy is not available' '$T_DIR/unseal.err'"
thief_load
tpm2_unseal -c "$T_DIR/obj.ctx" -p pcr:sha256:0,2,4,7,9 >"$T_DIR/unseal.out" \
    2>>"$T_DIR/tools.log"
check "tpm2-tools unseals it under our PCR policy while the PCRs hold (our policy is plain TPM2_PolicyPCR)" \
    [ "$(wc -c <"$T_DIR/unseal.out")" -eq 32 ]
clean
tpm2_pcrextend 4:sha256=abababababababababababababababababababababababababababababababab
thief_load
tpm2_unseal -c "$T_DIR/obj.ctx" -p pcr:sha256:0,2,4,7,9 >"$T_DIR/unseal.out" \
    2>"$T_DIR/unseal.err"
rc=$?
cat "$T_DIR/unseal.err" >>"$T_DIR/tools.log"
check "once another boot loader moved PCR 4, tpm2-tools cannot unseal it" \
    sh -c "[ $rc -ne 0 ] && grep -q 'policy' '$T_DIR/unseal.err'"
clean
out=$(keys unlock --tpm "$TPM")
expect_match "... nor can we: the refusal names PCR 4" "$out" \
    'differ from those the key was sealed to \(PCR 4\)'
swtpm_down

# --- another TPM; the recovery key ---
swtpm_up tpm-b
out=$(keys unlock --tpm "$TPM")
expect_match "a second TPM cannot unseal it" "$out" 'sealed by another TPM'
out=$(echo 000000-000000-000000-000000-000000-000000-000000-000011 | keys recover --tpm "$TPM")
expect_match "a wrong recovery key is refused, clearly" "$out" \
    'does not open the keys'
bad=$(printf '%s' "$rec" | awk '{ n = (substr($0, 10, 1) + 1) % 10
	print substr($0, 1, 9) n substr($0, 11) }')
out=$(echo "$bad" | keys recover --tpm "$TPM")
expect_match "a mistyped group is named" "$out" 'group 2 of the recovery key is mistyped'
out=$(echo "$rec" | keys recover --tpm "$TPM")
expect_match "the recovery key recovers and seals to the new TPM" "$out" \
    "recovered and sealed.*key id: $id"
expect_match "the new TPM now unseals by itself" "$(keys unlock --tpm "$TPM")" \
    "key id: $id"

# --- rotation and escrow ---
openssl ecparam -name prime256v1 -genkey -noout -out "$T_DIR/escrow.key" 2>/dev/null
openssl ec -in "$T_DIR/escrow.key" -pubout -out "$T_DIR/escrow.pub" 2>/dev/null
out=$(keys rotate-recovery --tpm "$TPM" --escrow-key "$T_DIR/escrow.pub")
rec2=$(printf '%s\n' "$out" | sed -n 's/.*new recovery key: \([-0-9]*\).*/\1/p')
expect_match "rotation prints a new key; escrow on" "$out" 'escrow: on'
out=$(echo "$rec" | keys recover --tpm "$TPM")
expect_match "the old recovery key stops working" "$out" 'does not open the keys'
expect_match "the new one works" "$(echo "$rec2" | keys recover --tpm "$TPM")" \
    "key id: $id"
out=$("$CLASSBOX" keys escrow-open --key "$T_DIR/escrow.key" "$K/recovery.escrow" 2>&1)
expect_eq "the platform opens the escrowed key with its private key" \
    "$out" "recovery key: $rec2"
expect_match "status says escrow is on" "$(keys status)" 'escrow: on, key'
swtpm_down

# --- no TPM: the key file, said plainly ---
out=$("$CLASSBOX" keys init --dir "$T_DIR/nokeys" --tpm none 2>&1 | tr '\n' ' ')
expect_match "without a TPM: the root key is a file, said plainly" "$out" \
    'protection: file.*hardware-protected: no'
out=$("$CLASSBOX" keys status --dir "$T_DIR/nokeys" 2>&1)
expect_match "status: not hardware-protected" "$out" 'hardware-protected: no'
t_done
