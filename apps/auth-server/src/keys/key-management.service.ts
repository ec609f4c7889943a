import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { OidcProviderHost } from '../oidc/oidc-provider.host';
import { RevocationsService } from '../revocation/revocations.service';
import { type KeyRevocation, type KeyRotation, SigningKeysService } from './signing-keys.service';

/**
 * The operations on signing keys, shared by the CLI and the admin API: each changes the stored keys,
 * tells verifiers what they must know, and brings this process's engine up to date at once (other
 * replicas notice within KEY_RELOAD_MS).
 */
@Injectable()
export class KeyManagementService {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly revocations: RevocationsService,
    private readonly host: OidcProviderHost,
    private readonly audit: AuditService,
  ) {}

  list() {
    return this.keys.list();
  }

  /** Planned rotation (see SigningKeysService.rotate): no verifier notices. */
  async rotate(): Promise<KeyRotation> {
    const rotation = await this.keys.rotate();
    await this.host.refresh();
    await this.audit.record({ type: 'key.rotated', outcome: 'success', details: { ...rotation } });
    return rotation;
  }

  /**
   * Emergency rollover: the key leaves JWKS, a `kid` entry on the revocation feed makes every verifier
   * drop it and refuse what it signed (within REVOCATION_POLL_MS, or at once over the broker), and a
   * fresh key signs from now on. The entry lives as long as any token the key can have signed (the
   * longest TTL ever issued plus the verifiers' largest skew, RevocationsService.record); verifiers keep
   * the key dropped, and its cached verifications gone, for as long as they run.
   */
  async revoke(kid: string): Promise<KeyRevocation> {
    const revocation = await this.keys.revoke(kid);
    await this.revocations.record('kid', kid);
    await this.host.refresh();
    await this.audit.record({ type: 'key.revoked', outcome: 'success', reason: 'compromise', details: { kid, activated: revocation.activated } });
    return revocation;
  }
}
