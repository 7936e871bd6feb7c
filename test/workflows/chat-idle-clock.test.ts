/**
 * chatSession's inactivity deadline on the time-skipping test server (own server: the test skips
 * time, and another file's chats waiting on their workers would hold skipping back): one durable
 * timer per idle period, moved by each turn, never one started and cancelled per turn.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChatClient } from '../../src/client/chat-client';
import type { chatSession } from '../../src/workflows/chat-session';
import { workflowIds } from '../../src/workflows/contract';
import { createChatKit, type ChatKit } from '../support/chat-kit';
import { startTimeSkipping } from '../support/temporal';

const APP = 'acme';
let env: TestWorkflowEnvironment;
let kit: ChatKit;

beforeAll(async () => {
  env = await startTimeSkipping();
  kit = await createChatKit(env, { label: 'idleclock' });
});

afterAll(async () => {
  await kit?.close();
  await env?.teardown();
});

it('starts one inactivity timer per idle period, not one per turn, and closes a timeout after the last turn', async () => {
  const template = kit.template('assistant', { inactivity_timeout_seconds: 1800 });
  const chats = new ChatClient(env.client, { taskQueue: kit.taskQueue });
  const ref = { appId: APP, chatId: 'c-idle-clock', userId: 'u1', template };
  const handle = env.client.workflow.getHandle<typeof chatSession>(workflowIds.chat(APP, 'c-idle-clock'));
  const { lastTurnAt, result } = await kit.withWorker(async () => {
    await chats.sendMessage({ ...ref, content: 'one' });
    await chats.sendMessage({ ...ref, content: 'two' });
    await env.sleep(20 * 60_000); // the timer started after turn one has not fired yet
    const at = await env.currentTimeMs();
    await chats.sendMessage({ ...ref, content: 'three' });
    return { lastTurnAt: at, result: await handle.result() };
  });
  expect(result).toMatchObject({ closedReason: 'inactivity', turnCount: 3 });
  const events = (await handle.fetchHistory()).events ?? [];
  const count = (attribute: 'timerStartedEventAttributes' | 'timerCanceledEventAttributes') =>
    events.filter((event) => event[attribute]).length;
  // Started after turn one, fired 30 minutes later while idle since turn three, started once more
  // for what was left. A timer per turn would be 3 started and 2 cancelled.
  expect({ started: count('timerStartedEventAttributes'), cancelled: count('timerCanceledEventAttributes') }).toEqual({
    started: 2,
    cancelled: 0,
  });
  const closed = events.at(-1)?.eventTime;
  const closedAt = Number(closed?.seconds ?? 0) * 1000 + Math.floor((closed?.nanos ?? 0) / 1e6);
  expect(closedAt - lastTurnAt).toBeGreaterThanOrEqual(1800 * 1000);
});
