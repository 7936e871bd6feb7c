/** HTTP shapes of the analytics, ETL-operations and erasure routes. */
import { z } from 'zod';
import { storableText } from '../text/storable';
import { appIdSchema } from '../apps';

/** Longest range one analytics read may span; hourly grouping reads raw events, so less. */
export const MAX_ANALYTICS_DAYS = 366;
export const MAX_HOURLY_DAYS = 31;
/** Longest range one backfill or re-pricing may cover. */
export const MAX_BACKFILL_DAYS = 31;

const instant = z.iso.datetime({ offset: true }).describe('ISO 8601 instant, e.g. 2026-11-01T00:00:00Z');

const DAY = 86_400_000;
const span = (q: { from: string; to: string }) => Date.parse(q.to) - Date.parse(q.from);

export const analyticsQuery = z
  .strictObject({
    from: instant.describe('Start of the range (inclusive), an ISO 8601 instant; must be before `to`'),
    to: instant.describe(
      `End of the range (exclusive), an ISO 8601 instant: after \`from\`, at most ${MAX_ANALYTICS_DAYS} days later (${MAX_HOURLY_DAYS} with \`group_by=hour\`); otherwise 400`,
    ),
    group_by: z
      .enum(['day', 'hour', 'model', 'template', 'user'])
      .default('day')
      .describe(`\`user\` groups by pseudonym; \`hour\` allows a range of at most ${MAX_HOURLY_DAYS} days`),
    app_id: appIdSchema.optional().describe('Required for the admin key; an app key reads only its own app'),
  })
  .refine((q) => span(q) > 0, { message: '`from` must be before `to`', path: ['to'] })
  .refine((q) => span(q) <= MAX_ANALYTICS_DAYS * DAY, { message: `the range may span at most ${MAX_ANALYTICS_DAYS} days`, path: ['to'] })
  .refine((q) => q.group_by !== 'hour' || span(q) <= MAX_HOURLY_DAYS * DAY, {
    message: `group_by=hour may span at most ${MAX_HOURLY_DAYS} days`,
    path: ['group_by'],
  });

const quantiles = z.object({ p50: z.number(), p95: z.number(), p99: z.number() });

const envelope = <T extends z.ZodTypeAny>(row: T) =>
  z.object({
    app_id: z.string(),
    from: z.string(),
    to: z.string(),
    group_by: z.string(),
    sources: z.object({
      rollup_days: z.number().int().describe('Whole days served from daily rollups'),
      raw_windows: z.number().int().describe('Time windows read from raw events'),
    }),
    rows: z.array(row),
  });

export const costView = envelope(
  z.object({
    key: z.string(),
    calls: z.number().int(),
    cost_usd: z.number(),
    cost_nanos: z.number().int().describe('At current prices (after any re-pricing)'),
    billed_cost_nanos: z.number().int().describe('As recorded when the call was made'),
    unpriced_calls: z.number().int().describe('Calls of models without a price: not counted as free'),
  }),
);

export const usageView = envelope(
  z.object({
    key: z.string(),
    turns: z.number().int(),
    calls: z.number().int(),
    input_tokens: z.number().int(),
    cached_input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    energy_wh: z.number(),
    co2e_g: z.number().describe('energy_wh × the configured grid intensity'),
    unestimated_calls: z.number().int().describe('Calls of models without an energy factor'),
  }),
);

export const performanceView = envelope(
  z.object({
    key: z.string(),
    calls: z.number().int(),
    errors: z.number().int(),
    error_rate: z.number(),
    latency_ms: quantiles,
    ttft_ms: quantiles,
  }),
);

const jobFrom = instant.describe('Start of the range, an ISO 8601 instant; must be before `to`');
const jobTo = instant.describe(`End of the range, an ISO 8601 instant: after \`from\`, at most ${MAX_BACKFILL_DAYS} days later; otherwise 400`);

export const backfillBody = z
  .strictObject({ from: jobFrom, to: jobTo })
  .refine((b) => Date.parse(b.from) < Date.parse(b.to), { message: '`from` must be before `to`', path: ['to'] })
  .refine((b) => Date.parse(b.to) - Date.parse(b.from) <= MAX_BACKFILL_DAYS * 86_400_000, {
    message: `at most ${MAX_BACKFILL_DAYS} days per request`,
    path: ['to'],
  });

export const repriceBody = z
  .strictObject({
    from: jobFrom,
    to: jobTo,
    price_table_version: z.string().min(1).max(200).optional().describe('Refuse unless the workers price with this version'),
  })
  .refine((b) => Date.parse(b.from) < Date.parse(b.to), { message: '`from` must be before `to`', path: ['to'] })
  .refine((b) => Date.parse(b.to) - Date.parse(b.from) <= MAX_BACKFILL_DAYS * 86_400_000, {
    message: `at most ${MAX_BACKFILL_DAYS} days per request`,
    path: ['to'],
  });

export const waitQuery = z.strictObject({
  wait: z
    .enum(['true', 'false'])
    .default('false')
    .describe('`true`: wait up to 20 s for the job (200 with its result); still running then → 202 with its workflow id, as without waiting'),
});

export const etlJobView = z.object({
  workflow_id: z.string(),
  status: z.enum(['started', 'completed']),
  result: z
    .object({ hours: z.number().int(), usage_rows: z.number().int(), audit_rows: z.number().int(), days_reaggregated: z.array(z.string()) })
    .optional(),
});

export const eraseParams = z.strictObject({ app_id: appIdSchema, user_id: storableText().min(1).max(200) });

export const erasedView = z.object({
  app_id: z.string(),
  user_pseudonym: z.string(),
  mongo: z.object({ chats: z.number().int(), messages: z.number().int(), usage_events_unlinked: z.number().int() }),
  clickhouse: z.record(z.string(), z.number().int()),
});

/** Longest range of the engagement and error-grouping reads (they read raw events). */
export const MAX_INSIGHT_DAYS = 92;

export const insightQuery = z
  .strictObject({
    from: instant.describe('Start of the range (inclusive), an ISO 8601 instant; must be before `to`'),
    to: instant.describe(`End of the range (exclusive), an ISO 8601 instant: after \`from\`, at most ${MAX_INSIGHT_DAYS} days later; otherwise 400`),
    app_id: appIdSchema.optional().describe('Required for the admin key; an app key reads only its own app'),
  })
  .refine((q) => span(q) > 0, { message: '`from` must be before `to`', path: ['to'] })
  .refine((q) => span(q) <= MAX_INSIGHT_DAYS * DAY, { message: `the range may span at most ${MAX_INSIGHT_DAYS} days`, path: ['to'] });

export const forecastQuery = z.strictObject({
  app_id: appIdSchema.optional().describe('Required for the admin key; an app key reads only its own app'),
});

const activeUsers = z.array(z.object({ period: z.string().describe('yyyy-mm-dd: the day, the Monday of the ISO week, or the first of the month (UTC)'), users: z.number().int() }));

export const engagementView = z.object({
  app_id: z.string(),
  from: z.string(),
  to: z.string(),
  users: z.number().int().describe('Distinct users (pseudonyms) with an LLM call in the range, chats or packs'),
  sessions: z.number().int().describe('Distinct chats with a turn in the range (pack steps excluded)'),
  turns: z.number().int().describe('Distinct chat turns in the range'),
  sessions_per_user: z.number(),
  turns_per_session: z.number(),
  daily_active_users: activeUsers,
  weekly_active_users: activeUsers.describe('Per ISO week (Monday)'),
  monthly_active_users: activeUsers.describe('Per calendar month'),
  retention: z
    .array(
      z.object({
        week: z.string().describe('Monday of the ISO week the cohort was first seen (its first call ever, in the range)'),
        users: z.number().int(),
        retention: z.array(z.number()).describe('[k]: share of the cohort active in the k-th week after its own, up to the range\'s last week ([0] = 1)'),
      }),
    )
    .describe('Weekly retention cohorts of the users new in the range'),
});

export const errorsView = z.object({
  app_id: z.string(),
  from: z.string(),
  to: z.string(),
  truncated: z.boolean().describe('More groups than returned (the largest are kept)'),
  groups: z.array(
    z.object({
      kind: z.enum(['turn', 'pack_step']).describe('Failure type: a chat turn or a pack step'),
      code: z.string().describe('The failed LLM call\'s error type as recorded (e.g. llm_timeout)'),
      model: z.string(),
      template: z.string(),
      count: z.number().int().describe('Failed LLM calls'),
      turns: z.number().int().describe('Distinct turns (or pack step attempts) with a failed call'),
      first_seen: z.string(),
      last_seen: z.string(),
      sample_chat_ids: z.array(z.string()).max(5),
    }),
  ),
});

export const forecastView = z.object({
  app_id: z.string(),
  at: z.string().describe('The instant the forecast is made'),
  month: z.string().describe('yyyy-mm (UTC), the budget period'),
  budget_usd: z.number().nullable().describe('The monthly budget; null: none set'),
  spent_usd: z.number().describe('Month-to-date spend charged against the budget (live)'),
  analytics_cost_usd: z.number().describe('Month-to-date billed cost in analytics (as far as the ETL has collected)'),
  daily_rate_usd: z.number().describe('Month-to-date spend per elapsed day'),
  projected_month_end_usd: z.number().describe('Spend at month end if the daily rate holds'),
  runs_out_on: z.string().nullable().describe('yyyy-mm-dd the budget is exhausted at that rate; null: no budget, or not this month'),
  days_elapsed: z.number(),
  days_in_month: z.number().int(),
});
