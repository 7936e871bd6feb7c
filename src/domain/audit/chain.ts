/**
 * The audit log's hash chain: each app's events are numbered 1, 2, 3... and each event's hash
 * covers its content and the previous event's hash, so editing, deleting, inserting or reordering
 * any stored event breaks the chain from that point on.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

export const AUDIT_ACTIONS = ['create', 'read', 'update', 'delete', 'llm_interaction'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** How a caller proved who it is. */
export type ActorVia = 'admin_key' | 'app_key' | 'runtime_token' | 'identity_provider' | 'system';

/** Who did something: every audit entry carries one. The optional fields are set when known
 * (an app's identity provider supplies email and tenant; a request its id). */
export interface ActorContext {
  actor_id: string;
  roles: string[];
  app_id: string;
  email?: string;
  tenant?: string;
  via?: ActorVia;
  request_id?: string;
}

const OPTIONAL_ACTOR_FIELDS = ['email', 'tenant', 'via', 'request_id'] as const;

export interface AuditEventInput {
  event_id: string;
  app_id: string;
  /** ISO 8601 timestamp. */
  ts: string;
  actor: ActorContext;
  action: AuditAction;
  resource: { type: string; id: string };
  outcome: 'success' | 'failure';
  details?: Record<string, string | number | boolean | null>;
}

export type ChainedAuditEvent = AuditEventInput & { seq: number; prev_hash: string; hash: string };

/** The link before the first event of every app's chain. */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainLink {
  seq: number;
  hash: string;
}

export type AuditChainBreak = 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'app_mismatch';

export type AuditChainVerification =
  | { valid: true; count: number }
  | {
      valid: false;
      /** How many events verified before the first broken one. */
      count: number;
      /** The first event whose link to its predecessor does not hold, as stored. */
      firstBroken: { seq: number; event_id: string; reason: AuditChainBreak };
    };

export interface VerifyOptions {
  /** The app the events must belong to; defaults to the first event's app. */
  appId?: string;
  /** Verify a window that starts after this already-verified event instead of at genesis. */
  after?: ChainLink;
}

const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** Appends `input` after `previous` (null for an app's first event). */
export function chainAuditEvent(previous: ChainLink | null, input: AuditEventInput): ChainedAuditEvent {
  if (previous !== null && (!Number.isSafeInteger(previous.seq) || previous.seq < 1 || !HASH_PATTERN.test(previous.hash))) {
    throw new Error(`invalid previous audit link: seq ${previous.seq}, hash '${previous.hash}'`);
  }
  const seq = previous === null ? 1 : previous.seq + 1;
  const prev_hash = previous === null ? GENESIS_HASH : previous.hash;
  const event = { ...hashedFields(input), seq };
  return { ...event, prev_hash, hash: auditEventHash(prev_hash, event) };
}

/** Checks one app's events, given in seq order, and names the first broken link. */
export function verifyAuditChain(events: readonly ChainedAuditEvent[], options: VerifyOptions = {}): AuditChainVerification {
  const appId = options.appId ?? events[0]?.app_id;
  let expected: ChainLink = options.after ?? { seq: 0, hash: GENESIS_HASH };
  let count = 0;
  for (const event of events) {
    const reason = brokenLink(event, expected, appId);
    if (reason !== undefined) {
      return { valid: false, count, firstBroken: { seq: event.seq, event_id: event.event_id, reason } };
    }
    expected = { seq: event.seq, hash: event.hash };
    count++;
  }
  return { valid: true, count };
}

function brokenLink(event: ChainedAuditEvent, previous: ChainLink, appId: string | undefined): AuditChainBreak | undefined {
  if (event.app_id !== appId) return 'app_mismatch';
  if (event.seq !== previous.seq + 1) return 'seq_gap';
  if (event.prev_hash !== previous.hash) return 'prev_hash_mismatch';
  let recomputed: string;
  try {
    recomputed = auditEventHash(event.prev_hash, { ...hashedFields(event), seq: event.seq });
  } catch {
    return 'hash_mismatch'; // stored content that cannot even be encoded (e.g. NaN) was not what was hashed
  }
  return recomputed === event.hash ? undefined : 'hash_mismatch';
}

/** `sha256hex(prev_hash + '\n' + canonicalJson(fields + seq))`. */
function auditEventHash(prevHash: string, event: AuditEventInput & { seq: number }): string {
  return createHash('sha256').update(`${prevHash}\n${canonicalJson(event)}`, 'utf8').digest('hex');
}

/** The actor's declared fields; absent optional ones stay absent, so older entries hash as before. */
function hashedActor(actor: ActorContext): ActorContext {
  const fields: ActorContext = { actor_id: actor.actor_id, roles: [...actor.roles], app_id: actor.app_id };
  for (const key of OPTIONAL_ACTOR_FIELDS) {
    const value = actor[key];
    if (value !== undefined && value !== null) Object.assign(fields, { [key]: value });
  }
  return fields;
}

/** Exactly the declared fields: whatever else a store adds to a row (`_id`, ...) is not hashed. */
function hashedFields(input: AuditEventInput): AuditEventInput {
  const fields: AuditEventInput = {
    event_id: input.event_id,
    app_id: input.app_id,
    ts: input.ts,
    actor: hashedActor(input.actor),
    action: input.action,
    resource: { type: input.resource.type, id: input.resource.id },
    outcome: input.outcome,
  };
  // A store may hand absent details back as null; both mean "no details".
  if (input.details !== undefined && input.details !== null) fields.details = { ...input.details };
  return fields;
}
