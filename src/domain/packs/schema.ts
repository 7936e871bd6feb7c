/**
 * Packs: what `packs/<name>/pack.json` may say — a DAG of steps, each one chat turn with a template,
 * its prompt templated from the run's input and the outputs of the steps it depends on. Pure
 * validation; reading the files is `src/stores/packs.ts`'s job, the graph checks `./dag.ts`'s.
 */
import { z } from 'zod';

export const PACK_NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const STEP_ID_PATTERN = /^[a-z0-9]+(?:[_-][a-z0-9]+)*$/;
export const INPUT_KEY_PATTERN = /^[a-z][a-z0-9_]*$/;
export const PACK_FAILURE_POLICIES = ['fail_fast', 'continue'] as const;
export type PackFailurePolicy = (typeof PACK_FAILURE_POLICIES)[number];

export const packNameSchema = z
  .string()
  .max(64)
  .regex(PACK_NAME_PATTERN, 'must be a lowercase slug (a-z, 0-9, single dashes between words)');

export const packStepSchema = z.strictObject({
  id: z.string().max(64).regex(STEP_ID_PATTERN, 'must be lowercase letters and digits, joined by single - or _'),
  template: z.string().min(1).max(64),
  /** The user message of the step's turn; `{{input.key}}` and `{{steps.<id>.output}}` are filled in. */
  prompt: z.string().min(1).max(20_000),
  depends_on: z.array(z.string()).default([]),
  /** Extra attempts after a failed or timed-out one. */
  retries: z.number().int().min(0).max(10).default(1),
  timeout_seconds: z.number().int().min(5).max(3600).default(300),
});

export const packSchema = z.strictObject({
  name: packNameSchema,
  description: z.string().max(1000).optional(),
  /** Keys the run's `input` must carry (string values). */
  inputs: z.array(z.string().regex(INPUT_KEY_PATTERN, 'must be a lowercase identifier')).default([]),
  max_parallel: z.number().int().min(1).max(1000).default(8),
  on_failure: z.enum(PACK_FAILURE_POLICIES).default('fail_fast'),
  /** Default budget of a run in USD; a run may set its own. */
  budget_usd: z.number().positive().max(100_000).optional(),
  steps: z.array(packStepSchema).min(1).max(500),
});

export type PackDefinition = z.output<typeof packSchema>;
export type PackStep = PackDefinition['steps'][number];
export type PackDefinitionInput = z.input<typeof packSchema>;
