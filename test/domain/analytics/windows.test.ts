import { describe, expect, it } from 'vitest';
import { dayWindow, daysTouched, hoursOf, previousDay, previousHour, RETENTION_DAYS, retentionCutoff, splitByDays } from '../../../src/domain/analytics';

const t = (iso: string) => Date.parse(iso);

describe('analytics windows', () => {
  it('a run at :05 collects the hour before; a run at 00:30 rolls up the day before', () => {
    expect(previousHour(t('2026-11-22T10:05:00Z'))).toEqual({ from: t('2026-11-22T09:00:00Z'), to: t('2026-11-22T10:00:00Z') });
    expect(previousHour(t('2026-11-22T00:05:00Z'))).toEqual({ from: t('2026-11-21T23:00:00Z'), to: t('2026-11-22T00:00:00Z') });
    expect(previousDay(t('2026-11-22T00:30:00Z'))).toBe('2026-11-21');
    expect(previousDay(t('2026-03-01T00:30:00Z'))).toBe('2026-02-28');
    expect(dayWindow('2026-11-21')).toEqual({ from: t('2026-11-21T00:00:00Z'), to: t('2026-11-22T00:00:00Z') });
    expect(() => dayWindow('2026-13-01')).toThrow(RangeError);
  });

  it('splits a range into whole days and the partial ends', () => {
    expect(splitByDays({ from: t('2026-01-01T18:00:00Z'), to: t('2026-01-04T06:00:00Z') })).toEqual({
      days: ['2026-01-02', '2026-01-03'],
      partial: [
        { from: t('2026-01-01T18:00:00Z'), to: t('2026-01-02T00:00:00Z') },
        { from: t('2026-01-04T00:00:00Z'), to: t('2026-01-04T06:00:00Z') },
      ],
    });
    expect(splitByDays({ from: t('2026-01-01T00:00:00Z'), to: t('2026-01-02T00:00:00Z') })).toEqual({ days: ['2026-01-01'], partial: [] });
    const inside = { from: t('2026-01-01T01:00:00Z'), to: t('2026-01-01T02:00:00Z') };
    expect(splitByDays(inside)).toEqual({ days: [], partial: [inside] });
  });

  it('lists the clipped hours and the days a range touches', () => {
    expect(hoursOf({ from: t('2026-01-01T10:30:00Z'), to: t('2026-01-01T12:15:00Z') })).toEqual([
      { from: t('2026-01-01T10:30:00Z'), to: t('2026-01-01T11:00:00Z') },
      { from: t('2026-01-01T11:00:00Z'), to: t('2026-01-01T12:00:00Z') },
      { from: t('2026-01-01T12:00:00Z'), to: t('2026-01-01T12:15:00Z') },
    ]);
    expect(daysTouched({ from: t('2026-01-01T23:00:00Z'), to: t('2026-01-02T01:00:00Z') })).toEqual(['2026-01-01', '2026-01-02']);
  });

  it('keeps messages by tier', () => {
    expect(RETENTION_DAYS).toEqual({ free: 30, pro: 90, enterprise: 365 });
    expect(new Date(retentionCutoff('free', t('2026-02-02T00:00:00Z'))).toISOString()).toBe('2026-01-03T00:00:00.000Z');
  });
});
