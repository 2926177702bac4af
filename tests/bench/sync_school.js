// tests/bench/sync_school.js: the data of tests/bench/sync.sh, shaped as
// the demo school's records are (firmware/cmd/demo.c: 3 grades x 8
// homerooms x 35 students, a parent each, 40 teachers), with attendance
// for every period (0..5) of DAYS school days: 840 x 6 x DAYS records.
//   node sync_school.js school DAYS CLOUD_DB_URL   _bulk_docs into the cloud,
//                                                 prints the count
//   node sync_school.js day DATE                  a day's attendance (840 x 6)
//                                                 as JSON lines on stdout
'use strict';
const http = require('http');

const YEAR = 2026;
const GRADES = 3, CLASSES = 8, STUDENTS = 35, TEACHERS = 40, PERIODS = 6;
const CHUNK = 2000;
const REASONS = ['体調不良', '通院', '家庭の事情', '発熱'];

let seed = 20260410;
function rand() {	// a fixed sequence: the same data in every run
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed >>> 8;
}

function students() {
  const out = [];
  for (let g = 1; g <= GRADES; g++)
    for (let c = 1; c <= CLASSES; c++)
      for (let n = 1; n <= STUDENTS; n++)
        out.push({ id: `s${YEAR - g + 1}${String((c - 1) * STUDENTS + n).padStart(3, '0')}`,
          g, c });
  return out;
}

function* roster() {
  for (let t = 1; t <= TEACHERS; t++)
    yield { _id: `user:t${String(t).padStart(3, '0')}`, type: 'user',
      user_id: `t${String(t).padStart(3, '0')}`, role: 'teacher', state: 'active',
      name: `教員 ${t}` };
  for (let g = 1; g <= GRADES; g++)
    for (let c = 1; c <= CLASSES; c++)
      yield { _id: `class:${YEAR}:${g}-${c}`, type: 'class', year: YEAR,
        code: `${g}-${c}`, name: `${g}年${c}組`, kind: 'homeroom', archived: false };
  for (const s of students()) {
    yield { _id: `user:${s.id}`, type: 'user', user_id: s.id, role: 'student',
      state: 'active', name: `生徒 ${s.id}`, grade: s.g };
    yield { _id: `user:p${s.id.slice(1)}`, type: 'user', user_id: `p${s.id.slice(1)}`,
      role: 'parent', state: 'active', name: `保護者 ${s.id}`, children: [s.id] };
    yield { _id: `membership:class:${YEAR}:${s.g}-${s.c}:${s.id}`, type: 'membership',
      class_id: `class:${YEAR}:${s.g}-${s.c}`, user_id: s.id, role: 'student' };
  }
}

function teacherOf(s) {
  return `t${String((s.g - 1) * CLASSES + s.c).padStart(3, '0')}`;
}

function* attendance(date, editedAt) {
  for (const s of students())
    for (let p = 0; p < PERIODS; p++) {
      const r = rand() % 100;
      const status = r < 3 ? 'absent' : r < 5 ? 'late' : r < 6 ? 'early_leave' : 'present';
      const d = { _id: `attendance:${date}:class:${YEAR}:${s.g}-${s.c}:${s.id}:${p}`,
        type: 'attendance', date, class_id: `class:${YEAR}:${s.g}-${s.c}`,
        student_id: s.id, period: p, status };
      if (status !== 'present') d.reason = REASONS[rand() % REASONS.length];
      d.recorded_by = teacherOf(s);
      d.edited_at = editedAt + p * 3000000;
      yield d;
    }
}

function schoolDays(n) {	// n weekdays from 2026-04-08
  const out = [];
  for (let t = Date.UTC(2026, 3, 8); out.length < n; t += 86400000) {
    const wd = new Date(t).getUTCDay();
    if (wd !== 0 && wd !== 6) out.push(t);
  }
  return out;
}

function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url + '/_bulk_docs', { method: 'POST',
      headers: { 'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let s = '';
      res.on('data', (c) => { s += c; });
      res.on('end', () => (res.statusCode === 201 ? resolve(s) :
        reject(new Error(`_bulk_docs: ${res.statusCode} ${s.slice(0, 200)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function school(days, url) {
  let batch = [], n = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await post(url, JSON.stringify({ docs: batch }));
    n += batch.length;
    batch = [];
  };
  const gen = function* () {
    yield* roster();
    for (const t of schoolDays(days)) {
      const date = new Date(t).toISOString().slice(0, 10);
      yield* attendance(date, t - 9 * 3600000 + 8 * 3600000 + 40 * 60000);
    }
  };
  for (const d of gen()) {
    batch.push(d);
    if (batch.length === CHUNK) await flush();
  }
  await flush();
  console.log(n);
}

function day(date) {
  const t = Date.parse(date + 'T00:00:00Z');
  const out = [];
  for (const d of attendance(date, t - 9 * 3600000 + 8 * 3600000 + 40 * 60000))
    out.push(JSON.stringify(d));
  process.stdout.write(out.join('\n') + '\n');
}

const [cmd, a, b] = process.argv.slice(2);
if (cmd === 'school') school(Number(a), b).catch((e) => { console.error(e); process.exit(1); });
else if (cmd === 'day') day(a);
else { console.error('usage: sync_school.js school DAYS URL | day DATE'); process.exit(2); }
