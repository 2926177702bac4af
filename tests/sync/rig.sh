# tests/sync/rig.sh: the cloud for the sync tests, sourced by each
# tests/sync/*.sh after tests/lib.sh (docs/sync-tests.md). A file of its
# own, not part of tests/lib.sh: it starts and drives a whole other system
# (PouchDB Server from npm or CouchDB, nginx, the fault proxy, a test PKI)
# that only the tests of the cloud link need; the reporting, waiting, ports and the
# box's own helpers it uses are tests/lib.sh's.
#
#   box --TLS--> faultproxy --> nginx (TLS 1.3, client certs) --> PouchDB Server
#   127.0.0.1:FP_PORT           127.0.0.1:NGX_PORT                127.0.0.1:PEER_PORT (HTTP)
#
# or, with RIG_PEER=couchdb (a test sets it before sourcing this file; the
# environment overrides), Apache CouchDB 3.4.3 behind couchhook.js:
#
#   ... nginx --> couchhook.js (HTTP proxy) --> CouchDB 3.4.3, single node
#                 127.0.0.1:PEER_PORT           127.0.0.1:COUCH_PORT
#
# built once per machine from ../shared/couchdb (rig_couch_build), the box
# a _users member named in each database's _security, the school database
# made with ?q=$RIG_COUCH_Q (16) on a node with a 243-character name (the
# longest CouchDB takes), so that its update sequences are over 400 bytes.
#
# rig_start sets up everything in $RIG (= $T_DIR/rig): a test CA and
# certificates made with openssl now, PouchDB Server (npm, pinned by
# tests/sync/package-lock.json, in memory) with tests/sync/cloudhook.js
# recording what replication sends, nginx (Debian) in the foreground with
# its own prefix, the fault proxy (tests/sync/faultproxy.c), the box's store
# tool (storetool.c), both built by `make test-tools`, and the enrollment
# files:
#   $ENROLL            the good one (cloud https://localhost:FP_PORT)
#   $ENROLL_WRONG_CA   ca_pem is another CA (the server's chain fails)
#   $ENROLL_ROGUE      client certificate signed by another CA
# (RIG_CLOUD_HOST: another host name for the cloud URL, e.g. 10.0.2.2 for a
# box under QEMU, with RIG_SERVER_SAN the server certificate's SAN to match)
# and, switched with rig_server good|expired|wrongname (the proxy's target):
#   expired            the server certificate expired (test CA, right name)
#   wrongname          valid, test CA, but for DNS:wrong.example only
# Helpers: fp CMD (fault proxy control), cloud METHOD PATH [JSON],
# cloud_dump DB, box_dump DATA, cloud_count DB, nginx_requests, cloud_log.
# The box: rig_box_start (lib.sh's box_start), box_enroll FILE, sync_once,
# box_status_get KEY. Everything stops on exit (rig_exit). For a box under
# QEMU (tests/system/sync.sh, https_date.sh): rig_start_for_guest,
# guest_sync_field KEY, guest_wait_sync STATE.

RIG_HERE=$TOP/tests/sync
RIG=$T_DIR/rig
SCHOOL_DB=school-0001
AUDIT_DB=audit-0001
RIG_USER=box-0001
RIG_PASSWORD=rig-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
RIG_PIDS=
RIG_PEER=${RIG_PEER:-pouchdb}
case $RIG_PEER in pouchdb|couchdb) ;; *)
	echo "not ok - sync rig: RIG_PEER is pouchdb or couchdb, not '$RIG_PEER'"
	exit 1 ;;
esac

rig_fail() { not_ok "sync rig: $*"; t_done; }

# node_modules from the committed lock; no install scripts (leveldown's
# and sqlite3's would fetch binaries; the server runs in memory). Under a
# lock: two tests of tests/run-all's lanes may start at once on a fresh
# clone, and two npm ci in one directory break each other.
rig_npm() {
	(
		flock 9
		if [ ! -f "$RIG_HERE/node_modules/pouchdb-server/package.json" ] ||
		   [ "$RIG_HERE/package-lock.json" -nt \
		     "$RIG_HERE/node_modules/.package-lock.json" ]; then
			cd "$RIG_HERE" && npm ci --no-audit --no-fund \
			    --ignore-scripts --loglevel=error
		fi
	) 9>"$TOP/build/.sync-npm.lock" >"$RIG/npm.log" 2>&1 ||
	    rig_fail "npm ci in tests/sync (see $RIG/npm.log)"
}

# The fault proxy and the store tool: built by `make test-tools`.
rig_build() {
	t_need_tools faultproxy storetool || rig_fail "test tools built"
}

# rig_cert NAME CA SUBJECT SAN [ext]: key and certificate NAME signed by CA
rig_cert() {
	c=$RIG/pki
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$c/$1.key" -subj "/CN=$3" -out "$c/$1.csr" 2>/dev/null &&
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=%s\n' \
	    "$4" "${5:-serverAuth}" >"$c/$1.ext" &&
	openssl x509 -req -in "$c/$1.csr" -CA "$c/$2.crt" -CAkey "$c/$2.key" \
	    -CAcreateserial -days 30 -extfile "$c/$1.ext" -out "$c/$1.crt" \
	    2>/dev/null
}

rig_ca() {
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$RIG/pki/$1.key" -out "$RIG/pki/$1.crt" -days 30 \
	    -subj "/CN=$2" -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# An expired certificate: openssl x509 cannot backdate, openssl ca can.
rig_expired_cert() {
	c=$RIG/pki
	mkdir -p "$c/ca-db"
	: >"$c/ca-db/index.txt"
	echo 1000 >"$c/ca-db/serial"
	cat >"$c/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
database = $c/ca-db/index.txt
serial = $c/ca-db/serial
new_certs_dir = $c/ca-db
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
[ext]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
EOF
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$c/expired.key" -subj /CN=localhost -out "$c/expired.csr" \
	    2>/dev/null &&
	openssl ca -batch -config "$c/ca.cnf" -cert "$c/ca.crt" \
	    -keyfile "$c/ca.key" -startdate 20200101000000Z \
	    -enddate 20210101000000Z -extensions ext -in "$c/expired.csr" \
	    -out "$c/expired.crt" >/dev/null 2>&1
}

rig_pki() {
	mkdir -p "$RIG/pki"
	rig_ca ca "classbox sync test CA" &&
	rig_ca other "some other CA" &&
	rig_cert server ca localhost "${RIG_SERVER_SAN:-DNS:localhost,IP:127.0.0.1}" &&
	rig_cert wrongname ca wrong.example "DNS:wrong.example" &&
	rig_cert client ca "$RIG_USER" "DNS:$RIG_USER" clientAuth &&
	rig_cert rogue other "$RIG_USER" "DNS:$RIG_USER" clientAuth &&
	rig_expired_cert || rig_fail "test certificates (openssl)"
}

rig_pouchdb() {
	PDB_PORT=$(free_port)
	PEER_PORT=$PDB_PORT
	CLOUD=http://127.0.0.1:$PDB_PORT
	CLOUD_LOG=$RIG/cloud.log
	mkdir -p "$RIG/pouchdb"
	: >"$CLOUD_LOG"
	(cd "$RIG/pouchdb" && CLOUD_LOG=$CLOUD_LOG exec node \
	    --max-old-space-size=${RIG_NODE_MB:-1024} \
	    -r "$RIG_HERE/cloudhook.js" \
	    "$RIG_HERE/node_modules/pouchdb-server/bin/pouchdb-server" \
	    --in-memory -o 127.0.0.1 -p "$PDB_PORT" -n \
	    -c "$RIG/pouchdb/config.json") >"$RIG/pouchdb.out" 2>&1 &
	RIG_PIDS="$RIG_PIDS $!"
}

rig_pouchdb_ready() {	# node takes seconds to start: the PKI is made meanwhile
	for _ in $(seq 1 300); do
		curl -sf "$CLOUD/" >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -sf "$CLOUD/" >/dev/null ||
	    rig_fail "PouchDB Server started (see $RIG/pouchdb.out)"
	for db in "$SCHOOL_DB" "$AUDIT_DB"; do
		curl -sf -X PUT "$CLOUD/$db" >/dev/null ||
		    rig_fail "PouchDB database $db created"
	done
	# The box's replication user, as CouchDB keeps users.
	curl -sf -X PUT -H 'Content-Type: application/json' \
	    -d "{\"name\":\"$RIG_USER\",\"password\":\"$RIG_PASSWORD\",\"roles\":[],\"type\":\"user\"}" \
	    "$CLOUD/_users/org.couchdb.user:$RIG_USER" >/dev/null ||
	    rig_fail "PouchDB user $RIG_USER created"
}

# ---- Apache CouchDB 3.4.3 (RIG_PEER=couchdb) ---------------------------
COUCH_VERSION=3.4.3
RIG_COUCH_Q=${RIG_COUCH_Q:-16}
# The longest node name CouchDB takes: 243 characters (an Erlang atom is
# at most 255, and rexi names one "rexi_server_" + the node; one more and
# CouchDB does not start), here couchdb@ and a 235-character DNS name with
# labels under 64. It is packed into every update sequence.
RIG_COUCH_HOST=classbox-sync-test-node-with-a-deliberately-long-host-name-0001.replica-set-of-the-school-district-platform-for-a-whole-region.couchdb-cluster-of-sixty-four-nodes-sharded-sixty-four-ways-ok.ap-northeast-1a-zone-c-r042.svc.cluster.local

# The sources and their offline build script: $CLASSBOX_COUCHDB_SRC, else
# ../shared/couchdb beside the repository, else /work/shared/couchdb.
rig_couch_src() {
	for d in "${CLASSBOX_COUCHDB_SRC:-}" "$TOP/../shared/couchdb" \
	    /work/shared/couchdb; do
		[ -n "$d" ] && [ -f "$d/build.sh" ] && [ -f "$d/SHA256SUMS" ] &&
		    { (cd "$d" && pwd); return 0; }
	done
	return 1
}

# The release, built once per machine into the download cache (3 to 4
# minutes on 2 cores; later runs find it). Two tests starting at once on
# a fresh machine wait for one build (flock).
rig_couch_build() {
	src=$(rig_couch_src) || rig_fail "CouchDB $COUCH_VERSION's sources (build.sh, SHA256SUMS): not in \$CLASSBOX_COUCHDB_SRC, $TOP/../shared/couchdb or /work/shared/couchdb"
	out=${CLASSBOX_CACHE:-$HOME/.cache/classbox}/couchdb-$COUCH_VERSION
	mkdir -p "$(dirname "$out")"
	[ -x "$out/rel/couchdb/bin/couchdb" ] ||
	    echo "# building CouchDB $COUCH_VERSION from $src into $out (once per machine, 3 to 4 minutes)"
	COUCH_REL=$(flock "$out.lock" bash "$src/build.sh" "$out" \
	    2>"$RIG/couchdb-build.err") && [ -x "$COUCH_REL/bin/couchdb" ] ||
	    rig_fail "CouchDB $COUCH_VERSION built by $src/build.sh (see $RIG/couchdb-build.err, $out/build.log)"
}

rig_couchdb() {
	rig_couch_build
	COUCH_PORT=$(free_port)
	EPMD_PORT=$(free_port)
	PEER_PORT=$(free_port)
	c=$RIG/couchdb
	mkdir -p "$c/data"
	COUCH_ADMIN_PW=adm-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	# its own epmd on its own port: never another test's (or engineer's)
	cat >"$c/vm.args" <<EOF
-name couchdb@$RIG_COUCH_HOST
-setcookie $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
-kernel inet_dist_use_interface {127,0,0,1}
-kernel error_logger silent
-sasl sasl_error_logger false
-kernel prevent_overlapping_partitions false
+Bd -noinput
+sbwt none +sbwtdcpu none +sbwtdio none
-os_mon start_cpu_sup false
-os_mon start_memsup false
-os_mon disk_space_check_interval 5
-os_mon disk_almost_full_threshold 1.0
EOF
	cat >"$c/local.ini" <<EOF
[couchdb]
single_node = true
database_dir = $c/data
view_index_dir = $c/data
max_document_size = ${RIG_COUCH_MAX_DOC:-8000000}
[cluster]
n = 1
[chttpd]
port = $COUCH_PORT
bind_address = 127.0.0.1
[admins]
admin = $COUCH_ADMIN_PW
[log]
writer = file
file = $c/couch.log
level = warning
EOF
	"$COUCH_REL"/erts-*/bin/epmd -port "$EPMD_PORT" -address 127.0.0.1 \
	    >"$c/epmd.out" 2>&1 &
	RIG_PIDS="$RIG_PIDS $!"
	(cd "$c" && ERL_EPMD_PORT=$EPMD_PORT COUCHDB_ARGS_FILE=$c/vm.args \
	    COUCHDB_INI_FILES="$COUCH_REL/etc/default.ini $c/local.ini" \
	    exec "$COUCH_REL/bin/couchdb" -start_epmd false) \
	    >"$c/couchdb.out" 2>&1 &
	RIG_PIDS="$RIG_PIDS $!"
	CLOUD_LOG=$RIG/cloud.log
	: >"$CLOUD_LOG"
	CLOUD_LOG=$CLOUD_LOG node "$RIG_HERE/couchhook.js" "$PEER_PORT" \
	    "$COUCH_PORT" >"$RIG/couchhook.out" 2>&1 &
	RIG_PIDS="$RIG_PIDS $!"
	COUCH=http://admin:$COUCH_ADMIN_PW@127.0.0.1:$COUCH_PORT
	CLOUD=http://admin:$COUCH_ADMIN_PW@127.0.0.1:$PEER_PORT
}

# couch_put WHAT PATH [JSON]: an admin's PUT that must succeed (201/202/200)
couch_put() {
	code=$(curl -sS -o "$RIG/couch.body" -w '%{http_code}' -X PUT \
	    ${3:+-H 'Content-Type: application/json' --data-binary "$3"} \
	    "$CLOUD$2" 2>>"$RIG/curl.log")
	case $code in 20[012]) ;; *) rig_fail "CouchDB: $1 (HTTP $code: $(head -c 200 "$RIG/couch.body"))" ;; esac
}

rig_couchdb_ready() {
	for _ in $(seq 1 600); do
		curl -sf "$COUCH/_up" >/dev/null 2>&1 &&
		    curl -sf "$COUCH/_users" >/dev/null 2>&1 &&
		    curl -sf "$CLOUD/" >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -sf "$CLOUD/_users" >/dev/null ||
	    rig_fail "CouchDB $COUCH_VERSION started (see $RIG/couchdb/couch.log, couchdb.out)"
	couch_put "database $SCHOOL_DB created with q=$RIG_COUCH_Q" \
	    "/$SCHOOL_DB?q=$RIG_COUCH_Q"
	couch_put "database $AUDIT_DB created" "/$AUDIT_DB?q=2"
	# The box's replication user, and each database open to it alone
	# (a new CouchDB 3 database is its admins' only).
	couch_put "user $RIG_USER created" "/_users/org.couchdb.user:$RIG_USER" \
	    "{\"name\":\"$RIG_USER\",\"password\":\"$RIG_PASSWORD\",\"roles\":[],\"type\":\"user\"}"
	for db in "$SCHOOL_DB" "$AUDIT_DB"; do
		couch_put "_security of $db names $RIG_USER" "/$db/_security" \
		    "{\"admins\":{\"names\":[],\"roles\":[]},\"members\":{\"names\":[\"$RIG_USER\"],\"roles\":[]}}"
	done
}

rig_nginx() {
	NGX_PORT=$(free_port)
	NGX_EXPIRED_PORT=$(free_port)
	NGX_WRONGNAME_PORT=$(free_port)
	NGX_NOBULKGET_PORT=$(free_port)
	NGX_NOGZIP_PORT=$(free_port)
	n=$RIG/nginx
	mkdir -p "$n/logs" "$n/tmp"
	chmod 0777 "$n/tmp"	# the worker may run as nobody
	{
	cat <<EOF
worker_processes 1;
pid $n/nginx.pid;
error_log $n/logs/error.log info;
events { worker_connections 256; }
http {
  log_format rig '\$server_port \$ssl_protocol \$status \$request_length \$bytes_sent \$request_time "\$request" \$ssl_client_verify \$http_content_encoding \$sent_http_content_encoding';
  access_log $n/logs/access.log rig;
  client_body_temp_path $n/tmp/body;
  proxy_temp_path $n/tmp/proxy;
  fastcgi_temp_path $n/tmp/fcgi;
  uwsgi_temp_path $n/tmp/uwsgi;
  scgi_temp_path $n/tmp/scgi;
  client_max_body_size 1g;
  client_body_buffer_size 1m;
  ssl_protocols TLSv1.3;
  ssl_client_certificate $RIG/pki/ca.crt;
  ssl_verify_client on;
  ssl_verify_depth 2;
  # As a CouchDB deployment behind nginx does: CouchDB itself never
  # gzips JSON, so the proxy does for clients that ask (PouchDB Server
  # already gzips, and nginx leaves encoded answers alone).
  gzip on;
  gzip_proxied any;
  gzip_types application/json text/plain;
  gzip_min_length 1024;
EOF
	# nobulkget: a peer without _bulk_get (404), as CouchDB 1.x: the
	# box falls back to GET ?open_revs
	for v in "$NGX_PORT server" "$NGX_EXPIRED_PORT expired" \
	    "$NGX_WRONGNAME_PORT wrongname" "$NGX_NOBULKGET_PORT server" \
	    "$NGX_NOGZIP_PORT server nogzip"; do
		set -- $v
		nobulk=
		[ "$1" = "$NGX_NOBULKGET_PORT" ] &&
		    nobulk='location ~ /_bulk_get$ { return 404; }'
		cat <<EOF
  server {
    listen 127.0.0.1:$1 ssl;
    server_name localhost;
    ssl_certificate $RIG/pki/$2.crt;
    ssl_certificate_key $RIG/pki/$2.key;
    $nobulk
    location / {
EOF
		# nogzip: a cloud that refuses compressed request bodies as
		# CouchDB refuses a coding it does not know (415 bad_ctype)
		if [ "${3:-}" = nogzip ]; then cat <<EOF
      if (\$http_content_encoding) {
        return 415 '{"error":"bad_content_type","reason":"not a supported content encoding."}';
      }
EOF
		fi
		cat <<EOF
      proxy_pass http://127.0.0.1:$PEER_PORT;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 300s;
    }
  }
EOF
	done
	echo '}'
	} >"$n/nginx.conf"
	nginx -p "$n" -e "$n/logs/error.log" -c "$n/nginx.conf" \
	    -g 'daemon off;' >"$n/out" 2>&1 &
	RIG_PIDS="$RIG_PIDS $!"
	wait_port "$NGX_PORT" || rig_fail "nginx started (see $n/logs/error.log)"
}

rig_proxy() {
	FP_PORT=$(free_port)
	FP_SOCK=$RIG/fp.sock
	"$T_TOOLS/faultproxy" serve "$FP_PORT" "$NGX_PORT" "$FP_SOCK" \
	    >"$RIG/faultproxy.out" 2>&1 &
	RIG_PIDS="$RIG_PIDS $!"
	wait_port "$FP_PORT" || rig_fail "fault proxy started"
}

# rig_enroll FILE CA_FILE CLIENT_NAME: an enrollment file (contract v1)
rig_enroll() {
	jq -n --arg cloud "https://${RIG_CLOUD_HOST:-localhost}:$FP_PORT" \
	    --arg school "$SCHOOL_DB" --arg audit "$AUDIT_DB" \
	    --rawfile ca "$2" --rawfile cert "$RIG/pki/$3.crt" \
	    --rawfile key "$RIG/pki/$3.key" --arg user "$RIG_USER" \
	    --arg pw "$RIG_PASSWORD" \
	    '{version: 1, cloud: $cloud, school_db: $school, audit_db: $audit,
	      ca_pem: $ca, client_cert_pem: $cert, client_key_pem: $key,
	      username: $user, password: $pw}' >"$1" ||
	    rig_fail "enrollment file $1 (jq)"
	chmod 0600 "$1"
}

rig_start() {
	mkdir -p "$RIG"
	# from the first process on: a rig that fails half-way stops it too
	trap rig_exit EXIT
	trap 'exit 130' INT TERM
	for c in node npm nginx openssl jq curl ss flock; do
		command -v "$c" >/dev/null 2>&1 ||
		    rig_fail "$c is installed (tools/install-packages)"
	done
	rig_npm
	rig_build
	if [ "$RIG_PEER" = couchdb ]; then
		rig_couchdb
		rig_pki
		rig_couchdb_ready
	else
		rig_pouchdb
		rig_pki
		rig_pouchdb_ready
	fi
	rig_nginx
	rig_proxy
	ENROLL=$RIG/enroll.json
	ENROLL_WRONG_CA=$RIG/enroll-wrong-ca.json
	ENROLL_ROGUE=$RIG/enroll-rogue-client.json
	rig_enroll "$ENROLL" "$RIG/pki/ca.crt" client
	rig_enroll "$ENROLL_WRONG_CA" "$RIG/pki/other.crt" client
	rig_enroll "$ENROLL_ROGUE" "$RIG/pki/ca.crt" rogue
	trap rig_exit EXIT
	trap 'exit 130' INT TERM
}

rig_stop() {
	for p in $RIG_PIDS; do kill "$p" 2>/dev/null; done
	for p in $RIG_PIDS; do wait "$p" 2>/dev/null; done
	RIG_PIDS=
}

rig_exit() {
	box_stop
	rig_stop
}

# rig_box_start [run args]: lib.sh's box_start, keeping the rig's EXIT trap
rig_box_start() {
	box_start --no-sync "$@"
	rc=$?
	trap rig_exit EXIT
	return $rc
}

# rig_box_start_daemon [run args]: the same, with `classbox run`'s own
# sync daemon (the tests of the daemon and of the enrollment upload; the
# others run `sync --once` themselves and a daemon would race them)
rig_box_start_daemon() {
	box_start "$@"
	rc=$?
	trap rig_exit EXIT
	return $rc
}

# box_enroll FILE: classbox enroll into the box's data directory
box_enroll() {
	"$CLASSBOX" enroll "$1" --data "$BOX_DATA" >"$RIG/enroll.out" 2>&1
}

# sync_once [args]: one cycle, `classbox sync --once`; its exit status.
# Output in $RIG/sync.out, $RIG/sync.err. The test machine's clock may
# not be NTP-synchronised, hence --allow-unsynced-clock.
sync_once() {
	timeout "${SYNC_TIMEOUT:-120}" "$CLASSBOX" sync --data "$BOX_DATA" \
	    --once --allow-unsynced-clock "$@" >"$RIG/sync.out" 2>"$RIG/sync.err"
	_rc=$?
	# every run's stderr, for the failure a later run would overwrite
	{ echo "== sync --once $* -> $_rc"; cat "$RIG/sync.err"; } >>"$RIG/sync.all"
	return $_rc
}

# state_is STATE: `classbox status` says sync.state=STATE
state_is() { [ "$(box_status_get sync.state)" = "$1" ]; }
# in_cloud ID: the cloud holds document ID
in_cloud() { curl -sf "$CLOUD/$SCHOOL_DB/$1" >/dev/null; }

# box_status_get KEY: one line of `classbox status` (sync.state, ...)
box_status_get() {
	"$CLASSBOX" status --data "$BOX_DATA" 2>/dev/null | sed -n "s/^$1=//p"
}

# rig_server good|expired|wrongname|nobulkget|nogzip: which nginx server new
# connections through the proxy reach (nogzip: the good certificate, but
# request bodies with a Content-Encoding get 415)
rig_server() {
	case $1 in
	good) p=$NGX_PORT ;;
	expired) p=$NGX_EXPIRED_PORT ;;
	wrongname) p=$NGX_WRONGNAME_PORT ;;
	nobulkget) p=$NGX_NOBULKGET_PORT ;;
	nogzip) p=$NGX_NOGZIP_PORT ;;
	esac
	fp target "$p" >/dev/null
}

fp() { "$T_TOOLS/faultproxy" ctl "$FP_SOCK" "$@"; }

# fp_stat FIELD: one counter of the proxy (conns, open, up, down)
fp_stat() { fp stats | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# cloud METHOD PATH [JSON]: straight to PouchDB Server (or to CouchDB, as
# its admin, through couchhook.js); sets STATUS BODY
cloud() {
	set -- -sS -X "$1" -o "$RIG/cloud.body" -w '%{http_code}' \
	    "$CLOUD$2" ${3:+-H 'Content-Type: application/json' --data-binary "$3"}
	STATUS=$(curl "$@" 2>>"$RIG/curl.log")
	BODY=$(cat "$RIG/cloud.body")
}

# cloud_count DB: documents (not deleted) in DB
cloud_count() { curl -sS "$CLOUD/$1" | jq -r .doc_count; }

# cloud_dump DB: "<id> <winner> <deleted 0|1> <conflicts|->" sorted by id,
# as storetool dump prints the box's (design docs and _local left out)
cloud_dump() {
	curl -sS "$CLOUD/$1/_changes?style=all_docs" |
	    jq -r '.results[] | select(.id | startswith("_") | not) | .id' |
	    sort >"$RIG/ids.$$"
	# one _all_docs?keys= call gives winners and deleted flags
	jq -R . "$RIG/ids.$$" | jq -s '{keys: .}' >"$RIG/keys.$$"
	curl -sS -H 'Content-Type: application/json' \
	    --data-binary @"$RIG/keys.$$" \
	    "$CLOUD/$1/_all_docs?include_docs=true&conflicts=true" |
	    jq -r '.rows[] | "\(.id) \(.value.rev) \(if .value.deleted then 1 else 0 end) \((.doc._conflicts // []) | sort | if length == 0 then "-" else join(",") end)"' |
	    LC_ALL=C sort
	rm -f "$RIG/ids.$$" "$RIG/keys.$$"
}

# box_dump DATA_DIR: the box's documents in cloud_dump's form
box_dump() { "$T_TOOLS/storetool" dump "$1" | LC_ALL=C sort; }

# nginx_requests: the access log so far, one line per HTTP request:
#   PORT TLS_VERSION STATUS REQUEST_BYTES RESPONSE_BYTES SECONDS "REQUEST" CLIENT_VERIFY
#   REQUEST_CONTENT_ENCODING RESPONSE_CONTENT_ENCODING   ("-" when none)
nginx_requests() { cat "$RIG/nginx/logs/access.log" 2>/dev/null; }

# cloud_log: the replication calls the cloud received (cloudhook.js in
# PouchDB Server, couchhook.js in front of CouchDB)
cloud_log() { cat "$CLOUD_LOG"; }

# ---- the box under QEMU (tests/system/sync.sh, https_date.sh) ----
# rig_start_for_guest: before sourcing tests/system/qemu-lib, the rig for a
# box booted under QEMU, which reaches the host's loopback as 10.0.2.2: the
# cloud's URL and the server certificate's SAN on 10.0.2.2, QEMU's network
# not restricted, and the enrollment on a raw disk for the guest
# (QEMU_DRIVES; ENROLL_SIZE its bytes, the file padded to whole sectors).
# work (qemu-lib's scratch) is $T_DIR/qemu. Builds the image if missing.
rig_start_for_guest() {
	work=$T_DIR/qemu
	IMAGE_DIR=${IMAGE_DIR:-$TOP/build/image/qemu-x86_64}
	if [ ! -f "$IMAGE_DIR/disk.img" ]; then
		make -C "$TOP" image >"$T_DIR/image.log" 2>&1 ||
			{ not_ok "make image (see $T_DIR/image.log)"; exit 1; }
	fi
	QEMU_RESTRICT=
	RIG_CLOUD_HOST=10.0.2.2
	RIG_SERVER_SAN=DNS:localhost,IP:127.0.0.1,IP:10.0.2.2
	rig_start
	mkdir -p "$work.disk"
	ENROLL_SIZE=$(stat -c %s "$ENROLL")
	cp "$ENROLL" "$work.disk/enroll.img"
	truncate -s %512 "$work.disk/enroll.img"
	QEMU_DRIVES="-drive file=$work.disk/enroll.img,if=virtio,format=raw,readonly=on"
}

# guest_sync_field KEY: a field of the guest's /api/v1/status/sync, as
# qemu-lib's client adm (logged in as the admin)
guest_sync_field() {
	api adm GET /api/v1/status/sync
	printf '%s' "$BODY" | jq -r ".$1"
}
guest_sync_is() { [ "$(guest_sync_field state)" = "$1" ]; }
# guest_wait_sync STATE: until the guest says STATE (SYNC_WAIT, 60 s)
guest_wait_sync() { wait_every 1 "${SYNC_WAIT:-60}" guest_sync_is "$1"; }
