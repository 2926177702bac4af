// tests/ui/conflicts.mjs: a guidance note left in conflict by sync, in
// Debian's Chromium: the admin sees the open conflict counted on the sync
// page and listed without its texts; the homeroom teacher sees both
// versions side by side, a merge box prefilled with both, saves the merge,
// and the note reads the merged text. Run by tests/ui/run, which passes
// (besides what roles.mjs gets) BOX_DATA and STORETOOL.
//
// The conflict is made the cheapest real way: the teacher writes the note
// in the UI, then the rig's storetool (tests/sync/storetool.c, `branch`)
// stores another peer's edit of it as replication does (new_edits=0, a
// sibling of the winning revision) and runs the box's conflict rules
// (firmware/sync/conflict.c) on it, as after a pull. The sync-rig test
// tests/sync/conflicts.sh makes the same conflict through PouchDB.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import {
  env, run, notOk, assert, screenshot, check, waitMsg, waitH1, goHash, pageApi,
  login, logout, walkMain,
} from './lib.mjs';

const BOX_URL = env('BOX_URL');
const SPKI = env('BOX_SPKI');
run.art = env('UI_ARTIFACTS');
run.prefix = 'conflicts-';
const TMP = env('UI_TMP');
const ADMIN_PW = env('ADMIN_PW');
const BOX_DATA = env('BOX_DATA');
const STORETOOL = env('STORETOOL');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const people = new Map(readFileSync(env('DEMO_PASSWORDS'), 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',')).map(([id, name, role, cls, , pw]) => [id, { name, role, cls, pw }]));
const TEACHER = 't01';          // homeroom teacher of 1-1
const STUDENT = 's10103';       // in 1-1
const stamp = Date.now().toString(36).slice(-5);
const BOX_TEXT = `面談: 部活動の相談 ${stamp}`;
const PEER_TEXT = `別の端末での追記: 保護者から電話 ${stamp}`;
const MERGED = `面談: 部活動の相談。保護者から電話あり ${stamp}`;

let page;
let noteId;

async function teacherWrites() {
  await check('the homeroom teacher writes a guidance note', async () => {
    await login(TEACHER, people.get(TEACHER).pw);
    await goHash(`#/student/${STUDENT}/notes`);
    await waitH1(`${STUDENT} の指導記録`);
    await page.fill('#note-text', BOX_TEXT);
    await page.click('#main form button[type="submit"]');
    await waitMsg('指導記録を保存しました。', 'ok');
    const r = await pageApi('GET', `/guidance-notes?student=${STUDENT}&limit=100`);
    const n = r.body.items.find((x) => x.text === BOX_TEXT);
    assert(n, 'the note is listed');
    noteId = n._id;
  });
  await logout();
  await check('another peer\'s edit of it comes down (storetool branch: new_edits=0, conflict rules)', async () => {
    const rev = execFileSync(STORETOOL, ['branch', BOX_DATA, noteId, PEER_TEXT]).toString().trim();
    assert(/^1-[0-9a-f]{32}$/.test(rev), `revision ${rev}`);      // a sibling of 1-…: another root
  });
}

async function adminSees() {
  await check('the sync page counts one open conflict, linked to the list', async () => {
    await login('admin', ADMIN_PW);
    await goHash('#/sync');
    await waitH1('クラウド同期');
    const link = page.locator('#sync-conflicts');
    assert((await link.textContent()) === '1 件', `count ${await link.textContent()}`);
    await link.click();
    await waitH1('同期の競合');
    await page.locator('#conflict-counts', { hasText: '未解決 1 件' }).waitFor();
  });
  await check('the admin sees the entry but not the note\'s texts (no grant)', async () => {
    await page.locator('.conflict', { hasText: noteId }).waitFor();
    await page.locator('.conflict .note', { hasText: '2 つの版があります' }).waitFor();
    const body = await page.locator('#main').textContent();
    assert(!body.includes(stamp), 'no text of the note on the admin\'s page');
    assert(await page.locator('#main textarea').count() === 0, 'no merge box for the admin');
  });
  await screenshot('admin-list');
  await logout();
}

async function teacherMerges() {
  await check('the teacher opens the conflicts: both versions side by side', async () => {
    await login(TEACHER, people.get(TEACHER).pw);
    await page.getByRole('link', { name: '同期の競合' }).first().click();
    await waitH1('同期の競合');
    const entry = page.locator('.conflict', { hasText: noteId });
    await entry.waitFor();
    const bodies = await entry.locator('.conflict-version .body').allTextContents();
    assert(bodies.length === 2 && bodies.includes(BOX_TEXT) && bodies.includes(PEER_TEXT),
      `versions ${JSON.stringify(bodies)}`);
    const metas = await entry.locator('.conflict-version .meta').allTextContents();
    assert(metas.some((m) => m.includes(TEACHER)), 'the author is shown');
    // side by side on a desktop: the two cards share a row
    const [a, b] = await entry.locator('.conflict-version').evaluateAll((els) =>
      els.map((e) => e.getBoundingClientRect().top));
    assert(Math.abs(a - b) < 2, 'the versions are side by side');
  });
  await check('the merge box is labelled and prefilled with both texts', async () => {
    const area = page.getByLabel('まとめた内容');
    const v = await area.inputValue();
    assert(v.includes(BOX_TEXT) && v.includes(PEER_TEXT), `prefill ${v}`);
  });
  await screenshot('teacher-merge');
  await screenshot('teacher-merge-phone', 'phone');
  await check('the teacher saves the merge', async () => {
    await page.getByLabel('まとめた内容').fill(MERGED);
    await page.getByRole('button', { name: 'まとめて保存' }).click();
    await waitMsg('指導記録をまとめて保存しました。', 'ok');
    await page.locator('#conflict-counts', { hasText: '未解決 0 件' }).waitFor();
    await page.locator('#main', { hasText: '未解決の競合はありません。' }).waitFor();
    await page.locator('#main table td', { hasText: TEACHER }).first().waitFor();
  });
  await check('the note now reads the merged text, once', async () => {
    await goHash(`#/student/${STUDENT}/notes`);
    await waitH1(`${STUDENT} の指導記録`);
    await page.locator('.item .body', { hasText: MERGED }).waitFor();
    const all = await page.locator('.item .body').allTextContents();
    assert(!all.includes(BOX_TEXT) && !all.includes(PEER_TEXT), 'the old versions are gone from the list');
  });
  await check('in English the page speaks English', async () => {
    await page.click('[data-lang="en"]');
    await goHash('#/conflicts');
    await waitH1('Sync conflicts');
    await page.locator('#conflict-counts', { hasText: '0 open' }).waitFor();
    await page.click('[data-lang="ja"]');
    await waitH1('同期の競合');
  });
  await logout();
}

await walkMain({ spki: SPKI, tmp: TMP, chromiumPath: CHROMIUM, boxUrl: BOX_URL }, async (p) => {
  page = p;
  await teacherWrites();
  await adminSees();
  await teacherMerges();
});
