/** Notification routing, ids, spend thresholds, channel-secret sealing, link signing and the key's
 * configuration. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import { crossedThresholds, DEFAULT_NOTIFICATION_POLICY, effectivePolicy, incidentNotificationId, routeNotification, spendNotificationId } from '../../../src/domain/ops';
import { NotifyKeys } from '../../../src/domain/ops/notify-crypto';

describe('routing', () => {
  const policy = {
    ...DEFAULT_NOTIFICATION_POLICY,
    routes: [
      { rules: ['burn_spike' as const], severities: [], events: [], channels: ['pager', 'mail'] },
      { rules: [], severities: ['act' as const], events: ['approval_requested' as const], channels: ['mail', 'chat'] },
    ],
    escalation_channels: ['phone'],
  };

  it('takes every matching route, deduplicated; none matching: the default channels', () => {
    expect(routeNotification(policy, { rule: 'burn_spike', severity: 'act', event: 'approval_requested' })).toEqual(['pager', 'mail', 'chat']);
    expect(routeNotification(policy, { rule: 'burn_spike', severity: 'act', event: 'opened' })).toEqual(['pager', 'mail']);
    expect(routeNotification(policy, { rule: 'error_spike', severity: 'warn', event: 'opened' })).toEqual(['log']);
    expect(routeNotification(policy, { rule: 'burn_spike', event: 'approval_escalated', escalation: true })).toEqual(['phone']);
  });

  it('an app overrides part of the default notification policy', () => {
    const effective = effectivePolicy({ notifications: { default_channels: ['mail'] } });
    expect(effective.notifications).toEqual({ ...DEFAULT_NOTIFICATION_POLICY, default_channels: ['mail'] });
  });
});

describe('ids and thresholds', () => {
  it('are stable', () => {
    expect(incidentNotificationId('incident:a:burn_spike:r1', 'escalated', 2)).toBe('incident:a:burn_spike:r1:escalated:2');
    expect(spendNotificationId('a', '2026-12', 0.8)).toBe('spend:a:2026-12:80');
  });

  it('a threshold is reached at its mark', () => {
    expect(crossedThresholds(80, 100, [1, 0.5, 0.8])).toEqual([0.5, 0.8]);
    expect(crossedThresholds(79, 100, [0.5, 0.8])).toEqual([0.5]);
    expect(crossedThresholds(5, null, [0.5])).toEqual([]);
    expect(crossedThresholds(1, 0, [0.5, 1])).toEqual([0.5, 1]);
  });
});

describe('keys', () => {
  const keys = new NotifyKeys('k'.repeat(32));

  it('seal channel secrets (not readable without the key, not the same twice)', () => {
    const sealed = keys.encrypt('hunter2-smtp-password');
    expect(sealed).not.toContain('hunter2');
    expect(keys.encrypt('hunter2-smtp-password')).not.toBe(sealed);
    expect(keys.decrypt(sealed)).toBe('hunter2-smtp-password');
    expect(() => new NotifyKeys('o'.repeat(32)).decrypt(sealed)).toThrow();
  });

  it('sign links that verify only unchanged and only with the key', () => {
    const link = { app_id: 'a', incident_id: 'incident:a:burn_spike:r', decision: 'approve' as const, link_id: 'n:mail', actor: 'email:x@y.z', exp: 2_000_000_000 };
    const token = keys.signLink(link);
    expect(keys.verifyLink(token)).toEqual(link);
    const [payload] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...link, decision: 'reject' })).toString('base64url');
    expect(keys.verifyLink(`${forged}.${token.split('.')[1]}`)).toBeUndefined();
    expect(keys.verifyLink(`${payload}.x`)).toBeUndefined();
    expect(new NotifyKeys('o'.repeat(32)).verifyLink(token)).toBeUndefined();
  });

  it('TESSERA_NOTIFY_KEY is validated and never echoed', () => {
    expect(loadConfig({ TESSERA_NOTIFY_KEY: 'n'.repeat(32) }).TESSERA_NOTIFY_KEY).toBe('n'.repeat(32));
    expect(() => loadConfig({ TESSERA_NOTIFY_KEY: 'short-notify-key' })).toThrow(/TESSERA_NOTIFY_KEY: must be at least 32 characters \(got "\*\*\*"\)/);
  });
});
