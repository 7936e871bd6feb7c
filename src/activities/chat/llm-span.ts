/**
 * The span of one LLM call, with OpenTelemetry's GenAI semantic conventions (`gen_ai.*`) and the
 * call's cost (`tessera.cost_usd`, priced from the same price book as the usage event). A child of
 * the `llmStep` activity's span, so the call sits in the turn's trace. Never the prompt or the
 * answer: message text stays out of telemetry. Without a tracer provider this is a no-op span.
 */
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { computeCost, type PriceBook } from '../../domain/pricing';
import type { StreamedCompletion } from './llm-stream';

export interface LlmCallSpanInput {
  model: string;
  maxOutputTokens: number;
  appId: string;
  chatId: string;
  turnId: string;
  step: number;
  attempt: number;
}

export class LlmCallSpan {
  private readonly span: Span;
  private readonly model: string;

  constructor(
    input: LlmCallSpanInput,
    private readonly priceBook: PriceBook,
  ) {
    this.model = input.model;
    this.span = trace.getTracer('tessera-llm').startSpan(`chat ${input.model}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        // The wire protocol: every endpoint Tessera calls speaks OpenAI's Chat Completions API.
        'gen_ai.system': 'openai',
        'gen_ai.request.model': input.model,
        'gen_ai.request.max_tokens': input.maxOutputTokens,
        'tessera.app_id': input.appId,
        'tessera.chat_id': input.chatId,
        'tessera.turn_id': input.turnId,
        'tessera.step': input.step,
        'tessera.attempt': input.attempt,
      },
    });
  }

  /** Ends the span with what the call returned (usage, cost) or how it failed. */
  end(completion: StreamedCompletion | undefined, error: unknown, at: Date): void {
    if (completion) {
      const usage = completion.usage ?? { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 };
      const model = completion.model || this.model;
      const cost = computeCost(this.priceBook, { model, at, usage });
      this.span.setAttributes({
        'gen_ai.response.model': model,
        'gen_ai.response.finish_reasons': completion.finishReason ? [completion.finishReason] : [],
        'gen_ai.usage.input_tokens': usage.input_tokens,
        'gen_ai.usage.output_tokens': usage.output_tokens,
        'tessera.cached_input_tokens': usage.cached_input_tokens,
        'tessera.ttft_ms': completion.ttftMs,
        'tessera.priced': cost.priced,
        ...(cost.priced ? { 'tessera.cost_usd': cost.cost_nanos.total / 1e9, 'tessera.provider': cost.provider } : {}),
      });
    }
    if (error !== undefined) {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      this.span.setAttribute('error.type', error instanceof Error ? error.name : typeof error);
    }
    this.span.end();
  }
}
