import { defineConfig } from 'vitest/config';

/**
 * Two lanes (docs/testing.md). unit: *.test.ts, in-process, no control plane, no built binaries
 * (npm run test:unit, seconds to a minute). bed: *.bed.test.ts, the test bed: the local control
 * plane, the Go-built clients (kubectl, helm, grpcurl, promtool, ...) and the built gptoss command as
 * a process. npm test runs both.
 */
export default defineConfig({
  test: {
    // every runtime test starts real servers and llama.cpp threads: two files at a time fit two cores
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/**/*.bed.test.ts'],
          globalSetup: ['tests/setup/models.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'bed', include: ['tests/**/*.bed.test.ts'], globalSetup: ['tests/setup/bed.ts'] },
      },
    ],
  },
});
