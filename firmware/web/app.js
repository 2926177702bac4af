// app.js: the classbox web UI. A small single-page app: hash routes,
// DOM built with h() (never innerHTML, so no user data becomes markup),
// every action ends in a message in words.
import { strings } from './i18n.js';

const API = '/api/v1';
const LANG_KEY = 'cb_lang';
const PAGE_SIZE = 20;
const state = { lang: 'ja', me: null, csrf: '', cursors: [''], page: 0 };

// ---- language -------------------------------------------------------

function pickLang() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === 'ja' || saved === 'en') return saved;
  const nav = (navigator.language || 'ja').toLowerCase();
  return nav.startsWith('en') ? 'en' : 'ja';
}

function t(key, params = {}) {
  const s = strings[state.lang][key] ?? strings.ja[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ''));
}

function setLang(lang) {
  state.lang = lang;
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
  document.title = t('app_title');
  for (const b of document.querySelectorAll('[data-lang]'))
    b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
}

// ---- DOM helpers ----------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat())
    if (c != null && c !== false) el.append(c);
  return el;
}

function field(id, label, attrs = {}) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, name: id, ...attrs }));
}

function show(...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes);
  const title = main.querySelector('h1');
  if (title) { title.tabIndex = -1; title.focus(); }
}

function say(text, kind = 'ok') {
  const msg = document.getElementById('msg');
  msg.className = `msg ${kind}`;
  msg.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  msg.textContent = text;
}

function clearMsg() { say('', 'none'); }

// ---- API --------------------------------------------------------------

async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = state.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(API + path, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, message: t('network_error') };
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.ok) return { ok: true, status: res.status, data };
  const err = data && data.error;
  if (err && err.code === 'not_logged_in') return sessionLost();
  if (err && err.code === 'password_change_required') {
    state.me && (state.me.must_change_password = true);
    viewPassword(true);
  }
  const message = err ? (state.lang === 'ja' ? err.message_ja : err.message)
    : t('unexpected', { status: res.status });
  return { ok: false, status: res.status, code: err && err.code, message };
}

function sessionLost() {
  state.me = null;
  state.csrf = '';
  viewLogin();
  say(t('session_expired'), 'error');
  return { ok: false, status: 401, code: 'not_logged_in', handled: true };
}

function fail(r) { if (!r.handled) say(r.message, 'error'); }

async function loadMe() {
  const r = await api('GET', '/me');
  if (!r.ok) return r.handled ? null : (fail(r), null);
  state.me = r.data.user;
  state.csrf = r.data.csrf_token;
  return state.me;
}

// ---- views ------------------------------------------------------------

function viewLogin() {
  const form = h('form', { class: 'card', novalidate: true },
    h('h1', {}, t('login_title')),
    field('login-user', t('user_id'), { autocomplete: 'username', required: true,
      autocapitalize: 'none', spellcheck: 'false' }),
    field('login-password', t('password'), { type: 'password', required: true,
      autocomplete: 'current-password' }),
    h('button', { type: 'submit' }, t('login')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const user = form.querySelector('#login-user').value.trim();
    const pw = form.querySelector('#login-password');
    say(t('logging_in'), 'info');
    const r = await api('POST', '/login', { user, password: pw.value });
    pw.value = '';
    if (!r.ok) { fail(r); pw.focus(); return; }
    state.me = r.data.user;
    state.csrf = r.data.csrf_token;
    clearMsg();
    route();
  });
  show(form);
}

function viewPassword(forced) {
  const form = h('form', { class: 'card', novalidate: true },
    h('h1', {}, t('pw_title')),
    forced ? h('p', { class: 'note' }, t('pw_forced')) : null,
    field('pw-old', t('pw_current'), { type: 'password', required: true,
      autocomplete: 'current-password' }),
    field('pw-new', t('pw_new'), { type: 'password', required: true,
      autocomplete: 'new-password', minlength: '8' }),
    field('pw-confirm', t('pw_confirm'), { type: 'password', required: true,
      autocomplete: 'new-password', minlength: '8' }),
    h('div', { class: 'row' },
      h('button', { type: 'submit' }, t('pw_change')),
      forced ? h('button', { type: 'button', class: 'secondary', onclick: logout }, t('logout'))
        : h('a', { href: '#/', class: 'button secondary' }, t('back_home'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const [o, n, c] = ['#pw-old', '#pw-new', '#pw-confirm'].map((s) => form.querySelector(s));
    if (n.value !== c.value) { say(t('pw_mismatch'), 'error'); c.focus(); return; }
    if ([...n.value].length < 8) { say(t('pw_short'), 'error'); n.focus(); return; }
    const r = await api('POST', '/password', { old_password: o.value, new_password: n.value });
    if (!r.ok) { fail(r); return; }
    for (const i of [o, n, c]) i.value = '';
    await loadMe();
    goHome();
    say(t('pw_changed'));
  });
  show(form);
}

function viewHome() {
  const me = state.me;
  show(h('section', { class: 'card' },
    h('h1', {}, t('home_title')),
    h('p', {}, t('signed_in_as', { name: me.name, id: me.id, role: t(`role_${me.role}`) }),
      me.admin ? h('span', { class: 'badge' }, t('admin_badge')) : null),
    h('div', { class: 'row' },
      me.admin ? h('a', { href: '#/users', class: 'button' }, t('manage_users')) : null,
      h('a', { href: '#/password', class: 'button secondary' }, t('change_password')),
      h('button', { type: 'button', class: 'secondary', onclick: logout }, t('logout')))));
}

async function logout() {
  const r = await api('POST', '/logout');
  if (!r.ok) { fail(r); return; }
  state.me = null;
  state.csrf = '';
  goHome();
  say(t('logged_out'));
}

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

const ACTIONS = [
  { op: 'suspend', when: (u) => u.state === 'active' },
  { op: 'reactivate', when: (u) => u.state === 'suspended' },
  { op: 'reset-password', label: 'reset_password', when: (u) => u.state === 'active',
    confirm: 'confirm_reset', done: 'done_reset' },
  { op: 'grant-admin', when: (u) => !u.admin && u.role === 'teacher' },
  { op: 'revoke-admin', when: (u) => u.admin },
  { op: 'delete', when: (u) => u.state !== 'deleted', confirm: 'confirm_delete', danger: true },
];

async function userAction(a, u, panelSlot) {
  if (a.confirm && !window.confirm(t(a.confirm, { id: u.id }))) return;
  const path = `/users/${encodeURIComponent(u.id)}`;
  const r = a.op === 'delete' ? await api('DELETE', path) : await api('POST', `${path}/${a.op}`);
  if (!r.ok) { fail(r); return; }
  await viewUsers(false);
  const key = a.done || `done_${a.op.replace('-', '_')}`;
  if (r.data && r.data.initial_password)
    document.getElementById('panel-slot')
      .replaceChildren(initialPasswordPanel(u.id, r.data.initial_password));
  say(t(key, { id: u.id }));
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

async function viewUsers(focus = true) {
  const after = state.cursors[state.page] || '';
  const q = `?limit=${PAGE_SIZE}` + (after ? `&after=${encodeURIComponent(after)}` : '');
  const r = await api('GET', `/users${q}`);
  if (!r.ok) { fail(r); return; }
  const { users, next } = r.data;
  const table = users.length === 0 ? h('p', {}, t('no_users')) :
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['col_id', 'col_name', 'col_role', 'col_state', 'col_admin', 'col_actions']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, users.map(userRow))));
  const pager = h('div', { class: 'row' },
    state.page > 0 ? h('button', { type: 'button', class: 'secondary',
      onclick: () => { state.page--; viewUsers(); } }, t('prev_page')) : null,
    next ? h('button', { type: 'button', class: 'secondary',
      onclick: () => { state.cursors[state.page + 1] = next; state.page++; viewUsers(); } }, t('next_page')) : null);
  const slot = h('div', { id: 'panel-slot' });
  const nodes = [h('section', { class: 'card wide' },
    h('h1', {}, t('users_title')),
    h('div', { class: 'row' },
      h('a', { href: '#/users/new', class: 'button' }, t('new_user')),
      h('a', { href: '#/', class: 'button secondary' }, t('back_home'))),
    slot, table, pager)];
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
    h('div', { class: 'field' },
      h('label', { for: 'new-role' }, t('role')),
      h('select', { id: 'new-role', name: 'new-role' },
        roles.map((r) => h('option', { value: r }, t(`role_${r}`))))),
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

// ---- routing ----------------------------------------------------------

// Shows #/ now. Setting location.hash would fire hashchange a moment later,
// whose clearMsg() would wipe the message said right after this.
function goHome() {
  if (location.hash !== '#/') history.pushState(null, '', '#/');
  route();
}

function route() {
  document.body.classList.remove('has-secret');
  if (!state.me) return viewLogin();
  if (state.me.must_change_password) return viewPassword(true);
  const hash = location.hash || '#/';
  if (hash === '#/password') return viewPassword(false);
  if (state.me.admin && hash === '#/users') { state.page = 0; state.cursors = ['']; return viewUsers(); }
  if (state.me.admin && hash === '#/users/new') return viewCreateUser();
  return viewHome();
}

async function start() {
  setLang(pickLang());
  for (const b of document.querySelectorAll('[data-lang]'))
    b.addEventListener('click', () => { setLang(b.dataset.lang); clearMsg(); route(); });
  window.addEventListener('hashchange', () => { clearMsg(); route(); });
  const r = await api('GET', '/me');
  if (r.ok) { state.me = r.data.user; state.csrf = r.data.csrf_token; }
  if (r.ok || r.status === 401) { if (!r.handled) route(); clearMsg(); return; }
  fail(r);
}

start();
