/**
 * `npm run chat -- --app <id> [--template assistant] [--chat <id>] [--user <id>] "message"`
 *
 * Sends one message to a chat on the running stack through the Temporal client (Update-with-Start
 * of `sendMessage` on `chat:{app}:{chat}`), prints the reply as it streams from the chat's Redis
 * Stream, then the tokens and cost.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { ChatClient, ChatTurnError } from '../client/chat-client';
import { loadConfigOrExit } from '../config';
import { ON_BUSY_MODES, type OnBusyMode } from '../domain/templates';
import { formatUsd } from '../domain/pricing';
import { ChatEvents } from '../stores/chat-events';
import { openRedis } from '../stores/redis';
import { loadTemplate } from '../stores/templates';
import { workflowIds } from '../workflows/contract';

const USAGE = 'usage: npm run chat -- --app <app_id> [--template assistant] [--chat <chat_id>] [--user <user_id>] [--on-busy enqueue] "message"';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        app: { type: 'string' },
        template: { type: 'string', default: 'assistant' },
        chat: { type: 'string' },
        user: { type: 'string', default: 'cli-user' },
        'on-busy': { type: 'string' },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const content = positionals.join(' ');
  if (!values.app || content.trim() === '') fail(USAGE);
  const onBusy = values['on-busy'];
  if (onBusy !== undefined && !(ON_BUSY_MODES as readonly string[]).includes(onBusy)) {
    fail(`--on-busy must be one of ${ON_BUSY_MODES.join(', ')}`);
  }
  let template;
  try {
    template = loadTemplate(path.resolve('templates'), values.template);
  } catch (error) {
    fail((error as Error).message);
  }
  const ref = { appId: values.app, chatId: values.chat ?? randomUUID().slice(0, 8) };

  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}` });
  const redis = openRedis(config.REDIS_URL ?? `redis://127.0.0.1:${config.REDIS_PORT}`, { keyPrefix: config.REDIS_KEY_PREFIX });
  const events = new ChatEvents(redis);
  const chats = new ChatClient(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }));
  const turnId = randomUUID();
  let after = await events.lastId(ref);
  let settled = false;

  // Follow the stream while the turn runs; the reply arrives through the Update as well.
  const follow = (async () => {
    while (!settled) {
      for (const event of await events.read(ref, { after, blockMs: 250 })) {
        after = event.id;
        if (event.turn_id !== turnId) continue;
        if (event.type === 'message.delta') process.stdout.write((event.data as { delta: string }).delta);
        if (event.type === 'turn.restarted') process.stdout.write('\n[the model call was retried; restarting the reply]\n');
        if (event.type === 'tool.called') process.stdout.write(`\n[tool ${(event.data as { name?: string }).name ?? ''}]\n`);
      }
    }
  })();

  try {
    const reply = await chats.sendMessage({
      ...ref,
      userId: values.user,
      template,
      content,
      turnId,
      ...(onBusy ? { onBusy: onBusy as OnBusyMode } : {}),
    });
    settled = true;
    await follow;
    const { usage } = reply;
    process.stdout.write(
      `\n\n— ${usage.input_tokens} input tokens (${usage.cached_input_tokens} cached), ${usage.output_tokens} output tokens, ` +
        `${usage.unpriced_calls > 0 ? 'unpriced model' : `cost ${formatUsd(usage.cost_nanos)}`}\n` +
        `— chat ${ref.chatId}, workflow ${workflowIds.chat(ref.appId, ref.chatId)} (Web UI: TesseraAppId="${ref.appId}")\n`,
    );
  } catch (error) {
    settled = true;
    await follow.catch(() => undefined);
    if (error instanceof ChatTurnError) fail(`\nthe message was not answered: ${error.code}: ${error.message}`);
    throw error;
  } finally {
    redis.disconnect();
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`chat failed: ${(error as Error).message}\n`);
  process.exit(1);
});
