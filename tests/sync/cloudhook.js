// cloudhook.js: preloaded into PouchDB Server by tests/sync/rig.sh
// (node -r cloudhook.js .../pouchdb-server). Records, one JSON line per
// call, which document revisions the replication peer sends and fetches,
// so that the tests can count what a resumed sync sends again:
//   {"op":"bulk_docs","db":"school-0001","new_edits":false,"revs":["id rev",...]}
//   {"op":"bulk_get","db":...,"revs":["id rev",...]}      (rev "" = winner)
//   {"op":"get","db":...,"id":...,"open_revs":[...]|"all"}
//   {"op":"revs_diff","db":...,"revs":["id rev",...]}
//   {"op":"changes","db":...,"since":...,"seqs":[seq,...],"rows":["id rev,rev",...]}
//      (the answered rows: their seqs, and each row as the document and its
//      leaves, which names a row whatever the seq: tests/sync/couchhook.js
//      writes the same for CouchDB, whose seqs are opaque)
// _local (checkpoint) documents are left out. The log file is CLOUD_LOG;
// nothing is recorded without it.
'use strict';
const fs = require('fs');
const { AsyncLocalStorage } = require('async_hooks');
const path = require('path');

const logFile = process.env.CLOUD_LOG;
const serverDir = path.dirname(require.resolve('pouchdb-server/package.json'));
const PouchDB = require(require.resolve('pouchdb-core', { paths: [serverDir] }));

// PouchDB's bulkGet calls get() per document: those are not the peer's.
const inBulkGet = new AsyncLocalStorage();

function record(obj) {
  if (logFile) fs.appendFileSync(logFile, JSON.stringify(obj) + '\n');
}

function isLocal(id) {
  return typeof id === 'string' && id.startsWith('_local/');
}

const proto = PouchDB.prototype;

const bulkDocs = proto.bulkDocs;
proto.bulkDocs = function (req, opts, cb) {
  const docs = Array.isArray(req) ? req : (req && req.docs) || [];
  const o = typeof opts === 'object' && opts ? opts : {};
  const newEdits = o.new_edits !== undefined ? o.new_edits :
    (req && req.new_edits !== undefined ? req.new_edits : true);
  const revs = docs.filter((d) => d && !isLocal(d._id))
    .map((d) => `${d._id} ${d._rev || ''}`);
  if (revs.length > 0)
    record({ op: 'bulk_docs', db: this.name, new_edits: newEdits, revs });
  return bulkDocs.apply(this, arguments);
};

const bulkGet = proto.bulkGet;
proto.bulkGet = function (opts, cb) {
  const docs = (opts && opts.docs) || [];
  record({ op: 'bulk_get', db: this.name,
    revs: docs.map((d) => `${d.id} ${d.rev || ''}`) });
  return inBulkGet.run(true, () => bulkGet.apply(this, arguments));
};

// Refusal tests: a document whose id starts with CLOUD_CORRUPT_PREFIX is
// served with the last byte of each inline attachment changed and its
// digest kept, as a broken disk or proxy on the cloud's side would.
const corruptPrefix = process.env.CLOUD_CORRUPT_PREFIX || '';

function corrupt(d) {
  if (!d || typeof d._id !== 'string' || !d._id.startsWith(corruptPrefix) ||
      !d._attachments)
    return d;
  for (const a of Object.values(d._attachments)) {
    if (Buffer.isBuffer(a.data) && a.data.length > 0) {
      a.data = Buffer.from(a.data);
      a.data[a.data.length - 1] ^= 1;
    } else if (typeof a.data === 'string' && a.data.length > 0) {
      const b = Buffer.from(a.data, 'base64');
      b[b.length - 1] ^= 1;
      a.data = b.toString('base64');
    }
  }
  return d;
}

const get = proto.get;
proto.get = function (id, opts, cb) {
  if (opts && typeof opts === 'object' && opts.open_revs && !isLocal(id) &&
      !inBulkGet.getStore())
    record({ op: 'get', db: this.name, id, open_revs: opts.open_revs });
  if (typeof opts === 'function') {
    cb = opts;
    opts = {};
  }
  // open_revs calls get once per revision: corrupt only there (once).
  if (!corruptPrefix || typeof id !== 'string' ||
      !id.startsWith(corruptPrefix) || (opts && opts.open_revs))
    return get.apply(this, arguments);
  if (typeof cb === 'function')
    return get.call(this, id, opts, (err, res) => cb(err, err ? res : corrupt(res)));
  return get.call(this, id, opts).then(corrupt);
};

const revsDiff = proto.revsDiff;
proto.revsDiff = function (req, opts, cb) {
  const revs = [];
  for (const id of Object.keys(req || {}))
    if (!isLocal(id)) for (const r of req[id]) revs.push(`${id} ${r}`);
  record({ op: 'revs_diff', db: this.name, revs });
  return revsDiff.apply(this, arguments);
};

const changes = proto.changes;
proto.changes = function (opts, cb) {
  const o = typeof opts === 'object' && opts ? opts : {};
  const feed = changes.apply(this, arguments);
  const name = this.name;
  if (!o.live && !o.continuous && feed && typeof feed.on === 'function')
    feed.on('complete', (info) => {
      const rows = (info && info.results) || [];
      record({ op: 'changes', db: name,
        since: o.since === undefined ? 0 : o.since,
        seqs: rows.map((r) => r.seq),
        rows: rows.map((r) => `${r.id} ${(r.changes || []).map((c) => c.rev).join(',')}`) });
    });
  return feed;
};
