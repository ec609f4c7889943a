import { nestVitestConfig } from '../../tools/testing/vitest-preset';

// Each file starts the whole system (five processes): give each test a little more room.
const config = nestVitestConfig(__dirname, { e2eTimeoutMs: 60_000 });

// `npm run test:browser`: the portal in Debian's Chromium (playwright-core), one file at a time.
config.test!.projects!.push({
  test: {
    name: 'browser',
    root: __dirname,
    include: ['test/browser/**/*.browser-spec.ts'],
    environment: 'node',
    testTimeout: 90_000,
    hookTimeout: 90_000,
    maxWorkers: 1,
    minWorkers: 1,
  },
});

export default config;
