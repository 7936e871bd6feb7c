/** The health probes for Tessera's dependencies, built from the live clients. */
import type { Connection } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { ClickHouseStore } from '../stores/clickhouse';
import type { DependencyProbe } from './health';

export interface ProbeTargets {
  temporal: Connection;
  mongo: () => Promise<Db>;
  redis: Redis;
  /** Probed only where this process uses them (an API-only process has neither). */
  clickhouse?: ClickHouseStore;
  llm?: { baseUrl: string; apiKey?: string };
}

export function dependencyProbes(targets: ProbeTargets): DependencyProbe[] {
  const { clickhouse, llm } = targets;
  const probes: (DependencyProbe | false)[] = [
    {
      name: 'temporal',
      check: async () => {
        await targets.temporal.workflowService.getSystemInfo({});
      },
    },
    {
      name: 'mongodb',
      check: async () => {
        await (await targets.mongo()).command({ ping: 1 });
      },
    },
    clickhouse !== undefined && {
      name: 'clickhouse',
      check: async () => {
        const result = await clickhouse.client.query({ query: 'SELECT 1 AS ok', format: 'JSONEachRow' });
        await result.json();
      },
    },
    {
      name: 'redis',
      check: async () => {
        const pong = await targets.redis.ping();
        if (pong !== 'PONG') throw new Error(`unexpected PING answer: ${pong}`);
      },
    },
    llm !== undefined && {
      name: 'llm',
      check: async () => {
        // Listing models is cheap, needs no tokens, and proves the endpoint and key work.
        const response = await fetch(`${llm.baseUrl.replace(/\/$/, '')}/models`, {
          headers: llm.apiKey ? { authorization: `Bearer ${llm.apiKey}` } : {},
          signal: AbortSignal.timeout(2000),
        });
        if (!response.ok) throw new Error(`GET /models answered ${response.status}`);
        await response.arrayBuffer();
      },
    },
  ];
  return probes.filter((probe): probe is DependencyProbe => probe !== false);
}
