/**
 * packRun / packStep on the time-skipping test server with the real activities (FerretDB, Redis,
 * an offline model of this file's own, whose load meter counts the completions running at once).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfflineModel, type RunningOfflineModel } from '../../src/dev/offline-model';
import { packIds, type PackRunResult } from '../../src/domain/packs';
import { Budgets, budgetScopes } from '../../src/stores/budgets';
import { ChatRepository } from '../../src/stores/chat-repository';
import { PackStore } from '../../src/stores/pack-store';
import { tenantCollections } from '../../src/stores/tenant-collection';
import { workflowIds } from '../../src/workflows/contract';
import { createChatKit, type ChatKit } from '../support/chat-kit';
import { diskPacks, inlinePack, runEvents, startRun } from '../support/pack-kit';
import { startTimeSkipping } from '../support/temporal';

const APP = 'packapp';
let env: TestWorkflowEnvironment;
let kit: ChatKit;
let model: RunningOfflineModel;

beforeAll(async () => {
  env = await startTimeSkipping();
  model = await startOfflineModel({ tokenLatencyMs: 2 });
  kit = await createChatKit(env, { label: 'packrun', llmBaseUrl: model.url });
});

afterAll(async () => {
  await kit?.close();
  await model?.close();
  await env?.teardown();
});

/** Every payload of a workflow's history as text. */
async function historyText(workflowId: string): Promise<string> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const texts: string[] = [];
  const walk = (value: unknown) => {
    if (value instanceof Uint8Array) texts.push(Buffer.from(value).toString('utf8'));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(history);
  return texts.join('\n');
}

const independent = (n: number, extra: object = {}) =>
  inlinePack({
    name: 'fan',
    max_parallel: 2,
    ...extra,
    steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, template: 'assistant', prompt: `Write paragraph number ${i} about rivers.` })),
  });

describe('packRun', () => {
  it('runs brief: a DAG whose prompts read their ancestors, outputs in MongoDB, cost rolled up, progress streamed', async () => {
    const pack = diskPacks().get('brief')!;
    const result = await kit.withWorker(async () => {
      const handle = await startRun(kit, env.client, { appId: APP, runId: 'b1', pack, input: { topic: 'tidal energy' } });
      return handle.result();
    });
    expect(result.status).toBe('completed');
    expect(Object.values(result.steps).map((step) => step.status)).toEqual(Array(5).fill('completed'));

    const store = new PackStore(kit.mongo, APP);
    const outputs = await store.outputsOf('b1', ['outline', 'background', 'analysis', 'risks', 'summary']);
    expect(Object.keys(outputs).sort()).toEqual(['analysis', 'background', 'outline', 'risks', 'summary']);
    // The summary's prompt holds the three sections it depends on, rendered from MongoDB.
    const chats = new ChatRepository(tenantCollections(kit.mongo, APP));
    const [summaryPrompt] = await chats.transcript(packIds.stepChat('b1', 'summary', 1), { last: 10 });
    expect(summaryPrompt?.role).toBe('user');
    for (const step of ['background', 'analysis', 'risks']) expect(summaryPrompt?.content).toContain(outputs[step]);
    expect(summaryPrompt?.content).toContain('tidal energy');

    // Cost rolls up from the usage events of every step's turn.
    const usage = (await tenantCollections(kit.mongo, APP).usageEvents.find({})).filter((event) => event.chat_id.startsWith('pack:b1:'));
    expect(usage).toHaveLength(5);
    expect(result.totals.cost_nanos).toBe(usage.reduce((sum, event) => sum + event.cost_nanos, 0));
    expect(result.totals.cost_nanos).toBeGreaterThan(0);
    const doc = await store.getRun('b1');
    expect(doc?.status).toBe('completed');
    expect(doc?.totals.cost_nanos).toBe(result.totals.cost_nanos);

    const events = await runEvents(kit, APP, 'b1');
    const types = events.map((event) => `${event.type}${event.turn_id ? `:${event.turn_id}` : ''}`);
    expect(types[0]).toBe('run.started');
    expect(types.at(-1)).toBe('run.completed');
    const at = (name: string) => types.indexOf(name);
    for (const step of ['background', 'analysis', 'risks']) {
      expect(at(`step.completed:outline`)).toBeLessThan(at(`step.started:${step}`));
      expect(at(`step.completed:${step}`)).toBeLessThan(at('step.started:summary'));
    }

    // The run's history carries references and usage, never an output.
    const history = await historyText(workflowIds.pack(APP, 'b1'));
    expect(history).toContain(packIds.output('b1', 'summary'));
    for (const output of Object.values(outputs)) expect(history).not.toContain(output);
  });

  it('never runs more steps at once than max_parallel, nor than the app allows', async () => {
    model.setTokenLatencyMs(15);
    try {
      model.load.reset();
      await kit.withWorker(async () => (await startRun(kit, env.client, { appId: APP, runId: 'p1', pack: independent(5) })).result());
      expect(model.load.read()).toMatchObject({ requests: 5, maxInFlight: 2 });

      model.load.reset();
      const result = await kit.withWorker(async () =>
        (await startRun(kit, env.client, { appId: APP, runId: 'p2', pack: independent(3), appConcurrency: 1 })).result(),
      );
      expect(result.status).toBe('completed');
      expect(model.load.read()).toMatchObject({ requests: 3, maxInFlight: 1 });
    } finally {
      model.setTokenLatencyMs(2);
    }
  });

  // Step `bad` reads an input the run does not get: its prompt cannot be rendered, for good.
  const failing = (onFailure: 'fail_fast' | 'continue') =>
    inlinePack({
      name: 'failing',
      inputs: ['missing'],
      max_parallel: 1,
      on_failure: onFailure,
      steps: [
        { id: 'bad', template: 'assistant', prompt: 'About {{input.missing}}', retries: 0 },
        { id: 'good', template: 'assistant', prompt: 'About lakes' },
        { id: 'after-bad', template: 'assistant', prompt: 'More', depends_on: ['bad'] },
        { id: 'after-good', template: 'assistant', prompt: 'More {{steps.good.output}}', depends_on: ['good'] },
      ],
    });

  it('fail_fast: the first failure stops the run; nothing else starts', async () => {
    const result = await kit.withWorker(async () => (await startRun(kit, env.client, { appId: APP, runId: 'f1', pack: failing('fail_fast') })).result());
    expect(result.status).toBe('failed');
    expect(result.steps.bad).toMatchObject({ status: 'failed', error: expect.stringContaining("no input 'missing'") });
    expect([result.steps.good?.status, result.steps['after-bad']?.status, result.steps['after-good']?.status]).toEqual(['skipped', 'skipped', 'skipped']);
  });

  it('continue: what does not depend on the failed step still runs', async () => {
    const result = await kit.withWorker(async () => (await startRun(kit, env.client, { appId: APP, runId: 'f2', pack: failing('continue') })).result());
    expect(result.status).toBe('failed');
    expect(Object.fromEntries(Object.entries(result.steps).map(([id, step]) => [id, step.status]))).toEqual({
      bad: 'failed',
      good: 'completed',
      'after-bad': 'skipped',
      'after-good': 'completed',
    });
  });

  it('a step whose LLM call the run\'s budget cannot cover is refused before the call; the run ends budget_exhausted', async () => {
    const chain = inlinePack({
      name: 'chain',
      steps: [
        { id: 'one', template: 'assistant', prompt: 'First' },
        { id: 'two', template: 'assistant', prompt: 'Second {{steps.one.output}}', depends_on: ['one'] },
        { id: 'three', template: 'assistant', prompt: 'Third', depends_on: ['two'] },
      ],
    });
    // 1,000 nano-dollars: less than any call's largest cost, so the first reservation is refused.
    const result = await kit.withWorker(async () =>
      (await startRun(kit, env.client, { appId: APP, runId: 'bud1', pack: chain, budgetUsd: 0.000001 })).result(),
    );
    expect(result.status).toBe('budget_exhausted');
    expect(result.totals.cost_nanos).toBe(0);
    expect([result.steps.one?.status, result.steps.two?.status, result.steps.three?.status]).toEqual(['failed', 'skipped', 'skipped']);
    expect(result.steps.one?.error).toMatch(/pack:packapp:bud1 budget cannot cover this call/);
    // The model was never called, the step was not retried (it would be refused again), and the
    // run's limit is lifted once it ended.
    const { usageEvents } = tenantCollections(kit.mongo, APP);
    const usage = await usageEvents.find({ chat_id: packIds.stepChat('bud1', 'one', 1) });
    expect(usage.map((event) => [event.status, event.error_type])).toEqual([['error', 'budget_exhausted']]);
    expect(await usageEvents.find({ chat_id: packIds.stepChat('bud1', 'one', 2) })).toHaveLength(0);
    expect(await new Budgets(kit.redis).status(budgetScopes.packRun(APP, 'bud1'))).toEqual({ limitNanos: null, spentNanos: 0 });
  });

  it('cancelling the run cancels its running steps and records every unfinished one', async () => {
    model.setTokenLatencyMs(400);
    try {
      const pack = independent(3, { max_parallel: 2 });
      const outcome = await kit.withWorker(async () => {
        const handle = await startRun(kit, env.client, { appId: APP, runId: 'c1', pack });
        // Cancel once both first steps are streaming from the model.
        for (let i = 0; i < 200 && model.load.read().inFlight < 2; i++) await new Promise((resolve) => setTimeout(resolve, 25));
        await handle.cancel();
        return handle.result().then(
          () => 'completed',
          (error: unknown) => error,
        );
      });
      expect(outcome).toBeInstanceOf(WorkflowFailedError);
      const doc = await new PackStore(kit.mongo, APP).getRun('c1');
      expect(doc?.status).toBe('cancelled');
      expect(Object.values(doc!.steps).map((step) => step.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
      const child = await env.client.workflow.getHandle(workflowIds.packStep(APP, 'c1', 's0')).describe();
      expect(child.status.name).toBe('CANCELLED');
      const events = await runEvents(kit, APP, 'c1');
      expect(events.at(-1)?.type).toBe('run.completed');
      expect(events.at(-1)?.data).toMatchObject({ status: 'cancelled' });
    } finally {
      model.setTokenLatencyMs(2);
    }
  });
});

export type { PackRunResult };
