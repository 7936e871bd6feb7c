import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_BOOK, resolveModel, stripDateSuffix, stripProviderPrefixes } from '../../../src/domain/pricing';

const key = (name: string) => resolveModel(DEFAULT_PRICE_BOOK, name)?.key;

describe('resolveModel', () => {
  it('maps dated snapshots to the base model', () => {
    expect(resolveModel(DEFAULT_PRICE_BOOK, 'gpt-4o-2024-08-06')).toEqual({ key: 'gpt-4o', via: 'alias' }); // the source lists this snapshot
    expect(key('gpt-4.1-2025-04-14')).toBe('gpt-4.1');
    expect(key('o3-2025-04-16')).toBe('o3');
    expect(key('claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5');
    expect(key('claude-3-5-haiku-20241022')).toBe('claude-3-5-haiku');
    expect(key('claude-sonnet-4@20250514')).toBe('claude-sonnet-4');
  });

  it('strips gateway provider prefixes', () => {
    expect(resolveModel(DEFAULT_PRICE_BOOK, 'openai/gpt-4.1-mini')).toEqual({ key: 'gpt-4.1-mini', via: 'normalized' });
    expect(key('models/gemini-2.5-pro')).toBe('gemini-2.5-pro');
    expect(key('google/gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(key('google/models/gemini-2.0-flash')).toBe('gemini-2.0-flash');
    expect(key('anthropic/claude-3.7-sonnet')).toBe('claude-3-7-sonnet');
    expect(key('anthropic/claude-sonnet-4.5')).toBe('claude-sonnet-4-5');
    expect(key('OpenAI/GPT-4o-Mini')).toBe('gpt-4o-mini');
  });

  it('prefers an exact name with its own price over the date rule', () => {
    expect(resolveModel(DEFAULT_PRICE_BOOK, 'gpt-4o-2024-05-13')).toEqual({ key: 'gpt-4o-2024-05-13', via: 'exact' });
    expect(resolveModel(DEFAULT_PRICE_BOOK, 'claude-3-5-haiku-latest')).toEqual({ key: 'claude-3-5-haiku', via: 'alias' });
  });

  it('does not guess for unknown names', () => {
    expect(key('gpt-4o-mini-foo')).toBeUndefined();
    expect(key('llama-3.1-70b')).toBeUndefined();
    expect(key('mistral/gpt-4o')).toBeUndefined();
    expect(key('')).toBeUndefined();
  });
});

describe('normalization rules', () => {
  it('strips only calendar-shaped date suffixes', () => {
    expect(stripDateSuffix('gpt-4o-2024-08-06')).toBe('gpt-4o');
    expect(stripDateSuffix('claude-opus-4-20250514')).toBe('claude-opus-4');
    expect(stripDateSuffix('model-12345678')).toBe('model-12345678');
    expect(stripDateSuffix('model-2024-13-01')).toBe('model-2024-13-01');
  });

  it('strips repeated known prefixes only', () => {
    expect(stripProviderPrefixes('google/models/gemini-2.5-pro')).toBe('gemini-2.5-pro');
    expect(stripProviderPrefixes('meta-llama/Llama-3.1-8B')).toBe('meta-llama/Llama-3.1-8B');
  });
});
