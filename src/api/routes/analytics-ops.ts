/** `POST /v1/ops/etl/backfill` and `POST /v1/ops/reprice` (admin): an `etlBackfill` workflow over the range. */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { backfillBody, etlJobView, repriceBody, waitQuery } from '../../domain/api/analytics';
import { errorResponses } from '../../domain/api/errors';
import type { etlBackfill, EtlBackfillInput } from '../../workflows/etl-backfill';
import { SA, TASK_QUEUES, workflowIds } from '../../workflows/contract';
import { callerOf, guard } from '../auth/guard';
import { HttpError } from '../errors';
import { requireAnalytics } from '../analytics-runtime';
import type { ApiRuntime } from '../runtime';

const tags = ['ops'];
/** Hours collected side by side by one backfill. */
export const BACKFILL_CONCURRENCY = 3;
/** `wait=true` waits this long for the job, then answers 202 with its id (a long range, or no
 * analytics worker polling, must not hold the caller's request open without end). */
export const WAIT_FOR_JOB_MS = 20_000;

export function analyticsOpsRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const admin = guard(runtime, ['admin']);
  const responses = { 200: etlJobView, 202: etlJobView, ...errorResponses(400, 401, 403, 409, 503) };

  app.post('/v1/ops/etl/backfill', {
    onRequest: admin,
    schema: { tags, summary: 'Collect a range of hours again (idempotent)', body: backfillBody, querystring: waitQuery, response: responses },
  }, async (request, reply) => {
    const job = await start(runtime, request, { from: request.body.from, to: request.body.to, mode: 'etl', concurrency: BACKFILL_CONCURRENCY });
    return answer(runtime, reply, job, request.query.wait === 'true');
  });

  app.post('/v1/ops/reprice', {
    onRequest: admin,
    schema: {
      tags,
      summary: 'Re-price a past range with the current price table (the billed figure is kept)',
      body: repriceBody,
      querystring: waitQuery,
      response: responses,
    },
  }, async (request, reply) => {
    const job = await start(runtime, request, {
      from: request.body.from,
      to: request.body.to,
      mode: 'reprice',
      concurrency: BACKFILL_CONCURRENCY,
      ...(request.body.price_table_version ? { priceTableVersion: request.body.price_table_version } : {}),
    });
    return answer(runtime, reply, job, request.query.wait === 'true');
  });
}

async function start(runtime: ApiRuntime, request: FastifyRequest, input: EtlBackfillInput): Promise<string> {
  const analytics = requireAnalytics(runtime);
  const workflowId = workflowIds.etlBackfill(randomUUID());
  await runtime.temporal.workflow.start<typeof etlBackfill>('etlBackfill', {
    taskQueue: analytics.taskQueue ?? TASK_QUEUES.analytics,
    workflowId,
    args: [{ ...input, from: new Date(input.from).toISOString(), to: new Date(input.to).toISOString() }],
    typedSearchAttributes: [{ key: SA.kind, value: input.mode === 'reprice' ? 'reprice' : 'etl' }, { key: SA.appId, value: '_system' }],
    memo: { requested_by: callerOf(request).actor.actor_id, request_id: String(request.id) },
  });
  return workflowId;
}

async function answer(runtime: ApiRuntime, reply: { status(code: number): unknown }, workflowId: string, wait: boolean) {
  if (!wait) {
    reply.status(202);
    return { workflow_id: workflowId, status: 'started' as const };
  }
  const waited = AbortSignal.timeout(requireAnalytics(runtime).jobWaitMs ?? WAIT_FOR_JOB_MS);
  try {
    const handle = runtime.temporal.workflow.getHandle<typeof etlBackfill>(workflowId);
    const result = await runtime.temporal.connection.withAbortSignal(waited, () => handle.result());
    return { workflow_id: workflowId, status: 'completed' as const, result };
  } catch (error) {
    if (waited.aborted && !(error instanceof WorkflowFailedError)) {
      reply.status(202);
      return { workflow_id: workflowId, status: 'started' as const };
    }
    if (!(error instanceof WorkflowFailedError)) throw error;
    // The root cause (e.g. `price_table_mismatch`) is what the caller can act on.
    let cause: unknown = error.cause;
    while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
    const type = cause instanceof ApplicationFailure && cause.type ? cause.type : 'etl_failed';
    throw new HttpError(409, type, cause instanceof Error ? cause.message : 'the ETL job failed', { workflow_id: workflowId });
  }
}
