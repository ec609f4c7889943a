// `nx g @trustline/workspace:service <name>`: a new secured service, wired everywhere a service must be.
// Plain CommonJS on purpose: Nx loads it without a build step.
const { formatFiles, generateFiles, names } = require('@nx/devkit');
const { join } = require('node:path');

/** Inserts `text` on the line before the marker comment (keeps the marker for the next service). */
function insertBefore(tree, path, marker, text) {
  const source = tree.read(path, 'utf-8');
  if (source === null) throw new Error(`${path} is missing`);
  const at = source.indexOf(marker);
  if (at < 0) throw new Error(`${path} has no "${marker}" marker: was it edited by hand?`);
  const lineStart = source.lastIndexOf('\n', at) + 1;
  tree.write(path, `${source.slice(0, lineStart)}${text}${source.slice(lineStart)}`);
}

/** The gateway's service list, for the next free port and for refusing a name already taken. */
function gatewayServices(tree) {
  const source = tree.read('apps/gateway/src/relay/routes.ts', 'utf-8');
  return [...source.matchAll(/\{ service: '([a-z0-9-]+)', port: (\d+) \}/g)].map((match) => ({ service: match[1], port: Number(match[2]) }));
}

async function serviceGenerator(tree, options) {
  const name = options.name;
  if (!/^[a-z][a-z0-9]{1,29}$/.test(name)) throw new Error('the name must be 2–30 lowercase letters and digits, starting with a letter');
  const existing = gatewayServices(tree);
  if (existing.some((entry) => entry.service === name) || tree.exists(`apps/${name}`)) throw new Error(`a service named ${name} already exists`);
  const port = options.port ?? Math.max(...existing.map((entry) => entry.port)) + 1;
  const metricsPort = port + 1100;
  const upper = name.toUpperCase();
  const { className } = names(name);
  const audience = `urn:trustline:${name}`;
  const timestamp = Date.now();

  // 1. The app: a NestJS service on service-runtime + security, with its own database and tests.
  generateFiles(tree, join(__dirname, 'files'), `apps/${name}`, { name, className, upper, port, metricsPort, audience, timestamp, tmpl: '' });

  // 2. The auth server: the audience and its scopes, and the service's own M2M client (revocation feed).
  insertBefore(tree, 'apps/auth-server/src/oidc/resources.ts', 'trustline-generator: resources', `  '${audience}': ['${name}:read', '${name}:write'],\n`);
  insertBefore(
    tree,
    'apps/auth-server/src/seed/demo-seed.service.ts',
    'trustline-generator: service-clients',
    `    m2m('${name}-service', ['revocations:read'], ['urn:trustline:auth']),\n`,
  );

  // 3. The gateway routes /api/<name>/** to it (and requires its audience there).
  insertBefore(tree, 'apps/gateway/src/relay/routes.ts', 'trustline-generator: gateway-services', `  { service: '${name}', port: ${port} },\n`);

  // 4. Running it: npm start, start:infra, docker compose, Kubernetes.
  insertBefore(
    tree,
    'tools/scripts/start.mjs',
    'trustline-generator: start-apps',
    `  { name: '${name}', port: ${port}, url: 'http://localhost:${port}', env: { CLIENT_ID: '${name}-service', CLIENT_SECRET: '${name}-service-secret' } },\n`,
  );
  insertBefore(tree, 'tools/scripts/infra-topology.mjs', 'trustline-generator: start-order', `  '${name}',\n`);
  insertBefore(tree, 'docker-compose.yml', 'trustline-generator: gateway-upstreams', `      ${upper}_URL: http://${name}:${port}\n`);
  insertBefore(tree, 'docker-compose.yml', 'trustline-generator: gateway-depends-on', `      ${name}: { condition: service_healthy }\n`);
  insertBefore(
    tree,
    'docker-compose.yml',
    'trustline-generator: compose-services',
    [
      `  ${name}:`,
      `    <<: *app`,
      `    build:`,
      `      context: .`,
      `      dockerfile: Dockerfile`,
      `      args: { APP: ${name} }`,
      `    environment:`,
      `      <<: *verifier-env`,
      `      PORT: '${port}'`,
      `      METRICS_PORT: '${metricsPort}'`,
      `      DATABASE_URL: postgres://trustline:\${POSTGRES_PASSWORD}@postgres:5432/trustline_${name}`,
      `      CLIENT_ID: ${name}-service`,
      `      CLIENT_SECRET: \${${upper}_CLIENT_SECRET:?set ${upper}_CLIENT_SECRET in .env}`,
      `      NATS_URL: nats://${name}:\${NATS_${upper}_PASSWORD}@nats:4222`,
      `    depends_on:`,
      `      postgres: { condition: service_healthy }`,
      `      nats: { condition: service_healthy }`,
      `      auth-server: { condition: service_healthy }`,
      '',
      '',
    ].join('\n'),
  );
  const envExample = tree.read('.env.example', 'utf-8');
  tree.write('.env.example', `${envExample.trimEnd()}\n${upper}_CLIENT_SECRET=${name}-service-secret\nNATS_${upper}_PASSWORD=trustline-demo-nats-${name}\n`);
  // Its own NATS user: a verifier (revocations in, nothing out), like loans.
  insertBefore(tree, 'docker-compose.yml', 'trustline-generator: nats-passwords', `      NATS_${upper}_PASSWORD: \${NATS_${upper}_PASSWORD:?set NATS_${upper}_PASSWORD in .env}\n`);
  insertBefore(
    tree,
    'deploy/nats/nats-server.conf',
    'trustline-generator: nats-users',
    [
      `    {`,
      `      user: ${name}`,
      `      password: $NATS_${upper}_PASSWORD`,
      `      permissions: {`,
      `        publish: { deny: [">"] }`,
      `        subscribe: { allow: ["trustline.revocations"] }`,
      `      }`,
      `    }`,
      '',
    ].join('\n'),
  );
  insertBefore(tree, 'deploy/postgres/init-databases.sql', 'trustline-generator: databases', `CREATE DATABASE trustline_${name};\n`);
  insertBefore(tree, 'deploy/k8s/base/kustomization.yaml', 'trustline-generator: k8s-resources', `  - ${name}.yaml\n`);
  // The Deployment, Service and autoscaler follow loans (the plainest service); only the gateway reaches it.
  const loansManifest = tree.read('deploy/k8s/base/loans.yaml', 'utf-8');
  tree.write(
    `deploy/k8s/base/${name}.yaml`,
    `${loansManifest.replaceAll('loans', name).replaceAll('8082', String(port)).replaceAll('9182', String(metricsPort)).trimEnd()}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ${name}-from-gateway
spec:
  podSelector: { matchLabels: { app.kubernetes.io/name: ${name} } }
  policyTypes: [Ingress]
  ingress:
    - from: [{ podSelector: { matchLabels: { app.kubernetes.io/name: gateway } } }]
      ports: [{ port: http }]
`,
  );
  insertBefore(tree, 'deploy/k8s/base/gateway.yaml', 'trustline-generator: gateway-upstreams', `            - name: ${upper}_URL\n              value: 'http://${name}:${port}'\n`);
  const overlay = tree.read('deploy/k8s/overlays/demo/kustomization.yaml', 'utf-8');
  tree.write(
    'deploy/k8s/overlays/demo/kustomization.yaml',
    overlay.replace('generatorOptions:', `  - { name: trustline-${name}, envs: [secrets/${name}.env] }\ngeneratorOptions:`),
  );

  // 5. The e2e system starts it, so every table-driven suite (the zero-trust matrix first) covers it.
  insertBefore(tree, 'apps/e2e/test/support/system.ts', 'trustline-generator: e2e-services', `  '${name}',\n`);

  await formatFiles(tree);
  return () => {
    console.log(`
Service ${name} generated: apps/${name} (HTTP ${port}, metrics ${metricsPort}), audience ${audience}, scopes ${name}:read ${name}:write.
Next: npx nx run-many -t build && npx nx run ${name}:test && npx nx run ${name}:e2e && npx nx run e2e:e2e
On an existing auth-server database, give the roles the new scopes: cli.js roles:set customer <scopes…>.`);
  };
}

module.exports = serviceGenerator;
module.exports.default = serviceGenerator;
