import { describe, expect, it } from 'vitest';
import {
  PRICE_TABLE_VERSION,
  PriceOverrideError,
  buildPriceBook,
  computeCost,
  parsePriceOverrides,
} from '../../../src/domain/pricing';

const selfHosted = {
  entries: [
    {
      provider: 'self-hosted',
      model: 'llama-3.3-70b-instruct',
      effective_from: '2026-01-01',
      input: '0.0005',
      output: 0.0015,
      aliases: ['meta-llama/Llama-3.3-70B-Instruct'],
    },
  ],
};

function thrown(json: unknown): PriceOverrideError {
  try {
    parsePriceOverrides(json);
  } catch (error) {
    if (error instanceof PriceOverrideError) return error;
    throw error;
  }
  throw new Error('expected parsePriceOverrides to throw');
}

describe('price overrides', () => {
  it('adds a self-hosted model and records a hash of the overrides in the version', () => {
    const book = buildPriceBook(parsePriceOverrides(selfHosted));
    expect(book.version).toMatch(new RegExp(`^${PRICE_TABLE_VERSION.replace(/\./g, '\\.')}\\+ovr\\.[0-9a-f]{12}$`));
    const result = computeCost(book, {
      model: 'meta-llama/Llama-3.3-70B-Instruct',
      at: '2026-03-01',
      usage: { input_tokens: 3, output_tokens: 1 },
    });
    // Half a nano per input token, 1.5 per output token: rounded half-up per component.
    expect(result).toMatchObject({
      priced: true,
      model_key: 'llama-3.3-70b-instruct',
      provider: 'self-hosted',
      price_table_version: book.version,
      cost_nanos: { input: 2, cached_input: 0, cache_write: 0, output: 2, total: 4 },
    });
    // Built-in models are still there.
    expect(computeCost(book, { model: 'gpt-4o', at: '2026-03-01', usage: { input_tokens: 1, output_tokens: 0 } }).priced).toBe(true);
  });

  it('accepts a bare array and hashes by meaning, not by spelling or order', () => {
    const a = buildPriceBook(parsePriceOverrides([
      { provider: 'x', model: 'a', effective_from: '2026-01-01', input: '2.5', output: 1 },
      { provider: 'x', model: 'b', effective_from: '2026-01-01', input: 1, output: 1 },
    ]));
    const b = buildPriceBook(parsePriceOverrides({
      entries: [
        { provider: 'x', model: 'b', effective_from: '2026-01-01', input: '1.00', output: '1' },
        { provider: 'x', model: 'a', effective_from: '2026-01-01', input: 2.5, output: '1.0', note: 'notes do not change prices' },
      ],
    }));
    const c = buildPriceBook(parsePriceOverrides([{ provider: 'x', model: 'a', effective_from: '2026-01-01', input: '2.6', output: 1 }]));
    expect(a.version).toBe(b.version);
    expect(c.version).not.toBe(a.version);
    expect(buildPriceBook([]).version).toBe(PRICE_TABLE_VERSION);
    expect(buildPriceBook().version).toBe(PRICE_TABLE_VERSION);
  });

  it('wins over the built-in entry for the same model and date, and a later date supersedes it', () => {
    const book = buildPriceBook(parsePriceOverrides([
      { provider: 'openai', model: 'o3', effective_from: '2025-06-10', input: '1', output: '4' },
      { provider: 'azure', model: 'gpt-4o', effective_from: '2026-02-01', input: '2', cached_input: '1', output: '8' },
    ]));
    const usage = { input_tokens: 1_000_000, output_tokens: 1_000_000 };
    expect(computeCost(book, { model: 'o3', at: '2025-08-01', usage })).toMatchObject({ cost_nanos: { total: 5_000_000_000 } });
    expect(computeCost(book, { model: 'o3', at: '2025-05-01', usage })).toMatchObject({ cost_nanos: { total: 50_000_000_000 } });
    expect(computeCost(book, { model: 'gpt-4o', at: '2026-01-31', usage })).toMatchObject({ provider: 'openai', cost_nanos: { total: 12_500_000_000 } });
    expect(computeCost(book, { model: 'gpt-4o', at: '2026-02-01', usage })).toMatchObject({ provider: 'azure', cost_nanos: { total: 10_000_000_000 } });
    expect(book.prices.get('o3')).toHaveLength(2);
  });

  it('names the field path of a bad override', () => {
    const bad = thrown({
      entries: [
        { provider: 'self-hosted', model: 'ok', effective_from: '2026-01-01', input: '1', output: '1' },
        {
          provider: 'self-hosted',
          model: 'qwen',
          effective_from: '2026-02-30',
          input: 'free',
          output: '1',
          tiers: [{ name: 'long', above_input_tokens: -1, input: '1', output: '1' }],
        },
      ],
    });
    const paths = bad.issues.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['entries[1].effective_from', 'entries[1].input', 'entries[1].tiers[0].above_input_tokens']));
    expect(bad.message).toContain('entries[1].input');
    expect(bad.message).toMatch(/not a decimal USD amount: 'free'/);

    expect(thrown([{ provider: 'x', model: 'm', effective_from: '2026-01-01', input: '1', ouptut: '1' }]).message).toMatch(/\[0\].*ouptut/);
    expect(thrown([{ provider: 'x', model: 'm', effective_from: '2026-01-01', input: '-1', output: '1e-12' }]).issues.map((i) => i.path)).toEqual([
      '[0].input',
      '[0].output',
    ]);
    expect(thrown([{ provider: 'x', model: 'm', effective_from: '2026-01-01', input: '5000', output: '1' }]).message).toMatch(/above \$1000/);
    expect(thrown('nope').issues[0]?.path).toBe('(root)');
    expect(thrown({ entries: [], extra: true }).message).toMatch(/extra/);
  });

  it('rejects duplicate dates and ambiguous aliases within the overrides', () => {
    const dup = thrown([
      { provider: 'x', model: 'm', effective_from: '2026-01-01', input: '1', output: '1' },
      { provider: 'x', model: 'm', effective_from: '2026-01-01', input: '2', output: '2' },
    ]);
    expect(dup.issues.map((i) => i.path)).toEqual(['[1].effective_from']);
    const alias = thrown([
      { provider: 'x', model: 'm', effective_from: '2026-01-01', input: '1', output: '1', aliases: ['shared'] },
      { provider: 'x', model: 'n', effective_from: '2026-01-01', input: '1', output: '1', aliases: ['shared'] },
    ]);
    expect(alias.issues.map((i) => i.path)).toEqual(['[1].aliases[0]']);
    const tiers = thrown([
      {
        provider: 'x',
        model: 'm',
        effective_from: '2026-01-01',
        input: '1',
        output: '1',
        tiers: [
          { name: 'a', above_input_tokens: 100, input: '2', output: '2' },
          { name: 'standard', above_input_tokens: 50, input: '3', output: '3' },
        ],
      },
    ]);
    expect(tiers.issues.map((i) => i.path).sort()).toEqual(['[0].tiers[1].above_input_tokens', '[0].tiers[1].name']);
  });

  it('revalidates hand-built entries passed straight to buildPriceBook', () => {
    expect(() => buildPriceBook([{ provider: 'x', model: 'm', effective_from: 'soon', input: '1', output: '1' }])).toThrow(PriceOverrideError);
  });
});
