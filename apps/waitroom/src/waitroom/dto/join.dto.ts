import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { MAX_IDENTITY_TOKEN_LENGTH } from '../../identity/identity-tokens';
import { EVENT_ID_PATTERN } from '../../queue/session-id';
import { ALTCHA_MAX_LENGTH, ALTCHA_PATTERN } from './join.schema';

export class JoinRequestDto {
  @ApiProperty({ example: 'user-001', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  user_id!: string;

  @ApiProperty({ example: 'concert-2024', minLength: 1, maxLength: 64, pattern: EVENT_ID_PATTERN.source })
  @IsString()
  @Length(1, 64)
  @Matches(EVENT_ID_PATTERN, {
    message: 'event_id must start with a letter or digit and use only A-Z a-z 0-9 . _ : -',
  })
  event_id!: string;

  @ApiPropertyOptional({
    type: 'integer',
    example: 0,
    minimum: 0,
    maximum: 9,
    default: 0,
    description: 'above 0 only with x-api-key',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(9)
  priority?: number;

  @ApiPropertyOptional({
    maxLength: ALTCHA_MAX_LENGTH,
    pattern: ALTCHA_PATTERN.source,
    description:
      'for an event with bot_check proof_of_work: the solved challenge of GET /events/:event_id/challenge, ' +
      "as the ALTCHA widget's payload (base64 of JSON {challenge, solution})",
  })
  @IsOptional()
  @IsString()
  @Length(1, ALTCHA_MAX_LENGTH)
  @Matches(ALTCHA_PATTERN, { message: 'altcha must be base64' })
  altcha?: string;

  @ApiPropertyOptional({
    maxLength: MAX_IDENTITY_TOKEN_LENGTH,
    description:
      "for an event with join_identity_jwk: the site's identity token, a compact JWS signed by that key with " +
      'sub = user_id, aud = event_id and exp at most an hour ahead (403 IDENTITY_REQUIRED / IDENTITY_INVALID)',
  })
  @IsOptional()
  @IsString()
  @Length(1, MAX_IDENTITY_TOKEN_LENGTH)
  identity_token?: string;
}
