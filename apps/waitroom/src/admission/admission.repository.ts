import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Environment } from '../config/environment';
import { RedisService } from '../redis/redis.service';
import {
  admissionHeadScript,
  admissionLeaseScript,
  admissionStepScript,
  type AdmissionStepResult,
  type FencedResult,
  type NoEventResult,
  type ShardedResult,
  type ShardHead,
  type ShardStepOrder,
} from './admission.scripts';

export type { AdmissionStepResult, FencedResult, NoEventResult, ShardedResult, ShardHead, ShardStepOrder };

@Injectable()
export class AdmissionRepository {
  constructor(
    private readonly redis: RedisService,
    private readonly env: Environment,
  ) {}

  /** Runs one admission step for one event (a sharded one answers ShardedResult: sharded-admission.ts steps it). */
  step(eventId: string): Promise<AdmissionStepResult | NoEventResult | ShardedResult | FencedResult> {
    return this.redis.run(admissionStepScript, {
      keys: this.redis.keys.forEvent(eventId),
      batchMax: this.env.ADMISSION_BATCH_MAX,
      retentionSeconds: this.env.SESSION_RETENTION_SECONDS,
      messageIdPrefix: randomUUID(),
    });
  }

  /** Takes or keeps the admitter's lease of a sharded event: its fencing epoch, or 0 when another instance holds it. */
  admitterLease(eventId: string, ownerId: string, ttlMs: number): Promise<number> {
    return this.redis.run(admissionLeaseScript, { keys: this.redis.keys.forEvent(eventId), ownerId, ttlMs });
  }

  /** One shard's counts and head, the shard fenced at `epoch`. */
  shardHead(
    eventId: string,
    shard: number,
    epoch: number,
  ): Promise<ShardHead | NoEventResult | FencedResult> {
    return this.redis.run(admissionHeadScript, {
      keys: this.redis.keys.forShard(eventId, shard),
      epoch,
      heads: this.env.ADMISSION_BATCH_MAX,
    });
  }

  /** One shard's step as its event's admitter orders it. */
  shardStep(
    eventId: string,
    shard: number,
    order: ShardStepOrder,
  ): Promise<AdmissionStepResult | NoEventResult | ShardedResult | FencedResult> {
    return this.redis.run(admissionStepScript, {
      keys: this.redis.keys.forShard(eventId, shard),
      batchMax: this.env.ADMISSION_BATCH_MAX,
      retentionSeconds: this.env.SESSION_RETENTION_SECONDS,
      messageIdPrefix: randomUUID(),
      shardOrder: order,
    });
  }
}
