import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'rules/**/*.test.ts', 'lib/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    // serverless package and dynalite start real processes/servers: give them room on a 2-core box.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
