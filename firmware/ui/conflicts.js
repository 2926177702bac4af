// conflicts.js: what sync left for people (docs/sync.md "Conflict rules").
// Teachers: the guidance notes edited in two places, both versions side by
// side, a merge box prefilled with both, save (POST
// /conflicts/{id}/resolve with the revisions shown: a 409 says they
// changed meanwhile). Admins: the list with its counts, linked from the
// sync page; versions only where the policy lets them read the record.
import {
  state, t, h, show, say, fail, api, fmtTime, addPages, is, card, backLink, empty, busy,
} from './core.js';

const when = (ms) => (ms ? fmtTime(ms) : '—');
const TYPES = ['guidance_note', 'user', 'class', 'membership', 'attendance', 'submission',
  'receipt', 'absence_notice'];                 // core/conflict.c's types
const RULES = ['manual', 'cloud_wins', 'last_writer_wins', 'append_only', 'couchdb_winner'];
const typeName = (ty) => (TYPES.includes(ty) ? t(`conflict_type_${ty}`) : ty);
const ruleName = (r) => (RULES.includes(r) ? t(`conflict_rule_${r}`) : r);

// One version of a note: text, author, edit time.
function versionCard(v, i) {
  const d = v.doc || {};
  return h('article', { class: 'item conflict-version', 'aria-labelledby': `cv-${i}` },
    h('h3', { id: `cv-${i}` }, t(v.state === 'winner' ? 'conflict_version_kept' : 'conflict_version_other', { n: i + 1 })),
    h('p', { class: 'meta' }, `${when(d.edited_at || d.written_at)} · ${d.edited_by || d.author_id || '—'}`),
    h('p', { class: 'body' }, d.text || ''),
    h('p', { class: 'meta' }, h('span', { lang: 'en' }, v.rev)));
}

// The merge form of one open note conflict.
function mergeForm(c, reload) {
  const texts = c.versions.map((v) => (v.doc && v.doc.text) || '');
  const id = `merge-${c.doc_id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const area = h('textarea', { id, name: id, rows: '8', required: true, 'aria-describedby': `${id}-hint` },
    texts.join('\n\n'));
  const form = h('form', { class: 'subcard', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: id }, t('conflict_merged_text')), area),
    h('p', { class: 'note', id: `${id}-hint` }, t('conflict_merge_hint')),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('conflict_save_merge'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const text = area.value.trim();
      if (!text) { say(t('note_needed'), 'error'); area.focus(); return; }
      const r = await api('POST', `/conflicts/${c.doc_id}/resolve`,
        { text, revs: c.versions.map((v) => v.rev) });
      if (r.status === 409) { say(t('conflict_changed'), 'error'); return; }
      if (!r.ok) { fail(r); return; }
      await reload();
      say(t('conflict_merged'));
    });
  });
  return form;
}

function openEntry(c, me, reload) {
  const title = `${typeName(c.doc_type)} · ${c.doc_id}`;
  const body = [h('h2', {}, title),
    h('p', { class: 'meta' }, t('conflict_rule', { rule: ruleName(c.rule) }))];
  if (!c.readable) {
    body.push(h('p', { class: 'note' }, t('conflict_not_readable', { n: c.versions.length })));
  } else {
    body.push(h('div', { class: 'conflict-pair' }, c.versions.map(versionCard)));
    if (c.doc_type === 'guidance_note' && is.teacher(me)) body.push(mergeForm(c, reload));
  }
  return h('section', { class: 'subcard conflict' }, ...body);
}

function resolvedTable(list) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('caption', {}, t('conflict_resolved_title')),
    h('thead', {}, h('tr', {}, ['conflict_col_record', 'conflict_col_rule', 'conflict_col_kept', 'conflict_col_by'].map((k) =>
      h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, list.map((c) => h('tr', {},
      h('td', {}, `${typeName(c.doc_type)} · ${c.doc_id}`),
      h('td', {}, ruleName(c.rule)),
      h('td', {}, h('span', { lang: 'en' }, c.kept_rev || '—')),
      h('td', {}, c.resolved_by ? `${c.resolved_by} · ${when(c.resolved_at)}` : t('conflict_by_box')))))));
}

export async function viewConflicts(me) {
  const r = await api('GET', '/conflicts');
  if (!r.ok) { fail(r); return; }
  const d = r.data;
  const reload = () => viewConflicts(me);
  show(card(t('conflicts_title'),
    h('p', { id: 'conflict-counts', class: `note ${d.open_count ? 'warn' : ''}` },
      t('conflict_counts', { open: d.open_count, resolved: d.resolved_count })),
    d.truncated ? h('p', { class: 'note' }, t('conflict_truncated')) : null,
    d.open.length === 0 ? empty('conflict_none_open') : d.open.map((c) => openEntry(c, me, reload)),
    d.resolved.length === 0 ? null : resolvedTable(d.resolved),
    h('div', { class: 'row' }, backLink())));
}

addPages([
  { path: '/conflicts', nav: 'nav_conflicts', when: (me) => is.teacher(me) || is.admin(me),
    view: () => viewConflicts(state.me) },
]);
