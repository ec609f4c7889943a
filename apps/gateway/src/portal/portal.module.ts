import { Module } from '@nestjs/common';
import { ApiDocsController } from '../docs/api-docs.controller';
import { PortalController } from './portal.controller';

/** What the gateway serves itself: the demo portal and the aggregated API description. */
@Module({ controllers: [PortalController, ApiDocsController] })
export class PortalModule {}
