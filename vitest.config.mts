import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Temporal worker (native bridge) and chDB (one data directory per process) need
    // processes, not threads.
    pool: 'forks',
    maxWorkers: 2,
    retry: 0,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
