// tests/ui/admin_ops.mjs: the administrator's operations pages in Debian's
// Chromium, after roles.mjs (same box, same admin password): backups (the
// generation tests/ui/run made with `classbox backup create`, verified, the
// last run's outcome and the next one), cloud sync
// (its state; the enrollment file uploaded, refused with the field named,
// then taken by sync, then replaced behind a confirmation; a proxy set,
// taken by sync, shown without its password, then cleared),
// box status with the disk, the SBOM ("absent" on a host box; an image's
// document, served in the box's place, as a table), the export
// (a whole ZIP file is downloaded, the progress bar ends at 100 %; one
// click confirms it with the box by its SHA-256; a saved file changed or
// cut is refused, the saved file itself confirmed), the LAN
// page (the CA downloads; a network change's confirm-or-revert step, with
// the walk writing netcfg's state file in its place),
// and the end of service: the school is set to terminating (the earlier
// export no longer covers everything; a new one, confirmed, does), every user
// (a teacher too) sees the banner, a wrong school name is refused in the
// page and by the box, and the school is set back to active. The shared
// box is never terminated. Run by tests/ui/run, which passes:
//   BOX_URL BOX_SPKI UI_ARTIFACTS UI_TMP CHROMIUM ADMIN_PW DEMO_PASSWORDS
//   NETCFG_DIR (the box's --netcfg-dir)
//   BACKUP_DIR (where tests/ui/run made a backup), BOX_DATA (the box's data)
import { readFileSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  env, run, notOk, assert, screenshot, check, waitMsg, waitH1, goHash, login,
  logout, walkMain, expectRefusal,
} from './lib.mjs';

const BOX_URL = env('BOX_URL');
const SPKI = env('BOX_SPKI');
run.art = env('UI_ARTIFACTS');
run.prefix = 'admin-';
const TMP = env('UI_TMP');
const ADMIN_PW = env('ADMIN_PW');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const people = new Map(readFileSync(env('DEMO_PASSWORDS'), 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',')).map(([id, , , , , pw]) => [id, pw]));
const TEACHER = 't01';
const NETCFG_DIR = env('NETCFG_DIR');      // the box's --netcfg-dir
const ENROLL_GOOD = env('ENROLL_GOOD');    // an enrollment file (tests/ui/run)
const ENROLL_BAD = env('ENROLL_BAD');      // the same with an http:// cloud
const BACKUP_DIR = env('BACKUP_DIR');      // the backup target of tests/ui/run
const BACKUP_STATUS = join(env('BOX_DATA'), 'backup', 'status.json');   // the job's, for web

let page;
let lastExport;                   // the bytes of the last export downloaded

// a download started by FN, saved under UI_TMP; its name and bytes
async function download(fn) {
  const [d] = await Promise.all([page.waitForEvent('download'), fn()]);
  const file = join(TMP, `dl-${d.suggestedFilename()}`);
  await d.saveAs(file);
  return { name: d.suggestedFilename(), bytes: readFileSync(file) };
}

// POST /school/terminate with CONFIRM from inside the page (cookie, token)
async function terminateApi(confirm) {
  return page.evaluate(async (c) => {
    const me = await fetch('/api/v1/me').then((r) => r.json());
    const r = await fetch('/api/v1/school/terminate', { method: 'POST',
      headers: { 'X-CSRF-Token': me.csrf_token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ confirm: c }) });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, confirm);
}

// netcfg's part (classbox netcfg applies requests as root; here the walk
// answers in its place): DIR/state as netcfg_state_format writes it
function netcfgSays(id, phase, deadlineMs = 0) {
  writeFileSync(join(NETCFG_DIR, 'state.tmp'), `id=${id}\nphase=${phase}\ndeadline_ms=${deadlineMs}\nmessage=\n`);
  renameSync(join(NETCFG_DIR, 'state.tmp'), join(NETCFG_DIR, 'state'));
}
const netcfgRequestId = () => Number(/^id=(\d+)$/m.exec(readFileSync(join(NETCFG_DIR, 'request'), 'utf8'))[1]);

// The confirm-or-revert step of a network change, netcfg played by the walk.
async function networkChange() {
  await check('a static address: the box applies it, the countdown runs, confirming here is refused with the new address', async () => {
    expectRefusal(/^\/api\/v1\/lan\/network\/confirm$/, 409);
    // on the LAN page since the check above
    await page.selectOption('#net-mode', 'static');
    await page.fill('#net-address', '10.99.0.5/24');
    await page.fill('#net-gateway', '10.99.0.1');
    await page.fill('#net-confirm-s', '60');
    await page.getByRole('button', { name: '変更する' }).click();
    await page.locator('#net-applying').waitFor();
    const id = netcfgRequestId();
    netcfgSays(id, 'waiting', Date.now() + 60_000);
    await page.locator('#net-countdown').waitFor();
    const first = Number(await page.textContent('#net-countdown'));
    assert(first > 40 && first <= 60, `countdown ${first}`);
    await page.waitForFunction((f) => Number(document.getElementById('net-countdown').textContent) < f, first);
    await page.locator('a[href="https://10.99.0.5/#/lan"]').waitFor();
    await page.click('#net-confirm');
    await waitMsg('ここからは確定できません。新しいアドレス https://10.99.0.5/#/lan で開いて確定してください。', 'error');
    await screenshot('network-countdown');
    netcfgSays(id, 'reverted');
    await waitMsg('時間内に確認されなかったため、元の設定に戻しました。', 'error');
    assert(await page.locator('#net-countdown').count() === 0, 'no countdown after the revert');
  });
  await check('DHCP: confirmed from here, the box keeps it', async () => {
    await page.selectOption('#net-mode', 'dhcp');
    await page.getByRole('button', { name: '変更する' }).click();
    await page.locator('#net-applying').waitFor();
    const id = netcfgRequestId();
    netcfgSays(id, 'waiting', Date.now() + 60_000);
    await page.click('#net-confirm');
    await waitMsg('ネットワーク設定を確定しました。', 'ok');
    assert(readFileSync(join(NETCFG_DIR, 'confirm'), 'utf8').trim() === `id=${id}`, 'the box wrote the confirmation');
    netcfgSays(id, 'confirmed');
    await waitMsg('設定は確定され、保存されました。', 'ok');
    await page.locator('#net-phase', { hasText: '設定は確定され、保存されました。' }).waitFor();
  });
}

// The backups page after tests/ui/run's `classbox backup create`: web
// reads only the job's status file, never the target (root's, 0700).
async function backups() {
  const gens = readdirSync(BACKUP_DIR).filter((f) => /^classbox-.*\.cbbak$/.test(f));
  await check('backups: the generation made by classbox backup is listed, verified, with the last run and the next', async () => {
    assert(gens.length === 1, `one generation in ${BACKUP_DIR}: ${gens}`);
    await page.click('#nav a:has-text("バックアップ")');
    await waitH1('バックアップ');
    const rows = page.locator('#backup-table tbody tr');
    await rows.first().waitFor();
    assert(await rows.count() === 1, `${await rows.count()} rows`);
    const cells = (await rows.first().locator('td').allTextContents()).map((c) => c.trim());
    assert(cells[3] === gens[0] && cells[2] === '検証済み' && /\d+(\.\d+)? (KB|MB)/.test(cells[1]),
      JSON.stringify(cells));
    await page.locator('#backup-last-run', { hasText: /に成功$/ }).waitFor();
    await page.locator('#backup-ok', { hasText: '予定どおりに作られ、検証されています' }).waitFor();
    assert(await page.locator('#backup-warnings').count() === 0, 'no warning');
    // the next run: 02:30 school time (--daily-at, the job ran in JST)
    const next = (await page.textContent('#backup-next')).trim();
    assert(/\s0?2:30$/.test(next), `next run "${next}"`);
    await screenshot('backups');
  });
  await check('backups: a failed last run and an old last backup are warned about, in words', async () => {
    // the job's status file as a failed night leaves it, the last good
    // generation three days old (web judges the age; the limit is 48 h)
    const real = readFileSync(BACKUP_STATUS, 'utf8');
    const st = JSON.parse(real);
    const old = Date.now() - 3 * 86400_000;
    st.generations = [{ ...st.generations[0], created_ms: old }];
    st.run = { started_ms: Date.now() - 60_000, finished_ms: Date.now() - 59_000, ok: false, stage: 'write' };
    try {
      writeFileSync(`${BACKUP_STATUS}.tmp`, JSON.stringify(st));
      renameSync(`${BACKUP_STATUS}.tmp`, BACKUP_STATUS);
      await goHash('#/');
      await goHash('#/backups');
      await waitH1('バックアップ');
      const warns = page.locator('#backup-warnings p');
      await warns.first().waitFor();
      const texts = await warns.allTextContents();
      assert(texts.length === 2 && /48 時間（2 日）より前/.test(texts[0]) && /前回のバックアップは失敗しました/.test(texts[1]),
        JSON.stringify(texts));
      await page.locator('#backup-last-run.bad', { hasText: '失敗（ファイルを書き込めませんでした' }).waitFor();
      await screenshot('backups-warnings');
    } finally {
      writeFileSync(`${BACKUP_STATUS}.tmp`, real);
      renameSync(`${BACKUP_STATUS}.tmp`, BACKUP_STATUS);
    }
  });
}

async function adminOps() {
  await check('the admin sees backups, sync, export and the campus network in the menu', async () => {
    await login('admin', ADMIN_PW);
    for (const text of ['バックアップ', 'クラウド同期', 'データの書き出し', '校内ネットワーク'])
      await page.locator('#nav a', { hasText: text }).first().waitFor();
  });
  await backups();
  await check('sync status: the state in words, last good sync, changes waiting, last error', async () => {
    await goHash('#/sync');
    await waitH1('クラウド同期');
    const state = await page.textContent('#sync-state');
    // the test box is not enrolled with a cloud
    assert(/登録されてい(ない|ません)/.test(state), `state "${state}"`);
    for (const th of ['最後に同期できた時刻', '送信待ちの変更', '最後のエラー'])
      await page.locator('th', { hasText: th }).waitFor();
    await screenshot('sync');
  });
  await check('sync page: a bad enrollment file is refused naming the field', async () => {
    expectRefusal(/^\/api\/v1\/sync\/enrollment$/, 400);
    await page.locator('h2', { hasText: 'この本体を登録する' }).waitFor();
    await page.setInputFiles('#sync-enroll-file', ENROLL_BAD);
    await page.click('#sync-enroll-form button[type=submit]');
    await waitMsg(/登録ファイルの「cloud」が正しくありません/, 'error');
  });
  await check('sync page: the enrollment file is uploaded, sync takes it, the result in words', async () => {
    await page.setInputFiles('#sync-enroll-file', ENROLL_GOOD);
    await page.click('#sync-enroll-form button[type=submit]');
    await waitMsg(/登録ファイルを受け付けました/, 'ok');
    await waitMsg('登録が済みました。同期を始めます。', 'ok');
    const res = await page.textContent('#sync-enroll-result');
    assert(/登録しました/.test(res) && /school-ui/.test(res), `result "${res}"`);
    await page.locator('h2', { hasText: '登録を置き換える' }).waitFor();
    await screenshot('sync-enrolled');
  });
  await check('LAN page: the enrollment\'s client certificate (30 days) is warned about in words', async () => {
    // sync publishes its certificates' dates once it runs with the new
    // enrollment: look again (sync page, LAN page) until they are there
    // (the walk is on the sync page now)
    const warn = page.locator('[data-cert-warning="client"]');
    for (let i = 0; i < 40; i++) {
      await goHash('#/lan');
      await waitH1('校内ネットワーク');
      if (await warn.count() > 0) break;
      await page.waitForTimeout(500);
      await goHash('#/sync');
    }
    const text = await warn.textContent();
    assert(/同期用のクライアント証明書.*あと 29 日/.test(text), `warning "${text}"`);
    await page.locator('[data-cert-warning="cloud_ca"].banner.warning').waitFor();
    await screenshot('lan-sync-cert-warning');
    await goHash('#/sync');	// where the next check goes on
    await page.locator('h2', { hasText: '登録を置き換える' }).waitFor();
  });
  await check('sync page: replacing the enrollment asks first', async () => {
    await page.setInputFiles('#sync-enroll-file', ENROLL_GOOD);
    await page.click('#sync-enroll-form button[type=submit]');
    const q = page.locator('.confirm', { hasText: '今の登録を新しいファイルで置き換えます' });
    await q.waitFor();
    await q.locator('button.danger').click();
    await waitMsg(/登録ファイルを受け付けました/, 'ok');
    await waitMsg('登録が済みました。同期を始めます。', 'ok');
    const res = await page.textContent('#sync-enroll-result');
    assert(/enrollment replaced/.test(res), `result "${res}"`);
  });
  await check('sync page: the admin sets the proxy, sync takes it, success in words; then clears it', async () => {
    await page.locator('h2', { hasText: 'プロキシ（クラウドへの接続）' }).waitFor();
    expectRefusal(/^\/api\/v1\/sync\/proxy$/, 400);
    await page.fill('#sync-proxy-url', 'proxy:3128');
    await page.click('#sync-proxy-save');
    await waitMsg(/プロキシの設定が正しくありません.*http:\/\/host:port/, 'error');
    await page.fill('#sync-proxy-url', 'http://192.0.2.1:3128');   // TEST-NET-1: never reached
    await page.fill('#sync-proxy-user', 'school');
    await page.fill('#sync-proxy-password', 'ui-proxy-secret');
    await page.click('#sync-proxy-save');
    await waitMsg('プロキシの設定が反映されました。次の同期からこの設定を使います。', 'ok');
    const now = await page.textContent('#sync-proxy-now');
    assert(/192\.0\.2\.1:3128/.test(now) && /この画面で設定/.test(now) && /ユーザー名とパスワードあり/.test(now),
      `now "${now}"`);
    const res = await page.textContent('#sync-proxy-result');
    assert(/proxy set in the admin UI: 192\.0\.2\.1 port 3128/.test(res), `result "${res}"`);
    assert(!(await page.content()).includes('ui-proxy-secret'), 'the password is nowhere in the page');
    await screenshot('sync-proxy');
    await page.click('#sync-proxy-clear');
    // The save's "in effect" is still shown: first the clearing's own
    // message (up for a second at least: the page asks sync every second),
    // then sync's answer to the clearing.
    await waitMsg('この画面のプロキシ設定を消しました。同期プロセスが確認しています…', 'ok');
    await waitMsg('プロキシの設定が反映されました。次の同期からこの設定を使います。', 'ok');
    const after = await page.textContent('#sync-proxy-now');
    assert(!/192\.0\.2\.1/.test(after), `after clearing "${after}"`);
  });
  await check('box status shows the data partition and links the SBOM', async () => {
    await goHash('#/status');
    await waitH1('本体の状態');
    const disk = await page.locator('tr', { has: page.locator('th', { hasText: '保存領域' }) }).textContent();
    assert(/\d+% 使用、空き/.test(disk), `disk row "${disk}"`);
  });
  await check('the SBOM page says clearly that a host box has none', async () => {
    expectRefusal(/^\/api\/v1\/admin\/sbom$/, 404);
    await page.click('a:has-text("ソフトウェア部品表")');
    await waitH1('ソフトウェア部品表（SBOM）');
    await page.locator('#sbom-missing', { hasText: 'ソフトウェア部品表がありません' }).waitFor();
    await screenshot('sbom-absent');
  });
  await check('the SBOM page shows an image\'s components: Debian package and version, licence, SHA-256', async () => {
    // The host box has no SBOM file: the answer an image's box gives
    // (tools/sbom's shape) is served in its place for this page only.
    const sha = (c) => c.repeat(64);
    const doc = {
      spdxVersion: 'SPDX-2.3', name: 'classbox-image-qemu-x86_64-test', creationInfo: { created: '2026-11-26T12:00:00Z' },
      packages: [
        { SPDXID: 'SPDXRef-Package-busybox', name: 'busybox', versionInfo: '1.37.0', licenseDeclared: 'GPL-2.0-only',
          checksums: [{ algorithm: 'SHA256', checksumValue: sha('b') }],
          externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl',
            referenceLocator: 'pkg:deb/debian/busybox@1%3A1.37.0-6?arch=source&distro=trixie' }] },
        { SPDXID: 'SPDXRef-Package-classbox', name: 'classbox', versionInfo: 'bf28ae3',
          licenseDeclared: 'LicenseRef-classbox-proprietary', checksums: [{ algorithm: 'SHA256', checksumValue: sha('c') }] },
      ],
    };
    await page.route('**/api/v1/admin/sbom', (route) => route.fulfill({
      status: 200, contentType: 'application/spdx+json', body: JSON.stringify(doc) }));
    try {
      await goHash('#/status');
      await waitH1('本体の状態');
      await page.click('a:has-text("ソフトウェア部品表")');
      await waitH1('ソフトウェア部品表（SBOM）');
      await page.locator('#sbom-table').waitFor();
      const head = await page.locator('#sbom-table thead th').allTextContents();
      assert(JSON.stringify(head) === JSON.stringify(['名前', 'バージョン', 'Debian パッケージ',
        'Debian のバージョン', 'ライセンス', 'SHA-256']), `header ${JSON.stringify(head)}`);
      const rows = await page.locator('#sbom-table tbody tr').evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      assert(JSON.stringify(rows[0]) === JSON.stringify(['busybox', '1.37.0', 'busybox', '1:1.37.0-6',
        'GPL-2.0-only', sha('b')]), `busybox row ${JSON.stringify(rows[0])}`);
      assert(JSON.stringify(rows[1]) === JSON.stringify(['classbox', 'bf28ae3', '—（classbox のもの）', '',
        'LicenseRef-classbox-proprietary', sha('c')]), `classbox row ${JSON.stringify(rows[1])}`);
      assert(await page.locator('#sbom-missing').count() === 0, 'no "absent" message');
      await screenshot('sbom-present');
    } finally {
      await page.unroute('**/api/v1/admin/sbom');
    }
  });
  await check('the export downloads a whole ZIP, the progress bar reaches 100 %', async () => {
    await page.click('#nav a:has-text("データの書き出し")');
    await waitH1('データの書き出し');
    const { name, bytes } = await download(() => page.click('#export-start'));
    assert(/^classbox-export-\d{8}\.zip$/.test(name), `file name ${name}`);
    assert(bytes.length > 1000 && bytes.readUInt32LE(0) === 0x04034b50, `a ZIP (${bytes.length} bytes)`);
    // the central directory's end record: the stream was not cut short
    assert(bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) > bytes.length - 100, 'ZIP end record');
    assert(bytes.includes(Buffer.from('export.json')), 'export.json inside');
    await waitMsg(new RegExp(`^${name.replace('.', '\\.')}（[\\d.]+ [KM]?B）をダウンロードしました。$`), 'ok');
    assert(await page.getAttribute('#export-progress', 'value') === '100' ||
      await page.evaluate(() => document.getElementById('export-progress').value) === 100, 'progress 100');
    await screenshot('export');
    lastExport = bytes;
  });
  await check('one click confirms the download: the box finds the same SHA-256 it sent', async () => {
    const sha = createHash('sha256').update(lastExport).digest('hex');
    await page.locator('#export-check p', { hasText: sha }).waitFor();
    await page.getByRole('button', { name: 'ダウンロードを確認する' }).click();
    await page.locator('#export-verified',
      { hasText: new RegExp(`^エクスポート \\d+ を確認しました。ボックスの送ったものと一致しています（SHA-256 ${sha}）。$`) })
      .waitFor();
    assert(await page.isDisabled('#export-confirm'), 'confirmed once');
    await screenshot('export-confirmed');
  });
  await check('a saved file that was changed or cut is refused; the saved file itself is confirmed', async () => {
    expectRefusal(/^\/api\/v1\/export\/confirm$/, 409);
    const bad = Buffer.from(lastExport);
    bad[bad.length >> 1] ^= 1;
    await page.locator('summary', { hasText: '保存したファイルで確認する' }).click();
    await page.setInputFiles('#export-verify-file', { name: 'classbox-export.zip', mimeType: 'application/zip', buffer: bad });
    await page.locator('#export-verified', { hasText: 'SHA-256 がボックスの送ったものと一致しません' }).waitFor();
    await page.setInputFiles('#export-verify-file', { name: 'cut.zip', mimeType: 'application/zip',
      buffer: lastExport.subarray(0, lastExport.length - 1000) });
    await page.locator('#export-verified', { hasText: 'SHA-256 がボックスの送ったものと一致しません' }).waitFor();
    await page.setInputFiles('#export-verify-file', { name: 'classbox-export.zip', mimeType: 'application/zip',
      buffer: lastExport });
    await page.locator('#export-verified', { hasText: /を確認しました。ボックスの送ったものと一致しています/ }).waitFor();
    await screenshot('export-verify-file');
  });
  await check('the LAN page offers the CA (PEM, DER, profile)', async () => {
    await page.click('#nav a:has-text("校内ネットワーク")');
    await waitH1('校内ネットワーク');
    for (const f of ['ca.pem', 'ca.der', 'ca.mobileconfig'])
      await page.locator(`a[data-ca="${f}"]`).waitFor();
    const { bytes } = await download(() => page.click('a[data-ca="ca.pem"]'));
    assert(bytes.toString().startsWith('-----BEGIN CERTIFICATE-----'), 'a PEM certificate');
    await page.locator('th', { hasText: 'SHA-256 指紋' }).first().waitFor();
    await screenshot('lan');
    await screenshot('lan', 'phone');
  });
  await networkChange();
  await check('end of service: started after a question in the page; the banner shows', async () => {
    await goHash('#/termination');
    await waitH1('利用終了の手続き');
    await page.getByRole('button', { name: '利用終了手続きを始める' }).click();
    await page.locator('.confirm p', { hasText: '利用終了手続き中」にします' }).waitFor();
    await page.locator('.confirm').getByRole('button', { name: '利用終了手続きを始める' }).click();
    await waitMsg('利用終了手続き中にしました。データを書き出してください。', 'ok');
    await page.locator('#banners [data-banner="terminating"]').waitFor();
  });
  await check('end of service: the earlier export no longer covers everything; a new one, confirmed, does', async () => {
    await page.locator('#term-export-status.warn',
      { hasText: '確認したエクスポートの後に記録が変わりました' }).waitFor();
    const override = page.locator('label.check', { hasText: 'エクスポートを確認せずに終了する' });
    await override.waitFor();
    assert(!(await page.isChecked('#term-no-export')), 'the export override is off by default');
    await page.getByRole('link', { name: '先にデータを書き出す' }).click();
    await waitH1('データの書き出し');
    await download(() => page.click('#export-start'));
    await page.getByRole('button', { name: 'ダウンロードを確認する' }).click();
    await page.locator('#export-verified', { hasText: /を確認しました。ボックスの送ったものと一致しています/ }).waitFor();
    await goHash('#/termination');
    await waitH1('利用終了の手続き');
    await page.locator('#term-export-status.ok', { hasText: /^エクスポート \d+ は確認済みです/ }).waitFor();
    await screenshot('termination-export-confirmed');
  });
  await check('end of service: the school name is asked for, a wrong one is refused (page and box)', async () => {
    expectRefusal(/^\/api\/v1\/school\/terminate$/, 400);
    await page.locator('label', { hasText: '学校名を入力してください' }).waitFor();
    const discard = page.locator('label.check', { hasText: 'まだ送信されていないログを破棄して終了する' });
    await discard.waitFor();
    assert(!(await page.isChecked('#term-discard')), 'the log override is off by default');
    await page.fill('#term-name', '違う学校');
    await page.getByRole('button', { name: '利用を終了する（元に戻せません）' }).click();
    await waitMsg('学校名が違います。登録されている学校名を正確に入力してください。', 'error');
    assert(await page.locator('.confirm').count() === 0, 'no final question after a wrong name');
    const r = await terminateApi('違う学校');
    assert(r.status === 400 && r.body && r.body.error.field === 'confirm', `box: ${r.status}`);
    await screenshot('termination');
  });
  await check('a teacher sees the terminating banner too', async () => {
    await logout();
    await login(TEACHER, people.get(TEACHER));
    await page.locator('#banners [data-banner="terminating"]', { hasText: '利用終了手続き中' }).waitFor();
    await screenshot('teacher-terminating-banner', 'tablet');
    await logout();
  });
  await check('the admin stops the termination: the school is active again, no banner', async () => {
    await login('admin', ADMIN_PW);
    await goHash('#/termination');
    await waitH1('利用終了の手続き');
    await page.getByRole('button', { name: '手続きをやめて利用を続ける' }).click();
    await waitMsg('手続きをやめました。これまでどおり利用できます。', 'ok');
    await page.locator('#banners [data-banner="terminating"]').waitFor({ state: 'detached' });
  });
  await check('in English, the operations pages speak English', async () => {
    await page.click('[data-lang="en"]');
    await goHash('#/sync');
    await waitH1('Cloud sync');
    await goHash('#/lan');
    await waitH1('Campus network');
    await page.locator('a[data-ca="ca.mobileconfig"]', { hasText: 'Configuration profile' }).waitFor();
    await page.locator('[data-cert-warning="client"]', { hasText: 'The sync client certificate' }).waitFor();
    await page.click('[data-lang="ja"]');
    await waitH1('校内ネットワーク');
  });
  await logout();
}

await walkMain({ spki: SPKI, tmp: TMP, chromiumPath: CHROMIUM, boxUrl: BOX_URL }, async (p) => {
  page = p;
  await adminOps();
});
