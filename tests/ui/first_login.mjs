// tests/ui/first_login.mjs: the web UI end to end in Debian's Chromium, as a
// person uses it. Run by tests/ui/run, which starts the box and passes:
//   BOX_URL BOX_PW   the box and its printed initial admin password
//   BOX_SPKI         base64 SHA-256 of the box certificate's public key:
//                    the only certificate this browser accepts
//   UI_ARTIFACTS     where the screenshots go (NN-step.png)
//   UI_TMP           scratch space (fresh user-data-dirs)
//   CHROMIUM         the browser (/usr/bin/chromium)
// Prints "ok - WHAT" / "not ok - WHAT" per check; exits 1 on any failure.
// A failed step stops the scenario (later steps depend on it), but the
// console/CSP checks still run. Waits are for elements, never sleeps.
import {
  env, TIMEOUT, run, ok, notOk, note, firstLine, assert, screenshot, check, launch,
  finalVerdicts, waitMsg, waitH1, goHash, Stop, expectRefusal,
} from './lib.mjs';

const BOX_URL = env('BOX_URL');
const BOX_PW = env('BOX_PW');
const SPKI = env('BOX_SPKI');
run.art = env('UI_ARTIFACTS');
const TMP = env('UI_TMP');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const ADMIN_PW = 'Sakura-2026-spring';
const TEACHER = { id: 'tanaka.h', name: '田中 花子', role: 'teacher' };
const TEACHER_PW = 'Hanako-kyoushitsu-3';

let page;          // the page under test
const msg = () => page.locator('#msg');
const h1 = () => page.locator('#main h1');

async function label(forId) {
  return (await page.locator(`label[for="${forId}"]`).textContent({ timeout: TIMEOUT })).trim();
}

// an API call from inside the page, as the UI would make it (cookie, token)
async function pageApi(method, path) {
  return page.evaluate(async ([m, p]) => {
    const me = await fetch('/api/v1/me').then((r) => r.json()).catch(() => ({}));
    const r = await fetch(`/api/v1${p}`, { method: m,
      headers: m === 'GET' ? {} : { 'X-CSRF-Token': me.csrf_token || '' } });
    const body = await r.json().catch(() => null);
    return { status: r.status, code: body && body.error && body.error.code };
  }, [method, path]);
}

const JA = /[\u3040-\u30ff\u4e00-\u9fff]/;   // kana or kanji

// Without the pinned key the box's self-signed certificate must be refused:
// the trust below is that one key, not "ignore errors".
async function certIsRefusedWithoutPin() {
  const b = await launch({ spki: SPKI, tmp: TMP, chromiumPath: CHROMIUM, boxUrl: BOX_URL, pin: false });
  try {
    let err = null;
    try { await b.page.goto(BOX_URL, { timeout: TIMEOUT }); } catch (e) { err = e; }
    assert(err && /ERR_CERT/.test(err.message),
      `navigation should fail with a certificate error, got ${err ? firstLine(err) : 'a page'}`);
  } finally { await b.close(); run.page = null; }
}

// ---- the scenario ----------------------------------------------------------

async function scenario() {
  await check('without the pinned key, Chromium refuses the box certificate', certIsRefusedWithoutPin);

  const b = await launch({ spki: SPKI, tmp: TMP, chromiumPath: CHROMIUM, boxUrl: BOX_URL });
  try {
    page = b.page;

    // 1. the login page, in Japanese for a Japanese browser
    let docResponse;
    await check('the box answers over HTTPS with its own pinned certificate', async () => {
      docResponse = await page.goto(BOX_URL, { waitUntil: 'load', timeout: TIMEOUT });
      assert(docResponse && docResponse.status() === 200, `status ${docResponse && docResponse.status()}`);
    });
    await check('the browser asks for Japanese (Accept-Language: ja)', async () => {
      const al = await docResponse.request().headerValue('accept-language');
      assert(/^ja\b/.test(al || ''), `Accept-Language ${al}`);
    });
    await check('the page is served with the CSP the UI must work under', async () => {
      const csp = await docResponse.headerValue('content-security-policy') || '';
      assert(/default-src 'self'/.test(csp) && /script-src 'self'/.test(csp) &&
        /style-src 'self'/.test(csp), `CSP "${csp}"`);
    });
    await check('the login page is in Japanese (ログイン, ユーザー ID, パスワード)', async () => {
      await waitH1('ログイン');
      assert(await label('login-user') === 'ユーザー ID', `user label "${await label('login-user')}"`);
      assert(await label('login-password') === 'パスワード', 'password label');
      assert(await page.getAttribute('html', 'lang') === 'ja', 'html lang=ja');
      assert(await page.getAttribute('[data-lang="ja"]', 'aria-pressed') === 'true', '日本語 pressed');
      assert(await page.locator('#loading').count() === 0, 'the loading text is gone');
    });
    await screenshot('login-ja');
    await check('switching to English shows the login page in English', async () => {
      await page.click('[data-lang="en"]');
      await waitH1('Log in');
      assert(await label('login-user') === 'User ID', 'user label');
      assert(await label('login-password') === 'Password', 'password label');
      assert(await page.getAttribute('html', 'lang') === 'en', 'html lang=en');
      assert(await page.getAttribute('[data-lang="en"]', 'aria-pressed') === 'true', 'English pressed');
    });
    await screenshot('login-en');
    await check('switching back to 日本語 shows Japanese again', async () => {
      await page.click('[data-lang="ja"]');
      await waitH1('ログイン');
      assert(await label('login-user') === 'ユーザー ID', 'user label');
      assert(await page.getAttribute('html', 'lang') === 'ja', 'html lang=ja');
    });

    // 2. the administrator's first login: held at the password change
    await check('a wrong password is refused with a message in words', async () => {
      expectRefusal(/^\/api\/v1\/login$/, 401);
      await page.fill('#login-user', 'admin');
      await page.fill('#login-password', 'not-the-password');
      await page.click('#main button[type="submit"]');
      await page.waitForFunction(() => {
        const m = document.getElementById('msg');
        return m.classList.contains('error') && m.getAttribute('role') === 'alert';
      }, null, { timeout: TIMEOUT });
      const text = await msg().textContent();
      assert(JA.test(text) && !/login_failed/.test(text), `message "${text}"`);
      await waitH1('ログイン');
    });
    await check('admin logs in with the initial password and is sent to the password change', async () => {
      await page.fill('#login-user', 'admin');
      await page.fill('#login-password', BOX_PW);
      await page.click('#main button[type="submit"]');
      await waitH1('パスワードの変更');
      await page.locator('#main .note', { hasText: '最初のパスワードを変更してください' }).waitFor();
      assert(await page.locator('a[href="#/users"]').count() === 0, 'no user management link');
    });
    await screenshot('admin-forced-change');
    await check('while the change is pending, #/users and #/users/new show only the change', async () => {
      for (const hash of ['#/users', '#/users/new', '#/password', '#/']) {
        await goHash(hash);
        await waitH1('パスワードの変更');
        assert(await page.locator('table, #new-id').count() === 0, `${hash} shows no user management`);
      }
      await goHash('#/users');   // and stay there: the change must still land home
    });
    await check('while the change is pending, the API refuses the user list too', async () => {
      expectRefusal(/^\/api\/v1\/users$/, 403);
      const r = await pageApi('GET', '/users');
      assert(r.status === 403 && r.code === 'password_change_required', JSON.stringify(r));
    });
    await check('a too-short new password shows a clear error in words', async () => {
      await page.fill('#pw-old', BOX_PW);
      await page.fill('#pw-new', 'short1');
      await page.fill('#pw-confirm', 'short1');
      await page.click('#main button[type="submit"]');
      await waitMsg('新しいパスワードは 8〜64 文字にしてください。', 'error');
      assert(await msg().getAttribute('role') === 'alert', 'announced as an alert');
    });
    await screenshot('admin-password-too-short');
    await check('the box\'s own refusal (password containing the user id) shows in words', async () => {
      expectRefusal(/^\/api\/v1\/password$/, 400);
      await page.fill('#pw-old', BOX_PW);
      await page.fill('#pw-new', 'admin-2026-spring');
      await page.fill('#pw-confirm', 'admin-2026-spring');
      await page.click('#main button[type="submit"]');
      await waitMsg('新しいパスワードにユーザー ID を含めないでください。', 'error');
      await waitH1('パスワードの変更');
    });
    await check('the rules are shown beside the field, in words', async () => {
      const rules = await page.locator('#pw-rules').textContent();
      assert(rules.includes('学校名') && rules.includes('12345678'), rules);
    });
    await check('a repetitive password (ああああああああ) is refused by the box, naming the rule', async () => {
      expectRefusal(/^\/api\/v1\/password$/, 400);
      await page.fill('#pw-old', BOX_PW);
      await page.fill('#pw-new', 'ああああああああ');
      await page.fill('#pw-confirm', 'ああああああああ');
      await page.click('#main button[type="submit"]');
      await waitMsg('新しいパスワードは推測されやすいものです。同じ文字やパターンの繰り返し、12345678 や abcdefgh、あいうえお… のような並び、空白だけのものは使えません。', 'error');
      await waitH1('パスワードの変更');
    });
    await check('eight spaces too', async () => {
      expectRefusal(/^\/api\/v1\/password$/, 400);
      await page.fill('#pw-old', BOX_PW);
      await page.fill('#pw-new', '        ');
      await page.fill('#pw-confirm', '        ');
      await page.evaluate(() => { document.getElementById('msg').textContent = ''; });
      await page.click('#main button[type="submit"]');
      await waitMsg('新しいパスワードは推測されやすいものです。同じ文字やパターンの繰り返し、12345678 や abcdefgh、あいうえお… のような並び、空白だけのものは使えません。', 'error');
    });
    await check('a good new password is accepted with a success message, landing on home', async () => {
      await page.fill('#pw-old', BOX_PW);
      await page.fill('#pw-new', ADMIN_PW);
      await page.fill('#pw-confirm', ADMIN_PW);
      await page.click('#main button[type="submit"]');
      await waitH1('ホーム');
      await waitMsg('パスワードを変更しました。', 'ok');
      assert(await page.evaluate(() => location.hash) === '#/', 'at #/');
      await page.locator('#main .badge', { hasText: '管理者' }).waitFor();
      // the message must stay: nothing re-routes behind it
      await page.locator('#main').evaluate((m) => { m.firstElementChild.dataset.home = '1'; });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
      assert(await msg().textContent() === 'パスワードを変更しました。', 'the success message stays');
      assert(await page.locator('#main [data-home]').count() === 1, 'home is not redrawn');
    });
    await screenshot('admin-home');

    // 3. the administrator registers a teacher
    let initialPw;
    await check('admin opens user management from home', async () => {
      await page.click('a[href="#/users"]');
      await waitH1('ユーザー管理');
      await page.locator('#main td', { hasText: /^admin$/ }).waitFor();
    });
    await check('admin registers a teacher (id, Japanese name, role) and sees the initial password', async () => {
      await page.click('a[href="#/users/new"]');
      await waitH1('ユーザーを登録');
      await page.fill('#new-id', TEACHER.id);
      await page.fill('#new-name', TEACHER.name);
      await page.selectOption('#new-role', TEACHER.role);
      assert(await page.locator('#new-children').isHidden(), 'no children field for a teacher');
      await page.click('#main button[type="submit"]');
      await waitMsg(`ユーザー ${TEACHER.id} を登録しました。`, 'ok');
      await page.locator('#panel-slot h2', { hasText: `初期パスワード: ${TEACHER.id}` }).waitFor();
      initialPw = (await page.locator('#panel-slot .secret').textContent()).trim();
      assert(/^[A-Za-z0-9]{8,}$/.test(initialPw), `initial password "${initialPw}"`);
      await page.locator('#panel-slot .note', { hasText: '一度だけ表示されます' }).waitFor();
      assert(await page.inputValue('#new-id') === '' && await page.inputValue('#new-name') === '',
        'the form is cleared for the next user');
    });
    await screenshot('admin-teacher-created');
    await check('the user list shows the teacher, and the initial password is not shown again', async () => {
      await page.click('#main a[href="#/users"]');
      await waitH1('ユーザー管理');
      // the demo school has 180 accounts: find the teacher by id
      await page.fill('#find-id', TEACHER.id);
      await page.click('#main form[role="search"] button[type="submit"]');
      const row = page.locator('#main tr', { has: page.locator('td', { hasText: new RegExp(`^${TEACHER.id}$`) }) });
      await row.waitFor();
      const cells = (await row.locator('td').allTextContents()).map((s) => s.trim());
      assert(cells[1] === TEACHER.name && cells[2] === '教員' && cells[3] === '有効' && cells[4] === 'いいえ',
        `row ${JSON.stringify(cells)}`);
      assert(!(await page.locator('body').innerText()).includes(initialPw), 'password not on the page');
    });
    const teacherRow = () => page.locator('#main tr', { has: page.locator('td', { hasText: new RegExp(`^${TEACHER.id}$`) }) });
    await check('suspend: a confirmation message, and the list shows 利用停止中', async () => {
      await teacherRow().getByRole('button', { name: '利用停止' }).click();
      await waitMsg(`${TEACHER.id} の利用を停止しました。`, 'ok');
      await teacherRow().locator('td', { hasText: /^利用停止中$/ }).waitFor();
      await teacherRow().getByRole('button', { name: '利用再開' }).waitFor();
    });
    await screenshot('admin-teacher-suspended');
    await check('reactivate: a confirmation message, and the list shows 有効', async () => {
      await teacherRow().getByRole('button', { name: '利用再開' }).click();
      await waitMsg(`${TEACHER.id} の利用を再開しました。`, 'ok');
      await teacherRow().locator('td', { hasText: /^有効$/ }).waitFor();
      await teacherRow().getByRole('button', { name: '利用停止' }).waitFor();
    });
    await screenshot('admin-teacher-reactivated');

    // 4. log out; the teacher's first login, with the keyboard only
    await check('admin logs out with a message', async () => {
      await page.click('#main a[href="#/"]');
      await waitH1('ホーム');
      await page.getByRole('button', { name: 'ログアウト' }).click();
      await waitH1('ログイン');
      await waitMsg('ログアウトしました。', 'ok');
    });
    await check('after logout the API has no session', async () => {
      const r = await page.evaluate(() => fetch('/api/v1/me').then((x) => x.status));
      assert(r === 401, `GET /me ${r}`);
    });
    await screenshot('logged-out');
    await check('keyboard only: Tab to the user id, Tab to the password, Enter logs the teacher in', async () => {
      // the heading has focus after a view change; Tab moves into the form
      assert(await page.evaluate(() => document.activeElement.tagName) === 'H1', 'focus on the heading');
      await page.keyboard.press('Tab');
      assert(await page.evaluate(() => document.activeElement.id) === 'login-user', 'Tab reaches the user id');
      await page.keyboard.type(TEACHER.id);
      await page.keyboard.press('Tab');
      assert(await page.evaluate(() => document.activeElement.id) === 'login-password', 'Tab reaches the password');
      await page.keyboard.type(initialPw);
      await page.keyboard.press('Enter');
      await waitH1('パスワードの変更');
    });
    await screenshot('teacher-forced-change');
    await check('the teacher is held at the password change too', async () => {
      await goHash('#/users');
      await waitH1('パスワードの変更');
      assert(await page.locator('table').count() === 0, 'no user list');
    });
    await check('keyboard only: the teacher changes the password (Tab between fields, Enter submits)', async () => {
      await page.focus('#pw-old');
      await page.keyboard.type(initialPw);
      await page.keyboard.press('Tab');
      await page.keyboard.type(TEACHER_PW);
      await page.keyboard.press('Tab');
      await page.keyboard.type(TEACHER_PW);
      await page.keyboard.press('Enter');
      await waitH1('ホーム');
      await waitMsg('パスワードを変更しました。', 'ok');
    });
    await check('the teacher\'s home shows the Japanese name and role, and no user management', async () => {
      const text = await page.locator('#main').innerText();
      assert(text.includes(`${TEACHER.name}（${TEACHER.id}）`) && text.includes('役割: 教員'), `home "${text}"`);
      assert(await page.locator('a[href="#/users"]').count() === 0, 'no user management link');
      assert(await page.locator('#main .badge').count() === 0, 'no admin badge');
    });
    await screenshot('teacher-home');
    await check('the teacher cannot reach user management by address or by API', async () => {
      expectRefusal(/^\/api\/v1\/users$/, 403);
      for (const hash of ['#/users', '#/users/new']) {
        await goHash(hash);
        await waitH1('ホーム');
        assert(await page.locator('table, #new-id').count() === 0, `${hash} shows no user management`);
      }
      const r = await pageApi('GET', '/users');
      assert(r.status === 403 && r.code === 'forbidden', JSON.stringify(r));
    });
    await check('the teacher logs out', async () => {
      await goHash('#/');
      await page.getByRole('button', { name: 'ログアウト' }).click();
      await waitH1('ログイン');
      await waitMsg('ログアウトしました。', 'ok');
    });
    await screenshot('teacher-logged-out');
  } finally {
    await b.close();
    run.page = null;
  }
}

// ---- run ---------------------------------------------------------------------

try {
  await scenario();
} catch (e) {
  if (!(e instanceof Stop)) notOk(`the scenario ran to its end: ${firstLine(e)}`);
  else notOk('the scenario ran to its end (stopped at the first failure above)');
}
finalVerdicts();
process.exit(run.failed ? 1 : 0);
