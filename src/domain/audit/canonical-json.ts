/**
 * Deterministic JSON for hashing: object keys sorted (recursively), no whitespace, arrays in their
 * order. Values JSON cannot carry faithfully are refused rather than silently changed, because a
 * hash over a silently changed value would not verify later.
 */

export class CanonicalJsonError extends Error {
  constructor(message: string, readonly path: string) {
    super(`${message} at ${path}`);
    this.name = 'CanonicalJsonError';
  }
}

export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

function write(value: unknown, path: string, ancestors: Set<object>): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CanonicalJsonError(`non-finite number ${String(value)}`, path);
    return JSON.stringify(value); // -0 is written as 0, as JSON.stringify does
  }
  if (typeof value !== 'object') throw new CanonicalJsonError(`cannot encode a value of type ${typeof value}`, path);

  if (ancestors.has(value)) throw new CanonicalJsonError('circular reference', path);
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      // JSON.stringify would turn undefined into null: a different value, so refuse it.
      return `[${value.map((item: unknown, index) => write(item, `${path}[${index}]`, ancestors)).join(',')}]`;
    }
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      // Dates, ObjectIds, Maps...: their JSON form depends on the class, so only plain data hashes.
      throw new CanonicalJsonError('cannot encode a non-plain object', path);
    }
    const members: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const member: unknown = (value as Record<string, unknown>)[key];
      // An undefined member is an absent one, as after a round trip through JSON or MongoDB.
      if (member === undefined) continue;
      members.push(`${JSON.stringify(key)}:${write(member, `${path}.${key}`, ancestors)}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
}
