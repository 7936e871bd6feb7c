/** What pack tests share: the packs on disk, a run started the way the API starts it, and reading
 * a run's progress stream. */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { PackClient } from '../../src/client/pack-client';
import type { PackDefinition, PackDefinitionInput } from '../../src/domain/packs';
import { packIds, packSchema } from '../../src/domain/packs';
import { ChatEvents, type StoredChatEvent } from '../../src/stores/chat-events';
import { loadPacks } from '../../src/stores/packs';
import type { ChatKit } from './chat-kit';

export const PACKS_DIR = path.resolve(__dirname, '../../packs');

export function diskPacks(): Map<string, PackDefinition> {
  return loadPacks(PACKS_DIR, new Set(['assistant', 'researcher']));
}

/** A pack written inline by a test (schema defaults filled in; graph checks are the caller's). */
export function inlinePack(pack: PackDefinitionInput): PackDefinition {
  return packSchema.parse(pack);
}

export function startRun(
  kit: ChatKit,
  temporal: Client,
  run: { appId: string; runId: string; pack: PackDefinition; input?: Record<string, string>; budgetUsd?: number; appConcurrency?: number },
) {
  return new PackClient(temporal, { taskQueue: kit.taskQueue }).start({
    appId: run.appId,
    runId: run.runId,
    userId: 'u1',
    pack: run.pack,
    template: (name) => kit.template(name),
    input: run.input ?? {},
    ...(run.budgetUsd !== undefined ? { budgetUsd: run.budgetUsd } : {}),
    appConcurrency: run.appConcurrency ?? 50,
    actor: { actor_id: 'app:test', roles: ['app'], app_id: run.appId },
  });
}

export async function runEvents(kit: ChatKit, appId: string, runId: string): Promise<StoredChatEvent[]> {
  return new ChatEvents(kit.redis).read({ appId, chatId: packIds.runStream(runId) }, { count: 1000 });
}
