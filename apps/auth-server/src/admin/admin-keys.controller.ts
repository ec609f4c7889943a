import { Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { Scopes } from '@trustline/security';
import { IsString, Matches } from 'class-validator';
import { KeyManagementService } from '../keys/key-management.service';
import { UnknownKeyError } from '../keys/signing-keys.service';

class KidParam {
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'kid must be a key id' })
  kid: string;
}

/**
 * Signing-key operations for administrators (a token for urn:trustline:auth with the `admin` scope). The
 * same operations are in the CLI (`keys:list`, `keys:rotate`, `keys:revoke <kid>`) for operators at the
 * console.
 */
@Controller('admin/keys')
export class AdminKeysController {
  constructor(private readonly keys: KeyManagementService) {}

  @Scopes('admin')
  @Get()
  list() {
    return this.keys.list();
  }

  @Scopes('admin')
  @Post('rotate')
  @HttpCode(200)
  rotate() {
    return this.keys.rotate();
  }

  @Scopes('admin')
  @Post(':kid/revoke')
  @HttpCode(200)
  async revoke(@Param() { kid }: KidParam) {
    try {
      return await this.keys.revoke(kid);
    } catch (error) {
      if (error instanceof UnknownKeyError) throw new NotFoundException({ error: 'not_found', message: error.message });
      throw error;
    }
  }
}
