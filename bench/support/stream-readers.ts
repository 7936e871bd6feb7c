/**
 * The clients `bench:stream` times tokens with. Each records, per token, its arrival time minus the
 * send time the offline model stamped into it (same machine, same clock): straight from the model's
 * streaming endpoint, through Tessera over SSE and WebSocket, and through Workflow Streams.
 * All parse as they go, as a real client would.
 */
import type { Client } from '@temporalio/client';
import { createParser } from 'eventsource-parser';
import { WebSocket } from 'ws';
import { preciseNow, readStamps, STAMP_HEADER, STAMP_VALUE } from '../../src/dev/offline-model';
import { disposeWfsClient, type WfsClientModule } from '../workflow-streams/activities';
import { END_OF_STREAM, FINISH_SIGNAL, TOKENS_TOPIC, WFS_TASK_QUEUE, WFS_WORKFLOW } from '../workflow-streams/contract';

function delaysIn(text: string, arrivedAt: number): number[] {
  return readStamps(text).map((sentAt) => arrivedAt - sentAt);
}

/** (a) The model's own streaming endpoint, read directly. */
export async function readModelDirectly(llmBaseUrl: string, prompt: string): Promise<number[]> {
  const delays: number[] = [];
  const response = await fetch(`${llmBaseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer offline', [STAMP_HEADER]: STAMP_VALUE },
    body: JSON.stringify({ model: 'tessera-offline', messages: [{ role: 'user', content: prompt }], stream: true }),
  });
  if (!response.ok || !response.body) throw new Error(`model answered ${response.status}`);
  const parser = createParser({
    onEvent: (message) => {
      const arrivedAt = preciseNow();
      if (message.data === '[DONE]') return;
      const chunk = JSON.parse(message.data) as { choices: { delta: { content?: string | null } }[] };
      delays.push(...delaysIn(chunk.choices[0]?.delta.content ?? '', arrivedAt));
    },
  });
  for await (const text of response.body.pipeThrough(new TextDecoderStream())) parser.feed(text);
  return delays;
}

interface ChatFrame {
  type: string;
  turn_id?: string;
  data: Record<string, unknown>;
}

/** A token's delay split at Redis: the stream entry id is Redis's clock (whole ms) at XADD. */
export interface SplitDelay {
  /** Model → worker → XADD. */
  toRedisMs: number;
  /** XADD → API → client. */
  fromRedisMs: number;
}

export interface TurnSamples {
  delays: number[];
  split: SplitDelay[];
  /** When (`preciseNow`) the turn's first `message.delta` and its end arrived. */
  firstDeltaAt?: number;
  endedAt?: number;
  /** The event that ended the turn (`turn.completed` or `turn.failed`). */
  endedBy?: string;
}

/** Delays per turn from a chat's live events, and a wait for a turn's end. */
class TurnDelays {
  private readonly delays = new Map<string, TurnSamples>();
  private readonly completed = new Set<string>();
  private readonly waiters = new Map<string, () => void>();

  onFrame(frame: ChatFrame & { id?: string | null }, arrivedAt: number): void {
    const turnId = frame.turn_id ?? '';
    if (frame.type === 'message.delta') {
      const samples = this.delays.get(turnId) ?? { delays: [], split: [] };
      samples.firstDeltaAt ??= arrivedAt;
      const text = String(frame.data.delta ?? '');
      samples.delays.push(...delaysIn(text, arrivedAt));
      const addedAt = Number(frame.id?.split('-')[0]);
      if (Number.isFinite(addedAt)) {
        for (const sentAt of readStamps(text)) samples.split.push({ toRedisMs: addedAt - sentAt, fromRedisMs: arrivedAt - addedAt });
      }
      this.delays.set(turnId, samples);
    } else if (frame.type === 'turn.completed' || frame.type === 'turn.failed') {
      const samples = this.delays.get(turnId) ?? { delays: [], split: [] };
      this.delays.set(turnId, { ...samples, endedAt: arrivedAt, endedBy: frame.type });
      this.completed.add(turnId);
      this.waiters.get(turnId)?.();
    }
  }

  async take(turnId: string): Promise<TurnSamples> {
    if (!this.completed.has(turnId)) await new Promise<void>((resolve) => this.waiters.set(turnId, resolve));
    this.waiters.delete(turnId);
    const samples = this.delays.get(turnId) ?? { delays: [], split: [] };
    this.delays.delete(turnId);
    return samples;
  }
}

export interface ChatReader {
  /** Token delays of a turn, once its end arrived. */
  take(turnId: string): Promise<TurnSamples>;
  close(): void;
}

/** Tessera over server-sent events (`fetch` + eventsource-parser, as a browser-like client). */
export async function openSseReader(url: string): Promise<ChatReader> {
  const turns = new TurnDelays();
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
  if (response.status !== 200 || !response.body) throw new Error(`SSE answered ${response.status}`);
  const parser = createParser({ onEvent: (message) => turns.onFrame({ id: message.id, ...(JSON.parse(message.data) as ChatFrame) }, preciseNow()) });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(value);
      }
    } catch {
      // closed by the benchmark
    }
  })();
  return { take: (turnId) => turns.take(turnId), close: () => abort.abort() };
}

/** Tessera over WebSocket. */
export async function openWsReader(url: string): Promise<ChatReader> {
  const turns = new TurnDelays();
  const socket = new WebSocket(url);
  socket.on('message', (data) => turns.onFrame(JSON.parse(String(data)) as ChatFrame & { id: string | null }, preciseNow()));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { take: (turnId) => turns.take(turnId), close: () => socket.close() };
}

/**
 * (b) Workflow Streams: starts the baseline workflow and subscribes to its tokens with polling
 * Updates (no cooldown between polls: the lowest latency it offers; its default waits 100 ms).
 */
export async function readWorkflowStream(client: Client, wfs: WfsClientModule, workflowId: string, prompt: string): Promise<number[]> {
  const handle = await client.workflow.start(WFS_WORKFLOW, { workflowId, taskQueue: WFS_TASK_QUEUE, args: [prompt] });
  const subscriber = wfs.WorkflowStreamClient.create(client, workflowId);
  const delays: number[] = [];
  try {
    for await (const item of subscriber.topic<string>(TOKENS_TOPIC).subscribe(0, { pollCooldown: 0 })) {
      const arrivedAt = preciseNow();
      if (item.data === END_OF_STREAM) break;
      delays.push(...delaysIn(item.data, arrivedAt));
    }
  } finally {
    await disposeWfsClient(subscriber);
  }
  await handle.signal(FINISH_SIGNAL);
  await handle.result();
  return delays;
}
