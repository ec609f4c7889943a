import { nestVitestConfig } from '../testing/vitest-preset';

// The generator's own test copies the workspace, generates a service, builds and tests it: minutes, not seconds.
export default nestVitestConfig(__dirname, { e2eTimeoutMs: 600_000 });
