// tests/ui/i18n_check.mjs: both languages have the same keys, and every key
// the UI's modules name literally (t('k'), nav: 'k', empty('k'), the
// label/key arrays of tables) exists. Prints ok / not ok lines; exit 1 on a
// failure. Dynamic keys (`status_${s}`) are checked by the list below.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const UI = process.argv[2] || 'firmware/ui';
const { strings } = await import(join(process.cwd(), UI, 'i18n.js'));
let failed = 0;
const ok = (w) => console.log(`ok - ${w}`);
const notOk = (w) => { failed++; console.log(`not ok - ${w}`); };

const ja = new Set(Object.keys(strings.ja));
const en = new Set(Object.keys(strings.en));
const onlyJa = [...ja].filter((k) => !en.has(k));
const onlyEn = [...en].filter((k) => !ja.has(k));
if (onlyJa.length || onlyEn.length) notOk(`ja and en have the same keys (only ja: ${onlyJa}; only en: ${onlyEn})`);
else ok(`ja and en have the same ${ja.size} keys`);

const used = new Set();
const pats = [/\bt\('([a-z0-9_]+)'/g, /\bnav: '([a-z0-9_]+)'/g, /\bempty\('([a-z0-9_]+)'/g,
  /\bbackLink\([^)]*'([a-z0-9_]+)'\)/g, /\bprogressBar\('[^']*', '([a-z0-9_]+)'/g,
  /\b(?:label|confirm|done): '([a-z0-9_]+)'/g, /\brow\('([a-z0-9_]+)'/g];
for (const f of readdirSync(UI).filter((n) => n.endsWith('.js') && n !== 'i18n.js')) {
  const src = readFileSync(join(UI, f), 'utf8').replace(/^\s*\/\/.*$/gm, '');
  for (const re of pats) for (const m of src.matchAll(re)) used.add(m[1]);
  // key arrays of table headers: ['col_id', 'col_name', ...]
  for (const m of src.matchAll(/\[((?:'[a-z0-9_]+',\s*)+'[a-z0-9_]+')\]\s*\n?\s*\.map\(\(k\) =>\s*\n?\s*h\('th'/g))
    for (const k of m[1].matchAll(/'([a-z0-9_]+)'/g)) used.add(k[1]);
}
// the dynamic ones
const dyn = {
  role_: ['admin', 'teacher', 'student', 'parent'],
  state_: ['active', 'suspended', 'graduated', 'transferred', 'deleted'],
  status_: ['present', 'absent', 'late', 'early_leave'],
  kind_: ['homeroom', 'subject', 'club', 'group'],
  kind_notice_: ['absent', 'late', 'early_leave'],
  notice_state_: ['submitted', 'withdrawn'],
  notice_: ['maintenance', 'incident'],
  sev_: ['info', 'warning', 'critical'],
  clock_: ['synced', 'holdover', 'unsynced'],
  school_state_: ['active', 'terminating', 'terminated'],
  done_: ['suspend', 'reactivate', 'grant_admin', 'revoke_admin', 'delete'],
  sync_state_: ['ok', 'offline', 'error', 'waiting_clock', 'not_enrolled', 'not_running', 'unknown'],
  disk_: ['warn', 'critical', 'full'],
  disk_level_: ['ok', 'warn', 'critical', 'full'],
  lan_net_phase_: ['idle', 'waiting', 'confirmed', 'reverted', 'refused', 'failed'],
  lan_mode_: ['dhcp', 'static'],
  lan_warn_: ['server', 'ca', 'client', 'cloud_ca'],
  lan_expired_: ['server', 'ca', 'client', 'cloud_ca'],
  conflict_rule_: ['manual', 'cloud_wins', 'last_writer_wins', 'append_only', 'couchdb_winner'],
  conflict_type_: ['guidance_note', 'user', 'class', 'membership', 'attendance', 'submission',
    'receipt', 'absence_notice'],
};
for (const [p, list] of Object.entries(dyn)) for (const s of list) used.add(p + s);
for (const op of ['suspend', 'reactivate', 'grant_admin', 'revoke_admin', 'delete']) used.add(op);
const missing = [...used].filter((k) => !ja.has(k)).sort();
if (missing.length) notOk(`every key the UI uses is translated (missing: ${missing.join(', ')})`);
else ok(`every key the UI uses is translated (${used.size} keys)`);
process.exit(failed ? 1 : 0);
