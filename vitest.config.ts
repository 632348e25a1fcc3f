// Test projects: unit (fast, no processes), integration (real relay + database), e2e (Chromium).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'shared/**/*.test.ts',
            'server/**/*.test.ts',
            'cli/**/*.test.ts',
            'test/unit/**/*.test.ts',
            'test/security/**/*.test.ts',
            'test/fuzz/**/*.test.ts',
          ],
          testTimeout: 20_000,
          // Security suites start a real relay in beforeAll: 10 s is too short on a loaded 2-core box.
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
