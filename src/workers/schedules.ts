/**
 * The analytics Schedules, created or updated idempotently (at start and by `npm run schedules`):
 * `tessera-etl-hourly` at :05 of every hour, `tessera-etl-fresh` every minute, `tessera-agg-daily`
 * at 00:30 UTC. Overlaps are skipped; after an outage, missed runs within the catch-up window run.
 */
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import type { dailyAggregation } from '../workflows/daily-aggregation';
import type { hourlyEtl } from '../workflows/hourly-etl';
import { SA, SCHEDULE_IDS, TASK_QUEUES } from '../workflows/contract';

export interface ScheduleSetOptions {
  taskQueue?: string;
}

export function analyticsSchedules(opts: ScheduleSetOptions = {}): ScheduleOptions[] {
  const taskQueue = opts.taskQueue ?? TASK_QUEUES.analytics;
  const searchAttributes = (kind: string) => ({ typedSearchAttributes: [{ key: SA.kind, value: kind }, { key: SA.appId, value: '_system' }] });
  return [
    {
      scheduleId: SCHEDULE_IDS.etlHourly,
      spec: { calendars: [{ minute: 5, hour: '*', comment: ':05 every hour, UTC' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'hourlyEtl' satisfies typeof hourlyEtl.name,
        workflowId: 'etl-hourly',
        taskQueue,
        args: [{ kind: 'hourly' }],
        ...searchAttributes('etl'),
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    },
    {
      scheduleId: SCHEDULE_IDS.etlFresh,
      spec: { intervals: [{ every: '1 minute' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'hourlyEtl' satisfies typeof hourlyEtl.name,
        workflowId: 'etl-fresh',
        taskQueue,
        args: [{ kind: 'fresh' }],
        workflowExecutionTimeout: '10 minutes',
        ...searchAttributes('etl'),
      },
      // A missed minute is covered by the next one's look-back (and by the hourly run).
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '2 minutes' },
    },
    {
      scheduleId: SCHEDULE_IDS.aggDaily,
      spec: { calendars: [{ hour: 0, minute: 30, comment: '00:30 UTC' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'dailyAggregation' satisfies typeof dailyAggregation.name,
        workflowId: 'agg-daily',
        taskQueue,
        args: [{}],
        ...searchAttributes('aggregation'),
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '3 days' },
    },
  ];
}

/** Creates each Schedule, or updates it to this definition when it exists. Returns what it did. */
export async function ensureSchedules(client: Client, opts: ScheduleSetOptions = {}): Promise<Record<string, 'created' | 'updated'>> {
  const done: Record<string, 'created' | 'updated'> = {};
  for (const schedule of analyticsSchedules(opts)) {
    try {
      await client.schedule.create(schedule);
      done[schedule.scheduleId] = 'created';
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule.getHandle(schedule.scheduleId).update((previous) => ({
        ...previous,
        spec: schedule.spec,
        action: schedule.action,
        policies: { ...previous.policies, ...schedule.policies },
      }));
      done[schedule.scheduleId] = 'updated';
    }
  }
  return done;
}
