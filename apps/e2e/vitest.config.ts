import { nestVitestConfig } from '../../tools/testing/vitest-preset';

// Each file starts the whole system (five processes): give each test a little more room.
export default nestVitestConfig(__dirname, { e2eTimeoutMs: 60_000 });
