import { Controller, Get, Optional, ServiceUnavailableException } from '@nestjs/common';
import { Public, RemoteKeyStore } from '@trustline/security';
import { DataSource } from 'typeorm';

/** `/health/live` and `/health/ready` (CONVENTIONS.md): no auth, no internal details. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly keys: RemoteKeyStore,
    // A service without a database (the gateway) is ready as soon as it can verify.
    @Optional() private readonly dataSource?: DataSource,
  ) {}

  @Public()
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Ready when the database (if any) answers and the issuer's keys are loaded (a service that cannot verify is not ready). */
  @Public()
  @Get('ready')
  async ready() {
    try {
      await this.dataSource?.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableException({ status: 'unavailable' });
    }
    if (!this.keys.ready) throw new ServiceUnavailableException({ status: 'unavailable' });
    return { status: 'ok' };
  }
}
