/** Parsing a `pack.json`: zod first, then the graph checks, every problem reported at once. */
import type { z } from 'zod';
import { checkPack, type PackProblem } from './dag';
import { packSchema, type PackDefinition } from './schema';

export type ParsedPack = { ok: true; pack: PackDefinition } | { ok: false; problems: PackProblem[] };

export function parsePack(json: unknown, knownTemplates: ReadonlySet<string>, directoryName?: string): ParsedPack {
  const packName = directoryName ?? (isRecord(json) && typeof json.name === 'string' ? json.name : '(unnamed)');
  const result = packSchema.safeParse(json);
  if (!result.success) return { ok: false, problems: result.error.issues.map((issue) => toProblem(packName, json, issue)) };
  const problems = checkPack(result.data, knownTemplates);
  if (directoryName !== undefined && result.data.name !== directoryName) {
    problems.unshift({ pack: packName, problem: `name must equal the directory name '${directoryName}' (got '${result.data.name}')` });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, pack: result.data };
}

function toProblem(pack: string, json: unknown, issue: z.core.$ZodIssue): PackProblem {
  const [first, index] = issue.path;
  const field = issue.path.map(String).join('.') || '(root)';
  let step: string | undefined;
  if (first === 'steps' && typeof index === 'number' && isRecord(json) && Array.isArray(json.steps)) {
    const raw: unknown = json.steps[index];
    step = isRecord(raw) && typeof raw.id === 'string' ? raw.id : `#${index}`;
  }
  const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  return { pack, ...(step ? { step } : {}), problem: `${field}: ${issue.message}${keys}` };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
