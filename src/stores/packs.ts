/**
 * Reads packs from `<dir>/<name>/pack.json`, checked against the known templates. Every problem of
 * every pack is reported at once, each naming the pack, the step and what is wrong.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatPackProblems, parsePack, type PackDefinition, type PackProblem } from '../domain/packs';

const PACK_FILE = 'pack.json';

export class PackError extends Error {
  constructor(readonly problems: PackProblem[]) {
    super(formatPackProblems(problems));
    this.name = 'PackError';
  }
}

/** Every pack under `dir` by name; a missing directory means no packs. */
export function loadPacks(dir: string, knownTemplates: ReadonlySet<string>): Map<string, PackDefinition> {
  const packs = new Map<string, PackDefinition>();
  if (!fs.existsSync(dir)) return packs;
  const problems: PackProblem[] = [];
  const names = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, PACK_FILE)))
    .map((entry) => entry.name)
    .sort();
  for (const name of names) {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(path.join(dir, name, PACK_FILE), 'utf8'));
    } catch (error) {
      problems.push({ pack: name, problem: `${PACK_FILE}: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    const parsed = parsePack(json, knownTemplates, name);
    if (parsed.ok) packs.set(name, parsed.pack);
    else problems.push(...parsed.problems);
  }
  if (problems.length > 0) throw new PackError(problems);
  return packs;
}
