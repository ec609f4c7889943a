import { Module } from '@nestjs/common';
import { CallerThrottlerGuard } from './caller-throttler.guard';
import { RelayController } from './relay.controller';
import { RelayService } from './relay.service';

@Module({
  controllers: [RelayController],
  providers: [RelayService, CallerThrottlerGuard],
})
export class RelayModule {}
