#!/usr/bin/env node
// gen.js SEED COUNT: random edit histories of documents, as JSON on stdout.
// Each history is the list of revisions one replica receives, in arrival
// order, each with its _revisions ancestry (sometimes cut short, as after
// stemming or a partial replication) and its deleted flag. The same seed
// gives the same histories.
'use strict';

const seed = Number(process.argv[2] || 1);
const count = Number(process.argv[3] || 200);

// mulberry32: small, deterministic, good enough for test data.
function rng(a) {
  return function () {
    a |= 0; a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(seed);
const pick = (a) => a[Math.floor(rand() * a.length)];
const chance = (p) => rand() < p;

// Hashes: mostly 32 hex (CouchDB/PouchDB shape), sometimes short or with
// upper case, so that the tie-break on the hash string is exercised.
function hash(taken) {
  for (;;) {
    let alphabet = '0123456789abcdef', len = 32;
    if (chance(0.3)) { len = 1 + Math.floor(rand() * 3); }
    if (chance(0.1)) alphabet += 'ABCDEF';
    let h = '';
    for (let i = 0; i < len; i++) h += pick(alphabet);
    if (!taken.has(h)) { taken.add(h); return h; }
  }
}

function history(n) {
  const nodes = [];		// {gen, hash, parent, deleted}
  const taken = new Set();
  const roots = 1 + (chance(0.15) ? 1 : 0);
  for (let r = 0; r < roots; r++)
    nodes.push({ gen: 1, hash: hash(taken), parent: -1, deleted: false });
  const edits = 1 + Math.floor(rand() * 12);
  for (let e = 0; e < edits; e++) {
    // Mostly extend a leaf; sometimes branch from an inner node (a
    // conflict); deletions are children marked deleted.
    const leaves = nodes.filter((x, i) => !nodes.some((y) => y.parent === i));
    const from = chance(0.7) ? pick(leaves) : pick(nodes);
    const parent = nodes.indexOf(from);
    nodes.push({ gen: from.gen + 1, hash: hash(taken), parent,
      deleted: chance(0.25) });
  }
  // A revision as sent: itself and its ancestry, newest first.
  const revOf = (i) => {
    const ids = [];
    for (let j = i; j >= 0; j = nodes[j].parent) ids.push(nodes[j].hash);
    let keep = ids.length;
    if (chance(0.15)) keep = 1 + Math.floor(rand() * ids.length);
    return { rev: nodes[i].gen + '-' + nodes[i].hash,
      revisions: { start: nodes[i].gen, ids: ids.slice(0, keep) },
      deleted: nodes[i].deleted };
  };
  // Which revisions arrive: every leaf, some inner ones, in random order,
  // some twice.
  const sent = [];
  nodes.forEach((x, i) => {
    const leaf = !nodes.some((y) => y.parent === i);
    if (leaf || chance(0.4)) sent.push(revOf(i));
  });
  for (let i = sent.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [sent[i], sent[j]] = [sent[j], sent[i]];
  }
  if (chance(0.2) && sent.length > 0) sent.push(pick(sent));
  return { id: 'doc:' + String(n).padStart(4, '0'), revs: sent };
}

const out = [];
for (let n = 0; n < count; n++) out.push(history(n));
process.stdout.write(JSON.stringify(out) + '\n');
