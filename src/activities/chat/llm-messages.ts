/**
 * Turns a stored transcript into Chat Completions messages. Providers reject a conversation whose
 * tool calls are not answered right after they were made (an interrupted turn can leave such a
 * gap), so an assistant message with tool calls goes in only together with all of its results,
 * and a tool result goes in only right after the call it answers.
 */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ChatMessageDoc } from '../../stores/documents';

export function buildLlmMessages(systemPrompt: string, transcript: readonly ChatMessageDoc[]): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [{ role: 'system', content: systemPrompt }];
  for (let i = 0; i < transcript.length; i++) {
    const message = transcript[i];
    if (!message) continue;
    if (message.role === 'user') {
      messages.push({ role: 'user', content: message.content });
      continue;
    }
    if (message.role === 'tool') continue; // reached only when orphaned: answered calls are consumed below
    const calls = message.tool_calls ?? [];
    if (calls.length === 0) {
      messages.push({ role: 'assistant', content: message.content });
      continue;
    }
    // The tool results that directly follow this message.
    const results: ChatMessageDoc[] = [];
    while (transcript[i + 1]?.role === 'tool') {
      const next = transcript[i + 1];
      if (next) results.push(next);
      i++;
    }
    const answered = new Map(results.map((result) => [result.tool_call_id, result]));
    if (!calls.every((call) => answered.has(call.id))) continue;
    messages.push({
      role: 'assistant',
      content: message.content === '' ? null : message.content,
      tool_calls: calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
    });
    for (const call of calls) {
      messages.push({ role: 'tool', tool_call_id: call.id, content: answered.get(call.id)?.content ?? '' });
    }
  }
  return messages;
}
