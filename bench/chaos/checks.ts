/**
 * The invariants checked after each fault, against what MongoDB, Redis and the clients hold:
 * - every turn a client sent completed exactly once: one user message, one completed assistant
 *   reply, one usage event and one `llm_interaction` audit entry per model call, and the client saw
 *   it complete (lost: any of these missing; duplicated: any of them twice);
 * - the pack run completed, each step's output stored once and its model call charged once;
 * - Redis counters moved by exactly what was sent: `turns` by the turns sent (chat turns and pack
 *   steps), `llm_calls`, tokens and cost by the usage events stored (more is a duplicate, less a loss);
 * - every app's audit chain verifies;
 * - each streaming client received every event of its chat's Redis Stream once, in order.
 */
import type { Db, Document } from 'mongodb';
import { AppCounters, type CounterTotals } from '../../src/stores/app-counters';
import { AuditRepository } from '../../src/stores/audit-repository';
import { ChatEvents } from '../../src/stores/chat-events';
import type { ChaosStack } from './stack';
import type { PackRecord, StreamRecord, TurnRecord } from './load';

export interface CheckResult {
  turns: number;
  lost: number;
  duplicated: number;
  problems: string[];
}

const COUNTER_WINDOW_MS = 2 * 60 * 60 * 1000;

/** Counter totals of every app over the last two hours (a scenario's delta is after − before). */
export async function readCounters(stack: ChaosStack, appIds: string[]): Promise<Map<string, CounterTotals>> {
  const counters = new AppCounters(stack.redisClient);
  const now = Date.now();
  const range = { from: new Date(now - COUNTER_WINDOW_MS), to: new Date(now + 60_000) };
  return new Map(await Promise.all(appIds.map(async (appId) => [appId, await counters.read(appId, range)] as const)));
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

export async function checkScenario(
  stack: ChaosStack,
  run: { turns: TurnRecord[]; pack: PackRecord; streams: StreamRecord[] },
  countersBefore: Map<string, CounterTotals>,
): Promise<CheckResult> {
  const result: CheckResult = { turns: run.turns.length, lost: 0, duplicated: 0, problems: [] };
  const lose = (problem: string) => {
    result.lost++;
    result.problems.push(`lost: ${problem}`);
  };
  const duplicate = (problem: string) => {
    result.duplicated++;
    result.problems.push(`duplicated: ${problem}`);
  };
  const appIds = [...countersBefore.keys()];
  const db = await stack.mongo.dbFor('_system');
  const countersAfter = await readCounters(stack, appIds);

  for (const appId of appIds) {
    const turns = run.turns.filter((turn) => turn.appId === appId);
    const pack = run.pack.appId === appId ? run.pack : undefined;
    const chatIds = [...new Set(turns.map((turn) => turn.chatId))];
    const packChats = pack ? { $regex: `^pack:${pack.runId}:` } : undefined;
    const chatFilter = packChats ? { $or: [{ chat_id: { $in: chatIds } }, { chat_id: packChats }] } : { chat_id: { $in: chatIds } };
    const [messages, usage, audit] = await Promise.all([
      find(db, 'chat_messages', { app_id: appId, chat_id: { $in: chatIds } }),
      find(db, 'usage_events', { app_id: appId, ...chatFilter }),
      find(db, 'audit_events', {
        app_id: appId,
        action: 'llm_interaction',
        ...(packChats ? { $or: [{ 'details.chat_id': { $in: chatIds } }, { 'details.chat_id': packChats }] } : { 'details.chat_id': { $in: chatIds } }),
      }),
    ]);
    const users = countBy(messages.filter((m) => m.role === 'user'), (m) => `${m.chat_id}/${m.turn_id}`);
    const replies = countBy(messages.filter((m) => m.role === 'assistant' && m.status === 'complete'), (m) => `${m.chat_id}/${m.turn_id}`);
    const usageByTurn = countBy(usage, (u) => `${u.chat_id}/${u.turn_id}`);
    const usageByCall = countBy(usage, (u) => `${u.chat_id}/${u.turn_id}/${u.step}`);
    const auditByTurn = countBy(audit, (a) => `${(a.details as Document).chat_id}/${(a.details as Document).turn_id}`);
    const auditByCall = countBy(audit, (a) => String((a.resource as Document).id));

    for (const turn of turns) {
      const key = `${turn.chatId}/${turn.messageId}`;
      const missing = [
        turn.outcome !== 'completed' && `the client saw it ${turn.outcome}${turn.detail ? ` (${turn.detail})` : ''}`,
        !users.get(key) && 'no user message',
        !replies.get(key) && 'no completed reply',
        !usageByTurn.get(key) && 'no usage event',
        !auditByTurn.get(key) && 'no audit entry',
      ].filter(Boolean);
      if (missing.length > 0) lose(`${key}: ${missing.join(', ')}`);
      const twice = [
        (users.get(key) ?? 0) > 1 && `${users.get(key)} user messages`,
        (replies.get(key) ?? 0) > 1 && `${replies.get(key)} replies`,
        (auditByTurn.get(key) ?? 0) > (usageByTurn.get(key) ?? 0) && 'more audit entries than model calls',
      ].filter(Boolean);
      if (twice.length > 0) duplicate(`${key}: ${twice.join(', ')}`);
    }
    for (const [call, count] of usageByCall) if (count > 1) duplicate(`${call}: ${count} usage events for one model call`);
    for (const [call, count] of auditByCall) if (count > 1) duplicate(`${call}: ${count} audit entries for one model call`);

    let packSteps = 0;
    if (pack) {
      if (pack.status !== 'completed') lose(`pack run ${pack.runId} ended ${pack.status}${pack.detail ? ` (${pack.detail})` : ''}`);
      const outputs = countBy(await find(db, 'pack_step_outputs', { app_id: appId, run_id: pack.runId }), (o) => String(o.step_id));
      const stepUsage = countBy(usage.filter((u) => String(u.chat_id).startsWith(`pack:${pack.runId}:`)), (u) => String(u.chat_id).split(':')[2] ?? '');
      for (const step of pack.steps) {
        packSteps++;
        if (!outputs.get(step) || !stepUsage.get(step)) lose(`pack ${pack.runId} step ${step}: ${!outputs.get(step) ? 'no output' : 'no usage event'}`);
        if ((outputs.get(step) ?? 0) > 1) duplicate(`pack ${pack.runId} step ${step}: ${outputs.get(step)} outputs`);
        // One model call per step (no tools are called): a second is a charge made twice.
        if ((stepUsage.get(step) ?? 0) > 1) duplicate(`pack ${pack.runId} step ${step}: ${stepUsage.get(step)} usage events`);
      }
    }

    const before = countersBefore.get(appId);
    const after = countersAfter.get(appId);
    if (before && after) {
      const expected = {
        turns: turns.length + packSteps,
        llm_calls: usage.length,
        input_tokens: sum(usage, 'input_tokens'),
        output_tokens: sum(usage, 'output_tokens'),
        cost_nanos: sum(usage, 'cost_nanos'),
      };
      for (const [field, want] of Object.entries(expected) as [keyof typeof expected, number][]) {
        const got = after[field] - before[field];
        if (got > want) duplicate(`${appId} Redis counter ${field} moved ${got}, sent ${want}`);
        if (got < want) lose(`${appId} Redis counter ${field} moved ${got}, sent ${want}`);
      }
    }

    const chain = await new AuditRepository(stack.mongo).verifyAppAuditChain(appId);
    if (!chain.valid) result.problems.push(`audit chain of ${appId} broken: ${JSON.stringify(chain)}`);
  }

  const events = new ChatEvents(stack.redisClient);
  for (const stream of run.streams) {
    if (stream.duplicates > 0) duplicate(`stream of ${stream.chatId}: ${stream.duplicates} events received twice`);
    if (stream.disorder > 0) result.problems.push(`stream of ${stream.chatId}: ${stream.disorder} events out of order`);
    const stored = (await events.read({ appId: stream.appId, chatId: stream.chatId }, { count: 100_000 })).map((event) => event.id);
    const received = new Set(stream.ids);
    const missed = stored.filter((id) => !received.has(id));
    if (missed.length > 0) lose(`stream of ${stream.chatId}: ${missed.length} of ${stored.length} events never received`);
    const unknown = stream.ids.filter((id) => !stored.includes(id));
    if (unknown.length > 0) result.problems.push(`stream of ${stream.chatId}: ${unknown.length} received events are not in the stream`);
  }
  return result;
}

async function find(db: Db, collection: string, filter: Document): Promise<Document[]> {
  return db.collection(collection).find(filter, { projection: { _id: 0 } }).toArray();
}

function sum(docs: Document[], field: string): number {
  return docs.reduce((total, doc) => total + Number(doc[field] ?? 0), 0);
}
