import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection, type NatsError, StringCodec } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { infraTopology } from '../../../../tools/scripts/infra-topology.mjs';
import { natsConnectionOptions, REVOCATION_SUBJECT } from '@trustline/security';
import { type DeploymentNats, natsServerBinary, startDeploymentNats, WORKSPACE } from '../../../../tools/testing/processes';

/**
 * The broker of compose and Kubernetes requires authentication, with per-service permissions. This starts
 * a private nats-server with THE config file docker-compose.yml mounts (deploy/nats/nats-server.conf) and
 * the demo passwords of .env.example, and connects with the very NATS_URL compose gives each app.
 */
const CARDS_SUBJECT = 'cards.by-customer';
const codec = StringCodec();

describe.runIf(natsServerBinary() !== undefined)('NATS in compose and Kubernetes: authenticated, per-service permissions', () => {
  let nats: DeploymentNats;
  let urls: Record<string, string>;
  const open: NatsConnection[] = [];
  const as = async (app: string) => {
    const connection = await connect({ ...natsConnectionOptions(urls[app]), reconnect: false });
    open.push(connection);
    return connection;
  };

  beforeAll(async () => {
    nats = (await startDeploymentNats())!;
    const { apps } = infraTopology({ workspace: WORKSPACE, natsUrl: nats.url });
    urls = Object.fromEntries(apps.map(({ name, env }) => [name, env.NATS_URL]));
  });

  afterAll(async () => {
    for (const connection of open) await connection.close().catch(() => undefined);
    await nats?.stop();
  });

  /** Whether `subject` published by each of `publishers` reaches a listener allowed to hear it. */
  async function delivered(subject: string, listener: string, publishers: string[]): Promise<Record<string, boolean>> {
    const heard = new Set<string>();
    const subscription = (await as(listener)).subscribe(subject, { callback: (_error, message) => heard.add(codec.decode(message.data)) });
    await (await as(listener)).flush();
    for (const publisher of publishers) {
      const connection = await as(publisher);
      connection.publish(subject, codec.encode(publisher));
      await connection.flush();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    subscription.unsubscribe();
    return Object.fromEntries(publishers.map((publisher) => [publisher, heard.has(publisher)]));
  }

  /** 'refused' when the server answers the subscription with a permissions violation, else 'allowed'. */
  async function subscribing(app: string, subject: string, queue?: string): Promise<'refused' | 'allowed'> {
    const subscription = (await as(app)).subscribe(subject, queue ? { queue } : {});
    const refused = (async () => {
      try {
        for await (const _message of subscription) return 'allowed' as const;
      } catch (error) {
        if ((error as NatsError).code === 'PERMISSIONS_VIOLATION') return 'refused' as const;
        throw error;
      }
      return 'allowed' as const;
    })();
    return Promise.race([refused, new Promise<'allowed'>((resolve) => setTimeout(() => resolve('allowed'), 500))]);
  }

  it('is the file compose mounts, and every app of compose has a NATS user of its own', () => {
    const compose = parse(readFileSync(join(WORKSPACE, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { command?: string[]; volumes?: string[] }> };
    expect(compose.services.nats.volumes).toContain('./deploy/nats/nats-server.conf:/etc/nats/nats-server.conf:ro');
    expect(compose.services.nats.command).toEqual(['-c', '/etc/nats/nats-server.conf']);
    const users = Object.entries(urls).map(([app, url]) => [app, natsConnectionOptions(url).user]);
    for (const [app, user] of users) expect(user, app).toBe(app);
    // The harness's broker (startSystem with NATS) hands out the same URLs.
    for (const app of Object.keys(urls)) expect(nats.urlFor(app), app).toBe(urls[app]);
  });

  it('refuses a connection without credentials or with a wrong password', async () => {
    const { servers } = natsConnectionOptions(nats.url);
    await expect(connect({ servers, reconnect: false })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    await expect(connect({ servers, user: 'auth-server', pass: 'wrong', reconnect: false })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    await expect(connect({ servers, user: 'cards', pass: natsConnectionOptions(urls['auth-server']).pass, reconnect: false })).rejects.toMatchObject({
      code: 'AUTHORIZATION_VIOLATION',
    });
  });

  it('lets only the auth server publish revocations, and every verifier hear them', async () => {
    for (const verifier of ['gateway', 'accounts', 'loans', 'cards']) {
      expect(await delivered(REVOCATION_SUBJECT, verifier, ['auth-server', 'gateway', 'accounts', 'loans', 'cards']), verifier).toEqual({
        'auth-server': true,
        gateway: false,
        accounts: false,
        loans: false,
        cards: false,
      });
    }
    expect(await subscribing('auth-server', REVOCATION_SUBJECT)).toBe('refused');
  });

  it('lets only cards subscribe to its subjects (and its queue group), and only accounts ask it', async () => {
    const cards = await as('cards');
    cards.subscribe(CARDS_SUBJECT, { queue: 'cards', callback: (_error, message) => message.respond(codec.encode('cards answered')) });
    await cards.flush();
    for (const app of ['accounts', 'loans', 'gateway', 'auth-server']) {
      expect(await subscribing(app, CARDS_SUBJECT, 'cards'), `${app} in the queue group`).toBe('refused');
      expect(await subscribing(app, 'cards.*'), `${app} on cards.*`).toBe('refused');
    }
    // Request/reply: accounts publishes the request and receives the reply on its _INBOX.
    const reply = await (await as('accounts')).request(CARDS_SUBJECT, codec.encode('{}'), { timeout: 2_000 });
    expect(codec.decode(reply.data)).toBe('cards answered');
    for (const app of ['loans', 'gateway', 'auth-server']) {
      await expect((await as(app)).request(CARDS_SUBJECT, codec.encode('{}'), { timeout: 500 }), app).rejects.toBeDefined();
    }
  });
});
