import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WriteSerializer } from '@trustline/service-runtime';
import { DataSource } from 'typeorm';
import { Account } from './account.entity';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';

@Module({
  imports: [TypeOrmModule.forFeature([Account])],
  controllers: [AccountsController],
  // One serializer per database: this module is the only writer of the accounts database.
  providers: [AccountsService, { provide: WriteSerializer, inject: [DataSource], useFactory: (dataSource: DataSource) => new WriteSerializer(dataSource) }],
  // The customer details read the customer's accounts through the same ownership rules.
  exports: [AccountsService],
})
export class AccountsModule {}
