// tests/ui/lib.mjs: what the Chromium walks share: the browser (Debian's
// Chromium, trusting exactly the box's key), verdict lines, a page watched
// for console errors, page errors, CSP violations and 5xx answers, and
// waits on the UI's own signals (#msg, the page's h1). Waits are for
// elements, never sleeps.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export function env(k) {
  const v = process.env[k];
  if (!v) { console.log(`not ok - environment variable ${k} is set`); process.exit(1); }
  return v;
}

export const TIMEOUT = 30_000;   // per wait: Argon2id logins on a slow CI box
const BASE_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },     // a Chromebook
  tablet: { width: 820, height: 1180 },      // an iPad (10th gen), portrait
  phone: { width: 390, height: 844 },        // a parent's phone
};

// ---- verdicts ---------------------------------------------------------------

export class Stop extends Error {}
export const run = { failed: 0, shot: 0, page: null, art: '.', prefix: '', step: null };
export const ok = (what) => console.log(`ok - ${what}`);
export const notOk = (what) => { run.failed++; console.log(`not ok - ${what}`); };
export const note = (text) => console.log(`# ${text}`);
export const firstLine = (e) => String(e && e.message || e).split('\n')[0];
export function assert(cond, why) { if (!cond) throw new Error(why); }

export async function screenshot(name, viewport) {
  const page = run.page;
  if (!page) return;
  run.shot++;
  const file = join(run.art, `${run.prefix}${String(run.shot).padStart(2, '0')}-${name}.png`);
  const before = page.viewportSize();
  try {
    if (viewport) await page.setViewportSize(VIEWPORTS[viewport]);
    await page.screenshot({ path: file, fullPage: true });
  } catch (e) {
    notOk(`screenshot ${file} saved: ${firstLine(e)}`);
  } finally {
    if (viewport && before) await page.setViewportSize(before);
  }
}

// check WHAT FN: ok if FN resolves; otherwise not ok, a screenshot, and the
// scenario stops (later steps depend on earlier ones).
export async function check(what, fn) {
  run.step = what;
  try {
    await fn();
    ok(what);
  } catch (e) {
    notOk(`${what}: ${firstLine(e)}`);
    await screenshot('FAILED');
    throw new Stop();
  } finally {
    run.step = null;
  }
}

// ---- refusals the walk provokes on purpose -------------------------------------

// Every 4xx answer of the API fails the walk unless the step it came in
// declared it with expectRefusal(PATH_RE, STATUS) (inside that check()),
// or it is GET /api/v1/me answered 401: how the UI learns, at every load,
// that nobody is logged in yet.
const ALWAYS_EXPECTED = [{ path: /^\/api\/v1\/me$/, status: 401, step: null }];
const expected = [];
export function expectRefusal(path, status) {
  assert(run.step, 'expectRefusal is called inside a check()');
  expected.push({ path, status, step: run.step });
}
function refusalExpected(path, status) {
  return ALWAYS_EXPECTED.some((e) => e.status === status && e.path.test(path)) ||
    expected.some((e) => e.step === run.step && e.status === status && e.path.test(path));
}

// ---- the browser and what it reports ---------------------------------------

export const seen = { console: [], api4xx: [], unexpected4xx: [], csp: [], server: [], dialogs: [] };

// A fresh profile; pin: trust the box's key (false: trust nothing, to
// show that the pin is what makes the box's certificate acceptable).
export async function launch({ spki, tmp, chromiumPath, boxUrl, lang = 'ja', pin = true }) {
  const dir = mkdtempSync(join(tmp, 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath,
    headless: true,
    // --lang: the browser's own locale (date inputs, Accept-Language)
    args: [...BASE_ARGS, `--lang=${lang === 'ja' ? 'ja-JP' : 'en-US'}`,
      ...(pin ? [`--ignore-certificate-errors-spki-list=${spki}`] : [])],
    locale: lang === 'ja' ? 'ja-JP' : 'en-US',
    extraHTTPHeaders: { 'Accept-Language': lang },
    viewport: VIEWPORTS.desktop,
    timeout: 60_000,
  });
  context.setDefaultTimeout(TIMEOUT);
  await context.exposeBinding('__cbCspViolation', (_, v) => seen.csp.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cbCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}` +
        ` at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const watch = (page) => {
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const url = (m.location() && m.location().url) || '';
      // Chromium logs every 4xx fetch as "Failed to load resource". For the
      // API, the answer itself is judged (the 'response' watcher below:
      // expected by its step, or a failure). Anything else counts.
      if (/^Failed to load resource: the server responded with a status of 4\d\d\b/.test(m.text()) &&
          new URL(url, boxUrl).pathname.startsWith('/api/v1/')) return;
      seen.console.push(`${m.text()} ${url}`);
    });
    page.on('pageerror', (e) => seen.console.push(`pageerror: ${firstLine(e)}`));
    page.on('response', (r) => {
      const st = r.status();
      if (st >= 500) seen.server.push(`${st} ${r.url()}`);
      const path = new URL(r.url()).pathname;
      if (st < 400 || st >= 500 || !path.startsWith('/api/v1/')) return;
      const what = `${st} ${r.request().method()} ${path}${run.step ? ` (in "${run.step}")` : ''}`;
      if (refusalExpected(path, st)) seen.api4xx.push(what);
      else seen.unexpected4xx.push(what);
    });
    page.on('dialog', (d) => { seen.dialogs.push(`${d.type()}: ${d.message()}`); d.accept(); });
  };
  for (const p of context.pages()) watch(p);
  context.on('page', watch);
  const page = context.pages()[0] || await context.newPage();
  run.page = page;
  return { context, page,
    close: async () => { await context.close(); rmSync(dir, { recursive: true, force: true }); } };
}

// The verdicts on what the browser reported, after the walk.
export function finalVerdicts() {
  for (const e of seen.api4xx) note(`expected API refusal: ${e}`);
  if (seen.unexpected4xx.length) notOk(`no API refusal the walk did not expect: ${seen.unexpected4xx.join(' | ')}`);
  else ok('no API refusal the walk did not expect');
  if (seen.console.length) notOk(`no console errors or page errors: ${seen.console.join(' | ')}`);
  else ok('no console errors or page errors');
  if (seen.csp.length) notOk(`no CSP violations: ${seen.csp.join(' | ')}`);
  else ok('no CSP violations');
  if (seen.server.length) notOk(`no 5xx answers: ${seen.server.join(' | ')}`);
  else ok('no 5xx answers');
  if (seen.dialogs.length) notOk(`no unexpected dialogs: ${seen.dialogs.join(' | ')}`);
  else ok('no unexpected dialogs');
}

// A whole walk: BEFORE (if any) first, the browser pinned to the box, the
// first page loaded, BODY run with the page and that first answer, the
// browser's own verdicts, and the exit status.
export async function walkMain({ spki, tmp, chromiumPath, boxUrl }, body, before) {
  try {
    if (before) await before();
    const b = await launch({ spki, tmp, chromiumPath, boxUrl });
    try {
      const first = await b.page.goto(boxUrl, { waitUntil: 'load' });
      await body(b.page, first);
    } finally {
      await b.close();
      run.page = null;
    }
  } catch (e) {
    if (!(e instanceof Stop)) notOk(`the walk ran to its end: ${firstLine(e)}`);
    else notOk('the walk ran to its end (stopped at the first failure above)');
  }
  finalVerdicts();
  process.exit(run.failed ? 1 : 0);
}

// At the phone and the iPad viewports, the page (as drawn now) has no
// horizontal overflow: nothing wider than the screen, no sideways scroll.
// Wide tables scroll inside their .table-wrap, which is allowed.
export async function fitsSmallScreens(name) {
  const page = run.page;
  const before = page.viewportSize();
  try {
    for (const vp of ['phone', 'tablet']) {
      await page.setViewportSize(VIEWPORTS[vp]);
      const [sw, iw] = await page.evaluate(() => new Promise((res) => requestAnimationFrame(() =>
        res([document.documentElement.scrollWidth, window.innerWidth]))));
      assert(sw <= iw, `${name} at ${vp} ${VIEWPORTS[vp].width}x${VIEWPORTS[vp].height}: ` +
        `scrollWidth ${sw} > innerWidth ${iw}`);
    }
  } finally {
    if (before) await page.setViewportSize(before);
  }
}

// ---- the UI's signals ---------------------------------------------------------

// waits until #msg shows TEXT (a string: exactly; a RegExp: matching), of KIND
export async function waitMsg(text, kind) {
  const src = text instanceof RegExp ? { re: text.source, flags: text.flags } : { s: text };
  await run.page.waitForFunction(([q, k]) => {
    const m = document.getElementById('msg');
    const ok = q.s !== undefined ? m.textContent === q.s : new RegExp(q.re, q.flags).test(m.textContent);
    return ok && m.classList.contains(k);
  }, [src, kind], { timeout: TIMEOUT });
}

export async function msgText() { return run.page.locator('#msg').textContent(); }

export async function waitH1(text) {
  await run.page.locator('#main h1', { hasText: text }).first().waitFor({ timeout: TIMEOUT });
  assert(await run.page.locator('#main h1').count() === 1, 'one h1 on the page');
}

// runs FN (a click that redraws the page) and waits until #main's content
// has been replaced, so that what is read next is the new page
export async function redrawn(fn) {
  const page = run.page;
  await page.evaluate(() => {
    const f = document.getElementById('main').firstElementChild;
    if (f) f.dataset.old = '1';
  });
  await fn();
  await page.waitForFunction(() => !document.querySelector('#main [data-old]'), null,
    { timeout: TIMEOUT });
}

// goes to HASH and waits for the router to have drawn a new page
export async function goHash(hash) {
  const page = run.page;
  await page.evaluate(() => {
    const f = document.getElementById('main').firstElementChild;
    if (f) f.dataset.old = '1';
  });
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction(() => !document.querySelector('#main [data-old]'), null,
    { timeout: TIMEOUT });
}

// an API call from inside the page, as the UI would make it (cookie, token)
export async function pageApi(method, path) {
  return run.page.evaluate(async ([m, p]) => {
    const me = await fetch('/api/v1/me').then((r) => r.json()).catch(() => ({}));
    const r = await fetch(`/api/v1${p}`, { method: m,
      headers: m === 'GET' ? {} : { 'X-CSRF-Token': me.csrf_token || '' } });
    const body = await r.json().catch(() => null);
    return { status: r.status, body };
  }, [method, path]);
}

export async function login(user, password, home = 'ホーム') {
  const page = run.page;
  await waitH1('ログイン');
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#main button[type="submit"]');
  await waitH1(home);
}

export async function logout() {
  await run.page.click('#logout');
  await waitH1('ログイン');
  await waitMsg('ログアウトしました。', 'ok');
}
