import { type RunningProcess, startAuthServer as startShared } from '../../../../tools/testing/processes';

export { basicAuth, decodeJwt, freePort } from '../../../../tools/testing/processes';

export interface RunningAuthServer extends RunningProcess {
  issuer: string;
  /** Runs the auth server's CLI against the same database; returns its parsed JSON output. */
  cli(args: string[], env?: Record<string, string>): Record<string, unknown>;
}

/** The built auth server as a real process (see tools/testing/processes.ts). */
export async function startAuthServer(env: Record<string, string> = {}): Promise<RunningAuthServer> {
  const running = await startShared(env);
  return Object.assign(running, { cli: (args: string[], extra?: Record<string, string>) => running.run('cli.js', args, extra) });
}
