import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';
import { dataSourceOptions } from './database.options';
import { AUTH_SERVER_ENTITIES } from './entities';
import { WriteSerializer } from '@trustline/service-runtime';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AUTH_SERVER_CONFIG],
          useFactory: (config: AuthServerConfig) => ({ ...dataSourceOptions(config.database), retryAttempts: 3, retryDelay: 1000 }),
        }),
        TypeOrmModule.forFeature(AUTH_SERVER_ENTITIES),
      ],
      providers: [{ provide: WriteSerializer, inject: [DataSource], useFactory: (dataSource: DataSource) => new WriteSerializer(dataSource) }],
      exports: [TypeOrmModule, WriteSerializer],
    };
  }
}
