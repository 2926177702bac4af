# tests/classroom_lib.sh: helpers for the classroom scenarios, sourced after
# tests/lib.sh (school_day.sh, authz_matrix.sh).

NEWPW=Tsubame-Nishi-77		# every account's password after the first login
ADMIN_PW=Sakura-2026-spring
CREATED=0

# admin_setup: the admin logs in with the printed password and changes it.
admin_setup() {
	login admin admin "$BOX_PW"
	api admin POST /api/v1/password "{\"old_password\":\"$BOX_PW\",\"new_password\":\"$ADMIN_PW\"}"
	[ "$STATUS" = 204 ] || not_ok "admin password change (got $STATUS)"
}

# new_user ID JSON: the admin creates an account (auth + roster record);
# its initial password goes to $T_DIR/pw.ID.
new_user() {
	api admin POST /api/v1/users "$2"
	if [ "$STATUS" = 201 ]; then
		CREATED=$((CREATED + 1))
		printf '%s' "$BODY" | sed -n 's/.*"initial_password":"\([^"]*\)".*/\1/p' >"$T_DIR/pw.$1"
	else
		not_ok "create $1 (got $STATUS $BODY)"
	fi
}

# activate CLIENT ID: first login and the forced password change.
activate() {
	login "$1" "$2" "$(cat "$T_DIR/pw.$2")"
	api "$1" POST /api/v1/password "{\"old_password\":\"$(cat "$T_DIR/pw.$2")\",\"new_password\":\"$NEWPW\"}"
	[ "$STATUS" = 204 ] || not_ok "first login of $2 (got $STATUS $BODY)"
}

# count_items: the number of items in the list answer in BODY.
count_items() {
	printf '%s' "$BODY" | python3 -c 'import json,sys
try: print(len(json.load(sys.stdin)["items"]))
except Exception: print(-1)'
}

# json_id: the _id of the record answer in BODY.
json_id() {
	printf '%s' "$BODY" | python3 -c 'import json,sys
try: print(json.load(sys.stdin)["_id"])
except Exception: print("")'
}

# export_zip OUT: the admin downloads the whole export (XID: its id);
# confirm_zip FILE: the admin confirms a download by its SHA-256 (the
# termination waits for that: docs/operations.md "Before the end").
export_zip() {
	curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.admin" -D "$T_DIR/xhdr" \
	    -o "$1" "$BOX_URL/api/v1/export" 2>>"$T_DIR/curl.log"
	XID=$(tr -d '\r' <"$T_DIR/xhdr" | sed -n 's/^X-Export-Id: //p')
}
confirm_zip() {
	api admin POST /api/v1/export/confirm "{\"export_id\":${XID:-0},\"sha256\":\"$(sha256sum <"$1" | cut -c1-64)\"}"
}
