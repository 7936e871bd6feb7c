/** HTTP shapes of the pack routes (`/v1/packs…`, `/v1/pack-runs…`, an app's pack settings and webhook). */
import { z } from 'zod';
import { storableKey, storableText } from '../text/storable';
import { appIdSchema } from '../apps';
import { packNameSchema, PACK_RUN_ID_PATTERN } from '../packs';
import { listCursorSchema } from './list-cursor';

const usageTotals = z.object({
  input_tokens: z.number(),
  cached_input_tokens: z.number(),
  output_tokens: z.number(),
  cost_nanos: z.number(),
  unpriced_calls: z.number(),
});

export const packParams = z.strictObject({ pack: packNameSchema });
export const appPackParams = z.strictObject({ app_id: appIdSchema, pack: packNameSchema });
export const runParams = z.strictObject({ run_id: z.string().regex(PACK_RUN_ID_PATTERN, 'must be 1-64 letters, digits, _ or -') });

export const packListView = z.object({
  packs: z.array(
    z.object({
      name: z.string(),
      description: z.string().optional(),
      inputs: z.array(z.string()),
      steps: z.number().int(),
      max_parallel: z.number().int(),
      on_failure: z.string(),
      budget_usd: z.number().optional(),
      enabled: z.boolean(),
    }),
  ),
});

export const packEnabledBody = z.strictObject({ enabled: z.boolean() });
export const packEnabledView = z.object({ app_id: z.string(), pack: z.string(), enabled: z.boolean() });

export const startRunBody = z.strictObject({
  user_id: storableText().min(1).max(200),
  input: z
    .record(storableKey().max(100), storableText().max(20_000))
    .default({})
    .describe('No NUL in keys or values (400 invalid_text); keys must not start with $ or contain . (400 invalid_key)'),
  budget_usd: z.number().positive().max(100_000).optional().describe("The run's budget; the pack's default when absent"),
  run_id: z.string().regex(PACK_RUN_ID_PATTERN).optional().describe('Idempotency: a run id already taken answers 409'),
});

export const startedRunView = z.object({ run_id: z.string(), status_url: z.string(), events_url: z.string() });

export const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'budget_exhausted'] as const;

export const runView = z.object({
  run_id: z.string(),
  pack: z.string(),
  status: z.enum(RUN_STATUSES),
  steps: z.record(
    z.string(),
    z.object({
      status: z.string(),
      usage: usageTotals.optional(),
      cost_usd: z.number().optional(),
      output_chars: z.number().optional(),
      error: z.string().optional(),
    }),
  ),
  totals: usageTotals,
  cost_usd: z.number(),
  budget_usd: z.number().optional(),
  output: z.record(z.string(), z.string()).optional().describe('Outputs of the final steps, once the run has ended'),
  graph: z
    .array(z.object({ id: z.string(), template: z.string(), depends_on: z.array(z.string()) }))
    .optional()
    .describe("The pack's steps and what each depends on, as the pack defines them now (absent when the pack is no longer loaded)"),
});

export const cancelRunView = z.object({ run_id: z.string(), status: z.string() });

/** `app_id`: the app of the run, for the admin key (required with it); an app key may name only its own. */
const runAppId = appIdSchema.optional().describe('The app of the run, for the admin key (required with it); an app key may name only its own app');

export const runReadQuery = z.strictObject({ app_id: runAppId });

export const runListQuery = z.strictObject({
  app_id: runAppId,
  status: z.enum(RUN_STATUSES).optional().describe('Only runs with this status'),
  pack: packNameSchema.optional().describe('Only runs of this pack'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: listCursorSchema.optional(),
});

export const runListView = z.object({
  app_id: z.string(),
  runs: z.array(
    z.object({
      run_id: z.string(),
      pack: z.string(),
      user_id: z.string(),
      status: z.enum(RUN_STATUSES),
      cost_usd: z.number(),
      budget_usd: z.number().optional(),
      created_at: z.iso.datetime(),
      updated_at: z.iso.datetime(),
      ended_at: z.iso.datetime().optional(),
    }),
  ),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page'),
});

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** What is wrong with a webhook URL, or undefined: an absolute http(s) URL whose host is a DNS name
 * or an IP address, with no user name or password and a port other than 0. */
export function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password (each delivery is signed with the secret)';
  if (url.port === '0') return 'must not use port 0';
  const host = url.hostname;
  if (host.startsWith('[') || IPV4.test(host)) return undefined;
  const name = host.replace(/\.$/, '');
  if (name.length === 0 || name.length > 253 || !name.split('.').every((label) => HOST_LABEL.test(label))) {
    return 'host must be a DNS name (labels of letters, digits and -) or an IP address';
  }
  return undefined;
}

export const webhookBody = z.strictObject({
  url: storableText()
    .max(2000)
    .superRefine((value, ctx) => {
      const problem = webhookUrlProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(
      'The receiver: an absolute http(s) URL with a DNS name or IP address as host, no user:password. ' +
        'A name must resolve when the webhook is set (else 400 `webhook_host_unresolved`). ' +
        'Each delivery resolves it again and refuses a private, loopback or link-local address unless `allow_private_addresses`.',
    ),
  secret: storableText().min(16).max(200).describe('HMAC key; `whsec_<base64>` is decoded as Standard Webhooks does'),
  allow_private_addresses: z.boolean().default(false).describe('Allow loopback/private/link-local receivers (refused by default)'),
});

export const webhookView = z.object({ app_id: z.string(), url: z.string(), allow_private_addresses: z.boolean() });
