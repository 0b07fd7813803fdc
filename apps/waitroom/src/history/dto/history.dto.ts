import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';

export class HistoryQueryDto {
  @ApiPropertyOptional({
    example: '1767225600.5',
    description:
      'epoch seconds (up to 3 decimals): only samples taken after it are returned. Pass the last `t` you ' +
      'have, to fetch just the new points. Without it: the whole window (the last hour).',
  })
  @IsOptional()
  @Matches(/^\d{1,11}(\.\d{1,3})?$/, {
    message: 'since must be epoch seconds: digits, optionally with up to 3 decimals (e.g. 1767225600.5)',
  })
  since?: string;
}

const rate = (what: string) => ({
  type: 'array' as const,
  items: { type: 'number', nullable: true },
  description:
    `${what} per minute between the previous sample and this one (from differences of the totals, ` +
    'one decimal); null for the first sample the history holds',
});

/** The history's compact column format (documentation only: HistoryService builds the body). */
export class HistoryResponseDto {
  @ApiProperty({ example: 'concert-2024' }) event_id!: string;
  @ApiProperty({
    type: 'number',
    example: 5,
    description: 'how often samples are taken (HISTORY_SAMPLE_INTERVAL_MS)',
  })
  interval_seconds!: number;
  @ApiProperty({ type: 'integer', example: 3600, description: 'how far back the history reaches' })
  window_seconds!: number;
  @ApiProperty({
    type: [Number],
    example: [1767225600.012, 1767225605.013],
    description:
      'sample times, epoch seconds (ms as the fraction), ascending; index i of every other array ' +
      'belongs to t[i]. Events without work are not sampled, so there may be gaps',
  })
  t!: number[];
  @ApiProperty({ type: 'integer', isArray: true, example: [1200, 1180], description: 'people queued' })
  queue_length!: number[];
  @ApiProperty({
    type: 'integer',
    isArray: true,
    example: [100, 100],
    description: 'people admitted, in checkout',
  })
  active_count!: number[];
  @ApiProperty({ ...rate('joins'), example: [null, 240] }) joins_per_minute!: (number | null)[];
  @ApiProperty({ ...rate('admissions'), example: [null, 600] }) admissions_per_minute!: (number | null)[];
  @ApiProperty({ ...rate('completed checkouts'), example: [null, 588] })
  completions_per_minute!: (number | null)[];
}
