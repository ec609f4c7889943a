import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { Public } from '@trustline/security';
import { DataSource } from 'typeorm';

@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready() {
    try {
      await this.dataSource.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      // No internal details: the reason is in the log, not the response.
      throw new ServiceUnavailableException({ status: 'unavailable' });
    }
  }
}
