import swc from 'unplugin-swc';
import { defineConfig, type UserConfig } from 'vitest/config';

/**
 * One Vitest set-up for every Nest project in the workspace.
 *
 * Why SWC: Vitest's default esbuild transform drops `emitDecoratorMetadata`, and Nest's dependency
 * injection reads that metadata, so providers would silently resolve to `undefined`.
 * Why Vitest at all: oidc-provider 9 is ESM-only and Jest's module runtime cannot load it on Node 20.
 *
 * Two projects per app: `unit` (specs beside the code) and `e2e` (real servers on ephemeral ports).
 */
export function nestVitestConfig(projectRoot: string, overrides: { e2eTimeoutMs?: number } = {}): UserConfig {
  const swcPlugin = swc.vite({
    module: { type: 'es6' },
    jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true } },
  });
  return defineConfig({
    root: projectRoot,
    test: {
      projects: [
        {
          plugins: [swcPlugin],
          test: { name: 'unit', root: projectRoot, include: ['src/**/*.spec.ts'], environment: 'node', globals: false },
        },
        {
          plugins: [swcPlugin],
          test: {
            name: 'e2e',
            root: projectRoot,
            include: ['test/**/*.e2e-spec.ts'],
            environment: 'node',
            testTimeout: overrides.e2eTimeoutMs ?? 30_000,
            hookTimeout: 60_000,
            // Every e2e file boots its own server; two at a time keeps a 2-core machine responsive.
            maxWorkers: 2,
            minWorkers: 1,
          },
        },
      ],
    },
  });
}
