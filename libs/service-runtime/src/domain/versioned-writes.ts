import type { ObjectLiteral, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { isUniqueViolation } from '../columns';
import { ResourceNotFoundError, VersionConflictError } from './domain-errors';

/**
 * `UPDATE … SET values WHERE id = ? AND version = ?` (TypeORM bumps the @VersionColumn), then the row as
 * stored. The condition is what keeps concurrent changes from overwriting each other on PostgreSQL; on
 * SQLite the WriteSerializer already runs one write at a time and it is a second line of defence. When
 * another change won, a VersionConflictError names the current version.
 */
export async function updateAtVersion<T extends ObjectLiteral & { id: string; version: number }>(
  repository: Repository<T>,
  id: string,
  expectedVersion: number,
  values: QueryDeepPartialEntity<T>,
): Promise<T> {
  const result = await repository.createQueryBuilder().update().set(values).where('id = :id AND version = :version', { id, version: expectedVersion }).execute();
  if (result.affected !== 1) throw new VersionConflictError((await repository.findOneBy({ id } as never))?.version);
  return repository.findOneByOrFail({ id } as never);
}

/**
 * Runs an insert guarded by a unique idempotency index. Two requests with one key can both pass the
 * lookup before either inserts; the index lets one in, and the other is answered with the winner
 * (`replay`) instead of an error. Undefined when this insert went in.
 */
export async function insertOrReplayWinner<R>(insert: () => Promise<unknown>, replay: () => Promise<R | undefined>): Promise<R | undefined> {
  try {
    await insert();
    return undefined;
  } catch (error) {
    const winner = isUniqueViolation(error) ? await replay() : undefined;
    if (winner) return winner;
    throw error;
  }
}

/**
 * `DELETE … WHERE id = ? AND <condition>` (e.g. `balance = 0`): the rule that allows the delete is part
 * of the statement, so a change committed since the caller's read (on PostgreSQL) keeps the row. When
 * nothing was deleted, the row as it is now decides the answer: gone (404), the rule broken now (the
 * rule's own error, from `recheck`), or it changed under us (409 with its version).
 */
export async function deleteWhere<T extends ObjectLiteral & { id: string; version: number }>(
  repository: Repository<T>,
  id: string,
  condition: string,
  kind: string,
  recheck: (current: T) => void,
): Promise<void> {
  const result = await repository.createQueryBuilder().delete().where(`id = :id AND ${condition}`, { id }).execute();
  if (result.affected === 1) return;
  const current = await repository.findOneBy({ id } as never);
  if (!current) throw new ResourceNotFoundError(kind);
  recheck(current);
  throw new VersionConflictError(current.version);
}
