import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { WORKSPACE } from '../../../../tools/testing/processes';

/** The Kubernetes manifests (Kustomize base + demo overlay), checked for the properties they promise. */
const BASE = join(WORKSPACE, 'deploy/k8s/base');
const OVERLAY = join(WORKSPACE, 'deploy/k8s/overlays/demo');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
interface Port {
  name: string;
  port: number | string;
}
interface Rule {
  from?: { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: { matchLabels?: Record<string, string> } }[];
  ports?: { port: string }[];
}
interface Resource {
  kind: string;
  metadata: { name: string };
  // Manifests are plain data; each test reads the fields it checks.
  spec: Record<string, unknown> & {
    podSelector?: { matchLabels?: Record<string, string> };
    ingress?: Rule[];
    ports?: Port[];
    template?: {
      spec: {
        securityContext: { runAsNonRoot: boolean };
        containers: { env: EnvVar[]; readinessProbe: { httpGet: unknown }; livenessProbe: { httpGet: unknown }; securityContext: Record<string, unknown> }[];
      };
    };
    scaleTargetRef?: Record<string, string>;
    minReplicas?: number;
  };
  data?: Record<string, string>;
}

const kustomization = parse(readFileSync(join(BASE, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
const resources: Resource[] = kustomization.resources.flatMap((file) => parseAllDocuments(readFileSync(join(BASE, file), 'utf8')).map((document) => document.toJS() as Resource));
const ofKind = (kind: string) => resources.filter((resource) => resource.kind === kind);
const named = (kind: string, name: string) => {
  const found = ofKind(kind).find((resource) => resource.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

/** Every app with a Deployment (generated services included); the bank services behind the gateway. */
const APPS = ofKind('Deployment').map((deployment) => deployment.metadata.name);
const SERVICES = APPS.filter((app) => app !== 'gateway' && app !== 'auth-server');
const container = (app: string) => named('Deployment', app).spec.template!.spec.containers[0];
const servicePorts = (app: string) => Object.fromEntries((named('Service', app).spec.ports ?? []).map((port) => [port.name, port.port]));

describe('Kubernetes manifests', () => {
  it('lists only files that exist, and the overlay builds on the base', () => {
    for (const file of kustomization.resources) expect(existsSync(join(BASE, file)), file).toBe(true);
    const overlay = parse(readFileSync(join(OVERLAY, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect(overlay.resources).toContain('../../base');
    expect(
      readdirSync(BASE)
        .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
        .sort(),
    ).toEqual([...kustomization.resources].sort());
  });

  it('runs every app as a Deployment with readiness and liveness probes on its health endpoints, behind a Service', () => {
    expect(APPS).toEqual(expect.arrayContaining(['auth-server', 'gateway', 'accounts', 'loans', 'cards']));
    for (const app of APPS) {
      const main = container(app);
      expect(main.readinessProbe.httpGet, app).toEqual({ path: '/health/ready', port: 'http' });
      expect(main.livenessProbe.httpGet, app).toEqual({ path: '/health/live', port: 'http' });
      expect(named('Deployment', app).spec.template!.spec.securityContext.runAsNonRoot, app).toBe(true);
      expect(main.securityContext, app).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      expect(servicePorts(app).http, app).toBe(Number(main.env.find((variable) => variable.name === 'PORT')?.value));
    }
    expect(servicePorts('cards')).toMatchObject({ http: 8083, rpc: 8093 });
  });

  it('scales the gateway and the services horizontally', () => {
    for (const app of ['gateway', ...SERVICES]) {
      const hpa = named('HorizontalPodAutoscaler', app);
      expect(hpa.spec.scaleTargetRef, app).toMatchObject({ kind: 'Deployment', name: app });
      expect(hpa.spec.minReplicas, app).toBeGreaterThanOrEqual(2);
    }
  });

  it('keeps replicas stateless: revocations over NATS, rate limits and brute-force counters in Redis', () => {
    const config = named('ConfigMap', 'trustline-config').data ?? {};
    expect(config.NATS_URL, 'NATS_URL carries credentials: never in the shared ConfigMap').toBeUndefined();
    expect(config.REDIS_URL).toMatch(/^redis:\/\//);
    const fromConfig = (app: string, key: string) => container(app).env.some((variable) => variable.name === key && variable.valueFrom?.configMapKeyRef?.key === key);
    // Each app its own NATS user (deploy/nats/nats-server.conf): the URL comes from the app's own Secret.
    const fromOwnSecret = (app: string, key: string) =>
      container(app).env.some((variable) => variable.name === key && variable.valueFrom?.secretKeyRef?.name === `trustline-${app}` && variable.valueFrom.secretKeyRef.key === key);
    for (const app of APPS) expect(fromOwnSecret(app, 'NATS_URL'), `${app} NATS_URL`).toBe(true);
    for (const app of ['gateway', 'auth-server']) expect(fromConfig(app, 'REDIS_URL'), `${app} REDIS_URL`).toBe(true);
  });

  it('trusts exactly the one proxy in front of the public entries (the ingress) for client addresses', () => {
    expect(named('ConfigMap', 'trustline-config').data?.TRUST_PROXY_HOPS).toBe('1');
    for (const app of ['gateway', 'auth-server']) {
      expect(container(app).env.find((variable) => variable.name === 'TRUST_PROXY_HOPS')?.valueFrom?.configMapKeyRef?.key, app).toBe('TRUST_PROXY_HOPS');
    }
  });

  it('takes every secret by reference, and the overlay generates each one referenced', () => {
    const referenced = new Set<string>();
    for (const app of APPS) {
      for (const variable of container(app).env) {
        if (!/SECRET|DATABASE_URL|PASSWORD/.test(variable.name)) continue;
        expect(variable.value, `${app} ${variable.name}`).toBeUndefined();
        expect(variable.valueFrom?.secretKeyRef, `${app} ${variable.name}`).toBeDefined();
        referenced.add(String(variable.valueFrom?.secretKeyRef?.name));
      }
    }
    const overlay = parse(readFileSync(join(OVERLAY, 'kustomization.yaml'), 'utf8')) as { secretGenerator: { name: string }[] };
    // …and the broker's passwords (trustline-nats, the environment of the NATS server).
    expect(new Set(overlay.secretGenerator.map((secret) => secret.name))).toEqual(new Set([...referenced, 'trustline-nats']));
    expect(readFileSync(join(OVERLAY, '.gitignore'), 'utf8')).toContain('secrets/*.env');
  });

  it("gives NATS compose's config file (a user per app, per-service permissions) as a ConfigMap", () => {
    const overlay = parse(readFileSync(join(OVERLAY, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect(overlay.resources).toContain('../../../nats');
    const nats = parse(readFileSync(join(WORKSPACE, 'deploy/nats/kustomization.yaml'), 'utf8')) as { configMapGenerator: { name: string; files: string[] }[] };
    expect(nats.configMapGenerator).toEqual([{ name: 'trustline-nats-config', files: ['nats-server.conf'] }]);
    const conf = readFileSync(join(WORKSPACE, 'deploy/nats/nats-server.conf'), 'utf8');
    for (const app of APPS) expect(conf, app).toMatch(new RegExp(`user: ${app}\\n\\s+password: \\$NATS_${app.toUpperCase().replace(/-/g, '_')}_PASSWORD\\n`));
  });

  it('lets only the gateway and the auth server be reached from outside, and only callers reach callees', () => {
    const policies = ofKind('NetworkPolicy');
    expect(
      policies.some((policy) => Object.keys(policy.spec.podSelector ?? {}).length === 0 && !policy.spec.ingress),
      'a default-deny ingress policy',
    ).toBe(true);
    /** Who may reach `app` on `port`: 'anyone', or the apps the rules name. */
    const reachableFrom = (app: string, port: string) => {
      const sources = new Set<string>();
      for (const policy of policies.filter((candidate) => candidate.spec.podSelector?.matchLabels?.['app.kubernetes.io/name'] === app)) {
        for (const rule of policy.spec.ingress ?? []) {
          if (!rule.ports?.some((candidate) => candidate.port === port)) continue;
          if (!rule.from) sources.add('anyone');
          for (const peer of rule.from ?? []) sources.add(peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? 'other');
        }
      }
      return [...sources].sort();
    };
    expect(reachableFrom('gateway', 'http')).toEqual(['anyone']);
    expect(reachableFrom('auth-server', 'http')).toEqual(['anyone']);
    expect(reachableFrom('accounts', 'http')).toEqual(['gateway']);
    expect(reachableFrom('loans', 'http')).toEqual(['accounts', 'gateway']);
    expect(reachableFrom('cards', 'http')).toEqual(['gateway']);
    expect(reachableFrom('cards', 'rpc')).toEqual(['accounts']);
    const metrics = policies.find((policy) => policy.spec.ingress?.some((rule) => rule.ports?.some((port) => port.port === 'metrics')));
    expect(metrics?.spec.ingress?.[0].from?.[0].namespaceSelector?.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'monitoring' });
  });
});
