import { defineConfig } from 'vitest/config';

export default defineConfig({
  cacheDir: process.env.BURROW_VITEST_CACHE ?? 'node_modules/.vite',
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
