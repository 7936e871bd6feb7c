import { describe, expect, it } from 'vitest';
import { chatTemplateSchema, isTemplateName, ON_BUSY_MODES, parseChatTemplate, TOOL_NAMES } from '../../src/domain/templates';

const minimal = { name: 'demo', system_prompt: 'Be helpful.', model: 'gpt-4.1-mini', max_output_tokens: 512 };

describe('chatTemplateSchema', () => {
  it('fills in defaults', () => {
    expect(chatTemplateSchema.parse(minimal)).toEqual({
      ...minimal,
      temperature: 0.7,
      tools: [],
      max_tool_steps: 4,
      inactivity_timeout_seconds: 1800,
      turn_token_budget: 50_000,
      max_input_chars: 8000,
      on_busy: 'enqueue',
    });
  });

  it('exports the known tools and busy modes', () => {
    expect(TOOL_NAMES).toEqual(['current_time', 'calculator', 'http_get']);
    expect(ON_BUSY_MODES).toEqual(['enqueue', 'reject', 'interrupt', 'rollback']);
  });

  it.each([
    ['temperature', 2.5],
    ['temperature', -0.1],
    ['max_output_tokens', 0],
    ['max_output_tokens', 32_769],
    ['max_output_tokens', 10.5],
    ['max_tool_steps', 21],
    ['inactivity_timeout_seconds', 59],
    ['inactivity_timeout_seconds', 604_801],
    ['turn_token_budget', 0],
    ['max_input_chars', 100_001],
    ['on_busy', 'drop'],
    ['tools', ['shell']],
    ['tools', ['calculator', 'calculator']],
    ['system_prompt', '   '],
    ['model', ''],
    ['name', 'Demo'],
    ['name', '../etc'],
  ])('rejects %s = %j', (field, value) => {
    const result = parseChatTemplate({ ...minimal, [field]: value });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path)[0]).toMatch(new RegExp(`^${field}`));
  });

  it('requires the fields without defaults', () => {
    const result = parseChatTemplate({ name: 'demo' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path).sort()).toEqual(['max_output_tokens', 'model', 'system_prompt']);
  });

  it('names unknown fields', () => {
    const result = parseChatTemplate({ ...minimal, max_tokens: 10, extra: true });
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: 'max_tokens', message: 'unknown field' },
        { path: 'extra', message: 'unknown field' },
      ],
    });
  });

  it('names the array index of a bad tool', () => {
    const result = parseChatTemplate({ ...minimal, tools: ['calculator', 'shell'] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.path).toBe('tools[1]');
  });

  it('requires the name to equal the directory name when given', () => {
    expect(parseChatTemplate(minimal, 'demo').ok).toBe(true);
    expect(parseChatTemplate(minimal, 'other')).toEqual({
      ok: false,
      issues: [{ path: 'name', message: "must equal the directory name 'other' (got 'demo')" }],
    });
  });

  it('rejects a document that is not an object', () => {
    expect(parseChatTemplate([])).toMatchObject({ ok: false, issues: [{ path: '(root)' }] });
  });
});

describe('isTemplateName', () => {
  it('accepts lowercase slugs only', () => {
    for (const name of ['assistant', 'researcher', 'a', 'code-review-2']) expect(isTemplateName(name)).toBe(true);
    for (const name of ['', 'Assistant', '../x', 'a/b', '.', '..', 'a_b', '-a', 'a-', 'a--b', 'a b', 'a'.repeat(65)]) {
      expect(isTemplateName(name)).toBe(false);
    }
  });
});
