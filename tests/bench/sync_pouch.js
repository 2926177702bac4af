// tests/bench/sync_pouch.js: PouchDB (node, npm, pinned in
// tests/sync/package-lock.json) replicating the same data from the same
// server as the box in tests/bench/sync.sh, through the same fault proxy,
// nginx (TLS 1.3, client certificate) and PouchDB Server: an initial pull
// of the school into an in-memory database, then a push of a day's
// changes. PouchDB's own replicator defaults (batch_size 100,
// batches_limit 10). An untimed push after the pull sets the push
// checkpoint (a syncing client has one). Between phases it zeroes and reads the proxy's
// counters (faultproxy ctl). After the pull it prints "ready" and waits
// for a line on stdin (the box pushes meanwhile). Prints one line per phase:
//   pull DOCS SECONDS BYTES
//   push DOCS SECONDS BYTES
// Usage: node sync_pouch.js URL CA CERT KEY USER PASSWORD DAY.ndjson FAULTPROXY SOCK
'use strict';
const fs = require('fs');
const https = require('https');
const path = require('path');
const { execFileSync } = require('child_process');

const mods = path.join(__dirname, '..', 'sync', 'node_modules');
const need = (m) => require(path.join(mods, m));
const PouchDB = need('pouchdb-core')
  .plugin(need('pouchdb-adapter-http'))
  .plugin(need('pouchdb-adapter-memory'))
  .plugin(need('pouchdb-replication'));
const pouchFetch = need('pouchdb-fetch').fetch;

const [url, ca, cert, key, user, password, dayFile, fp, sock, wanDayFile, wanDelayMs] =
  process.argv.slice(2);
const agent = new https.Agent({ keepAlive: true, maxSockets: 8,
  ca: fs.readFileSync(ca), cert: fs.readFileSync(cert), key: fs.readFileSync(key),
  minVersion: 'TLSv1.3' });
const remote = new PouchDB(url, {
  auth: { username: user, password },
  fetch: (u, o) => pouchFetch(u, Object.assign({}, o, { agent })),
});
const local = new PouchDB('bench-local', { adapter: 'memory' });

function proxy(cmd) {
  return execFileSync(fp, ['ctl', sock, cmd]).toString();
}
function bytes() {
  const s = proxy('stats');
  const up = Number(/up=(\d+)/.exec(s)[1]), down = Number(/down=(\d+)/.exec(s)[1]);
  return up + down;
}

async function phase(name, from, to) {
  proxy('zero');
  const t0 = process.hrtime.bigint();
  const r = await PouchDB.replicate(from, to, {});
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 'complete' || r.doc_write_failures)
    throw new Error(`${name}: ${r.status}, ${r.doc_write_failures} failures`);
  console.log(`${name} ${r.docs_written} ${s.toFixed(2)} ${bytes()}`);
}

// The shell's next line on stdin (its go-ahead); stdin's end counts too.
const lines = [];
let waiting = null, ended = false;
process.stdin.on('data', (d) => {
  lines.push(...d.toString().split('\n').filter((l) => l));
  if (waiting && lines.length) { const w = waiting; waiting = null; w(); }
});
process.stdin.on('end', () => { ended = true; if (waiting) waiting(); });
function nextLine() {
  if (lines.length || ended) return Promise.resolve(lines.shift());
  return new Promise((resolve) => { waiting = () => resolve(lines.shift()); });
}

async function pushDay(name, file) {
  const day = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l)
    .map((l) => JSON.parse(l));
  const res = await local.bulkDocs(day);
  if (res.some((x) => x.error)) throw new Error('local bulkDocs failed');
  await phase(name, local, remote);
}

(async () => {
  await phase('pull', remote, local);
  // A first push finds nothing to send but leaves its checkpoint, as a
  // syncing client's would: the timed push then sends only the day.
  await PouchDB.replicate(local, remote, {});
  console.log('ready');
  // sync.sh runs the box's push now; a line on stdin says go on.
  await nextLine();
  await pushDay('push', dayFile);
  if (wanDayFile) {
    // The same over a link with wanDelayMs each way (the proxy's delay
    // mode), once the box has had its turn.
    console.log('pushed');
    await nextLine();
    proxy(`delay ${wanDelayMs}`);
    await pushDay('wanpush', wanDayFile);
    proxy('pass');
  }
})().catch((e) => { console.error(e); process.exit(1); });
