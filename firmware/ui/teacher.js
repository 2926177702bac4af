// teacher.js: a teacher's pages. My classes; per class the roster (with
// guidance notes and reset codes for a homeroom), attendance in one tap
// per student, announcements with read receipts (見ました), assignments
// with attachments and their submissions; the day's absence notices.
import {
  state, t, h, field, textarea, select, show, say, fail, api, upload, listAll, enc,
  schoolDate, fmtTime, fmtDate, fmtSize, addPages, is, card, backLink, empty, fileLink,
  who, progressBar, busy, FILE_MAX,
} from './core.js';

const STATUSES = ['present', 'absent', 'late', 'early_leave'];
const PERIOD_MAX = 12;                  // REC_PERIOD_MAX
const DRAFT_PREFIX = 'cb_roll:';        // unsaved roll calls, per class/date/period
export const UPLOAD_TYPES = {           // what the box accepts (files.c)
  'image/jpeg': /\.jpe?g$/i, 'image/png': /\.png$/i, 'image/heic': /\.hei[cf]$/i,
  'application/pdf': /\.pdf$/i, 'text/plain': /\.txt$/i, 'application/json': /\.json$/i,
};

// The content type the box will check the bytes against, or null.
export function uploadType(file) {
  if (UPLOAD_TYPES[file.type]) return file.type;
  for (const [type, re] of Object.entries(UPLOAD_TYPES)) if (re.test(file.name)) return type;
  return null;
}

// Checks FILE before sending it: the box would refuse it anyway, but a
// message now saves a slow upload on a busy classroom network.
export function fileProblem(file) {
  if (!uploadType(file)) return t('file_type_bad', { name: file.name });
  if (file.size > FILE_MAX) return t('file_too_big', { name: file.name, size: fmtSize(file.size), max: fmtSize(FILE_MAX) });
  if (file.size === 0) return t('file_empty', { name: file.name });
  return null;
}

// Uploads FILE for FOR (assignment:<id> or submission:<assignment id>),
// showing progress in BAR. Resolves to the API's answer.
export async function sendFile(file, forId, bar) {
  bar.hidden = false;
  bar.value = 0;
  const r = await upload(`/files?for=${enc(forId)}&name=${enc(file.name)}`, file,
    uploadType(file), (f) => { bar.value = Math.round(f * 100); });
  if (r.ok) bar.value = 100;
  else bar.hidden = true;
  return r;
}

// ---- data ---------------------------------------------------------------

async function loadClass(id) {
  const r = await api('GET', `/classes/${enc(id)}`);
  if (!r.ok) { fail(r); return null; }
  return r.data;
}

// The class's members: { students: [...], teachers: [...], names: Map }
export async function loadMembers(cid) {
  const r = await listAll(`/classes/${enc(cid)}/members`);
  if (!r.ok) { fail(r); return null; }
  const names = new Map(r.data.map((m) => [m.user_id, m.name || m.user_id]));
  const byId = (a, b) => a.user_id.localeCompare(b.user_id);
  return {
    students: r.data.filter((m) => m.role === 'student').sort(byId),
    teachers: r.data.filter((m) => m.role === 'teacher').sort(byId),
    names,
  };
}

function classTabs(cls, current) {
  const id = enc(cls._id);
  const tabs = [['', 'tab_roster'], ['/attendance', 'tab_attendance'],
    ['/announcements', 'tab_announcements'], ['/assignments', 'tab_assignments']];
  return h('nav', { class: 'tabs', 'aria-label': cls.name },
    tabs.map(([suffix, key]) => h('a', { href: `#/class/${id}${suffix}`,
      'aria-current': suffix === current ? 'page' : null }, t(key))));
}

function classTitle(cls, key) { return `${cls.name} — ${t(key)}`; }

// ---- my classes ------------------------------------------------------------

async function viewClasses() {
  const r = await listAll('/classes');
  if (!r.ok) { fail(r); return; }
  const classes = r.data.filter((c) => !c.archived || state.me.admin)
    .sort((a, b) => a.code.localeCompare(b.code));
  show(card(t('classes_title'),
    classes.length === 0 ? empty('no_classes') : h('ul', { class: 'cards' },
      classes.map((c) => h('li', { class: 'class-card' },
        h('h2', {}, c.name), h('p', { class: 'note' }, `${t(`kind_${c.kind}`)} · ${c.year}`,
          c.archived ? ` · ${t('archived')}` : ''),
        h('div', { class: 'row' },
          h('a', { href: `#/class/${enc(c._id)}/attendance`, class: 'button' }, t('tab_attendance')),
          h('a', { href: `#/class/${enc(c._id)}/announcements`, class: 'button secondary' }, t('tab_announcements')),
          h('a', { href: `#/class/${enc(c._id)}/assignments`, class: 'button secondary' }, t('tab_assignments')),
          h('a', { href: `#/class/${enc(c._id)}`, class: 'button secondary' }, t('tab_roster')))))),
    h('div', { class: 'row' }, backLink())));
}

// ---- roster ----------------------------------------------------------------

function codePanel(uid, name, code, expires) {
  const panel = h('section', { class: 'card printable', 'aria-labelledby': 'code-title' },
    h('h2', { id: 'code-title' }, t('reset_code_for', { name, id: uid })),
    h('p', { class: 'secret', lang: 'en' }, code),
    h('p', { class: 'note' }, t('reset_code_note', { time: fmtTime(expires) })),
    h('div', { class: 'row no-print' },
      h('button', { type: 'button', onclick: () => window.print() }, t('print')),
      h('button', { type: 'button', class: 'secondary',
        onclick: () => { panel.remove(); document.body.classList.remove('has-secret'); } }, t('close'))));
  document.body.classList.add('has-secret');
  return panel;
}

async function issueCode(uid, name) {
  const r = await api('POST', `/users/${enc(uid)}/reset-code`);
  if (!r.ok) { fail(r); return; }
  document.getElementById('panel-slot').replaceChildren(
    codePanel(uid, name, r.data.code, r.data.expires_ms));
  say(t('reset_code_issued', { name }));
}

async function viewRoster({ id }) {
  const [cls, members] = [await loadClass(id), await loadMembers(id)];
  if (!cls || !members) return;
  const homeroom = cls.kind === 'homeroom';
  const rows = members.students.map((m) => h('tr', {},
    h('td', {}, m.user_id), h('td', {}, m.name || ''),
    h('td', { class: 'actions' },
      h('a', { href: `#/student/${enc(m.user_id)}/attendance`, class: 'button small secondary' }, t('attendance_history')),
      homeroom ? h('a', { href: `#/student/${enc(m.user_id)}/notes`, class: 'button small secondary' }, t('guidance_notes')) : null,
      homeroom ? h('button', { type: 'button', class: 'small secondary',
        onclick: () => issueCode(m.user_id, m.name || m.user_id) }, t('issue_reset_code')) : null)));
  show(card(classTitle(cls, 'tab_roster'), classTabs(cls, ''),
    h('p', {}, t('teachers_are', { names: members.teachers.map((m) => m.name || m.user_id).join('、') })),
    h('div', { id: 'panel-slot' }),
    members.students.length === 0 ? empty('no_students') :
      h('div', { class: 'table-wrap' }, h('table', {},
        h('caption', {}, t('student_count', { n: members.students.length })),
        h('thead', {}, h('tr', {}, ['col_id', 'col_name', 'col_actions'].map((k) =>
          h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, rows)))));
}

// ---- attendance --------------------------------------------------------------

function draftKey(cid, date, period) { return `${DRAFT_PREFIX}${cid}|${date}|${period}`; }

function statusGroup(m, status, notice, onChange) {
  const name = `st-${m.user_id}`;
  return h('fieldset', { class: 'roll-row', 'data-student': m.user_id },
    h('legend', {}, h('span', { class: 'roll-name' }, m.name || m.user_id),
      h('span', { class: 'roll-id' }, m.user_id)),
    notice ? h('p', { class: 'roll-notice' },
      t('notice_badge', { kind: t(`kind_notice_${notice.kind}`), reason: notice.reason || '' })) : null,
    h('div', { class: 'seg' }, STATUSES.map((s) => h('label', { class: `seg-${s}` },
      h('input', { type: 'radio', name, value: s, checked: s === status,
        onchange: onChange }),
      h('span', {}, t(`status_${s}`))))));
}

async function viewAttendance({ id }, dateArg, periodArg) {
  const cls = await loadClass(id);
  const members = cls && await loadMembers(id);
  if (!members) return;
  const date = dateArg || schoolDate();
  const period = periodArg ?? 0;
  const [att, notices] = await Promise.all([
    listAll(`/attendance?class=${enc(id)}&date=${date}`),
    listAll(`/absence-notices?date=${date}`)]);
  if (!att.ok) { fail(att); return; }
  const recorded = new Map(att.data.filter((a) => a.period === period)
    .map((a) => [a.student_id, a.status]));
  const noticeOf = new Map((notices.ok ? notices.data : [])
    .filter((n) => n.state === 'submitted').map((n) => [n.student_id, n]));
  const key = draftKey(id, date, period);
  let draft = null;
  try { draft = JSON.parse(localStorage.getItem(key) || 'null'); } catch { draft = null; }
  const initial = (uid) => (draft && draft[uid]) || recorded.get(uid) ||
    (noticeOf.get(uid) && noticeOf.get(uid).kind === 'absent' ? 'absent' : 'present');

  const list = h('div', { class: 'roll' });
  const counts = h('p', { class: 'roll-counts', 'aria-live': 'polite' });
  const current = () => Object.fromEntries(members.students.map((m) => [m.user_id,
    (list.querySelector(`input[name="st-${CSS.escape(m.user_id)}"]:checked`) || {}).value || 'present']));
  const recount = () => {
    const c = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    for (const s of Object.values(current())) c[s]++;
    counts.textContent = STATUSES.map((s) => `${t(`status_${s}`)} ${c[s]}`).join(' / ');
  };
  const changed = () => { localStorage.setItem(key, JSON.stringify(current())); recount(); };
  list.append(...members.students.map((m) => statusGroup(m, initial(m.user_id), noticeOf.get(m.user_id), changed)));

  const dateIn = field('roll-date', t('date'), { type: 'date', value: date, required: true });
  const periodIn = select('roll-period', t('period'),
    [...Array(PERIOD_MAX + 1).keys()].map((p) => [String(p), p === 0 ? t('period_hr') : t('period_n', { n: p })]));
  periodIn.querySelector('select').value = String(period);
  const reload = () => viewAttendance({ id }, dateIn.querySelector('input').value || date,
    Number(periodIn.querySelector('select').value));
  dateIn.querySelector('input').addEventListener('change', reload);
  periodIn.querySelector('select').addEventListener('change', reload);

  const form = h('form', { class: 'roll-form', novalidate: true },
    h('div', { class: 'row inline' }, dateIn, periodIn),
    h('p', { class: 'note' }, recorded.size ? t('roll_recorded', { n: recorded.size }) : t('roll_new')),
    draft ? h('p', { class: 'note warn' }, t('roll_draft_restored')) : null,
    h('div', { class: 'row' }, h('button', { type: 'button', class: 'secondary', onclick: () => {
      for (const i of list.querySelectorAll('input[value="present"]')) i.checked = true;
      changed();
    } }, t('all_present'))),
    list, counts,
    h('div', { class: 'row sticky' }, h('button', { type: 'submit', id: 'roll-save' }, t('roll_save'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const entries = Object.entries(current()).map(([student_id, status]) => ({ student_id, status }));
      if (entries.length === 0) { say(t('no_students'), 'error'); return; }
      say(t('saving'), 'info');
      const r = await api('POST', '/attendance', { class_id: id, date, period, entries });
      if (!r.ok) { say(t('roll_failed', { why: r.message || '' }), 'error'); return; }
      localStorage.removeItem(key);
      say(t('roll_saved', { n: r.data.recorded, date: fmtDate(date),
        period: period === 0 ? t('period_hr') : t('period_n', { n: period }) }));
    });
  });
  recount();
  show(card(classTitle(cls, 'tab_attendance'), classTabs(cls, '/attendance'),
    members.students.length === 0 ? empty('no_students') : form));
}

// ---- announcements -----------------------------------------------------------

async function showReceipts(a, slot, names) {
  const r = await listAll(`/announcements/${enc(a._id)}/receipts`);
  if (!r.ok) { fail(r); return; }
  const seen = r.data.filter((x) => x.seen);
  const unseen = r.data.filter((x) => !x.seen);
  slot.replaceChildren(h('div', { class: 'receipts' },
    h('p', {}, t('receipts_summary', { seen: seen.length, total: r.data.length })),
    h('h3', {}, t('receipts_seen')),
    seen.length ? h('ul', {}, seen.map((x) => h('li', {}, `${who(names, x.user_id)} — ${fmtTime(x.seen_at)}`))) : empty('none'),
    h('h3', {}, t('receipts_unseen')),
    unseen.length ? h('ul', {}, unseen.map((x) => h('li', {}, who(names, x.user_id)))) : empty('none')));
}

export function announcementItem(a, extra) {
  return h('article', { class: 'item', 'data-id': a._id },
    h('h2', {}, a.title),
    h('p', { class: 'meta' }, `${fmtTime(a.posted_at)}`, a.class_name ? ` · ${a.class_name}` : ''),
    h('p', { class: 'body' }, a.body), extra || null);
}

async function viewAnnouncements({ id }) {
  const cls = await loadClass(id);
  const members = cls && await loadMembers(id);
  if (!members) return;
  const r = await listAll(`/announcements?class=${enc(id)}`);
  if (!r.ok) { fail(r); return; }
  const items = r.data.sort((a, b) => b.posted_at - a.posted_at);
  const form = h('form', { class: 'subcard', novalidate: true },
    h('h2', {}, t('post_announcement')),
    field('ann-title', t('title'), { required: true, maxlength: '200' }),
    textarea('ann-body', t('body'), { required: true }),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('post'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const title = form.querySelector('#ann-title').value.trim();
      const body = form.querySelector('#ann-body').value.trim();
      if (!title || !body) { say(t('title_body_needed'), 'error'); return; }
      const p = await api('POST', '/announcements', { class_id: id, title, body });
      if (!p.ok) { fail(p); return; }
      await viewAnnouncements({ id });
      say(t('posted', { title }));
    });
  });
  show(card(classTitle(cls, 'tab_announcements'), classTabs(cls, '/announcements'),
    cls.archived ? h('p', { class: 'note' }, t('archived_readonly')) : form,
    h('h2', {}, t('posted_list')),
    items.length === 0 ? empty('no_announcements') : items.map((a) => {
      const slot = h('div', {});
      return announcementItem(a, h('div', {},
        h('button', { type: 'button', class: 'small secondary',
          onclick: () => showReceipts(a, slot, members.names) }, t('show_receipts')), slot));
    })));
}

// ---- assignments -----------------------------------------------------------

async function viewAssignments({ id }) {
  const cls = await loadClass(id);
  if (!cls) return;
  const r = await listAll(`/assignments?class=${enc(id)}`);
  if (!r.ok) { fail(r); return; }
  const items = r.data.sort((a, b) => b.posted_at - a.posted_at);
  const bar = progressBar('asg-progress', 'uploading');
  const form = h('form', { class: 'subcard', novalidate: true },
    h('h2', {}, t('new_assignment')),
    field('asg-title', t('title'), { required: true, maxlength: '200' }),
    textarea('asg-instructions', t('instructions'), { required: true }),
    field('asg-due', t('due_date'), { type: 'datetime-local', required: true }),
    textarea('asg-questions', t('questions_one_per_line'), { rows: '3' }),
    field('asg-file', t('attachment_optional'), { type: 'file',
      accept: '.pdf,.jpg,.jpeg,.png,.heic,.txt,.json,application/pdf,image/jpeg,image/png,image/heic,text/plain,application/json' }),
    bar,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('post'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const title = form.querySelector('#asg-title').value.trim();
      const instructions = form.querySelector('#asg-instructions').value.trim();
      const due = form.querySelector('#asg-due').value.slice(0, 16);
      const questions = form.querySelector('#asg-questions').value.split('\n')
        .map((s) => s.trim()).filter(Boolean);
      const file = form.querySelector('#asg-file').files[0];
      if (!title || !instructions || !due) { say(t('assignment_fields_needed'), 'error'); return; }
      if (file && fileProblem(file)) { say(fileProblem(file), 'error'); return; }
      const body = { class_id: id, title, instructions, due_date: due };
      if (questions.length) body.questions = questions;
      const p = await api('POST', '/assignments', body);
      if (!p.ok) { fail(p); return; }
      if (file) {
        const u = await sendFile(file, p.data._id, bar);
        if (!u.ok) {
          await viewAssignments({ id });
          say(t('assignment_file_failed', { title, why: u.message }), 'error');
          return;
        }
      }
      await viewAssignments({ id });
      say(t('assignment_posted', { title }));
    });
  });
  show(card(classTitle(cls, 'tab_assignments'), classTabs(cls, '/assignments'),
    cls.archived ? h('p', { class: 'note' }, t('archived_readonly')) : form,
    h('h2', {}, t('assignments_list')),
    items.length === 0 ? empty('no_assignments') : h('ul', { class: 'plain' }, items.map((a) =>
      h('li', {}, h('a', { href: `#/assignment/${enc(a._id)}` }, a.title),
        ` — ${t('due', { when: a.due_date.replace('T', ' ') })}`)))));
}

async function viewSubmissions({ id }) {
  const a = await api('GET', `/assignments/${enc(id)}`);
  if (!a.ok) { fail(a); return; }
  const asg = a.data;
  const [cls, members, subs] = [await loadClass(asg.class_id), await loadMembers(asg.class_id),
    await listAll(`/assignments/${enc(id)}/submissions`)];
  if (!cls || !members) return;
  if (!subs.ok) { fail(subs); return; }
  const latest = new Map();
  for (const s of subs.data.sort((x, y) => x.submitted_at - y.submitted_at)) latest.set(s.student_id, s);
  const missing = members.students.filter((m) => !latest.has(m.user_id));
  show(card(asg.title, classTabs(cls, '/assignments'),
    h('p', { class: 'meta' }, t('due', { when: asg.due_date.replace('T', ' ') })),
    h('p', { class: 'body' }, asg.instructions),
    (asg.attachments || []).length ? h('p', {}, t('attachments'), ' ', (asg.attachments).map(fileLink)) : null,
    h('h2', {}, t('submissions_summary', { n: latest.size, total: members.students.length })),
    latest.size === 0 ? empty('no_submissions') : h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['col_name', 'col_submitted', 'col_content', 'col_files'].map((k) =>
        h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, [...latest.values()].map((s) => h('tr', {},
        h('td', {}, who(members.names, s.student_id)),
        h('td', {}, fmtTime(s.submitted_at), s.late ? h('span', { class: 'badge warn' }, t('late')) : null),
        h('td', { class: 'body' }, [s.text || '', ...(s.answers || [])].filter(Boolean).join(' / ')),
        h('td', {}, (s.attachments || []).map(fileLink))))))),
    h('h2', {}, t('not_submitted', { n: missing.length })),
    missing.length ? h('p', {}, missing.map((m) => m.name || m.user_id).join('、')) : empty('none'),
    h('div', { class: 'row' }, h('a', { href: `#/class/${enc(asg.class_id)}/assignments`, class: 'button secondary' }, t('back')))));
}

// ---- a student: attendance history, guidance notes ---------------------------

async function viewStudentAttendance({ uid }) {
  const r = await listAll(`/attendance?student=${enc(uid)}`);
  if (!r.ok) { fail(r); return; }
  show(card(t('attendance_of', { id: uid }), attendanceTable(r.data),
    h('div', { class: 'row' }, h('a', { href: '#/classes', class: 'button secondary' }, t('back')))));
}

export function attendanceTable(rows) {
  const list = rows.filter((a) => a.status !== 'present')
    .sort((a, b) => b.date.localeCompare(a.date) || b.period - a.period);
  const c = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const a of rows) c[a.status]++;
  return h('div', {},
    h('p', { class: 'roll-counts' }, t('attendance_totals', { days: rows.length }), ' ',
      STATUSES.map((s) => `${t(`status_${s}`)} ${c[s]}`).join(' / ')),
    list.length === 0 ? empty('no_absences') : h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['date', 'period', 'col_status', 'reason'].map((k) =>
        h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, list.map((a) => h('tr', {},
        h('td', {}, fmtDate(a.date)), h('td', {}, a.period === 0 ? t('period_hr') : t('period_n', { n: a.period })),
        h('td', {}, t(`status_${a.status}`)), h('td', {}, a.reason || '')))))));
}

async function viewNotes({ uid }) {
  const r = await listAll(`/guidance-notes?student=${enc(uid)}`);
  if (!r.ok) { fail(r); return; }
  const form = h('form', { class: 'subcard', novalidate: true },
    textarea('note-text', t('note_text'), { required: true }),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('save'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const text = form.querySelector('#note-text').value.trim();
      if (!text) { say(t('note_needed'), 'error'); return; }
      const p = await api('POST', '/guidance-notes', { student_id: uid, text });
      if (!p.ok) { fail(p); return; }
      await viewNotes({ uid });
      say(t('note_saved'));
    });
  });
  const notes = r.data.sort((a, b) => b.written_at - a.written_at);
  show(card(t('notes_of', { id: uid }),
    h('p', { class: 'note' }, t('notes_private'), ' ',
      h('a', { href: '#/conflicts' }, t('conflict_notes_link'))), form,
    notes.length === 0 ? empty('no_notes') : notes.map((n) => h('article', { class: 'item' },
      h('p', { class: 'meta' }, `${fmtTime(n.written_at)} · ${n.author_id}`),
      h('p', { class: 'body' }, n.text))),
    h('div', { class: 'row' }, h('a', { href: '#/classes', class: 'button secondary' }, t('back')))));
}

// ---- the day's absence notices (every teacher reads the school's) ----------

async function viewNotices(_, dateArg) {
  const date = dateArg || schoolDate();
  const r = await listAll(`/absence-notices?date=${date}`);
  if (!r.ok) { fail(r); return; }
  const d = field('notices-date', t('date'), { type: 'date', value: date });
  d.querySelector('input').addEventListener('change', (e) => viewNotices(null, e.target.value || date));
  show(card(t('absence_notices_title'), d,
    r.data.length === 0 ? empty('no_notices') : h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['col_student', 'col_kind', 'reason', 'col_state', 'col_sent'].map((k) =>
        h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, r.data.map((n) => h('tr', {},
        h('td', {}, n.student_id), h('td', {}, t(`kind_notice_${n.kind}`)), h('td', {}, n.reason || ''),
        h('td', {}, t(`notice_state_${n.state}`)), h('td', {}, fmtTime(n.submitted_at)))))))));
}

addPages([
  { path: '/classes', nav: 'nav_classes', when: is.teacher, view: viewClasses },
  { path: '/class/:id', when: is.teacher, view: viewRoster },
  { path: '/class/:id/attendance', when: is.teacher, view: (p) => viewAttendance(p) },
  { path: '/class/:id/announcements', when: is.teacher, view: viewAnnouncements },
  { path: '/class/:id/assignments', when: is.teacher, view: viewAssignments },
  { path: '/assignment/:id', when: is.teacher, view: viewSubmissions },
  { path: '/student/:uid/attendance', when: is.teacher, view: viewStudentAttendance },
  { path: '/student/:uid/notes', when: is.teacher, view: viewNotes },
  { path: '/absences', nav: 'nav_absences', when: is.teacher, view: () => viewNotices() },
]);
