import { describe, expect, it } from 'vitest';
import { isoWeekStart, ratio, retentionCohorts } from '../../../src/domain/analytics';

describe('retention cohorts', () => {
  it('gives each ISO week cohort the share of its users active in each following week', () => {
    const cohorts = retentionCohorts(
      [
        { cohort: '2026-03-30', week: '2026-03-30', users: 4 },
        { cohort: '2026-03-30', week: '2026-04-06', users: 2 },
        { cohort: '2026-03-30', week: '2026-04-20', users: 1 },
        { cohort: '2026-04-06', week: '2026-04-06', users: 3 },
        { cohort: '2026-04-06', week: '2026-04-13', users: 1 },
      ],
      '2026-04-20',
    );
    expect(cohorts).toEqual([
      { week: '2026-03-30', users: 4, retention: [1, 0.5, 0, 0.25] },
      { week: '2026-04-06', users: 3, retention: [1, 0.333333, 0] },
    ]);
  });

  it('is empty without activity; ratios of nothing are 0', () => {
    expect(retentionCohorts([], '2026-04-20')).toEqual([]);
    expect(ratio(3, 0)).toBe(0);
    expect(ratio(2, 3)).toBe(0.666667);
  });

  it('finds the Monday of an ISO week', () => {
    expect(isoWeekStart(Date.parse('2026-04-05T23:59:59Z'))).toBe('2026-03-30'); // a Sunday
    expect(isoWeekStart(Date.parse('2026-04-06T00:00:00Z'))).toBe('2026-04-06'); // a Monday
    expect(isoWeekStart(Date.parse('2027-01-01T10:00:00Z'))).toBe('2026-12-28');
  });
});
