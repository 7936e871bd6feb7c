/**
 * One turn followed from its message to its end: the message is sent without waiting (`?wait=false`,
 * with a `message_id`, so a retried send can never start a second turn), then the chat's events are
 * read from the client's last position and filtered to this turn until `turn.completed` (the result)
 * or `turn.failed` (a `TesseraError`). `text` is the reply so far: a `turn.restarted` drops the
 * restarted step's partial deltas, so a UI that renders `text` on every event never shows them twice.
 */
import { TesseraError } from './errors.js';
import type { ChatEvent, Usage } from './events.js';

export interface ToolCall {
  tool_call_id: string;
  name: string;
  arguments: string;
  ok?: boolean;
  /** The tool's output (its start: events carry at most a few thousand characters). */
  result?: string;
}

export interface TurnResult {
  turn_id: string;
  /** The assistant's reply. */
  content: string;
  usage: Usage;
  /** Tools the model called in this turn, in order. */
  tool_calls: ToolCall[];
  /** The last event id of the turn (resume a later stream after it). */
  last_event_id: string | undefined;
}

/** What a turn's send answered: accepted (it runs), or the stored result of a turn that already finished. */
export type SendOutcome = { status: 'accepted'; turn_id: string } | { status: 'finished'; result: TurnResult };

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Whoever iterates sees the error there; an unread `result` must not count as unhandled.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export class TurnStream implements AsyncIterable<ChatEvent> {
  /** The message id, which is also the turn id. */
  readonly turnId: string;
  private readonly steps = new Map<number, string>();
  private readonly tools: ToolCall[] = [];
  private completedContent: string | undefined;
  private readonly outcome = deferred<TurnResult>();
  private started = false;
  private lastEventId: string | undefined;

  constructor(
    turnId: string,
    private readonly send: () => Promise<SendOutcome>,
    private readonly events: (after: string | undefined) => AsyncIterable<ChatEvent>,
    private readonly startAfter: string | undefined,
    private readonly onPosition: (id: string) => void,
  ) {
    this.turnId = turnId;
  }

  /** The reply so far (without deltas a `turn.restarted` voided). */
  get text(): string {
    if (this.completedContent !== undefined) return this.completedContent;
    const last = Math.max(-1, ...this.steps.keys());
    return last === -1 ? '' : (this.steps.get(last) ?? '');
  }

  /** Tools called so far. */
  get toolCalls(): readonly ToolCall[] {
    return this.tools;
  }

  /** Resolves with the turn's result once it completed; rejects when it failed. Reads the events itself when nobody iterates. */
  get result(): Promise<TurnResult> {
    if (!this.started) {
      void (async () => {
        try {
          for await (const _event of this) {
            // Drained for the result.
          }
        } catch {
          // Reported through the promise.
        }
      })();
    }
    return this.outcome.promise;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ChatEvent> {
    if (this.started) throw new Error('a TurnStream can be iterated once');
    this.started = true;
    try {
      const sent = await this.send();
      if (sent.status === 'finished') {
        this.completedContent = sent.result.content;
        this.tools.push(...sent.result.tool_calls);
        this.outcome.resolve(sent.result);
        return;
      }
      for await (const event of this.events(this.startAfter)) {
        if (event.id !== null) {
          this.lastEventId = event.id;
          this.onPosition(event.id);
        }
        if (event.turn_id !== this.turnId) continue;
        this.apply(event);
        yield event;
        if (event.type === 'turn.completed') {
          const { usage, cost_usd: costUsd } = event.data;
          const result: TurnResult = {
            turn_id: this.turnId,
            content: this.text,
            usage: {
              input_tokens: usage.input_tokens,
              output_tokens: usage.output_tokens,
              cached_input_tokens: usage.cached_input_tokens,
              cost_usd: costUsd,
              unpriced_calls: usage.unpriced_calls,
            },
            tool_calls: [...this.tools],
            last_event_id: this.lastEventId,
          };
          this.outcome.resolve(result);
          return;
        }
        if (event.type === 'turn.failed') {
          throw new TesseraError({
            status: 0,
            code: event.data.code ?? 'turn_failed',
            message: `turn ${this.turnId} ${event.data.status}${event.data.error ? `: ${event.data.error}` : ''}`,
            turnId: this.turnId,
            details: event.data,
          });
        }
      }
      throw new TesseraError({ status: 0, code: 'stream_ended', message: `the event stream ended before turn ${this.turnId} did`, turnId: this.turnId });
    } catch (error) {
      this.outcome.reject(error);
      throw error;
    } finally {
      // The consumer stopped early: the turn runs on, but this stream has no result to give.
      this.outcome.reject(new TesseraError({ status: 0, code: 'stream_stopped', message: `stopped reading turn ${this.turnId} before it ended`, turnId: this.turnId }));
    }
  }

  private apply(event: ChatEvent): void {
    switch (event.type) {
      case 'message.delta':
        this.steps.set(event.data.step, (this.steps.get(event.data.step) ?? '') + event.data.delta);
        break;
      case 'turn.restarted':
        this.steps.delete(event.data.step);
        this.completedContent = undefined;
        break;
      case 'message.completed':
        this.completedContent = event.data.content;
        break;
      case 'tool.called':
        this.tools.push({ tool_call_id: event.data.tool_call_id, name: event.data.name, arguments: event.data.arguments });
        break;
      case 'tool.result': {
        const call = this.tools.find((tool) => tool.tool_call_id === event.data.tool_call_id);
        if (call) {
          call.ok = event.data.ok;
          call.result = event.data.content;
        }
        break;
      }
      default:
        break;
    }
  }
}
