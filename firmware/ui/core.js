// core.js: what every page of the classbox UI shares: the language, the
// DOM builder h() (never innerHTML, so no user data becomes markup), the
// message line, the API client (JSON and file uploads), dates in school
// time, and the page table that app.js routes through.
import { strings } from './i18n.js';

export const API = '/api/v1';
const LANG_KEY = 'cb_lang';
export const LIST_MAX = 100;       // the API's page limit for lists
const LIST_PAGES_MAX = 20;         // listAll stops after this many pages
export const FILE_MAX = 768000;    // REC_FILE_MAX: the box's file limit
export const TZ = 'Asia/Tokyo';    // dates and due dates are school time

export const state = { lang: 'ja', me: null, csrf: '', school_state: 'active' };

// Set by app.js: what to do when the session is gone or a password change
// is required, without core.js importing the views.
// refresh: redraw the menu and the banners (after the school's state changed).
export const hooks = { sessionLost: () => {}, mustChange: () => {}, refresh: () => {} };

// ---- language -------------------------------------------------------

export function pickLang() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === 'ja' || saved === 'en') return saved;
  // navigator.languages follows the browser's Accept-Language
  const nav = ((navigator.languages && navigator.languages[0]) || navigator.language || 'ja')
    .toLowerCase();
  return nav.startsWith('en') ? 'en' : 'ja';
}

export function t(key, params = {}) {
  const s = strings[state.lang][key] ?? strings.ja[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ''));
}

export function setLang(lang) {
  state.lang = lang;
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
  document.title = t('app_title');
  for (const b of document.querySelectorAll('[data-lang]'))
    b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
}

// ---- DOM helpers ----------------------------------------------------

export function h(tag, attrs = {}, ...children) {
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

export function field(id, label, attrs = {}) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, name: id, ...attrs }));
}

export function textarea(id, label, attrs = {}) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('textarea', { id, name: id, rows: '4', ...attrs }));
}

export function select(id, label, options, attrs = {}) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('select', { id, name: id, ...attrs },
      options.map(([v, text]) => h('option', { value: v }, text))));
}

// The page: replaces #main and moves focus to its heading, so that a
// screen reader announces the new page and Tab starts from the top.
export function show(...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes);
  const title = main.querySelector('h1');
  if (title) { title.tabIndex = -1; title.focus(); }
}

export function say(text, kind = 'ok') {
  const msg = document.getElementById('msg');
  msg.className = `msg ${kind}`;
  msg.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  msg.textContent = text;
}

export function clearMsg() { say('', 'none'); }

export function fail(r) { if (!r.handled) say(r.message, 'error'); }

export function card(title, ...children) {
  return h('section', { class: 'card wide' }, h('h1', {}, title), ...children);
}

export function backLink(href = '#/', key = 'back_home') {
  return h('a', { href, class: 'button secondary' }, t(key));
}

export function empty(key) { return h('p', { class: 'note' }, t(key)); }

// ---- the API --------------------------------------------------------

function errorOf(status, data) {
  const err = data && data.error;
  if (err && err.code === 'not_logged_in') {
    hooks.sessionLost();
    return { ok: false, status, code: err.code, handled: true };
  }
  if (err && err.code === 'password_change_required') {
    if (state.me) state.me.must_change_password = true;
    hooks.mustChange();
  }
  const message = err ? (state.lang === 'ja' ? err.message_ja : err.message)
    : t('unexpected', { status });
  return { ok: false, status, code: err && err.code, field: err && err.field, message };
}

export async function api(method, path, body) {
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
  return errorOf(res.status, data);
}

// Sends BLOB as the raw body (a file upload or a CSV), with progress
// (fetch reports none): onProgress(fraction) as the bytes go out.
export function upload(path, blob, contentType, onProgress) {
  return new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open('POST', API + path);
    x.setRequestHeader('X-CSRF-Token', state.csrf);
    x.setRequestHeader('Content-Type', contentType);
    x.responseType = 'text';
    if (onProgress) {
      x.upload.addEventListener('progress', (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      });
    }
    x.addEventListener('load', () => {
      let data = null;
      try { data = x.responseText ? JSON.parse(x.responseText) : null; } catch { data = null; }
      if (x.status >= 200 && x.status < 300) resolve({ ok: true, status: x.status, data });
      else resolve(errorOf(x.status, data));
    });
    x.addEventListener('error', () => resolve({ ok: false, status: 0, message: t('network_error') }));
    x.addEventListener('timeout', () => resolve({ ok: false, status: 0, message: t('network_error') }));
    x.send(blob);
  });
}

// Every item of a cursor-paged list (at most LIST_PAGES_MAX pages).
export async function listAll(path) {
  const sep = path.includes('?') ? '&' : '?';
  const items = [];
  let after = '';
  for (let i = 0; i < LIST_PAGES_MAX; i++) {
    const r = await api('GET', `${path}${sep}limit=${LIST_MAX}` +
      (after ? `&after=${encodeURIComponent(after)}` : ''));
    if (!r.ok) return r;
    items.push(...r.data.items);
    if (!r.data.next || r.data.items.length === 0) break;
    after = r.data.next;
  }
  return { ok: true, data: items };
}

export const enc = encodeURIComponent;

// ---- time -----------------------------------------------------------

// YYYY-MM-DD of now (or ms) in school time
export function schoolDate(ms = Date.now()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric',
    month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

export function fmtTime(ms) {
  if (!ms) return '';
  return new Date(ms).toLocaleString(state.lang === 'ja' ? 'ja-JP' : 'en-GB',
    { timeZone: TZ, dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtDate(ymd) {
  if (!ymd) return '';
  const [y, m, d] = ymd.split('-').map(Number);
  const dt = new Date(Date.UTC(y, m - 1, d, 3));
  return dt.toLocaleDateString(state.lang === 'ja' ? 'ja-JP' : 'en-GB',
    { timeZone: TZ, year: 'numeric', month: 'short', day: 'numeric', weekday: 'short' });
}

export function fmtSize(n) {
  return n >= 1024 * 1024 ? `${(n / 1048576).toFixed(1)} MB`
    : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} B`;
}

// ---- pages ----------------------------------------------------------

// The page table. Each area's module registers its pages:
//   { path: '/class/:id/attendance',   the hash after '#', ':x' a parameter
//     view: async (params) => {...},   draws the page (show(...))
//     when: (me) => bool,              who may open it (the API decides
//                                      again; this only hides the page)
//     nav: 'nav_key' }                 optional: a link in the top menu
// Adding a page is one entry; app.js needs no change.
export const pages = [];

export function addPages(list) { pages.push(...list); }

export const is = {
  admin: (me) => !!me.admin,
  teacher: (me) => me.role === 'teacher',
  student: (me) => me.role === 'student',
  parent: (me) => me.role === 'parent',
};

// A file link: the file's bytes come from the API, with the session cookie.
export function fileLink(a) {
  return h('a', { href: `${API}/files/${enc(a.id)}`, download: a.name },
    `${a.name} (${fmtSize(a.size)})`);
}

// A person's name with the id, for lists.
export function who(names, uid) {
  const n = names && names.get(uid);
  return n ? `${n}（${uid}）` : uid;
}

// A progress bar for uploads, with its label for screen readers.
export function progressBar(id, labelKey) {
  const bar = h('progress', { id, max: '100', value: '0', 'aria-label': t(labelKey) });
  bar.hidden = true;
  return bar;
}

// Calls FN every MS while EL is on the page; stops when the page changed
// (EL gone) or FN returns false. For countdowns and progress polls.
// The next call waits for the previous one to end.
export function every(el, ms, fn) {
  let stopped = false;
  const tick = async () => {
    if (stopped || !document.body.contains(el)) return;
    if ((await fn()) === false) return;
    setTimeout(tick, ms);
  };
  setTimeout(tick, ms);
  return () => { stopped = true; };
}

// Disables the form's buttons while FN runs: no double posts on a slow link.
export async function busy(form, fn) {
  const buttons = [...form.querySelectorAll('button')];
  for (const b of buttons) b.disabled = true;
  try { return await fn(); } finally { for (const b of buttons) b.disabled = false; }
}
