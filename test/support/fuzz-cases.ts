/**
 * A seeded request fuzzer for the HTTP API. The routes come from the served OpenAPI document, so a
 * new route is fuzzed without touching this file. Each case starts from a valid request built from
 * the route's schemas (with known-good ids for path, query and body fields) and then breaks one
 * thing: the JSON, a type, a field, a size, a string's characters, an id, the query, a header or
 * the method. Case `i` depends only on the seed and `i`, so any one case can be rebuilt alone.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: Json[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  items?: JsonSchema;
}

export interface Operation {
  method: string;
  /** OpenAPI path template, e.g. `/v1/chats/{chat_id}/messages`. */
  path: string;
  pathParams: string[];
  query: { name: string; schema: JsonSchema }[];
  body?: JsonSchema;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema?: JsonSchema }[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'options', 'head'];

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      const parameters = operation.parameters ?? [];
      const body = operation.requestBody?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        ...(body ? { body } : {}),
      });
    }
  }
  return operations;
}

/** mulberry32: small, fast, and the same sequence on every platform. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

export interface FuzzTarget {
  /** Credential name → `Authorization` value (undefined: no header). */
  credentials: Record<string, string | undefined>;
  /** Known-good values by path/query/body field name (`chat_id`, `app_id`, `user_id`, ...). */
  values: Record<string, KnownValues>;
  /** Per operation (`POST /v1/chats/{chat_id}/close`), values that replace `values`. */
  overrides?: Record<string, Record<string, KnownValues>>;
  bodyLimit: number;
  /** Methods never sent to an operation (`{'GET /v1/x': ['HEAD']}`): known issues, each with its reason. */
  knownIssues?: Record<string, { methods: string[]; reason: string }>;
}

/** Values to pick from, or one made from the case index (e.g. a new app's id). */
export type KnownValues = readonly string[] | ((index: number) => string);

export interface FuzzCase {
  index: number;
  kind: Kind;
  /** `METHOD /path/{template}` of the operation the case started from. */
  operation: string;
  method: string;
  /** Path and query, already encoded (may be deliberately malformed). */
  url: string;
  credential: string;
  headers: [string, string][];
  body?: string | Uint8Array;
  /** What was broken, for the report. */
  note: string;
  /** The status the case must get once authenticated (a JSON body over the limit: 413). */
  expectStatus?: number;
}

const KINDS = {
  valid: 8,
  'malformed-json': 9,
  'wrong-type': 10,
  'missing-field': 6,
  'extra-field': 6,
  'huge-string': 6,
  unicode: 10,
  'raw-bytes': 3,
  'bad-id': 12,
  'bad-query': 8,
  'odd-header': 12,
  'odd-method': 8,
  'deep-nesting': 2,
} as const;
export type Kind = keyof typeof KINDS;
export const FUZZ_KINDS = Object.keys(KINDS) as Kind[];

function pickKind(rng: Rng): Kind {
  const total = Object.values(KINDS).reduce((sum, weight) => sum + weight, 0);
  let roll = rng.int(total);
  for (const kind of FUZZ_KINDS) {
    roll -= KINDS[kind];
    if (roll < 0) return kind;
  }
  return 'valid';
}

export function generateCases(seed: number, count: number, operations: Operation[], target: FuzzTarget): FuzzCase[] {
  return Array.from({ length: count }, (_, index) => generateCase(seed, index, operations, target));
}

export function generateCase(seed: number, index: number, operations: Operation[], target: FuzzTarget): FuzzCase {
  const rng = new Rng((Math.imul(seed ^ 0x9e3779b9, 31) + Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  // Round-robin over the operations so each gets its share, whatever the kinds drawn.
  const operation = operations[index % operations.length] as Operation;
  // The first rounds are valid requests, one per operation and credential, so every route is
  // reached past authentication and validation by each kind of caller however many routes there
  // are; the cases after them draw their kind and credential.
  const credentials = Object.keys(target.credentials);
  const seeded = index < operations.length * credentials.length;
  const kind = seeded ? 'valid' : pickKind(rng);
  const request = new RequestDraft(operation, rng, target, index);
  request.credential = seeded ? (credentials[Math.floor(index / operations.length)] as string) : rng.pick(credentials);
  const note = MUTATIONS[kind](request, rng, target);
  return request.build(index, kind, note, target);
}

/** One request under construction: a valid one first, then mutated in place. */
class RequestDraft {
  method: string;
  credential = 'none';
  pathValues: Record<string, string> = {};
  /** Appended to the path as is (for routes without a path parameter to break). */
  pathSuffix = '';
  query: [string, string][] = [];
  rawQuery?: string;
  body?: Json;
  /** Replaces the serialized body when set. */
  rawBody?: string | Uint8Array;
  contentType?: string;
  extraHeaders: [string, string][] = [];
  authorization?: string | null;

  constructor(
    readonly operation: Operation,
    private readonly rng: Rng,
    private readonly target: FuzzTarget,
    private readonly index: number,
  ) {
    this.method = operation.method;
    for (const name of operation.pathParams) this.pathValues[name] = encodeURIComponent(this.known(name) ?? 'x');
    for (const { name, schema } of operation.query) {
      if (rng.chance(0.5)) this.query.push([name, this.known(name) ?? String(validValue(schema, name, this))]);
    }
    if (operation.body) {
      this.body = validValue(operation.body, '', this);
      this.contentType = 'application/json';
    }
  }

  /** A known-good value for a field, when the target names one. */
  known(name: string): string | undefined {
    const values = this.target.overrides?.[`${this.operation.method} ${this.operation.path}`]?.[name] ?? this.target.values[name];
    if (typeof values === 'function') return values(this.index);
    return values && values.length > 0 ? this.rng.pick(values) : undefined;
  }

  pick<T>(items: readonly T[]): T {
    return this.rng.pick(items);
  }

  chance(probability: number): boolean {
    return this.rng.chance(probability);
  }

  build(index: number, kind: Kind, note: string, target: FuzzTarget): FuzzCase {
    let path = this.operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => this.pathValues[name] ?? '');
    path += this.pathSuffix;
    const query = this.rawQuery ?? this.query.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
    const url = query ? `${path}?${query}` : path;
    const headers: [string, string][] = [];
    const authorization = this.authorization === undefined ? target.credentials[this.credential] : this.authorization;
    if (authorization !== undefined && authorization !== null) headers.push(['authorization', authorization]);
    const canHaveBody = !['GET', 'HEAD'].includes(this.method.toUpperCase());
    let body: string | Uint8Array | undefined;
    if (canHaveBody) body = this.rawBody ?? (this.body === undefined ? undefined : JSON.stringify(this.body));
    if (body !== undefined && this.contentType !== undefined) headers.push(['content-type', this.contentType]);
    headers.push(...this.extraHeaders);
    const size = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    // Fastify reads the body (and refuses one over the limit) only for a route it found, with a
    // JSON content type, after authentication (onRequest) and before validation: a caller that
    // authenticates gets 413, one that does not 401/403 (fuzz.test.ts accepts either).
    const routeExists = this.method === this.operation.method && this.pathSuffix === '' && kind !== 'bad-id';
    const jsonType = headers.filter(([name]) => name === 'content-type').map(([, value]) => value).join(', ');
    const expectStatus = size > target.bodyLimit && routeExists && /^application\/json\s*(;|$)/i.test(jsonType) ? 413 : undefined;
    return {
      index,
      kind,
      operation: `${this.operation.method} ${this.operation.path}`,
      method: this.method,
      url,
      credential: this.authorization === undefined ? this.credential : 'custom',
      headers,
      ...(body !== undefined ? { body } : {}),
      note,
      ...(expectStatus ? { expectStatus } : {}),
    };
  }
}

/** A value the schema accepts: a known one by field name when there is one. */
function validValue(schema: JsonSchema, name: string, draft: RequestDraft): Json {
  const known = name ? draft.known(name) : undefined;
  if (known !== undefined) return known;
  if (schema.enum && schema.enum.length > 0) return draft.pick(schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const nonNull = branches.filter((branch) => branch.type !== 'null');
    return validValue(draft.chance(0.85) && nonNull.length > 0 ? draft.pick(nonNull) : draft.pick(branches), name, draft);
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const object: Record<string, Json> = {};
      for (const [key, property] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(key) || draft.chance(0.4)) object[key] = validValue(property, key, draft);
      }
      return object;
    }
    case 'array':
      return schema.items && draft.chance(0.5) ? [validValue(schema.items, name, draft)] : [];
    case 'integer':
    case 'number': {
      const low = schema.minimum ?? 0;
      const high = Math.min(schema.maximum ?? low + 100, low + 100);
      return low + Math.floor(draft.chance(0.5) ? 0 : (high - low) / 2);
    }
    case 'boolean':
      return draft.chance(0.5);
    case 'null':
      return null;
    default:
      if (schema.format === 'date-time') return '2024-05-01T12:00:00.000Z';
      if (schema.format === 'uri') return 'http://127.0.0.1:9/jwks.json';
      return 'fuzz'.padEnd(Math.max(4, schema.minLength ?? 0), 'z').slice(0, schema.maxLength ?? 64);
  }
}

/** Paths into the body to things of a given sort (`[]` is the body itself). */
function bodyPaths(body: Json | undefined, want: (value: Json) => boolean, at: string[] = []): string[][] {
  if (body === undefined) return [];
  const here = want(body) ? [at] : [];
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    return [...here, ...Object.entries(body).flatMap(([key, value]) => bodyPaths(value, want, [...at, key]))];
  }
  return here;
}

function setAt(body: Json | undefined, path: string[], value: Json | undefined): Json | undefined {
  if (path.length === 0) return value;
  const parent = path.slice(0, -1).reduce<Json | undefined>((node, key) => (node as Record<string, Json>)[key], body) as Record<string, Json>;
  const key = path.at(-1) as string;
  if (value === undefined) delete parent[key];
  // defineProperty, so a key like `__proto__` becomes an own property that JSON.stringify writes.
  else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
  return body;
}

const isObject = (value: Json): boolean => value !== null && typeof value === 'object' && !Array.isArray(value);
const isString = (value: Json): boolean => typeof value === 'string';

const ODD_VALUES: Json[] = [0, -1, 1.5, 1e308, -0, true, false, null, [], {}, '', 'string', [1, 2, 3], { a: 1 }, '12', 'true', 'null'];

const UNICODE = [
  '😀🎉👩‍👩‍👧‍👦',
  'مرحبا بالعالم',
  'שלום \u202Eevil\u202C',
  'a\u0000b',
  '\u0000',
  '\uD800',
  'x\uDFFFy',
  '\uD83D',
  '\uFEFFbom',
  'ｆｕｌｌｗｉｄｔｈ',
  '\u200B\u200C\u200D',
  'Z\u0335\u0321\u031B\u0319\u0348'.repeat(50),
  '💩'.repeat(2000),
  '\r\n\t\u0085\u2028\u2029',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  "'; DROP TABLE chats; --",
  '{"$gt": ""}',
];

/** `encodeURIComponent`, except that lone surrogates become the (invalid) UTF-8 bytes of the code unit. */
function encodeLoosely(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(i, i + 2));
      i++;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      out += `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
    } else {
      out += encodeURIComponent(text[i] as string);
    }
  }
  return out;
}

const BAD_IDS = [
  '..', '.', '...', '%2e%2e', '%2E', 'a%00b', '%00', '%', '%zz', '%2F', 'a%2Fb', '..%2F..%2Fetc%2Fpasswd', '%5C..%5C',
  ':', 'a:b', '%3A', ':chat_id', '%7Bchat_id%7D', '*', '$where', '%24gt', '%7B%22%24gt%22%3A%22%22%7D', '__proto__',
  'constructor', 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(200), 'x'.repeat(201), 'x'.repeat(5000), '%20', '+', 'a+b',
  '%F0%9F%98%80', '%ED%A0%80', '%C0%AE%C0%AE', '%FF%FE', 'CON', 'A', '-', '---', '0', 'a;b', 'a,b', 'a%0Ab', 'a%0D%0AX-Injected:%201',
];
const PATH_SUFFIXES = ['/', '//', '/..', '/%00', '/x', '/%zz', `/${'y'.repeat(300)}`, '/.', ';a=b'];

const QUERY_ODDITIES = [
  'x=1', '__proto__=1', '__proto__[x]=1', 'constructor[prototype][x]=1', '%zz=1', 'a=%zz', '&&&', '=', '==', '?', 'a[]=1&a[]=2',
  'access_token=nope', `pad=${'q'.repeat(6000)}`, `pad=${'q'.repeat(20_000)}`,
];
const QUERY_VALUES = ['', 'abc', '-1', '0', '1e3', '1e309', '0x10', ' 5', '5.5', '-0', '9007199254740993', 'NaN', 'Infinity', 'true', 'FALSE', 'maybe',
  '2020-13-45T00:00:00Z', 'yesterday', '2024-01-01', '9999-12-31T23:59:59.999Z', '0000-01-01T00:00:00Z', 'a%00b', '%zz', 'x'.repeat(2000)];

const CONTENT_TYPES = [
  'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=utf-16',
  'application/json; charset=latin1', 'application/jsonx', 'application/vnd.api+json', ';;;', 'application/json; x="\\"', 'APPLICATION/JSON',
  'application/json;charset=UTF-8', 'application/json ; charset=utf-8', '*/*', 'application/*', 'application/json, text/plain',
];

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND', 'SEARCH', 'QUERY', 'FOO', 'get'];

type Mutation = (request: RequestDraft, rng: Rng, target: FuzzTarget) => string;

const MUTATIONS: Record<Kind, Mutation> = {
  valid: () => 'none',

  'malformed-json': (request, rng) => {
    const text = JSON.stringify(request.body ?? { content: 'x' });
    const broken = [
      '{', '}', '[', '{"content":', '{"content":"x"', "{'content':'x'}", '{"content":"x",}', '[1,]', 'nul', 'NaN', 'undefined',
      `${text}garbage`, '{"content":"\\x"}', '"just a string"', '42', 'true', 'null', '[]', '{}{}', `\uFEFF${text}`, ' ', '',
      `${text}\u0000`, '{"a":1e999}', '{"content":"x","content":"y"}', text.slice(0, Math.max(1, rng.int(text.length))),
      text.replace(/"/g, ''), `${text.slice(0, -1)},"extra":}`,
    ];
    request.rawBody = rng.pick(broken);
    request.contentType = 'application/json';
    return `body ${JSON.stringify(request.rawBody).slice(0, 80)}`;
  },

  'wrong-type': (request, rng) => {
    const fields = bodyPaths(request.body, () => true);
    const value = rng.pick(ODD_VALUES);
    if (fields.length > 0 && rng.chance(0.75)) {
      const path = rng.pick(fields);
      request.body = setAt(request.body, path, value);
      request.contentType ??= 'application/json';
      return `body /${path.join('/')} = ${JSON.stringify(value)}`;
    }
    const query = request.operation.query;
    if (query.length > 0) {
      const name = rng.pick(query).name;
      request.query = [...request.query.filter(([key]) => key !== name), [name, rng.pick(QUERY_VALUES)]];
      return `query ${name}`;
    }
    request.rawBody = JSON.stringify(value);
    request.contentType = 'application/json';
    return `whole body = ${JSON.stringify(value)}`;
  },

  'missing-field': (request, rng) => {
    const fields = bodyPaths(request.body, () => true).filter((path) => path.length > 0);
    if (fields.length > 0 && rng.chance(0.7)) {
      const path = rng.pick(fields);
      request.body = setAt(request.body, path, undefined);
      return `without body /${path.join('/')}`;
    }
    if (rng.chance(0.5)) {
      request.rawBody = '';
      request.contentType = 'application/json';
      return 'empty body with a JSON content type';
    }
    request.contentType = undefined;
    request.rawBody = request.body === undefined ? '{}' : JSON.stringify(request.body);
    return 'body without a content type';
  },

  'extra-field': (request, rng) => {
    const objects = bodyPaths(request.body, isObject);
    const key = rng.pick(['extra', '__proto__', 'constructor', 'prototype', '$where', '$gt', 'a.b', '', '\u0000', 'k'.repeat(1000), 'content', 'toString']);
    const value = rng.pick<Json>([1, 'x', null, { isAdmin: true }, { prototype: { isAdmin: true } }, []]);
    if (objects.length === 0) {
      request.body = {};
      request.contentType = 'application/json';
    }
    const at = objects.length > 0 ? rng.pick(objects) : [];
    request.body = setAt(request.body, [...at, key], value);
    return `extra ${JSON.stringify(key).slice(0, 20)} at /${at.join('/')}`;
  },

  'huge-string': (request, rng, target) => {
    const size = rng.pick([100_001, 150_000, target.bodyLimit - 512, target.bodyLimit + 1, target.bodyLimit * 4]);
    const unit = rng.pick(['a', '€', '😀']);
    const huge = unit.repeat(Math.ceil(size / Buffer.byteLength(unit)));
    if (request.method === 'GET' || request.method === 'HEAD') {
      const length = rng.pick([4_000, 15_000, 70_000]);
      request.query.push([request.operation.query[0]?.name ?? 'pad', 'q'.repeat(length)]);
      return `query value of ${length} chars`;
    }
    const strings = bodyPaths(request.body, isString);
    if (strings.length > 0) {
      const path = rng.pick(strings);
      request.body = setAt(request.body, path, huge);
      return `body /${path.join('/')} of ${size} bytes`;
    }
    request.body = { pad: huge };
    request.contentType = 'application/json';
    return `body {pad} of ${size} bytes`;
  },

  unicode: (request, rng) => {
    const text = rng.pick(UNICODE);
    const strings = bodyPaths(request.body, isString);
    const where = rng.pick(['body', 'body', 'path', 'query', 'header']);
    if (where === 'body' && strings.length > 0) {
      const path = rng.pick(strings);
      request.body = setAt(request.body, path, rng.chance(0.5) ? text : `${String(pathValue(request.body, path))}${text}`);
      return `body /${path.join('/')} = ${JSON.stringify(text).slice(0, 40)}`;
    }
    const params = request.operation.pathParams;
    if (where === 'path' && params.length > 0) {
      const name = rng.pick(params);
      request.pathValues[name] = encodeLoosely(text).slice(0, 3000);
      return `path ${name} = ${JSON.stringify(text).slice(0, 40)}`;
    }
    if (where === 'header') {
      // fetch sends header values as Latin-1 only: the widest it allows.
      request.extraHeaders.push([rng.pick(['x-tessera-actor', 'x-request-id', 'x-custom']), rng.pick(['café', 'Ã©Ã¨', '\u00ff\u00fe', 'ª º'])]);
      return 'Latin-1 header value';
    }
    const name = request.operation.query[0]?.name ?? 'q';
    request.rawQuery = `${name}=${encodeLoosely(text).slice(0, 3000)}`;
    return `query ${name} = ${JSON.stringify(text).slice(0, 40)}`;
  },

  'raw-bytes': (request, rng) => {
    const text = JSON.stringify(request.body ?? { content: 'x' });
    const bytes = rng.pick([[0xff, 0xfe], [0xed, 0xa0, 0x80], [0xc0, 0xae], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]]);
    const cut = text.indexOf('"', 2);
    const at = cut > 0 ? cut : 1;
    request.rawBody = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at))]);
    request.contentType = 'application/json';
    return `invalid UTF-8 ${bytes.map((b) => b.toString(16)).join(' ')} in the body`;
  },

  'bad-id': (request, rng) => {
    const params = request.operation.pathParams;
    if (params.length === 0) {
      request.pathSuffix = rng.pick(PATH_SUFFIXES);
      return `path suffix ${request.pathSuffix.slice(0, 30)}`;
    }
    const name = rng.pick(params);
    request.pathValues[name] = rng.pick(BAD_IDS);
    return `path ${name} = ${request.pathValues[name]?.slice(0, 40)}`;
  },

  'bad-query': (request, rng) => {
    const names = [...request.operation.query.map((q) => q.name), 'limit', 'after', 'wait'];
    const choice = rng.int(3);
    if (choice === 0) {
      const name = rng.pick(names);
      request.query.push([name, rng.pick(QUERY_VALUES)], [name, rng.pick(QUERY_VALUES)]);
      return `duplicate query ${name}`;
    }
    if (choice === 1) {
      const name = rng.pick(names);
      request.query = [...request.query.filter(([key]) => key !== name), [name, rng.pick(QUERY_VALUES)]];
      return `query ${name}`;
    }
    request.rawQuery = rng.pick(QUERY_ODDITIES);
    return `query ${request.rawQuery.slice(0, 40)}`;
  },

  'odd-header': (request, rng) => {
    const choice = rng.int(10);
    switch (choice) {
      case 0: {
        const length = rng.pick([8_200, 12_000, 17_000, 40_000]);
        request.authorization = `Bearer ${'a'.repeat(length)}`;
        return `Authorization of ${length} chars`;
      }
      case 1:
        request.authorization = rng.pick(['Bearer', 'bearer', 'Bearer  ', 'Basic Zm9vOmJhcg==', 'Bearer café', 'Bearer a b', 'Bearer\t', 'Negotiate x', 'Bearer ,', 'Bearer tsk...', `Bearer tsk.fuzz.${'A'.repeat(43)}`, `Bearer tsk.x.${'A'.repeat(43)}`, 'Bearer e30.e30.', 'Bearer a.b.c']);
        return `Authorization ${request.authorization}`;
      case 2: {
        const value = rng.pick(CONTENT_TYPES);
        request.contentType = value;
        if (request.rawBody === undefined && request.body === undefined) request.rawBody = '{}';
        return `Content-Type ${value}`;
      }
      case 3:
        request.extraHeaders.push(['content-type', rng.pick(['application/json', 'text/plain'])]);
        request.contentType ??= 'application/json';
        if (request.body === undefined && request.rawBody === undefined) request.rawBody = '{}';
        return 'duplicate Content-Type';
      case 4:
        request.extraHeaders.push(['content-encoding', rng.pick(['gzip', 'br', 'deflate', 'identity', 'x-unknown'])]);
        return 'Content-Encoding on a plain body';
      case 5:
        request.extraHeaders.push(['x-tessera-actor', rng.pick(['garbage', 'a.b.c', 'e30.e30.', 'x'.repeat(9000), ''])]);
        return 'odd X-Tessera-Actor';
      case 6:
        request.extraHeaders.push(['x-request-id', rng.pick(['x'.repeat(129), 'x'.repeat(5000), 'a b', '../../etc', '', '$(id)', '<>'])]);
        return 'odd X-Request-Id';
      case 7:
        request.extraHeaders.push(['last-event-id', rng.pick(['abc', '1-1', '0-0', '18446744073709551616-0', `${'9'.repeat(20)}-${'9'.repeat(20)}`, '-', '1-', ''])]);
        return 'odd Last-Event-ID';
      case 8:
        request.extraHeaders.push(['accept', rng.pick(['text/html', 'application/xml', '*/*;q=0', 'text/event-stream', ''])]);
        return 'odd Accept';
      default:
        for (let i = 0; i < 80; i++) request.extraHeaders.push([`x-fuzz-${i}`, 'v'.repeat(100)]);
        return '80 extra headers';
    }
  },

  'odd-method': (request, rng, target) => {
    const skipped = target.knownIssues?.[`${request.operation.method} ${request.operation.path}`]?.methods ?? [];
    const method = rng.pick(METHODS.filter((m) => m !== request.method && !skipped.includes(m.toUpperCase())));
    request.method = method;
    if (method === 'QUERY' && rng.chance(0.5)) request.contentType = 'application/json';
    return `method ${method}`;
  },

  'deep-nesting': (request, rng) => {
    const depth = rng.pick([1_000, 50_000, 120_000]);
    request.rawBody = rng.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `{"content":${'{"a":'.repeat(Math.floor(depth / 3))}1${'}'.repeat(Math.floor(depth / 3))}}`;
    request.contentType = 'application/json';
    return `JSON nested ${depth} deep`;
  },
};

function pathValue(body: Json | undefined, path: string[]): Json | undefined {
  return path.reduce<Json | undefined>((node, key) => (node as Record<string, Json> | undefined)?.[key], body);
}

/** A case in a form to paste into a bug report (bodies shortened). */
export function describeCase(seed: number, fuzzCase: FuzzCase): string {
  const body = fuzzCase.body === undefined ? '' : typeof fuzzCase.body === 'string' ? fuzzCase.body : Buffer.from(fuzzCase.body).toString('latin1');
  const headers = fuzzCase.headers.map(([name, value]) => `${name}: ${name === 'authorization' ? `${value.slice(0, 20)}… (${fuzzCase.credential})` : value.slice(0, 80)}`);
  return [
    `seed ${seed} case #${fuzzCase.index} [${fuzzCase.kind}: ${fuzzCase.note}] from ${fuzzCase.operation}`,
    `  ${fuzzCase.method} ${fuzzCase.url.slice(0, 200)}${fuzzCase.url.length > 200 ? `… (${fuzzCase.url.length} chars)` : ''}`,
    ...headers.map((header) => `  ${header}`),
    ...(body ? [`  body (${body.length} chars): ${JSON.stringify(body.slice(0, 200))}`] : []),
  ].join('\n');
}
