import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// GET /events/:event_id/challenge: altcha-lib's (v2) Challenge, as createChallenge returns it
// (documentation only: BotCheckService builds it).

/** The challenge's parameters (altcha-lib ChallengeParameters). */
class ChallengeParametersDto {
  @ApiProperty({ example: 'SHA-256' })
  algorithm!: string;

  @ApiProperty({
    example: '6d1c0f3a9b2e4d5f8a7c6b5e4d3c2b1a',
    description: 'random, signed; makes a proof single use',
  })
  nonce!: string;

  @ApiProperty({ example: '0a1b2c3d4e5f60718293a4b5c6d7e8f9' })
  salt!: string;

  @ApiProperty({ type: 'integer', minimum: 1, example: 1 })
  cost!: number;

  @ApiProperty({ type: 'integer', minimum: 1, example: 32 })
  keyLength!: number;

  @ApiProperty({
    example: '82685944c2a8c7ffd42d63b691aa4c0c',
    description: 'hex prefix the derived key must start with',
  })
  keyPrefix!: string;

  @ApiPropertyOptional({
    example: '501c85b1285334b0fd446e3ed676a25f3348666e5186a589b7eb006eb7eac46e',
    description: 'HMAC of the expected key (lets the server verify a solution with one hash)',
  })
  keySignature?: string;

  @ApiPropertyOptional({ type: 'integer', example: 1767225900, description: 'epoch seconds' })
  expiresAt?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { event_id: 'concert-2024' },
    description: 'signed data bound to the challenge (the event it is for)',
  })
  data?: Record<string, string | number | boolean | null>;
}

/** An ALTCHA challenge for the widget or altcha-lib's solveChallenge. */
export class ChallengeResponseDto {
  @ApiProperty({ type: ChallengeParametersDto })
  parameters!: ChallengeParametersDto;

  @ApiPropertyOptional({
    example: '49bb4f01a1dfee1cba209463f00fcbda9aefab888721014d6d207ed3392607d8',
    description: 'HMAC signature of the parameters',
  })
  signature?: string;
}
