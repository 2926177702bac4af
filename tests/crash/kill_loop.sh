#!/bin/sh
# tests/crash/kill_loop.sh: a write acknowledged to a client survives a
# crash (issue 3, must-show). A teacher's client writes without pause
# (announcements and roll calls of 3 students, one transaction each) and
# records every write answered 2xx; at a random moment the box is killed
# with SIGKILL: the web process alone (the supervisor restarts it), or, in
# box mode, the supervisor, auth and web together (then `classbox run` is
# started again on the same data directory). After each cycle: the web
# serves again (bounded poll), LMDB opened clean, and every write
# acknowledged so far in the cycle reads back with its revision; at the end
# all of them once more. Writes that got no answer are not acknowledged
# and may or may not exist.
#
#   CYCLES=20 (make test) / 1000 (make crash-test)
#   MODE=mixed (default: web kills, every 3rd cycle the whole box; the
#        supervisor doubles its restart delay after each quick crash, and a
#        whole-box restart resets it), web, box
. "$(dirname "$0")/../lib.sh"
CYCLES=${CYCLES:-20}
MODE=${MODE:-mixed}
CHECK=$(dirname "$0")/check_acks.py
ACKS=$T_DIR/acks
: >"$ACKS"
: >"$T_DIR/unanswered"

box_start || t_done
admin_setup
api admin PUT /api/v1/school '{"name":"crash","year":2026,"state":"active","absence_cutoff":"08:00"}'
[ "$STATUS" = 200 ] || not_ok "school set up (got $STATUS $BODY)"
new_user t.kill '{"id":"t.kill","name":"Kill Sensei","role":"teacher"}'
for s in s9001 s9002 s9003; do
	new_user $s "{\"id\":\"$s\",\"name\":\"student $s\",\"role\":\"student\"}"
done
api admin POST /api/v1/classes '{"year":2026,"code":"9-9","name":"crash","kind":"homeroom"}'
C=class:2026:9-9
for m in t.kill:teacher s9001:student s9002:student s9003:student; do
	api admin POST "/api/v1/classes/$C/members" "{\"user_id\":\"${m%%:*}\",\"role\":\"${m##*:}\"}"
	[ "$STATUS" = 201 ] || not_ok "member $m (got $STATUS $BODY)"
done
# relogin: the teacher logs in (again); the writer reads the CSRF token
# from a file, as a login may happen in a subshell.
relogin() {
	login teacher t.kill "$NEWPW"
	eval "printf '%s' \"\$CSRF_teacher\"" >"$T_DIR/csrf"
}
activate teacher t.kill
eval "printf '%s' \"\$CSRF_teacher\"" >"$T_DIR/csrf"
[ "$T_FAILED" -eq 0 ] || t_done

# writer K: writes until $T_DIR/stop exists, starting at number K; even
# numbers announce, odd ones take a roll call on a date and period of
# their own. Acknowledged writes are appended to $ACKS after the answer.
writer() {
	k=$1
	while [ ! -e "$T_DIR/stop" ]; do
		k=$((k + 1))
		read -r csrf <"$T_DIR/csrf"
		if [ $((k % 2)) -eq 0 ]; then
			path=/api/v1/announcements want=201
			data="{\"class_id\":\"$C\",\"title\":\"w$k\",\"body\":\"write $k\"}"
		else
			j=$((k / 2))
			d=$(date -u -d "2027-01-01 +$((j / 13)) days" +%F)
			p=$((j % 13)) want=200
			path=/api/v1/attendance
			data="{\"class_id\":\"$C\",\"date\":\"$d\",\"period\":$p,\"entries\":[{\"student_id\":\"s9001\",\"status\":\"present\"},{\"student_id\":\"s9002\",\"status\":\"absent\"},{\"student_id\":\"s9003\",\"status\":\"late\"}]}"
		fi
		st=$(curl -sS --max-time 20 --cacert "$BOX_CA" -b "$T_DIR/jar.teacher" \
		    -H "Origin: $BOX_URL" -H "X-CSRF-Token: $csrf" \
		    -H 'Content-Type: application/json' --data-binary "$data" \
		    -o "$T_DIR/wbody" -w '%{http_code}' "$BOX_URL$path" \
		    2>/dev/null)
		if [ "$st" = "$want" ] && [ $want = 201 ]; then
			id=$(sed -n 's/.*"_id":"\([^"]*\)".*/\1/p' "$T_DIR/wbody")
			rev=$(sed -n 's/.*"_rev":"\([^"]*\)".*/\1/p' "$T_DIR/wbody")
			echo "ann $id $rev $k" >>"$ACKS"
		elif [ "$st" = "$want" ]; then
			grep -q '"recorded":3' "$T_DIR/wbody" &&
			    echo "att $C $d $p 3 $k" >>"$ACKS"
		elif [ "$st" = 000 ]; then
			echo "$k" >>"$T_DIR/unanswered"
			sleep 0.05	# the web is down: do not spin
		elif [ "$st" = 401 ]; then
			sleep 0.05	# a session lost with the box: log in again
		else
			echo "# write $k answered $st: $(head -c 200 "$T_DIR/wbody")"
		fi
		echo "$k" >"$T_DIR/k"
	done
}

# web_back OLDPID: the supervisor started a new web and it serves.
web_back() {
	for _ in $(seq 1 600); do
		pid=$(box_service_pid web)
		if [ -n "$pid" ] && [ "$pid" != "$1" ]; then
			st=$(curl -s --max-time 5 --cacert "$BOX_CA" -o /dev/null \
			    -w '%{http_code}' "$BOX_URL/api/v1/school" 2>/dev/null)
			case $st in 200|401|403) return 0 ;; esac
		fi
		sleep 0.1
	done
	return 1
}

kill_box() {	# SIGKILL to the supervisor, auth and web at once
	pids="$BOX_PID $(pgrep -P "$BOX_PID" | tr '\n' ' ')"
	# shellcheck disable=SC2086
	kill -9 $pids 2>/dev/null
	wait "$BOX_PID" 2>/dev/null
	for _ in $(seq 1 100); do
		alive=0
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	BOX_PID=
	cp "$BOX_LOG" "$T_DIR/box.log.$cycle"
}

# get PATH: GET as the teacher -> STATUS, $T_DIR/cbody (logs in again
# once if the session went with the box).
get() {
	for _ in 1 2; do
		STATUS=$(curl -s --max-time 20 --cacert "$BOX_CA" \
		    -b "$T_DIR/jar.teacher" -o "$T_DIR/cbody" -w '%{http_code}' \
		    "$BOX_URL$1" 2>/dev/null)
		[ "$STATUS" = 401 ] || return 0
		relogin
	done
}

# check_cycle FIRST: the writes acknowledged from line FIRST of $ACKS read
# back (curl; the final check of all of them is check_acks.py).
check_cycle() {
	tail -n "+$1" "$ACKS" | while read -r kind a b c d _; do
		if [ "$kind" = ann ]; then
			get "/api/v1/announcements/$a"
			grep -q "\"_rev\":\"$b\"" "$T_DIR/cbody" || {
				echo "lost write: announcement $a $b (GET $STATUS)"
				return 1
			}
		else
			get "/api/v1/attendance?class=$a&date=$b&limit=100"
			n=$(grep -o '"period":[0-9]*' "$T_DIR/cbody" | grep -cx "\"period\":$c")
			[ "$STATUS" = 200 ] && [ "$n" = "$d" ] || {
				echo "lost write: roll call $a $b period $c ($n of $d rows, GET $STATUS)"
				return 1
			}
		fi
	done
}

check_all() {
	out=$(python3 "$CHECK" "$BOX_URL" "$BOX_CA" "$T_DIR/jar.teacher" "$ACKS" 1)
	rc=$?
	if [ $rc -eq 2 ]; then
		relogin
		out=$(python3 "$CHECK" "$BOX_URL" "$BOX_CA" "$T_DIR/jar.teacher" "$ACKS" 1)
		rc=$?
	fi
	[ $rc -eq 0 ] || echo "$out"
	return $rc
}

start=$(date +%s)
echo 0 >"$T_DIR/k"
cycle=0 lost= boxkills=0
while [ $cycle -lt "$CYCLES" ]; do
	cycle=$((cycle + 1))
	first=$(($(wc -l <"$ACKS") + 1))
	rm -f "$T_DIR/stop"
	writer "$(cat "$T_DIR/k")" &
	wpid=$!
	sleep "0.$(shuf -i 050-500 -n 1)"
	if [ "$MODE" = box ] || { [ "$MODE" = mixed ] && [ $((cycle % 3)) -eq 0 ]; }; then
		boxkills=$((boxkills + 1))
		[ -n "${KL_TRACE:-}" ] && echo "# $(date +%s.%N) killing box"
		kill_box	# while the writer writes
		touch "$T_DIR/stop"
		wait "$wpid"
		box_start || { lost="the box did not start again after cycle $cycle's kill"; break; }
		# The store, the audit log and the accounts are LMDB: all must
		# open without complaint.
		if grep -Eiq 'damaged|failed to open|cannot open|MDB_|LMDB' "$BOX_LOG"; then
			lost="LMDB did not open clean after cycle $cycle: $(grep -Ei 'damaged|failed|cannot open|MDB_|LMDB' "$BOX_LOG" | head -3)"
			break
		fi
		[ -n "${KL_TRACE:-}" ] && echo "# $(date +%s.%N) box up"
		relogin
		web_back "" || { lost="web did not serve after cycle $cycle's restart"; break; }
	else
		old=$(box_service_pid web)
		kill -9 "$old"; [ -n "${KL_TRACE:-}" ] && echo "# $(date +%s.%N) killed web"
		if ! web_back "$old"; then
			touch "$T_DIR/stop"; wait "$wpid"
			lost="web did not come back within 60 s after cycle $cycle's kill"
			break
		fi
		[ -n "${KL_TRACE:-}" ] && echo "# $(date +%s.%N) web back"
		sleep "0.$(shuf -i 0-3 -n 1)"	# some writes after the restart
		touch "$T_DIR/stop"
		wait "$wpid"
	fi
	[ -n "${KL_TRACE:-}" ] && echo "# $(date +%s.%N) checking"
	if ! out=$(check_cycle "$first"); then
		lost="cycle $cycle: $out"
		break
	fi
done
writes=$(wc -l <"$ACKS")
if [ -z "$lost" ] && ! out=$(check_all); then
	lost="final read-back: $out"
fi
echo "# $MODE: $cycle cycles ($boxkills whole-box kills) in $(($(date +%s) - start)) s; $writes acknowledged, $(wc -l <"$T_DIR/unanswered") unanswered writes"
if [ -n "$lost" ]; then
	not_ok "$lost"
else
	ok "$cycle kill cycles: every acknowledged write survived ($writes writes)"
fi
t_done
