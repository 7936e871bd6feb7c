/** How long an app's chat messages stay in MongoDB, by tier; older ones are archived, then deleted. */
import type { Tier } from '../apps';

export const RETENTION_DAYS: Readonly<Record<Tier, number>> = { free: 30, pro: 90, enterprise: 365 };

/** Messages created before this instant (epoch ms) are past retention on `day` (yyyy-mm-dd). */
export function retentionCutoff(tier: Tier, dayEndMs: number): number {
  return dayEndMs - RETENTION_DAYS[tier] * 24 * 3_600_000;
}
