/** The offline model's markers for exact text: `[[reply "..."]]` and `[[tool:NAME "..."]]`. */
import { expect, it } from 'vitest';
import { scriptedReply } from '../../src/dev/offline-model/reply';
import { parseToolMarkers } from '../../src/dev/offline-model/tools';

it('answers exactly the value of a [[reply "json string"]] marker, escapes decoded', () => {
  expect(scriptedReply('say [[reply "a\\u0000b \\"quoted\\""]] please')).toBe('a\u0000b "quoted"');
  expect(scriptedReply('no marker here')).toBeUndefined();
  expect(scriptedReply('[[reply "unterminated]]')).toBeUndefined();
  expect(scriptedReply('[[reply "not closed" ]')).toBeUndefined();
});

it('passes the value of a [[tool:NAME "json string"]] marker as the arguments, exactly', () => {
  const text = '[[tool:calculator "{\\"expression\\":\\"1\\u0000\\"}"]] [[tool:current_time {"timezone": "UTC"}]]';
  expect(parseToolMarkers(text)).toEqual([
    { name: 'calculator', arguments: '{"expression":"1\u0000"}' },
    { name: 'current_time', arguments: '{"timezone":"UTC"}' },
  ]);
  expect(parseToolMarkers('[[tool:calculator "broken]]')).toEqual([]);
});
