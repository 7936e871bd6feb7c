/**
 * `opsMonitor` — samples every app's metrics (an activity reads them from Redis), evaluates each
 * app's policy with the pure rules, and raises an alert per finding (signal-with-start of
 * `remediation`, so repeats join the open incident).
 *
 * Two ways to run it: the long-running fast loop (`ops-monitor`, a sample every few seconds,
 * continuing as new every `samplesPerRun`), and a short pass started by the Schedule
 * `tessera-ops-monitor` (enough samples for the streak rules, then done) as a backstop.
 * An open incident is re-alerted at most every `realertSeconds`, so its history stays small while
 * it still learns that the condition persists.
 */
import { continueAsNew, sleep } from '@temporalio/workflow';
import { evaluate, type Finding, type Streaks } from '../domain/ops';
import { ops } from './ops/activities';

export interface OpsMonitorInput {
  mode: 'loop' | 'pass';
  /** Seconds between samples; default: the smallest `sample_interval_seconds` of the apps' policies. */
  intervalSeconds?: number;
  /** Loop: samples before continuing as new. Pass: samples taken in total. */
  samples?: number;
  realertSeconds?: number;
  carried?: { streaks: Streaks; lastAlert: Record<string, number> };
}

const DEFAULT_INTERVAL_SECONDS = 2;
const DEFAULT_SAMPLES_PER_RUN = 200;
const DEFAULT_PASS_SAMPLES = 3;
const DEFAULT_REALERT_SECONDS = 10;

export async function opsMonitor(input: OpsMonitorInput): Promise<{ samples: number; alerts: number }> {
  let streaks: Streaks = input.carried?.streaks ?? {};
  const lastAlert: Record<string, number> = { ...input.carried?.lastAlert };
  const total = input.samples ?? (input.mode === 'loop' ? DEFAULT_SAMPLES_PER_RUN : DEFAULT_PASS_SAMPLES);
  const realertMs = (input.realertSeconds ?? DEFAULT_REALERT_SECONDS) * 1000;
  let alerts = 0;

  for (let sample = 0; sample < total; sample++) {
    const { snapshot, policies } = await ops.sampleMetrics();
    const result = evaluate(snapshot, (appId) => policies[appId]!, streaks);
    streaks = result.streaks;
    const due = result.findings.filter((finding) => isDue(finding, lastAlert, realertMs));
    if (due.length > 0) {
      await ops.raiseAlerts({ findings: due });
      for (const finding of due) lastAlert[key(finding)] = Date.now();
      alerts += due.length;
    }
    if (sample + 1 < total) await sleep(intervalMs(input, Object.values(policies).map((policy) => policy.sample_interval_seconds)));
  }
  if (input.mode === 'loop') {
    await sleep(intervalMs(input, []));
    // Forget alert times older than the re-alert interval: the carried state stays small.
    const now = Date.now();
    const recent = Object.fromEntries(Object.entries(lastAlert).filter(([, at]) => now - at < realertMs));
    await continueAsNew<typeof opsMonitor>({ ...input, carried: { streaks, lastAlert: recent } });
  }
  return { samples: total, alerts };
}

function key(finding: Finding): string {
  return `${finding.app_id}:${finding.rule}`;
}

function isDue(finding: Finding, lastAlert: Record<string, number>, realertMs: number): boolean {
  const last = lastAlert[key(finding)];
  return last === undefined || Date.now() - last >= realertMs;
}

function intervalMs(input: OpsMonitorInput, policyIntervals: number[]): number {
  const seconds = input.intervalSeconds ?? (policyIntervals.length > 0 ? Math.min(...policyIntervals) : DEFAULT_INTERVAL_SECONDS);
  return seconds * 1000;
}
