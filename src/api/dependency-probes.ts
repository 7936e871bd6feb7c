/** The health probes for Tessera's dependencies, built from the live clients. */
import type { Connection } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { ClickHouseStore } from '../stores/clickhouse';
import type { DependencyProbe } from './health';

export interface ProbeTargets {
  temporal: Connection;
  mongo: () => Promise<Db>;
  clickhouse: ClickHouseStore;
  redis: Redis;
  llm: { baseUrl: string; apiKey?: string };
}

export function dependencyProbes(targets: ProbeTargets): DependencyProbe[] {
  return [
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
    {
      name: 'clickhouse',
      check: async () => {
        const result = await targets.clickhouse.client.query({ query: 'SELECT 1 AS ok', format: 'JSONEachRow' });
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
    {
      name: 'llm',
      check: async () => {
        // Listing models is cheap, needs no tokens, and proves the endpoint and key work.
        const response = await fetch(`${targets.llm.baseUrl.replace(/\/$/, '')}/models`, {
          headers: targets.llm.apiKey ? { authorization: `Bearer ${targets.llm.apiKey}` } : {},
          signal: AbortSignal.timeout(2000),
        });
        if (!response.ok) throw new Error(`GET /models answered ${response.status}`);
        await response.arrayBuffer();
      },
    },
  ];
}
