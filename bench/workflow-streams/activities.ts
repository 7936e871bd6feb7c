/**
 * The baseline's activity: streams a completion from the model and publishes every text delta to
 * the workflow's stream as it arrives, flushing each at once (`forceFlush`: the lowest latency the
 * library offers; its default batches for 2 s).
 */
import { createRequire } from 'node:module';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type OpenAI from 'openai';
import { TOKENS_TOPIC } from './contract';

/** The slice of `@temporalio/workflow-streams/client` used here (loaded from where it was unpacked). */
export interface WfsClient {
  topic<T>(name: string): {
    publish(value: T, options?: { forceFlush?: boolean }): void;
    subscribe(fromOffset?: number, options?: { pollCooldown?: number | string }): AsyncGenerator<{ topic: string; data: T; offset: number }>;
  };
  flush(): Promise<void>;
}

export interface WfsClientModule {
  WorkflowStreamClient: {
    create(client: Client, workflowId: string): WfsClient;
    fromWithinActivity(): WfsClient;
  };
}

export function loadWfsClient(entry: string): WfsClientModule {
  return createRequire(__filename)(entry) as WfsClientModule;
}

/** Stops the client's background flusher after a last drain (the library's `Symbol.asyncDispose`). */
export async function disposeWfsClient(client: WfsClient): Promise<void> {
  const dispose = (Symbol as unknown as { asyncDispose?: symbol }).asyncDispose;
  const method = dispose ? (client as unknown as Record<symbol, (() => Promise<void>) | undefined>)[dispose] : undefined;
  if (method) await method.call(client);
  else await client.flush();
}

export interface StreamActivities {
  streamCompletion(prompt: string): Promise<number>;
}

export function createStreamActivities(deps: { llm: OpenAI; wfs: WfsClientModule; model: string }): StreamActivities {
  return {
    async streamCompletion(prompt) {
      const publisher = deps.wfs.WorkflowStreamClient.fromWithinActivity();
      const tokens = publisher.topic<string>(TOKENS_TOPIC);
      let published = 0;
      try {
        const stream = await deps.llm.chat.completions.create({ model: deps.model, messages: [{ role: 'user', content: prompt }], stream: true });
        for await (const chunk of stream) {
          Context.current().heartbeat();
          const delta = chunk.choices[0]?.delta.content;
          if (!delta) continue;
          tokens.publish(delta, { forceFlush: true });
          published++;
        }
      } finally {
        await disposeWfsClient(publisher);
      }
      return published;
    },
  };
}
