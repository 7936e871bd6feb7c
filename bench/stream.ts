/**
 * bench/stream — how long a token takes from the model to a client through Tessera, next to the
 * same tokens read (a) straight from the model's streaming endpoint and (b) carried by Temporal's
 * own Workflow Streams (`@temporalio/workflow-streams`), all in one run on one fresh dev server.
 * Then the API's own cost on a whole turn: `POST /v1/chats/:id/messages` against the same
 * Update-with-Start sent directly with `ChatClient`.
 *
 *   npm run bench:stream [-- --quick]
 *
 * As deployed: the API is its own process (`src/api/main.ts`), the workers another; this process
 * runs the paced offline model (it stamps every token with its send time when asked) and the
 * clients. The three paths take turns, one turn at a time, in rotating order, so each meets the
 * machine alone and all meet it at the same moments. A missed target prints MISSED; only a crash
 * exits non-zero.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { ChatClient } from '../src/client/chat-client';
import { loadConfig } from '../src/config';
import { freePort } from '../src/dev/child-service';
import { startOfflineModel } from '../src/dev/offline-model';
import { loadTemplate } from '../src/stores/templates';
import { loadWorkflowBundle } from '../src/workers/workflow-bundle';
import { apiClient, json } from './support/api-client';
import { runBenchMain, startBenchRun } from './support/bench-run';
import { startBenchStack } from './support/bench-stack';
import { installQuietRuntime } from './support/runtime-log';
import { startApiProcess, startStreamWorker } from './support/stream-processes';
import { openSseReader, openWsReader, readModelDirectly, readWorkflowStream, type ChatReader, type TurnSamples } from './support/stream-readers';
import { reportStream, type StreamResults } from './support/stream-report';
import { ensureWorkflowStreams } from './support/stream-wfs-install';
import { loadWfsClient, type WfsClientModule } from './workflow-streams/activities';

const root = path.resolve(__dirname, '..');
const TOKEN_LATENCY_MS = 20;
const APP = 'bench';
const USER = 'bench-user';

const FULL = { quick: false, warmup: 3, rounds: 30, turns: 60 };
const QUICK = { quick: true, warmup: 1, rounds: 6, turns: 12 };
type Plan = typeof FULL;

/** Something to say in round `n`: different each time, so every answer is a fresh one. */
const prompt = (n: number) => `Round ${n}: tell me about streaming tokens to many clients at once`;

interface Paths {
  direct(n: number): Promise<number[]>;
  tessera(n: number): Promise<{ sse: TurnSamples; ws: TurnSamples }>;
  workflowStreams(n: number): Promise<number[]>;
}

async function measureTokens(plan: Plan, paths: Paths): Promise<StreamResults['delays']> {
  const delays: StreamResults['delays'] = { direct: [], sse: [], ws: [], workflowStreams: [], sseSplit: [] };
  const steps: ((n: number, keep: boolean) => Promise<void>)[] = [
    async (n, keep) => {
      const got = await paths.direct(n);
      if (keep) delays.direct.push(...got);
    },
    async (n, keep) => {
      const got = await paths.tessera(n);
      if (!keep) return;
      delays.sse.push(...got.sse.delays);
      delays.sseSplit.push(...got.sse.split);
      delays.ws.push(...got.ws.delays);
    },
    async (n, keep) => {
      const got = await paths.workflowStreams(n);
      if (keep) delays.workflowStreams.push(...got);
    },
  ];
  for (let n = 1; n <= plan.warmup + plan.rounds; n++) {
    const keep = n > plan.warmup;
    // Rotate who goes first, so no path always follows the same one.
    for (let i = 0; i < steps.length; i++) await (steps[(n + i) % steps.length] as (n: number, keep: boolean) => Promise<void>)(n, keep);
    if (n % 5 === 0 || n === plan.warmup + plan.rounds) {
      process.stderr.write(`tokens: round ${n}/${plan.warmup + plan.rounds} (${delays.sse.length} Tessera tokens so far)\n`);
    }
  }
  return delays;
}

async function measureTurns(plan: Plan, sendApi: (n: number) => Promise<void>, sendUpdate: (n: number) => Promise<void>): Promise<StreamResults['turns']> {
  const turns: StreamResults['turns'] = { api: [], update: [] };
  const timed = async (send: () => Promise<void>) => {
    const started = performance.now();
    await send();
    return performance.now() - started;
  };
  for (let n = 1; n <= plan.warmup + plan.turns; n++) {
    const keep = n > plan.warmup;
    const order = n % 2 === 0 ? (['api', 'update'] as const) : (['update', 'api'] as const);
    for (const side of order) {
      const ms = await timed(() => (side === 'api' ? sendApi(n) : sendUpdate(n)));
      if (keep) turns[side].push(ms);
    }
  }
  return turns;
}

async function main(): Promise<void> {
  const plan = process.argv.includes('--quick') ? QUICK : FULL;
  const config = loadConfig();
  const { teardown, scratch } = startBenchRun('stream');
  try {
    installQuietRuntime();
    const wfsPackage = ensureWorkflowStreams(config.toolsDir);
    const wfs: WfsClientModule = loadWfsClient(wfsPackage.clientEntry);
    process.stderr.write(`starting Temporal dev server, FerretDB, Redis and the offline model (scratch: ${scratch})...\n`);
    const stack = await startBenchStack({ toolsDir: config.toolsDir, scratchDir: scratch, teardown });
    const model = await startOfflineModel({ port: 0, tokenLatencyMs: TOKEN_LATENCY_MS });
    teardown.add('paced offline model', () => model.close());

    process.stderr.write('bundling workflows, starting the worker and API processes...\n');
    const bundle = await loadWorkflowBundle(path.join(config.dataDir, 'cache'));
    const shared = { temporalAddress: stack.temporalAddress, mongoUri: stack.mongoUri, mongoDb: 'tessera_bench_stream', redisUrl: stack.redisUrl, redisPrefix: 'bench-stream:' };
    const secrets = { adminKey: `tsa_${randomBytes(18).toString('base64url')}`, jwtSecret: randomBytes(32).toString('base64url'), keyPepper: randomBytes(32).toString('base64url') };
    const [, apiUrl] = await Promise.all([
      startStreamWorker(
        {
          ...shared,
          llmBaseUrl: model.url,
          tesseraBundleFile: bundle.file,
          wfsWorkflowsPath: path.join(__dirname, 'workflow-streams', 'workflows.ts'),
          wfsWorkflowEntry: wfsPackage.workflowEntry,
          wfsClientEntry: wfsPackage.clientEntry,
        },
        teardown,
      ),
      startApiProcess({ ...shared, secrets, dataDir: path.join(scratch, 'api'), port: await freePort() }, teardown),
    ]);
    const api = apiClient(apiUrl);
    const connection = await Connection.connect({ address: stack.temporalAddress });
    teardown.add('Temporal client', () => connection.close());
    const client = new Client({ connection });

    const created = await json<{ api_key: string }>(await api.call('POST', '/v1/apps', secrets.adminKey, { app_id: APP, name: 'bench', tier: 'enterprise' }), 'creating the app');
    const appKey = created.api_key;
    const session = await json<{ chat_id: string; runtime_token: string; sse_url: string; ws_url: string }>(
      await api.call('POST', '/v1/sessions', appKey, { template: 'assistant', user_id: USER, chat_id: 'stream-1' }),
      'opening a session',
    );
    const token = `access_token=${encodeURIComponent(session.runtime_token)}`;
    const readers: ChatReader[] = await Promise.all([openSseReader(`${session.sse_url}?${token}`), openWsReader(`${session.ws_url}?${token}`)]);
    teardown.add('stream clients', async () => readers.forEach((reader) => reader.close()));
    const [sse, ws] = readers as [ChatReader, ChatReader];

    process.stderr.write(`measuring token delays (${plan.rounds} turns per path, model at ${TOKEN_LATENCY_MS} ms/token)...\n`);
    const delays = await measureTokens(plan, {
      direct: (n) => readModelDirectly(model.url, prompt(n)),
      async tessera(n) {
        const turn = await json<{ turn_id: string }>(await api.call('POST', `/v1/chats/${session.chat_id}/messages`, appKey, { content: prompt(n) }), 'a turn');
        const [sseDelays, wsDelays] = await Promise.all([sse.take(turn.turn_id), ws.take(turn.turn_id)]);
        return { sse: sseDelays, ws: wsDelays };
      },
      workflowStreams: (n) => readWorkflowStream(client, wfs, `wfs-${n}`, prompt(n)),
    });
    for (const [name, list] of Object.entries(delays)) {
      if (list.length === 0) throw new Error(`no stamped tokens reached the ${name} client: is the model stamping?`);
    }

    process.stderr.write(`measuring the API on whole turns (${plan.turns} per side, model at 0 ms/token)...\n`);
    model.setTokenLatencyMs(0);
    const chats = new ChatClient(client);
    const template = loadTemplate(path.join(root, 'templates'), 'assistant');
    await json(await api.call('POST', '/v1/sessions', appKey, { template: 'assistant', user_id: USER, chat_id: 'api-1' }), 'opening a session');
    const turns = await measureTurns(
      plan,
      async (n) => {
        await json(await api.call('POST', '/v1/chats/api-1/messages', appKey, { content: `Turn ${n}: hello` }), 'an API turn');
      },
      async (n) => {
        await chats.sendMessage({ appId: APP, chatId: 'update-1', userId: USER, template, content: `Turn ${n}: hello` });
      },
    );

    reportStream({ quick: plan.quick, tokenLatencyMs: TOKEN_LATENCY_MS, rounds: plan.rounds, delays, turns, workflowStreamsVersion: wfsPackage.version });
  } finally {
    await teardown.run();
  }
}

runBenchMain(main);
