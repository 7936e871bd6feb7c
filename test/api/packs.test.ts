/**
 * Packs over real HTTP: listing and per-app enabling, starting `brief`, following its progress over
 * SSE, its status with the final output, tenancy, and the signed webhook — delivered to a loopback
 * receiver the admin allowed, refused (SSRF guard) for an app that was not allowed.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackStore } from '../../src/stores/pack-store';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { startTimeSkipping } from '../support/temporal';

const SECRET = 'whsec_' + Buffer.from('a-test-secret-of-32-bytes-long!!').toString('base64');
let env: TestWorkflowEnvironment;
let stack: ApiStack;
let keyA: string;
let keyB: string;
let receiver: WebhookReceiver;

beforeAll(async () => {
  env = await startTimeSkipping();
  stack = await startApiStack({ label: 'packapi', env, noWorker: true });
  keyA = await stack.createApp('pack-a', { tier: 'pro' });
  keyB = await stack.createApp('pack-b', { tier: 'pro' });
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await stack?.close();
  await env?.teardown();
});

const json = async <T>(response: Response) => (await response.json()) as T;

/** Reads a run's SSE stream until `run.completed`; returns the event types in order. */
function followRun(eventsUrl: string, key: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${eventsUrl}?access_token=${key}`, (response) => {
      if (!String(response.headers['content-type']).startsWith('text/event-stream')) reject(new Error(`not SSE: ${response.statusCode}`));
      const types: string[] = [];
      let buffer = '';
      response.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const type = /^event: (.+)$/m.exec(buffer.slice(0, end))?.[1];
          buffer = buffer.slice(end + 2);
          if (type) types.push(type);
          if (type === 'run.completed') {
            request.destroy();
            resolve(types);
          }
        }
      });
      response.on('error', () => undefined);
    });
    request.on('error', (error) => reject(error));
  });
}

async function until<T>(read: () => Promise<T | null | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await read();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition never held');
}

describe('packs API', () => {
  it('lists packs and enables or disables one per app (admin)', async () => {
    const listed = await json<{ packs: { name: string; enabled: boolean; inputs: string[] }[] }>(await stack.call('GET', '/v1/packs', { key: keyA }));
    expect(listed.packs.find((pack) => pack.name === 'brief')).toMatchObject({ enabled: true, inputs: ['topic'] });

    expect((await stack.call('PUT', '/v1/apps/pack-b/packs/brief', { key: keyA, body: { enabled: false } })).status).toBe(403);
    const disabled = await stack.call('PUT', '/v1/apps/pack-b/packs/brief', { key: stack.adminKey, body: { enabled: false } });
    expect(await json(disabled)).toEqual({ app_id: 'pack-b', pack: 'brief', enabled: false });
    const listedB = await json<{ packs: { name: string; enabled: boolean }[] }>(await stack.call('GET', '/v1/packs', { key: keyB }));
    expect(listedB.packs.find((pack) => pack.name === 'brief')?.enabled).toBe(false);
    const refused = await stack.call('POST', '/v1/packs/brief/runs', { key: keyB, body: { user_id: 'u1', input: { topic: 'x' } } });
    expect(refused.status).toBe(403);
    expect((await json<{ error: { code: string } }>(refused)).error.code).toBe('pack_disabled');
    await stack.call('PUT', '/v1/apps/pack-b/packs/brief', { key: stack.adminKey, body: { enabled: true } });

    expect((await stack.call('PUT', '/v1/apps/pack-b/packs/nope', { key: stack.adminKey, body: { enabled: true } })).status).toBe(404);
    expect((await stack.call('POST', '/v1/packs/nope/runs', { key: keyA, body: { user_id: 'u1' } })).status).toBe(404);
    const badInput = await stack.call('POST', '/v1/packs/brief/runs', { key: keyA, body: { user_id: 'u1', input: { subject: 'x' } } });
    expect(badInput.status).toBe(400);
    expect((await json<{ error: { details: unknown } }>(badInput)).error.details).toEqual({ missing: ['topic'], unknown: ['subject'] });
  });

  it('runs brief: progress over SSE, status with the output, a signed webhook to an allowed receiver', async () => {
    const hook = await stack.call('PUT', '/v1/apps/pack-a/webhook', {
      key: stack.adminKey,
      body: { url: receiver.url, secret: SECRET, allow_private_addresses: true },
    });
    expect(hook.status).toBe(200);

    await stack.kit.withWorker(async () => {
      const started = await stack.call('POST', '/v1/packs/brief/runs', { key: keyA, body: { user_id: 'alice', input: { topic: 'heat pumps' }, run_id: 'api-1' } });
      expect(started.status).toBe(201);
      const run = await json<{ run_id: string; events_url: string; status_url: string }>(started);
      expect(run.run_id).toBe('api-1');

      const types = await followRun(run.events_url, keyA);
      expect(types[0]).toBe('run.started');
      expect(types.filter((type) => type === 'step.completed')).toHaveLength(5);
      expect(types.at(-1)).toBe('run.completed');

      const status = await json<{ status: string; steps: Record<string, { status: string }>; cost_usd: number; output: Record<string, string> }>(
        await stack.call('GET', '/v1/pack-runs/api-1', { key: keyA }),
      );
      expect(status.status).toBe('completed');
      expect(Object.values(status.steps).every((step) => step.status === 'completed')).toBe(true);
      expect(status.cost_usd).toBeGreaterThan(0);
      expect(status.output.summary).toMatch(/^Offline reply to: Edit these sections/);

      // Tenancy: another app's key does not find the run; the same run id again is a conflict.
      expect((await stack.call('GET', '/v1/pack-runs/api-1', { key: keyB })).status).toBe(404);
      expect((await stack.call('POST', '/v1/packs/brief/runs', { key: keyA, body: { user_id: 'alice', input: { topic: 'x' }, run_id: 'api-1' } })).status).toBe(409);
      expect((await stack.call('POST', '/v1/pack-runs/api-1/cancel', { key: keyA })).status).toBe(409);

      const delivery = await until(async () => receiver.received.find((entry) => entry.headers['webhook-id'] === 'msg_pack_run_pack-a_api-1'));
      const { headers, body } = delivery;
      const signed = `${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`;
      const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
      expect(headers['webhook-signature']).toBe(`v1,${createHmac('sha256', key).update(signed).digest('base64')}`);
      expect(JSON.parse(body)).toMatchObject({ type: 'pack_run.completed', data: { run_id: 'api-1', pack: 'brief', status: 'completed' } });
    });
  });

  it('refuses a loopback webhook for an app that was not allowed private addresses (SSRF guard)', async () => {
    await stack.call('PUT', '/v1/apps/pack-b/webhook', { key: stack.adminKey, body: { url: receiver.url, secret: SECRET } });
    await stack.kit.withWorker(async () => {
      const started = await stack.call('POST', '/v1/packs/brief/runs', { key: keyB, body: { user_id: 'bob', input: { topic: 'tides' }, run_id: 'api-2' } });
      expect(started.status).toBe(201);
      const store = new PackStore(stack.kit.mongo, 'pack-b');
      const delivery = await until(() => store.getDelivery('msg_pack_run_pack-b_api-2'));
      expect(delivery.status).toBe('refused');
    });
    expect(receiver.received.some((entry) => entry.headers['webhook-id'] === 'msg_pack_run_pack-b_api-2')).toBe(false);
  });

  it('lists an app\'s runs newest first in cursor pages, filtered; the admin names the app; another app finds none of them', async () => {
    type RunList = { app_id: string; runs: { run_id: string; pack: string; status: string; cost_usd: number; budget_usd?: number; created_at: string }[]; next_cursor: string | null };
    // Three runs of pack-a written as the API writes them (the list reads the run documents).
    const store = new PackStore(stack.kit.mongo, 'pack-a');
    const at = new Date('2026-05-01T10:00:00.000Z');
    for (const runId of ['list-1', 'list-2', 'list-3']) {
      await store.createRun({ runId, pack: 'brief', userId: 'carol', stepIds: ['outline'], finalSteps: ['outline'], budgetNanos: 2_000_000_000 }, at);
    }
    const all = await json<RunList>(await stack.call('GET', '/v1/pack-runs?limit=100', { key: keyA }));
    expect(all.app_id).toBe('pack-a');
    const ids = all.runs.map((run) => run.run_id);
    // Newest first; the three written in the same millisecond in run id order, newest id first.
    expect(ids).toEqual(expect.arrayContaining(['api-1', 'list-1', 'list-2', 'list-3']));
    expect(ids.filter((id) => id.startsWith('list-'))).toEqual(['list-3', 'list-2', 'list-1']);
    const created = all.runs.map((run) => Date.parse(run.created_at));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(all.runs.find((run) => run.run_id === 'list-1')).toMatchObject({ pack: 'brief', status: 'running', cost_usd: 0, budget_usd: 2 });
    expect(all.runs.find((run) => run.run_id === 'api-1')).toMatchObject({ status: 'completed' });
    expect(all.next_cursor).toBeNull();

    // Pages of one: every run exactly once, in the same order.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: RunList = await json<RunList>(await stack.call('GET', `/v1/pack-runs?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { key: keyA }));
      paged.push(...page.runs.map((run) => run.run_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(paged).toEqual(ids);

    const running = await json<RunList>(await stack.call('GET', '/v1/pack-runs?status=running&pack=brief', { key: keyA }));
    expect(running.runs.map((run) => run.run_id)).toEqual(['list-3', 'list-2', 'list-1']);
    expect((await json<RunList>(await stack.call('GET', '/v1/pack-runs?status=failed', { key: keyA }))).runs).toEqual([]);

    // The admin names the app; without one, or with an unknown one, it is told so.
    const admin = await json<RunList>(await stack.call('GET', '/v1/pack-runs?app_id=pack-a&limit=100', { key: stack.adminKey }));
    expect(admin.runs.map((run) => run.run_id)).toEqual(ids);
    expect((await stack.call('GET', '/v1/pack-runs', { key: stack.adminKey })).status).toBe(400);
    expect((await stack.call('GET', '/v1/pack-runs?app_id=nope', { key: stack.adminKey })).status).toBe(404);

    // pack-b sees none of pack-a's runs; naming pack-a is not found.
    const other = await json<RunList>(await stack.call('GET', '/v1/pack-runs?limit=100', { key: keyB }));
    expect(other.runs.some((run) => ids.includes(run.run_id))).toBe(false);
    expect((await stack.call('GET', '/v1/pack-runs?app_id=pack-a', { key: keyB })).status).toBe(404);
    expect((await stack.call('GET', '/v1/pack-runs/list-1?app_id=pack-a', { key: keyB })).status).toBe(404);

    // Bad input is a 400, not a 5xx.
    for (const query of ['cursor=bm90LWEtY3Vyc29y', 'cursor=%2F%2F', 'status=lost', 'limit=0', 'limit=101', 'pack=Not_A_Pack', 'extra=1']) {
      expect((await stack.call('GET', `/v1/pack-runs?${query}`, { key: keyA })).status).toBe(400);
    }
  });

  it('gives a run with its graph, to its app and to the admin naming the app', async () => {
    type Run = { run_id: string; status: string; graph: { id: string; template: string; depends_on: string[] }[] };
    const own = await json<Run>(await stack.call('GET', '/v1/pack-runs/api-1', { key: keyA }));
    expect(own.graph.map((step) => step.id)).toEqual(['outline', 'background', 'analysis', 'risks', 'summary']);
    expect(own.graph.find((step) => step.id === 'summary')?.depends_on).toEqual(['background', 'analysis', 'risks']);
    const admin = await stack.call('GET', '/v1/pack-runs/api-1?app_id=pack-a', { key: stack.adminKey });
    expect(admin.status).toBe(200);
    expect(await json<Run>(admin)).toEqual(own);
    expect((await stack.call('GET', '/v1/pack-runs/api-1', { key: stack.adminKey })).status).toBe(400);
    expect((await stack.call('GET', '/v1/pack-runs/api-1?app_id=pack-b', { key: stack.adminKey })).status).toBe(404);
    expect((await stack.call('POST', '/v1/pack-runs/api-1/cancel?app_id=pack-a', { key: stack.adminKey })).status).toBe(409);
  });
});
