import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WriteSerializer } from '@trustline/service-runtime';
import { DataSource } from 'typeorm';
import { CardsRpcController } from './cards-rpc.controller';
import { Card } from './card.entity';
import { CardsController } from './cards.controller';
import { CardsService } from './cards.service';

@Module({
  imports: [TypeOrmModule.forFeature([Card])],
  controllers: [CardsController, CardsRpcController],
  // One serializer per database: this module is the only writer of the cards database.
  providers: [CardsService, { provide: WriteSerializer, inject: [DataSource], useFactory: (dataSource: DataSource) => new WriteSerializer(dataSource) }],
})
export class CardsModule {}
