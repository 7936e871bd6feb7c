/**
 * `npm start` with TESSERA_WORKER_PROCESSES=1: the chat worker runs in a process of its own, and a
 * turn sent through the API completes there. The workflow history names the worker that ran each
 * task (the SDK's identity is `{pid}@{host}`): none of them is this process, where the launcher,
 * the API and (without worker processes) the chat worker live.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStack, type RunningStack } from '../../src/dev/stack';
import { workflowIds } from '../../src/workflows/contract';
import { embeddedConfig } from '../support/embedded-config';

let dataDir: string;
let stack: RunningStack;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-worker-processes-'));
  stack = await startStack(await embeddedConfig(dataDir, { TESSERA_WORKER_PROCESSES: '1' }), pino({ level: 'silent' }));
});

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function call(route: string, key: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${stack.apiUrl}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, `${route}: ${await response.clone().text()}`).toBeLessThan(300);
  return (await response.json()) as Record<string, unknown>;
}

it('answers a turn sent through the API from the chat worker in its own process', async () => {
  const appKey = String((await call('/v1/apps', stack.adminKey, { app_id: 'procs', name: 'procs' })).api_key);
  const chatId = String((await call('/v1/sessions', appKey, { template: 'assistant', user_id: 'u1' })).chat_id);
  const turn = await call(`/v1/chats/${chatId}/messages`, appKey, { content: 'hello from the API' });
  expect(turn).toMatchObject({ message: { role: 'assistant', content: expect.stringMatching(/^Offline reply to: hello from the API/) } });

  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    const history = await new Client({ connection }).workflow.getHandle(workflowIds.chat('procs', chatId)).fetchHistory();
    const identities = (history.events ?? []).flatMap((event) => {
      const identity = event.workflowTaskStartedEventAttributes?.identity ?? event.activityTaskStartedEventAttributes?.identity;
      return identity ? [identity] : [];
    });
    expect(identities.length).toBeGreaterThanOrEqual(3); // the workflow tasks and the LLM call
    expect(identities.filter((identity) => identity.startsWith(`${process.pid}@`))).toEqual([]);
  } finally {
    await connection.close();
  }
});
