import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE } from '../../testing/processes';

/**
 * The template promise: one command adds a secured service, and everything that proves the existing
 * ones secure covers it too. In a temporary copy of this workspace (its files as they are now, sharing
 * node_modules): generate `payments`, build everything, run its own tests, then the deployment checks
 * and the zero-trust matrix, which must now include payments through the gateway and directly.
 */
let copy: string;

/** This workspace's files as they are now (tracked and new, not ignored) in a fresh temporary directory. */
function copyWorkspace(): string {
  const target = mkdtempSync(join(tmpdir(), 'trustline-template-'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: WORKSPACE, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(WORKSPACE, file))) continue;
    mkdirSync(dirname(join(target, file)), { recursive: true });
    cpSync(join(WORKSPACE, file), join(target, file));
  }
  return target;
}

/** Runs a command in `cwd` without blocking this worker (a long spawnSync starves Vitest's own RPC). */
const runIn = (cwd: string, command: string, args: string[]) =>
  new Promise<{ status: number | null; output: string }>((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    child.on('close', (status) => resolve({ status, output }));
  });
const run = (command: string, args: string[]) => runIn(copy, command, args);
const read = (path: string) => readFileSync(join(copy, path), 'utf8');

beforeAll(() => {
  copy = copyWorkspace();
  symlinkSync(join(WORKSPACE, 'node_modules'), join(copy, 'node_modules'));
});

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('nx g @trustline/workspace:service', () => {
  it('adds a service wired into the auth server, the gateway, compose, Kubernetes and the e2e system', async () => {
    const generated = await run('npx', ['nx', 'g', '@trustline/workspace:service', 'payments', '--no-interactive']);
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
    const again = await run('npx', ['nx', 'g', '@trustline/workspace:service', 'payments', '--no-interactive']);
    expect(again.status).not.toBe(0);
    expect(again.output).toContain('already exists');
  });

  it('builds, and the new service passes its own unit and e2e tests', async () => {
    const built = await run('npx', ['nx', 'run-many', '-t', 'build', '--output-style=stream']);
    expect(built.status, built.output.slice(-3000)).toBe(0);
    for (const target of ['test', 'e2e']) {
      const tested = await run('npx', ['nx', 'run', `payments:${target}`, '--output-style=stream']);
      expect(tested.status, tested.output.slice(-3000)).toBe(0);
    }
  });

  it('passes the deployment checks and the zero-trust matrix, which now attack it too', async () => {
    const checked = await run('npx', [
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

describe('renaming the project (a fork without Trustline in it)', () => {
  let fork: string;

  beforeAll(async () => {
    fork = copyWorkspace();
    // The packages are shared with this workspace, except our own: those are linked under the new scope.
    mkdirSync(join(fork, 'node_modules'));
    for (const entry of readdirSync(join(WORKSPACE, 'node_modules'))) {
      if (entry !== '@trustline') symlinkSync(join(WORKSPACE, 'node_modules', entry), join(fork, 'node_modules', entry));
    }
    const { renameProject } = await import('../../scripts/rename-project.mjs');
    renameProject(fork, 'acme');
    // Every workspace package (npm links them under node_modules/@trustline), linked again under @acme.
    mkdirSync(join(fork, 'node_modules/@acme'));
    for (const name of readdirSync(join(WORKSPACE, 'node_modules/@trustline'))) {
      const path = relative(WORKSPACE, realpathSync(join(WORKSPACE, 'node_modules/@trustline', name)));
      symlinkSync(join(fork, path), join(fork, 'node_modules/@acme', name));
    }
  });

  afterAll(() => {
    if (fork) rmSync(fork, { recursive: true, force: true });
  });

  it('leaves no trace of the old name, in contents or paths', () => {
    const files = execFileSync('find', ['.', '-type', 'f', '-not', '-path', './node_modules/*'], { cwd: fork, encoding: 'utf8' }).split('\n').filter(Boolean);
    const mentions = files.filter((file) => /trustline/i.test(file) || /trustline/i.test(readFileSync(join(fork, file), 'utf8')));
    expect(mentions).toEqual([]);
    expect(readFileSync(join(fork, 'apps/auth-server/src/oidc/resources.ts'), 'utf8')).toContain("'urn:acme:accounts'");
    expect(JSON.parse(readFileSync(join(fork, 'libs/security/package.json'), 'utf8')).name).toBe('@acme/security');
  });

  it('still builds and passes its tests under the new name', async () => {
    const built = await runIn(fork, 'npx', ['nx', 'run-many', '-t', 'build', '--output-style=stream']);
    expect(built.status, built.output.slice(-3000)).toBe(0);
    const unit = await runIn(fork, 'npx', ['nx', 'run-many', '-t', 'test', '-p', 'security', 'auth-server', 'gateway', '--output-style=stream']);
    expect(unit.status, unit.output.slice(-3000)).toBe(0);
    const e2e = await runIn(fork, 'npx', ['vitest', 'run', '--config', 'apps/e2e/vitest.config.ts', '--project', 'e2e', 'test/user-flow']);
    expect(e2e.status, e2e.output.slice(-3000)).toBe(0);
  });
});
