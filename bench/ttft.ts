/**
 * bench/ttft — what a chat user waits for: from the client's `POST /v1/chats/:id/messages?wait=false`
 * to the first `message.delta` at an SSE client already connected to the chat's events, and to
 * `turn.completed`, through Tessera as deployed (the API process and a worker process on the
 * embedded services), against two baselines in the same run:
 *
 *   (a) direct: a Fastify server in a process of its own that streams the same model call straight
 *       to its SSE clients (no Temporal, no stores);
 *   (b) non-durable: the same kind of server doing a Tessera turn's store writes (admission, user
 *       and assistant messages, usage event, counters, the Redis stream events) with the worker's
 *       own activity code, but without Temporal;
 *   (c) Temporal's floor: a bare workflow on the same dev server, its Update-with-Start's time
 *       until the one activity it schedules runs (`ttft-floor.ts`), measured after the three paths
 *       (so the dev server's own figures above are Tessera's alone). (b) + (c) is the least a
 *       durable turn with (b)'s writes can take to its first token here.
 *
 *   npm run bench:ttft [-- --quick] [--dc KEY=JSON_VALUE]... [--worker-tuning JSON] [--label NAME]
 *
 * `--dc` adds a dev server dynamic config value and `--worker-tuning` worker options over the chat
 * worker's own (issue 21: each lever measured alone, against the baselines of the same run). After
 * the turns it prints where Tessera's first-token time went, hop by hop (`ttft-breakdown.ts`), and
 * the dev server's own latency per operation over the measured turns.
 *
 * The offline model runs in this process, paced per token as in `bench:stream`. The three paths
 * take turns one at a time, in rotating order, so each meets the machine alone and all meet it at
 * the same moments. The load average is printed before and after (a shared machine shows there).
 * A missed target prints MISSED; only a crash exits non-zero.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { freePort } from '../src/dev/child-service';
import { preciseNow, startOfflineModel } from '../src/dev/offline-model';
import { TASK_QUEUES, workflowIds } from '../src/workflows/contract';
import type { ChatWorkerTuning } from '../src/workers/tuning';
import { loadWorkflowBundle } from '../src/workers/workflow-bundle';
import { startWorkerProcesses } from '../src/workers/worker-processes';
import { apiClient, json } from './support/api-client';
import { printTable } from './report';
import { runBenchMain, startBenchRun } from './support/bench-run';
import { connectBenchTemporal, startBenchStack } from './support/bench-stack';
import { installQuietRuntime } from './support/runtime-log';
import { API_LISTENING, startApiProcess, startChild } from './support/stream-processes';
import { openSseReader, type ChatReader, type TurnSamples } from './support/stream-readers';
import type { TtftBaselineSettings } from './support/ttft-baseline';
import { baselineStages, latencyHistograms, meanLatencies, meanServerLatencies, serverLatencies, summarizeStages, tesseraStages, type Stages, type TurnStamps } from './support/ttft-breakdown';
import { startTemporalFloor, type FloorSample } from './support/ttft-floor';
import { reportTtft, type TtftPath, type TtftSamples } from './support/ttft-report';

const root = path.resolve(__dirname, '..');
const TOKEN_LATENCY_MS = 20;
const TURN_DEADLINE_MS = 30_000;
const APP = 'bench';
const NONDURABLE_APP = 'bench-nondurable';
const USER = 'bench-user';
const TEMPLATE = 'assistant';
const DB = 'tessera_bench_ttft';
const REDIS_PREFIX = 'bench-ttft:';

const FULL = { quick: false, warmup: 5, turns: 100 };
const QUICK = { quick: true, warmup: 2, turns: 15 };

/** Something to say in round `n`: different each time, the same on every path. */
const prompt = (n: number) => `Round ${n}: how long until the first word of the answer shows?`;

/** One path as its client sees it: where to POST a chat's messages, and its live events. */
interface ClientPath {
  post(content: string): Promise<Response>;
  events: ChatReader;
}

async function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${TURN_DEADLINE_MS / 1000} s`)), TURN_DEADLINE_MS);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** When the latest model request arrived (the offline model runs in this process; paths take turns one at a time). */
const modelProbe: { lastRequestAt?: number } = {};

/** One turn: POST, then wait for its end at the SSE client; times from the POST's start. */
async function timeTurn(client: ClientPath, content: string, samples: TtftSamples | undefined): Promise<TurnStamps | undefined> {
  delete modelProbe.lastRequestAt;
  const sentAt = preciseNow();
  const response = await client.post(content);
  const acceptedAt = preciseNow();
  const { turn_id: turnId } = await json<{ turn_id: string }>(response, 'a turn');
  const turn: TurnSamples = await withDeadline(client.events.take(turnId), `turn ${turnId}`);
  if (!samples) return undefined;
  if (turn.endedBy !== 'turn.completed' || turn.firstDeltaAt === undefined || turn.endedAt === undefined) {
    samples.failed++;
    return undefined;
  }
  samples.accepted.push(acceptedAt - sentAt);
  samples.firstToken.push(turn.firstDeltaAt - sentAt);
  samples.completed.push(turn.endedAt - sentAt);
  const modelAt = modelProbe.lastRequestAt;
  return { turnId, sentAt, acceptedAt, firstDeltaAt: turn.firstDeltaAt, ...(modelAt !== undefined ? { modelAt } : {}) };
}

/** Every value of a repeatable flag (`--dc a=1 --dc b=2`). */
function flagValues(name: string): string[] {
  const values: string[] = [];
  process.argv.forEach((arg, index) => {
    const value = process.argv[index + 1];
    if (arg === name && value !== undefined) values.push(value);
  });
  return values;
}

async function main(): Promise<void> {
  const plan = process.argv.includes('--quick') ? QUICK : FULL;
  const dynamicConfig = flagValues('--dc');
  const tuningFlag = flagValues('--worker-tuning')[0];
  const tuning = tuningFlag ? (JSON.parse(tuningFlag) as ChatWorkerTuning) : undefined;
  const label = flagValues('--label')[0] ?? 'default';
  process.stderr.write(`lever: ${label}; dynamic config: ${dynamicConfig.join(' ') || '(the stack\'s own)'}; worker tuning: ${tuningFlag ?? '(the worker\'s own)'}\n`);
  const config = loadConfig();
  const { teardown, scratch, loadBefore } = startBenchRun('ttft');
  try {
    installQuietRuntime();
    process.stderr.write(`starting Temporal dev server, FerretDB, Redis and the offline model (scratch: ${scratch})...\n`);
    const stack = await startBenchStack({ toolsDir: config.toolsDir, scratchDir: scratch, teardown, temporalDynamicConfig: dynamicConfig });
    const model = await startOfflineModel({ port: 0, tokenLatencyMs: TOKEN_LATENCY_MS });
    teardown.add('paced offline model', () => model.close());
    // Each completion request counts in here as it arrives: note when.
    const enter = model.load.enter.bind(model.load);
    model.load.enter = (prompt?: string) => {
      modelProbe.lastRequestAt = preciseNow();
      return enter(prompt);
    };

    process.stderr.write('bundling workflows, starting the worker, API and baseline processes...\n');
    const workerMetricsPort = await freePort();
    const workerMetricsUrl = `http://127.0.0.1:${workerMetricsPort}/metrics`;
    const bundle = await loadWorkflowBundle(path.join(config.dataDir, 'cache'));
    const stores = { mongoUri: stack.mongoUri, mongoDb: DB, redisUrl: stack.redisUrl };
    const secrets = { adminKey: `tsa_${randomBytes(18).toString('base64url')}`, jwtSecret: randomBytes(32).toString('base64url'), keyPepper: randomBytes(32).toString('base64url') };
    const baseline = (settings: TtftBaselineSettings) =>
      startChild(`${settings.mode} baseline`, path.join(__dirname, 'support', 'ttft-baseline.ts'), [JSON.stringify(settings)], {}, API_LISTENING, teardown).then((match) => match[1] as string);
    const common = { llmBaseUrl: model.url, templatesDir: path.join(root, 'templates'), template: TEMPLATE };
    const [workers, apiUrl, directUrl, nondurableUrl] = await Promise.all([
      startWorkerProcesses(1, {
        ...stores,
        temporalAddress: stack.temporalAddress,
        namespace: 'default',
        taskQueue: TASK_QUEUES.chat,
        redisKeyPrefix: REDIS_PREFIX,
        llm: { baseUrl: model.url, apiKey: 'offline' },
        httpAllowlist: [],
        workflowBundleFile: bundle.file,
        ...(tuning ? { tuning } : {}),
        runtimeMetricsPort: workerMetricsPort,
      }),
      startApiProcess({ ...stores, temporalAddress: stack.temporalAddress, redisPrefix: REDIS_PREFIX, secrets, dataDir: path.join(scratch, 'api'), port: await freePort() }, teardown),
      baseline({ mode: 'direct', ...common }),
      baseline({ mode: 'nondurable', ...common, ...stores, redisPrefix: REDIS_PREFIX, appId: NONDURABLE_APP, userId: USER }),
    ]);
    teardown.add('worker process', () => workers.stop());

    const api = apiClient(apiUrl);
    const created = await json<{ api_key: string }>(await api.call('POST', '/v1/apps', secrets.adminKey, { app_id: APP, name: 'bench', tier: 'enterprise' }), 'creating the app');
    // (b)'s app exists as Tessera's does (its limits, budget and counters are the same kind of keys).
    await json(await api.call('POST', '/v1/apps', secrets.adminKey, { app_id: NONDURABLE_APP, name: 'bench (b)', tier: 'enterprise' }), 'creating the app of (b)');
    const session = await json<{ chat_id: string; runtime_token: string; sse_url: string }>(
      await api.call('POST', '/v1/sessions', created.api_key, { template: TEMPLATE, user_id: USER, chat_id: 'ttft-1' }),
      'opening a session',
    );
    const postTo = (baseUrl: string, chatId: string, key: string) => (content: string) =>
      apiClient(baseUrl).call('POST', `/v1/chats/${chatId}/messages?wait=false`, key, { content });
    const [tesseraEvents, directEvents, nondurableEvents] = await Promise.all([
      openSseReader(`${session.sse_url}?access_token=${encodeURIComponent(session.runtime_token)}`),
      openSseReader(`${directUrl}/v1/chats/ttft-a/events`),
      openSseReader(`${nondurableUrl}/v1/chats/ttft-b/events`),
    ]);
    teardown.add('stream clients', async () => [tesseraEvents, directEvents, nondurableEvents].forEach((reader) => reader.close()));
    const clients: Record<TtftPath, ClientPath> = {
      tessera: { post: postTo(apiUrl, session.chat_id, created.api_key), events: tesseraEvents },
      direct: { post: postTo(directUrl, 'ttft-a', 'none'), events: directEvents },
      nondurable: { post: postTo(nondurableUrl, 'ttft-b', 'none'), events: nondurableEvents },
    };

    const empty = (): TtftSamples => ({ accepted: [], firstToken: [], completed: [], failed: 0 });
    const samples: Record<TtftPath, TtftSamples> = { tessera: empty(), direct: empty(), nondurable: empty() };
    const order: TtftPath[] = ['tessera', 'direct', 'nondurable'];
    const stamps: Record<TtftPath, TurnStamps[]> = { tessera: [], direct: [], nondurable: [] };
    const temporal = await connectBenchTemporal(stack.temporalAddress, teardown);
    let latenciesBefore = await serverLatencies(stack.temporalMetricsUrl);
    let workerBefore = await latencyHistograms(workerMetricsUrl);
    process.stderr.write(`measuring (${plan.warmup} warm-up rounds, then ${plan.turns} turns per path, model at ${TOKEN_LATENCY_MS} ms/token)...\n`);
    for (let n = 1; n <= plan.warmup + plan.turns; n++) {
      const keep = n > plan.warmup;
      if (n === plan.warmup + 1) [latenciesBefore, workerBefore] = await Promise.all([serverLatencies(stack.temporalMetricsUrl), latencyHistograms(workerMetricsUrl)]);
      // Rotate who goes first, so no path always follows the same one.
      for (let i = 0; i < order.length; i++) {
        const side = order[(n + i) % order.length] as TtftPath;
        const turn = await timeTurn(clients[side], prompt(n), keep ? samples[side] : undefined);
        if (turn) stamps[side].push(turn);
      }
      if (n % 10 === 0 || n === plan.warmup + plan.turns) process.stderr.write(`round ${n}/${plan.warmup + plan.turns}\n`);
    }

    const latencies = meanServerLatencies(await serverLatencies(stack.temporalMetricsUrl), latenciesBefore, plan.turns);
    // The worker's own: time in its slots, its polls' waits (Core's histograms, in ms).
    const workerLatencies = meanLatencies(await latencyHistograms(workerMetricsUrl), workerBefore, plan.turns);
    const breakdown = {
      tessera: summarizeStages(await tesseraStages(temporal.client, workflowIds.chat(APP, session.chat_id), stamps.tessera)),
      direct: summarizeStages(stamps.direct.map(baselineStages).filter((stages): stages is Stages => stages !== undefined)),
      nondurable: summarizeStages(stamps.nondurable.map(baselineStages).filter((stages): stages is Stages => stages !== undefined)),
    };
    for (const side of order) {
      printTable(`${side}: where the first token's time went (p50 / p99 over turns)`, breakdown[side].map((row) => [row.stage, `p50 ${row.p50.toFixed(2)} ms  p99 ${row.p99.toFixed(2)} ms`]));
    }
    printTable(
      'Temporal dev server, per Tessera turn (the baselines call it never): mean latency by operation',
      latencies.slice(0, 14).map((row) => [row.operation, `${row.calls_per_turn} calls × ${row.mean_ms.toFixed(2)} ms`]),
    );
    // (c), after the dev server's figures were read: its calls are not Tessera's.
    process.stderr.write(`measuring Temporal's floor (c): ${plan.warmup} + ${plan.turns} Updates through a bare workflow...\n`);
    const floor = await startTemporalFloor(temporal, teardown);
    const floorSamples: FloorSample[] = [];
    for (let n = 1; n <= plan.warmup + plan.turns; n++) {
      const sample = await floor.sample(prompt(n), n > plan.warmup);
      if (n > plan.warmup) floorSamples.push(sample);
    }
    printTable(
      "(c) Temporal's floor, hop by hop (POST: the client's call; 202: the Update accepted; first delta: the activity's first line)",
      (await floor.stages()).map((row) => [row.stage, `p50 ${row.p50.toFixed(2)} ms  p99 ${row.p99.toFixed(2)} ms`]),
    );
    printTable('chat worker (Temporal Core), per Tessera turn: mean by histogram', workerLatencies.map((row) => [row.metric, `${row.per_turn} × ${row.mean}`]));
    console.log(JSON.stringify({ bench: 'ttft-breakdown', label, dynamic_config: dynamicConfig, worker_tuning: tuning ?? null, breakdown, server_latencies: latencies, worker_latencies: workerLatencies }));

    reportTtft({ quick: plan.quick, tokenLatencyMs: TOKEN_LATENCY_MS, turns: plan.turns, samples, floor: floorSamples, load: { before: loadBefore, after: os.loadavg(), cpus: os.cpus().length } });
  } finally {
    await teardown.run();
  }
}

runBenchMain(main);
