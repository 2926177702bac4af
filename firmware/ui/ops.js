// ops.js: the administrator's operations pages: the cloud sync's state,
// the export of everything (a download with its progress), the end of the
// school's contract (利用終了: terminating, then terminated after the
// school's name is retyped) and the image's software bill of materials.
// Each page reads only the API documented in docs/api.md.
import {
  state, hooks, t, h, field, show, say, fail, api, API, fmtTime, fmtSize,
  addPages, is, card, backLink, busy, every, upload,
} from './core.js';
import { confirmInline } from './admin.js';
import { Sha256, sha256OfBlob } from './sha256.js';

const SYNC_STATES = ['ok', 'offline', 'error', 'waiting_clock', 'not_enrolled', 'not_running', 'unknown'];
const SYNC_ERR_KINDS = ['link', 'tls', 'http', 'local', 'proto', 'clock', 'enroll'];
const EXPORT_POLL_MS = 1000;         // docs/api.md: poll every second or two
const ENROLL_POLL_MS = 1000;         // sync looks for an upload every second
const ENROLL_WAIT_MS = 30000;        // ... and says what it made of it
const PROXY_SOURCES = ['admin', 'config', 'enrollment'];
const EXPORT_FLUSH = 8 << 20;        // bytes gathered before they join the Blob

let lastExportUrl = null;          // the last export's Blob, until the next one

const kvRow = (k, v) => h('tr', {}, h('th', { scope: 'row' }, t(k)), h('td', {}, v));

// ---- sync -------------------------------------------------------------------

async function viewSync() {
  const r = await api('GET', '/status/sync');
  if (!r.ok) { fail(r); return; }
  const s = r.data;
  const px = await api('GET', '/sync/proxy');
  const st = SYNC_STATES.includes(s.state) ? s.state : 'unknown';
  const when = (ms) => (ms ? fmtTime(ms) : t('never'));
  show(card(t('sync_title'),
    h('p', { class: `note ${st === 'ok' ? '' : 'warn'}`, id: 'sync-state' }, t(`sync_state_${st}`)),
    h('div', { class: 'table-wrap' }, h('table', { class: 'kv' }, h('tbody', {},
      kvRow('sync_last_ok', when(s.last_ok_ms)),
      kvRow('sync_pending', t('sync_pending_n', { n: s.pending })),
      kvRow('sync_last_error', s.last_error
        ? h('span', {},
          SYNC_ERR_KINDS.includes(s.error_kind) ? h('span', { id: 'sync-error-kind' }, t(`sync_err_${s.error_kind}`), ' ') : '',
          h('span', { lang: 'en', class: 'detail' }, s.last_error))
        : t('sync_no_error')),
      kvRow('sync_failures', String(s.failures)),
      kvRow('sync_last_attempt', when(s.last_attempt_ms)),
      kvRow('sync_next_attempt', s.next_attempt_ms ? fmtTime(s.next_attempt_ms) : '—'),
      kvRow('sync_conflicts', h('a', { href: '#/conflicts', id: 'sync-conflicts' },
        t('sync_conflicts_n', { n: s.conflicts_open ?? 0 })))))),
    h('p', { class: 'note' }, t('sync_note')),
    ...enrollSection(s),
    ...proxySection(px.ok ? px.data : null),
    h('div', { class: 'row' },
      h('button', { type: 'button', onclick: async () => { await viewSync(); say(t('sync_refreshed')); } },
        t('refresh')),
      backLink())));
}

// What sync made of the last enrollment handed over (status/sync), in words.
function enrollResult(s) {
  if (!s.enroll_ms) return null;
  return h('p', { class: `note ${s.enroll_ok ? '' : 'warn'}`, id: 'sync-enroll-result' },
    t(s.enroll_ok ? 'sync_enroll_done' : 'sync_enroll_refused', { when: fmtTime(s.enroll_ms) }), ' ',
    h('span', { lang: 'en' }, s.enroll_result));
}

// Until sync has taken the upload (enroll_ms moves on), then the page again.
async function enrollWait(before) {
  const until = Date.now() + ENROLL_WAIT_MS;
  while (Date.now() < until) {
    await new Promise((res) => { setTimeout(res, ENROLL_POLL_MS); });
    const r = await api('GET', '/status/sync');
    if (r.ok && r.data.enroll_ms && r.data.enroll_ms !== before) {
      await viewSync();
      say(t(r.data.enroll_ok ? 'sync_enroll_ok' : 'sync_enroll_bad'), r.data.enroll_ok ? 'ok' : 'error');
      return;
    }
  }
  say(t('sync_enroll_slow'), 'error');
}

// "Enroll this box" (not enrolled) or "replace the enrollment" (behind a
// confirmation): the platform's file, sent as it is (POST /sync/enrollment).
function enrollSection(s) {
  const slot = h('div', {});
  const input = h('input', { id: 'sync-enroll-file', name: 'sync-enroll-file', type: 'file',
    accept: '.json,application/json' });
  const form = h('form', { id: 'sync-enroll-form', class: 'stack' },
    h('h2', {}, t(s.enrolled ? 'sync_replace_title' : 'sync_enroll_title')),
    h('p', { class: 'note' }, t(s.enrolled ? 'sync_replace_note' : 'sync_enroll_note')),
    h('div', { class: 'field' }, h('label', { for: 'sync-enroll-file' }, t('sync_enroll_file')), input),
    slot,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: s.enrolled ? 'danger' : '' },
      t(s.enrolled ? 'sync_replace_do' : 'sync_enroll_do'))));
  const send = (replace) => busy(form, async () => {
    const r = await upload(`/sync/enrollment${replace ? '?replace=1' : ''}`, input.files[0], 'application/json');
    if (!r.ok) { fail(r); return; }
    say(t('sync_enroll_sent', { db: r.data.school_db }));
    await enrollWait(s.enroll_ms);
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!input.files || !input.files[0]) { say(t('sync_enroll_pick'), 'error'); return; }
    if (s.enrolled) confirmInline(slot, t('sync_replace_confirm'), t('sync_replace_do'), () => send(true));
    else send(false);
  });
  return [enrollResult(s), form].filter(Boolean);
}

// The proxy in use, in words: host:port, where it was set, with or
// without credentials (never them; GET /sync/proxy).
function proxyNow(p) {
  if (!p || p.source === 'unknown') return t('sync_proxy_unknown');
  if (!PROXY_SOURCES.includes(p.source) || !p.host) return t('sync_proxy_direct');
  const from = { admin: t('sync_proxy_from_admin'), config: t('sync_proxy_from_config'),
    enrollment: t('sync_proxy_from_enrollment') }[p.source];
  return `${p.host}:${p.port} (${from}, ${t(p.user ? 'sync_proxy_auth_set' : 'sync_proxy_auth_none')})`;
}

function proxyResult(p) {
  if (!p || !p.result_ms) return null;
  return h('p', { class: `note ${p.result_ok ? '' : 'warn'}`, id: 'sync-proxy-result' },
    t('sync_proxy_done', { when: fmtTime(p.result_ms) }), ' ', h('span', { lang: 'en' }, p.result));
}

// Until sync has taken the setting (result_ms moves on), then the page again.
async function proxyWait(before) {
  const until = Date.now() + ENROLL_WAIT_MS;
  while (Date.now() < until) {
    await new Promise((res) => { setTimeout(res, ENROLL_POLL_MS); });
    const r = await api('GET', '/sync/proxy');
    if (r.ok && r.data.result_ms && r.data.result_ms !== before && !r.data.pending) {
      await viewSync();
      say(t(r.data.result_ok ? 'sync_proxy_ok' : 'sync_proxy_bad'), r.data.result_ok ? 'ok' : 'error');
      return;
    }
  }
  say(t('sync_proxy_slow'), 'error');
}

// The admin's proxy (PUT /sync/proxy; DELETE clears it): web hands it to
// sync, which keeps it and says what it made of it.
function proxySection(p) {
  const form = h('form', { id: 'sync-proxy-form', class: 'stack' },
    h('h2', {}, t('sync_proxy_title')),
    h('p', { class: 'note' }, t('sync_proxy_note')),
    h('p', { id: 'sync-proxy-now' }, t('sync_proxy_now'), ': ', proxyNow(p)),
    field('sync-proxy-url', t('sync_proxy_url'), { type: 'text', inputmode: 'url', required: true, autocomplete: 'off',
      placeholder: 'http://proxy.example:8080',
      value: p && p.source === 'admin' && p.host ? `http://${p.host}:${p.port}` : null }),
    field('sync-proxy-user', t('sync_proxy_user'), { type: 'text', autocomplete: 'off' }),
    field('sync-proxy-password', t('sync_proxy_password'), { type: 'password', autocomplete: 'new-password' }),
    h('div', { class: 'row' },
      h('button', { type: 'submit', id: 'sync-proxy-save' }, t('sync_proxy_save')),
      p && p.source === 'admin'
        ? h('button', { type: 'button', id: 'sync-proxy-clear', class: 'secondary', onclick: () => busy(form, async () => {
          const r = await api('DELETE', '/sync/proxy');
          if (!r.ok) { fail(r); return; }
          say(t('sync_proxy_cleared'));
          await proxyWait(p.result_ms);
        }) }, t('sync_proxy_clear'))
        : null));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = (id) => form.querySelector(`#${id}`).value;
    const body = { proxy: v('sync-proxy-url').trim() };
    if (v('sync-proxy-user') !== '' || v('sync-proxy-password') !== '') {
      body.proxy_user = v('sync-proxy-user');
      body.proxy_password = v('sync-proxy-password');
    }
    busy(form, async () => {
      const r = await api('PUT', '/sync/proxy', body);
      form.querySelector('#sync-proxy-password').value = '';
      if (!r.ok) { fail(r); return; }
      say(t('sync_proxy_sent'));
      await proxyWait(p ? p.result_ms : 0);
    });
  });
  return [proxyResult(p), form].filter(Boolean);
}

// ---- export -----------------------------------------------------------------

async function runningExports() {
  const r = await api('GET', '/export/progress');
  return r.ok ? r.data.exports || [] : null;
}

// The file's name from Content-Disposition (the box's classbox-export-DATE.zip).
function fileNameOf(res) {
  const m = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
  return m ? m[1] : 'classbox-export.zip';
}

// Reads the stream into a Blob (flushed every EXPORT_FLUSH bytes, so the
// browser may keep it on disk rather than in the page's memory), counting
// the bytes received; the box's side (records written, ZIP entry) comes
// from GET /export/progress with the export's id. A stream cut short is an
// error, never a file: the partial ZIP would lack its central directory.
async function downloadExport(root) {
  const bar = root.querySelector('#export-progress');
  const text = root.querySelector('#export-status');
  let res;
  try {
    res = await fetch(`${API}/export`, { credentials: 'same-origin' });
  } catch { say(t('network_error'), 'error'); return; }
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    const err = data && data.error;
    say(res.status === 503 ? t('export_busy')
      : err ? (state.lang === 'ja' ? err.message_ja : err.message) : t('unexpected', { status: res.status }),
    'error');
    return;
  }
  const id = Number(res.headers.get('X-Export-Id'));
  const records = Number(res.headers.get('X-Export-Records')) || 0;
  const name = fileNameOf(res);
  const box = { percent: 0, phase: '' };
  let received = 0;
  let done = false;
  bar.hidden = false;
  bar.value = 0;
  const draw = () => {
    bar.value = done ? 100 : box.percent;
    text.textContent = t('export_progress', { pct: done ? 100 : box.percent, phase: done ? t('export_phase_done') : box.phase || '…',
      size: fmtSize(received), n: records });
  };
  every(root, EXPORT_POLL_MS, async () => {
    if (done) return false;
    const list = await runningExports();
    const e = list && list.find((x) => x.id === id);
    if (e) { box.percent = e.percent; box.phase = e.phase; draw(); }
    return !done;
  });
  let blob = new Blob([]);
  let parts = [];
  let pending = 0;
  const sha = new Sha256();   // of what arrives: the box keeps its own
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      parts.push(value);
      sha.update(value);
      received += value.length;
      pending += value.length;
      if (pending >= EXPORT_FLUSH) { blob = new Blob([blob, ...parts]); parts = []; pending = 0; }
      draw();
    }
  } catch {
    done = true;
    bar.hidden = true;
    text.textContent = '';
    say(t('export_cut'), 'error');
    return;
  }
  blob = new Blob([blob, ...parts], { type: 'application/zip' });
  done = true;
  draw();
  if (lastExportUrl) URL.revokeObjectURL(lastExportUrl);
  const url = URL.createObjectURL(blob);
  lastExportUrl = url;
  const a = h('a', { href: url, download: name, id: 'export-file' }, t('export_save_again', { name }));
  root.querySelector('#export-saved').replaceChildren(a);
  a.click();
  say(t('export_done', { name, size: fmtSize(received) }));
  offerConfirm(root, id, sha.hex());
}

// ---- the confirmation: the box compares the SHA-256 of what arrived with
// what it sent; termination waits for it (docs/operations.md) -------------

async function confirmExport(root, id, digest) {
  const out = root.querySelector('#export-verified');
  const r = await api('POST', '/export/confirm', { export_id: id, sha256: digest });
  if (!r.ok) {
    out.className = 'note warn';
    out.textContent = r.message || t('unexpected', { status: r.status });
    return false;
  }
  out.className = 'note ok';
  out.textContent = r.data.covers_everything ? t('export_confirmed', { id, sha: digest })
    : t('export_confirmed_stale', { id, sha: digest });
  return true;
}

// After a whole download: one click confirms it.
function offerConfirm(root, id, digest) {
  const button = h('button', { type: 'button', id: 'export-confirm' }, t('export_confirm'));
  button.addEventListener('click', async () => {
    button.disabled = true;   // no double posts on a slow link
    button.disabled = await confirmExport(root, id, digest);
  });
  root.querySelector('#export-check').replaceChildren(
    h('p', {}, t('export_confirm_intro', { sha: digest })), h('div', { class: 'row' }, button));
}

// A file saved earlier (or fetched with curl): hashed here, a slice at a
// time, then confirmed against the box's last whole export.
async function confirmSavedFile(root, file) {
  const out = root.querySelector('#export-verified');
  out.className = 'note';
  out.textContent = t('export_hashing', { name: file.name });
  const rc = await api('GET', '/export/receipt');
  if (!rc.ok) { out.className = 'note warn'; out.textContent = rc.message || t('export_none'); return; }
  await confirmExport(root, rc.data.export_id, await sha256OfBlob(file));
}

async function startExport(root, button) {
  button.disabled = true;
  root.querySelector('#export-saved').replaceChildren();
  root.querySelector('#export-check').replaceChildren();
  root.querySelector('#export-verified').textContent = '';
  say(t('export_started'), 'info');
  try { await downloadExport(root); } finally { button.disabled = false; }
}

async function viewExport() {
  const button = h('button', { type: 'button', id: 'export-start' }, t('export_download'));
  const root = card(t('export_title'),
    h('p', {}, t('export_intro')),
    h('ul', {}, h('li', {}, t('export_json')), h('li', {}, t('export_csv')), h('li', {}, t('export_files')),
      h('li', {}, t('export_logs'))),
    h('p', { class: 'note' }, t('export_note')),
    h('div', { class: 'row' }, button),
    h('progress', { id: 'export-progress', max: '100', value: '0', 'aria-label': t('export_progress_label'),
      hidden: true }),
    h('p', { id: 'export-status' }),
    h('p', { id: 'export-saved' }),
    h('div', { id: 'export-check' }),
    h('p', { id: 'export-verified', role: 'status' }),
    h('details', {}, h('summary', {}, t('export_verify_saved')),
      h('label', {}, t('export_verify_pick'), ' ',
        h('input', { type: 'file', id: 'export-verify-file', accept: '.zip,application/zip' }))),
    h('div', { class: 'row' }, h('a', { href: '#/termination', class: 'button secondary' }, t('nav_termination')),
      backLink()));
  button.addEventListener('click', () => startExport(root, button));
  root.querySelector('#export-verify-file').addEventListener('change', (ev) => {
    const f = ev.target.files && ev.target.files[0];
    if (f) confirmSavedFile(root, f);
  });
  show(root);
}

// ---- termination (利用終了) -----------------------------------------------------

function terminationResult(d) {
  const yes = (v) => (v ? t('yes') : t('term_not_done'));
  const all = d.store_erased && d.backups_unreadable && d.ops_log_erased && d.auth_erased;
  return card(t('term_done_title'),
    h('p', { class: all ? '' : 'note warn' }, all ? t('term_done_all') : t('term_done_partial')),
    h('table', { class: 'kv' }, h('tbody', {},
      kvRow('term_store_erased', yes(d.store_erased)),
      kvRow('term_backups_unreadable', yes(d.backups_unreadable)),
      kvRow('term_ops_log_erased', yes(d.ops_log_erased)),
      kvRow('term_auth_erased', yes(d.auth_erased)))));
}

async function setSchoolState(s, to) {
  const p = await api('PUT', '/school', { _rev: s._rev, state: to });
  if (!p.ok) { fail(p); return; }
  state.school_state = to;
  hooks.refresh();
  await viewTermination();
  say(t(to === 'terminating' ? 'term_started' : 'term_cancelled'));
}

function terminateForm(s, slot) {
  const form = h('form', { class: 'subcard', novalidate: true },
    h('h2', {}, t('term_final_title')),
    h('p', {}, t('term_final_note')),
    field('term-name', t('term_retype', { name: s.name }), { required: true, autocomplete: 'off',
      spellcheck: 'false' }),
    // Nothing is erased before a confirmed export (409 export_not_confirmed);
    // ending without one is the admin's explicit, logged choice.
    h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'term-no-export' }), ' ',
      t('term_no_export')),
    // The box refuses while logs wait for the platform (409 logs_not_uploaded,
    // with the counts); this is the documented override.
    h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'term-discard' }), ' ',
      t('term_discard_logs')),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'danger' }, t('term_do'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = form.querySelector('#term-name');
    // byte for byte, like the box: no trimming
    if (input.value !== s.name) { say(t('term_name_wrong'), 'error'); input.focus(); return; }
    confirmInline(slot, t('term_confirm', { name: s.name }), t('term_do'), () => busy(form, async () => {
      const body = { confirm: input.value };
      if (form.querySelector('#term-discard').checked) body.discard_unuploaded_logs = true;
      if (form.querySelector('#term-no-export').checked) body.terminate_without_export = true;
      const r = await api('POST', '/school/terminate', body);
      input.value = '';
      if (!r.ok) { fail(r); return; }
      state.school_state = 'terminated';
      document.getElementById('nav').replaceChildren();
      document.getElementById('banners').replaceChildren();
      show(terminationResult(r.data));
      say(t('term_done'));
    }));
  });
  return form;
}

async function viewTermination() {
  const r = await api('GET', '/school');
  if (!r.ok) { fail(r); return; }
  const s = r.data;
  const slot = h('div', {});
  const exportLink = h('a', { href: '#/export', class: 'button secondary' }, t('term_export_first'));
  if (s.state !== 'terminating') {
    show(card(t('term_title'),
      h('p', {}, t('term_intro')),
      h('p', { class: 'note' }, t('term_state', { state: t(`school_state_${s.state}`) })),
      h('div', { class: 'row' }, exportLink,
        h('button', { type: 'button', class: 'danger', onclick: () =>
          confirmInline(slot, t('term_start_confirm', { name: s.name }), t('term_start'),
            () => setSchoolState(s, 'terminating')) }, t('term_start'))),
      slot, h('div', { class: 'row' }, backLink())));
    return;
  }
  const rc = await api('GET', '/export/receipt');
  const ok = rc.ok && rc.data.confirmed && rc.data.covers_everything;
  show(card(t('term_title'),
    h('p', { class: 'note warn' }, t('term_state', { state: t('school_state_terminating') })),
    h('p', {}, t('term_terminating_note')),
    h('p', { id: 'term-export-status', class: ok ? 'note ok' : 'note warn' },
      ok ? t('term_export_ok', { id: rc.data.export_id, when: fmtTime(rc.data.confirmed_ms) })
        : rc.ok && rc.data.confirmed ? t('term_export_stale') : t('term_export_missing')),
    h('div', { class: 'row' }, exportLink,
      h('button', { type: 'button', class: 'secondary', onclick: () => setSchoolState(s, 'active') },
        t('term_cancel'))),
    terminateForm(s, slot), slot, h('div', { class: 'row' }, backLink())));
}

// ---- SBOM -------------------------------------------------------------------

function sha256Of(p) {
  const c = (p.checksums || []).find((x) => x.algorithm === 'SHA256');
  return c ? c.checksumValue : '';
}

// the Debian package and version of a component, from its purl
// (pkg:deb/debian/NAME@VERSION?...); none for classbox itself
function debianOf(p) {
  const ref = (p.externalRefs || []).find((x) => x.referenceType === 'purl');
  const m = ref && /^pkg:deb\/debian\/([^@?]+)@([^?#]+)/.exec(ref.referenceLocator || '');
  if (!m) return { pkg: '', version: '' };
  let version = m[2];
  try { version = decodeURIComponent(version); } catch { /* keep it as written */ }
  return { pkg: m[1], version };
}

async function viewSbom() {
  const r = await api('GET', '/admin/sbom');
  if (!r.ok && r.code === 'sbom_missing') {
    show(card(t('sbom_title'), h('p', { class: 'note warn', id: 'sbom-missing' }, t('sbom_missing')),
      h('div', { class: 'row' }, backLink('#/status', 'back_status'))));
    return;
  }
  if (!r.ok) { fail(r); return; }
  const doc = r.data;
  const pkgs = (doc.packages || []).slice().sort((a, b) => String(a.name).localeCompare(String(b.name)));
  const created = doc.creationInfo && doc.creationInfo.created;
  show(card(t('sbom_title'),
    h('p', {}, t('sbom_intro', { n: pkgs.length, name: doc.name || '' }),
      created ? ` ${t('sbom_created', { when: created })}` : ''),
    h('div', { class: 'table-wrap' }, h('table', { id: 'sbom-table' },
      h('thead', {}, h('tr', {}, ['sbom_name', 'sbom_version', 'sbom_debian_package',
        'sbom_debian_version', 'sbom_licence', 'sbom_sha256']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, pkgs.map((p) => {
        const deb = debianOf(p);
        return h('tr', {},
          h('td', {}, p.name || ''), h('td', {}, p.versionInfo || ''),
          h('td', {}, deb.pkg || t('sbom_not_debian')), h('td', {}, deb.version),
          h('td', {}, p.licenseDeclared || ''),
          h('td', { class: 'hash' }, h('code', {}, sha256Of(p))));
      })))),
    h('div', { class: 'row' }, backLink('#/status', 'back_status'))));
}

addPages([
  { path: '/sync', nav: 'nav_sync', when: is.admin, view: viewSync },
  { path: '/export', nav: 'nav_export', when: is.admin, view: viewExport },
  { path: '/termination', when: is.admin, view: viewTermination },
  { path: '/sbom', when: is.admin, view: viewSbom },
]);
