// The review console in a real headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core, against a `crosscheck demo` gateway. Started by run.sh, which sets:
//   BASE_URL     the gateway, e.g. http://127.0.0.1:PORT
//   ACCOUNTS     the demo's accounts.json (role, user, password; the sample request's id)
//   SCREENSHOTS  where every page's screenshot goes (target/browser-screenshots)
// The tests run in order and share one gateway: a reviewer works through a queue with the
// keyboard, CSRF-less posts are refused, the auditor finds the decisions in the ledger, the
// queues are finished and the officer releases record by record, and a requester finds no
// way to taxpayer data.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.BASE_URL;
const accounts = JSON.parse(readFileSync(process.env.ACCOUNTS, 'utf8'));
const SHOTS = process.env.SCREENSHOTS || 'target/browser-screenshots';
mkdirSync(SHOTS, { recursive: true });

const password = (user) => accounts.people.find((p) => p.user === user).password;
const requestId = accounts.sample_request;

let browser;
const shared = {}; // what one test learns and a later one checks

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
});

after(async () => {
  if (browser) await browser.close();
});

/** A fresh browser context (its own cookies) at 1280 px, with a page. */
async function newPage() {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    baseURL: BASE,
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    // Refused pages (403/404) are logged as failed loads; anything else is a real error.
    if (m.type() === 'error' && !m.text().includes('Failed to load resource')) shared.consoleErrors = [...(shared.consoleErrors || []), m.text()];
  });
  return { context, page };
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function login(page, user) {
  await page.goto('/console/login');
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(password(user));
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/login')), page.getByRole('button', { name: 'Log in' }).click()]);
}

async function logout(page) {
  await Promise.all([page.waitForURL(/\/console\/login$/), page.getByRole('button', { name: 'Log out' }).click()]);
}

async function openCount(page) {
  return Number(await page.locator('#count-open').textContent());
}

/** Logs in as the reviewer whose queue holds at least `n` items; returns who it was. */
async function reviewerWith(page, n) {
  for (const user of ['reviewer-1', 'reviewer-2']) {
    await login(page, user);
    await page.goto('/console/queue');
    if ((await openCount(page)) >= n) return user;
    await logout(page);
  }
  throw new Error(`no reviewer has ${n} open items in the demo request`);
}

async function csrfToken(page) {
  return page.locator('input[name="csrf_token"]').first().inputValue();
}

test('the login page is accessible and refuses a wrong password', async () => {
  const { context, page } = await newPage();
  await page.goto('/console');
  assert.match(page.url(), /\/console\/login$/, 'unauthenticated visits go to the login form');
  assert.equal(await page.locator('h1').textContent(), 'Log in');
  assert.equal(await page.locator('main').count(), 1);
  await shot(page, '01-login');
  await page.getByLabel('User').fill('reviewer-1');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /wrong password/);
  await shot(page, '02-login-failed');
  // A login post without the form's token is refused.
  const r = await context.request.post('/console/login', {
    form: { user: 'reviewer-1', password: password('reviewer-1') },
    maxRedirects: 0,
  });
  assert.equal(r.status(), 403);
  await context.close();
});

test('a reviewer works through the queue with the keyboard: confirms one, rejects one', async () => {
  const { context, page } = await newPage();
  const reviewer = await reviewerWith(page, 2);
  shared.reviewer = reviewer;
  const before = await openCount(page);
  await shot(page, '03-queue');
  const links = page.locator('#queue a.item-link');
  const first = await links.nth(0).getAttribute('href');
  const second = await links.nth(1).getAttribute('href');

  // j, j, k: the selection moves down twice and back up once.
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), second);
  await page.keyboard.press('k');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), first);
  await shot(page, '04-queue-selected');

  // Enter opens the selected item: the decision page.
  await Promise.all([page.waitForURL((u) => u.pathname === first), page.keyboard.press('Enter')]);
  await page.getByRole('heading', { name: 'Subject and candidate, field by field' }).waitFor();
  assert.equal(await page.locator('svg.waterfall').count(), 1, 'the evidence waterfall is drawn');
  assert.ok((await page.locator('svg.waterfall g.bar').count()) >= 3);
  assert.equal(await page.getByRole('heading', { name: 'Runner-up' }).count(), 1);
  assert.equal(await page.getByRole('heading', { name: "Candidate's address by tax year" }).count(), 1);
  // Every form control has a label.
  for (const id of ['confirm-reason', 'confirm-note', 'reject-reason', 'reject-note']) {
    assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, id);
  }
  shared.firstItem = first.split('/').pop();
  // The row whose header is exactly the field's label (`TIN` is also in `MARTIN`).
  const candidateValue = async (label) => (await page.locator('table.compare tr')
    .filter({ has: page.locator('th', { hasText: new RegExp(`^${label}$`) }) })
    .locator('td').nth(1).innerText()).split('\n')[0].trim();
  shared.candidateTin = await candidateValue('TIN');
  shared.candidateFamily = await candidateValue('Family name');
  assert.match(shared.candidateTin, /^\d{9}$|^\d{3}-\d{2}-\d{4}$/, shared.candidateTin);
  await shot(page, '05-decision');

  // c confirms (reason identity_confirmed preselected) and moves to the next item.
  await Promise.all([page.waitForURL((u) => u.pathname !== first), page.keyboard.press('c')]);
  const secondItem = new URL(page.url()).pathname;
  assert.match(secondItem, /^\/console\/items\//, 'the next item opens after a decision');
  shared.secondItem = secondItem.split('/').pop();
  await shot(page, '06-decision-next');

  // r rejects (reason different_person preselected).
  await Promise.all([page.waitForURL((u) => u.pathname !== secondItem), page.keyboard.press('r')]);
  await page.goto('/console/queue');
  assert.equal(await openCount(page), before - 2, 'both decisions left the queue');
  assert.equal(Number(await page.locator('#count-decided').textContent()), 2);
  await shot(page, '07-queue-after');

  // A decided item shows its determination and no forms.
  await page.goto(`/console/items/${shared.firstItem}`);
  assert.match(await page.getByRole('status').first().textContent(), /confirm/);
  assert.equal(await page.locator('form#confirm').count(), 0);
  await context.close();
});

test('posts without the CSRF token are refused and change nothing', async () => {
  const { context, page } = await newPage();
  await login(page, shared.reviewer);
  await page.goto('/console/queue');
  const open = await openCount(page);
  const item = (await page.locator('#queue a.item-link').first().getAttribute('href')).split('/').pop();
  const token = await csrfToken(page);
  const form = { decision: 'confirm', reason_code: 'identity_confirmed', note: '' };
  const url = `/console/items/${item}/decision`;
  for (const [what, extra, headers] of [
    ['no token', {}, {}],
    ['a wrong token', { csrf_token: '0'.repeat(64) }, {}],
    ['the token in a header instead of the form', {}, { 'x-csrf-token': token }],
  ]) {
    const r = await context.request.post(url, { form: { ...form, ...extra }, headers, maxRedirects: 0 });
    assert.equal(r.status(), 403, what);
    assert.match(await r.text(), /Form refused/, what);
  }
  const logoutWithout = await context.request.post('/console/logout', { form: {}, maxRedirects: 0 });
  assert.equal(logoutWithout.status(), 403);
  await page.goto('/console/queue');
  assert.equal(await openCount(page), open, 'nothing was decided');
  // The refusal as a person sees it: a form on the console's own page, without the token.
  await page.evaluate((action) => {
    const f = document.createElement('form');
    f.method = 'post';
    f.action = action;
    for (const [k, v] of [['decision', 'confirm'], ['reason_code', 'identity_confirmed']]) {
      const i = document.createElement('input');
      i.name = k;
      i.value = v;
      f.appendChild(i);
    }
    document.body.appendChild(f);
    f.submit();
  }, url);
  await page.waitForURL((u) => u.pathname === url);
  assert.equal(await page.locator('h1').textContent(), 'Form refused');
  await shot(page, '08-csrf-refused');
  await context.close();
});

test('the auditor finds both decisions in the ledger and verifies it', async () => {
  const { context, page } = await newPage();
  await login(page, 'auditor');
  assert.match(page.url(), /\/console\/audit$/);
  await shot(page, '09-audit');
  await page.goto(`/console/audit?action=review.decided&actor=${shared.reviewer}`);
  const rows = page.locator('#entries tbody tr');
  const text = await rows.allInnerTexts();
  assert.equal(text.length, 2, 'two decisions by this reviewer');
  assert.ok(text.some((t) => t.includes(`subject=${shared.firstItem}`) && t.includes('confirm: identity_confirmed')), text.join('\n'));
  assert.ok(text.some((t) => t.includes(`subject=${shared.secondItem}`) && t.includes('refute: different_person')), text.join('\n'));
  await shot(page, '10-audit-decisions');
  await page.goto('/console/audit');
  await page.getByRole('button', { name: /verify the ledger/ }).click();
  await page.locator('#verification').waitFor();
  assert.match(await page.locator('#verification').textContent(), /The ledger verifies/);
  await shot(page, '11-audit-verified');
  await page.getByLabel('TIN (SSN or ITIN)').fill(shared.candidateTin);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('heading', { level: 1, name: /Accounting for taxpayer/ }).waitFor();
  const body = await page.locator('main').innerText();
  assert.match(body, /review\.decided|review\.opened|match\.scored/);
  assert.ok(!body.includes(shared.candidateTin), 'the full TIN is not repeated on the page');
  await shot(page, '12-audit-taxpayer');
  await context.close();
});

test('the queues are finished by keyboard and the officer releases record by record', async () => {
  for (const user of ['reviewer-1', 'reviewer-2']) {
    const { context, page } = await newPage();
    await login(page, user);
    await page.goto('/console/queue');
    let open = await openCount(page);
    if (open > 0) {
      await page.keyboard.press('j');
      await Promise.all([page.waitForURL(/\/console\/items\//), page.keyboard.press('Enter')]);
      while (open > 0) {
        const here = page.url();
        await Promise.all([page.waitForURL((u) => u.href !== here), page.keyboard.press('c')]);
        open -= 1;
      }
      assert.match(page.url(), /\/console\/queue\?done=/);
      await shot(page, `13-queue-empty-${user}`);
    }
    await context.close();
  }
  const { context, page } = await newPage();
  await login(page, 'officer');
  assert.match(page.url(), /\/console\/requests$/);
  await shot(page, '14-requests');
  await page.getByRole('link', { name: requestId }).click();
  await page.getByRole('heading', { name: 'Batch dashboard' }).waitFor();
  assert.equal(await page.locator('svg.histogram').count(), 1, 'the weight histogram is drawn');
  assert.equal(await page.locator('#progress').getAttribute('value'), '100');
  assert.equal(await page.getByRole('heading', { name: 'Gate findings by rule' }).count(), 1);
  await shot(page, '15-request');
  const boxes = page.locator('form#release input[type="checkbox"][name="approve"]');
  const n = await boxes.count();
  assert.ok(n >= 1, 'confirmed records wait for approval');
  // One record left unapproved: refused, nothing released.
  for (let i = 1; i < n; i += 1) await boxes.nth(i).check();
  await page.getByRole('button', { name: 'Release the response' }).click();
  await page.locator('h1').waitFor();
  assert.equal(await page.locator('h1').textContent(), 'Refused');
  await shot(page, '16-release-refused');
  await page.goto(`/console/requests/${requestId}`);
  for (let i = 0; i < n; i += 1) await boxes.nth(i).check();
  await Promise.all([page.waitForURL(/done=released/), page.getByRole('button', { name: 'Release the response' }).click()]);
  assert.equal(await page.locator('#request-state').textContent(), 'released');
  await shot(page, '17-request-released');
  shared.disclosures = n;
  await context.close();

  // The auditor's totals count the disclosures.
  const a = await newPage();
  await login(a.page, 'auditor');
  await a.page.goto('/console/audit?action=release.disclosed');
  assert.equal((await a.page.locator('#entries tbody tr').allInnerTexts()).length, n);
  await shot(a.page, '18-audit-disclosures');
  await a.context.close();
});

test('a requester is offered no way to taxpayer data', async () => {
  const { context, page } = await newPage();
  await login(page, 'requester');
  assert.match(page.url(), /\/console\/requests$/);
  const nav = await page.getByRole('navigation', { name: 'Main' }).innerText();
  assert.ok(!/queue|audit/i.test(nav), `navigation offers only requests: ${nav}`);
  const hrefs = await page.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.every((h) => !/\/console\/(items|queue|audit)/.test(h)), hrefs.join(' '));
  await shot(page, '19-requester-requests');
  await page.getByRole('link', { name: requestId }).click();
  await page.getByRole('heading', { name: 'Subjects' }).waitFor();
  const body = await page.locator('main').innerText();
  for (const never of ['Batch dashboard', 'Weight', 'Reviewer', shared.candidateTin, shared.candidateFamily]) {
    if (never) assert.ok(!body.includes(never), `the requester's page shows ${never}`);
  }
  const links = await page.locator('main a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(links, [], 'no links out of the status page');
  await shot(page, '20-requester-request');
  const token = await csrfToken(page);
  // Typing the addresses does not help either.
  for (const [url, status] of [
    ['/console/queue', 403],
    [`/console/items/${shared.firstItem}`, 404],
    ['/console/audit', 403],
  ]) {
    const r = await page.goto(url);
    assert.equal(r.status(), status, url);
  }
  await shot(page, '21-requester-refused');
  const r = await context.request.post('/console/audit/taxpayer', {
    form: { tin: shared.candidateTin, csrf_token: token },
    maxRedirects: 0,
  });
  assert.equal(r.status(), 403);
  await context.close();
  assert.deepEqual(shared.consoleErrors || [], [], 'no script errors or CSP violations in the console');
});
