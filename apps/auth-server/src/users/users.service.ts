import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { RoleEntity, UserEntity } from '../database/entities';
import { WriteSerializer } from '@trustline/service-runtime';
import { RowLookup } from '../database/row-lookup';
import { hashPassword, verifyPassword } from './password';

@Injectable()
export class UsersService {
  /** Both read on every token grant for a user (roles and scopes as they are now, never cached). */
  private readonly userById: RowLookup<UserEntity>;
  private readonly roleByName: RowLookup<RoleEntity>;

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(RoleEntity) private readonly roles: Repository<RoleEntity>,
    private readonly writes: WriteSerializer,
  ) {
    this.userById = new RowLookup(users, ['id']);
    this.roleByName = new RowLookup(roles, ['name']);
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.userById.one(id);
  }

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ username });
  }

  /** Checks a login; the same work is done whether or not the user exists. */
  async authenticate(username: string, password: string): Promise<UserEntity | null> {
    const user = await this.findByUsername(username);
    return (await verifyPassword(user?.passwordHash, password)) ? user : null;
  }

  async createIfAbsent(input: { id?: string; username: string; password: string; roles: string[]; name?: string }): Promise<{ user: UserEntity; created: boolean }> {
    const existing = await this.findByUsername(input.username);
    if (existing) return { user: existing, created: false };
    const user: UserEntity = {
      id: input.id ?? randomUUID(),
      username: input.username,
      passwordHash: await hashPassword(input.password),
      roles: input.roles,
      name: input.name ?? null,
      createdAt: Math.floor(Date.now() / 1000),
    };
    await this.writes.write(() => this.users.insert(user));
    return { user, created: true };
  }

  /** Sets a role's scopes (the scope-to-role mapping); the next token of every user with the role follows it. */
  async upsertRole(name: string, scopes: string[]): Promise<void> {
    await this.writes.write(() => this.roles.upsert({ name, scopes }, ['name']));
  }

  /** Creates a role with these scopes unless it exists (so changes made at runtime survive restarts). */
  async ensureRole(name: string, scopes: string[]): Promise<void> {
    if (await this.roles.existsBy({ name })) return;
    await this.upsertRole(name, scopes);
  }

  /** The resource scopes a user's roles allow (the scope-to-role mapping lives in the `roles` table). */
  async scopesForRoles(roleNames: string[]): Promise<Set<string>> {
    if (!roleNames.length) return new Set();
    const rows = await this.roleByName.anyOf(roleNames);
    return new Set(rows.flatMap((row) => row.scopes));
  }
}
