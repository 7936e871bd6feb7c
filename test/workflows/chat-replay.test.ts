/**
 * Replay of recorded `chatSession` histories (test/fixtures/histories/): today's workflow code must
 * replay them without a nondeterminism error, and a deliberately changed workflow must fail, which
 * proves the test can fail.
 *
 * Every fixture replays: `{scenario}.binpb` is recorded by today's code, `{scenario}.v1.binpb` by
 * the code before the `patched()` changes (usage written inside `llmStep`, one inactivity timer
 * per idle period), so histories of chats running when a worker is upgraded still replay.
 *
 * Re-record after an intended, versioned change with (keep the older files):
 *   RECORD_HISTORIES=1 npx vitest run test/workflows/chat-replay.test.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { chatSession } from '../../src/workflows/chat-session';
import { IDLE_CLOCK_PATCH } from '../../src/workflows/chat/idle-clock';
import { LLM_STEP_RECORDS_USAGE_PATCH } from '../../src/workflows/chat/run-turn';
import { closeSignal, workflowIds } from '../../src/workflows/contract';
import { createChatKit, type ChatKit } from '../support/chat-kit';
import { rawHistory } from '../support/histories';
import { startTimeSkipping } from '../support/temporal';
import { workflowBundle } from '../support/workflow-bundle';

const FIXTURES = path.resolve(__dirname, '../fixtures/histories');
const APP = 'replayapp';
const recording = process.env.RECORD_HISTORIES === '1';

/** Each scenario drives one chat and ends its run; its history becomes a fixture. */
const scenarios: Record<string, (kit: ChatKit, env: TestWorkflowEnvironment) => Promise<string>> = {
  async 'chat-turns-then-close'(kit, env) {
    const ref = { appId: APP, chatId: 'r-close' };
    const template = kit.template('assistant');
    await kit.chats.sendMessage({ ...ref, userId: 'u1', template, content: 'first question', turnId: 'r1' });
    await kit.chats.sendMessage({ ...ref, userId: 'u1', template, content: 'second question', turnId: 'r2' });
    await env.client.workflow.getHandle(workflowIds.chat(ref.appId, ref.chatId)).signal(closeSignal, {});
    return workflowIds.chat(ref.appId, ref.chatId);
  },
  async 'chat-tool-loop'(kit, env) {
    const ref = { appId: APP, chatId: 'r-tools' };
    const template = kit.template('researcher', { max_tool_steps: 2 });
    await kit.chats.sendMessage({ ...ref, userId: 'u1', template, content: 'go [[loop]] [[tool:calculator {"expression":"1+1"}]]' });
    await env.client.workflow.getHandle(workflowIds.chat(ref.appId, ref.chatId)).signal(closeSignal, {});
    return workflowIds.chat(ref.appId, ref.chatId);
  },
  async 'chat-inactivity-close'(kit, env) {
    const ref = { appId: APP, chatId: 'r-idle' };
    await kit.chats.sendMessage({ ...ref, userId: 'u1', template: kit.template('assistant'), content: 'hello' });
    await env.client.workflow.getHandle<typeof chatSession>(workflowIds.chat(ref.appId, ref.chatId)).result();
    return workflowIds.chat(ref.appId, ref.chatId);
  },
};


// Binary protobuf (the server's own encoding): lossless, and independent of JSON mappings.
const fixtureFile = (name: string) => path.join(FIXTURES, `${name}.binpb`);

describe.runIf(recording)('recording chatSession histories', () => {
  let env: TestWorkflowEnvironment;
  let kit: ChatKit;
  beforeAll(async () => {
    env = await startTimeSkipping();
    kit = await createChatKit(env, { label: 'record' });
  });
  afterAll(async () => {
    await kit?.close();
    await env?.teardown();
  });

  it.each(Object.keys(scenarios))('records %s', async (name) => {
    const workflowId = await kit.withWorker(async () => {
      const id = await scenarios[name]!(kit, env);
      await env.client.workflow.getHandle(id).result();
      return id;
    });
    const history = await rawHistory(env, workflowId);
    fs.mkdirSync(FIXTURES, { recursive: true });
    fs.writeFileSync(fixtureFile(name), temporal.api.history.v1.History.encode(history).finish());
  });
});

describe.skipIf(recording)('replaying recorded chatSession histories', () => {
  const names = Object.keys(scenarios);
  const load = (name: string) => temporal.api.history.v1.History.decode(fs.readFileSync(fixtureFile(name)));
  const files = fs
    .readdirSync(FIXTURES)
    .filter((file) => file.startsWith('chat-') && file.endsWith('.binpb'))
    .map((file) => file.replace(/\.binpb$/, ''));

  it('has a fixture for every scenario', () => {
    for (const name of names) expect(fs.existsSync(fixtureFile(name)), fixtureFile(name)).toBe(true);
  });

  it('holds histories from before and after each patch', () => {
    const patchesOf = (file: string) =>
      load(file).events.flatMap((event) => {
        const details = event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
        return details ? [(JSON.parse(Buffer.from(details).toString()) as { id: string }).id] : [];
      });
    for (const patch of [IDLE_CLOCK_PATCH, LLM_STEP_RECORDS_USAGE_PATCH]) {
      expect(files.filter((file) => patchesOf(file).includes(patch))).toEqual(expect.arrayContaining(names));
      expect(files.filter((file) => !patchesOf(file).includes(patch))).toEqual(expect.arrayContaining(names.map((name) => `${name}.v1`)));
    }
  });

  it.each(files)('replays %s without nondeterminism', async (name) => {
    await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, load(name), `replay-${name}`);
  });

  it('fails on a workflow whose commands changed', async () => {
    const altered = { workflowsPath: path.resolve(__dirname, '../support/workflows/altered-chat-session.ts') };
    await expect(Worker.runReplayHistory(altered, load('chat-turns-then-close'), 'replay-altered')).rejects.toBeInstanceOf(
      DeterminismViolationError,
    );
  });
});
