/**
 * A `?wait=false` chat turn tells the app's webhook when it ends: a loopback receiver (the admin
 * allowed private addresses) gets exactly one `chat_turn.completed` event for the turn, signed the
 * Standard Webhooks way and verifiable with the app's secret. A turn the caller waited for sends
 * none.
 */
import { createHmac } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHAT_TURN_EVENT, chatTurnWebhookId } from '../../src/activities/chat/turn-webhook';
import { workflowIds } from '../../src/workflows/contract';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver';
import { startApiStack, type ApiStack } from '../support/api-stack';

const APP = 'hook-app';
const SECRET = 'whsec_' + Buffer.from('another-secret-of-32-bytes-long!').toString('base64');
let stack: ApiStack;
let appKey: string;
let receiver: WebhookReceiver;

beforeAll(async () => {
  stack = await startApiStack({ label: 'chathook', noWorker: true });
  appKey = await stack.createApp(APP);
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

/** Standard Webhooks: `v1,` + base64 HMAC-SHA256 of "{id}.{timestamp}.{body}", keyed by the
 * base64-decoded `whsec_` secret. */
function verify(delivery: ReceivedWebhook, secret: string): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signed = `${String(delivery.headers['webhook-id'])}.${String(delivery.headers['webhook-timestamp'])}.${delivery.body}`;
  return delivery.headers['webhook-signature'] === `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
}

it('POSTs one signed chat_turn.completed event when a ?wait=false turn ends, none for a waited turn', async () => {
  const hook = await stack.call('PUT', `/v1/apps/${APP}/webhook`, {
    key: stack.adminKey,
    body: { url: receiver.url, secret: SECRET, allow_private_addresses: true },
  });
  expect(hook.status).toBe(200);
  const session = (await (await stack.call('POST', '/v1/sessions', { key: appKey, body: { template: 'assistant', user_id: 'u1' } })).json()) as { chat_id: string };
  const chatId = session.chat_id;

  await stack.kit.withWorker(async () => {
    const waited = await stack.call('POST', `/v1/chats/${chatId}/messages`, { key: appKey, body: { content: 'First, and I wait', message_id: 'm-waited' } });
    expect(waited.status).toBe(200);
    const accepted = await stack.call('POST', `/v1/chats/${chatId}/messages?wait=false`, { key: appKey, body: { content: 'Second, no waiting', message_id: 'm-async' } });
    expect(accepted.status).toBe(202);

    // The delivery is a workflow of its own; once it has ended, every POST it made has arrived.
    const webhookId = chatTurnWebhookId(APP, chatId, 'm-async');
    const delivery = stack.env.client.workflow.getHandle(workflowIds.webhook(APP, webhookId));
    let outcome: unknown;
    for (let i = 0; i < 600 && outcome === undefined; i++) {
      outcome = await delivery.result().catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return undefined;
      });
    }
    expect(outcome).toEqual({ status: 'delivered', httpStatus: 204 });
  });

  // The waited turn had ended (its reply came back) without starting a delivery at all.
  const waitedDelivery = stack.env.client.workflow.getHandle(workflowIds.webhook(APP, chatTurnWebhookId(APP, chatId, 'm-waited')));
  await expect(waitedDelivery.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect(receiver.received).toHaveLength(1);
  const [event] = receiver.received;
  expect(event!.headers['webhook-id']).toBe(chatTurnWebhookId(APP, chatId, 'm-async'));
  expect(verify(event!, SECRET)).toBe(true);
  expect(verify(event!, 'whsec_' + Buffer.from('not-the-secret').toString('base64'))).toBe(false);
  const body = JSON.parse(event!.body) as { type: string; timestamp: string; data: Record<string, unknown> };
  expect(body.type).toBe(CHAT_TURN_EVENT);
  expect(body.data).toMatchObject({ chat_id: chatId, turn_id: 'm-async', user_id: 'u1', status: 'completed', error: null });
  expect(body.timestamp).toBe(new Date(Number(event!.headers['webhook-timestamp']) * 1000).toISOString());

  // The reply the event points at is the turn's stored answer.
  const messages = (await (await stack.call('GET', `/v1/chats/${chatId}/messages`, { key: appKey })).json()) as {
    messages: { message_id: string; role: string; turn_id?: string }[];
  };
  const reply = messages.messages.find((message) => message.message_id === body.data.message_id);
  expect(reply).toMatchObject({ role: 'assistant', turn_id: 'm-async' });
}, 120_000);
