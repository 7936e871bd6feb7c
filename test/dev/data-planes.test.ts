/**
 * Dedicated data planes on the whole embedded stack: with `TESSERA_DATA_PLANES` naming one app,
 * that app's chats run on its own task queue (and only there; every activity of the run too) and
 * its documents live only in its own database, while another app stays on the shared ones.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { startStack, type RunningStack } from '../../src/dev/stack';
import { workflowIds } from '../../src/workflows/contract';
import { embeddedConfig } from '../support/embedded-config';

describe('a dedicated data plane', () => {
  let dataDir: string;
  let config: Config;
  let stack: RunningStack;
  const chats: Record<string, string> = {};

  const api = async (method: string, route: string, key: string, body?: unknown) =>
    fetch(`${stack.apiUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-planes-'));
    config = await embeddedConfig(dataDir, {
      TESSERA_DATA_PLANES: JSON.stringify({ solo: { mongodb_db: 'tessera_solo' } }),
      TESSERA_OPS_FAST_LOOP: 'off',
      TESSERA_SCHEDULES: 'off',
    });
    stack = await startStack(config, pino({ level: 'silent' }));
    for (const appId of ['solo', 'shared']) {
      const created = await api('POST', '/v1/apps', stack.adminKey, { app_id: appId, name: appId });
      expect(created.status).toBe(201);
      const key = ((await created.json()) as { api_key: string }).api_key;
      const session = await api('POST', '/v1/sessions', key, { template: 'researcher', user_id: 'u1' });
      chats[appId] = ((await session.json()) as { chat_id: string }).chat_id;
      const sent = await api('POST', `/v1/chats/${chats[appId]}/messages`, key, { content: 'calculate (2+3)*7' });
      expect(sent.status).toBe(200);
    }
  });

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the app’s chat, and every activity of it, on its own task queue; the other app on the shared one', async () => {
    const connection = await Connection.connect({ address: stack.temporalAddress });
    try {
      const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
      for (const [appId, queue] of [['solo', 'tessera-chat-solo'], ['shared', 'tessera-chat']] as const) {
        const handle = client.workflow.getHandle(workflowIds.chat(appId, chats[appId]!));
        expect((await handle.describe()).taskQueue).toBe(queue);
        const history = await handle.fetchHistory();
        const queues = new Set<string>();
        let activities = 0;
        for (const event of history.events ?? []) {
          const scheduled = event.activityTaskScheduledEventAttributes;
          if (scheduled) {
            activities++;
            queues.add(scheduled.taskQueue?.name ?? '');
          }
          const workflowTask = event.workflowTaskScheduledEventAttributes;
          if (workflowTask?.taskQueue?.name && workflowTask.taskQueue.kind !== 2 /* sticky */) queues.add(workflowTask.taskQueue.name);
        }
        expect(activities).toBeGreaterThan(0);
        expect([...queues]).toEqual([queue]);
      }
    } finally {
      await connection.close();
    }
  });

  it('keeps the app’s documents in its own database and none in the shared one', async () => {
    const mongo = await MongoClient.connect(`mongodb://127.0.0.1:${config.FERRETDB_PORT}/`);
    try {
      const own = mongo.db('tessera_solo');
      const shared = mongo.db(config.MONGODB_DB);
      for (const collection of ['apps', 'chat_sessions', 'chat_messages', 'usage_events', 'audit_events']) {
        expect(await own.collection(collection).countDocuments({ app_id: 'solo' }), collection).toBeGreaterThan(0);
        expect(await shared.collection(collection).countDocuments({ app_id: 'solo' }), collection).toBe(0);
        expect(await own.collection(collection).countDocuments({ app_id: { $ne: 'solo' } }), collection).toBe(0);
        expect(await shared.collection(collection).countDocuments({ app_id: 'shared' }), collection).toBeGreaterThan(0);
      }
    } finally {
      await mongo.close();
    }
  });
});
