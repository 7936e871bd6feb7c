/**
 * Per-file access to the services the global setup started: each test file gets its own Mongo
 * database, Redis key prefix and chDB directory, so files running in parallel never share state.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

export interface TestServices {
  mongoUri: string;
  redisUrl: string;
  /** Base URL of the offline model, ending in /v1. */
  llmBaseUrl: string;
  testServerPath: string;
  temporalCliPath: string;
  /** Tessera's workflows bundled once for the whole run (see workflow-bundle.ts). */
  workflowBundlePath: string;
  /** Scratch directory of this test run (removed at the end). */
  runDir: string;
}

export function services(): TestServices {
  return inject('services');
}

/** A name unique to this test file and run, usable as a Mongo database name or key prefix. */
export function uniqueName(label: string): string {
  const clean = label.replace(/[^A-Za-z0-9]/g, '').slice(0, 16);
  return `t_${clean}_${randomBytes(4).toString('hex')}`;
}

/** A fresh chDB data directory for this file (chDB binds one directory per process). */
export function chdbDir(label: string): string {
  const dir = path.join(services().runDir, 'chdb', uniqueName(label));
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
