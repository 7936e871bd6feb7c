import { expect, it } from 'vitest';
import { buildLlmMessages } from '../../../src/activities/chat/llm-messages';
import type { ChatMessageDoc } from '../../../src/stores/documents';

let seq = 0;
const base = { app_id: 'acme', chat_id: 'c1', turn_id: 't1', status: 'complete' as const, created_at: new Date(0) };
const user = (content: string): ChatMessageDoc => ({ ...base, message_id: `m${++seq}`, seq, role: 'user', content });
const assistant = (content: string, calls: string[] = []): ChatMessageDoc => ({
  ...base,
  message_id: `m${++seq}`,
  seq,
  role: 'assistant',
  content,
  ...(calls.length > 0 ? { tool_calls: calls.map((id) => ({ id, name: 'calculator', arguments: '{"expression":"1+1"}' })) } : {}),
});
const tool = (callId: string, content: string): ChatMessageDoc => ({
  ...base,
  message_id: `m${++seq}`,
  seq,
  role: 'tool',
  content,
  tool_call_id: callId,
  name: 'calculator',
});

it('puts the system prompt first and keeps answered tool calls with their results', () => {
  const messages = buildLlmMessages('Be brief.', [user('hi'), assistant('', ['a', 'b']), tool('a', '2'), tool('b', '2'), assistant('Both are 2.')]);
  expect(messages).toEqual([
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hi' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'a', type: 'function', function: { name: 'calculator', arguments: '{"expression":"1+1"}' } },
        { id: 'b', type: 'function', function: { name: 'calculator', arguments: '{"expression":"1+1"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'a', content: '2' },
    { role: 'tool', tool_call_id: 'b', content: '2' },
    { role: 'assistant', content: 'Both are 2.' },
  ]);
});

it('drops a tool call whose results are missing (an interrupted turn), and orphaned results', () => {
  const messages = buildLlmMessages('Be brief.', [
    tool('z', 'orphan from a cut-off window'),
    user('first'),
    assistant('', ['a', 'b']),
    tool('a', '2'),
    user('second'),
    assistant('Sure.'),
  ]);
  expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'user', 'assistant']);
});
