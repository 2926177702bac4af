// parent.js: a parent's pages: my children (their classes and attendance),
// the absence / late / early-leave notice (欠席・遅刻・早退連絡) before the
// school's cut-off, and withdrawing one. Announcements are student.js's.
import {
  state, t, h, field, textarea, show, say, fail, api, listAll, enc, schoolDate, fmtTime,
  fmtDate, addPages, is, card, backLink, empty, busy,
} from './core.js';
import { attendanceTable } from './teacher.js';

const KINDS = ['absent', 'late', 'early_leave'];

// { uid, name, classes[] } per child: the name from the homeroom's member
// list (a parent reads their child's row only).
async function loadChildren() {
  const out = [];
  for (const uid of state.me.children || []) {
    const r = await listAll(`/classes?student=${enc(uid)}`);
    if (!r.ok) { fail(r); return null; }
    let name = uid;
    const home = r.data.find((c) => c.kind === 'homeroom' && !c.archived) || r.data[0];
    if (home) {
      const m = await listAll(`/classes/${enc(home._id)}/members`);
      const row = m.ok && m.data.find((x) => x.user_id === uid);
      if (row && row.name) name = row.name;
    }
    out.push({ uid, name, classes: r.data, homeroom: home });
  }
  return out;
}

async function viewChildren() {
  const kids = await loadChildren();
  if (!kids) return;
  const sections = [];
  for (const k of kids) {
    const att = await listAll(`/attendance?student=${enc(k.uid)}`);
    sections.push(h('section', { class: 'subcard' },
      h('h2', {}, `${k.name}（${k.uid}）`),
      h('p', {}, k.homeroom ? k.homeroom.name : ''),
      h('p', { class: 'note' }, t('child_classes', { list: k.classes.map((c) => c.name).join('、') })),
      att.ok ? attendanceTable(att.data) : h('p', { class: 'note' }, att.message || ''),
      h('div', { class: 'row' },
        h('a', { href: '#/absence', class: 'button' }, t('send_notice')))));
  }
  show(card(t('children_title'), kids.length ? sections : empty('no_children'),
    h('div', { class: 'row' }, backLink())));
}

async function withdraw(n, name) {
  const r = await api('POST', `/absence-notices/${enc(n._id)}/withdraw`);
  if (!r.ok) { fail(r); return; }
  await viewAbsence();
  say(t('notice_withdrawn', { name, date: fmtDate(n.date) }));
}

function noticeList(notices, names) {
  if (notices.length === 0) return empty('no_notices_sent');
  return h('ul', { class: 'plain', id: 'sent-notices' }, notices.map((n) => h('li', { 'data-id': n._id },
    h('strong', {}, `${fmtDate(n.date)} ${t(`kind_notice_${n.kind}`)}`),
    ` — ${names.get(n.student_id) || n.student_id}`, n.reason ? `（${n.reason}）` : '',
    h('span', { class: 'meta' }, ` ${t(`notice_state_${n.state}`)} · ${fmtTime(n.state === 'withdrawn' ? n.withdrawn_at : n.submitted_at)}`),
    n.state === 'submitted' && n.date >= schoolDate() ? h('button', { type: 'button', class: 'small secondary',
      onclick: () => withdraw(n, names.get(n.student_id) || n.student_id) }, t('withdraw')) : null)));
}

async function viewAbsence() {
  const kids = await loadChildren();
  if (!kids) return;
  const school = await api('GET', '/school');
  const cutoff = school.ok ? school.data.absence_cutoff : null;
  const names = new Map(kids.map((k) => [k.uid, k.name]));
  const sent = [];
  for (const k of kids) {
    const r = await listAll(`/absence-notices?student=${enc(k.uid)}`);
    if (r.ok) sent.push(...r.data);
  }
  sent.sort((a, b) => b.submitted_at - a.submitted_at);
  const today = schoolDate();
  const form = h('form', { class: 'subcard', novalidate: true },
    h('h2', {}, t('notice_form_title')),
    h('p', { class: 'note', id: 'cutoff-note' }, cutoff ? t('cutoff_is', { time: cutoff }) : t('cutoff_none')),
    h('div', { class: 'field' }, h('label', { for: 'n-child' }, t('child')),
      h('select', { id: 'n-child' }, kids.map((k) => h('option', { value: k.uid }, `${k.name}（${k.uid}）`)))),
    field('n-date', t('date'), { type: 'date', value: today, min: today, required: true }),
    h('fieldset', { class: 'choices' }, h('legend', {}, t('notice_kind')),
      KINDS.map((k, i) => h('label', {}, h('input', { type: 'radio', name: 'n-kind', value: k, checked: i === 0 }),
        ' ', t(`kind_notice_${k}`)))),
    textarea('n-reason', t('reason_optional'), { rows: '2', maxlength: '500' }),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('send'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const student_id = form.querySelector('#n-child').value;
      const date = form.querySelector('#n-date').value;
      const kind = form.querySelector('input[name="n-kind"]:checked').value;
      const reason = form.querySelector('#n-reason').value.trim().replace(/\s*\n\s*/g, ' ');
      if (!date) { say(t('date_needed'), 'error'); return; }
      if (date < today) { say(t('date_past'), 'error'); return; }
      const body = { student_id, date, kind };
      if (reason) body.reason = reason;
      const r = await api('POST', '/absence-notices', body);
      if (!r.ok) {
        say(r.code === 'cutoff_passed' ? t('cutoff_passed', { time: cutoff || '24:00' }) : r.message, 'error');
        return;
      }
      await viewAbsence();
      say(t('notice_sent', { name: names.get(student_id), date: fmtDate(date), kind: t(`kind_notice_${kind}`) }));
    });
  });
  show(card(t('absence_title'), kids.length ? form : empty('no_children'),
    h('h2', {}, t('notices_sent')), noticeList(sent, names),
    h('div', { class: 'row' }, backLink())));
}

addPages([
  { path: '/children', nav: 'nav_children', when: is.parent, view: viewChildren },
  { path: '/absence', nav: 'nav_absence', when: is.parent, view: viewAbsence },
]);
