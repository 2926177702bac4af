// update.js: the administrator's software update page (#/update). Shows
// what GET /api/v1/update says (booted slot, other slot, the boot state
// with the tries left, epoch, version, an install in progress, the last
// install's outcome in words), and sends a bundle to the box in pieces of
// 1 MiB (PUT /update/upload/{offset}, then POST /update/upload/done), with
// a progress bar and a cancel button (DELETE /update/upload). A cut
// upload resumes: the page asks the box how much it has (GET /update's
// "received", or a 409's) and sends the rest. The box's updated verifies
// the bundle (signature first) and installs it; the page follows its
// progress and shows the outcome. docs/ui.md, docs/update.md.
import {
  state, t, h, show, say, fail, api, API, fmtTime, fmtSize, addPages, is, card,
  backLink, every, progressBar,
} from './core.js';

const PIECE = 1 << 20;              // the box's body limit and chunk size
const POLL_MS = 1000;
const RETRIES = 3;                  // a piece that fails on the network
const RETRY_MS = 1500;
const OUTCOMES = ['installed', 'committed', 'rolled-back', 'fell-back', 'refused', 'failed',
  'resuming', 'abandoned'];
const REASONS = ['format', 'truncated', 'signature', 'key', 'board', 'epoch', 'chunk', 'state',
  'missing', 'io', 'health', 'technician'];
const PHASES = ['verify', 'write', 'read-back'];

const up = { file: null, cancel: false, running: false };

const kvRow = (k, v, id) => h('tr', {}, h('th', { scope: 'row' }, t(k)), h('td', id ? { id } : {}, v));
const key = (s) => s.replace(/-/g, '_');

// The last outcome in words: what happened, why, and the box's own words.
export function outcomeText(l) {
  if (!l || !OUTCOMES.includes(l.outcome)) return '';
  const sep = state.lang === 'ja' ? '' : ' ';
  let s = t(`upd_out_${key(l.outcome)}`, { version: l.version || '?', slot: l.slot || '?' });
  if (l.reason && REASONS.includes(l.reason)) s += sep + t(`upd_why_${l.reason}`);
  if (l.resumed && l.outcome !== 'resuming') s += sep + t('upd_was_resumed');
  return s;
}

const badOutcome = (o) => ['refused', 'failed', 'rolled-back', 'fell-back', 'abandoned'].includes(o);

function bootState(d) {
  if (d.state === 'committed') return t('upd_state_committed', { slot: d.slot });
  if (d.state === 'trial') return t('upd_state_trial', { slot: d.slot, n: d.tries, next: d.next });
  return t('upd_state_none');
}

function pendingText(p) {
  if (!p) return t('upd_none');
  return t(`upd_pending_${p.phase === 'writing' ? 'writing' : 'written'}`, { version: p.version, slot: p.slot });
}

function lastBlock(l) {
  if (!l) return h('p', { id: 'update-last', class: 'note' }, t('upd_last_none'));
  return h('div', { id: 'update-last' },
    h('p', { class: `note ${badOutcome(l.outcome) ? 'warn' : ''}`, id: 'update-last-text',
      'data-outcome': l.outcome, 'data-reason': l.reason || '' }, outcomeText(l)),
    h('p', { class: 'note' }, l.time ? t('upd_last_when', { when: fmtTime(l.time * 1000) }) : '',
      l.detail ? h('span', { lang: 'en', id: 'update-last-detail' }, ` ${l.detail}`) : ''));
}

function statusTable(d) {
  if (!d.updated) return h('p', { class: 'note warn', id: 'update-no-service' }, t('upd_no_service'));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'kv', id: 'update-table' }, h('tbody', {},
    kvRow('upd_version', d.version || '?', 'update-version'),
    kvRow('upd_booted', d.booted || '?', 'update-booted'),
    kvRow('upd_other', d.other || '?', 'update-other'),
    kvRow('upd_boot_state', bootState(d), 'update-state'),
    kvRow('upd_epoch', String(d.epoch ?? '?'), 'update-epoch'),
    kvRow('upd_pending', pendingText(d.pending), 'update-pending'))));
}

// ---- sending a bundle -------------------------------------------------------

async function putPiece(offset, blob) {
  let res;
  try {
    res = await fetch(`${API}/update/upload/${offset}`, { method: 'PUT', credentials: 'same-origin',
      headers: { 'X-CSRF-Token': state.csrf, 'Content-Type': 'application/octet-stream' }, body: blob });
  } catch { return { ok: false, status: 0 }; }
  const data = await res.json().catch(() => null);
  return { ok: res.ok, status: res.status, data };
}

// How much of the upload the box holds, or null (network).
async function received() {
  const r = await api('GET', '/update');
  return r.ok ? r.data.received : null;
}

function boxError(r) {
  const err = r.data && r.data.error;
  if (err && typeof err === 'object') return state.lang === 'ja' ? err.message_ja : err.message;
  return r.status ? t('unexpected', { status: r.status }) : t('network_error');
}

// Sends FILE from the offset the box has; true when all of it is there.
async function sendFile(root, file) {
  const bar = root.querySelector('#update-progress');
  const text = root.querySelector('#update-status');
  let off = await received();
  if (off === null) { say(t('network_error'), 'error'); return false; }
  if (off > file.size) {          // another file's part: start again
    await api('DELETE', '/update/upload');
    off = 0;
  }
  if (off > 0) say(t('upd_resuming', { size: fmtSize(off) }), 'info');
  bar.hidden = false;
  const draw = () => {
    bar.value = file.size ? Math.floor((off * 100) / file.size) : 100;
    text.textContent = t('upd_sent', { sent: fmtSize(off), size: fmtSize(file.size),
      pct: file.size ? Math.floor((off * 100) / file.size) : 100 });
  };
  draw();
  let tries = 0;
  while (off < file.size) {
    if (up.cancel) return false;
    const r = await putPiece(off, file.slice(off, Math.min(off + PIECE, file.size)));
    if (r.ok || r.status === 409) {
      // 409: the box has another amount; it says how much: go on from there
      off = r.data && Number.isFinite(r.data.received) ? r.data.received : off;
      if (off > file.size) { await api('DELETE', '/update/upload'); off = 0; }
      tries = 0;
      draw();
      continue;
    }
    if (r.status !== 0 && r.status < 500) { say(boxError(r), 'error'); return false; }
    if (++tries > RETRIES) { say(t('upd_cut'), 'error'); return false; }
    await new Promise((ok) => { setTimeout(ok, RETRY_MS); });
    const have = await received();
    if (have !== null) off = have;
  }
  return true;
}

// After the hand-over: updated's phases, then the outcome.
function follow(root, before) {
  const text = root.querySelector('#update-status');
  const bar = root.querySelector('#update-progress');
  every(root, POLL_MS, async () => {
    const r = await api('GET', '/update');
    if (!r.ok) return true;
    const d = r.data;
    const l = d.last;
    const changed = l && JSON.stringify(l) !== before && l.outcome !== 'resuming';
    if (changed) {
      bar.value = 100;
      text.textContent = '';
      root.querySelector('#update-last').replaceWith(lastBlock(l));
      root.querySelector('#update-table')?.replaceWith(statusTable(d));
      say(outcomeText(l), badOutcome(l.outcome) ? 'error' : 'ok');
      return false;
    }
    if (PHASES.includes(d.phase) && d.total > 0) {
      const pct = Math.floor((d.done * 100) / d.total);
      bar.value = pct;
      text.textContent = t('upd_phase', { phase: t(`upd_phase_${key(d.phase)}`), pct });
    } else text.textContent = t('upd_waiting');
    return true;
  });
}

async function start(root) {
  const input = root.querySelector('#update-file');
  const file = input.files && input.files[0];
  if (!file) { say(t('upd_pick'), 'error'); input.focus(); return; }
  if (up.running) return;
  up.running = true;
  up.cancel = false;
  const go = root.querySelector('#update-start');
  const stop = root.querySelector('#update-cancel');
  go.disabled = true;
  stop.hidden = false;
  try {
    const first = await api('GET', '/update');
    const before = first.ok ? JSON.stringify(first.data.last) : '';
    if (!(await sendFile(root, file))) return;
    const done = await api('POST', '/update/upload/done');
    if (!done.ok) { fail(done); return; }
    root.querySelector('#update-partial')?.remove();
    say(t('upd_handed', { size: fmtSize(done.data.received) }), 'info');
    follow(root, before);
  } finally {
    const have = up.cancel ? 0 : await received();
    up.running = false;
    go.disabled = false;
    stop.hidden = !(have > 0);
  }
}

// Stops the sending (after the piece on the way) and drops what the box has.
async function cancel(root) {
  up.cancel = true;
  while (up.running) await new Promise((ok) => { setTimeout(ok, 100); });
  const r = await api('DELETE', '/update/upload');
  if (!r.ok) { fail(r); return; }
  const bar = root.querySelector('#update-progress');
  bar.hidden = true;
  root.querySelector('#update-status').textContent = '';
  root.querySelector('#update-partial')?.remove();
  root.querySelector('#update-cancel').hidden = true;
  say(t('upd_cancelled'));
}

async function viewUpdate() {
  const r = await api('GET', '/update');
  if (!r.ok) { fail(r); return; }
  const d = r.data;
  const stop = h('button', { type: 'button', class: 'secondary', id: 'update-cancel' }, t('upd_cancel'));
  stop.hidden = !(d.received > 0);
  const root = card(t('upd_title'),
    h('p', {}, t('upd_intro')),
    statusTable(d),
    h('h2', {}, t('upd_last_title')),
    lastBlock(d.last),
    h('h2', {}, t('upd_send_title')),
    h('p', { class: 'note' }, t('upd_send_note')),
    d.received > 0 ? h('p', { class: 'note warn', id: 'update-partial' },
      t('upd_partial', { size: fmtSize(d.received) })) : null,
    h('label', { for: 'update-file' }, t('upd_file')),
    h('input', { type: 'file', id: 'update-file', accept: '.bundle,application/octet-stream' }),
    h('div', { class: 'row' },
      h('button', { type: 'button', id: 'update-start' }, t('upd_send')), stop),
    progressBar('update-progress', 'upd_progress_label'),
    h('p', { id: 'update-status', role: 'status' }),
    h('div', { class: 'row' }, backLink('#/status', 'back_status')));
  root.querySelector('#update-start').addEventListener('click', () => start(root));
  stop.addEventListener('click', () => cancel(root));
  show(root);
}

addPages([
  { path: '/update', nav: 'nav_update', when: is.admin, view: viewUpdate },
]);
