/**
 * `npm run chat -- [--url <api>] (--key <app key> | --app <app_id>) [--template assistant] [--chat <id>]
 *  [--user <id>] [--on-busy enqueue] [--message-id <id>] "message"`
 *
 * Sends one message to a chat over Tessera's HTTP API with the client SDK (`sdk/`): starts or
 * resumes the session (`POST /v1/sessions`), sends the message with a `message_id` and follows the
 * chat's events (SSE, resumed by itself after a dropped connection), printing the reply as it
 * streams, then the tokens and cost.
 *
 * The app key comes from `--key`. With `--app` instead, the CLI uses the admin key (the
 * `TESSERA_ADMIN_KEY` setting, or the one the embedded stack generated under the data directory) to
 * create that app on first use, and keeps its key under the data directory for later runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createApiClient, createServerClient, TesseraError, type ChatEvent } from '../../sdk/src/index.js';
import { loadConfigOrExit, type Config } from '../config';
import { formatUsd } from '../domain/pricing';
import { ON_BUSY_MODES, type OnBusyMode } from '../domain/templates';
import { workflowIds } from '../workflows/contract';

const USAGE =
  'usage: npm run chat -- [--url <api>] (--key <app key> | --app <app_id>) [--template assistant] [--chat <chat_id>] [--user <user_id>] [--on-busy enqueue] [--message-id <id>] "message"';

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** The admin key: the setting, or the one the embedded launcher generated (`<data dir>/secrets/admin-key`). */
function adminKeyOf(config: Config): string | undefined {
  if (config.TESSERA_ADMIN_KEY) return config.TESSERA_ADMIN_KEY;
  try {
    return fs.readFileSync(path.join(config.dataDir, 'secrets', 'admin-key'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Where the key in use was read from, when it was one kept by an earlier run. */
let keptKeyFile: string | undefined;

const keyFile = (config: Config, appId: string) => path.join(config.dataDir, 'secrets', 'cli-apps', appId);

/** The app's key for `--app`: the one kept from an earlier run, or a new app made with the admin key. */
async function appKeyFor(config: Config, url: string, appId: string): Promise<string> {
  const file = keyFile(config, appId);
  try {
    const kept = fs.readFileSync(file, 'utf8').trim();
    if (kept) {
      keptKeyFile = file;
      return kept;
    }
  } catch {
    // None kept yet.
  }
  const adminKey = adminKeyOf(config);
  if (!adminKey) fail(`--app ${appId}: no app key kept for it and no admin key (TESSERA_ADMIN_KEY, or the one \`npm start\` generated); pass --key <app key>`);
  const admin = createApiClient({ baseUrl: url, key: adminKey });
  const { data, error, response } = await admin.POST('/v1/apps', { body: { app_id: appId, name: appId } });
  if (response.status === 409) {
    fail(`app '${appId}' exists and this CLI kept no key for it: pass --key <its app key> (or rotate it: POST /v1/apps/${appId}/keys/rotate)`);
  }
  if (error !== undefined || !data) {
    const body = error as { error?: { code?: string; message?: string } } | undefined;
    fail(`creating app '${appId}' failed: ${response.status} ${body?.error?.code ?? ''}: ${body?.error?.message ?? ''}`, 1);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${data.api_key}\n`, { mode: 0o600 });
  process.stderr.write(`created app '${appId}'; its key is kept in ${path.relative(process.cwd(), file)}\n`);
  return data.api_key;
}

function describeError(error: TesseraError, url: string): string {
  if (error.code === 'network_error') return `cannot reach the API at ${url} (is \`npm start\` running?): ${error.message}`;
  if (error.status === 401 && keptKeyFile) {
    return `${error.message}: the app key kept in ${path.relative(process.cwd(), keptKeyFile)} was refused (was the data directory reset?); delete that file or pass --key`;
  }
  return `${error.status ? `${error.status} ` : ''}${error.code}: ${error.message}`;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        url: { type: 'string', default: config.TESSERA_PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}` },
        key: { type: 'string' },
        app: { type: 'string' },
        template: { type: 'string', default: 'assistant' },
        chat: { type: 'string' },
        user: { type: 'string', default: 'cli-user' },
        'on-busy': { type: 'string' },
        'message-id': { type: 'string' },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const content = positionals.join(' ');
  if ((!values.key && !values.app) || content.trim() === '') fail(USAGE);
  const onBusy = values['on-busy'];
  if (onBusy !== undefined && !(ON_BUSY_MODES as readonly string[]).includes(onBusy)) {
    fail(`--on-busy must be one of ${ON_BUSY_MODES.join(', ')}`);
  }
  const url = values.url.replace(/\/+$/, '');

  try {
    const appKey = values.key ?? (await appKeyFor(config, url, values.app as string));
    const client = createServerClient({ baseUrl: url, appKey });
    const session = await client.sessions.create({
      template: values.template,
      user_id: values.user,
      ...(values.chat ? { chat_id: values.chat } : {}),
    });
    const turn = client.chats.sendAndStream(session.chat_id, content, {
      ...(values['message-id'] ? { messageId: values['message-id'] } : {}),
      ...(onBusy ? { onBusy: onBusy as OnBusyMode } : {}),
      onReconnect: ({ attempt }) => process.stderr.write(`\n[stream dropped; reconnecting (attempt ${attempt})]\n`),
    });
    let completed: Extract<ChatEvent, { type: 'turn.completed' }> | undefined;
    for await (const event of turn) {
      if (event.type === 'message.delta') process.stdout.write(event.data.delta);
      if (event.type === 'turn.restarted') process.stdout.write('\n[the model call was retried; restarting the reply]\n');
      if (event.type === 'tool.called') process.stdout.write(`\n[tool ${event.data.name}]\n`);
      if (event.type === 'turn.completed') completed = event;
    }
    const result = await turn.result;
    // A message id answered before: no events this time, the stored reply instead.
    if (!completed) process.stdout.write(result.content);
    const usage = completed?.data.usage;
    const costNanos = usage?.cost_nanos ?? Math.round(result.usage.cost_usd * 1e9);
    process.stdout.write(
      `\n\n— ${result.usage.input_tokens} input tokens (${result.usage.cached_input_tokens} cached), ${result.usage.output_tokens} output tokens, ` +
        `${result.usage.unpriced_calls > 0 ? 'unpriced model' : `cost ${formatUsd(costNanos)}`}\n` +
        `— chat ${session.chat_id}, turn ${result.turn_id}` +
        (values.app && !values.key ? `, workflow ${workflowIds.chat(values.app, session.chat_id)} (Web UI: TesseraAppId="${values.app}")` : '') +
        '\n',
    );
  } catch (error) {
    if (error instanceof TesseraError) {
      if (error.status === 0 && error.turnId) fail(`\nthe message was not answered: ${error.code}: ${error.message}`);
      fail(`chat failed: ${describeError(error, url)}`, 1);
    }
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`chat failed: ${(error as Error).message}\n`);
  process.exit(1);
});
