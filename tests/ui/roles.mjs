// tests/ui/roles.mjs: each role's main path through the web UI, end to end
// in Debian's Chromium against a box seeded with the small demo school
// (classbox run --demo-small), after first_login.mjs changed the admin's
// password. Run by tests/ui/run, which passes:
//   BOX_URL BOX_SPKI UI_ARTIFACTS UI_TMP CHROMIUM   as for first_login.mjs
//   ADMIN_PW         the admin's password (first_login.mjs set it)
//   DEMO_PASSWORDS   the demo's <data>/demo-passwords.csv
// The walk: a homeroom teacher takes attendance for 35 students in one tap
// each and posts an announcement and an assignment, and issues a reset code;
// a student resets their password with it, reads the announcement (見ました),
// is refused a wrong file with a clear message and submits a file; the
// teacher sees the receipt and the submission; a parent sends an absence
// notice, is told about the cut-off, withdraws a notice; the admin registers
// a user, imports a CSV with one bad line and sees that line's error, and
// reads the logs with a filter. Screenshots: build/ui-artifacts/.
import { readFileSync } from 'node:fs';
import {
  env, run, seen, assert, screenshot, check, launch, walkMain, expectRefusal, fitsSmallScreens,
  waitMsg, msgText, waitH1, goHash, redrawn, pageApi, login, logout,
} from './lib.mjs';

const BOX_URL = env('BOX_URL');
const SPKI = env('BOX_SPKI');
run.art = env('UI_ARTIFACTS');
run.prefix = 'roles-';
const TMP = env('UI_TMP');
const ADMIN_PW = env('ADMIN_PW');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// the demo's people: id -> { name, role, cls, pw }
const people = new Map(readFileSync(env('DEMO_PASSWORDS'), 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',')).map(([id, name, role, cls, , pw]) => [id, { name, role, cls, pw }]));
const TEACHER = 't01';          // homeroom teacher of 1-1
const STUDENT = 's10101';       // in 1-1
const STUDENT2 = 's10102';      // in 1-1: resets the password with a code
const PARENT = 'p10101';        // STUDENT's parent
const ABSENT = 's10105';        // marked 欠席 by the teacher today
const ABSENT_PARENT = 'p10105'; // ABSENT's parent
const stamp = Date.now().toString(36).slice(-5);
const ANN_TITLE = `明日の持ち物 ${stamp}`;
const ASG_TITLE = `理科レポート ${stamp}`;
const STUDENT2_PW = 'Sakura-reset-2026';

const schoolNow = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric',
  month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
  .format(new Date());
const TODAY = schoolNow().slice(0, 10);
const TOMORROW = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' })
  .format(new Date(Date.now() + 86400000));

// a 1x1 PNG, padded to SIZE bytes (the box checks the signature, not the image)
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const png = (size) => Buffer.concat([PNG, Buffer.alloc(Math.max(0, size - PNG.length))]);

let page;
let classId;

async function teacherAttendance() {
  await check('the teacher logs in and home lists the teacher\'s pages', async () => {
    await login(TEACHER, people.get(TEACHER).pw);
    for (const text of ['担当クラス', '欠席連絡一覧'])
      await page.locator('#nav a', { hasText: text }).waitFor();
    assert(await page.locator('#nav a', { hasText: 'ユーザー管理' }).count() === 0, 'no admin pages');
  });
  await check('my classes shows homeroom 1年1組 and opens its attendance', async () => {
    await page.click('#nav a:has-text("担当クラス")');
    await waitH1('担当クラス');
    const card = page.locator('.class-card', { has: page.locator('h2', { hasText: /^1年1組$/ }) });
    await card.getByRole('link', { name: '出欠' }).click();
    await waitH1('1年1組 — 出欠');
    classId = decodeURIComponent((await page.evaluate(() => location.hash)).split('/')[2]);
    assert(/^class:\d{4}:1-1$/.test(classId), `class id ${classId}`);
  });
  const students = [...people].filter(([, p]) => p.role === 'student' && p.cls === '1-1').map(([id]) => id);
  await check('the roll shows all 35 students by name, everyone present to start', async () => {
    assert(students.length === 35, `${students.length} students in the demo's 1-1`);
    await page.locator('.roll-row').nth(34).waitFor();
    assert(await page.locator('.roll-row').count() === 35, 'one row per student');
    const first = page.locator(`.roll-row[data-student="${STUDENT}"] legend`);
    assert((await first.textContent()).includes(people.get(STUDENT).name), 'the name is shown');
    assert(await page.locator('.roll-row input[value="present"]:checked').count() === 35, 'all present');
    await page.locator('.roll-counts', { hasText: '出席 35' }).waitFor();
  });
  await check('one tap per student: 欠席 for s10105, 遅刻 for s10106, 早退 for s10107', async () => {
    await page.locator('.roll-row[data-student="s10105"] .seg-absent').click();
    await page.locator('.roll-row[data-student="s10106"] .seg-late').click();
    await page.locator('.roll-row[data-student="s10107"] .seg-early_leave').click();
    await page.locator('.roll-counts', { hasText: '出席 32 / 欠席 1 / 遅刻 1 / 早退 1' }).waitFor();
  });
  await check('keyboard: arrow keys move a student\'s status, Tab moves to the next student', async () => {
    await page.focus('.roll-row[data-student="s10110"] input[value="present"]');
    await page.keyboard.press('ArrowRight');
    assert(await page.locator('.roll-row[data-student="s10110"] input[value="absent"]').isChecked(), 'ArrowRight: absent');
    await page.keyboard.press('ArrowLeft');
    assert(await page.locator('.roll-row[data-student="s10110"] input[value="present"]').isChecked(), 'ArrowLeft: present');
    await page.keyboard.press('Tab');
    const next = await page.evaluate(() => document.activeElement.closest('.roll-row').dataset.student);
    assert(next === 's10111', `Tab went to ${next}`);
    await page.locator('.roll-counts', { hasText: '出席 32 / 欠席 1 / 遅刻 1 / 早退 1' }).waitFor();
  });
  await screenshot('teacher-attendance-tablet', 'tablet');
  await screenshot('teacher-attendance-phone', 'phone');
  await check('the roll fits a phone and an iPad: no sideways scrolling', async () => {
    await fitsSmallScreens('the roll');
  });
  await check('unsaved taps survive a reload of the page (kept in the browser until saved)', async () => {
    await page.reload({ waitUntil: 'load' });
    await waitH1('1年1組 — 出欠');
    await page.locator('.note.warn', { hasText: '保存していない入力を復元しました' }).waitFor();
    assert(await page.locator('.roll-row[data-student="s10105"] input[value="absent"]').isChecked(), 'absent kept');
    await page.locator('.roll-counts', { hasText: '出席 32 / 欠席 1 / 遅刻 1 / 早退 1' }).waitFor();
  });
  await check('saving the roll says so in words, and the box has 35 records', async () => {
    await page.click('#roll-save');
    await waitMsg(/の出欠を保存しました（35 人）。$/, 'ok');
    const r = await pageApi('GET', `/attendance?class=${encodeURIComponent(classId)}&date=${TODAY}&limit=100`);
    const rows = r.body.items.filter((a) => a.period === 0);
    assert(rows.length === 35, `${rows.length} records`);
    const st = Object.fromEntries(rows.map((a) => [a.student_id, a.status]));
    assert(st.s10105 === 'absent' && st.s10106 === 'late' && st.s10107 === 'early_leave' &&
      st.s10101 === 'present', JSON.stringify(st));
  });
  await check('opened again, the roll shows what was recorded', async () => {
    await goHash(`#/class/${encodeURIComponent(classId)}/announcements`);
    await goHash(`#/class/${encodeURIComponent(classId)}/attendance`);
    await page.locator('.note', { hasText: '35 人分が記録済みです' }).waitFor();
    assert(await page.locator('.note.warn').count() === 0, 'no draft left after saving');
    assert(await page.locator('.roll-row[data-student="s10105"] input[value="absent"]').isChecked(), 'absent kept');
  });
}

async function teacherPosts() {
  await check('the teacher posts an announcement to 1年1組', async () => {
    await page.click('.tabs a:has-text("連絡")');
    await waitH1('1年1組 — 連絡');
    await page.fill('#ann-title', ANN_TITLE);
    await page.fill('#ann-body', '体操服と水筒を持ってきてください。');
    await page.click('#main form button[type="submit"]');
    await waitMsg(`「${ANN_TITLE}」を掲示しました。`, 'ok');
    await page.locator('.item h2', { hasText: ANN_TITLE }).waitFor();
  });
  await check('an empty announcement is refused with words, not sent', async () => {
    await page.click('#main form button[type="submit"]');
    await waitMsg('件名と本文を入力してください。', 'error');
  });
  await check('the teacher sets an assignment with a due date', async () => {
    await page.click('.tabs a:has-text("課題")');
    await waitH1('1年1組 — 課題');
    await page.fill('#asg-title', ASG_TITLE);
    await page.fill('#asg-instructions', '実験の結果を写真で提出してください。');
    await page.fill('#asg-due', `${TOMORROW}T17:00`);
    await page.setInputFiles('#asg-file', { name: 'ワークシート.pdf', mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4\n% classbox worksheet\n%%EOF\n') });
    await page.click('#main form button[type="submit"]');
    await waitMsg(`課題「${ASG_TITLE}」を出しました。`, 'ok');
    await page.locator('#main li a', { hasText: ASG_TITLE }).waitFor();
  });
  await check('the teacher issues a reset code for a student of the homeroom', async () => {
    await page.click('.tabs a:has-text("名簿")');
    await waitH1('1年1組 — 名簿');
    const row = page.locator('tr', { has: page.locator('td', { hasText: new RegExp(`^${STUDENT2}$`) }) });
    assert((await row.textContent()).includes(people.get(STUDENT2).name), 'roster shows the name');
    await row.getByRole('button', { name: 'リセットコード発行' }).click();
    await waitMsg(`${people.get(STUDENT2).name} さんのリセットコードを発行しました。`, 'ok');
    const code = (await page.locator('#panel-slot .secret').textContent()).trim();
    assert(/^[2-9A-HJ-NP-Z]{10}$/.test(code), `code ${code}`);
    run.code = code;
  });
  await check('the teacher writes a guidance note for a homeroom student', async () => {
    const row = page.locator('tr', { has: page.locator('td', { hasText: /^s10105$/ }) });
    await row.getByRole('link', { name: '指導記録' }).click();
    await waitH1('s10105 の指導記録');
    await page.fill('#note-text', `面談: 体調を確認 ${stamp}`);
    await page.click('#main form button[type="submit"]');
    await waitMsg('指導記録を保存しました。', 'ok');
    await page.locator('.item .body', { hasText: `面談: 体調を確認 ${stamp}` }).waitFor();
  });
  await logout();
}

async function studentPath() {
  await check('a student asks the platform for a code, then resets the password with the teacher\'s code (パスワードを忘れたとき)', async () => {
    await page.click('a:has-text("パスワードを忘れたとき")');
    await waitH1('リセットコードでパスワードを再設定');
    await page.click('#reset-request');
    await waitMsg('ユーザー ID を入力してください。', 'error');
    await page.fill('#reset-user', STUDENT2);
    // online: a request for the school platform, the code comes from it
    await page.click('#reset-request');
    await waitMsg(/依頼を受け付けました。.*コードはプラットフォームから.*先生に相談/, 'ok');
    expectRefusal(/^\/api\/v1\/password\/reset$/, 401);
    await page.fill('#reset-code', 'WRONGCODE2');
    await page.fill('#reset-new', STUDENT2_PW);
    await page.fill('#reset-confirm', STUDENT2_PW);
    await page.click('#main button[type="submit"]');
    await waitMsg(/リセットコードが正しくないか/, 'error');
    await page.fill('#reset-code', run.code.toLowerCase());
    await page.fill('#reset-new', STUDENT2_PW);
    await page.fill('#reset-confirm', STUDENT2_PW);
    await page.click('#main button[type="submit"]');
    await waitMsg('パスワードを再設定しました。新しいパスワードでログインしてください。', 'ok');
    await login(STUDENT2, STUDENT2_PW);
    await logout();
  });
  await check('the student logs in and reads the announcement, then says 見ました', async () => {
    await login(STUDENT, people.get(STUDENT).pw);
    await page.click('#nav a:has-text("お知らせ")');
    await waitH1('お知らせ');
    const item = page.locator('.item', { has: page.locator('h2', { hasText: ANN_TITLE }) });
    assert((await item.textContent()).includes('体操服と水筒'), 'the body is shown');
    assert(await page.locator('.item').first().locator('h2').textContent() === ANN_TITLE, 'newest first');
    await item.getByRole('button', { name: '見ました' }).click();
    await waitMsg(`「${ANN_TITLE}」を見ましたと伝えました。`, 'ok');
    await item.getByRole('button', { name: '見ました ✓' }).waitFor();
  });
  await check('見ました is the box\'s word (the list\'s seen), not the browser\'s: still there after a reload', async () => {
    await page.evaluate(() => localStorage.removeItem('cb_seen'));
    await page.reload({ waitUntil: 'load' });
    await waitH1('お知らせ');
    const item = page.locator('.item', { has: page.locator('h2', { hasText: ANN_TITLE }) });
    await item.getByRole('button', { name: '見ました ✓' }).waitFor();
  });
  await check('the student opens the assignment, with the teacher\'s worksheet', async () => {
    await page.click('#nav a:has-text("課題")');
    await waitH1('課題');
    await page.click(`#main a:has-text("${ASG_TITLE}")`);
    await waitH1(ASG_TITLE);
    await page.locator('#main a[download="ワークシート.pdf"]').waitFor();
  });
  await check('a program file is refused before upload, in words', async () => {
    await page.setInputFiles('#sub-file', { name: 'game.exe', mimeType: 'application/x-msdownload',
      buffer: Buffer.from('MZ\x90\x00') });
    await page.click('#main form button[type="submit"]');
    await waitMsg('「game.exe」は送れない種類のファイルです。PDF、JPEG、PNG、HEIC、テキスト、JSON にしてください。', 'error');
  });
  await check('a photo over 750 KB is refused before upload, in words', async () => {
    await page.setInputFiles('#sub-file', { name: 'big.png', mimeType: 'image/png', buffer: png(800_000) });
    await page.click('#main form button[type="submit"]');
    await waitMsg(/^「big\.png」は 781 KB あり、大きすぎます/, 'error');
  });
  await check('a file that is not what its name says is refused by the box, in words', async () => {
    expectRefusal(/^\/api\/v1\/files$/, 415);
    await page.setInputFiles('#sub-file', { name: 'photo.png', mimeType: 'image/png',
      buffer: Buffer.from('this is not a picture at all') });
    await page.click('#main form button[type="submit"]');
    await waitMsg(/^「photo\.png」を送れませんでした。提出はまだ完了していません。/, 'error');
    assert(!/unsupported_media_type/.test(await msgText()), 'no error code shown');
    assert(await page.locator('#my-submissions').count() === 0, 'nothing submitted');
  });
  await check('the student submits a comment and a 300 KB photo, with progress, and sees it listed', async () => {
    await page.fill('#sub-text', '結果の写真です。');
    await page.setInputFiles('#sub-file', { name: 'jikken.png', mimeType: 'image/png', buffer: png(300_000) });
    // the progress bar's values as the upload runs (it is redrawn after)
    await page.evaluate(() => {
      const bar = document.getElementById('sub-progress');
      window.__cbProgress = [];
      new MutationObserver(() => { if (!bar.hidden) window.__cbProgress.push(bar.value); })
        .observe(bar, { attributes: true });
    });
    await page.click('#main form button[type="submit"]');
    await waitMsg(`「${ASG_TITLE}」を提出しました。`, 'ok');
    const seenValues = await page.evaluate(() => window.__cbProgress);
    assert(seenValues.length > 0 && seenValues[seenValues.length - 1] === 100,
      `progress shown up to 100: ${JSON.stringify(seenValues)}`);
    await page.locator('#my-submissions a[download="jikken.png"]').waitFor();
  });
  await screenshot('student-submitted-phone', 'phone');
  await check('the submitted assignment fits a phone and an iPad: no sideways scrolling', async () => {
    await fitsSmallScreens('the assignment page');
  });
  await check('my attendance shows today\'s record from the teacher: one record, 出席', async () => {
    await page.click('#nav a:has-text("自分の出欠")');
    await waitH1('自分の出欠');
    // the box holds the teacher's record of this morning (present), on
    // top of the demo's history; the page counts exactly what the box holds
    const r = await pageApi('GET', `/attendance?student=${STUDENT}&limit=100`);
    const rows = r.body.items;
    assert(!r.body.next && rows.some((a) => a.date === TODAY && a.period === 0 && a.status === 'present' &&
      a.recorded_by === TEACHER), `today's record: ${JSON.stringify(rows.filter((a) => a.date === TODAY))}`);
    const n = (st) => rows.filter((a) => a.status === st).length;
    const counts = (await page.locator('.roll-counts').textContent()).trim();
    const want = `記録 ${rows.length} 件: 出席 ${n('present')} / 欠席 ${n('absent')} / 遅刻 ${n('late')} / 早退 ${n('early_leave')}`;
    assert(counts === want, `counts "${counts}", the box holds "${want}"`);
    // present is not an absence: no row for today in the table
    const [y, m, d] = TODAY.split('-').map(Number);
    const dates = await page.locator('#main tbody tr td:first-child').allTextContents();
    assert(!dates.some((c) => c.startsWith(`${y}年${m}月${d}日`)), `a row for today: ${dates}`);
    await fitsSmallScreens('my attendance');
  });
  await logout();
}

async function teacherSees() {
  await check('the teacher sees the 見ました receipt: 1 of 35, with the student\'s name', async () => {
    await login(TEACHER, people.get(TEACHER).pw);
    await goHash(`#/class/${encodeURIComponent(classId)}/announcements`);
    await waitH1('1年1組 — 連絡');
    const item = page.locator('.item', { has: page.locator('h2', { hasText: ANN_TITLE }) });
    await item.getByRole('button', { name: '既読（見ました）を表示' }).click();
    await item.locator('.receipts p', { hasText: '35 人中 1 人が「見ました」' }).waitFor();
    assert((await item.locator('.receipts').textContent()).includes(people.get(STUDENT).name), 'name listed');
  });
  await check('the teacher sees the submission with its file: 1 of 35', async () => {
    await page.click('.tabs a:has-text("課題")');
    await page.click(`#main a:has-text("${ASG_TITLE}")`);
    await waitH1(ASG_TITLE);
    await page.locator('h2', { hasText: '提出 1 / 35 人' }).waitFor();
    await page.locator('#main td a[download="jikken.png"]').waitFor();
  });
  await logout();
}

async function parentPath() {
  await check('the parent sees their child by name', async () => {
    await login(PARENT, people.get(PARENT).pw);
    await page.click('#nav a:has-text("お子さま")');
    await waitH1('お子さま');
    await page.locator('#main h2', { hasText: `${people.get(STUDENT).name}（${STUDENT}）` }).waitFor();
  });
  await check('the parent sends an absence notice for tomorrow, with a reason', async () => {
    await page.click('#nav a:has-text("欠席・遅刻・早退連絡")');
    await waitH1('欠席・遅刻・早退連絡');
    await page.locator('#cutoff-note', { hasText: '08:30 まで' }).waitFor();
    await page.fill('#n-date', TOMORROW);
    await page.check('input[name="n-kind"][value="absent"]');
    await page.fill('#n-reason', '発熱のため');
    await page.click('#main form button[type="submit"]');
    await waitMsg(new RegExp(`^${people.get(STUDENT).name} さんの .* の欠席連絡を送りました。$`), 'ok');
    await page.locator('#sent-notices li', { hasText: '発熱のため' }).waitFor();
  });
  await screenshot('parent-absence-phone', 'phone');
  await check('the absence notice page fits a phone and an iPad: no sideways scrolling', async () => {
    await fitsSmallScreens('the absence notice page');
  });
  // Today's notice: refused from 08:30 school time on, accepted before.
  const late = schoolNow().slice(12) >= '08:30';
  await check(late ? 'a late-arrival notice for today after 08:30 is refused: phone the school'
    : 'a late-arrival notice for today before 08:30 is accepted', async () => {
    if (late) expectRefusal(/^\/api\/v1\/absence-notices$/, 409);
    await page.fill('#n-date', TODAY);
    await page.check('input[name="n-kind"][value="late"]');
    await page.click('#main form button[type="submit"]');
    if (late) await waitMsg('この日の連絡の締め切り（08:30）を過ぎています。学校に電話で連絡してください。', 'error');
    else await waitMsg(/の遅刻連絡を送りました。$/, 'ok');
  });
  await check('the parent withdraws tomorrow\'s notice', async () => {
    const li = page.locator('#sent-notices li', { hasText: '発熱のため' });
    await li.getByRole('button', { name: '取り下げる' }).click();
    await waitMsg(/の連絡を取り下げました。$/, 'ok');
    await page.locator('#sent-notices li', { hasText: '発熱のため' }).filter({ hasText: '取り下げ' }).waitFor();
  });
  await check('the parent reads the class announcement too', async () => {
    await page.click('#nav a:has-text("お知らせ")');
    await page.locator('.item h2', { hasText: ANN_TITLE }).waitFor();
  });
  await logout();
}

// The day's absence notices (#/absences): the parent's notice for tomorrow,
// withdrawn by then, as the teacher sees it.
async function teacherAbsences() {
  await check('the teacher\'s absence notices of tomorrow show the parent\'s notice, withdrawn', async () => {
    await login(TEACHER, people.get(TEACHER).pw);
    await page.click('#nav a:has-text("欠席連絡一覧")');
    await waitH1('欠席・遅刻・早退連絡');
    await redrawn(() => page.fill('#notices-date', TOMORROW));
    const row = page.locator('#main tbody tr', { hasText: '発熱のため' });
    await row.waitFor();
    const cells = (await row.locator('td').allTextContents()).map((c) => c.trim());
    assert(cells[0] === STUDENT && cells[1] === '欠席' && cells[3] === '取り下げ', JSON.stringify(cells));
    await fitsSmallScreens('the absence notices');
  });
  await check('a teacher is refused the backups (admins only), by the menu and by the API', async () => {
    expectRefusal(/^\/api\/v1\/admin\/backups$/, 403);
    assert(await page.locator('#nav a', { hasText: 'バックアップ' }).count() === 0, 'no backups in the menu');
    const r = await pageApi('GET', '/admin/backups');
    assert(r.status === 403 && r.body.error.code === 'forbidden', JSON.stringify(r));
  });
  await logout();
}

// A parent whose child the teacher marked absent today sees that record.
async function parentSeesAttendance() {
  await check('a parent sees the child\'s attendance: today\'s 欠席 from the teacher\'s roll', async () => {
    await login(ABSENT_PARENT, people.get(ABSENT_PARENT).pw);
    await page.click('#nav a:has-text("お子さま")');
    await waitH1('お子さま');
    const sec = page.locator('section.subcard', { has: page.locator('h2', { hasText: `（${ABSENT}）` }) });
    await sec.waitFor();
    // the newest row (the table is newest first): today's, from the roll
    const [y, m, d] = TODAY.split('-').map(Number);
    const cells = (await sec.locator('tbody tr').first().locator('td').allTextContents()).map((c) => c.trim());
    assert(cells[0].startsWith(`${y}年${m}月${d}日`) && cells[1] === '朝の HR' && cells[2] === '欠席',
      JSON.stringify(cells));
    await fitsSmallScreens('the children page');
  });
  await logout();
}

async function adminPath() {
  await check('the admin logs in and sees the admin pages in the menu', async () => {
    await login('admin', ADMIN_PW);
    for (const text of ['ユーザー管理', '名簿の取り込み', 'クラス管理', '学校設定・年度更新', 'お知らせ・メンテナンス', 'ログ', '本体の状態'])
      await page.locator('#nav a', { hasText: text }).first().waitFor();
  });
  await check('the admin registers a student', async () => {
    await goHash('#/users/new');
    await waitH1('ユーザーを登録');
    await page.fill('#new-id', `ui.${stamp}`);
    await page.fill('#new-name', '画面 太郎');
    await page.selectOption('#new-role', 'student');
    await page.click('#main button[type="submit"]');
    await waitMsg(`ユーザー ui.${stamp} を登録しました。`, 'ok');
    await page.locator('#panel-slot .secret').waitFor();
  });
  const csv = ['ユーザーID,氏名,役割,学年,組,出席番号',
    `im1.${stamp},青木 一郎,生徒,1,3,1`,
    `im2.${stamp},井上 花,先生,1,3,`,
    `im3.${stamp},上田 誠,教員,1,3,`].join('\r\n') + '\r\n';
  await check('a CSV with one bad line: the line and what is wrong, in words; nothing registered', async () => {
    expectRefusal(/^\/api\/v1\/users\/im1\./, 404);
    await page.click('#nav a:has-text("名簿の取り込み")');
    await waitH1('名簿の取り込み（CSV）');
    await page.setInputFiles('#import-file', { name: 'meibo.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.click('#import-run');
    await waitMsg('ファイルに誤りが 1 件あります。何も登録していません。一覧の行を直してください。', 'error');
    const cells = (await page.locator('#import-errors tbody tr td').allTextContents()).map((s) => s.trim());
    assert(cells.length === 2 && cells[0] === '3' && /役割「先生」/.test(cells[1]), JSON.stringify(cells));
    const r = await pageApi('GET', `/users/im1.${stamp}`);
    assert(r.status === 404, `im1 not created (${r.status})`);
  });
  await screenshot('admin-import-error-tablet', 'tablet');
  await check('the fixed CSV imports, with a link to the printable password slips', async () => {
    await page.setInputFiles('#import-file', { name: 'meibo.csv', mimeType: 'text/csv',
      buffer: Buffer.from(csv.replace(',先生,', ',教員,')) });
    await page.click('#import-check');
    await waitMsg('誤りはありません（3 行）。「取り込む」で登録できます。', 'ok');
    await page.click('#import-run');
    await waitMsg('3 人を登録しました。パスワード配布票を印刷してください。', 'ok');
    const href = await page.getAttribute('#slips-link', 'href');
    const slips = await page.evaluate((u) => fetch(u).then(async (r) => [r.status, await r.text()]), href);
    assert(slips[0] === 200 && slips[1].includes(`im1.${stamp}`), `slips ${slips[0]}`);
  });
  await check('the operation log, filtered by the teacher, shows the roll call', async () => {
    await page.click('#nav a:has-text("ログ")');
    await waitH1('操作ログ');
    await page.fill('#log-user', TEACHER);
    await page.fill('#log-action', 'attendance.create');
    await redrawn(() => page.click('#main form button[type="submit"]'));
    await page.locator('table.log tbody tr').first().waitFor();
    const rows = await page.locator('table.log tbody tr').allTextContents();
    assert(rows.length >= 1 && rows.every((r) => r.includes(TEACHER) && r.includes('attendance.create')),
      JSON.stringify(rows.slice(0, 3)));
  });
  await check('the login log shows the student\'s login', async () => {
    await page.click('.tabs a:has-text("ログインログ")');
    await waitH1('ログインログ');
    await page.fill('#log-user', STUDENT);
    await redrawn(() => page.click('#main form button[type="submit"]'));
    const rows = await page.locator('table.log tbody tr').allTextContents();
    assert(rows.some((r) => r.includes('login')) && rows.every((r) => r.includes(STUDENT)),
      JSON.stringify(rows.slice(0, 3)));
  });
  await screenshot('admin-logs-tablet', 'tablet');
  await check('the status page shows the clock (state and error bound, as the box says) and the school', async () => {
    await page.click('#nav a:has-text("本体の状態")');
    await waitH1('本体の状態');
    await page.locator('table.kv td', { hasText: '稼働中' }).waitFor();
    await page.locator('table.kv td', { hasText: '利用中' }).waitFor();
    const st = (await pageApi('GET', '/status')).body.time;
    const word = { synced: '同期済み', holdover: '保持中', unsynced: '未同期' }[st.state];
    const clock = (await page.textContent('#status-clock')).trim();
    assert(word && !/undefined|NaN/.test(clock) && (Number.isFinite(st.error_ms)
      ? new RegExp(`^${word} \\(±\\d+ ms\\)$`).test(clock)
      : clock === `${word}（誤差は不明: 本体の時計を読めませんでした）`), `clock row "${clock}" for ${JSON.stringify(st)}`);
    await fitsSmallScreens('the status page');
  });
  await check('the public /status page (linked from there) is styled by its sheet, with no CSP violation', async () => {
    const before = seen.csp.length;
    await page.click('#main a[href="/status"]');
    await page.locator('h1', { hasText: '稼働状況' }).waitFor();
    await page.locator('#time').waitFor();
    // status.css applied: body at most 40em wide (no inline <style>, which the CSP blocks)
    const maxWidth = await page.evaluate(() => getComputedStyle(document.body).maxWidth);
    assert(/^\d+(\.\d+)?px$/.test(maxWidth), `body max-width ${maxWidth}`);
    assert(seen.csp.length === before, `CSP violations on /status: ${seen.csp.slice(before).join(' | ')}`);
    await fitsSmallScreens('the public status page');
    await page.goto(`${BOX_URL}/#/status`, { waitUntil: 'load' });
    await waitH1('本体の状態');
  });
  await check('backups: before any backup ran, the page warns in words', async () => {
    await page.click('#nav a:has-text("バックアップ")');
    await waitH1('バックアップ');
    await page.locator('#backup-warnings p', { hasText: '検証済みのバックアップがまだありません' }).waitFor();
    await page.locator('#main .note', { hasText: '保管中のバックアップはありません。' }).waitFor();
    await fitsSmallScreens('the backups page');
  });
  await check('an incident notice posted by the admin shows as a banner above the pages', async () => {
    await page.click('#nav a:has-text("お知らせ・メンテナンス")');
    await waitH1('お知らせ・メンテナンス・障害');
    await page.selectOption('#nt-kind', 'incident');
    await page.fill('#nt-ja', `ネットワーク障害 ${stamp}`);
    await page.click('#main form button[type="submit"]');
    await waitMsg('お知らせを掲示しました。', 'ok');
    await goHash('#/');
    await page.locator('#banners .banner', { hasText: `ネットワーク障害 ${stamp}` }).waitFor();
  });
  await screenshot('admin-home-banner');
  await check('classes: the admin sees every class with its members\' names', async () => {
    await page.click('#nav a:has-text("クラス管理")');
    await waitH1('クラス管理');
    const row = page.locator('tr', { has: page.locator('td', { hasText: /^1年1組$/ }) });
    await row.getByRole('link', { name: 'メンバー' }).click();
    await waitH1(/1年1組/);
    await page.locator('td', { hasText: people.get(STUDENT).name }).first().waitFor();
  });
  await check('the school-year rollover asks in the page first, then moves to next year', async () => {
    await page.click('#nav a:has-text("学校設定・年度更新")');
    await waitH1('学校設定・年度更新');
    const year = Number(await page.inputValue('#sch-year'));
    await page.getByRole('button', { name: '年度更新を始める' }).click();
    await page.locator('.confirm p', { hasText: `${year} 年度から ${year + 1} 年度へ更新します` }).waitFor();
    await page.getByRole('button', { name: '年度更新を実行' }).click();
    await waitMsg(new RegExp(`^${year + 1} 年度に更新しました（作成 \\d+ クラス、読み取り専用 \\d+ クラス）。$`), 'ok');
    assert(Number(await page.inputValue('#sch-year')) === year + 1, 'the year moved on');
  });
  await check('in English, the same page speaks English', async () => {
    await goHash('#/');
    await waitH1('ホーム');
    await page.click('[data-lang="en"]');
    await waitH1('Home');
    await page.locator('#nav a', { hasText: 'Roster import' }).waitFor();
    await page.click('[data-lang="ja"]');
    await waitH1('ホーム');
  });
  await logout();
}

// A browser set to English gets the UI in English without touching the
// switch (navigator.languages follows its Accept-Language).
async function englishBrowser() {
  const b = await launch({ spki: SPKI, tmp: TMP, chromiumPath: CHROMIUM, boxUrl: BOX_URL, lang: 'en' });
  page = b.page;
  try {
    await check('a browser that prefers English gets the log-in page in English', async () => {
      const r = await page.goto(BOX_URL, { waitUntil: 'load' });
      assert(/^en\b/.test((await r.request().headerValue('accept-language')) || ''), 'Accept-Language en');
      await waitH1('Log in');
      assert(await page.getAttribute('html', 'lang') === 'en', 'html lang=en');
      await page.locator('a', { hasText: 'Forgot your password?' }).waitFor();
    });
    await check('a wrong password is refused in English words', async () => {
      expectRefusal(/^\/api\/v1\/login$/, 401);
      await page.fill('#login-user', 'no.such.user');
      await page.fill('#login-password', 'not-the-password');
      await page.click('#main button[type="submit"]');
      await page.waitForFunction(() => document.getElementById('msg').classList.contains('error'));
      const text = await msgText();
      assert(/^[\x20-\x7e]+$/.test(text) && !/login_failed/.test(text), `message "${text}"`);
    });
  } finally {
    await b.close();
    run.page = null;
  }
}

await walkMain({ spki: SPKI, tmp: TMP, chromiumPath: CHROMIUM, boxUrl: BOX_URL }, async (p, r) => {
  page = p;
  await check('the box answers', async () => {
    assert(r && r.status() === 200, `status ${r && r.status()}`);
    const csp = (await r.headerValue('content-security-policy')) || '';
    assert(!/unsafe-inline|unsafe-eval/.test(csp) && /script-src 'self'/.test(csp), `CSP ${csp}`);
  });
  await teacherAttendance();
  await teacherPosts();
  await studentPath();
  await teacherSees();
  await parentPath();
  await teacherAbsences();
  await parentSeesAttendance();
  await adminPath();
}, englishBrowser);
