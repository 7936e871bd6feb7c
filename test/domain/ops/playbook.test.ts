import { describe, expect, it } from 'vitest';
import { effectivePolicy, parseSuggestion, planPlaybook, plainSummary, promotedAutonomy, type Finding } from '../../../src/domain/ops';

const finding: Finding = {
  rule: 'burn_spike',
  app_id: 'a',
  severity: 'act',
  summary: 'a burns a lot',
  evidence: { factor: 9 },
  proposed_action: 'throttle',
};

describe('promotion', () => {
  it.each([
    { decisions: ['approved', 'approved', 'approved'], after: 3, promoted: true },
    { decisions: ['approved', 'approved'], after: 3, promoted: false },
    { decisions: ['approved', 'rejected', 'approved', 'approved'], after: 3, promoted: false },
    { decisions: ['rejected', 'approved', 'approved', 'approved'], after: 3, promoted: true },
    { decisions: ['approved', 'approved', 'timed_out'], after: 3, promoted: false },
    { decisions: ['approved', 'approved', 'approved'], after: null, promoted: false },
  ] as const)('$decisions with N=$after → promoted $promoted', ({ decisions, after, promoted }) => {
    expect(promotedAutonomy('approval', decisions, after)).toEqual({ autonomy: promoted ? 'automatic' : 'approval', promoted });
  });

  it('only rules in approval are promoted', () => {
    expect(promotedAutonomy('shadow', ['approved', 'approved', 'approved'], 3)).toEqual({ autonomy: 'shadow', promoted: false });
  });
});

describe('plan', () => {
  it('an action the policy does not allow becomes notify', () => {
    const plan = planPlaybook(finding, effectivePolicy({ allowed_actions: ['notify', 'pause'] }), []);
    expect(plan).toMatchObject({ action: 'notify', autonomy: 'approval' });
  });

  it('with nothing allowed the rule only records (shadow)', () => {
    const plan = planPlaybook(finding, effectivePolicy({ allowed_actions: [] }), []);
    expect(plan.autonomy).toBe('shadow');
  });

  it('the plain summary names the evidence and what the playbook does', () => {
    const plan = planPlaybook(finding, effectivePolicy(), ['approved', 'approved', 'approved']);
    expect(plan.promoted).toBe(true);
    expect(plainSummary(finding, plan)).toMatch(/factor=9.*throttle applied automatically \(promoted/);
  });
});

describe('LLM suggestion', () => {
  it.each([
    { text: 'Summary: ... Suggested playbook: throttle', out: 'throttle' },
    { text: 'suggested_playbook=pause', out: 'pause' },
    { text: 'Suggested playbook: scale_up', out: undefined },
    { text: 'Suggested playbook: pause', allowed: ['throttle'], out: undefined },
    { text: 'just throttle it', out: undefined },
  ])('$text → $out', ({ text, allowed, out }) => {
    expect(parseSuggestion(text, (allowed as never) ?? ['throttle', 'pause', 'notify'])).toBe(out);
  });
});
