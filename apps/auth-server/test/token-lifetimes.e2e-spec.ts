import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_CLOCK_TOLERANCE_SECONDS } from '@trustline/security';
import { WriteSerializer } from '@trustline/service-runtime';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from '../../../tools/testing/processes';
import type { AuthServerConfig } from '../src/config/auth-server.config';
import { dataSourceOptions } from '../src/database/database.options';
import { TokenLifetimeEntity } from '../src/database/entities';
import { TokenLifetimes } from '../src/revocation/token-lifetimes.service';

/**
 * Several replicas (each its own DataSource, as separate processes have) booting at once with
 * different ACCESS_TOKEN_TTLs, then one with a lowered TTL: the stored maximum is the largest ever
 * configured, and the horizon of a revocation follows it. In the infra profile on PostgreSQL too.
 */
describe('TokenLifetimes', () => {
  let directory: string;
  let postgres: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const sources: DataSource[] = [];
  const database = (): AuthServerConfig['database'] => (postgres ? { type: 'postgres', url: postgres.url } : { type: 'sqlite', file: join(directory, 'auth.sqlite') });
  const replica = async (accessTokenTtl: number) => {
    const dataSource = await new DataSource(dataSourceOptions(database())).initialize();
    sources.push(dataSource);
    return new TokenLifetimes(dataSource.getRepository(TokenLifetimeEntity), new WriteSerializer(dataSource), { accessTokenTtl } as AuthServerConfig);
  };

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'trustline-lifetimes-'));
    postgres = await freshPostgresDatabase();
    // One replica runs the migrations first (as the first process to boot does).
    await (await replica(1)).onModuleInit();
  });

  afterAll(async () => {
    for (const source of sources) await source.destroy();
    await postgres?.drop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('keeps the largest TTL any replica ever booted with, whatever the order, and never lowers it', async () => {
    const replicas = await Promise.all([600, 300, 900, 120].map(replica));
    await Promise.all(replicas.map((lifetimes) => lifetimes.onModuleInit()));
    for (const lifetimes of replicas) expect(await lifetimes.longestAccessTokenTtl()).toBe(900);

    const lowered = await replica(60);
    await lowered.onModuleInit();
    expect(await lowered.longestAccessTokenTtl()).toBe(900);
    expect(await lowered.horizonFromNow(1_000_000)).toBe(1_000_000 + 900 + MAX_CLOCK_TOLERANCE_SECONDS);
  });
});
