import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { WriteSerializer } from '@trustline/service-runtime';
import { clientSecretMatches } from '../clients/client-secret';
import { ClientEntity, UserEntity } from '../database/entities';
import { SessionsService } from '../sessions/sessions.service';
import { verifyPassword } from '../users/password';
import { DEMO_USERS } from './demo-seed.service';

export interface DemoIdentities {
  /** Usernames of demo users that still have their published demo password. */
  users: string[];
  /** Client ids whose secret is still the published `<client-id>-secret`. */
  clients: string[];
}

/**
 * The demo identities that still work, found by what makes them dangerous rather than by name: a user
 * of the demo's list whose stored argon2 hash still verifies the README's password, a client whose
 * stored SHA-256 digest still matches `<client-id>-secret` (every client, so generated services' demo
 * clients count too). An operator's own `alice` with a password of their own is not one; the portal (a
 * public client, no secret) is the product's, not a credential.
 */
export async function findDemoIdentities(users: Repository<UserEntity>, clients: Repository<ClientEntity>): Promise<DemoIdentities> {
  const found: DemoIdentities = { users: [], clients: [] };
  for (const demo of DEMO_USERS) {
    const user = await users.findOneBy({ username: demo.username });
    if (user && (await verifyPassword(user.passwordHash, demo.password))) found.users.push(user.username);
  }
  const registered = await clients.find({ select: { clientId: true, secretDigest: true }, order: { clientId: 'ASC' } });
  for (const client of registered) if (clientSecretMatches(`${client.clientId}-secret`, client.secretDigest)) found.clients.push(client.clientId);
  return found;
}

export class DemoIdentitiesInProductionError extends Error {
  constructor(found: DemoIdentities) {
    const parts = [
      found.users.length ? `users ${found.users.join(', ')} (still with their demo passwords)` : '',
      found.clients.length ? `clients ${found.clients.join(', ')} (still with their published demo secrets)` : '',
    ].filter(Boolean);
    super(
      `demo identities present with NODE_ENV=production: ${parts.join('; ')}. Remove them (their sessions and tokens are revoked) with ` +
        '`node dist/apps/auth-server/cli.js demo:remove`, then register your own clients and users (clients:register, users:create).',
    );
    this.name = 'DemoIdentitiesInProductionError';
  }
}

@Injectable()
export class DemoIdentitiesService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(ClientEntity) private readonly clients: Repository<ClientEntity>,
    private readonly writes: WriteSerializer,
    private readonly sessions: SessionsService,
  ) {}

  find(): Promise<DemoIdentities> {
    return findDemoIdentities(this.users, this.clients);
  }

  /** Production start-up: fails while any demo identity still works. */
  async refuseIfPresent(): Promise<void> {
    const found = await this.find();
    if (found.users.length || found.clients.length) throw new DemoIdentitiesInProductionError(found);
  }

  /**
   * Removes every demo identity that still works: each user's sessions, grants and tokens are revoked
   * (a `sub` revocation reaches every verifier), then the user goes; the same for each client.
   */
  async remove(actor: string): Promise<DemoIdentities> {
    const found = await this.find();
    for (const username of found.users) {
      const user = await this.users.findOneBy({ username });
      if (!user) continue;
      await this.sessions.endUserSessions(user.id, { actor });
      await this.writes.write(() => this.users.delete({ id: user.id }));
    }
    for (const clientId of found.clients) {
      await this.sessions.revokeClientTokens(clientId, { actor });
      await this.writes.write(() => this.clients.delete({ clientId }));
    }
    return found;
  }
}
