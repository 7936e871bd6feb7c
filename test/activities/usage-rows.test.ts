import { describe, expect, it } from 'vitest';
import { pseudonymizer } from '../../src/activities/analytics/pseudonym';
import { USAGE_ROW_COLUMNS, usageRowMapper } from '../../src/activities/analytics/usage-rows';
import { buildPriceBook } from '../../src/domain/pricing';

describe('usage rows', () => {
  it('the ETL writes every column the mapper fills, and only those (a column left out of the list would be lost)', () => {
    const toRow = usageRowMapper({ pseudonymize: pseudonymizer('test-pseudonym-key-0123456789abcdef'), book: buildPriceBook(), reprice: false });
    const row = toRow({
      event_id: 'llm:a:c1:t1:0',
      app_id: 'a',
      chat_id: 'c1',
      user_id: 'u1',
      turn_id: 't1',
      step: 0,
      template: 'assistant',
      provider: 'openai',
      model: 'gpt-4.1-mini',
      input_tokens: 10,
      cached_input_tokens: 0,
      output_tokens: 5,
      cost_nanos: 100,
      priced: true,
      price_table_version: 'v1',
      latency_ms: 12,
      ttft_ms: 3,
      status: 'error',
      error_type: 'llm_timeout',
      ts: new Date('2026-05-01T10:00:00.000Z'),
    });
    expect(Object.keys(row).sort()).toEqual([...USAGE_ROW_COLUMNS].sort());
    expect(USAGE_ROW_COLUMNS.map((column) => row[column])).toContain('llm_timeout');
  });
});
