/**
 * One scenario's load: chats spread over the apps, each a client sending its turns one after
 * another (every other chat streams: it follows SSE and sends with `?wait=false`; the rest wait
 * for the reply on the POST), plus one pack run. Every turn has a client-chosen `message_id`, so a
 * retry joins the turn instead of starting another. What each client saw is recorded for the checks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiPool, GaveUpError, StreamFollower } from './clients';

export interface ChaosApp {
  appId: string;
  key: string;
}

export interface TurnRecord {
  appId: string;
  chatId: string;
  messageId: string;
  streaming: boolean;
  /** When the client first sent it (epoch ms). */
  sentAt?: number;
  /** When the client saw the turn end (epoch ms). */
  endedAt?: number;
  outcome: 'completed' | 'failed' | 'gave_up';
  detail?: string;
}

export interface PackRecord {
  appId: string;
  runId: string;
  status: string;
  steps: string[];
  detail?: string;
}

export interface StreamRecord {
  appId: string;
  chatId: string;
  /** Ids in the order the client received them. */
  ids: string[];
  duplicates: number;
  disorder: number;
  resumes: number;
}

export interface LoadPlan {
  label: string;
  apps: ChaosApp[];
  turns: number;
  turnsPerChat: number;
  /** A user's pause between a reply and the next message: keeps turns in flight long enough for a
   * fault that takes seconds to land (a graceful stop) to meet them. */
  thinkMs: number;
  deadline: number;
}

export interface RunningLoad {
  turns: TurnRecord[];
  /** Turns that have ended so far, with when (for the fault triggers and recovery times). */
  ended(): number;
  /** True once every client is done (or gave up). */
  finished(): boolean;
  done: Promise<{ turns: TurnRecord[]; pack: PackRecord; streams: StreamRecord[] }>;
}

const PACK_POLL_MS = 500;

export function startLoad(pool: ApiPool, plan: LoadPlan): RunningLoad {
  const turns: TurnRecord[] = [];
  const chats = Math.ceil(plan.turns / plan.turnsPerChat);
  const streams: StreamRecord[] = [];
  const clients = Array.from({ length: chats }, (_, index) => {
    const app = plan.apps[index % plan.apps.length] as ChaosApp;
    const count = Math.min(plan.turnsPerChat, plan.turns - index * plan.turnsPerChat);
    // Streaming and waiting clients on both replicas alike.
    return runChat(pool, { app, chatId: `${plan.label}-c${index}`, turns: count, streaming: index % 2 === 1, first: Math.floor(index / 2) % 2, thinkMs: plan.thinkMs }, turns, streams);
  });
  const packApp = plan.apps[0] as ChaosApp;
  const pack = runPack(pool, packApp, `${plan.label}-pack`);
  let finished = false;
  return {
    turns,
    ended: () => turns.filter((turn) => turn.endedAt !== undefined).length,
    finished: () => finished,
    done: (async () => {
      await Promise.all(clients);
      const result = { turns, pack: await pack, streams };
      finished = true;
      return result;
    })(),
  };
}

async function runChat(
  pool: ApiPool,
  chat: { app: ChaosApp; chatId: string; turns: number; streaming: boolean; first: number; thinkMs: number },
  turns: TurnRecord[],
  streams: StreamRecord[],
): Promise<void> {
  const { app, chatId } = chat;
  const records = Array.from({ length: chat.turns }, (_, index): TurnRecord => ({
    appId: app.appId,
    chatId,
    messageId: `${chatId}-m${index}`,
    streaming: chat.streaming,
    outcome: 'gave_up',
  }));
  turns.push(...records);
  let follower: StreamFollower | undefined;
  try {
    const session = await pool.call('POST', '/v1/sessions', app.key, { template: 'assistant', user_id: `user-${chatId}`, chat_id: chatId }, chat.first);
    if (session.status !== 200) throw new Error(`session: ${session.status} ${JSON.stringify(session.body)}`);
    if (chat.streaming) follower = new StreamFollower(pool, chatId, app.key, chat.first);
    for (const [index, record] of records.entries()) {
      if (index > 0) await sleep(chat.thinkMs * (0.5 + Math.random()));
      const content = `Chaos ${chatId} turn ${index}: tell me one thing about resilient systems.`;
      record.sentAt = Date.now();
      const path = `/v1/chats/${encodeURIComponent(chatId)}/messages${follower ? '?wait=false' : ''}`;
      const answer = await pool.call('POST', path, app.key, { content, message_id: record.messageId }, chat.first + index);
      if (answer.status === 200 && !follower) {
        finish(record, 'completed');
      } else if ((answer.status === 202 || answer.status === 200) && follower) {
        // The deadline's timer is cancelled once the turn ends, so it holds no process open.
        const stopWaiting = new AbortController();
        const end = await Promise.race([
          follower.turnEnd(record.messageId),
          sleep(Math.max(0, pool.deadline - Date.now()), 'gave_up' as const, { signal: stopWaiting.signal }),
        ]).finally(() => stopWaiting.abort());
        finish(record, end === 'turn.completed' ? 'completed' : end === 'turn.failed' ? 'failed' : 'gave_up');
      } else {
        finish(record, 'failed', `${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
      }
    }
  } catch (error) {
    // Turns not sent or not answered stay "gave_up": the checks count them as lost.
    const pending = records.find((record) => record.endedAt === undefined);
    if (pending) pending.detail = error instanceof GaveUpError || error instanceof Error ? error.message : String(error);
  } finally {
    if (follower) {
      await follower.close();
      streams.push({ appId: app.appId, chatId, ids: follower.frames.map((frame) => frame.id), duplicates: follower.duplicates, disorder: follower.disorder, resumes: follower.resumes });
    }
  }
}

function finish(record: TurnRecord, outcome: TurnRecord['outcome'], detail?: string): void {
  record.outcome = outcome;
  record.endedAt = Date.now();
  if (detail) record.detail = detail;
}

/** Starts the `brief` pack (retried with its run id: a 409 on a retry means the first try got in)
 * and polls it until it ends. */
async function runPack(pool: ApiPool, app: ChaosApp, runId: string): Promise<PackRecord> {
  const record: PackRecord = { appId: app.appId, runId, status: 'not started', steps: [] };
  try {
    const started = await pool.call('POST', '/v1/packs/brief/runs', app.key, { user_id: `user-${runId}`, input: { topic: 'fault tolerance' }, run_id: runId });
    if (started.status !== 201 && !(started.status === 409 && started.attempts > 1)) {
      record.detail = `start: ${started.status} ${JSON.stringify(started.body).slice(0, 300)}`;
      return record;
    }
    for (let poll = 0; Date.now() < pool.deadline; poll++) {
      const view = await pool.call('GET', `/v1/pack-runs/${runId}`, app.key, undefined, poll);
      if (view.status === 200) {
        record.status = String(view.body.status);
        record.steps = Object.keys((view.body.steps as Record<string, unknown> | undefined) ?? {});
        if (record.status !== 'running') return record;
      }
      await sleep(PACK_POLL_MS);
    }
    record.detail = 'still running at the deadline';
  } catch (error) {
    record.detail = error instanceof Error ? error.message : String(error);
  }
  return record;
}
