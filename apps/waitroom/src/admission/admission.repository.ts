import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Environment } from '../config/environment';
import { RedisService } from '../redis/redis.service';
import {
  admissionHeadScript,
  admissionLockScript,
  admissionPlanScript,
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

  /** Takes a sharded event's step lock: the step's fencing epoch, or 0 while another instance steps it. */
  takeStepLock(eventId: string, ownerId: string, ttlMs: number): Promise<number> {
    return this.redis.run(admissionLockScript, { keys: this.redis.keys.forEvent(eventId), ownerId, ttlMs });
  }

  /** Gives the step lock back (if it is still this owner's). */
  async giveStepLock(eventId: string, ownerId: string): Promise<void> {
    await this.redis.run(admissionLockScript, {
      keys: this.redis.keys.forEvent(eventId),
      ownerId,
      ttlMs: 0,
      give: true,
    });
  }

  /** Writes a step's plan in shard 0 before any shard admits: false when a newer step fenced it. */
  plan(
    eventId: string,
    epoch: number,
    plan: {
      bounds: number[];
      tokensTaken: number;
      ratePerMinute: number | null;
      rateEstimate: number | null;
    },
  ): Promise<boolean> {
    return this.redis.run(admissionPlanScript, { keys: this.redis.keys.forEvent(eventId), epoch, ...plan });
  }

  /** One shard's counts and head, the shard fenced at `epoch`. */
  /** `heads`: how many of the head's scores to read (0: the counts alone). */
  shardHead(
    eventId: string,
    shard: number,
    epoch: number,
    heads: number,
  ): Promise<ShardHead | NoEventResult | FencedResult> {
    return this.redis.run(admissionHeadScript, {
      keys: this.redis.keys.forShard(eventId, shard),
      epoch,
      heads,
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
