import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// GET /events/:event_id/draw (documentation only: views.ts drawView builds it).

/** The pre-queue draw: a commitment before opens_at, the seed and the algorithm from then on. */
export class DrawResponseDto {
  @ApiProperty({ example: 'concert-2024' })
  event_id!: string;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    example: '2026-12-01T10:00:00.000Z',
    description: 'when the pre-queue is drawn; null: no opening time set',
  })
  opens_at!: string | null;

  @ApiProperty({
    pattern: '^[0-9a-f]{64}$',
    example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    description: 'hex SHA-256 of seed, published before opens_at',
  })
  seed_commitment!: string;

  @ApiPropertyOptional({
    example: '3f1e2d4c5b6a79880796a5b4c3d2e1f0',
    description: 'the secret seed (hex), present from opens_at on; sha256(seed) = seed_commitment',
  })
  seed?: string;

  @ApiPropertyOptional({
    example: 'draw = first 5 bytes of sha1(seed || 0x00 || user_id) as a big-endian integer (...)',
    description: 'how seed and user_id give each pre-queue place, present from opens_at on',
  })
  algorithm?: string;
}
