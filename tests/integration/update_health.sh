#!/bin/sh
# updated's health check of a trial boot against a host box (`classbox run`
# on a free port, not 443): with --web-port and --data (what the image's
# run script passes from /etc/classbox.conf) it finds web and auth and
# commits; against a port nobody serves it rolls back (test mode: files
# for slots and ESP, no reboot). Both outcomes are recorded on the data
# side (STATE/last), published in RUN/status, shown by `classbox update
# status` and by GET /api/v1/update.
. "$(dirname "$0")/../lib.sh"
command -v grub-editenv >/dev/null || { not_ok "grub-editenv installed"; t_done; }
keys=${UPDATE_KEYS:-$TOP/build/keys}
[ -r "$keys/root.pub" ] || { not_ok "update keys ($keys: make keys)"; t_done; }
export CLASSBOX_UPDATE_RUN=$T_DIR/run
box_start || t_done
admin_setup
esp=$T_DIR/esp st=$T_DIR/state
# a box whose boot state says: slot B on trial (tries 2), booted B
trial_box() {
	rm -rf "$esp" "$st" "$CLASSBOX_UPDATE_RUN"
	mkdir -p "$esp/EFI/classbox" "$st"
	grub-editenv "$esp/EFI/classbox/env1" set seq=1 slot=A tries= end=1
	grub-editenv "$esp/EFI/classbox/env2" set seq=2 slot=B tries=2 end=2
	printf 'phase 3\nslot B\nversion 9.9-trial\nepoch 5\nkey-floor 0\nbundle /x\n' >"$st/journal"
	: >"$T_DIR/slot-a"; : >"$T_DIR/slot-b"
}
upd() {	# upd ARGS...: classbox update/updated on the files above
	_c=$1; shift
	"$CLASSBOX" "$_c" --esp "$esp" --slot-a "$T_DIR/slot-a" \
	    --slot-b "$T_DIR/slot-b" --state "$st" --booted B \
	    --board qemu-x86_64 --root-pub "$keys/root.pub" "$@"
}
# check_trial TIMEOUT [updated args]: a fresh trial box, one pass of
# updated's health check on the box's data, then `update status`
check_trial() {
	_t=$1; shift
	trial_box
	upd updated "$@" --data "$BOX_DATA" --health-timeout "$_t" \
	    --once >"$T_DIR/updated.out" 2>&1
	upd update status >"$T_DIR/status.out" 2>&1
}

check_trial 30 --web-port "$BOX_PORT"
expect_match "web on its configured port and auth answer: slot B committed" \
    "$(cat "$T_DIR/status.out")" 'boot state: *slot B committed'
expect_match "the epoch rose at the commit" "$(cat "$T_DIR/status.out")" 'epoch: *5'
expect_match "update status shows the outcome" "$(cat "$T_DIR/status.out")" \
    'last: *committed: update 9.9-trial in slot B committed'
expect_match "recorded on the data side (STATE/last)" "$(cat "$st/last")" 'outcome committed'
api admin GET /api/v1/update
expect_eq "GET /api/v1/update" "$STATUS" 200
expect_match "the API shows booted B, committed, epoch 5" "$BODY" \
    '"booted":"B".*"state":"committed".*"epoch":5'
expect_match "and the last outcome" "$BODY" \
    '"last":\{"outcome":"committed","reason":null,"version":"9.9-trial","slot":"B"'

nobody=$(free_port)
check_trial 3 --web-port "$nobody"
expect_match "no web on that port: rolled back to slot A" \
    "$(cat "$T_DIR/status.out")" 'boot state: *slot A committed'
expect_match "the epoch did not rise" "$(cat "$T_DIR/status.out")" 'epoch: *0'
expect_match "the outcome names the port it asked" "$(tr "\n" " " <"$st/last")" \
    "outcome rolled-back.*reason health.*nothing listens on 127.0.0.1 port $nobody"
api admin GET /api/v1/update
expect_match "the API shows the rollback and why" "$BODY" \
    '"last":\{"outcome":"rolled-back","reason":"health"'

# ---- web on one address only (CLASSBOX_BIND=::1): the image's run script
# passes it as --web-bind, and the check asks web there ----
box_stop
box_start --bind ::1 || t_done
check_trial 3 --web-port "$BOX_PORT"
expect_match "web on ::1 alone is not found on the loopback's IPv4 (rolled back)" \
    "$(tr "\n" " " <"$st/last")" "outcome rolled-back.*nothing listens on 127.0.0.1 port $BOX_PORT"
check_trial 30 --web-port "$BOX_PORT" --web-bind ::1
expect_match "with --web-bind ::1 it finds web there: slot B committed" \
    "$(cat "$T_DIR/status.out")" 'boot state: *slot B committed'
expect_match "the log names the address it asked" "$(cat "$T_DIR/updated.out")" \
    'health check of web at ::1 port'
check_trial 30 --web-port "$BOX_PORT" --web-bind '[::1]'
expect_match "[::1] is taken as ::1" "$(cat "$st/last")" 'outcome committed'
expect_match "the image's updated run script passes CLASSBOX_BIND" \
    "$(cat "$TOP/rootfs/etc/sv/updated/run")" '--web-bind "\$\{CLASSBOX_BIND:-::\}"'
t_done
