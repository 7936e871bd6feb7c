/**
 * The reduced chaos suite (issue 11): the runner of `npm run chaos` on its own embedded stack, with
 * 20 turns over 4 apps per fault and one fault of each kind — a worker SIGKILLed (then the other),
 * an API process SIGKILLed while clients stream, Redis stopped, and a model failing and stalling.
 * Every row must show nothing lost and nothing duplicated, every other check must pass, and no
 * process may be left behind.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTable, runChaos } from '../../bench/chaos/runner';
import type { FaultName } from '../../bench/chaos/faults';

const FAULTS: FaultName[] = ['kill-workers', 'kill-api', 'stop-redis', 'model-faults'];

describe('chaos (reduced)', () => {
  it('loses and duplicates nothing under each kind of fault, and leaves no process behind', { timeout: 300_000 }, async () => {
    const report = await runChaos({
      toolsDir: path.resolve(__dirname, '../../.tools'),
      faults: FAULTS,
      apps: 4,
      turns: 20,
      turnsPerChat: 5,
      outageMs: 5_000,
      scenarioTimeoutMs: 120_000,
    });
    console.log(formatTable(report.rows));
    expect(report.rows.map((row) => row.turns)).toEqual(FAULTS.map(() => 20));
    for (const row of report.rows) {
      expect({ fault: row.fault, lost: row.lost, duplicated: row.duplicated, problems: row.problems }).toEqual({
        fault: row.fault,
        lost: 0,
        duplicated: 0,
        problems: [],
      });
    }
    expect(report.leftBehind).toEqual([]);
  });
});
