/**
 * Replay of recorded `packRun` / `packStep` histories (test/fixtures/histories/pack-*.binpb): today's
 * workflow code must replay them, and a deliberately changed `packRun` must fail.
 *
 * Re-record after an intended, versioned change with:
 *   RECORD_HISTORIES=1 npx vitest run test/workflows/pack-replay.test.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIds } from '../../src/workflows/contract';
import { createChatKit, type ChatKit } from '../support/chat-kit';
import { rawHistory } from '../support/histories';
import { diskPacks, startRun } from '../support/pack-kit';
import { startTimeSkipping } from '../support/temporal';
import { workflowBundle } from '../support/workflow-bundle';

const FIXTURES = path.resolve(__dirname, '../fixtures/histories');
const APP = 'replayapp';
const recording = process.env.RECORD_HISTORIES === '1';
/** Fixture name → the workflow id whose history it holds (one brief run records both). */
const FIXTURE_IDS: Record<string, string> = {
  'pack-run-brief': workflowIds.pack(APP, 'rp1'),
  'pack-step-summary': workflowIds.packStep(APP, 'rp1', 'summary'),
};
const fixtureFile = (name: string) => path.join(FIXTURES, `${name}.binpb`);


describe.runIf(recording)('recording pack histories', () => {
  let env: TestWorkflowEnvironment;
  let kit: ChatKit;
  beforeAll(async () => {
    env = await startTimeSkipping();
    kit = await createChatKit(env, { label: 'packrecord' });
  });
  afterAll(async () => {
    await kit?.close();
    await env?.teardown();
  });

  it('records a brief run and one of its steps', async () => {
    await kit.withWorker(async () => {
      const handle = await startRun(kit, env.client, { appId: APP, runId: 'rp1', pack: diskPacks().get('brief')!, input: { topic: 'kelp' } });
      await handle.result();
    });
    fs.mkdirSync(FIXTURES, { recursive: true });
    for (const [name, workflowId] of Object.entries(FIXTURE_IDS)) {
      fs.writeFileSync(fixtureFile(name), temporal.api.history.v1.History.encode(await rawHistory(env, workflowId)).finish());
    }
  });
});

describe.skipIf(recording)('replaying recorded pack histories', () => {
  const load = (name: string) => temporal.api.history.v1.History.decode(fs.readFileSync(fixtureFile(name)));

  it.each(Object.keys(FIXTURE_IDS))('replays %s without nondeterminism', async (name) => {
    await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, load(name), `replay-${name}`);
  });

  it('fails on a packRun whose commands changed', async () => {
    const altered = { workflowsPath: path.resolve(__dirname, '../support/workflows/altered-pack-run.ts') };
    await expect(Worker.runReplayHistory(altered, load('pack-run-brief'), 'replay-altered-pack')).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
