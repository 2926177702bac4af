// app.js: the classbox web UI's entry point. Logs in, holds a first login
// at the password change, resets a password with a one-time code, shows
// the school's notices and the menu, and routes #/... to the pages that the
// area modules (admin.js, teacher.js, student.js, parent.js) register in
// core.js's page table. Every action ends in a message in words.
import {
  state, hooks, t, h, field, show, say, clearMsg, fail, api, pages, setLang, pickLang,
  fmtTime, fmtSize,
} from './core.js';
import './admin.js';
import './teacher.js';
import './student.js';
import './parent.js';
import './ops.js';
import './lan.js';
import './conflicts.js';
import './update.js';
import './backups.js';

// ---- session --------------------------------------------------------

function sessionLost() {
  state.me = null;
  state.csrf = '';
  drawChrome();
  viewLogin();
  say(t('session_expired'), 'error');
}

hooks.sessionLost = sessionLost;
hooks.mustChange = () => viewPassword(true);
hooks.refresh = () => { drawChrome(); drawBanners(); };

async function loadMe() {
  const r = await api('GET', '/me');
  if (!r.ok) return r.handled ? null : (fail(r), null);
  state.me = r.data.user;
  state.csrf = r.data.csrf_token;
  state.school_state = r.data.school_state || 'active';
  state.disk = r.data.disk || null;
  return state.me;
}

async function logout() {
  const r = await api('POST', '/logout');
  if (!r.ok) { fail(r); return; }
  state.me = null;
  state.csrf = '';
  goHome();
  say(t('logged_out'));
}

// ---- the menu and the banners -----------------------------------------

function visiblePages() {
  const me = state.me;
  if (!me || me.must_change_password) return [];
  return pages.filter((p) => p.nav && p.when(me));
}

function drawChrome() {
  const nav = document.getElementById('nav');
  const links = visiblePages().map((p) =>
    h('a', { href: `#${p.path}`, 'data-nav': p.path }, t(p.nav)));
  nav.replaceChildren(...links);
  nav.hidden = links.length === 0;
  markNav();
  const out = document.getElementById('logout');
  out.hidden = !state.me;
  out.textContent = t('logout');
}

function markNav() {
  const hash = (location.hash || '#/').slice(1);
  for (const a of document.querySelectorAll('#nav a')) {
    const p = a.dataset.nav;
    if (hash === p || hash.startsWith(`${p}/`)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// The data partition filling (GET /status, disk): admins only.
function diskBanner(d) {
  if (!state.me.admin || !d || !d.level || d.level === 'ok') return null;
  return h('p', { class: `banner ${d.level === 'warn' ? 'warning' : 'critical'}`, 'data-banner': 'disk' },
    h('strong', {}, t('disk_banner_title')), ' ',
    t(`disk_${d.level}`, { pct: d.used_percent, free: fmtSize(d.free_bytes || 0) }));
}

// Notices in force (maintenance, incidents) and the school's state, on every
// page after login; maintenance windows ahead are shown too. The school's
// state and the disk come from the public GET /status, read at each page.
async function drawBanners() {
  const box = document.getElementById('banners');
  if (!state.me || state.me.must_change_password) { box.replaceChildren(); return; }
  const [r, st] = await Promise.all([api('GET', '/notices'), api('GET', '/status')]);
  if (!state.me) return;
  if (st.ok && st.data.school) state.school_state = st.data.school.state;
  const items = [];
  if (state.school_state === 'terminating')
    items.push(h('p', { class: 'banner critical', 'data-banner': 'terminating' }, t('school_terminating')));
  const disk = diskBanner(st.ok ? st.data.disk : state.disk);
  if (disk) items.push(disk);
  if (r.ok) {
    const text = (n) => (state.lang === 'ja' ? n.message_ja || n.message_en
      : n.message_en || n.message_ja) || '';
    for (const n of r.data.current || [])
      items.push(h('p', { class: `banner ${n.severity || 'info'}` },
        h('strong', {}, t(`notice_${n.kind}`)), ' ', text(n),
        n.ends_ms ? ` (${t('until_time', { time: fmtTime(n.ends_ms) })})` : ''));
    for (const n of r.data.upcoming || [])
      items.push(h('p', { class: 'banner info' },
        h('strong', {}, t('notice_upcoming')), ' ', text(n),
        ` (${fmtTime(n.starts_ms)} – ${fmtTime(n.ends_ms)})`));
  }
  box.replaceChildren(...items);
}

// ---- views ------------------------------------------------------------

function viewLogin() {
  const form = h('form', { class: 'card', novalidate: true },
    h('h1', {}, t('login_title')),
    field('login-user', t('user_id'), { autocomplete: 'username', required: true,
      autocapitalize: 'none', spellcheck: 'false' }),
    field('login-password', t('password'), { type: 'password', required: true,
      autocomplete: 'current-password' }),
    h('div', { class: 'row' },
      h('button', { type: 'submit' }, t('login')),
      h('a', { href: '#/reset', class: 'button secondary' }, t('reset_link'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const user = form.querySelector('#login-user').value.trim();
    const pw = form.querySelector('#login-password');
    if (!user || !pw.value) { say(t('login_missing'), 'error'); return; }
    say(t('logging_in'), 'info');
    const r = await api('POST', '/login', { user, password: pw.value });
    pw.value = '';
    if (!r.ok) { fail(r); pw.focus(); return; }
    state.me = r.data.user;
    state.csrf = r.data.csrf_token;
    await loadMe();
    clearMsg();
    goHome();
  });
  show(form);
}

function passwordChecks(n, c) {
  if (n.value !== c.value) { say(t('pw_mismatch'), 'error'); c.focus(); return false; }
  // Code points, as the box counts them (password_check in auth).
  const len = [...n.value].length;
  if (len < 8 || len > 64) { say(t('pw_short'), 'error'); n.focus(); return false; }
  return true;
}

function viewPassword(forced) {
  drawChrome();
  const form = h('form', { class: 'card', novalidate: true },
    h('h1', {}, t('pw_title')),
    forced ? h('p', { class: 'note' }, t('pw_forced')) : null,
    field('pw-old', t('pw_current'), { type: 'password', required: true,
      autocomplete: 'current-password' }),
    field('pw-new', t('pw_new'), { type: 'password', required: true,
      autocomplete: 'new-password', minlength: '8' }),
    h('p', { class: 'note', id: 'pw-rules' }, t('pw_rules')),
    field('pw-confirm', t('pw_confirm'), { type: 'password', required: true,
      autocomplete: 'new-password', minlength: '8' }),
    h('div', { class: 'row' },
      h('button', { type: 'submit' }, t('pw_change')),
      forced ? null : h('a', { href: '#/', class: 'button secondary' }, t('back_home'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const [o, n, c] = ['#pw-old', '#pw-new', '#pw-confirm'].map((s) => form.querySelector(s));
    if (!passwordChecks(n, c)) return;
    const r = await api('POST', '/password', { old_password: o.value, new_password: n.value });
    if (!r.ok) { fail(r); return; }
    for (const i of [o, n, c]) i.value = '';
    await loadMe();
    goHome();
    say(t('pw_changed'));
  });
  show(form);
}

// Password reset with the one-time code a teacher or admin read out.
function viewReset() {
  const form = h('form', { class: 'card', novalidate: true },
    h('h1', {}, t('reset_title')),
    h('p', { class: 'note' }, t('reset_note')),
    field('reset-user', t('user_id'), { autocomplete: 'username', required: true,
      autocapitalize: 'none', spellcheck: 'false' }),
    h('p', { class: 'note' }, t('reset_ask_note')),
    h('div', { class: 'row' },
      h('button', { type: 'button', id: 'reset-request', class: 'secondary' },
        t('reset_ask_platform'))),
    field('reset-code', t('reset_code'), { required: true, autocomplete: 'one-time-code',
      autocapitalize: 'characters', spellcheck: 'false' }),
    field('reset-new', t('pw_new'), { type: 'password', required: true,
      autocomplete: 'new-password', minlength: '8' }),
    h('p', { class: 'note' }, t('pw_rules')),
    field('reset-confirm', t('pw_confirm'), { type: 'password', required: true,
      autocomplete: 'new-password', minlength: '8' }),
    h('div', { class: 'row' },
      h('button', { type: 'submit' }, t('reset_submit')),
      h('a', { href: '#/', class: 'button secondary' }, t('back_login'))));
  // Online: a request the sync carries to the platform, which sends the
  // code by its own channel. The answer is the same for every user id.
  form.querySelector('#reset-request').addEventListener('click', async () => {
    const u = form.querySelector('#reset-user');
    if (!u.value.trim()) { say(t('reset_ask_missing'), 'error'); return; }
    const r = await api('POST', '/password/reset-request', { user: u.value.trim() });
    if (!r.ok) { say(r.message, 'error'); return; }
    say(t('reset_ask_sent'));
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const [u, code, n, c] = ['#reset-user', '#reset-code', '#reset-new', '#reset-confirm']
      .map((s) => form.querySelector(s));
    if (!u.value.trim() || !code.value.trim()) { say(t('reset_missing'), 'error'); return; }
    if (!passwordChecks(n, c)) return;
    const r = await api('POST', '/password/reset',
      { user: u.value.trim(), code: code.value.trim(), new_password: n.value });
    if (!r.ok) {
      say(r.code === 'login_failed' ? t('reset_failed') : r.message, 'error');
      return;
    }
    for (const i of [code, n, c]) i.value = '';
    goHome();
    say(t('reset_done'));
  });
  show(form);
}

function viewHome() {
  const me = state.me;
  const tiles = visiblePages().map((p) =>
    h('a', { href: `#${p.path}`, class: 'tile' }, t(p.nav)));
  show(h('section', { class: 'card wide' },
    h('h1', {}, t('home_title')),
    h('p', {}, t('signed_in_as', { name: me.name, id: me.id, role: t(`role_${me.role}`) }),
      me.admin ? h('span', { class: 'badge' }, t('admin_badge')) : null),
    h('nav', { class: 'tiles', 'aria-label': t('menu') }, tiles),
    h('div', { class: 'row' },
      h('a', { href: '#/password', class: 'button secondary' }, t('change_password')))));
}

// ---- routing ----------------------------------------------------------

function match(pattern, path) {
  const a = pattern.split('/');
  const b = path.split('/');
  if (a.length !== b.length) return null;
  const params = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(':')) {
      if (!b[i]) return null;
      try { params[a[i].slice(1)] = decodeURIComponent(b[i]); } catch { return null; }
    } else if (a[i] !== b[i]) return null;
  }
  return params;
}

// Shows #/ now. Setting location.hash would fire hashchange a moment later,
// whose clearMsg() would wipe the message said right after this.
function goHome() {
  if (location.hash !== '#/') history.pushState(null, '', '#/');
  route();
}

function route() {
  document.body.classList.remove('has-secret');
  drawChrome();
  const hash = (location.hash || '#/').slice(1) || '/';
  if (!state.me) return hash === '/reset' ? viewReset() : viewLogin();
  if (state.me.must_change_password) return viewPassword(true);
  drawBanners();
  if (hash === '/password') return viewPassword(false);
  for (const p of pages) {
    const params = match(p.path, hash);
    if (params && p.when(state.me)) return p.view(params);
  }
  return viewHome();
}

async function start() {
  setLang(pickLang());
  for (const b of document.querySelectorAll('[data-lang]'))
    b.addEventListener('click', () => { setLang(b.dataset.lang); clearMsg(); route(); });
  document.getElementById('logout').addEventListener('click', logout);
  // The skip link must not become a route: move focus to the page instead.
  document.querySelector('.skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    document.getElementById('main').focus();
  });
  window.addEventListener('hashchange', () => { clearMsg(); route(); });
  const r = await api('GET', '/me');
  if (r.ok) {
    state.me = r.data.user;
    state.csrf = r.data.csrf_token;
    state.school_state = r.data.school_state || 'active';
  }
  if (r.ok || r.status === 401) { if (!r.handled) route(); clearMsg(); return; }
  fail(r);
}

start();
