// couchhook.js: what tests/sync/cloudhook.js is inside PouchDB Server, for
// Apache CouchDB 3.4.3 (tests/sync/rig.sh with RIG_PEER=couchdb), which
// cannot load JavaScript into its request path: a small HTTP proxy between
// nginx and CouchDB that appends one JSON line per replication call to
// $CLOUD_LOG, in cloudhook.js's form:
//   {"op":"bulk_docs","db":"school-0001","new_edits":false,"revs":["id rev",...]}
//   {"op":"bulk_get","db":...,"revs":["id rev",...]}      (rev "" = winner)
//   {"op":"get","db":...,"id":...,"open_revs":[...]|"all"}
//   {"op":"revs_diff","db":...,"revs":["id rev",...]}
//   {"op":"changes","db":...,"since":...,"seqs":[seq,...],"rows":["id rev,rev",...]}
//   {"op":"attachment","db":...,"id":...,"rev":...,"encoding":"gzip"|""}
// _local (checkpoint) documents are left out. Request bodies the box sent
// gzipped are read inflated; every byte goes on to CouchDB as it came.
// With CLOUD_CORRUPT_PREFIX, a document whose id starts with it is served
// with the last byte of each inline attachment changed (digest kept), and
// its attachment by itself (GET /db/id/att, as stored: gzip for text) with
// its middle byte changed: a broken disk or proxy on the cloud's side.
// With CLOUD_HUGE_PREFIX, such a document's attachment by itself is
// answered with 48 MiB and one byte of zeros "gzip", past any answer the
// box reads (HTTPCLI_MAX_RESPONSE), whatever its stub declared.
//   node couchhook.js LISTEN_PORT COUCHDB_PORT
'use strict';
const fs = require('fs');
const http = require('http');
const zlib = require('zlib');

const [listenPort, couchPort] = process.argv.slice(2).map(Number);
const logFile = process.env.CLOUD_LOG;
const corruptPrefix = process.env.CLOUD_CORRUPT_PREFIX || '';
const hugePrefix = process.env.CLOUD_HUGE_PREFIX || '';
const HUGE = 48 * 1024 * 1024 + 1;

// A GET of a document's attachment that must be answered too big: true
// when it was (then nothing goes to CouchDB).
function answerHuge(req, res) {
  const { parts } = route(req.url);
  if (!hugePrefix || req.method !== 'GET' || parts.length !== 3 ||
      !(parts[1] || '').startsWith(hugePrefix))
    return false;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip',
    'content-length': HUGE });
  const chunk = Buffer.alloc(1 << 20);
  let left = HUGE;
  // the box hangs up after the head (its limit is the Content-Length)
  res.on('close', () => { left = 0; });
  res.on('error', () => { left = 0; });
  const more = () => {
    while (left > 0 && !res.destroyed) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', more);
        return;
      }
    }
    res.end();
  };
  more();
  return true;
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function record(obj) {
  if (logFile) fs.appendFileSync(logFile, JSON.stringify(obj) + '\n');
}

function isLocal(id) {
  return typeof id === 'string' && id.startsWith('_local/');
}

function json(buf, encoding) {
  try {
    const b = /gzip/i.test(encoding || '') ? zlib.gunzipSync(buf) : buf;
    return JSON.parse(b.toString('utf8'));
  } catch (e) {
    return null;
  }
}

// /db/rest?query -> { db, parts: [...], q: URLSearchParams }
function route(url) {
  const u = new URL(url, 'http://x');
  const parts = u.pathname.split('/').slice(1).map(decodeURIComponent);
  // a document id may hold an encoded '/' (_local/x, _design/x)
  if (parts.length >= 3 && (parts[1] === '_local' || parts[1] === '_design'))
    parts.splice(1, 2, parts[1] + '/' + parts[2]);
  return { db: parts[0], parts, q: u.searchParams };
}

// The request as the box (or a test's curl) sent it: what to log.
function logRequest(req, body) {
  const { db, parts, q } = route(req.url);
  const what = parts[1];
  if (req.method === 'POST' && what === '_bulk_docs') {
    const b = json(body, req.headers['content-encoding']);
    const docs = Array.isArray(b) ? b : (b && b.docs) || [];
    const revs = docs.filter((d) => d && !isLocal(d._id))
      .map((d) => `${d._id} ${d._rev || ''}`);
    if (revs.length > 0)
      record({ op: 'bulk_docs', db,
        new_edits: b && b.new_edits !== undefined ? b.new_edits : true, revs });
  } else if (req.method === 'POST' && what === '_bulk_get') {
    const b = json(body, req.headers['content-encoding']);
    record({ op: 'bulk_get', db,
      revs: ((b && b.docs) || []).map((d) => `${d.id} ${d.rev || ''}`) });
  } else if (req.method === 'POST' && what === '_revs_diff') {
    const b = json(body, req.headers['content-encoding']) || {};
    const revs = [];
    for (const id of Object.keys(b))
      if (!isLocal(id)) for (const r of b[id]) revs.push(`${id} ${r}`);
    record({ op: 'revs_diff', db, revs });
  } else if (req.method === 'GET' && parts.length === 2 && what &&
      !what.startsWith('_') && q.has('open_revs')) {
    let open = q.get('open_revs');
    try { open = open === 'all' ? 'all' : JSON.parse(open); } catch (e) { /* as is */ }
    record({ op: 'get', db, id: what, open_revs: open });
  } else if (req.method === 'GET' && parts.length === 3 && what &&
      !what.startsWith('_')) {
    record({ op: 'attachment', db, id: what, rev: q.get('rev') || '',
      encoding: /gzip/.test(req.headers['accept-encoding'] || '') ? 'gzip' : '' });
  }
}

function flipInline(doc) {
  if (!doc || typeof doc._id !== 'string' || !doc._id.startsWith(corruptPrefix) ||
      !doc._attachments)
    return;
  for (const a of Object.values(doc._attachments)) {
    if (typeof a.data !== 'string' || a.data.length === 0) continue;
    const b = Buffer.from(a.data, 'base64');
    b[b.length - 1] ^= 1;
    a.data = b.toString('base64');
  }
}

// The answer, changed when it carries a document to corrupt; null: as is.
function corruptAnswer(req, body) {
  const { parts } = route(req.url);
  if (!corruptPrefix || req.method === 'PUT' || req.method === 'DELETE')
    return null;
  if (parts[1] === '_bulk_get') {
    const b = json(body);
    if (!b || !Array.isArray(b.results)) return null;
    for (const r of b.results)
      for (const d of r.docs || []) flipInline(d.ok);
    return Buffer.from(JSON.stringify(b));
  }
  if (!parts[1] || !parts[1].startsWith(corruptPrefix)) return null;
  if (parts.length === 3 && body.length > 0) {	// the attachment itself
    const b = Buffer.from(body);
    b[b.length >> 1] ^= 0x20;
    return b;
  }
  const b = json(body);
  if (Array.isArray(b)) b.forEach((x) => flipInline(x && x.ok));
  else flipInline(b);
  return b ? Buffer.from(JSON.stringify(b)) : null;
}

function logChanges(req, body) {
  const { db, parts, q } = route(req.url);
  if (parts[1] !== '_changes' || /continuous|eventsource|longpoll/.test(q.get('feed') || ''))
    return;
  const b = json(body);
  if (!b || !Array.isArray(b.results)) return;
  record({ op: 'changes', db, since: q.has('since') ? q.get('since') : 0,
    seqs: b.results.map((r) => r.seq),
    rows: b.results.map((r) => `${r.id} ${(r.changes || []).map((c) => c.rev).join(',')}`) });
}

// Answers the hook reads or changes are taken whole; the rest stream.
function wantsWhole(req) {
  const { parts } = route(req.url);
  if (parts[1] === '_changes') return true;
  if (!corruptPrefix) return false;
  return parts[1] === '_bulk_get' || (parts[1] || '').startsWith(corruptPrefix);
}

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    logRequest(req, body);
    if (answerHuge(req, res))
      return;
    const headers = { ...req.headers, host: `127.0.0.1:${couchPort}` };
    // The body is here whole: no 100-continue dance with CouchDB (node's
    // parser takes mochiweb's answer to it for a malformed response).
    delete headers.expect;
    const up = http.request({ host: '127.0.0.1', port: couchPort, method: req.method,
      path: req.url, headers, agent }, (ur) => {
      if (!wantsWhole(req)) {
        res.writeHead(ur.statusCode, ur.headers);
        ur.pipe(res);
        return;
      }
      const parts = [];
      ur.on('data', (c) => parts.push(c));
      ur.on('end', () => {
        let out = Buffer.concat(parts);
        if (ur.statusCode === 200) {
          logChanges(req, out);
          out = corruptAnswer(req, out) || out;
        }
        const h = { ...ur.headers, 'content-length': out.length };
        delete h['transfer-encoding'];
        res.writeHead(ur.statusCode, h);
        res.end(out);
      });
    });
    up.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'couchhook', reason: String(e) }));
    });
    up.end(body);
  });
}).listen(listenPort, '127.0.0.1');
