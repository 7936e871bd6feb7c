/**
 * The offline model, driven through the real `openai` client: if the client understands it, the
 * runtime will. No assertion here depends on timing.
 */
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfflineModel, type RunningOfflineModel } from '../../src/dev/offline-model';

const MODEL = 'tessera-offline';

function tool(name: string): ChatCompletionTool {
  return { type: 'function', function: { name, description: `the ${name} tool`, parameters: { type: 'object', properties: {} } } };
}

const TOOLS = [tool('calculator'), tool('current_time'), tool('http_get'), tool('lookup_order')];

function ask(content: string, extra: Partial<ChatCompletionCreateParamsNonStreaming> = {}): ChatCompletionCreateParamsNonStreaming {
  return { model: MODEL, messages: [{ role: 'system', content: 'You are helpful.' }, { role: 'user', content }], ...extra };
}

describe('the offline model', () => {
  let model: RunningOfflineModel;
  let client: OpenAI;

  beforeAll(async () => {
    model = await startOfflineModel({ port: 0 });
    client = new OpenAI({ apiKey: 'offline', baseURL: model.url, maxRetries: 0 });
  });

  afterAll(async () => {
    await model?.close();
  });

  it('listens on an ephemeral loopback port with a /v1 base URL', () => {
    expect(model.port).toBeGreaterThan(0);
    expect(model.url).toBe(`http://127.0.0.1:${model.port}/v1`);
  });

  describe('plain completions', () => {
    it('answers the same input with the same content, in OpenAI shape', async () => {
      const first = await client.chat.completions.create(ask('Tell me about durable workflows on Temporal, please.'));
      const second = await client.chat.completions.create(ask('Tell me about durable workflows on Temporal, please.'));
      expect(first.object).toBe('chat.completion');
      expect(first.id).toMatch(/^chatcmpl-/);
      expect(first.id).toBe(second.id);
      expect(first.model).toBe(MODEL);
      const choice = first.choices[0];
      expect(choice?.finish_reason).toBe('stop');
      expect(choice?.message.role).toBe('assistant');
      expect(choice?.message.refusal).toBeNull();
      expect(choice?.message.content).toMatch(/^Offline reply to: Tell me about durable workflows on Temporal, please\./);
      expect(second.choices[0]?.message.content).toBe(choice?.message.content);
    });

    it('answers different input with different content', async () => {
      const a = await client.chat.completions.create(ask('What is a workflow?'));
      const b = await client.chat.completions.create(ask('What is an activity?'));
      expect(a.choices[0]?.message.content).not.toBe(b.choices[0]?.message.content);
    });

    it('reports plausible usage', async () => {
      const short = await client.chat.completions.create(ask('Hi'));
      const long = await client.chat.completions.create(ask('Hi '.repeat(200)));
      const usage = short.usage;
      expect(usage?.prompt_tokens).toBeGreaterThan(5);
      expect(usage?.prompt_tokens).toBeLessThan(40);
      expect(usage?.completion_tokens).toBeGreaterThan(5);
      expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
      expect(usage?.prompt_tokens_details?.cached_tokens).toBe(0);
      expect(usage?.completion_tokens_details?.reasoning_tokens).toBe(0);
      expect(long.usage?.prompt_tokens).toBeGreaterThan((usage?.prompt_tokens ?? 0) + 150);
    });

    it('cuts the answer at max_tokens with finish_reason "length"', async () => {
      const full = await client.chat.completions.create(ask('Explain retries in detail.'));
      const cut = await client.chat.completions.create(ask('Explain retries in detail.', { max_tokens: 5 }));
      const content = cut.choices[0]?.message.content ?? '';
      expect(cut.choices[0]?.finish_reason).toBe('length');
      expect(cut.usage?.completion_tokens).toBeLessThanOrEqual(5);
      expect(content.length).toBeGreaterThan(0);
      expect(full.choices[0]?.message.content?.startsWith(content)).toBe(true);
      const cutNewStyle = await client.chat.completions.create(ask('Explain retries in detail.', { max_completion_tokens: 5 }));
      expect(cutNewStyle.choices[0]?.message.content).toBe(content);
    });

    it('accepts content as an array of text parts', async () => {
      const reply = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Parts work' }] }],
      });
      expect(reply.choices[0]?.message.content).toMatch(/^Offline reply to: Parts work/);
    });
  });

  describe('streaming', () => {
    it('streams deltas that add up to the plain answer, then a usage chunk', async () => {
      const request = ask('Stream me something about event sourcing.');
      const plain = await client.chat.completions.create(request);
      const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);

      expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
      expect(chunks[0]?.choices[0]?.delta).toMatchObject({ role: 'assistant', content: '' });
      const content = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
      expect(content).toBe(plain.choices[0]?.message.content);
      expect(chunks.length).toBeGreaterThan(5);
      const finish = chunks.at(-2);
      expect(finish?.choices[0]?.finish_reason).toBe('stop');
      const last = chunks.at(-1);
      expect(last?.choices).toEqual([]);
      expect(last?.usage).toEqual(plain.usage);
    });

    it('omits the usage chunk unless asked', async () => {
      const stream = await client.chat.completions.create({ ...ask('No usage please.'), stream: true });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
      expect(chunks.some((chunk) => chunk.usage)).toBe(false);
    });

    it('streams tool calls the way the client reassembles them', async () => {
      const request = ask('[[tool:lookup_order {"order_id": "A-17"}]] [[tool:current_time]]', { tools: TOOLS });
      const plain = await client.chat.completions.create(request);
      const streamed = await client.chat.completions.stream({ ...request, stream: true }).finalChatCompletion();
      expect(streamed.choices[0]?.finish_reason).toBe('tool_calls');
      expect(streamed.choices[0]?.message.tool_calls).toEqual(plain.choices[0]?.message.tool_calls);
    });

    it('paces chunks with tokenLatencyMs and still sends the same content', async () => {
      const slow = await startOfflineModel({ tokenLatencyMs: 2 });
      try {
        const slowClient = new OpenAI({ apiKey: 'offline', baseURL: slow.url, maxRetries: 0 });
        const request = ask('Slowly, please.');
        const plain = await client.chat.completions.create(request);
        const stream = await slowClient.chat.completions.create({ ...request, stream: true });
        let content = '';
        for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
        expect(content).toBe(plain.choices[0]?.message.content);
        const slowPlain = await slowClient.chat.completions.create(request);
        expect(slowPlain.choices[0]?.message.content).toBe(plain.choices[0]?.message.content);
      } finally {
        await slow.close();
      }
    });

    it('closes promptly while a stream is still open', async () => {
      // An hour per token: only close() can end this stream.
      const stuck = await startOfflineModel({ tokenLatencyMs: 3_600_000 });
      const stuckClient = new OpenAI({ apiKey: 'offline', baseURL: stuck.url, maxRetries: 0 });
      const stream = await stuckClient.chat.completions.create({ ...ask('Never finishes.'), stream: true });
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.value?.choices[0]?.delta.role).toBe('assistant');
      const rest = iterator.next();
      await stuck.close();
      await expect(rest).rejects.toThrow();
    });
  });

  describe('tool calls', () => {
    it('calls the tool named by a [[tool:NAME {args}]] marker', async () => {
      const reply = await client.chat.completions.create(ask('Where is my order? [[tool:lookup_order {"order_id": "A-17"}]]', { tools: TOOLS }));
      const choice = reply.choices[0];
      expect(choice?.finish_reason).toBe('tool_calls');
      expect(choice?.message.content).toBeNull();
      const call = choice?.message.tool_calls?.[0];
      expect(call?.type).toBe('function');
      expect(call?.id).toMatch(/^call_/);
      if (call?.type !== 'function') throw new Error('expected a function call');
      expect(call.function.name).toBe('lookup_order');
      expect(JSON.parse(call.function.arguments)).toEqual({ order_id: 'A-17' });
      expect(reply.usage?.completion_tokens).toBeGreaterThan(0);
    });

    it('ignores markers for tools that are not offered', async () => {
      const reply = await client.chat.completions.create(ask('[[tool:launch_rockets {}]]', { tools: TOOLS }));
      expect(reply.choices[0]?.finish_reason).toBe('stop');
    });

    it('calls tools on natural triggers', async () => {
      const calc = await client.chat.completions.create(ask('Could you calculate 17 * (3 + 4)?', { tools: TOOLS }));
      const calcCall = calc.choices[0]?.message.tool_calls?.[0];
      if (calcCall?.type !== 'function') throw new Error('expected a function call');
      expect(calcCall.function.name).toBe('calculator');
      expect(JSON.parse(calcCall.function.arguments)).toEqual({ expression: '17 * (3 + 4)' });

      const time = await client.chat.completions.create(ask('What time is it in Paris?', { tools: TOOLS }));
      const timeCall = time.choices[0]?.message.tool_calls?.[0];
      expect(timeCall?.type === 'function' && timeCall.function.name).toBe('current_time');

      const fetchIt = await client.chat.completions.create(ask('Please fetch https://example.com/status.', { tools: TOOLS }));
      const fetchCall = fetchIt.choices[0]?.message.tool_calls?.[0];
      if (fetchCall?.type !== 'function') throw new Error('expected a function call');
      expect(fetchCall.function.name).toBe('http_get');
      expect(JSON.parse(fetchCall.function.arguments)).toEqual({ url: 'https://example.com/status' });
    });

    it('answers in text when the triggered tool is not offered', async () => {
      const reply = await client.chat.completions.create(ask('Please calculate 1 + 1', { tools: [tool('current_time')] }));
      expect(reply.choices[0]?.finish_reason).toBe('stop');
      expect(reply.choices[0]?.message.tool_calls).toBeUndefined();
    });

    it('answers with the tool results once they come back', async () => {
      const question = 'Please calculate 6 * 7';
      const first = await client.chat.completions.create(ask(question, { tools: TOOLS }));
      const assistant = first.choices[0]?.message;
      const call = assistant?.tool_calls?.[0];
      if (!assistant || call?.type !== 'function') throw new Error('expected a function call');
      const final = await client.chat.completions.create({
        model: MODEL,
        tools: TOOLS,
        messages: [
          { role: 'user', content: question },
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: '42' },
        ],
      });
      expect(final.choices[0]?.finish_reason).toBe('stop');
      expect(final.choices[0]?.message.content).toMatch(/^Tool results: calculator: 42\b/);
    });

    it('keeps calling tools under [[loop]]', async () => {
      const question = '[[loop]] keep going';
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: question }];
      for (let step = 0; step < 3; step++) {
        const reply = await client.chat.completions.create({ model: MODEL, tools: TOOLS, messages });
        const call = reply.choices[0]?.message.tool_calls?.[0];
        expect(reply.choices[0]?.finish_reason).toBe('tool_calls');
        if (call?.type !== 'function') throw new Error('expected a function call');
        expect(call.function.name).toBe('calculator');
        messages.push({ role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: `step ${step}` });
      }
    });

    it('follows tool_choice', async () => {
      const none = await client.chat.completions.create(ask('[[tool:lookup_order {"order_id": "A-17"}]]', { tools: TOOLS, tool_choice: 'none' }));
      expect(none.choices[0]?.finish_reason).toBe('stop');

      const forced = await client.chat.completions.create(
        ask('Just chatting.', { tools: TOOLS, tool_choice: { type: 'function', function: { name: 'current_time' } } }),
      );
      const call = forced.choices[0]?.message.tool_calls?.[0];
      expect(call?.type === 'function' && call.function.name).toBe('current_time');
    });
  });

  describe('errors and odd requests', () => {
    it('rejects a malformed body with 400 in OpenAI error shape', async () => {
      const failure = client.post('/chat/completions', { body: { model: MODEL, messages: [{ role: 'wizard', content: 'hi' }] } });
      await expect(failure).rejects.toBeInstanceOf(OpenAI.BadRequestError);
      const error = await failure.catch((caught: unknown) => caught);
      expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'messages[0].role' });

      const missing = await client.post('/chat/completions', { body: { model: MODEL } }).catch((caught: unknown) => caught);
      expect(missing).toBeInstanceOf(OpenAI.BadRequestError);
      expect(missing).toMatchObject({ param: 'messages', code: 'missing_required_parameter' });
    });

    it('answers unknown routes with 404 in OpenAI error shape', async () => {
      const response = await fetch(`${model.url}/engines`, { headers: { authorization: 'Bearer whatever' } });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: { message: expect.stringContaining('/v1/engines'), type: 'invalid_request_error', param: null, code: 'unknown_url' },
      });
    });

    it('lists models and echoes any model id', async () => {
      const models = [];
      for await (const entry of client.models.list()) models.push(entry.id);
      expect(models).toContain('tessera-offline');
      expect((await client.models.retrieve('gpt-4o-mini')).id).toBe('gpt-4o-mini');
    });

    it('fails on demand with x-offline-fail', async () => {
      const failure = client.chat.completions.create(ask('Fail please'), { headers: { 'x-offline-fail': '503' } });
      await expect(failure).rejects.toBeInstanceOf(OpenAI.InternalServerError);
      await expect(failure).rejects.toMatchObject({ status: 503 });
    });

    it('fails only the first n identical requests with ;times=n, so a retry succeeds', async () => {
      const retrying = new OpenAI({ apiKey: 'offline', baseURL: model.url, maxRetries: 2 });
      const reply = await retrying.chat.completions.create(ask('Retry me'), { headers: { 'x-offline-fail': '500;times=1' } });
      expect(reply.choices[0]?.message.content).toMatch(/^Offline reply to: Retry me/);
    });

    it('drops a stream half-way with x-offline-fail: midstream', async () => {
      const stream = await client.chat.completions.create({ ...ask('Cut me off'), stream: true }, { headers: { 'x-offline-fail': 'midstream' } });
      const received: string[] = [];
      const read = async () => {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
      };
      await expect(read()).rejects.toThrow();
      expect(received.length).toBeGreaterThan(0);
    });
  });

  describe('random faults', () => {
    // A scripted source of randomness: each draw takes the next value.
    const scripted = (...values: number[]) => () => values.shift() ?? 0.99;

    it('fails a drawn completion with 500, or drops its stream half-way', async () => {
      model.setFaults({ failRate: 0.2, random: scripted(0.1, 0.2, 0.1, 0.7) });
      try {
        await expect(client.chat.completions.create(ask('Random 500'))).rejects.toMatchObject({ status: 500 });
        const stream = await client.chat.completions.create({ ...ask('Random cut'), stream: true });
        const read = async () => {
          for await (const chunk of stream) void chunk;
        };
        await expect(read()).rejects.toThrow();
        // The next draw (0.99) serves normally.
        const reply = await client.chat.completions.create(ask('Random fine'));
        expect(reply.choices[0]?.message.content).toMatch(/^Offline reply to: Random fine/);
        expect(model.faultsInjected).toMatchObject({ status: 1, midstream: 1 });
      } finally {
        model.setFaults(undefined);
      }
    });

    it('stalls a drawn stream half-way, then sends the rest', async () => {
      model.setFaults({ failRate: 0, stallRate: 0.5, stallMs: 300, random: scripted(0.9, 0.1) });
      try {
        const stream = await client.chat.completions.create({ ...ask('Stall me'), stream: true });
        const arrivals: number[] = [];
        let text = '';
        for await (const chunk of stream) {
          arrivals.push(performance.now());
          text += chunk.choices[0]?.delta.content ?? '';
        }
        const plain = await client.chat.completions.create(ask('Stall me'));
        expect(text).toBe(plain.choices[0]?.message.content);
        // One gap between chunks holds the stall (a lower bound, never an upper one).
        const gaps = arrivals.slice(1).map((at, index) => at - (arrivals[index] ?? at));
        expect(Math.max(...gaps)).toBeGreaterThanOrEqual(250);
      } finally {
        model.setFaults(undefined);
      }
    });

    it('refuses a rate outside 0–1', () => {
      expect(() => model.setFaults({ failRate: 1.5 })).toThrow(/failRate must be between 0 and 1/);
    });
  });
});
