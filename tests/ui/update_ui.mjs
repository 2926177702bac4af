// tests/ui/update_ui.mjs: the software update page (#/update) in Debian's
// Chromium against a host box whose `classbox updated` runs in test mode
// on files (tests/ui/update_box.sh): the boot state as the box reports it;
// real signed bundles of a small fake slot image sent in 1 MiB pieces;
// each refusal (another root's signature, another board, a lower epoch, a
// flipped byte in a chunk) in words, with nothing written to the slot; a
// cancelled upload dropped on the box; an upload cut after its first piece
// resumed from what the box says it has; the good bundle written to slot B
// (byte for byte) and the boot state flipped to a trial of B; English.
// What only QEMU proves (tests/system/update*.sh): the slot is a block
// device GRUB boots, the health check commits or rolls back a real boot,
// power cuts. Run by tests/ui/run, which passes:
//   BOX_URL BOX_SPKI UI_ARTIFACTS UI_TMP CHROMIUM ADMIN_PW UPD_DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  env, run, assert, screenshot, check, notOk, waitMsg, waitH1, goHash, login,
  logout, pageApi, walkMain,
} from './lib.mjs';

const BOX_URL = env('BOX_URL');
const SPKI = env('BOX_SPKI');
run.art = env('UI_ARTIFACTS');
run.prefix = 'update-';
const TMP = env('UI_TMP');
const ADMIN_PW = env('ADMIN_PW');
const UPD_DIR = env('UPD_DIR');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const bundle = (n) => join(UPD_DIR, 'bundles', `${n}.bundle`);
const PIECE = 1 << 20;

let page;
const puts = [];    // offsets of the PUT /update/upload/{offset} the page sent

async function send(name) {
  await page.setInputFiles('#update-file', bundle(name));
  await page.click('#update-start');
}

const slotB = () => readFileSync(join(UPD_DIR, 'slot-b'));

async function refused(name, reason, words) {
  await check(`a bundle ${words.en} is refused in words, nothing written`, async () => {
    await send(name);
    await waitMsg(new RegExp(`を受け付けませんでした。何も書き込んでいません。${words.ja}`), 'error');
    const last = page.locator('#update-last-text');
    assert(await last.getAttribute('data-outcome') === 'refused', 'outcome refused');
    assert(await last.getAttribute('data-reason') === reason, `reason ${reason}`);
    assert(slotB().length === 0, 'slot B untouched');
    const r = await pageApi('GET', '/update');
    assert(r.body.received === 0 && r.body.last.reason === reason, `API: ${JSON.stringify(r.body)}`);
  });
}

async function updatePage() {
  page.on('request', (q) => {
    const m = /\/api\/v1\/update\/upload\/(\d+)$/.exec(q.url());
    if (m && q.method() === 'PUT') puts.push(Number(m[1]));
  });
  await check('the admin opens the update page: booted A, other B, A final, epoch 3, version, no update yet', async () => {
    await login('admin', ADMIN_PW);
    await goHash('#/update');
    await waitH1('ソフトウェア更新');
    assert(await page.textContent('#update-booted') === 'A', 'booted A');
    assert(await page.textContent('#update-other') === 'B', 'other B');
    assert(await page.textContent('#update-state') === 'スロット A で確定しています', 'state');
    assert(await page.textContent('#update-epoch') === '3', 'epoch 3');
    assert((await page.textContent('#update-version')).length > 0, 'version');
    assert(await page.textContent('#update-pending') === 'なし', 'nothing pending');
    await page.locator('#update-last', { hasText: 'まだ更新していません' }).waitFor();
    await screenshot('page');
  });
  await refused('badsig', 'signature', { en: 'signed by another root key',
    ja: '署名が正しくありません' });
  await refused('board', 'board', { en: 'for another board', ja: 'この本体の機種向けの更新ファイルではありません。' });
  await refused('epoch', 'epoch', { en: 'of a lower security epoch', ja: '今の版より古い' });
  await refused('chunk', 'chunk', { en: 'with one flipped byte in a chunk', ja: 'ファイルの一部が壊れています' });
  await screenshot('refused');
  await check('cancel: the sending stops and the box drops what it got', async () => {
    // slow pieces, so that the cancel comes in the middle
    await page.route('**/api/v1/update/upload/*', async (route) => {
      if (route.request().method() === 'PUT') await new Promise((ok) => { setTimeout(ok, 800); });
      await route.continue();
    });
    await send('good');
    await page.locator('#update-cancel').waitFor({ state: 'visible' });
    await page.waitForFunction(() => /\d+%/.test(document.getElementById('update-status').textContent));
    await page.click('#update-cancel');
    await waitMsg('送信をやめ、途中まで送った分を消しました。', 'ok');
    await page.unroute('**/api/v1/update/upload/*');
    const r = await pageApi('GET', '/update');
    assert(r.body.received === 0, `the box holds ${r.body.received} bytes`);
    assert(slotB().length === 0, 'slot B untouched');
  });
  await check('an upload cut after its first piece: the page says so and resumes where the box is', async () => {
    // the first MiB sent by an earlier page that lost its connection
    const first = readFileSync(bundle('good')).subarray(0, PIECE).toString('base64');
    const put = await page.evaluate(async (b64) => {
      const me = await fetch('/api/v1/me').then((r) => r.json());
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const r = await fetch('/api/v1/update/upload/0', { method: 'PUT', body: bytes,
        headers: { 'X-CSRF-Token': me.csrf_token, 'Content-Type': 'application/octet-stream' } });
      return r.status;
    }, first);
    assert(put === 200, `first piece ${put}`);
    await goHash('#/');
    await goHash('#/update');
    await page.locator('#update-partial', { hasText: '途中まで送った更新ファイルがあります（1.0 MB）' }).waitFor();
    puts.length = 0;
    await send('good');
    await waitMsg(/^版 ui-4 をスロット B に書き込みました。/, 'ok');
    assert(puts.length > 0 && puts[0] === PIECE, `the page's first piece went at ${puts[0]}, not ${PIECE}`);
    await screenshot('installed');
  });
  await check('the good bundle is in slot B byte for byte, B is on trial, the outcome is shown', async () => {
    const img = readFileSync(join(UPD_DIR, 'slot.squashfs'));
    assert(Buffer.compare(slotB(), img) === 0, 'slot B holds the image');
    await goHash('#/');
    await goHash('#/update');
    assert((await page.textContent('#update-state')).startsWith('スロット B を試験中です（残り 3 回'), 'trial of B');
    await page.locator('#update-pending', { hasText: '版 ui-4 をスロット B に書き込み済み' }).waitFor();
    assert(await page.locator('#update-last-text').getAttribute('data-outcome') === 'installed', 'installed');
  });
  await check('in English, the update page speaks English', async () => {
    await page.click('[data-lang="en"]');
    await goHash('#/');
    await goHash('#/update');
    await waitH1('Software update');
    await page.locator('#update-last-text', { hasText: 'Version ui-4 was written to slot B.' }).waitFor();
    await page.click('[data-lang="ja"]');
    await waitH1('ソフトウェア更新');
  });
  await logout();
}

await walkMain({ spki: SPKI, tmp: TMP, chromiumPath: CHROMIUM, boxUrl: BOX_URL }, async (p) => {
  page = p;
  await updatePage();
});
