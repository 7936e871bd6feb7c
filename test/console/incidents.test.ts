/**
 * The console's Incidents page in a real Chromium against the real stack (Temporal dev server, the
 * chat worker with the offline model, the ops worker with its fast monitoring loop): a flood of
 * turns from one app opens a noisy-tenant incident whose throttle needs an approval; the header's
 * badge counts it; the admin approves it from the page with a reason, and the timeline shows the
 * approval with who and why, then the throttle applied, without a reload; the Overview shows the
 * app throttled. A second incident rejected with a reason shows the rejection and nothing is
 * applied. The app owner reads its own incident without Approve/Reject and never another app's.
 * axe-core finds no serious or critical violation on any of these pages.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfflineModel } from '../../src/dev/offline-model';
import type { Finding } from '../../src/domain/ops';
import { OpsControls } from '../../src/stores/ops-controls';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { startOpsBeside, type RunningOps } from '../support/ops-worker';
import { waitFor } from '../support/wait-for';
import { accessibility, buildConsole, HAVE_CHROMIUM, launchChromium, signIn as signInAt, warnIfNoChromium } from './support';

warnIfNoChromium('incidents.test.ts');
const FLOOD = 'ci-flood';
const OTHER = 'ci-other';
const FACTOR = 0.5;
const FLOOD_CHATS = 10;

let stack: ApiStack;
let model: Awaited<ReturnType<typeof startOfflineModel>>;
let ops: RunningOps;
let browser: Browser;
let floodKey: string;
let floodIncident: string;
let otherIncident: string;

interface IncidentView { incident_id: string; status: string }

async function waitingIncident(appId: string, rule: string): Promise<string | undefined> {
  const response = await stack.call('GET', `/v1/ops/incidents?app_id=${appId}&rule=${rule}&status=awaiting_approval`, { key: stack.adminKey });
  expect(response.status).toBe(200);
  return ((await response.json()) as { incidents: IncidentView[] }).incidents[0]?.incident_id;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Turns from many chats of one app at once, until the monitor has proposed throttling it. */
async function floodUntilProposed(): Promise<string> {
  for (let i = 0; i < FLOOD_CHATS; i++) {
    const session = await stack.call('POST', '/v1/sessions', { key: floodKey, body: { template: 'assistant', user_id: 'u', chat_id: `f${i}` } });
    expect(session.status).toBe(200);
  }
  let flooding = true;
  const flood = Promise.all(
    Array.from({ length: FLOOD_CHATS }, async (_, i) => {
      for (let n = 0; flooding && n < 60; n++) {
        const response = await stack.call('POST', `/v1/chats/f${i}/messages`, { key: floodKey, body: { content: `Tell me a long story ${n}` } });
        await response.body?.cancel();
        if (response.status === 429) await pause(200);
      }
    }),
  );
  try {
    return await waitFor('the noisy-tenant proposal', () => waitingIncident(FLOOD, 'noisy_tenant'));
  } finally {
    flooding = false;
    await flood;
  }
}

beforeAll(async () => {
  buildConsole();
  model = await startOfflineModel({ port: 0, tokenLatencyMs: 25 });
  stack = await startApiStack({ label: 'console-incidents', llmBaseUrl: model.url });
  ops = await startOpsBeside(stack, { intervalSeconds: 1, realertSeconds: 2 });
  floodKey = await stack.createApp(FLOOD, { tier: 'pro' });
  await stack.createApp(OTHER, { tier: 'pro' });
  const approval = { promotion_after_approvals: null, approval_timeout_seconds: 900, max_escalations: 0 };
  const flood = await stack.call('PUT', `/v1/ops/policies/${FLOOD}`, {
    key: stack.adminKey,
    body: { ...approval, rules: { noisy_tenant: { autonomy: 'approval', action: 'throttle', share: 0.5, min_active_runs: 4, consecutive_samples: 2, ttl_seconds: 900, throttle_factor: FACTOR } } },
  });
  expect(flood.status).toBe(200);
  const other = await stack.call('PUT', `/v1/ops/policies/${OTHER}`, { key: stack.adminKey, body: { ...approval, rules: { burn_spike: { autonomy: 'approval', action: 'throttle', ttl_seconds: 900 } } } });
  expect(other.status).toBe(200);
  if (HAVE_CHROMIUM) browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ops?.stop();
  await stack?.close();
  await model?.close();
});

const signIn = (page: Page, key: string) => signInAt(page, stack.url, key);
const reloadMarker = (page: Page) => page.evaluate('window.__sameDocument') as Promise<boolean | undefined>;

/** Decides on the open incident page: the reason, then the button. */
async function decide(page: Page, button: RegExp, reason: string): Promise<void> {
  await page.getByLabel(/Reason/).fill(reason);
  await page.getByRole('button', { name: button }).click();
}

describe.skipIf(!HAVE_CHROMIUM)('the Incidents page', () => {
  it('a flood opens an incident; the badge counts it; the admin approves it with a reason; the timeline shows the approval and the throttle; the Overview shows the app throttled', async () => {
    floodIncident = await floodUntilProposed();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await signIn(page, stack.adminKey);

    // The header's badge: one incident waits, said in words.
    const incidentsLink = page.getByRole('link', { name: /Incidents\s*1 waiting for approval/ });
    await incidentsLink.waitFor();
    expect(await page.locator('.bar [data-waiting]').getAttribute('data-waiting')).toBe('1');
    expect(await accessibility(page)).toEqual([]);

    await incidentsLink.click();
    await page.getByRole('heading', { name: 'Incidents' }).waitFor();
    const row = page.locator(`tr[data-incident="${floodIncident}"]`);
    await row.waitFor();
    expect(await row.innerText()).toMatch(/noisy tenant\s+ci-flood\s+act\s+awaiting approval/);
    expect(await row.innerText()).toContain('throttle (approval)');
    expect(await accessibility(page)).toEqual([]);

    await row.getByRole('link').click();
    await page.getByRole('heading', { name: `noisy tenant on ${FLOOD}` }).waitFor();
    await page.locator('li[data-kind="proposed"]').waitFor();
    expect(await page.locator('[data-field="status"]').innerText()).toBe('awaiting approval');
    expect(await accessibility(page)).toEqual([]);

    // From here on the page must not reload: the decision shows in place.
    await page.evaluate('window.__sameDocument = true');
    const reason = 'approved in the console: the flood is a runaway job';
    await decide(page, /^Approve/, reason);
    const approved = page.locator('li[data-kind="approved"]');
    await approved.waitFor();
    expect(await approved.locator('q[data-reason]').innerText()).toBe(reason);
    expect(await approved.innerText()).toContain('by admin');
    const applied = page.locator('li[data-kind="applied"]');
    await applied.waitFor({ timeout: 30_000 });
    expect(await applied.innerText()).toContain('throttle');
    await expect.poll(() => page.locator('[data-field="status"]').innerText(), { timeout: 30_000 }).toBe('mitigated (approved)');
    expect(await page.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    expect(await reloadMarker(page)).toBe(true);
    // Nothing waits any more: the badge goes (told by the page, not only on its 15 s refresh).
    await page.locator('.bar [data-waiting]').waitFor({ state: 'detached', timeout: 30_000 });
    expect(await accessibility(page)).toEqual([]);

    const throttle = (await new OpsControls(stack.kit.redis).state(FLOOD)).throttle;
    expect(throttle?.factor).toBe(FACTOR);

    // The Overview (rows `tr[data-app]`, the state cell `td[data-state]`) shows the app throttled.
    await page.getByRole('link', { name: 'Overview' }).click();
    const appRow = page.locator(`tr[data-app="${FLOOD}"]`);
    await appRow.waitFor();
    const stateCell = (await appRow.locator('td[data-state]').count()) > 0 ? appRow.locator('td[data-state]') : appRow.locator('td').last();
    await expect.poll(() => stateCell.innerText(), { timeout: 30_000 }).toBe(`throttled ×${FACTOR}`);
    // The read the Overview makes says the same.
    const perf = (await (await stack.call('GET', '/metrics/perf/aggregate?minutes=60', { key: stack.adminKey })).json()) as { apps: { app_id: string; throttle_factor: number | null }[] };
    expect(perf.apps.find((app) => app.app_id === FLOOD)?.throttle_factor).toBe(FACTOR);
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);

  it('a second incident rejected with a reason shows the rejection, and nothing is applied', async () => {
    const finding: Finding = { rule: 'burn_spike', app_id: OTHER, severity: 'act', summary: `${OTHER} burns tokens at 7x its baseline`, evidence: { factor: 7 }, proposed_action: 'throttle' };
    await ops.activities.raiseAlerts({ findings: [finding] });
    otherIncident = await waitFor('the burn-spike proposal', () => waitingIncident(OTHER, 'burn_spike'));

    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, stack.adminKey);
    await page.getByRole('link', { name: /Incidents\s*1 waiting for approval/ }).click();
    await page.getByLabel('State').selectOption('awaiting_approval');
    await page.getByRole('button', { name: 'Show' }).click();
    const rows = page.locator('table.incidents tbody tr');
    await expect.poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-incident')))).toEqual([otherIncident]);
    await rows.first().getByRole('link').click();
    await page.getByRole('heading', { name: `burn spike on ${OTHER}` }).waitFor();

    // The admin's cookie alone decides nothing: a console write needs the session's CSRF token.
    const forged = await page.evaluate(async (id) => (await fetch(`/v1/ops/incidents/${encodeURIComponent(id)}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"reason":"forged"}' })).status, otherIncident);
    expect(forged).toBe(403);
    expect(await waitingIncident(OTHER, 'burn_spike')).toBe(otherIncident);

    // No reason, no decision: the field is required.
    await page.getByRole('button', { name: 'Reject' }).click();
    expect(await page.locator('li[data-kind="rejected"]').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reject' }).count()).toBe(1);

    const reason = 'expected: a planned batch import';
    await decide(page, /^Reject$/, reason);
    const rejected = page.locator('li[data-kind="rejected"]');
    await rejected.waitFor();
    expect(await rejected.locator('q[data-reason]').innerText()).toBe(reason);
    await expect.poll(() => page.locator('[data-field="status"]').innerText(), { timeout: 30_000 }).toBe('rejected');
    await page.locator('li[data-kind="resolved"][data-source="incident"]').waitFor();
    expect(await page.locator('li[data-kind="applied"]').count()).toBe(0);
    expect((await new OpsControls(stack.kit.redis).state(OTHER)).throttle).toBeUndefined();
    expect(await accessibility(page)).toEqual([]);
    await context.close();
  }, 120_000);

  it("the app owner reads its own incident read-only, and never another app's (page or direct call)", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, floodKey);
    expect(await page.locator('.bar [data-waiting]').count()).toBe(0);
    await page.getByRole('link', { name: 'Incidents' }).click();
    const rows = page.locator('table.incidents tbody tr');
    await rows.first().waitFor();
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-incident')))).toEqual([floodIncident]);
    expect(await page.getByLabel('App', { exact: true }).count()).toBe(0);
    expect(await accessibility(page)).toEqual([]);

    await rows.first().getByRole('link').click();
    await page.locator('li[data-kind="approved"]').waitFor();
    expect(await page.locator('li[data-kind="approved"] q[data-reason]').innerText()).toBe('approved in the console: the flood is a runaway job');
    expect(await page.getByRole('button', { name: /Approve|Reject/ }).count()).toBe(0);
    expect(await page.getByLabel(/Reason/).count()).toBe(0);
    expect(await accessibility(page)).toEqual([]);

    // Another app's incident: not found, by page and by a direct call with the cookie.
    await page.goto(`${stack.url}/console/incidents/${encodeURIComponent(otherIncident)}`);
    await page.getByRole('heading', { name: 'Incident not found' }).waitFor();
    expect(await accessibility(page)).toEqual([]);
    const direct = await page.evaluate(async ([other, otherApp]) => {
      const paths = [`/v1/ops/incidents/${encodeURIComponent(other!)}`, `/v1/ops/incidents?app_id=${otherApp!}`];
      const reads = await Promise.all(paths.map(async (p) => (await fetch(p)).status));
      const write = await fetch(`/v1/ops/incidents/${encodeURIComponent(other!)}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'mine' }) });
      return [...reads, write.status];
    }, [otherIncident, OTHER]);
    expect(direct[0]).toBe(404);
    expect(direct[1]).toBe(404);
    expect([401, 403]).toContain(direct[2]);
    await context.close();
  }, 120_000);
});
