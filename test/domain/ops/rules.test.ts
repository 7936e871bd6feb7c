import { describe, expect, it } from 'vitest';
import {
  budget,
  burnSpike,
  DEFAULT_OPS_POLICY,
  effectivePolicy,
  emptyWindow,
  errorSpike,
  evaluate,
  noisyTenant,
  opsPolicySchema,
  type AppSample,
  type OpsPolicy,
} from '../../../src/domain/ops';

const policy: OpsPolicy = effectivePolicy({
  monthly_budget_usd: 10,
  rules: {
    noisy_tenant: { share: 0.5, min_active_runs: 4, consecutive_samples: 2 },
    error_spike: { error_rate: 0.2, min_turns: 10 },
    burn_spike: { factor: 3, min_tokens: 1000 },
    budget: { warn_ratio: 0.8 },
  },
});

function app(over: Partial<AppSample> = {}): AppSample {
  return {
    app_id: 'a',
    active_runs: 0,
    window: emptyWindow(),
    window_minutes: 5,
    baseline: emptyWindow(),
    baseline_minutes: 60,
    month_cost_nanos: 0,
    budget_nanos: 10_000_000_000,
    ...over,
  };
}

describe('noisy tenant', () => {
  it.each([
    // active, total, streak before, finding?, streak after
    { name: 'over the share for the second sample', active: 6, total: 10, before: 1, fires: true, after: 2 },
    { name: 'over the share, first sample only', active: 6, total: 10, before: 0, fires: false, after: 1 },
    { name: 'exactly at the share', active: 5, total: 10, before: 5, fires: false, after: 0 },
    { name: 'whole share but below the minimum runs', active: 3, total: 3, before: 5, fires: false, after: 0 },
    { name: 'at the minimum runs and over the share', active: 4, total: 4, before: 1, fires: true, after: 2 },
    { name: 'nothing running anywhere', active: 0, total: 0, before: 3, fires: false, after: 0 },
  ])('$name', ({ active, total, before, fires, after }) => {
    const result = noisyTenant(app({ active_runs: active }), total, policy, before);
    expect(result.streak).toBe(after);
    expect(result.finding !== undefined).toBe(fires);
    if (fires) {
      expect(result.finding).toMatchObject({
        rule: 'noisy_tenant',
        severity: 'act',
        proposed_action: 'throttle',
        evidence: { active_runs: active, total_active_runs: total, consecutive_samples: after },
      });
    }
  });

  it('a disabled rule never fires and keeps no streak', () => {
    const off = effectivePolicy({ rules: { noisy_tenant: { enabled: false } } });
    expect(noisyTenant(app({ active_runs: 100 }), 100, off, 10)).toEqual({ streak: 0 });
  });
});

describe('error spike', () => {
  it.each([
    { name: 'over the rate with volume', turns: 10, errors: 3, fires: true },
    { name: 'exactly at the rate', turns: 10, errors: 2, fires: false },
    { name: 'every turn failed but below the minimum volume', turns: 9, errors: 9, fires: false },
    { name: 'no turns at all', turns: 0, errors: 0, fires: false },
    { name: 'at the minimum volume, all failed', turns: 10, errors: 10, fires: true },
  ])('$name', ({ turns, errors, fires }) => {
    const finding = errorSpike(app({ window: { ...emptyWindow(), turns, errors } }), policy);
    expect(finding !== undefined).toBe(fires);
    if (finding) expect(finding).toMatchObject({ rule: 'error_spike', proposed_action: 'pause', evidence: { errors, turns } });
  });
});

describe('burn spike', () => {
  const tokens = (input: number) => ({ ...emptyWindow(), input_tokens: input });
  it.each([
    // window 5 min, baseline 60 min: baseline 6000 tokens = 100/min; 3x = 300/min = 1500 per window
    { name: 'above 3x the baseline', window: 1501, baseline: 6000, fires: true },
    { name: 'exactly 3x the baseline', window: 1500, baseline: 6000, fires: false },
    { name: 'a new app with no baseline', window: 50_000, baseline: 0, fires: false },
    { name: 'far above the baseline but below the minimum tokens', window: 999, baseline: 60, fires: false },
    { name: 'at the minimum tokens and above the baseline', window: 1000, baseline: 60, fires: true },
  ])('$name', ({ window, baseline, fires }) => {
    const finding = burnSpike(app({ window: tokens(window), baseline: tokens(baseline) }), policy);
    expect(finding !== undefined).toBe(fires);
    if (finding) expect(finding).toMatchObject({ rule: 'burn_spike', proposed_action: 'throttle' });
  });

  it('a baseline of zero minutes is no baseline', () => {
    expect(burnSpike(app({ window: tokens(50_000), baseline: tokens(10), baseline_minutes: 0 }), policy)).toBeUndefined();
  });
});

describe('budget', () => {
  it.each([
    { name: 'below the warning mark', spent: 7_999_999_999, severity: undefined },
    { name: 'exactly at 80%', spent: 8_000_000_000, severity: 'warn' },
    { name: 'between the marks', spent: 9_999_999_999, severity: 'warn' },
    { name: 'exactly at 100%', spent: 10_000_000_000, severity: 'act' },
    { name: 'past the budget', spent: 12_000_000_000, severity: 'act' },
  ])('$name', ({ spent, severity }) => {
    const finding = budget(app({ month_cost_nanos: spent }), policy);
    expect(finding?.severity).toBe(severity);
    if (finding?.severity === 'warn') expect(finding.proposed_action).toBe('notify');
  });

  it('no budget, no finding; a zero budget is exhausted by any spend', () => {
    expect(budget(app({ budget_nanos: null, month_cost_nanos: 1e12 }), policy)).toBeUndefined();
    expect(budget(app({ budget_nanos: 0, month_cost_nanos: 1 }), policy)?.severity).toBe('act');
  });
});

describe('evaluate', () => {
  it('runs every rule for every app and carries the noisy streaks', () => {
    const snapshot = {
      at: '2026-01-01T00:00:00Z',
      total_active_runs: 12,
      apps: [
        app({ app_id: 'noisy', active_runs: 10 }),
        app({ app_id: 'quiet', active_runs: 2, window: { ...emptyWindow(), turns: 20, errors: 10 } }),
      ],
    };
    const first = evaluate(snapshot, () => policy, {});
    expect(first.streaks).toEqual({ noisy: 1 });
    expect(first.findings.map((f) => `${f.app_id}:${f.rule}`)).toEqual(['quiet:error_spike']);
    const second = evaluate(snapshot, () => policy, first.streaks);
    expect(second.findings.map((f) => `${f.app_id}:${f.rule}`).sort()).toEqual(['noisy:noisy_tenant', 'quiet:error_spike']);
  });

  it('the default policy is valid against its own schema', () => {
    expect(opsPolicySchema.parse(DEFAULT_OPS_POLICY)).toEqual(DEFAULT_OPS_POLICY);
  });
});
