#!/usr/bin/env node
// pouch.js < histories.json: inserts every revision of every history into
// PouchDB (memory adapter) with new_edits=false, one revision at a time in
// arrival order, then prints per document:
//   <id> <winning rev> <deleted 0|1> <sorted conflicts, comma-separated, or ->
'use strict';

const PouchDB = require('pouchdb-core').plugin(require('pouchdb-adapter-memory'));

async function main() {
  const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const db = new PouchDB('revs-check', { adapter: 'memory' });
  for (const h of input) {
    for (const r of h.revs) {
      const doc = { _id: h.id, _rev: r.rev, _revisions: r.revisions,
        type: 't', rev: r.rev };
      if (r.deleted) doc._deleted = true;
      const res = await db.bulkDocs([doc], { new_edits: false });
      for (const x of res)
        if (x.error) throw new Error(h.id + ' ' + r.rev + ': ' + x.message);
    }
  }
  const ids = input.map((h) => h.id);
  const all = await db.allDocs({ keys: ids, include_docs: true,
    conflicts: true });
  const lines = [];
  for (const row of all.rows) {
    const deleted = row.value && row.value.deleted ? 1 : 0;
    const conflicts = row.doc && row.doc._conflicts ?
      row.doc._conflicts.slice().sort() : [];
    lines.push([row.id, row.value.rev, deleted,
      conflicts.length ? conflicts.join(',') : '-'].join(' '));
  }
  process.stdout.write(lines.join('\n') + '\n');
  await db.destroy();
}

main().catch((e) => { console.error(e); process.exit(1); });
