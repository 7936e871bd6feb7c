import { describe, expect, it } from 'vitest';
import { TOOL_NAMES } from '../../../src/domain/templates';
import {
  isToolName,
  MAX_TOOL_ARGUMENTS_CHARS,
  parseToolArguments,
  TOOL_DEFINITIONS,
  toolArgumentSchemas,
} from '../../../src/domain/tools/definitions';

describe('TOOL_DEFINITIONS', () => {
  it('defines every known tool under its own name', () => {
    expect(Object.keys(TOOL_DEFINITIONS).sort()).toEqual([...TOOL_NAMES].sort());
    for (const name of TOOL_NAMES) {
      const definition = TOOL_DEFINITIONS[name];
      expect(definition.type).toBe('function');
      expect(definition.function.name).toBe(name);
      expect(definition.function.description.length).toBeGreaterThan(10);
      expect(definition.function.parameters).toMatchObject({ type: 'object', additionalProperties: false });
    }
  });

  it('describes the same arguments as the zod schemas', () => {
    for (const name of TOOL_NAMES) {
      const { properties, required } = TOOL_DEFINITIONS[name].function.parameters;
      const shape = toolArgumentSchemas[name].shape;
      expect(Object.keys(properties).sort()).toEqual(Object.keys(shape).sort());
      const requiredInZod = Object.entries(shape)
        .filter(([, schema]) => !schema.safeParse(undefined).success)
        .map(([key]) => key);
      expect([...required].sort()).toEqual(requiredInZod.sort());
    }
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(TOOL_DEFINITIONS))).toEqual(TOOL_DEFINITIONS);
  });
});

describe('parseToolArguments', () => {
  it('parses valid arguments', () => {
    expect(parseToolArguments('calculator', '{"expression":"1 + 2"}')).toEqual({ ok: true, name: 'calculator', args: { expression: '1 + 2' } });
    expect(parseToolArguments('http_get', '{"url":"https://example.com/a?b=1"}')).toEqual({
      ok: true,
      name: 'http_get',
      args: { url: 'https://example.com/a?b=1' },
    });
    expect(parseToolArguments('current_time', '{"timezone":"Europe/Paris"}')).toEqual({
      ok: true,
      name: 'current_time',
      args: { timezone: 'Europe/Paris' },
    });
    expect(parseToolArguments('current_time', '{"timezone":"UTC"}').ok).toBe(true);
  });

  it('treats empty argument text as no arguments', () => {
    expect(parseToolArguments('current_time', '')).toEqual({ ok: true, name: 'current_time', args: {} });
    expect(parseToolArguments('current_time', '  ')).toEqual({ ok: true, name: 'current_time', args: {} });
    expect(parseToolArguments('current_time', '{}')).toEqual({ ok: true, name: 'current_time', args: {} });
  });

  it('narrows args by name for a name known only at run time', () => {
    const name: string = 'calculator';
    const result = parseToolArguments(name, '{"expression":"2"}');
    if (result.ok && result.name === 'calculator') expect(result.args.expression).toBe('2');
    else throw new Error('expected calculator arguments');
  });

  it.each([
    ['calculator', '{"expression":', 'not valid JSON'],
    ['calculator', 'expression=1+2', 'not valid JSON'],
    ['calculator', '{}', 'expression:'],
    ['calculator', '{"expression":""}', 'expression:'],
    ['calculator', '{"expression":42}', 'expression:'],
    ['calculator', '{"expression":"1","extra":true}', 'extra: unknown argument'],
    ['calculator', '[]', '(arguments): Invalid input: expected object'],
    ['calculator', 'null', '(arguments)'],
    ['calculator', `{"expression":"${'1+'.repeat(300)}1"}`, 'expression:'],
    ['current_time', '{"timezone":"Mars/Olympus_Mons"}', 'IANA time zone'],
    ['current_time', '{"timezone":""}', 'timezone:'],
    ['http_get', '{"url":"ftp://example.com/"}', 'http(s) URL'],
    ['http_get', '{"url":"/relative"}', 'http(s) URL'],
    ['http_get', '{"url":"javascript:alert(1)"}', 'http(s) URL'],
    ['http_get', `{"url":"https://example.com/${'a'.repeat(3000)}"}`, 'url:'],
    ['shell', '{"command":"rm -rf /"}', "unknown tool 'shell'"],
    ['__proto__', '{}', 'unknown tool'],
  ])('%s %s is an error result mentioning %j', (name, json, message) => {
    const result = parseToolArguments(name, json);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it('refuses oversized argument text without parsing it', () => {
    const result = parseToolArguments('calculator', `{"expression":"${' '.repeat(MAX_TOOL_ARGUMENTS_CHARS)}"}`);
    expect(result).toEqual({ ok: false, error: `arguments for calculator are longer than ${MAX_TOOL_ARGUMENTS_CHARS} characters` });
  });

  it('never throws', () => {
    for (const json of ['{', '"', '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{}}', '1e999', 'undefined']) {
      for (const name of [...TOOL_NAMES, 'nope']) expect(() => parseToolArguments(name, json)).not.toThrow();
    }
    expect(parseToolArguments('calculator', '{"__proto__":{"expression":"1"}}').ok).toBe(false);
  });
});

describe('isToolName', () => {
  it('knows exactly the tool names', () => {
    for (const name of TOOL_NAMES) expect(isToolName(name)).toBe(true);
    for (const name of ['', 'shell', 'Calculator', 'toString', 'constructor']) expect(isToolName(name)).toBe(false);
  });
});
