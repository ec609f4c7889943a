import { startMetricsServer } from '@trustline/service-runtime';
import { ConfigurationError, loadAuthServerConfig } from './config/auth-server.config';
import { createAuthServer } from './bootstrap';

async function main(): Promise<void> {
  let config;
  try {
    config = loadAuthServerConfig();
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const app = await createAuthServer(config);
  const metrics = await startMetricsServer(config.metricsPort, config.host);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onClose', async () => metrics.close());
  await app.listen({ port: config.port, host: config.host });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // One machine-readable line that launchers (npm start, the e2e harness) wait for.
  process.stdout.write(`${JSON.stringify({ msg: 'auth-server ready', issuer: config.issuer, port, metricsPort: metrics.port })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`auth-server failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
