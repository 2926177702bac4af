// backups.js: the admins' backups page (バックアップ). What the box shows
// comes from GET /api/v1/admin/backups: web cannot read the backups
// themselves (they belong to root), so the page shows what the daily job
// recorded after its last run (docs/backup.md, "Status for the web UI").
// Backups are made by crond every night and restored by a technician at
// the console; this page only reports, in words, and warns.
import { t, h, show, fail, api, fmtTime, fmtSize, addPages, is, card, backLink, empty } from './core.js';

const WARNINGS = ['never', 'stale', 'last_failed', 'missed'];
const STAGES = ['target', 'lock', 'keys', 'copy', 'write', 'verify', 'done'];

const kvRow = (k, v) => h('tr', {}, h('th', { scope: 'row' }, t(k)), h('td', {}, v));

function lastRun(run) {
  if (!run) return t('backup_run_none');
  const stage = STAGES.includes(run.stage) ? run.stage : 'done';
  return h('span', { id: 'backup-last-run', class: run.ok ? '' : 'bad' },
    run.ok ? t('backup_run_ok', { when: fmtTime(run.finished_ms) })
      : t('backup_run_failed', { when: fmtTime(run.finished_ms), stage: t(`backup_stage_${stage}`) }));
}

function generations(gens) {
  if (gens.length === 0) return empty('backup_none');
  return h('div', { class: 'table-wrap' }, h('table', { id: 'backup-table' },
    h('thead', {}, h('tr', {}, ['backup_created', 'backup_size', 'backup_verified', 'backup_file']
      .map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, gens.map((g) => h('tr', {},
      h('td', {}, fmtTime(g.created_ms)),
      h('td', {}, fmtSize(g.bytes)),
      h('td', { class: g.verified ? '' : 'bad' }, t(g.verified ? 'backup_verified_yes' : 'backup_verified_no')),
      h('td', { class: 'hash' }, h('code', {}, g.name)))))));
}

async function viewBackups() {
  const r = await api('GET', '/admin/backups');
  if (!r.ok) { fail(r); return; }
  const s = r.data;
  const warns = (s.warnings || []).filter((w) => WARNINGS.includes(w));
  show(card(t('backup_title'),
    warns.length
      ? h('div', { id: 'backup-warnings', role: 'alert' }, warns.map((w) => h('p', { class: 'note warn' },
        t(`backup_warn_${w}`, { hours: s.stale_after_hours, days: s.stale_after_hours / 24 }))))
      : h('p', { class: 'note', id: 'backup-ok' }, t('backup_all_ok')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'kv' }, h('tbody', {},
      kvRow('backup_last_ok', s.last_ok_ms ? fmtTime(s.last_ok_ms) : t('never')),
      kvRow('backup_last_run', lastRun(s.last_run)),
      kvRow('backup_next_run', s.next_run_ms ? h('span', { id: 'backup-next' }, fmtTime(s.next_run_ms)) : t('backup_next_unknown')),
      s.target ? kvRow('backup_target', h('code', {}, s.target)) : null,
      s.keep ? kvRow('backup_keep', t('backup_keep_n', { n: s.keep })) : null))),
    h('h2', {}, t('backup_list_title')),
    generations(s.generations || []),
    h('p', { class: 'note' }, t('backup_restore_note')),
    h('div', { class: 'row' }, backLink('#/status', 'back_status'))));
}

addPages([
  { path: '/backups', nav: 'nav_backups', when: is.admin, view: viewBackups },
]);
