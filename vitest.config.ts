import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file runs in its own child process, so a native crash fails that file only
    // and every file loads a fresh copy of the addon.
    pool: 'forks',
    // Vitest 4 takes execArgv at the top level (poolOptions is gone): tests call global.gc().
    execArgv: ['--expose-gc'],
    testTimeout: 20000,
    hookTimeout: 20000,
    // Builds dist/ (tsc) when it is missing or older than lib/: the child-process and
    // worker fixtures require dist/native.js.
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
