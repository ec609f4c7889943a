import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WriteSerializer } from '@trustline/service-runtime';
import { DataSource } from 'typeorm';
import { Loan } from './loan.entity';
import { LoansController } from './loans.controller';
import { LoansService } from './loans.service';

@Module({
  imports: [TypeOrmModule.forFeature([Loan])],
  controllers: [LoansController],
  // One serializer per database: this module is the only writer of the loans database.
  providers: [LoansService, { provide: WriteSerializer, inject: [DataSource], useFactory: (dataSource: DataSource) => new WriteSerializer(dataSource) }],
})
export class LoansModule {}
