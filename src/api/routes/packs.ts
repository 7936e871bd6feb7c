/**
 * Packs over HTTP: list them (and whether the app may run each), enable or disable one for an app
 * (admin), start a run, read its status and each step's, cancel it, follow its progress (SSE, the
 * chat streams' machinery over the run's Redis Stream), and set the app's signed webhook (admin).
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { PackClient } from '../../client/pack-client';
import { errorResponses } from '../../domain/api/errors';
import {
  appPackParams,
  cancelRunView,
  packEnabledBody,
  packEnabledView,
  packListView,
  packParams,
  runListQuery,
  runListView,
  runParams,
  runReadQuery,
  runView,
  startedRunView,
  startRunBody,
  webhookBody,
  webhookView,
} from '../../domain/api/packs';
import { appIdParams } from '../../domain/api/apps';
import { finalSteps, packIds, type PackDefinition, type PackRunStatus } from '../../domain/packs';
import { nanosToUsd } from '../../domain/pricing';
import { packEnabled, PackStore, type PackRunDoc } from '../../stores/pack-store';
import { decodeListCursor, encodeListCursor } from '../../domain/api/list-cursor';
import { listPackRuns } from '../../stores/pack-run-list';
import type { Caller } from '../auth/caller';
import { callerOf, guard, refuse } from '../auth/guard';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';
import { assertWebhookHostResolves } from '../webhook-target';
import { sseHeaders, sseQuery } from '../streams/schema';
import { acquireStreamSlot, streamQuota } from '../streams/quota';
import { DEFAULT_STREAM_SETTINGS, type StreamSettings } from '../streams/settings';
import { assertStreamCapacity, respondWithSse } from '../streams/sse-response';
import { StreamRegistry } from '../streams/registry';

const tags = ['packs'];

export function packRoutes(scope: FastifyInstance, runtime: ApiRuntime, overrides: Partial<StreamSettings> = {}): void {
  const settings: StreamSettings = { ...DEFAULT_STREAM_SETTINGS, ...overrides };
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const appKey = guard(runtime, ['app']);
  const admin = guard(runtime, ['admin']);
  const streams = new StreamRegistry(settings.maxStreams);
  const store = (appId: string) => new PackStore(runtime.mongo, appId);
  app.addHook('preClose', async () => streams.shutdownAll());

  app.get('/v1/packs', {
    onRequest: appKey,
    schema: { tags, summary: 'Packs, and whether each is enabled for the app', response: { 200: packListView, ...errorResponses(401, 403) } },
  }, async (request) => {
    const settings = await store(appOf(request)).getSettings();
    return {
      packs: [...runtime.packs.values()].map((pack) => ({
        name: pack.name,
        ...(pack.description ? { description: pack.description } : {}),
        inputs: pack.inputs,
        steps: pack.steps.length,
        max_parallel: pack.max_parallel,
        on_failure: pack.on_failure,
        ...(pack.budget_usd !== undefined ? { budget_usd: pack.budget_usd } : {}),
        enabled: packEnabled(settings, pack.name),
      })),
    };
  });

  app.put('/v1/apps/:app_id/packs/:pack', {
    onRequest: admin,
    schema: {
      tags,
      summary: 'Enable or disable a pack for an app',
      params: appPackParams,
      body: packEnabledBody,
      response: { 200: packEnabledView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { app_id: appId, pack } = request.params;
    knownPack(runtime, pack);
    if (!(await runtime.apps.get(appId))) throw new HttpError(404, 'not_found', `app '${appId}' not found`);
    await store(appId).setPackEnabled(pack, request.body.enabled, runtime.now());
    await auditChange(runtime, callerOf(request).actor, appId, { type: 'pack', id: pack }, { enabled: request.body.enabled });
    return { app_id: appId, pack, enabled: request.body.enabled };
  });

  app.put('/v1/apps/:app_id/webhook', {
    onRequest: admin,
    schema: {
      tags,
      summary: 'Set the URL and secret of the app\'s signed run webhooks',
      description: 'The URL\'s host must resolve now (400 `webhook_host_unresolved`); a URL that is not an absolute http(s) URL with a DNS name or IP address is 400 `invalid_request`, NUL in the URL or secret 400 `invalid_text`.',
      params: appIdParams,
      body: webhookBody,
      response: { 200: webhookView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const appId = request.params.app_id;
    if (!(await runtime.apps.get(appId))) throw new HttpError(404, 'not_found', `app '${appId}' not found`);
    const { url, secret, allow_private_addresses: allowPrivate } = request.body;
    await assertWebhookHostResolves(url);
    await store(appId).setWebhook({ url, secret, allow_private_addresses: allowPrivate, updated_at: runtime.now() }, runtime.now());
    await auditChange(runtime, callerOf(request).actor, appId, { type: 'webhook', id: appId }, { url, allow_private_addresses: allowPrivate });
    return { app_id: appId, url, allow_private_addresses: allowPrivate };
  });

  app.post('/v1/packs/:pack/runs', {
    onRequest: appKey,
    schema: {
      tags,
      summary: 'Start a run of a pack',
      params: packParams,
      body: startRunBody,
      response: { 201: startedRunView, ...errorResponses(400, 401, 403, 404, 409, 503) },
    },
  }, async (request, reply) => {
    const caller = callerOf(request);
    if (caller.kind !== 'app') throw new Error('app key route');
    const pack = knownPack(runtime, request.params.pack);
    if (caller.app.paused) throw new HttpError(503, 'app_paused', `app '${caller.appId}' is paused; new runs are refused`, undefined, { 'retry-after': '30' });
    if (!packEnabled(await store(caller.appId).getSettings(), pack.name)) {
      throw new HttpError(403, 'pack_disabled', `pack '${pack.name}' is disabled for app '${caller.appId}'`);
    }
    const { input } = request.body;
    const missing = pack.inputs.filter((key) => input[key] === undefined);
    const unknown = Object.keys(input).filter((key) => !pack.inputs.includes(key));
    if (missing.length > 0 || unknown.length > 0) {
      throw new HttpError(400, 'bad_input', `pack '${pack.name}' takes input ${pack.inputs.join(', ') || '(none)'}`, { missing, unknown });
    }
    const runId = request.body.run_id ?? `run_${randomUUID().replace(/-/g, '')}`;
    const run = {
      appId: caller.appId,
      runId,
      userId: request.body.user_id,
      pack,
      template: (name: string) => runtime.template(name),
      input,
      ...(request.body.budget_usd !== undefined ? { budgetUsd: request.body.budget_usd } : {}),
      appConcurrency: caller.app.limits.max_concurrent_turns,
      actor: caller.actor,
    };
    const { budgetNanos } = PackClient.buildInput(run);
    await store(caller.appId).createRun(
      {
        runId,
        pack: pack.name,
        userId: run.userId,
        stepIds: pack.steps.map((step) => step.id),
        finalSteps: finalSteps(pack.steps),
        ...(budgetNanos !== undefined ? { budgetNanos } : {}),
      },
      runtime.now(),
    );
    try {
      await runtime.packRuns.start(run);
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw new HttpError(409, 'run_exists', `run '${runId}' already exists`);
      throw error;
    }
    const statusUrl = `${baseUrl(runtime)}/v1/pack-runs/${runId}`;
    return reply.status(201).send({ run_id: runId, status_url: statusUrl, events_url: `${statusUrl}/events` });
  });

  app.get('/v1/pack-runs', {
    onRequest: guard(runtime, ['app', 'admin']),
    schema: {
      tags,
      summary: "An app's pack runs, newest first, filtered, in cursor pages",
      description: 'An app key lists its own runs; the admin names the app (`app_id`).',
      querystring: runListQuery,
      response: { 200: runListView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const q = request.query;
    const { appId } = await runApp(runtime, request, q.app_id);
    let after;
    if (q.cursor !== undefined) {
      after = decodeListCursor(q.cursor);
      if (!after) throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API issued (pass a page `next_cursor` as it is)');
    }
    const runs = await listPackRuns(store(appId), {
      limit: q.limit,
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.pack !== undefined ? { pack: q.pack } : {}),
      ...(after ? { after } : {}),
    });
    const last = runs.at(-1);
    return {
      app_id: appId,
      runs: runs.map((run) => ({
        run_id: run.run_id,
        pack: run.pack,
        user_id: run.user_id,
        status: run.status,
        cost_usd: nanosToUsd(run.totals.cost_nanos),
        ...(run.budget_nanos !== undefined ? { budget_usd: nanosToUsd(run.budget_nanos) } : {}),
        created_at: run.created_at.toISOString(),
        updated_at: run.updated_at.toISOString(),
        ...(run.ended_at ? { ended_at: run.ended_at.toISOString() } : {}),
      })),
      next_cursor: runs.length === q.limit && last ? encodeListCursor({ at: last.created_at, id: last.run_id }) : null,
    };
  });

  app.get('/v1/pack-runs/:run_id', {
    onRequest: guard(runtime, ['app', 'admin']),
    schema: {
      tags,
      summary: 'A run\'s status, each step\'s, and its cost',
      description: 'The admin reads any app\'s run by naming the app (`app_id`).',
      params: runParams,
      querystring: runReadQuery,
      response: { 200: runView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { appId } = await runApp(runtime, request, request.query.app_id);
    const doc = await foundRun(runtime, appId, request.params.run_id);
    const graph = graphOf(runtime, doc.pack);
    if (doc.status === 'running') {
      // Live step states come from the workflow; the document is written at start and end.
      const live = await runtime.packRuns.status(appId, doc.run_id).catch(() => undefined);
      if (live) return view(doc, live, undefined, graph);
    }
    const ended = doc.status !== 'running';
    const output = ended ? await store(appId).outputsOf(doc.run_id, doc.final_steps) : undefined;
    return view(doc, { appId, runId: doc.run_id, pack: doc.pack, status: doc.status, steps: doc.steps, totals: doc.totals }, output, graph);
  });

  app.post('/v1/pack-runs/:run_id/cancel', {
    // The console's Cancel button (the session cookie, CSRF-checked); the admin names the app.
    onRequest: guard(runtime, ['app', 'admin'], { consoleWrites: true }),
    schema: {
      tags,
      summary: 'Cancel a run: its running steps are cancelled, no new step starts',
      description: 'The admin cancels any app\'s run by naming the app (`app_id`); audited in that app\'s log.',
      params: runParams,
      querystring: runReadQuery,
      response: { 202: cancelRunView, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    const caller = callerOf(request);
    const { appId } = await runApp(runtime, request, request.query.app_id);
    const doc = await foundRun(runtime, appId, request.params.run_id);
    if (doc.status !== 'running') throw new HttpError(409, 'run_ended', `run '${doc.run_id}' already ended ${doc.status}`);
    await runtime.packRuns.cancel(appId, doc.run_id);
    if (caller.kind === 'admin') await auditChange(runtime, caller.actor, appId, { type: 'pack_run', id: doc.run_id }, { cancelled: true });
    return reply.status(202).send({ run_id: doc.run_id, status: 'cancelling' });
  });

  app.get('/v1/pack-runs/:run_id/events', {
    onRequest: guard(runtime, ['app', 'admin'], { queryToken: true }),
    schema: {
      tags,
      summary: 'Progress of a run (server-sent events); resumes after `Last-Event-ID`',
      description:
        'Events `run.started`, `step.started`, `step.completed`, `step.failed`, `step.cancelled`, `run.completed`, as JSON `{type, turn_id?: <step>, data}`. ' +
        'The admin follows any app\'s run by naming the app (`app_id`).',
      params: runParams,
      querystring: runSseQuery,
      headers: sseHeaders,
      produces: ['text/event-stream'],
      response: errorResponses(400, 401, 403, 404, 429, 503),
    },
  }, async (request, reply) => {
    const { appId, streamCaller } = await runApp(runtime, request, request.query.app_id);
    const doc = await foundRun(runtime, appId, request.params.run_id);
    assertStreamCapacity(streams, settings);
    const slot = await acquireStreamSlot(runtime.redis, streamCaller, streamQuota(settings), () => request.raw.socket.destroyed);
    try {
      await respondWithSse(request, reply, {
        redis: runtime.redis,
        appId,
        streamId: packIds.runStream(doc.run_id),
        after: request.headers['last-event-id'] ?? request.query.after ?? '0-0',
        transcriptUrl: `${baseUrl(runtime)}/v1/pack-runs/${doc.run_id}`,
      }, streams, settings);
    } finally {
      await slot.release();
    }
  });
}

const runSseQuery = sseQuery.extend({ app_id: runReadQuery.shape.app_id });

/**
 * The app whose runs the caller reads: an app key's own (naming another is refused as not found, and
 * audited); the admin's named one, which must exist. `streamCaller` is who a stream slot counts
 * against: the app key, or for the admin the run's app.
 */
async function runApp(
  runtime: ApiRuntime,
  request: Parameters<typeof callerOf>[0],
  named: string | undefined,
): Promise<{ appId: string; streamCaller: Exclude<Caller, { kind: 'admin' }> }> {
  const caller = callerOf(request);
  if (caller.kind === 'admin') {
    if (named === undefined) throw new HttpError(400, 'invalid_request', 'app_id is required with the admin key');
    const app = await runtime.apps.state(named);
    if (!app) throw new HttpError(404, 'not_found', `app '${named}' not found`);
    return { appId: named, streamCaller: { kind: 'app', appId: named, app, actor: caller.actor } };
  }
  if (named !== undefined && named !== caller.appId) await refuse(runtime, request, { type: 'app', id: named }, 'pack runs of another app');
  return { appId: caller.appId, streamCaller: caller };
}

/** The pack's steps as it is defined now, for drawing a run's graph. */
function graphOf(runtime: ApiRuntime, packName: string): z.infer<typeof runView>['graph'] {
  const pack = runtime.packs.get(packName);
  return pack?.steps.map((step) => ({ id: step.id, template: step.template, depends_on: [...step.depends_on] }));
}

/** Read per request: the public URL may be settled after the routes are registered. */
function baseUrl(runtime: ApiRuntime): string {
  return runtime.publicUrl.replace(/\/$/, '');
}

function appOf(request: Parameters<typeof callerOf>[0]): string {
  const caller = callerOf(request);
  if (caller.kind === 'admin') throw new Error('app key route');
  return caller.appId;
}

function knownPack(runtime: ApiRuntime, name: string): PackDefinition {
  const pack = runtime.packs.get(name);
  if (!pack) throw new HttpError(404, 'not_found', `pack '${name}' not found`);
  return pack;
}

/** Another app's run is simply not found. */
async function foundRun(runtime: ApiRuntime, appId: string, runId: string): Promise<PackRunDoc> {
  const doc = await new PackStore(runtime.mongo, appId).getRun(runId);
  if (!doc) throw new HttpError(404, 'not_found', `pack run '${runId}' not found`);
  return doc;
}

function view(doc: PackRunDoc, status: PackRunStatus, output?: Record<string, string>, graph?: z.infer<typeof runView>['graph']): z.infer<typeof runView> {
  return {
    run_id: doc.run_id,
    pack: doc.pack,
    status: status.status,
    steps: Object.fromEntries(
      Object.entries(status.steps).map(([id, step]) => [
        id,
        {
          status: step.status,
          ...(step.usage ? { usage: step.usage, cost_usd: nanosToUsd(step.usage.cost_nanos) } : {}),
          ...(step.outputChars !== undefined ? { output_chars: step.outputChars } : {}),
          ...(step.error ? { error: step.error } : {}),
        },
      ]),
    ),
    totals: status.totals,
    cost_usd: nanosToUsd(status.totals.cost_nanos),
    ...(doc.budget_nanos !== undefined ? { budget_usd: nanosToUsd(doc.budget_nanos) } : {}),
    ...(output ? { output } : {}),
    ...(graph ? { graph } : {}),
  };
}

async function auditChange(
  runtime: ApiRuntime,
  actor: Parameters<ApiRuntime['audit']['appendAuditEvent']>[0]['actor'],
  appId: string,
  resource: { type: string; id: string },
  details: Record<string, string | boolean>,
): Promise<void> {
  await runtime.audit.appendAuditEvent({
    event_id: `audit:update:${resource.type}:${appId}:${randomUUID()}`,
    app_id: appId,
    ts: runtime.now().toISOString(),
    actor,
    action: 'update',
    resource,
    outcome: 'success',
    details,
  });
}
