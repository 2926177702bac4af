// student.js: a student's pages: announcements (shared with parents: their
// children's classes), assignments and submitting work with a file, and
// their own attendance.
import {
  state, t, h, textarea, show, say, fail, api, listAll, enc, fmtTime, addPages, is, card,
  backLink, empty, fileLink, progressBar, busy, field,
} from './core.js';
import { announcementItem, attendanceTable, fileProblem, sendFile } from './teacher.js';

// The classes whose announcements this person reads: a student's own; a
// parent's children's (GET /classes?student=).
export async function readerClasses() {
  const me = state.me;
  if (me.role !== 'parent') {
    const r = await listAll('/classes');
    return r.ok ? r.data : (fail(r), null);
  }
  const byId = new Map();
  for (const kid of me.children || []) {
    const r = await listAll(`/classes?student=${enc(kid)}`);
    if (!r.ok) { fail(r); return null; }
    for (const c of r.data) byId.set(c._id, c);
  }
  return [...byId.values()];
}

async function markSeen(a, btn) {
  btn.disabled = true;
  const r = await api('POST', `/announcements/${enc(a._id)}/seen`);
  if (!r.ok) { btn.disabled = false; fail(r); return; }
  btn.textContent = t('seen_done');
  say(t('seen_sent', { title: a.title }));
}

async function viewFeed() {
  const classes = await readerClasses();
  if (!classes) return;
  const sources = [{ _id: 'school', name: t('school_wide') },
    ...classes.filter((c) => !c.archived)];
  const all = [];
  for (const c of sources) {
    const r = await listAll(`/announcements?class=${enc(c._id)}`);
    if (!r.ok) { fail(r); return; }
    for (const a of r.data) all.push({ ...a, class_name: c.name });
  }
  all.sort((a, b) => b.posted_at - a.posted_at);
  show(card(t('announcements_title'),
    all.length === 0 ? empty('no_announcements') : all.map((a) => {
      const btn = h('button', { type: 'button', class: 'small',
        onclick: (e) => markSeen(a, e.currentTarget) }, a.seen ? t('seen_done') : t('seen_button'));
      return announcementItem(a, h('div', { class: 'row' }, btn));
    }),
    h('div', { class: 'row' }, backLink())));
}

// ---- assignments ---------------------------------------------------------

async function viewAssignments() {
  const classes = await readerClasses();
  if (!classes) return;
  const all = [];
  for (const c of classes) {
    const r = await listAll(`/assignments?class=${enc(c._id)}`);
    if (!r.ok) { fail(r); return; }
    for (const a of r.data) all.push({ ...a, class_name: c.name });
  }
  all.sort((a, b) => b.due_date.localeCompare(a.due_date));
  show(card(t('assignments_title'),
    all.length === 0 ? empty('no_assignments') : h('ul', { class: 'plain' }, all.map((a) =>
      h('li', {}, h('a', { href: `#/assignment/${enc(a._id)}` }, a.title),
        h('span', { class: 'meta' }, ` ${a.class_name} · ${t('due', { when: a.due_date.replace('T', ' ') })}`)))),
    h('div', { class: 'row' }, backLink())));
}

function submissionItem(s) {
  return h('li', {}, fmtTime(s.submitted_at), s.late ? h('span', { class: 'badge warn' }, t('late')) : null,
    s.text ? ` — ${s.text}` : '', (s.attachments || []).length ? ' ' : '', (s.attachments || []).map(fileLink));
}

async function viewAssignment({ id }) {
  const r = await api('GET', `/assignments/${enc(id)}`);
  if (!r.ok) { fail(r); return; }
  const a = r.data;
  const subs = await listAll(`/assignments/${enc(id)}/submissions`);
  const mine = subs.ok ? subs.data.sort((x, y) => y.submitted_at - x.submitted_at) : [];
  const questions = a.questions || [];
  const bar = progressBar('sub-progress', 'uploading');
  const form = h('form', { class: 'subcard', novalidate: true },
    h('h2', {}, t('submit_title')),
    questions.map((q, i) => field(`sub-q${i}`, q, { autocomplete: 'off' })),
    textarea('sub-text', t('submission_text'), { rows: '3' }),
    field('sub-file', t('submission_file'), { type: 'file',
      accept: '.pdf,.jpg,.jpeg,.png,.heic,.txt,.json,application/pdf,image/jpeg,image/png,image/heic,text/plain,application/json',
      'aria-describedby': 'sub-file-help' }),
    h('p', { id: 'sub-file-help', class: 'note' }, t('file_help')),
    bar,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('submit'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const text = form.querySelector('#sub-text').value.trim();
      const answers = questions.map((_, i) => form.querySelector(`#sub-q${i}`).value.trim());
      const file = form.querySelector('#sub-file').files[0];
      if (!text && !file && !answers.some(Boolean)) { say(t('submission_empty'), 'error'); return; }
      if (file && fileProblem(file)) { say(fileProblem(file), 'error'); return; }
      const body = {};
      if (text) body.text = text;
      if (answers.some(Boolean)) body.answers = answers.map((x) => x || '-');
      if (file) {
        say(t('uploading_name', { name: file.name }), 'info');
        const u = await sendFile(file, `submission:${a._id}`, bar);
        if (!u.ok) { say(t('upload_failed', { name: file.name, why: u.message }), 'error'); return; }
        body.attachments = [u.data.id];
      }
      const p = await api('POST', `/assignments/${enc(a._id)}/submissions`, body);
      if (!p.ok) { say(t('submit_failed', { why: p.message || '' }), 'error'); return; }
      await viewAssignment({ id });
      say(p.data.late ? t('submitted_late', { title: a.title }) : t('submitted', { title: a.title }));
    });
  });
  show(card(a.title,
    h('p', { class: 'meta' }, t('due', { when: a.due_date.replace('T', ' ') })),
    h('p', { class: 'body' }, a.instructions),
    (a.attachments || []).length ? h('p', {}, t('attachments'), ' ', a.attachments.map(fileLink)) : null,
    is.student(state.me) ? form : null,
    h('h2', {}, t('my_submissions')),
    mine.length ? h('ul', { class: 'plain', id: 'my-submissions' }, mine.map(submissionItem)) : empty('no_submissions_yet'),
    h('div', { class: 'row' }, h('a', { href: '#/assignments', class: 'button secondary' }, t('back')))));
}

async function viewMyAttendance() {
  const r = await listAll(`/attendance?student=${enc(state.me.id)}`);
  if (!r.ok) { fail(r); return; }
  show(card(t('my_attendance_title'), attendanceTable(r.data), h('div', { class: 'row' }, backLink())));
}

const reader = (me) => is.student(me) || is.parent(me);

addPages([
  { path: '/announcements', nav: 'nav_announcements', when: reader, view: viewFeed },
  { path: '/assignments', nav: 'nav_assignments', when: is.student, view: viewAssignments },
  { path: '/assignment/:id', when: is.student, view: viewAssignment },
  { path: '/my-attendance', nav: 'nav_my_attendance', when: is.student, view: viewMyAttendance },
]);
