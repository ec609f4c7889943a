import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE } from '../../testing/processes';

/**
 * The template promise: one command adds a secured service, and everything that proves the existing
 * ones secure covers it too. In a temporary copy of this workspace (its files as they are now, sharing
 * node_modules): generate `payments`, build everything, run its own tests, then the deployment checks
 * and the zero-trust matrix, which must now include payments through the gateway and directly.
 */
let copy: string;

const run = (command: string, args: string[]) => {
  const result = spawnSync(command, args, {
    cwd: copy,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
};
const read = (path: string) => readFileSync(join(copy, path), 'utf8');

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'trustline-template-'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: WORKSPACE, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(WORKSPACE, file))) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(WORKSPACE, file), join(copy, file));
  }
  symlinkSync(join(WORKSPACE, 'node_modules'), join(copy, 'node_modules'));
});

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('nx g @trustline/workspace:service', () => {
  it('adds a service wired into the auth server, the gateway, compose, Kubernetes and the e2e system', () => {
    const generated = run('npx', ['nx', 'g', '@trustline/workspace:service', 'payments', '--no-interactive']);
    expect(generated.status, generated.output).toBe(0);
    expect(existsSync(join(copy, 'apps/payments/src/app.module.ts'))).toBe(true);
    expect(read('apps/auth-server/src/oidc/resources.ts')).toContain(`'urn:trustline:payments': ['payments:read', 'payments:write']`);
    expect(read('apps/auth-server/src/seed/demo-seed.service.ts')).toContain(`m2m('payments-service'`);
    expect(read('apps/gateway/src/relay/routes.ts')).toContain(`{ service: 'payments', port: 8084 }`);
    expect(read('apps/e2e/test/support/system.ts')).toContain(`'payments',`);
    expect(read('docker-compose.yml')).toContain('PAYMENTS_URL: http://payments:8084');
    expect(read('deploy/k8s/base/kustomization.yaml')).toContain('- payments.yaml');
    expect(read('deploy/k8s/base/payments.yaml')).toContain('name: payments-from-gateway');
    // A second run with the same name is refused, and changes nothing.
    const again = run('npx', ['nx', 'g', '@trustline/workspace:service', 'payments', '--no-interactive']);
    expect(again.status).not.toBe(0);
    expect(again.output).toContain('already exists');
  });

  it('builds, and the new service passes its own unit and e2e tests', () => {
    const built = run('npx', ['nx', 'run-many', '-t', 'build', '--output-style=stream']);
    expect(built.status, built.output.slice(-3000)).toBe(0);
    for (const target of ['test', 'e2e']) {
      const tested = run('npx', ['nx', 'run', `payments:${target}`, '--output-style=stream']);
      expect(tested.status, tested.output.slice(-3000)).toBe(0);
    }
  });

  it('passes the deployment checks and the zero-trust matrix, which now attack it too', () => {
    const checked = run('npx', [
      'vitest',
      'run',
      '--config',
      'apps/e2e/vitest.config.ts',
      '--project',
      'e2e',
      'test/deployment/compose-topology',
      'test/deployment/kubernetes',
      'test/zero-trust-matrix',
    ]);
    expect(checked.status, checked.output.slice(-3000)).toBe(0);
    expect(checked.output).toContain("'payments through the gateway'");
    expect(checked.output).toContain("'payments directly'");
  });
});
