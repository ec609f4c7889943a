import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { RESOURCE_SERVERS } from '../oidc/resources';

const ALL_SCOPES = [...new Set(Object.values(RESOURCE_SERVERS).flat())];

export class SubjectParam {
  @IsString()
  @Matches(/^[A-Za-z0-9._:@-]{1,128}$/, { message: 'sub must be a user id' })
  sub: string;
}

export class ClientIdParam {
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{3,128}$/, { message: 'clientId must be a client id' })
  clientId: string;
}

export class RoleParam {
  @IsString()
  @Matches(/^[a-z][a-z0-9_-]{0,63}$/, { message: 'name must be a role name' })
  name: string;
}

/** What an administrator may change about a client at runtime (the rest needs a re-registration). */
export class ClientChange {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @IsIn(ALL_SCOPES, { each: true })
  allowedScopes?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @IsIn(Object.keys(RESOURCE_SERVERS), { each: true })
  audiences?: string[];

  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class RoleScopes {
  @IsArray()
  @ArrayMaxSize(64)
  @IsIn(ALL_SCOPES, { each: true })
  scopes: string[];
}

export class AuditFilter {
  @IsOptional()
  @IsString()
  @MaxLength(64)
  type?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  subject?: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  clientId?: string;

  /** Epoch milliseconds. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  since?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
