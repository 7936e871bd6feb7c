/** The figures `bench:stream` prints: a table (targets marked) and one JSON line, ratios included. */
import { percentile, printTable } from '../report';
import type { SplitDelay } from './stream-readers';

export interface StreamResults {
  quick: boolean;
  tokenLatencyMs: number;
  rounds: number;
  /** Token delays (arrival − model send time), ms. */
  delays: { direct: number[]; sse: number[]; ws: number[]; workflowStreams: number[]; sseSplit: SplitDelay[] };
  /** Whole-turn times for `POST /v1/chats/:id/messages` and for the same Update sent directly, ms. */
  turns: { api: number[]; update: number[] };
  workflowStreamsVersion: string;
}

/** DESIGN §8 targets. */
export const TARGETS = { addedP99Ms: 15, vsWorkflowStreams: 5, apiOverhead: 1.2 } as const;

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

function summary(values: number[]) {
  return { n: values.length, p50: round(percentile(values, 50)), p99: round(percentile(values, 99)) };
}

export function reportStream(results: StreamResults): boolean {
  const { delays, turns } = results;
  const direct = summary(delays.direct);
  const paths = { sse: summary(delays.sse), ws: summary(delays.ws), workflow_streams: summary(delays.workflowStreams) };
  const added = (path: { p50: number; p99: number }) => ({ p50: round(path.p50 - direct.p50), p99: round(path.p99 - direct.p99) });
  const addedBy = { sse: added(paths.sse), ws: added(paths.ws), workflow_streams: added(paths.workflow_streams) };
  // Tessera's added p99 can be ~0: floor it at 0.1 ms so the ratio stays finite and conservative.
  const vsWfs = (path: { p99: number }) => round(addedBy.workflow_streams.p99 / Math.max(0.1, path.p99), 1);
  const split = { to_redis: summary(delays.sseSplit.map((s) => s.toRedisMs)), from_redis: summary(delays.sseSplit.map((s) => s.fromRedisMs)) };
  const api = summary(turns.api);
  const update = summary(turns.update);
  const overhead = { p50: round(api.p50 / update.p50), p99: round(api.p99 / update.p99) };

  const checks = {
    sse_added_p99: addedBy.sse.p99 <= TARGETS.addedP99Ms,
    ws_added_p99: addedBy.ws.p99 <= TARGETS.addedP99Ms,
    sse_vs_workflow_streams: vsWfs(addedBy.sse) >= TARGETS.vsWorkflowStreams,
    ws_vs_workflow_streams: vsWfs(addedBy.ws) >= TARGETS.vsWorkflowStreams,
    api_overhead_p50: overhead.p50 <= TARGETS.apiOverhead,
  };
  const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const line = (path: { n: number; p50: number; p99: number }) => `p50 ${ms(path.p50)}  p99 ${ms(path.p99)}  (${path.n} tokens)`;

  printTable(`token → client delay (model paced at ${results.tokenLatencyMs} ms/token, ${results.rounds} turns per path${results.quick ? ', --quick' : ''})`, [
    ['(a) model stream, read directly', line(direct)],
    ['Tessera SSE', line(paths.sse)],
    ['Tessera WebSocket', line(paths.ws)],
    [`(b) Workflow Streams ${results.workflowStreamsVersion}`, line(paths.workflow_streams)],
  ]);
  printTable('added over (a)', [
    ['Tessera SSE', `p50 ${ms(addedBy.sse.p50)}  p99 ${ms(addedBy.sse.p99)}  [target p99 ≤ ${TARGETS.addedP99Ms} ms: ${mark(checks.sse_added_p99)}]`],
    ['Tessera WebSocket', `p50 ${ms(addedBy.ws.p50)}  p99 ${ms(addedBy.ws.p99)}  [target p99 ≤ ${TARGETS.addedP99Ms} ms: ${mark(checks.ws_added_p99)}]`],
    ['Workflow Streams', `p50 ${ms(addedBy.workflow_streams.p50)}  p99 ${ms(addedBy.workflow_streams.p99)}`],
    ['Workflow Streams / SSE, added p99', `${vsWfs(addedBy.sse)}×  [target ≥ ${TARGETS.vsWorkflowStreams}×: ${mark(checks.sse_vs_workflow_streams)}]`],
    ['Workflow Streams / WebSocket, added p99', `${vsWfs(addedBy.ws)}×  [target ≥ ${TARGETS.vsWorkflowStreams}×: ${mark(checks.ws_vs_workflow_streams)}]`],
  ]);
  printTable('where Tessera SSE time goes (split at the XADD, whole-ms Redis clock)', [
    ['model → worker → Redis', `p50 ${ms(split.to_redis.p50)}  p99 ${ms(split.to_redis.p99)}`],
    ['Redis → API → client', `p50 ${ms(split.from_redis.p50)}  p99 ${ms(split.from_redis.p99)}`],
  ]);
  printTable(`whole turn, model at 0 ms/token (${api.n} turns per side, interleaved)`, [
    ['POST /v1/chats/:id/messages', `p50 ${ms(api.p50)}  p99 ${ms(api.p99)}`],
    ['Update-with-Start (ChatClient)', `p50 ${ms(update.p50)}  p99 ${ms(update.p99)}`],
    ['API / direct', `p50 ${overhead.p50}×  p99 ${overhead.p99}×  [target p50 ≤ ${TARGETS.apiOverhead}×: ${mark(checks.api_overhead_p50)}]`],
  ]);
  const ok = Object.values(checks).every(Boolean);
  console.log(
    JSON.stringify({
      bench: 'stream',
      quick: results.quick,
      token_latency_ms: results.tokenLatencyMs,
      delay_ms: { direct, ...paths },
      added_ms: addedBy,
      sse_split_ms: split,
      workflow_streams_vs_tessera_added_p99: { sse: vsWfs(addedBy.sse), ws: vsWfs(addedBy.ws) },
      turn_ms: { api, update },
      api_overhead: overhead,
      workflow_streams_version: results.workflowStreamsVersion,
      targets: TARGETS,
      checks,
      ok,
    }),
  );
  return ok;
}
