// admin.js: the school administrator's pages: users (register, suspend,
// reset, delete), the roster import (CSV, errors per line, password slips),
// classes and their members, the school year and its rollover (年度更新),
// maintenance and incident notices, the login and operation logs, and the
// box's status. Sync, export, termination and the SBOM are in ops.js, the
// LAN in lan.js.
import {
  state, t, h, field, select, show, say, fail, api, upload, listAll, enc,
  fmtTime, fmtSize, addPages, is, card, backLink, empty, busy,
} from './core.js';

const USERS_PAGE = 20;
const LOG_PAGE = 50;                 // the audit views' page limit
const CSV_MAX = 1024 * 1024;         // the roster import's body limit

function initialPasswordPanel(id, pw) {
  const panel = h('section', { class: 'card printable', 'aria-labelledby': 'ipw-title' },
    h('h2', { id: 'ipw-title' }, `${t('initial_pw_title')}: ${id}`),
    h('p', { class: 'secret', lang: 'en' }, pw),
    h('p', { class: 'note' }, t('initial_pw_note')),
    h('div', { class: 'row no-print' },
      h('button', { type: 'button', onclick: () => window.print() }, t('print')),
      h('button', { type: 'button', class: 'secondary',
        onclick: () => { panel.remove(); document.body.classList.remove('has-secret'); } }, t('close'))));
  document.body.classList.add('has-secret');
  return panel;
}

// A second, explicit step instead of window.confirm: the question and the
// buttons appear in the page, where a keyboard and a screen reader find them.
export function confirmInline(slot, question, yesLabel, onYes) {
  const yes = h('button', { type: 'button', class: 'danger' }, yesLabel);
  const box = h('div', { class: 'confirm', role: 'group', 'aria-label': question },
    h('p', {}, question),
    h('div', { class: 'row' }, yes,
      h('button', { type: 'button', class: 'secondary', onclick: () => box.remove() }, t('cancel'))));
  yes.addEventListener('click', async () => { yes.disabled = true; box.remove(); await onYes(); });
  slot.replaceChildren(box);
  yes.focus();
}

// ---- users -------------------------------------------------------------------

const ACTIONS = [
  { op: 'suspend', when: (u) => u.state === 'active' },
  { op: 'reactivate', when: (u) => u.state === 'suspended' },
  { op: 'reset-password', label: 'reset_password', when: (u) => u.state === 'active',
    confirm: 'confirm_reset', done: 'done_reset' },
  { op: 'reset-code', label: 'issue_reset_code', when: (u) => u.state === 'active',
    done: 'reset_code_issued_id' },
  { op: 'grant-admin', when: (u) => !u.admin && u.role === 'teacher' },
  { op: 'revoke-admin', when: (u) => u.admin },
  { op: 'delete', when: (u) => u.state !== 'deleted', confirm: 'confirm_delete', danger: true },
];

const users = { cursors: [''], page: 0, find: '' };

async function userAction(a, u) {
  const run = async () => {
    const path = `/users/${enc(u.id)}`;
    const r = a.op === 'delete' ? await api('DELETE', path) : await api('POST', `${path}/${a.op}`);
    if (!r.ok) { fail(r); return; }
    await viewUsers(false);
    const slot = document.getElementById('panel-slot');
    if (r.data && r.data.initial_password)
      slot.replaceChildren(initialPasswordPanel(u.id, r.data.initial_password));
    if (r.data && r.data.code)
      slot.replaceChildren(initialPasswordPanel(`${u.id} (${t('reset_code')})`, r.data.code));
    say(t(a.done || `done_${a.op.replace('-', '_')}`, { id: u.id }));
  };
  if (a.confirm)
    confirmInline(document.getElementById('panel-slot'), t(a.confirm, { id: u.id }),
      t(a.label || a.op), run);
  else await run();
}

function userRow(u) {
  const actions = ACTIONS.filter((a) => a.when(u) && u.id !== state.me.id).map((a) =>
    h('button', { type: 'button', class: a.danger ? 'danger small' : 'small',
      onclick: () => userAction(a, u) }, t(a.label || a.op.replace('-', '_'))));
  return h('tr', {},
    h('td', {}, u.id), h('td', {}, u.name), h('td', {}, t(`role_${u.role}`)),
    h('td', {}, t(`state_${u.state}`)), h('td', {}, u.admin ? t('yes') : t('no')),
    h('td', { class: 'actions' }, actions));
}

// The list a page at a time, or (users.find) the one user with that id.
async function fetchUsers() {
  if (users.find) {
    const r = await api('GET', `/users/${enc(users.find)}`);
    if (r.ok) return { ok: true, list: [r.data.user], next: null };
    if (r.status === 404) return { ok: true, list: [], next: null };
    return r;
  }
  const after = users.cursors[users.page] || '';
  const r = await api('GET', `/users?limit=${USERS_PAGE}` + (after ? `&after=${enc(after)}` : ''));
  return r.ok ? { ok: true, list: r.data.users, next: r.data.next } : r;
}

async function viewUsers(focus = true) {
  const r = await fetchUsers();
  if (!r.ok) { fail(r); return; }
  const { list, next } = r;
  const table = list.length === 0 ? h('p', {}, users.find ? t('user_not_found', { id: users.find }) : t('no_users')) :
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['col_id', 'col_name', 'col_role', 'col_state', 'col_admin', 'col_actions']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, list.map(userRow))));
  const pager = h('div', { class: 'row' },
    users.page > 0 && !users.find ? h('button', { type: 'button', class: 'secondary',
      onclick: () => { users.page--; viewUsers(); } }, t('prev_page')) : null,
    next ? h('button', { type: 'button', class: 'secondary',
      onclick: () => { users.cursors[users.page + 1] = next; users.page++; viewUsers(); } }, t('next_page')) : null);
  const find = h('form', { class: 'row inline', role: 'search', novalidate: true },
    field('find-id', t('find_by_id'), { value: users.find, autocapitalize: 'none', spellcheck: 'false' }),
    h('button', { type: 'submit', class: 'secondary' }, t('find')),
    users.find ? h('button', { type: 'button', class: 'secondary',
      onclick: () => { users.find = ''; viewUsers(); } }, t('show_all')) : null);
  find.addEventListener('submit', (ev) => {
    ev.preventDefault();
    users.find = find.querySelector('#find-id').value.trim().toLowerCase();
    viewUsers();
  });
  const nodes = [h('section', { class: 'card wide' },
    h('h1', {}, t('users_title')),
    h('div', { class: 'row' },
      h('a', { href: '#/users/new', class: 'button' }, t('new_user')),
      h('a', { href: '#/import', class: 'button secondary' }, t('nav_import')),
      backLink()),
    find, h('div', { id: 'panel-slot' }), table, pager)];
  if (focus) show(...nodes);
  else document.getElementById('main').replaceChildren(...nodes);
}

function viewCreateUser() {
  const roles = ['teacher', 'student', 'parent', 'admin'];
  const children = field('new-children', t('children'), { autocomplete: 'off' });
  children.hidden = true;
  const form = h('form', { class: 'card', novalidate: true },
    h('h1', {}, t('create_title')),
    field('new-id', t('user_id'), { required: true, pattern: '[a-z0-9._-]{3,63}',
      autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' }),
    field('new-name', t('name'), { required: true, maxlength: '127', autocomplete: 'off' }),
    select('new-role', t('role'), roles.map((r) => [r, t(`role_${r}`)])),
    children,
    h('div', { class: 'row' },
      h('button', { type: 'submit' }, t('create')),
      h('a', { href: '#/users', class: 'button secondary' }, t('cancel'))),
    h('div', { id: 'panel-slot' }));
  const role = form.querySelector('#new-role');
  role.addEventListener('change', () => { children.hidden = role.value !== 'parent'; });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const id = form.querySelector('#new-id').value.trim();
    const body = { id, name: form.querySelector('#new-name').value.trim(), role: role.value };
    if (role.value === 'parent')
      body.children = form.querySelector('#new-children').value.split(/[\s,、]+/).filter(Boolean);
    const r = await api('POST', '/users', body);
    if (!r.ok) { fail(r); return; }
    form.reset();
    children.hidden = true;
    form.querySelector('#panel-slot').replaceChildren(
      initialPasswordPanel(r.data.user.id, r.data.initial_password));
    say(t('created', { id: r.data.user.id }));
  });
  show(form);
}

// ---- roster import -----------------------------------------------------------

function importResult(r) {
  const d = r.data;
  const errors = d.errors || [];
  const nodes = [];
  if (errors.length) {
    nodes.push(h('h2', {}, t('import_errors', { n: errors.length })),
      h('div', { class: 'table-wrap' }, h('table', { id: 'import-errors' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('col_line')), h('th', { scope: 'col' }, t('col_problem')))),
        h('tbody', {}, errors.map((e) => h('tr', {},
          h('td', {}, e.line == null ? t('whole_file') : String(e.line)),
          h('td', {}, state.lang === 'ja' ? e.message_ja : e.message)))))));
  }
  if (d.ok && !d.dry_run) {
    nodes.push(h('p', {}, t('import_created', { n: d.created })),
      h('p', {}, h('a', { href: d.slips, target: '_blank', rel: 'noopener', class: 'button', id: 'slips-link' },
        t('open_slips'))),
      h('p', { class: 'note' }, t('slips_note', { time: fmtTime(d.slips_expire_ms) })),
      h('ul', { class: 'plain' }, (d.users || []).map((u) =>
        h('li', {}, `${u.id} ${u.name} (${t(`role_${u.role}`)}${u.class ? ` ${u.class}` : ''})`))));
  }
  return nodes;
}

function viewImport() {
  const out = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'card wide', novalidate: true },
    h('h1', {}, t('import_title')),
    h('p', { class: 'note' }, t('import_note')),
    field('import-file', t('csv_file'), { type: 'file', accept: '.csv,text/csv', required: true }),
    h('div', { class: 'row' },
      h('button', { type: 'submit', value: 'check', id: 'import-check' }, t('import_check')),
      h('button', { type: 'submit', value: 'run', id: 'import-run', class: 'secondary' }, t('import_run')),
      h('a', { href: '#/users', class: 'button secondary' }, t('nav_users'))),
    out);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const dry = !ev.submitter || ev.submitter.value !== 'run';
    const file = form.querySelector('#import-file').files[0];
    if (!file) { say(t('csv_needed'), 'error'); return; }
    if (file.size > CSV_MAX) { say(t('csv_too_big'), 'error'); return; }
    busy(form, async () => {
      say(dry ? t('import_checking') : t('import_running'), 'info');
      const r = await upload(`/roster/import?dry_run=${dry ? 1 : 0}`, file, 'text/csv');
      if (!r.ok) { fail(r); out.replaceChildren(); return; }
      out.replaceChildren(...importResult(r));
      if (r.data.errors.length)
        say(t('import_has_errors', { n: r.data.errors.length }), 'error');
      else if (dry) say(t('import_clean', { n: r.data.rows }));
      else say(t('import_done', { n: r.data.created }));
    });
  });
  show(form);
}

// ---- classes -----------------------------------------------------------------

async function viewClasses() {
  const r = await listAll('/classes');
  if (!r.ok) { fail(r); return; }
  const classes = r.data.sort((a, b) => b.year - a.year || a.code.localeCompare(b.code));
  const school = await api('GET', '/school');
  const year = school.ok ? school.data.year : new Date().getFullYear();
  const form = h('form', { class: 'subcard', novalidate: true },
    h('h2', {}, t('new_class')),
    h('div', { class: 'row inline' },
      field('cls-year', t('year'), { type: 'number', value: String(year), min: '2000', max: '2100', required: true }),
      field('cls-code', t('class_code'), { required: true, pattern: '[A-Za-z0-9_-]{1,16}', placeholder: '2-3' }),
      field('cls-name', t('class_name'), { required: true, placeholder: '2年3組' }),
      select('cls-kind', t('class_kind'), ['homeroom', 'subject', 'club', 'group'].map((k) => [k, t(`kind_${k}`)]))),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('create'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const body = { year: Number(form.querySelector('#cls-year').value),
        code: form.querySelector('#cls-code').value.trim(),
        name: form.querySelector('#cls-name').value.trim(), kind: form.querySelector('#cls-kind').value };
      const p = await api('POST', '/classes', body);
      if (!p.ok) { fail(p); return; }
      await viewClasses();
      say(t('class_created', { name: body.name }));
    });
  });
  show(card(t('admin_classes_title'), form,
    classes.length === 0 ? empty('no_classes') : h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['year', 'class_code', 'class_name', 'class_kind', 'col_state', 'col_actions']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, classes.map((c) => h('tr', {},
        h('td', {}, String(c.year)), h('td', {}, c.code), h('td', {}, c.name), h('td', {}, t(`kind_${c.kind}`)),
        h('td', {}, c.archived ? t('archived') : t('in_use')),
        h('td', {}, h('a', { href: `#/admin/class/${enc(c._id)}`, class: 'button small secondary' }, t('members')))))))),
    h('div', { class: 'row' }, backLink())));
}

async function viewClassMembers({ id }) {
  const [c, m] = [await api('GET', `/classes/${enc(id)}`), await listAll(`/classes/${enc(id)}/members`)];
  if (!c.ok) { fail(c); return; }
  if (!m.ok) { fail(m); return; }
  const cls = c.data;
  const form = h('form', { class: 'subcard', novalidate: true },
    h('h2', {}, t('add_member')),
    h('div', { class: 'row inline' },
      field('mem-user', t('user_id'), { required: true, autocapitalize: 'none', spellcheck: 'false' }),
      select('mem-role', t('role'), [['student', t('role_student')], ['teacher', t('role_teacher')]])),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('add'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const user_id = form.querySelector('#mem-user').value.trim();
      const p = await api('POST', `/classes/${enc(id)}/members`, { user_id, role: form.querySelector('#mem-role').value });
      if (!p.ok) { fail(p); return; }
      await viewClassMembers({ id });
      say(t('member_added', { id: user_id, name: cls.name }));
    });
  });
  const remove = async (uid) => {
    const p = await api('DELETE', `/classes/${enc(id)}/members/${enc(uid)}`);
    if (!p.ok) { fail(p); return; }
    await viewClassMembers({ id });
    say(t('member_removed', { id: uid, name: cls.name }));
  };
  const archive = async () => {
    const p = await api('PUT', `/classes/${enc(id)}`, { _rev: cls._rev, archived: !cls.archived });
    if (!p.ok) { fail(p); return; }
    await viewClassMembers({ id });
    say(t(cls.archived ? 'class_reopened' : 'class_archived', { name: cls.name }));
  };
  show(card(`${cls.name}（${cls.year}）`,
    h('p', {}, `${t(`kind_${cls.kind}`)} · ${cls.archived ? t('archived') : t('in_use')} `,
      h('button', { type: 'button', class: 'small secondary', onclick: archive },
        cls.archived ? t('reopen') : t('archive'))),
    cls.archived ? null : form,
    m.data.length === 0 ? empty('no_members') : h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['col_id', 'col_name', 'col_role', 'col_actions'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, m.data.map((x) => h('tr', {},
        h('td', {}, x.user_id), h('td', {}, x.name || ''), h('td', {}, t(`role_${x.role}`)),
        h('td', {}, cls.archived ? '' : h('button', { type: 'button', class: 'small secondary',
          onclick: () => remove(x.user_id) }, t('remove')))))))),
    h('div', { class: 'row' }, h('a', { href: '#/admin/classes', class: 'button secondary' }, t('back')))));
}

// ---- school and rollover -----------------------------------------------------

async function viewSchool() {
  const r = await api('GET', '/school');
  if (!r.ok && r.status !== 404) { fail(r); return; }
  const s = r.ok ? r.data : null;
  const form = h('form', { class: 'subcard', novalidate: true },
    h('h2', {}, t('school_settings')),
    field('sch-name', t('school_name'), { required: true, value: s ? s.name : '' }),
    field('sch-year', t('school_year'), { type: 'number', required: true, min: '2000', max: '2100',
      value: String(s ? s.year : new Date().getFullYear()), readonly: !!s }),
    field('sch-cutoff', t('absence_cutoff'), { type: 'time', value: s && s.absence_cutoff ? s.absence_cutoff : '' }),
    h('p', { class: 'note' }, t('cutoff_help')),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('save'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const body = { name: form.querySelector('#sch-name').value.trim() };
      const cutoff = form.querySelector('#sch-cutoff').value;
      if (cutoff) body.absence_cutoff = cutoff.slice(0, 5);
      if (s) body._rev = s._rev;
      else { body.year = Number(form.querySelector('#sch-year').value); body.state = 'active'; }
      const p = await api('PUT', '/school', body);
      if (!p.ok) { fail(p); return; }
      await viewSchool();
      say(t('school_saved'));
    });
  });
  const slot = h('div', {});
  const roll = s ? h('section', { class: 'subcard' },
    h('h2', {}, t('rollover_title')),
    h('p', {}, t('rollover_note', { from: s.year, to: s.year + 1 })),
    h('div', { class: 'row' }, h('button', { type: 'button', class: 'danger', onclick: () =>
      confirmInline(slot, t('rollover_confirm', { from: s.year, to: s.year + 1 }), t('rollover_do'), async () => {
        const p = await api('POST', '/school/rollover', { to_year: s.year + 1 });
        if (!p.ok) { fail(p); return; }
        await viewSchool();
        say(t('rollover_done', { to: p.data.to_year, created: p.data.created, archived: p.data.archived }));
      }) }, t('rollover_start'))), slot) : null;
  const end = s ? h('section', { class: 'subcard' }, h('h2', {}, t('term_title')),
    h('p', {}, t('term_state', { state: t(`school_state_${s.state}`) })),
    h('div', { class: 'row' }, h('a', { href: '#/termination', class: 'button secondary' }, t('nav_termination')))) : null;
  show(card(t('school_title'), form, roll, end, h('div', { class: 'row' }, backLink())));
}

// ---- notices -----------------------------------------------------------------

function localMs(v) { return v ? new Date(v).getTime() : 0; }   // datetime-local, this browser's zone

async function viewNotices() {
  const r = await api('GET', '/notices');
  if (!r.ok) { fail(r); return; }
  const list = [...(r.data.current || []).map((n) => ({ ...n, when: 'now' })),
    ...(r.data.upcoming || []).map((n) => ({ ...n, when: 'ahead' }))];
  const form = h('form', { class: 'subcard', novalidate: true },
    h('h2', {}, t('new_notice')),
    h('div', { class: 'row inline' },
      select('nt-kind', t('notice_kind_label'), [['maintenance', t('notice_maintenance')], ['incident', t('notice_incident')]]),
      select('nt-sev', t('severity'), [['', t('severity_default')], ['info', t('sev_info')], ['warning', t('sev_warning')], ['critical', t('sev_critical')]])),
    field('nt-ja', t('message_ja'), { maxlength: '500' }),
    field('nt-en', t('message_en'), { maxlength: '500' }),
    h('div', { class: 'row inline' },
      field('nt-start', t('starts'), { type: 'datetime-local' }),
      field('nt-end', t('ends'), { type: 'datetime-local' })),
    h('p', { class: 'note' }, t('notice_help')),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('post'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const body = { kind: form.querySelector('#nt-kind').value };
      const sev = form.querySelector('#nt-sev').value;
      const ja = form.querySelector('#nt-ja').value.trim();
      const en = form.querySelector('#nt-en').value.trim();
      const st = localMs(form.querySelector('#nt-start').value);
      const en2 = localMs(form.querySelector('#nt-end').value);
      if (!ja && !en) { say(t('notice_message_needed'), 'error'); return; }
      if (body.kind === 'maintenance' && (!st || !en2)) { say(t('notice_window_needed'), 'error'); return; }
      if (sev) body.severity = sev;
      if (ja) body.message_ja = ja;
      if (en) body.message_en = en;
      if (st) body.starts_ms = st;
      if (en2) body.ends_ms = en2;
      const p = await api('POST', '/notices', body);
      if (!p.ok) { fail(p); return; }
      await viewNotices();
      say(t('notice_posted'));
    });
  });
  const del = async (n) => {
    const p = await api('DELETE', `/notices/${enc(n._id)}`);
    if (!p.ok) { fail(p); return; }
    await viewNotices();
    say(t('notice_deleted'));
  };
  show(card(t('notices_title'), form,
    list.length === 0 ? empty('no_sysnotices') : h('ul', { class: 'plain' }, list.map((n) => h('li', {},
      h('strong', {}, `${t(`notice_${n.kind}`)} · ${t(`sev_${n.severity}`)} · ${n.when === 'now' ? t('in_force') : t('ahead')}`),
      ` ${n.message_ja || ''} / ${n.message_en || ''} `,
      h('span', { class: 'meta' }, `${fmtTime(n.starts_ms)}${n.ends_ms ? ` – ${fmtTime(n.ends_ms)}` : ''}`),
      n._id && n.source !== 'platform' ? h('button', { type: 'button', class: 'small secondary', onclick: () => del(n) }, t('delete')) : null))),
    h('div', { class: 'row' }, backLink())));
}

// ---- logs --------------------------------------------------------------------

const logState = { kind: 'ops', filters: {}, cursors: [''], page: 0 };

async function viewLogs({ kind }) {
  if (kind !== 'login' && kind !== 'ops') kind = 'ops';
  if (logState.kind !== kind) Object.assign(logState, { kind, filters: {}, cursors: [''], page: 0 });
  const f = logState.filters;
  const q = new URLSearchParams({ limit: String(LOG_PAGE) });
  for (const k of ['user', 'action', 'from', 'to']) if (f[k]) q.set(k, f[k]);
  if (logState.cursors[logState.page]) q.set('after', logState.cursors[logState.page]);
  const r = await api('GET', `/audit/${kind}?${q}`);
  if (!r.ok) { fail(r); return; }
  const toLocal = (ms) => { if (!ms) return ''; const d = new Date(Number(ms) - new Date().getTimezoneOffset() * 60000); return d.toISOString().slice(0, 16); };
  const form = h('form', { class: 'subcard filters', novalidate: true },
    h('div', { class: 'row inline' },
      field('log-user', t('log_user'), { value: f.user || '', autocapitalize: 'none', spellcheck: 'false' }),
      field('log-action', t('log_action'), { value: f.action || '', placeholder: kind === 'login' ? 'login' : 'attendance.create',
        autocapitalize: 'none', spellcheck: 'false' }),
      field('log-from', t('log_from'), { type: 'datetime-local', value: toLocal(f.from) }),
      field('log-to', t('log_to'), { type: 'datetime-local', value: toLocal(f.to) })),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('filter')),
      h('button', { type: 'button', class: 'secondary', onclick: () => {
        Object.assign(logState, { filters: {}, cursors: [''], page: 0 }); viewLogs({ kind });
      } }, t('clear_filters'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const from = localMs(form.querySelector('#log-from').value);
    const to = localMs(form.querySelector('#log-to').value);
    Object.assign(logState, { cursors: [''], page: 0, filters: {
      user: form.querySelector('#log-user').value.trim(),
      action: form.querySelector('#log-action').value.trim(),
      from: from ? String(from) : '', to: to ? String(to) : '' } });
    viewLogs({ kind });
  });
  const items = r.data.items;
  const pager = h('div', { class: 'row' },
    logState.page > 0 ? h('button', { type: 'button', class: 'secondary',
      onclick: () => { logState.page--; viewLogs({ kind }); } }, t('newer_page')) : null,
    r.data.next ? h('button', { type: 'button', class: 'secondary',
      onclick: () => { logState.cursors[logState.page + 1] = r.data.next; logState.page++; viewLogs({ kind }); } }, t('older_page')) : null);
  show(card(t(kind === 'login' ? 'log_login_title' : 'log_ops_title'),
    h('nav', { class: 'tabs', 'aria-label': t('nav_logs') },
      h('a', { href: '#/logs/login', 'aria-current': kind === 'login' ? 'page' : null }, t('log_login_title')),
      h('a', { href: '#/logs/ops', 'aria-current': kind === 'ops' ? 'page' : null }, t('log_ops_title'))),
    form,
    items.length === 0 ? empty('no_log_entries') : h('div', { class: 'table-wrap' }, h('table', { class: 'log' },
      h('thead', {}, h('tr', {}, ['log_time', 'log_clock', 'log_user', 'log_action', 'log_target', 'log_result', 'log_client']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, items.map((e) => h('tr', {},
        h('td', {}, fmtTime(e.time_ms)),
        h('td', {}, `${t(`clock_${e.time_state}`)} ±${e.error_ms} ms`),
        h('td', {}, e.actor), h('td', {}, e.action), h('td', {}, e.target),
        h('td', { class: e.result === 'ok' ? '' : 'bad' }, e.result), h('td', {}, e.client)))))),
    pager));
}

// ---- status ------------------------------------------------------------------

async function viewStatus() {
  const r = await api('GET', '/status');
  if (!r.ok) { fail(r); return; }
  const s = r.data;
  const row = (k, v) => h('tr', {}, h('th', { scope: 'row' }, t(k)), h('td', {}, v));
  show(card(t('status_title'),
    h('table', { class: 'kv' }, h('tbody', {},
      row('status_server', s.status === 'up' ? t('status_up') : s.status),
      row('status_version', s.version),
      // error_ms is left out when the box could not read its clock
      row('status_clock', h('span', { id: 'status-clock' }, Number.isFinite(s.time.error_ms)
        ? `${t(`clock_${s.time.state}`)} (±${s.time.error_ms} ms)`
        : t('status_clock_no_bound', { state: t(`clock_${s.time.state}`) }))),
      row('status_now', fmtTime(s.time.now_ms)),
      row('status_synced', s.time.synced_at_ms ? fmtTime(s.time.synced_at_ms) : t('never')),
      row('status_school', t(`school_state_${s.school.state}`)),
      s.disk ? row('status_disk', t('status_disk_value', { pct: s.disk.used_percent,
        free: fmtSize(s.disk.free_bytes), level: t(`disk_level_${s.disk.level}`) })) : null,
      row('status_notices', t('status_notice_counts', { now: (s.notices.current || []).length,
        ahead: (s.notices.upcoming || []).length })))),
    h('p', { class: 'note' }, t('status_public_note')),
    h('div', { class: 'row' }, h('a', { href: '#/sync', class: 'button secondary' }, t('nav_sync')),
      h('a', { href: '#/backups', class: 'button secondary' }, t('nav_backups')),
      h('a', { href: '#/sbom', class: 'button secondary' }, t('sbom_title'))),
    h('div', { class: 'row' }, h('a', { href: '/status', class: 'button secondary' }, t('status_public')), backLink())));
}

// The admin's pages here; the operations pages are registered by their own
// modules the same way (ops.js: sync, export, termination, SBOM; lan.js,
// update.js, backups.js, conflicts.js).
addPages([
  { path: '/users', nav: 'nav_users', when: is.admin, view: () => { Object.assign(users, { page: 0, cursors: [''], find: '' }); return viewUsers(); } },
  { path: '/users/new', when: is.admin, view: viewCreateUser },
  { path: '/import', nav: 'nav_import', when: is.admin, view: viewImport },
  { path: '/admin/classes', nav: 'nav_admin_classes', when: is.admin, view: viewClasses },
  { path: '/admin/class/:id', when: is.admin, view: viewClassMembers },
  { path: '/school', nav: 'nav_school', when: is.admin, view: viewSchool },
  { path: '/notices', nav: 'nav_notices', when: is.admin, view: viewNotices },
  { path: '/logs', nav: 'nav_logs', when: is.admin, view: () => viewLogs({ kind: 'ops' }) },
  { path: '/logs/:kind', when: is.admin, view: viewLogs },
  { path: '/status', nav: 'nav_status', when: is.admin, view: viewStatus },
]);
